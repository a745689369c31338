"""Contract checks: what a response must satisfy for the description to be telling the truth.

The checks match Schemathesis' one for one, by name and meaning, where they fit the IR:

- `not_a_server_error`: the status is 5xx.
- `status_code_conformance`: the status is not documented, exactly, by a range (`2XX`) or by
  `default`.
- `content_type_conformance`: the response documents media types and its `Content-Type` is
  missing or none of them.
- `response_headers_conformance`: a required response header is missing, or a documented one
  does not match its schema.
- `response_schema_conformance`: a JSON body does not validate against the schema of its status
  and media type.
- `negative_data_rejection`: a request that violates the description is answered with a
  non-error status.
- `ignored_auth`: an operation that needs credentials answers 2xx without them (or with wrong
  ones).

`use_after_free` (Schemathesis' stateful check) is not implemented: it needs links between
operations, which the IR does not carry.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from apiweld.mock.jsonschema import is_json_media_type
from apiweld.spec.ir import Api, Header, MediaType, Operation, Response, Schema
from apiweld.testing._cases import Case
from apiweld.testing._validate import SchemaValidator, contract_exporter
from apiweld.testing._wire import WireResponse

NOT_A_SERVER_ERROR: Final = "not_a_server_error"
STATUS_CODE_CONFORMANCE: Final = "status_code_conformance"
CONTENT_TYPE_CONFORMANCE: Final = "content_type_conformance"
RESPONSE_HEADERS_CONFORMANCE: Final = "response_headers_conformance"
RESPONSE_SCHEMA_CONFORMANCE: Final = "response_schema_conformance"
NEGATIVE_DATA_REJECTION: Final = "negative_data_rejection"
IGNORED_AUTH: Final = "ignored_auth"

_MAX_REPORTED_ERRORS = 3


@dataclass(frozen=True, slots=True)
class CheckFailure:
    check: str
    title: str
    message: str


class _NotApplicable:
    """The check has nothing to say about this response (e.g. no schema documented)."""

    def __repr__(self) -> str:
        return "NOT_APPLICABLE"


NOT_APPLICABLE: Final = _NotApplicable()
CheckResult = CheckFailure | _NotApplicable | None
"""None: passed; a CheckFailure: failed; NOT_APPLICABLE: nothing to check."""


class ValidatorCache:
    """Compiles each schema's validator once, however many responses it checks."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self._exporter = contract_exporter(api, "response")
        self._validators: dict[int, tuple[Schema, SchemaValidator]] = {}

    def validator(self, schema: Schema) -> SchemaValidator:
        cached = self._validators.get(id(schema))
        if cached is not None:
            return cached[1]
        # Formats are checked (date, date-time, uuid, email, ...): a generated client parses
        # them into typed values, so a malformed one breaks it as surely as a wrong type.
        validator = SchemaValidator(self._exporter.export(schema), check_formats=True)
        # Keep the schema alive beside its validator, so its id is never reused by another.
        self._validators[id(schema)] = (schema, validator)
        return validator


@dataclass(slots=True)
class CheckContext:
    api: Api
    operation: Operation
    case: Case
    response: WireResponse
    validators: ValidatorCache
    notes: list[str] = field(default_factory=list)


def documented_response(operation: Operation, status: int) -> Response | None:
    """The response definition that covers a status: exact, then range, then default."""
    exact = str(status)
    wildcard = f"{status // 100}XX"
    by_status = {r.status.upper(): r for r in operation.responses}
    return by_status.get(exact) or by_status.get(wildcard) or by_status.get("DEFAULT")


def _essence(media_type: str) -> tuple[str, str]:
    main, _, sub = media_type.split(";", 1)[0].strip().lower().partition("/")
    return main, sub


def _media_matches(documented: str, received: str) -> bool:
    doc_main, doc_sub = _essence(documented)
    got_main, got_sub = _essence(received)
    return doc_main in ("*", got_main) and doc_sub in ("*", got_sub)


def matching_media(response: Response, content_type: str | None) -> MediaType | None:
    if content_type is None:
        return None
    exact = [m for m in response.content if _essence(m.media_type) == _essence(content_type)]
    if exact:
        return exact[0]
    for media in response.content:
        if _media_matches(media.media_type, content_type):
            return media
    return None


def not_a_server_error(ctx: CheckContext) -> CheckResult:
    if ctx.response.status >= 500:
        return CheckFailure(
            NOT_A_SERVER_ERROR,
            "Server error",
            f"Received {ctx.response.status}: a server error is never a conforming answer.",
        )
    return None


def status_code_conformance(ctx: CheckContext) -> CheckResult:
    responses = ctx.operation.responses
    if not responses or any(r.status.lower() == "default" for r in responses):
        return NOT_APPLICABLE
    if documented_response(ctx.operation, ctx.response.status) is not None:
        return None
    if 200 <= ctx.response.status < 300 and not any(
        r.status.upper().startswith("2") for r in responses
    ):
        # The description documents only failures: no success status is right, so a server
        # (the mock included) that succeeds cannot be judged. The description is at fault.
        ctx.notes.append(
            f"{STATUS_CODE_CONFORMANCE} not applicable: the operation documents no success "
            f"response (documented: {', '.join(r.status for r in responses)})"
        )
        return NOT_APPLICABLE
    allowed = ", ".join(r.status for r in responses)
    return CheckFailure(
        STATUS_CODE_CONFORMANCE,
        "Undocumented HTTP status code",
        f"Received {ctx.response.status}; documented: {allowed}.",
    )


def content_type_conformance(ctx: CheckContext) -> CheckResult:
    definition = documented_response(ctx.operation, ctx.response.status)
    if definition is None or not definition.content or ctx.case.operation.method == "head":
        return NOT_APPLICABLE
    documented = ", ".join(m.media_type for m in definition.content)
    received = ctx.response.content_type
    if received is None:
        if not ctx.response.body:
            # No body at all is not a wrong content type; the schema check judges emptiness.
            return NOT_APPLICABLE
        return CheckFailure(
            CONTENT_TYPE_CONFORMANCE,
            "Missing Content-Type header",
            f"The response has a body but no Content-Type; documented: {documented}.",
        )
    if "/" not in received:
        return CheckFailure(
            CONTENT_TYPE_CONFORMANCE,
            "Malformed Content-Type header",
            f"Received {received!r}, which is not a media type; documented: {documented}.",
        )
    if any(_media_matches(m.media_type, received) for m in definition.content):
        return None
    return CheckFailure(
        CONTENT_TYPE_CONFORMANCE,
        "Undocumented Content-Type",
        f"Received {received!r} for status {ctx.response.status}; documented: {documented}.",
    )


def _coerce_header(value: str, schema: Schema) -> Any:
    # Header values are strings on the wire; compare them as the type the schema declares.
    types = set(schema.non_null_types)
    if types & {"integer", "number"}:
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() and "integer" in types else number
    if "boolean" in types and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if types & {"array", "object"}:
        try:
            return json.loads(value)
        except ValueError:
            return value.split(",") if "array" in types else value
    return value


def _header_problems(ctx: CheckContext, headers: Iterable[Header]) -> list[str]:
    problems: list[str] = []
    for header in headers:
        if header.name.lower() == "content-type":
            continue  # content_type_conformance owns this header
        value = ctx.response.header(header.name)
        if value is None:
            if header.required:
                problems.append(f"missing required header '{header.name}'")
            continue
        resolved = ctx.api.resolve(header.schema)
        validator = ctx.validators.validator(header.schema)
        error = _first_error(validator, _coerce_header(value, resolved))
        if error is not None:
            problems.append(f"header '{header.name}': {value!r} {error}")
    return problems


def response_headers_conformance(ctx: CheckContext) -> CheckResult:
    definition = documented_response(ctx.operation, ctx.response.status)
    if definition is None or not definition.headers:
        return NOT_APPLICABLE
    problems = _header_problems(ctx, definition.headers)
    if not problems:
        return None
    missing = all(p.startswith("missing") for p in problems)
    return CheckFailure(
        RESPONSE_HEADERS_CONFORMANCE,
        "Missing required headers" if missing else "Response header does not conform to the schema",
        "; ".join(problems) + ".",
    )


def _first_error(validator: SchemaValidator, instance: Any) -> str | None:
    errors = validator.errors(instance)
    if not errors:
        return None
    parts = []
    for pointer, message in errors[:_MAX_REPORTED_ERRORS]:
        parts.append(f"at {pointer}: {message}" if pointer else message)
    more = len(errors) - _MAX_REPORTED_ERRORS
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


def response_schema_conformance(ctx: CheckContext) -> CheckResult:
    definition = documented_response(ctx.operation, ctx.response.status)
    if definition is None or ctx.case.operation.method == "head":
        return NOT_APPLICABLE
    media = matching_media(definition, ctx.response.content_type)
    if media is None or media.schema is None or not is_json_media_type(media.media_type):
        return NOT_APPLICABLE
    try:
        body = json.loads(ctx.response.body)
    except ValueError as exc:
        return CheckFailure(
            RESPONSE_SCHEMA_CONFORMANCE,
            "JSON deserialization error",
            f"The {media.media_type} body of status {ctx.response.status} is not JSON: {exc}.",
        )
    try:
        error = _first_error(ctx.validators.validator(media.schema), body)
    except Exception as exc:  # a schema the validator cannot use is the description's problem
        ctx.notes.append(f"{media.pointer or 'response schema'} cannot be used: {exc}")
        return NOT_APPLICABLE
    if error is None:
        return None
    return CheckFailure(
        RESPONSE_SCHEMA_CONFORMANCE,
        "Response violates schema",
        f"Status {ctx.response.status} ({media.media_type}), schema {media.pointer or '?'}: "
        f"{error}.",
    )


def negative_data_rejection(ctx: CheckContext) -> CheckResult:
    if ctx.case.kind != "negative":
        return NOT_APPLICABLE
    if ctx.response.status >= 400:
        return None
    return CheckFailure(
        NEGATIVE_DATA_REJECTION,
        "API accepted schema-violating request",
        f"Sent a request with {ctx.case.label}; expected a 4xx, received {ctx.response.status}.",
    )


def ignored_auth(ctx: CheckContext) -> CheckResult:
    if ctx.case.kind not in ("unauthenticated", "bad_credentials"):
        return NOT_APPLICABLE
    if not 200 <= ctx.response.status < 300:
        return None
    how = "without credentials" if ctx.case.kind == "unauthenticated" else "with wrong credentials"
    return CheckFailure(
        IGNORED_AUTH,
        "API accepts requests without authentication"
        if ctx.case.kind == "unauthenticated"
        else "API accepts invalid credentials",
        f"The operation requires authentication, but a request {how} received "
        f"{ctx.response.status}.",
    )


Check = Callable[[CheckContext], CheckResult]

ALL_CHECKS: Final[dict[str, Check]] = {
    NOT_A_SERVER_ERROR: not_a_server_error,
    STATUS_CODE_CONFORMANCE: status_code_conformance,
    CONTENT_TYPE_CONFORMANCE: content_type_conformance,
    RESPONSE_HEADERS_CONFORMANCE: response_headers_conformance,
    RESPONSE_SCHEMA_CONFORMANCE: response_schema_conformance,
    NEGATIVE_DATA_REJECTION: negative_data_rejection,
    IGNORED_AUTH: ignored_auth,
}

CONFORMANCE_CHECKS: Final = frozenset(
    {
        STATUS_CODE_CONFORMANCE,
        CONTENT_TYPE_CONFORMANCE,
        RESPONSE_HEADERS_CONFORMANCE,
        RESPONSE_SCHEMA_CONFORMANCE,
    }
)


def checks_for(case: Case, selected: Iterable[str]) -> list[str]:
    """Which of the selected checks judge a response to this kind of case.

    A schema-violating request is not held to `status_code_conformance`: descriptions rarely
    list every 4xx, and `negative_data_rejection` already judges the status. Its answer is still
    held to the documented content type, headers and schema when its status is documented.
    """
    chosen = [name for name in ALL_CHECKS if name in set(selected)]
    if case.kind == "positive":
        return [n for n in chosen if n not in (NEGATIVE_DATA_REJECTION, IGNORED_AUTH)]
    if case.kind == "negative":
        return [n for n in chosen if n not in (STATUS_CODE_CONFORMANCE, IGNORED_AUTH)]
    return [n for n in chosen if n in (NOT_A_SERVER_ERROR, IGNORED_AUTH)]


def run_checks(ctx: CheckContext, names: Iterable[str]) -> dict[str, CheckResult]:
    return {name: ALL_CHECKS[name](ctx) for name in names}
