"""The mock against real descriptions: it starts for each one the loader accepts, and its answers
to valid requests validate against the description's own schemas.

The check is independent of the mock: each response body is validated with
`openapi-schema-validator` against the schema at the response's JSON pointer in the *raw*
description (its `$ref`s resolved by `referencing` inside that document), not against the IR or
the mock's JSON Schema export.
"""

from __future__ import annotations

import base64
import random
import re
import sys
import warnings
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import httpx
import jsonschema_rs
import orjson
import pytest
from jsonschema import validators
from jsonschema.exceptions import UnknownType
from openapi_schema_validator import OAS30Validator, OAS31Validator
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT4, DRAFT202012

from apiweld.mock import MockServer
from apiweld.mock._handlers import UNSATISFIED
from apiweld.mock.datagen import DataGenerator, GenerationOptions
from apiweld.spec import SpecError, load
from apiweld.spec.ir import Api, Operation, Parameter

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
ALL = sorted(str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*.json"))
# A seeded sample for the normal suite; the whole corpus runs under `corpus_full`.
SAMPLE = sorted(random.Random(20261127).sample([p for p in ALL if "github" not in p], 8))
DOC_URI = "urn:apiweld:description"
# OpenAPI ignores the first three as parameters; the others are the HTTP client's to set.
IGNORED_HEADERS = {
    "accept",
    "content-type",
    "authorization",
    "content-length",
    "host",
    "transfer-encoding",
    "connection",
}


@cache
def loaded(relative: str) -> Api | None:
    try:
        return load(CORPUS / relative)
    except SpecError:
        return None  # the loader refuses it with its own error; nothing to mock


def start_and_probe(relative: str) -> None:
    api = loaded(relative)
    if api is None:
        pytest.skip("the spec layer does not load this description")
    with MockServer(api, seed=1) as url:
        # The server answers; a path no template matches is a clean 404 (a description with a
        # catch-all `/{path}` template may match it, and then answers as that operation).
        response = httpx.get(f"{url}/__apiweld__/no/such/path/in/any/description/at/all")
        assert response.status_code == 404 or response.status_code < 500


@pytest.mark.parametrize("relative", SAMPLE)
def test_mock_starts_for_sampled_descriptions(relative: str) -> None:
    start_and_probe(relative)


@pytest.mark.corpus_full
@pytest.mark.parametrize("relative", ALL)
def test_mock_starts_for_every_loadable_description(relative: str) -> None:
    start_and_probe(relative)


@pytest.mark.parametrize("relative", SAMPLE)
def test_sampled_responses_validate_against_the_raw_description(relative: str) -> None:
    answered, invalid_requests = check_every_operation(relative)
    # Not vacuous: most of the generated requests are valid, so most answers were checked.
    assert answered >= 2 * invalid_requests, (answered, invalid_requests)


@pytest.mark.corpus_full
@pytest.mark.parametrize("relative", ALL)
def test_every_response_validates_against_the_raw_description(relative: str) -> None:
    check_every_operation(relative)


def intended_reading(node: Any, schemas: dict[str, Any] | None = None) -> Any:
    """The description with `additionalProperties: false` beside `allOf`/`oneOf`/`anyOf`
    read as its authors and clients do (nothing beyond the composed properties), not as
    JSON Schema does (which forbids the composed parts' own properties, so no object is
    valid). Draft 2020-12's `unevaluatedProperties` says that; draft 4 (3.0) has no word for
    it and is left without the constraint. Likewise a closed `allOf` part beside sibling
    properties or parts closes the whole, not itself: it is inlined open."""
    if schemas is None and isinstance(node, dict):
        found = node.get("components", {}).get("schemas", {})
        schemas = found if isinstance(found, dict) else {}
    return _read(node, schemas or {}, frozenset())


def _read(node: Any, schemas: dict[str, Any], inlining: frozenset[str]) -> Any:
    if isinstance(node, list):
        return [_read(v, schemas, inlining) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _read(v, schemas, inlining) for k, v in node.items()}
    parts = out.get("allOf")
    if isinstance(parts, list) and (out.get("properties") or len(parts) > 1):
        out["allOf"] = [_open_part(part, schemas, inlining) for part in parts]
    composed = any(isinstance(out.get(k), list) for k in ("allOf", "oneOf", "anyOf"))
    if composed and out.get("additionalProperties") is False:
        del out["additionalProperties"]
        out["unevaluatedProperties"] = False
    return out


_SCHEMA_REF = "#/components/schemas/"


def _open_part(part: Any, schemas: dict[str, Any], inlining: frozenset[str]) -> Any:
    if not isinstance(part, dict):
        return part
    ref = part.get("$ref")
    if isinstance(ref, str) and ref.startswith(_SCHEMA_REF):
        name = ref[len(_SCHEMA_REF) :]
        target = schemas.get(name)
        if name in inlining or not isinstance(target, dict):
            return part
        if target.get("additionalProperties") is not False:
            return part
        part = _read(target, schemas, inlining | {name})
    opened = dict(part)
    if opened.get("additionalProperties") is False:
        del opened["additionalProperties"]
    opened.pop("unevaluatedProperties", None)
    return opened


def check_every_operation(relative: str) -> tuple[int, int]:
    """Checks every answer; returns (answered, requests the generator got wrong)."""
    api = loaded(relative)
    if api is None:
        pytest.skip("the spec layer does not load this description")
    raw = intended_reading(orjson.loads((CORPUS / relative).read_bytes()))
    is_31 = str(raw.get("openapi", "")).startswith("3.1")
    validator_class = lenient_patterns(OAS31Validator if is_31 else OAS30Validator)
    spec = DRAFT202012 if is_31 else DRAFT4
    registry: Registry[Any] = Registry().with_resource(
        DOC_URI, Resource.from_contents(raw, default_specification=spec)
    )
    generator = DataGenerator(api, GenerationOptions(direction="request"))
    # jsonschema walks nested values recursively, several frames per level of a deep response.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 6000))
    failures: list[str] = []
    unsatisfiable: list[str] = []
    answered = sent = 0
    invalid_requests = 0
    server = MockServer(api, seed=3)
    with server as url, httpx.Client(base_url=url, timeout=10) as client:
        for op in api.operations:
            if op.method in ("head", "options", "trace"):
                continue
            request, generated = build_request(api, op, generator)
            response = client.request(op.method.upper(), **request)
            sent += 1
            where = f"{op.method.upper()} {op.path} -> {response.status_code}"
            if is_rejection(response):
                # Our generated request may be invalid (an unsatisfiable schema, a pattern the
                # generator cannot honour); only a rejection of a request the independent
                # validator accepts is the mock's fault.
                if all_valid(generated, registry, validator_class):
                    failures.append(f"{where}: rejected a valid request: {response.text[:300]}")
                else:
                    invalid_requests += 1
                continue
            answered += 1
            record = server.wait_for_requests(sent)[-1]
            # Descriptions with two templates no request can tell apart (`/countries/{name}`
            # beside `/countries/{guid}`, both any string) are answered as one of them: the
            # answer is held to the schema of the operation the mock says it served.
            served = api.operation(record.operation_id) if record.operation_id else op
            problem = check_response(served, response, registry, validator_class)
            if problem and UNSATISFIED in record.problems:
                # The mock itself reports that no valid value was found (and says so in its
                # log): a description whose schema admits none, e.g. `additionalProperties:
                # false` beside required properties defined in another `allOf` part.
                unsatisfiable.append(f"{where}: {problem}")
            elif problem:
                failures.append(f"{where}: {problem}")
    assert not failures, "\n".join(failures[:20])
    if unsatisfiable:
        warnings.warn(
            "\n".join(["reported unsatisfiable by the mock:", *unsatisfiable[:5]]), stacklevel=1
        )
    return answered, invalid_requests


REJECTIONS = {"Request validation failed", "Malformed request", "Unsupported Media Type"}


def is_rejection(response: httpx.Response) -> bool:
    """The mock refused the request (not: it served a declared 4xx as the answer)."""
    if response.headers.get("content-type") != "application/problem+json":
        return False
    body = orjson.loads(response.content)
    return isinstance(body, dict) and body.get("title") in REJECTIONS


def all_valid(
    generated: list[tuple[str, Any]], registry: Registry[Any], validator_class: Any
) -> bool:
    for pointer, value in generated:
        validator = validator_class({"$ref": f"{DOC_URI}#{pointer}"}, registry=registry)
        try:
            if not validator.is_valid(value):
                return False
        except Unresolvable:
            continue  # Swagger 2.0 parameters carry their type inline, with no `schema`
        except (re.error, UnknownType, RecursionError):
            return False  # a pattern Python cannot read, a malformed schema: validity unproven
    return True


def lenient_patterns(validator_class: Any) -> Any:
    """The validator with its `pattern` keyword matched by an ECMA-262 engine (the Rust `regex`
    behind jsonschema-rs), as JSON Schema prescribes. Python's `re` reads neither `\\p{L}` nor
    ECMA's `.`, and takes exponential time on patterns like `([\\w.-]*)*$` against a value
    that does not match. Every other keyword is checked by openapi-schema-validator."""
    from jsonschema import ValidationError

    def pattern(validator: Any, value: str, instance: Any, schema: Any) -> Any:
        if not isinstance(instance, str):
            return
        try:
            matcher = jsonschema_rs.validator_for({"pattern": value})
        except Exception:
            return  # neither engine reads it: unchecked
        if not matcher.is_valid(instance):
            yield ValidationError(f"{instance!r} does not match {value!r}")

    def admits_null(keyword: str) -> Any:
        original = validator_class.VALIDATORS[keyword]

        def check(validator: Any, value: Any, instance: Any, schema: Any) -> Any:
            # `nullable: true` admits null even without a sibling `type` (beside a oneOf) and
            # in 3.1 documents that still use it: the reading most descriptions are written
            # for, and the loader's. OpenAPI 3.0.3's narrower text is the one exception made.
            if instance is None and isinstance(schema, dict) and schema.get("nullable") is True:
                return
            yield from original(validator, value, instance, schema)

        return check

    keywords = {k: admits_null(k) for k in ("type", "oneOf", "anyOf")}
    return validators.extend(validator_class, {"pattern": pattern, **keywords})


def check_response(
    op: Operation, response: httpx.Response, registry: Registry[Any], validator_class: Any
) -> str | None:
    declared = None
    status = str(response.status_code)
    for candidate in (status, f"{status[0]}XX", "default"):
        declared = next((r for r in op.responses if r.status == candidate), None)
        if declared is not None:
            break
    if declared is None:
        only_interim = all(r.status.startswith("1") for r in op.responses)
        if only_interim or response.status_code in (401, 404, 406):
            return None  # nothing declared to hold it to, or the mock's own refusal
        only_errors = not any(r.status[0] in "23" or r.status == "default" for r in op.responses)
        if only_errors and response.status_code in (200, 204) and not response.content:
            return None  # a valid request where only errors are documented: bare success
        return "status not declared"
    content_type = response.headers.get("content-type", "").split(";")[0]
    if not declared.content or response.status_code in (204, 304):
        return None
    media = next((m for m in declared.content if covers(m.media_type, content_type)), None)
    if media is None:
        return f"content type {content_type!r} not declared"
    if "json" not in content_type or media.schema is None:
        return None
    body = orjson.loads(response.content)
    schema = {"$ref": f"{DOC_URI}#{media.pointer}/schema"}
    validator = validator_class(schema, registry=registry)
    try:
        errors = [e for e in validator.iter_errors(body) if not requires_undefined_property(e)]
    except UnknownType:
        return None  # the description's schema is malformed (`type: {...}`): nothing to check
    if errors:
        worst = errors[0]
        where = "/" + "/".join(str(p) for p in worst.absolute_path)
        return f"{where}: {worst.message[:200]}"
    return None


def covers(declared: str, sent: str) -> bool:
    kind, _, sub = declared.split(";")[0].strip().lower().partition("/")
    sent_kind, _, sent_sub = sent.lower().partition("/")
    return kind in ("*", sent_kind) and sub in ("*", sent_sub)


def requires_undefined_property(error: Any) -> bool:
    """A `required` name that the schema never defines under `properties`: an inconsistent
    description that the IR cannot express (it keeps `required` per defined property), so the
    mock cannot know of it. Everything else is checked."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        # A branch that failed only for such names is the one the value was meant for.
        by_branch: dict[Any, list[Any]] = {}
        for sub_error in error.context:
            by_branch.setdefault(sub_error.schema_path[0], []).append(sub_error)
        return any(
            all(requires_undefined_property(e) for e in errors) for errors in by_branch.values()
        )
    if error.validator != "required" or not isinstance(error.schema, dict):
        return False
    defined = error.schema.get("properties", {})
    missing = [name for name in error.validator_value if name not in error.instance]
    return all(name not in defined for name in missing)


def form_value(value: Any) -> str:
    """A form field: objects (and arrays holding them) as JSON, primitives as text."""
    nested = isinstance(value, dict) or (
        isinstance(value, list) and any(isinstance(v, dict | list) for v in value)
    )
    return orjson.dumps(value).decode() if nested else serialise(value)


def serialise(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(serialise(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k},{serialise(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def build_request(
    api: Api, op: Operation, generator: DataGenerator
) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """Keyword arguments for httpx, and (raw schema pointer, value) for each generated part."""
    rng = random.Random(op.id)
    generated: list[tuple[str, Any]] = []
    path = op.path
    params: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    cookies: dict[str, str] = {}
    for param in op.parameters:
        if param.location != "path" and not param.required:
            continue
        if param.location == "header" and param.name.lower() in IGNORED_HEADERS:
            continue
        value = generator.generate(param.schema, rng)
        if param.content_media_type is None:
            generated.append((f"{param.pointer}/schema", value))
        place(param, value, params, headers, cookies)
        if param.location == "path":
            text = serialise(value) or "x"
            if param.style == "label":
                text = "." + text
            elif param.style == "matrix":
                text = f";{param.name}={text}"
            path = path.replace("{" + param.name + "}", quote(text, safe=",;=.:@"))
    add_credentials(api, op, params, headers, cookies)
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    # A path key may carry a query (`/export?filename={filename}`); httpx would drop it when
    # given `params`, so it travels in `params` too.
    path, _, key_query = path.partition("#")[0].partition("?")
    params = parse_qsl(key_query, keep_blank_values=True) + params
    request: dict[str, Any] = {"url": path, "params": params, "headers": headers}
    body = op.request_body
    if body is not None and body.content:
        media = next((m for m in body.content if "json" in m.media_type), body.content[0])
        value = generator.generate(media.schema, rng) if media.schema is not None else {}
        if media.schema is not None:
            generated.append((f"{media.pointer}/schema", value))
        kind = media.media_type.split(";")[0]
        if "json" in kind or kind == "*/*":
            request["content"] = orjson.dumps(value)
            headers["Content-Type"] = "application/json" if kind == "*/*" else kind
        elif kind == "application/x-www-form-urlencoded" and isinstance(value, dict):
            request["data"] = {k: form_value(v) for k, v in value.items()}
        elif kind.startswith("multipart/"):
            parts = value.items() if isinstance(value, dict) else [("file", value)]
            request["files"] = {k: (None, form_value(v)) for k, v in parts} or {"_": (None, "")}
        else:
            request["content"] = b"payload"
            headers["Content-Type"] = kind if "*" not in kind else "application/octet-stream"
    return request, generated


def place(
    param: Parameter,
    value: Any,
    params: list[tuple[str, str]],
    headers: dict[str, str],
    cookies: dict[str, str],
) -> None:
    if param.content_media_type is not None:
        text = orjson.dumps(value).decode()
    else:
        text = serialise(value)
    if param.location == "query":
        if param.style == "deepObject" and isinstance(value, dict):
            params.extend((f"{param.name}[{k}]", serialise(v)) for k, v in value.items())
        elif isinstance(value, dict) and param.explode and param.content_media_type is None:
            params.extend((k, serialise(v)) for k, v in value.items())
        elif isinstance(value, list) and param.explode and param.content_media_type is None:
            params.extend((param.name, serialise(v)) for v in value)
        else:
            separator = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(param.style)
            if separator and isinstance(value, list):
                text = separator.join(serialise(v) for v in value)
            params.append((param.name, text))
    elif param.location == "header":
        headers[param.name] = text
    elif param.location == "cookie":
        cookies[param.name] = text


def add_credentials(
    api: Api,
    op: Operation,
    params: list[tuple[str, str]],
    headers: dict[str, str],
    cookies: dict[str, str],
) -> None:
    requirements = api.security_for(op)
    if not requirements:
        return
    for name, _ in requirements[0]:
        scheme = api.security_schemes.get(name)
        if scheme is None:
            continue
        if scheme.type == "apiKey" and scheme.param_name:
            if scheme.location == "query":
                params.append((scheme.param_name, "key-1"))
            elif scheme.location == "cookie":
                cookies[scheme.param_name] = "key-1"
            else:
                headers[scheme.param_name] = "key-1"
        elif scheme.type == "http" and scheme.scheme == "basic":
            headers["Authorization"] = "Basic " + base64.b64encode(b"user:pass").decode()
        elif scheme.type == "http" and scheme.scheme not in (None, "bearer"):
            headers["Authorization"] = f"{scheme.scheme.capitalize()} token-1"
        else:
            headers["Authorization"] = "Bearer token-1"
