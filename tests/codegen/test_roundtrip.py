"""Response examples from descriptions, through the generated client and back to JSON.

For each success response example that is valid against its schema (checked with jsonschema,
formats included), a loopback server answers the operation with it; the generated client parses
it through its raw-response method into the models, and the value dumped back
(`mode="json", by_alias=True, exclude_unset=True`) must equal the example. Equality is JSON
equality (5 == 5.0) where date-times, dates and UUIDs compare by value, since those are parsed
into Python objects and written back in one canonical spelling.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pydantic
import pytest

from apiweld.codegen import GenerationReport
from apiweld.mock.jsonschema import JsonSchemaExporter
from apiweld.runtime import APIResponseValidationError
from apiweld.spec import load
from apiweld.spec.ir import Api, Operation

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"
SEED = 4
Build = Callable[..., tuple[ModuleType, GenerationReport]]
# Serialises whatever the client parsed (a model, a list of models, a plain value) the way each
# model serialises itself.
_ANY: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(Any)


class _Canned:
    status = 200
    body = b"null"
    content_type = "application/json"


class _Handler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(_Canned.status)
        self.send_header("Content-Type", _Canned.content_type)
        self.send_header("Content-Length", str(len(_Canned.body)))
        self.end_headers()
        self.wfile.write(_Canned.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = do_TRACE = _answer

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def canned_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _examples(api: Api, op: Operation) -> Iterator[tuple[int, str, Any]]:
    exporter = JsonSchemaExporter(api, mode="response")
    for response in op.success_responses:
        if not response.status.isdigit():
            continue
        for media in response.content:
            kind = media.media_type.split(";")[0].strip().lower()
            if media.schema is None or not (kind == "application/json" or kind.endswith("+json")):
                continue
            values = [e.value for e in media.examples if e.external_value is None]
            values.extend(api.resolve(media.schema).examples[:1])
            if not values:
                continue
            try:
                validator = jsonschema.Draft202012Validator(
                    _objects_typed(exporter.export(media.schema)),
                    format_checker=jsonschema.FormatChecker(),
                )
            except Exception:  # a schema the validator cannot use proves nothing either way
                continue
            for value in values:
                try:
                    valid = validator.is_valid(value)
                except Exception:
                    valid = False
                if valid:
                    yield int(response.status), media.media_type, value


def _objects_typed(schema: Any) -> Any:
    """`properties` without `type` read as an object, as OpenAPI tools (and models) read it.

    Plain JSON Schema would accept a string there; no generator models that.
    """
    if isinstance(schema, list):
        return [_objects_typed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    typed = {key: _objects_typed(value) for key, value in schema.items()}
    if "properties" in typed and "type" not in typed and isinstance(typed["properties"], dict):
        typed["type"] = "object"
    return typed


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(
            _same(expected[k], actual[k]) for k in expected
        )
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(
            _same(a, b) for a, b in zip(expected, actual, strict=True)
        )
    if isinstance(expected, str) and isinstance(actual, str) and expected != actual:
        for parse in (dt.datetime.fromisoformat, dt.date.fromisoformat, uuid.UUID):
            try:
                normal = (expected.replace("Z", "+00:00"), actual.replace("Z", "+00:00"))
                return bool(parse(normal[0]) == parse(normal[1]))
            except ValueError:
                continue
        return False
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    return bool(expected == actual)


def _dummy(annotation: str) -> Any:
    return {} if annotation.startswith(("dict", "_t.Any")) or "| dict" in annotation else "1"


def _round_trip(build: Build, description: Path, base_url: str) -> tuple[int, list[str]]:
    api = load(description)
    package, report = build(description)
    client_name = next(n for n in package.__all__ if n != "models" and not n.startswith("Async"))
    client = getattr(package, client_name)(base_url=base_url, retry=None)
    checked = 0
    mismatches: list[str] = []
    for op in api.operations:
        target = report.methods.get(op.id)
        if target is None:
            continue
        resource_name, method_name = target.split(".")
        method = getattr(getattr(client, resource_name).with_raw_response, method_name)
        arguments = _required_arguments(method)
        for status, media_type, example in _examples(api, op):
            _Canned.status, _Canned.content_type = status, media_type
            _Canned.body = json.dumps(example).encode()
            try:
                parsed = method(**arguments).parse()
            except APIResponseValidationError as error:
                mismatches.append(f"{description.name} {op.id} {status}: {error}")
                continue
            dumped = _ANY.dump_python(parsed, mode="json", by_alias=True, exclude_unset=True)
            checked += 1
            if not _same(example, dumped):
                mismatches.append(f"{description.name} {op.id} {status}: {example!r} -> {dumped!r}")
    return checked, mismatches


def _required_arguments(method: Any) -> dict[str, Any]:
    import inspect

    arguments: dict[str, Any] = {}
    for name, parameter in inspect.signature(method).parameters.items():
        if (
            parameter.default is inspect.Parameter.empty
            and parameter.kind is parameter.KEYWORD_ONLY
        ):
            arguments[name] = _dummy(str(parameter.annotation))
    return arguments


def test_petstore_examples_round_trip(build: Build, canned_server: str) -> None:
    checked, mismatches = _round_trip(build, ROOT / "examples" / "petstore.yaml", canned_server)
    assert checked >= 1
    assert mismatches == []


def _response_examples_in(document: Any) -> int:
    """How many success responses of a raw description carry an example (a cheap pre-filter)."""
    count = 0
    for item in (document.get("paths") or {}).values():
        for op in item.values() if isinstance(item, dict) else ():
            responses = op.get("responses") if isinstance(op, dict) else None
            for status, response in (responses or {}).items():
                if not str(status).startswith("2") or not isinstance(response, dict):
                    continue
                for media in (response.get("content") or {}).values():
                    count += isinstance(media, dict) and ("example" in media or "examples" in media)
    return count


def _with_examples(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.rglob("*.json") if p.stat().st_size < 600_000)
    return [p for p in files if _response_examples_in(json.loads(p.read_text("utf-8"))) >= 3]


def test_seeded_corpus_examples_round_trip(build: Build, canned_server: str) -> None:
    candidates = _with_examples(CORPUS / "apis-guru")
    sample = random.Random(SEED).sample(candidates, 8)
    total = 0
    mismatches: list[str] = []
    for description in sample:
        checked, bad = _round_trip(build, description, canned_server)
        total += checked
        mismatches.extend(bad)
    assert total >= 10, f"only {total} examples checked in {[p.name for p in sample]}"
    assert mismatches == [], "\n".join(m[:600] for m in mismatches[:20])


@pytest.mark.corpus_full
def test_github_examples_round_trip(build: Build, canned_server: str) -> None:
    checked, mismatches = _round_trip(
        build, CORPUS / "github" / "api.github.com.json", canned_server
    )
    assert checked >= 100
    assert mismatches == [], "\n".join(m[:600] for m in mismatches[:20])


def _pet(extra: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["petType"],
        "properties": {"petType": {"type": "string"}, "name": {"type": "string"}, extra: {}},
    }


def test_discriminated_examples_round_trip(
    build: Build, canned_server: str, tmp_path: Path
) -> None:
    """Each tagged payload comes back as its own member (Dog would accept a cat's fields too),
    and a tag the description does not know still parses and round-trips."""
    cat = {"petType": "cat", "name": "Tom"}
    examples: dict[str, dict[str, Any]] = {
        "cat": {"value": cat},
        "dog": {"value": {"petType": "dog", "barks": True}},
        "ferret": {"value": {"petType": "ferret", "name": "F", "sneaky": True}},
    }
    union = {
        "anyOf": [{"$ref": "#/components/schemas/Dog"}, {"$ref": "#/components/schemas/Cat"}],
        "discriminator": {
            "propertyName": "petType",
            "mapping": {"dog": "#/components/schemas/Dog", "cat": "#/components/schemas/Cat"},
        },
    }
    description = {
        "openapi": "3.0.3",
        "info": {"title": "Pets", "version": "1"},
        "paths": {
            "/pet": {
                "get": {
                    "operationId": "getPet",
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {
                                "application/json": {"schema": union, "examples": examples}
                            },
                        }
                    },
                }
            }
        },
        "components": {"schemas": {"Dog": _pet("barks"), "Cat": _pet("lives")}},
    }
    path = tmp_path / "pets.json"
    path.write_text(json.dumps(description))
    checked, mismatches = _round_trip(build, path, canned_server)
    assert checked == 3
    assert mismatches == []
    package, report = build(path)
    client = package.Pets(base_url=canned_server, retry=None)
    resource, method = report.methods["get_pet"].split(".")
    _Canned.status, _Canned.content_type = 200, "application/json"
    _Canned.body = json.dumps(cat).encode()
    assert type(getattr(getattr(client, resource), method)()).__name__ == "Cat"
