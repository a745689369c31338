"""Requests and responses as the contract checks see them: built from a case, sent, recorded.

Parameters are serialised here by OpenAPI's style/explode rules rather than through a generated
client, because the checks must also send what a client never would (a missing required
parameter, a wrong type, no credentials) and must see the raw response, wrong content type and all.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import urllib3

from apiweld.spec.ir import Parameter

NOT_SET: Any = object()
"""Marks an absent request body (None is a valid JSON body)."""

_BODY_PREVIEW_LIMIT = 64 * 1024


@dataclass(frozen=True, slots=True)
class WireRequest:
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None = None


@dataclass(frozen=True, slots=True)
class WireResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    elapsed: float
    """Seconds from sending the request to the last byte of the body."""

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None

    @property
    def content_type(self) -> str | None:
        return self.header("content-type")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(slots=True)
class Interaction:
    """One request sent and what came back (or the transport error instead)."""

    request: WireRequest
    response: WireResponse | None
    error: str | None = None
    notes: list[str] = field(default_factory=list)


def scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _joined(values: Sequence[Any], separator: str) -> str:
    return separator.join(scalar_text(v) for v in values)


def _pairs(value: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(str(k), scalar_text(v)) for k, v in value.items()]


def serialize_query(param: Parameter, value: Any) -> list[tuple[str, str]]:
    """(name, value) pairs for one query parameter, per its style and explode."""
    if param.content_media_type is not None:
        return [(param.name, json.dumps(value, separators=(",", ":")))]
    name = param.name
    if isinstance(value, list | tuple):
        if param.style == "spaceDelimited" and not param.explode:
            return [(name, _joined(value, " "))]
        if param.style == "pipeDelimited" and not param.explode:
            return [(name, _joined(value, "|"))]
        if param.explode:
            return [(name, scalar_text(v)) for v in value]
        return [(name, _joined(value, ","))]
    if isinstance(value, dict):
        if param.style == "deepObject":
            return [(f"{name}[{k}]", v) for k, v in _pairs(value)]
        if param.explode:
            return _pairs(value)
        return [(name, ",".join(f"{k},{v}" for k, v in _pairs(value)))]
    return [(name, scalar_text(value))]


def serialize_simple(param: Parameter, value: Any) -> str:
    """A path or header value (style simple, label or matrix), not yet percent-encoded."""
    if param.content_media_type is not None:
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, list | tuple):
        items = [scalar_text(v) for v in value]
        text = ",".join(items)
        if param.style == "label":
            return "." + (".".join(items) if param.explode else text)
        if param.style == "matrix":
            if param.explode:
                return "".join(f";{param.name}={v}" for v in items)
            return f";{param.name}={text}"
        return text
    if isinstance(value, dict):
        pairs = _pairs(value)
        inner = ",".join(f"{k}={v}" if param.explode else f"{k},{v}" for k, v in pairs)
        if param.style == "label":
            return "." + inner
        if param.style == "matrix":
            return (
                f";{param.name}={inner}"
                if not param.explode
                else "".join(f";{k}={v}" for k, v in pairs)
            )
        return inner
    if param.style == "label":
        return "." + scalar_text(value)
    if param.style == "matrix":
        return f";{param.name}={scalar_text(value)}"
    return scalar_text(value)


def expand_path(template: str, values: Mapping[str, str]) -> str:
    path = template
    for name, text in values.items():
        path = path.replace("{" + name + "}", quote(text, safe=";=,.-_~"))
    return path


def join_url(base_url: str, path: str, query: Sequence[tuple[str, str]]) -> str:
    """`path` may already hold a literal query (`/responses?beta=true`): the parameters join it."""
    url = base_url.rstrip("/") + "/" + path.lstrip("/")
    if query:
        url += ("&" if "?" in path else "?") + urlencode(list(query), doseq=False, quote_via=quote)
    return url


class HttpSender:
    """Sends wire requests through one connection pool, timing each to its last byte."""

    def __init__(self, *, timeout: float = 10.0, verify_tls: bool = True) -> None:
        self._pool = urllib3.PoolManager(
            timeout=urllib3.Timeout(total=timeout),
            retries=False,
            cert_reqs="CERT_REQUIRED" if verify_tls else "CERT_NONE",
        )

    def send(self, request: WireRequest) -> Interaction:
        started = time.perf_counter()
        try:
            raw = self._pool.request(
                request.method,
                request.url,
                body=request.body,
                headers=dict(request.headers),
                redirect=False,
                preload_content=True,
                decode_content=True,
            )
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            # ValueError: http.client refuses a header it cannot send (a newline in a value from
            # the description's examples, say); reported as this request's error, not a crash.
            return Interaction(request=request, response=None, error=_transport_error(exc))
        elapsed = time.perf_counter() - started
        response = WireResponse(
            status=raw.status,
            headers=tuple((k, v) for k, v in raw.headers.iteritems()),
            body=raw.data or b"",
            elapsed=elapsed,
        )
        return Interaction(request=request, response=response)

    def close(self) -> None:
        self._pool.clear()


def _transport_error(exc: BaseException) -> str:
    # urllib3 nests the interesting cause (refused, reset, timed out) inside MaxRetryError.
    reason = getattr(exc, "reason", None)
    shown = reason if isinstance(reason, BaseException) else exc
    return f"{type(shown).__name__}: {shown}"


def body_preview(body: bytes | None) -> str:
    if not body:
        return ""
    text = body[:_BODY_PREVIEW_LIMIT].decode("utf-8", errors="replace")
    if len(body) > _BODY_PREVIEW_LIMIT:
        text += f"\n… ({len(body) - _BODY_PREVIEW_LIMIT} more bytes)"
    return text
