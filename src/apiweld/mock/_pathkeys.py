"""Path keys that carry more than a path: `/tags#operation=untag`, `/export?filename={name}`.

Some descriptions tell operations on one path apart, or declare "path" parameters that really
travel in the query, by writing a fragment or a query into the path key (AWS's descriptions use
`#X-Amz-Target=...` for a header and `#operation=...` or `?tagKeys` for the query; others write
`?filename={filename}`). Neither part is in the path a request arrives on; they become
conditions that pick the operation and, where they hold `{name}`, bind parameters.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from apiweld.spec.ir import Operation


@dataclass(frozen=True, slots=True)
class KeyCondition:
    name: str
    """A query key or header name, or `{param}` when the key itself is a parameter."""
    value: str | None
    """The value it must have; None: any; `{param}`: any, and it is that parameter."""

    @property
    def name_param(self) -> str | None:
        return _param(self.name)

    @property
    def value_param(self) -> str | None:
        return _param(self.value) if self.value is not None else None


Candidate = tuple[tuple[KeyCondition, ...], Operation]


def _param(text: str) -> str | None:
    if text.startswith("{") and text.endswith("}") and text.count("{") == 1:
        return text[1:-1]
    return None


def split_path_key(key: str) -> tuple[str, tuple[KeyCondition, ...]]:
    cut = min((i for i in (key.find("#"), key.find("?")) if i >= 0), default=-1)
    if cut < 0:
        return key, ()
    conditions: list[KeyCondition] = []
    for part in key[cut + 1 :].replace("#", "&").replace("?", "&").split("&"):
        if part:
            name, sep, value = part.partition("=")
            conditions.append(KeyCondition(name, value if sep else None))
    return key[:cut] or "/", tuple(conditions)


def choose(
    candidates: list[Candidate], query: Mapping[str, list[str]], headers: Mapping[str, str]
) -> Candidate:
    """The operation whose conditions the request meets (most conditions first)."""
    if len(candidates) == 1:
        return candidates[0]

    def holds(condition: KeyCondition) -> bool:
        if condition.name_param is not None:
            return True  # any key may stand for it
        if condition.name in query:
            values = query[condition.name]
            return (
                condition.value is None
                or condition.value_param is not None
                or (condition.value in values)
            )
        header = headers.get(condition.name.lower())
        if header is None:
            return False
        return (
            condition.value is None
            or condition.value_param is not None
            or (header == condition.value)
        )

    ranked = sorted(candidates, key=lambda c: -len(c[0]))
    for candidate in ranked:
        if candidate[0] and all(holds(c) for c in candidate[0]):
            return candidate
    # Conditions that are not on the wire (`#overload=stream`): the body's media type tells.
    sent = (headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if sent:
        for candidate in candidates:
            body = candidate[1].request_body
            if body is not None and any(
                m.media_type.split(";", 1)[0].strip().lower() == sent for m in body.content
            ):
                return candidate
    return next((c for c in candidates if not c[0]), candidates[0])


def bind_parameters(
    conditions: tuple[KeyCondition, ...],
    query: Mapping[str, list[str]],
    declared_query: Collection[str],
) -> dict[str, str]:
    """Values for the `{param}`s the conditions hold, read from the query."""
    bound: dict[str, str] = {}
    used: set[str] = set()
    for condition in conditions:
        param = condition.value_param
        if param is not None and condition.name_param is None:
            values = query.get(condition.name)
            if values:
                bound[param] = values[-1]
                used.add(condition.name)
    for condition in conditions:
        param = condition.name_param
        if param is None:
            continue
        for key, values in query.items():
            if key in used or key in declared_query:
                continue
            if (
                condition.value is None
                or condition.value_param is not None
                or (condition.value in values)
            ):
                bound[param] = key
                used.add(key)
                if condition.value_param is not None:
                    bound[condition.value_param] = values[-1]
                break
    return bound
