"""Generated-code bugs the round-2 stress run found on real descriptions, each on a reproducer.

- a property or parameter named `l`, `I` or `O` (SendGrid) must not fail ruff E741;
- `allOf: [$ref to a nullable schema, {description}]` (DigitalOcean) keeps the null;
- a response whose schema is `{type: "null"}` (SendGrid) returns None, and the generated suite
  does not assign that result;
- an object query parameter typed by a `oneOf` of models (Intercom) also takes a dict;
- array defaults with `items`, and defaults of `anyOf`/`oneOf` schemas (OpenAI), are kept.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from apiweld.codegen import GenerationReport, generate_package
from apiweld.codegen._names import returns_nothing
from apiweld.mock import MockServer
from apiweld.spec import load

Build = Callable[..., tuple[ModuleType, GenerationReport]]

AMBIGUOUS_NAMES: dict[str, Any] = {
    "openapi": "3.0.0",
    "info": {"title": "AmbiguousL", "version": "1"},
    "servers": [{"url": "https://api.example.com"}],
    "paths": {
        "/q": {
            "post": {
                "operationId": "query",
                "parameters": [
                    {"name": "l", "in": "query", "schema": {"type": "integer"}},
                    {"name": "O", "in": "query", "schema": {"type": "string"}},
                ],
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "op": {"type": "string"},
                                    "l": {"type": "integer"},
                                    "I": {"type": "integer"},
                                    "O": {"type": "integer"},
                                },
                            }
                        }
                    }
                },
                "responses": {"204": {"description": "ok"}},
            }
        }
    },
}

ALLOF_NULLABLE: dict[str, Any] = {
    "openapi": "3.0.0",
    "info": {"title": "AllofNullable", "version": "1"},
    "servers": [{"url": "https://api.example.com"}],
    "paths": {
        "/droplets/{id}": {
            "get": {
                "operationId": "get_droplet",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Droplet"}}
                        },
                    }
                },
            }
        }
    },
    "components": {
        "schemas": {
            "Window": {
                "type": "object",
                "nullable": True,
                "properties": {"start": {"type": "string"}},
            },
            "Size": {
                "type": "object",
                "nullable": True,
                "properties": {"slug": {"type": "string"}},
            },
            "Droplet": {
                "type": "object",
                "required": ["id", "window", "both", "strict"],
                "properties": {
                    "id": {"type": "integer"},
                    "window": {
                        "allOf": [
                            {"$ref": "#/components/schemas/Window"},
                            {"description": "the backup window, if any"},
                        ]
                    },
                    # Every part nullable: the merged model is nullable too.
                    "both": {
                        "allOf": [
                            {"$ref": "#/components/schemas/Window"},
                            {"$ref": "#/components/schemas/Size"},
                        ]
                    },
                    # One part not nullable: null stays invalid.
                    "strict": {
                        "allOf": [
                            {"$ref": "#/components/schemas/Window"},
                            {"type": "object", "properties": {"end": {"type": "string"}}},
                        ]
                    },
                },
            },
        }
    },
}

NULL_SCHEMA_RESPONSE: dict[str, Any] = {
    "swagger": "2.0",
    "info": {"title": "NullSchemaResponse", "version": "1"},
    "host": "example.com",
    "basePath": "/",
    "paths": {
        "/lists/{list_id}/recipients": {
            "post": {
                "operationId": "add_recipients",
                "parameters": [
                    {"name": "list_id", "in": "path", "required": True, "type": "integer"}
                ],
                "responses": {"201": {"description": "ok", "schema": {"type": "null"}}},
            }
        },
        "/lists": {
            "get": {
                "operationId": "get_lists",
                "responses": {"200": {"description": "ok", "schema": {"type": "string"}}},
            }
        },
    },
}

QUERY_OBJECT_ONEOF: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "FormExplodeOneOf", "version": "1"},
    "servers": [{"url": "https://api.example.com"}],
    "paths": {
        "/events": {
            "get": {
                "operationId": "listEvents",
                "parameters": [
                    {
                        "in": "query",
                        "name": "filter",
                        "required": True,
                        "style": "form",
                        "explode": True,
                        "schema": {
                            "type": "object",
                            "oneOf": [
                                {
                                    "properties": {"user_id": {"type": "string"}},
                                    "required": ["user_id"],
                                    "additionalProperties": False,
                                },
                                {
                                    "properties": {"email": {"type": "string"}},
                                    "required": ["email"],
                                    "additionalProperties": False,
                                },
                            ],
                        },
                    },
                    {"name": "type", "in": "query", "required": True, "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "events": {"type": "array", "items": {"type": "string"}}
                                    },
                                }
                            }
                        },
                    }
                },
            }
        }
    },
}

DEFAULTS: dict[str, Any] = {
    "openapi": "3.0.0",
    "info": {"title": "DefaultArrayAnyOf", "version": "1"},
    "servers": [{"url": "https://api.example.com"}],
    "paths": {
        "/things": {
            "post": {
                "operationId": "create_thing",
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}
                    }
                },
                "responses": {"204": {"description": "ok"}},
            }
        }
    },
    "components": {
        "schemas": {
            "Modality": {"type": "string", "enum": ["text", "audio"]},
            "Thing": {
                "type": "object",
                "properties": {
                    "tags": {"type": "array", "items": {"type": "string"}, "default": []},
                    "modalities": {
                        "type": "array",
                        "items": {"type": "string", "enum": ["text", "audio"]},
                        "default": ["audio"],
                    },
                    "named_modalities": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Modality"},
                        "default": ["audio"],
                    },
                    "voice": {
                        "anyOf": [
                            {"type": "string"},
                            {"type": "string", "enum": ["alloy", "echo"]},
                        ],
                        "default": "alloy",
                    },
                    "wrong_items": {
                        "type": "array",
                        "items": {"type": "integer"},
                        "default": ["a"],
                    },
                    "wrong_branch": {
                        "oneOf": [{"type": "integer"}, {"type": "boolean"}],
                        "default": "auto",
                    },
                },
            },
        }
    },
}

DESCRIPTIONS = {
    "ambiguous": AMBIGUOUS_NAMES,
    "allof_nullable": ALLOF_NULLABLE,
    "null_schema": NULL_SCHEMA_RESPONSE,
    "query_oneof": QUERY_OBJECT_ONEOF,
    "defaults": DEFAULTS,
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """Each description generated once into its own folder: name -> (folder, package)."""
    root = tmp_path_factory.mktemp("round2")
    out: dict[str, tuple[Path, str]] = {}
    for name, description in DESCRIPTIONS.items():
        package = f"round2_{name}"
        folder = root / name
        generate_package(load(description), folder, package=package)
        out[name] = (folder, package)
    return out


@pytest.fixture
def imported(
    generated: dict[str, tuple[Path, str]], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str], ModuleType]]:
    names: list[str] = []

    def _import(name: str) -> ModuleType:
        folder, package = generated[name]
        monkeypatch.syspath_prepend(str(folder))
        names.append(package)
        return importlib.import_module(package)

    yield _import
    for module in list(sys.modules):
        if any(module == p or module.startswith(p + ".") for p in names):
            del sys.modules[module]


def test_every_reproducer_passes_ruff_mypy_strict_and_imports(
    generated: dict[str, tuple[Path, str]],
    tmp_path: Path,
    ruff_clean: Callable[..., None],
    mypy_strict: Callable[[list[tuple[Path, list[str]]], Path], None],
    fresh_import: Callable[[Path, str], Any],
) -> None:
    for folder, package in generated.values():
        ruff_clean(folder)
        done = fresh_import(folder, package)
        assert done.returncode == 0, done.stderr[-3000:]
        assert (folder / package / "tests").is_dir()
    # `-p` covers each package's generated `tests` too (where 10a and 10b failed).
    mypy_strict([(folder, ["-p", package]) for folder, package in generated.values()], tmp_path)


def test_ambiguous_names_get_an_underscore_and_keep_their_wire_names(
    imported: Callable[[str], ModuleType],
) -> None:
    package = imported("ambiguous")
    body = package.models.QueryBody.model_validate({"op": "x", "l": 1, "I": 2, "O": 3})
    assert (body.l_, body.i, body.o) == (1, 2, 3)
    assert body.model_dump(by_alias=True, exclude_none=True) == {"op": "x", "l": 1, "I": 2, "O": 3}


def test_ambiguous_parameter_names_reach_the_server_under_their_wire_names(
    imported: Callable[[str], ModuleType],
) -> None:
    package = imported("ambiguous")
    server = MockServer(load(AMBIGUOUS_NAMES), seed=3)
    url = server.start()
    try:
        with package.AmbiguousL(base_url=url) as client:
            assert client.q.query(l_=5, o="x", body={"l": 1}) is None
    finally:
        server.stop()
    record = next(r for r in server.requests if r.path == "/q")
    assert sorted(record.query.split("&")) == ["O=x", "l=5"]
    assert record.problems == ()


def test_allof_of_a_nullable_reference_and_a_description_stays_nullable(
    imported: Callable[[str], ModuleType],
) -> None:
    models = imported("allof_nullable").models
    base = {"id": 1, "both": None, "strict": {"start": "s"}}
    droplet = models.Droplet.model_validate({**base, "window": None})
    assert droplet.window is None and droplet.both is None
    # The referenced class itself, not a merged copy of it.
    with_window = models.Droplet.model_validate({**base, "window": {"start": "02:00"}})
    assert type(with_window.window) is models.Window
    assert with_window.window.start == "02:00"
    with pytest.raises(ValueError, match="strict"):
        models.Droplet.model_validate({**base, "window": None, "strict": None})


def test_null_schema_response_returns_none_and_the_suite_does_not_assign_it(
    generated: dict[str, tuple[Path, str]], imported: Callable[[str], ModuleType]
) -> None:
    api = load(NULL_SCHEMA_RESPONSE)
    by_id = {op.id: op for op in api.operations}
    assert returns_nothing(by_id["add_recipients"], api.schemas)
    assert not returns_nothing(by_id["get_lists"], api.schemas)
    folder, package = generated["null_schema"]
    suite = (folder / package / "tests" / "test_operations.py").read_text()
    assert "client.lists.add_recipients(list_id=" in suite
    assert "= client.lists.add_recipients(" not in suite
    server = MockServer(api, seed=1)
    url = server.start()
    try:
        with imported("null_schema").NullSchemaResponse(base_url=url) as client:
            assert client.lists.add_recipients(list_id=3) is None
    finally:
        server.stop()


def test_object_query_parameter_takes_a_dict_encoded_like_its_model(
    imported: Callable[[str], ModuleType],
) -> None:
    package = imported("query_oneof")
    server = MockServer(load(QUERY_OBJECT_ONEOF), seed=5)
    url = server.start()
    try:
        with package.FormExplodeOneOf(base_url=url) as client:
            client.events.list(filter={"user_id": "u1"}, type="click")
            model = package.models.ListEventsFilterVariant2(email="a@b.c")
            client.events.list(filter=model, type="click")
    finally:
        server.stop()
    queries = [sorted(r.query.split("&")) for r in server.requests if r.path == "/events"]
    assert queries == [["type=click", "user_id=u1"], ["email=a%40b.c", "type=click"]]
    assert all(r.problems == () for r in server.requests)


def test_array_and_union_defaults_are_kept_and_real_mismatches_still_warn(
    generated: dict[str, tuple[Path, str]], imported: Callable[[str], ModuleType]
) -> None:
    report = generate_package(
        load(DEFAULTS), generated["defaults"][0].parent / "again", package="again"
    )
    warned = sorted(w.pointer.rsplit("/", 1)[-1] for w in report.warnings)
    assert warned == ["wrong_branch", "wrong_items"], report.warnings
    models = imported("defaults").models
    thing = models.Thing()
    assert thing.tags == [] and thing.modalities == ["audio"] and thing.voice == "alloy"
    assert thing.named_modalities == [models.Modality.AUDIO]
    assert thing.wrong_items is None and thing.wrong_branch is None
    # Each instance gets its own list.
    thing.tags.append("x")
    assert models.Thing().tags == []
