"""Compiled validators and request validation (parameters and bodies) for one operation.

Validation runs on every request, so validators are compiled once per schema with
`jsonschema-rs` (Rust; ~10-50x faster than `jsonschema` on these payloads). When it refuses a
schema (a pattern only Python's `re` reads, say) the pure-Python `jsonschema` takes over for that
schema; when both refuse, the patterns are dropped and the refusal is reported once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs

import jsonschema
import jsonschema_rs
import orjson

from apiweld.mock import _params
from apiweld.mock.jsonschema import JsonSchemaExporter
from apiweld.spec.ir import Api, MediaType, Operation, Parameter, RequestBody, Schema

log = logging.getLogger("apiweld.mock")


_IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})


@dataclass(frozen=True, slots=True)
class ValidationProblem:
    """One failing place in a request (or response): where, and what is wrong."""

    location: str
    """`path`, `query`, `header`, `cookie`, `body` or `response`."""
    pointer: str
    """JSON pointer into the request, e.g. `/query/limit` or `/body/tags/0`."""
    message: str

    def as_json(self) -> dict[str, str]:
        return {"location": self.location, "pointer": self.pointer, "message": self.message}


class Validator(Protocol):
    def errors(self, instance: Any) -> list[tuple[str, str]]:
        """(JSON pointer inside the instance, message) for each failure; empty when valid."""
        ...


def _pointer(parts: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


class _RustValidator:
    def __init__(self, document: dict[str, Any], asserted_formats: bool = False) -> None:
        self._validator = jsonschema_rs.validator_for(document, validate_formats=asserted_formats)

    def errors(self, instance: Any) -> list[tuple[str, str]]:
        if self._validator.is_valid(instance):
            return []
        return [
            (_pointer(e.instance_path), e.message) for e in self._validator.iter_errors(instance)
        ]


class _PythonValidator:
    def __init__(self, document: dict[str, Any], asserted_formats: bool = False) -> None:
        jsonschema.Draft202012Validator.check_schema(document)
        checker = jsonschema.Draft202012Validator.FORMAT_CHECKER if asserted_formats else None
        self._validator = jsonschema.Draft202012Validator(document, format_checker=checker)

    def errors(self, instance: Any) -> list[tuple[str, str]]:
        return [
            (_pointer(e.absolute_path), e.message) for e in self._validator.iter_errors(instance)
        ]


class _AcceptAll:
    def errors(self, instance: Any) -> list[tuple[str, str]]:
        return []


def _without_patterns(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: _without_patterns(v)
            for k, v in node.items()
            if k != "pattern" and not (k == "patternProperties" and isinstance(v, dict))
        }
    if isinstance(node, list):
        return [_without_patterns(v) for v in node]
    return node


CLIENT_PARSED_FORMATS = frozenset({"date", "date-time", "uuid"})
"""Formats generated clients parse into Python types (a `date`, a `UUID`): a response value
breaking one fails the client even though JSON Schema leaves `format` unasserted."""

# Keywords whose values are data, not schemas: a `format` key inside them is not a keyword.
_DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples", "example"})


def _only_formats(node: Any, kept: frozenset[str]) -> Any:
    """The document with `format` keywords outside `kept` removed (only annotations then)."""
    if isinstance(node, dict):
        return {
            k: v if k in _DATA_KEYWORDS else _only_formats(v, kept)
            for k, v in node.items()
            if not (k == "format" and isinstance(v, str) and v not in kept)
        }
    if isinstance(node, list):
        return [_only_formats(v, kept) for v in node]
    return node


ALL_FORMATS: frozenset[str] = frozenset({"*"})
"""Assert every format the validator knows (as the contract checks do), not a chosen few."""


def compile_validator(
    document: dict[str, Any], *, where: str = "", asserted_formats: frozenset[str] = frozenset()
) -> Validator:
    """A validator for `document`; `asserted_formats` are checked, other formats annotate."""
    if asserted_formats and asserted_formats is not ALL_FORMATS:
        document = _only_formats(document, asserted_formats)
    for candidate in (document, _without_patterns(document)):
        for build in (_RustValidator, _PythonValidator):
            try:
                return build(candidate, bool(asserted_formats))
            except Exception:  # noqa: S112 - each library rejects bad schemas its own way
                continue
    log.warning("%s: schema cannot be compiled by any validator; not validated", where or "schema")
    return _AcceptAll()


_ASSERTED_FORMATS = {
    # Answers must survive the client's parsing; requests are judged as JSON Schema does.
    "request": frozenset(),
    "response": CLIENT_PARSED_FORMATS,
    # Values the mock takes from the description (examples, defaults) or makes up for the
    # client to send back (next-page cursors) are held to every format, as the contract
    # checks (`apiweld.testing.checks`) hold answers: descriptions' own examples break their
    # formats (a relative path for a `uri`), and the checks would then fail the mock's answer.
    "conformance": ALL_FORMATS,
}
_EXPORT_MODE = {"request": "request", "response": "response", "conformance": "response"}


class ValidatorCache:
    """One compiled validator per (schema, mode), built on first use.

    Modes: `request` (a request as JSON Schema judges it), `response` (an answer, with the
    formats clients parse asserted) and `conformance` (an answer with every format asserted,
    for values taken from the description rather than generated).
    """

    def __init__(self, api: Api) -> None:
        self._exporters = {
            mode: JsonSchemaExporter(api, mode=mode) for mode in ("request", "response")
        }
        self._cache: dict[tuple[int, str], tuple[Schema, Validator]] = {}

    def get(self, schema: Schema, mode: str, where: str = "") -> Validator:
        key = (id(schema), mode)
        hit = self._cache.get(key)
        if hit is not None:
            return hit[1]
        document = self._exporters[_EXPORT_MODE[mode]].export(schema)
        validator = compile_validator(
            document, where=where, asserted_formats=_ASSERTED_FORMATS[mode]
        )
        # Keep the schema alive with its validator so its id() is never reused by another.
        self._cache[key] = (schema, validator)
        return validator


@dataclass(slots=True)
class DecodedRequest:
    """A request as the validator sees it: typed parameter values and the parsed body."""

    path: dict[str, Any]
    query: dict[str, Any]
    header: dict[str, Any]
    cookie: dict[str, Any]
    body: Any = None
    has_body: bool = False
    media_type: str | None = None


class RequestValidator:
    """Decodes and validates the parameters of one operation; built once, reused."""

    def __init__(self, api: Api, operation: Operation, validators: ValidatorCache) -> None:
        self._api = api
        self._operation = operation
        self._validators = validators
        # OpenAPI: header parameters named Accept, Content-Type or Authorization are ignored.
        self._params = [
            (p, _params.shape_of(p.schema, api.resolve))
            for p in operation.parameters
            if not (p.location == "header" and p.name.lower() in _IGNORED_HEADERS)
        ]
        # Properties under allOf/oneOf/anyOf count too: an exploded form object whose
        # alternatives each carry one key (`user_id` or `email`) spreads whichever is sent.
        self._object_keys = {
            p.name: tuple(_params.object_properties(p.schema, api.resolve))
            for p in operation.parameters
        }

    def parameters(
        self,
        path_params: Mapping[str, str],
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        cookies: Mapping[str, str],
        problems: list[ValidationProblem],
    ) -> DecodedRequest:
        decoded = DecodedRequest(path={}, query={}, header={}, cookie={})
        for param, shape in self._params:
            raw = self._raw(param, shape, path_params, query, headers, cookies)
            where = f"/{param.location}/{param.name}"
            if raw is _params.MISSING:
                if param.required:
                    problems.append(
                        ValidationProblem(
                            param.location,
                            where,
                            f"required {param.location} parameter {param.name!r} is missing",
                        )
                    )
                continue
            if raw == "" and param.allow_empty_value:
                # `?uploads`: the key alone is the value (a flag), whatever the schema's type.
                getattr(decoded, param.location)[param.name] = ""
                continue
            if param.content_media_type is not None and isinstance(raw, str):
                value = _params.decode_content(raw, param.content_media_type)
            else:
                value = _params.coerce(raw, param.schema, self._api.resolve)
            getattr(decoded, param.location)[param.name] = value
            validator = self._validators.get(param.schema, "request", where)
            for pointer, message in validator.errors(value):
                problems.append(ValidationProblem(param.location, where + pointer, message))
        return decoded

    def _raw(
        self,
        param: Parameter,
        shape: str,
        path_params: Mapping[str, str],
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        cookies: Mapping[str, str],
    ) -> Any:
        if param.location == "path":
            value = path_params.get(param.name)
            return _params.MISSING if value is None else _params.decode_path(param, value, shape)
        if param.location == "query":
            if param.content_media_type is not None:
                values = query.get(param.name)
                return _params.MISSING if not values else values[-1]
            return _params.decode_query(param, query, shape, self._object_keys[param.name])
        source = (
            headers.get(param.name.lower())
            if param.location == "header"
            else cookies.get(param.name)
        )
        if source is None:
            return _params.MISSING
        if param.content_media_type is not None:
            return source
        explode = param.explode if param.location == "header" else False
        return _params.decode_simple(source, shape, explode)

    def body_schema_problems(
        self, media: MediaType, value: Any, problems: list[ValidationProblem]
    ) -> None:
        if media.schema is None:
            return
        validator = self._validators.get(media.schema, "request", "/body")
        for pointer, message in validator.errors(value):
            problems.append(ValidationProblem("body", "/body" + pointer, message))


class MalformedBody(Exception):
    """The body does not parse as its media type (a 400, not a 422)."""


def parse_form(raw: bytes, media: MediaType, api: Api) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedBody("form body is not UTF-8") from exc
    fields = parse_qs(text, keep_blank_values=True)
    return form_fields_to_object(fields, media, api)


def form_fields_to_object(
    fields: Mapping[str, list[Any]], media: MediaType, api: Api
) -> dict[str, Any]:
    schema = api.resolve(media.schema) if media.schema is not None else Schema()
    props = {p.name: p.schema for p in schema.properties}
    out: dict[str, Any] = {}
    for key, values in fields.items():
        prop = props.get(key, Schema())
        if _params.shape_of(prop, api.resolve) == "array":
            expanded: list[Any] = []
            for v in values:
                expanded.extend(v.split(",") if isinstance(v, str) and len(values) == 1 else [v])
            out[key] = _params.coerce(expanded, prop, api.resolve)
        else:
            value = values[-1]
            if isinstance(value, str) and _params.shape_of(prop, api.resolve) == "object":
                # An object field arrives as JSON, or as `k,v,k2,v2` (form style, no explode).
                try:
                    value = orjson.loads(value)
                except orjson.JSONDecodeError:
                    value = _params.decode_simple(value, "object", explode="=" in value)
            out[key] = (
                _params.coerce(value, prop, api.resolve) if isinstance(value, str | dict) else value
            )
    return out


def parse_json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MalformedBody(f"body is not valid JSON: {exc}") from exc


def body_media(body: RequestBody, content_type: str | None) -> MediaType | None:
    """The request body media type entry matching the request's Content-Type, wildcards allowed."""
    if content_type is None:
        return None
    essence = content_type.split(";", 1)[0].strip().lower()
    kind = essence.split("/", 1)[0]
    # The most specific declaration wins: exact, then `type/*`, then `*/*`.
    for wanted in (essence, f"{kind}/*", "*/*"):
        for media in body.content:
            if media.media_type.split(";", 1)[0].strip().lower() == wanted:
                return media
    return None
