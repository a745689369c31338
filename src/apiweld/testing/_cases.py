"""Test cases for one operation: valid requests, schema-violating ones, unauthenticated ones.

Valid data comes from the description's examples first, then from Hypothesis strategies built
from the IR schemas (seeded, so a run is reproducible). Hypothesis is used as a generator only: the
values are drawn up front and the HTTP calls happen afterwards, so a slow API does not trip
Hypothesis' deadlines and a failing check is reported rather than shrunk against a live server.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from apiweld.mock.jsonschema import is_json_media_type
from apiweld.spec.ir import Api, MediaType, Operation, Parameter, Schema
from apiweld.testing._strategies import StrategyBuilder
from apiweld.testing._wire import NOT_SET, scalar_text

CaseKind = Literal["positive", "negative", "unauthenticated", "bad_credentials"]
ParamKey = tuple[str, str]
"""(location, wire name) of a parameter."""

_SENDABLE_BODY_TYPES = (
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "text/plain",
    "application/octet-stream",
)
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
_HEADER_SAFE = re.compile(r"[!-~]+(?: [!-~]+)*")
_COOKIE_SAFE = re.compile(r"[!#-+\--:<-\[\]-~]+")
_WRONG_TYPE_TEXT = "apiweld-wrong-type"
_MAX_NEGATIVE_CASES = 6


@dataclass(frozen=True, slots=True)
class Case:
    """One request to make against an operation, before credentials are applied."""

    operation: Operation
    kind: CaseKind
    label: str
    """How the data was made, for reports: `examples`, `generated #3`, `missing required ...`."""
    params: Mapping[ParamKey, Any] = field(default_factory=dict)
    body: Any = NOT_SET
    media_type: str | None = None

    def values_in(self, location: str) -> dict[str, Any]:
        return {name: value for (loc, name), value in self.params.items() if loc == location}


def pick_media_type(content: tuple[MediaType, ...]) -> MediaType | None:
    """The request media type the checks can send: JSON first, then form, text or bytes."""
    for media in content:
        if is_json_media_type(media.media_type):
            return media
    for wanted in _SENDABLE_BODY_TYPES:
        for media in content:
            if media.media_type.split(";", 1)[0].strip().lower() == wanted:
                return media
    return None


# OpenAPI: header parameters with these names are ignored (the media types and security own them).
IGNORED_HEADER_PARAMETERS = frozenset({"accept", "content-type", "authorization"})


def _list_separator(param: Parameter) -> str | None:
    """What joins an array parameter's items in one value (None: each item is its own value)."""
    style = param.style or ("form" if param.location in ("query", "cookie") else "simple")
    if style == "spaceDelimited":
        return None if param.explode else " "
    if style == "pipeDelimited":
        return None if param.explode else "|"
    if style == "label":
        return "." if param.explode else ","
    if style in ("form", "matrix"):
        return None if param.explode else ","
    return ","


def _wire_safe(param: Parameter) -> Callable[[Any], bool]:
    """Whether a value survives the trip: serialised, then read back by the server as it was."""
    location = param.location
    separator = _list_separator(param)

    def item_ok(item: Any) -> bool:
        # `ids=` reads back as [], not [""]; an item holding the separator reads back as two.
        text = scalar_text(item)
        return text != "" and (separator is None or separator not in text)

    def ok(value: Any) -> bool:
        if isinstance(value, list | dict) and not value:
            # An empty array or object has no representation on the wire: the parameter would
            # simply be absent, which is a different (possibly invalid) request.
            return False
        if isinstance(value, list) and not all(item_ok(item) for item in value):
            return False
        text = value if isinstance(value, str) else scalar_text(value)
        if location == "header":
            return bool(_HEADER_SAFE.fullmatch(text))
        if location == "cookie":
            return bool(_COOKIE_SAFE.fullmatch(text))
        if location == "path":
            return text not in ("", ".", "..")
        if location == "query":
            return param.allow_empty_value or text != ""
        return True

    return ok


def _is_raw(media_type: str) -> bool:
    return not is_json_media_type(media_type) and _essence(media_type) not in _FORM_TYPES


def _is_form(media_type: str) -> bool:
    return _essence(media_type) in _FORM_TYPES


def _essence(media_type: str) -> str:
    return media_type.split(";", 1)[0].strip().lower()


def _body_survives(media_type: str) -> Callable[[Any], bool]:
    def ok(value: Any) -> bool:
        if _is_raw(media_type):
            # An empty text or binary body reads back as no body at all.
            return not (isinstance(value, str | bytes) and not value)
        return True

    return ok


def _as_form_sends(value: Any) -> Any:
    """A form or multipart body as it reads back: null and empty arrays have no fields."""
    if not isinstance(value, dict):
        return value
    return {k: v for k, v in value.items() if v is not None and v != []}


def _parameter_strategy(builder: StrategyBuilder, param: Parameter) -> Any:
    return builder.valid(param.schema).filter(_wire_safe(param))


def _body_strategy(builder: StrategyBuilder, media: MediaType) -> Any:
    from hypothesis import strategies as st

    schema = media.schema
    if schema is None:
        return st.just({})
    strategy = builder.valid(schema).filter(_body_survives(media.media_type))
    if _is_form(media.media_type):
        # Drawn as it will arrive, so a required nullable property or a required empty array
        # is not sent as a request the server must reject (it is still valid as drawn).
        strategy = strategy.map(_as_form_sends).filter(lambda v: builder.is_valid(schema, v))
    return strategy


# RFC 9110 token: what a header (or cookie) name may be made of on the wire.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def sendable_parameters(operation: Operation) -> tuple[Parameter, ...]:
    """The parameters a request can carry: not the header parameters OpenAPI says to ignore,
    nor headers or cookies whose names cannot be put on the wire."""
    return tuple(
        p
        for p in operation.parameters
        if not (p.location == "header" and p.name.lower() in IGNORED_HEADER_PARAMETERS)
        and (p.location not in ("header", "cookie") or _TOKEN.fullmatch(p.name))
    )


def _parameter_example(api: Api, param: Parameter) -> Any:
    for example in param.examples:
        if example.value is not None:
            return example.value
    schema = api.resolve(param.schema)
    if schema.examples:
        return schema.examples[0]
    if param.schema.examples:
        return param.schema.examples[0]
    return NOT_SET


def _media_example(api: Api, media: MediaType) -> Any:
    for example in media.examples:
        if example.value is not None:
            return example.value
    if media.schema is not None:
        schema = api.resolve(media.schema)
        if schema.examples:
            return schema.examples[0]
    return NOT_SET


class CaseGenerationError(Exception):
    """The description gives no way to produce valid data for an operation."""


@dataclass(slots=True)
class OperationCases:
    positive: list[Case]
    negative: list[Case]
    notes: list[str]


def _draw(strategy: Any, count: int, seed: int) -> list[Any]:
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import seed as hypothesis_seed

    drawn: list[Any] = []

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        derandomize=False,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    @hypothesis_seed(seed)
    @given(strategy)
    def collect(value: Any) -> None:
        drawn.append(value)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        collect()
    return drawn


def _operation_strategy(
    builder: StrategyBuilder, operation: Operation, media: MediaType | None
) -> Any:
    from hypothesis import strategies as st

    required: dict[Any, Any] = {}
    optional: dict[Any, Any] = {}
    for param in sendable_parameters(operation):
        if _is_free_cursor(operation, param):
            continue
        key = (param.location, param.name)
        strategy = _parameter_strategy(builder, param)
        (required if param.required or param.location == "path" else optional)[key] = strategy
    body = operation.request_body
    if body is not None and media is not None:
        body_strategy = _body_strategy(builder, media)
        (required if body.required else optional)[("body", "")] = body_strategy
    return st.fixed_dictionaries(required, optional=optional)


def _is_free_cursor(operation: Operation, param: Parameter) -> bool:
    """An optional cursor parameter: left out of valid requests, because only the server can
    name a cursor it accepts (an invented or example one is rightly answered 400 or 404)."""
    paging = operation.pagination
    return (
        paging is not None
        and paging.cursor_param is not None
        and param.name == paging.cursor_param
        and param.location == "query"
        and not param.required
    )


def _split(operation: Operation, drawn: Mapping[Any, Any]) -> tuple[dict[ParamKey, Any], Any]:
    params = {key: value for key, value in drawn.items() if key[0] != "body"}
    return params, drawn.get(("body", ""), NOT_SET)


def positive_cases(
    api: Api, operation: Operation, *, max_examples: int, seed: int
) -> tuple[list[Case], list[str]]:
    """Schema-valid cases: one from the examples (when the description has any), then generated."""
    notes: list[str] = []
    body = operation.request_body
    media = pick_media_type(body.content) if body is not None else None
    if body is not None and media is None and body.required:
        kinds = ", ".join(m.media_type for m in body.content)
        raise CaseGenerationError(f"no request media type the checks can send ({kinds})")
    media_type = media.media_type if media is not None else None
    builder = StrategyBuilder(api)
    try:
        drawn = _draw(_operation_strategy(builder, operation, media), max(1, max_examples), seed)
    except Exception as exc:  # Hypothesis raises several types for unsatisfiable schemas
        raise CaseGenerationError(
            f"cannot generate valid data: {type(exc).__name__}: {exc}"
        ) from exc
    if not drawn:
        raise CaseGenerationError("cannot generate valid data: every attempt was filtered out")
    cases: list[Case] = []
    seen: set[str] = set()
    examples = _example_overlay(builder, operation, media, notes)
    if examples:
        params, body_value = _split(operation, drawn[0])
        params.update({k: v for k, v in examples.items() if k[0] != "body"})
        body_value = examples.get(("body", ""), body_value)
        cases.append(Case(operation, "positive", "examples", params, body_value, media_type))
        seen.add(repr((sorted(params.items(), key=repr), body_value)))
    for index, value in enumerate(drawn, start=1):
        params, body_value = _split(operation, value)
        fingerprint = repr((sorted(params.items(), key=repr), body_value))
        if fingerprint in seen:
            continue
        seen.add(fingerprint)
        cases.append(
            Case(operation, "positive", f"generated #{index}", params, body_value, media_type)
        )
        if len(cases) >= max_examples:
            break
    return cases, notes


def _example_overlay(
    builder: StrategyBuilder, operation: Operation, media: MediaType | None, notes: list[str]
) -> dict[Any, Any]:
    """The description's examples that are valid against their schemas (many real ones are not,
    and an invalid example would turn a valid request into a schema-violating one)."""
    api = builder.api
    overlay: dict[Any, Any] = {}
    for param in sendable_parameters(operation):
        if _is_free_cursor(operation, param):
            continue
        value = _parameter_example(api, param)
        if value is NOT_SET:
            continue
        sendable = _wire_safe(param)(value)
        if builder.is_valid(param.schema, value) and sendable:
            overlay[(param.location, param.name)] = value
        else:
            notes.append(
                f"the example of {param.location} parameter '{param.name}' is invalid "
                "against its schema or cannot be sent; generated data was sent instead"
            )
    if media is not None:
        value = _media_example(api, media)
        if value is NOT_SET:
            return overlay
        if _is_form(media.media_type):
            value = _as_form_sends(value)
        valid = media.schema is None or builder.is_valid(media.schema, value)
        if valid and _body_survives(media.media_type)(value):
            overlay[("body", "")] = value
        else:
            where = media.pointer or "the request body"
            notes.append(
                f"the example at {where} is invalid against its schema; "
                "generated data was sent instead"
            )
    return overlay


def _is_strictly_typed(api: Api, schema: Schema, kinds: set[str]) -> bool:
    resolved = api.resolve(schema)
    types = set(resolved.non_null_types)
    return bool(types) and types <= kinds


def negative_cases(api: Api, operation: Operation, base: Case) -> list[Case]:
    """Requests that break the description in ways no lenient reading can accept."""
    cases: list[Case] = []

    def add(label: str, params: dict[ParamKey, Any], body: Any = NOT_SET) -> None:
        chosen_body = base.body if body is NOT_SET else body
        cases.append(replace(base, kind="negative", label=label, params=params, body=chosen_body))

    # A parameter that is also where an API key travels is filled in by the credentials, so
    # leaving it out of the parameters would not make the request invalid.
    credential_places = {
        (scheme.location or "header", (scheme.param_name or "").lower())
        for scheme in api.security_schemes.values()
        if scheme.type == "apiKey"
    }
    for param in sendable_parameters(operation):
        key = (param.location, param.name)
        if (param.location, param.name.lower()) in credential_places:
            continue
        if param.required and param.location in ("query", "header", "cookie"):
            params = dict(base.params)
            params.pop(key, None)
            add(f"missing required {param.location} parameter '{param.name}'", params)
        if param.location in ("query", "path") and _is_strictly_typed(
            api, param.schema, {"integer", "number", "boolean"}
        ):
            add(
                f"{param.location} parameter '{param.name}' of the wrong type (a string)",
                {**base.params, key: _WRONG_TYPE_TEXT},
            )
        enum = api.resolve(param.schema).enum
        if param.location == "query" and enum and all(isinstance(v, str) for v in enum):
            add(
                f"query parameter '{param.name}' outside its enum",
                {**base.params, key: "apiweld-not-in-enum"},
            )
    cases.extend(_negative_bodies(api, operation, base))
    return cases[:_MAX_NEGATIVE_CASES]


def _negative_bodies(api: Api, operation: Operation, base: Case) -> list[Case]:
    body = operation.request_body
    if body is None or base.media_type is None or not is_json_media_type(base.media_type):
        return []
    cases: list[Case] = []
    if body.required:
        cases.append(replace(base, kind="negative", label="required body missing", body=NOT_SET))
    media = pick_media_type(body.content)
    if media is None or media.schema is None:
        return cases
    schema = api.resolve(media.schema)
    if set(schema.non_null_types) == {"object"} and not schema.one_of and not schema.any_of:
        cases.append(
            replace(
                base,
                kind="negative",
                label="body of the wrong type (a string instead of an object)",
                body=_WRONG_TYPE_TEXT,
            )
        )
        if isinstance(base.body, dict):
            for prop in schema.properties:
                prop_schema = api.resolve(prop.schema)
                if prop.required and not prop_schema.read_only and prop.name in base.body:
                    trimmed = {k: v for k, v in base.body.items() if k != prop.name}
                    cases.append(
                        replace(
                            base,
                            kind="negative",
                            label=f"body without its required property '{prop.name}'",
                            body=trimmed,
                        )
                    )
                    break
    return cases


def unauthenticated_case(base: Case, *, bogus: bool) -> Case:
    kind: CaseKind = "bad_credentials" if bogus else "unauthenticated"
    label = "invalid credentials" if bogus else "no credentials"
    return replace(base, kind=kind, label=label)
