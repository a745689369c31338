"""Generated models: every schema construct of the IR, checked by validating real payloads."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pydantic
import pytest

from apiweld.codegen import GenerationReport

Build = Callable[..., tuple[ModuleType, GenerationReport]]
MakeOpenapi = Callable[..., dict[str, Any]]


def _models(build: Build, make_openapi: MakeOpenapi, schemas: dict[str, Any]) -> Any:
    package, report = build(make_openapi(schemas))
    assert report.lint == []
    return package.models


def test_enum_keeps_unknown_values(build: Build, make_openapi: MakeOpenapi) -> None:
    models = _models(
        build,
        make_openapi,
        {
            "Color": {"type": "string", "enum": ["red", "dark-blue", "1st"]},
            "Level": {"type": "integer", "enum": [1, 2]},
            "Paint": {
                "type": "object",
                "required": ["color"],
                "properties": {
                    "color": {"$ref": "#/components/schemas/Color"},
                    "level": {"$ref": "#/components/schemas/Level"},
                    "finish": {"type": "string", "enum": ["matte", "gloss"]},
                },
            },
        },
    )
    assert issubclass(models.Color, enum.Enum)
    assert models.Color("red") is models.Color.RED
    assert models.Color.DARK_BLUE.value == "dark-blue"
    known = models.Paint.model_validate({"color": "red", "level": 2, "finish": "matte"})
    assert known.color is models.Color.RED and known.level is models.Level(2)
    unknown = models.Paint.model_validate({"color": "ultraviolet", "level": 7, "finish": "satin"})
    assert unknown.color.value == "ultraviolet" and isinstance(unknown.color, models.Color)
    assert unknown.level.value == 7
    assert unknown.finish == "satin"
    assert unknown.model_dump(mode="json") == {
        "color": "ultraviolet",
        "level": 7,
        "finish": "satin",
    }


def test_nullable_const_formats_and_aliases(build: Build, make_openapi: MakeOpenapi) -> None:
    models = _models(
        build,
        make_openapi,
        {
            "Event": {
                "type": "object",
                "required": ["kind", "id", "at", "day", "note"],
                "properties": {
                    "kind": {"const": "created"},
                    "id": {"type": "string", "format": "uuid"},
                    "at": {"type": "string", "format": "date-time"},
                    "day": {"type": "string", "format": "date"},
                    "note": {"type": ["string", "null"]},
                    "raw": {"type": "string", "format": "binary"},
                    "class": {"type": "integer"},
                    "Content-Type": {"type": "string"},
                },
            }
        },
    )
    event = models.Event.model_validate(
        {
            "kind": "created",
            "id": "6f1c1a4e-8a53-4b0e-9d0f-2f2f3c3e4d5a",
            "at": "2026-01-02T03:04:05Z",
            "day": "2026-01-02",
            "note": None,
            "class": 3,
            "Content-Type": "text/plain",
        }
    )
    assert isinstance(event.id, uuid.UUID)
    assert event.at == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert event.day == dt.date(2026, 1, 2)
    assert event.note is None
    assert event.class_ == 3 and event.content_type == "text/plain"
    dumped = event.model_dump(mode="json", by_alias=True, exclude_unset=True)
    assert dumped["class"] == 3 and dumped["Content-Type"] == "text/plain"
    with pytest.raises(pydantic.ValidationError):
        models.Event.model_validate({**dumped, "kind": "deleted"})
    with pytest.raises(pydantic.ValidationError):
        models.Event.model_validate({**dumped, "note": 5, "at": "yesterday"})


def test_unknown_fields_kept_and_typed_extras(build: Build, make_openapi: MakeOpenapi) -> None:
    models = _models(
        build,
        make_openapi,
        {
            "Labels": {
                "type": "object",
                "properties": {"name": {"type": "string"}},
                "additionalProperties": {"type": "integer"},
            },
            "Free": {"type": "object", "properties": {"a": {"type": "string"}}},
        },
    )
    labels = models.Labels.model_validate({"name": "x", "weight": "3"})
    assert labels.model_extra == {"weight": 3}
    with pytest.raises(pydantic.ValidationError):
        models.Labels.model_validate({"weight": "heavy"})
    free = models.Free.model_validate({"a": "1", "surprise": {"nested": True}})
    assert free.model_dump(mode="json") == {"a": "1", "surprise": {"nested": True}}


def test_all_of_merges_and_one_of_unions(build: Build, make_openapi: MakeOpenapi) -> None:
    models = _models(
        build,
        make_openapi,
        {
            "Base": {
                "type": "object",
                "required": ["id"],
                "properties": {"id": {"type": "integer"}},
            },
            "Cat": {
                "allOf": [
                    {"$ref": "#/components/schemas/Base"},
                    {
                        "type": "object",
                        "required": ["pet_type", "meows"],
                        "properties": {"pet_type": {"const": "cat"}, "meows": {"type": "boolean"}},
                    },
                ]
            },
            "Dog": {
                "type": "object",
                "required": ["pet_type", "barks"],
                "properties": {"pet_type": {"const": "dog"}, "barks": {"type": "integer"}},
            },
            "Owner": {
                "type": "object",
                "properties": {
                    "pet": {
                        "oneOf": [
                            {"$ref": "#/components/schemas/Cat"},
                            {"$ref": "#/components/schemas/Dog"},
                        ],
                        "discriminator": {"propertyName": "pet_type"},
                    },
                    "either": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
                },
            },
        },
    )
    assert set(models.Cat.model_fields) == {"id", "pet_type", "meows"}
    with pytest.raises(pydantic.ValidationError):
        models.Cat.model_validate({"pet_type": "cat", "meows": True})
    owner = models.Owner.model_validate({"pet": {"pet_type": "dog", "barks": 3}, "either": "x"})
    assert isinstance(owner.pet, models.Dog) and owner.either == "x"
    cat_owner = models.Owner.model_validate({"pet": {"pet_type": "cat", "id": 1, "meows": True}})
    assert isinstance(cat_owner.pet, models.Cat)
    with pytest.raises(pydantic.ValidationError) as caught:
        models.Owner.model_validate({"pet": {"pet_type": "fish"}})
    assert "pet_type" in str(caught.value) or "discriminator" in str(caught.value)


def test_recursive_and_mutually_recursive(build: Build, make_openapi: MakeOpenapi) -> None:
    models = _models(
        build,
        make_openapi,
        {
            "Node": {
                "type": "object",
                "properties": {
                    "value": {"type": "integer"},
                    "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                },
            },
            "Employee": {
                "type": "object",
                "properties": {"team": {"$ref": "#/components/schemas/Team"}},
            },
            "Team": {
                "type": "object",
                "properties": {
                    "lead": {"$ref": "#/components/schemas/Employee"},
                    "name": {"type": "string"},
                },
            },
        },
    )
    tree = models.Node.model_validate({"value": 1, "children": [{"value": 2, "children": []}]})
    assert tree.children[0].value == 2
    employee = models.Employee.model_validate(
        {"team": {"name": "a", "lead": {"team": {"name": "b"}}}}
    )
    assert employee.team.lead.team.name == "b"


def test_read_only_and_write_only_shapes(build: Build, make_openapi: MakeOpenapi) -> None:
    schemas = {
        "User": {
            "type": "object",
            "required": ["id", "name", "password"],
            "properties": {
                "id": {"type": "integer", "readOnly": True},
                "name": {"type": "string"},
                "password": {"type": "string", "writeOnly": True},
            },
        }
    }
    paths = {
        "/users": {
            "post": {
                "operationId": "createUser",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/User"}}
                    },
                },
                "responses": {
                    "201": {
                        "description": "made",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/User"}}
                        },
                    }
                },
            }
        }
    }
    package, report = build(make_openapi(schemas, paths))
    models = package.models
    # Response shape: the server never sends the password, and always sends the id.
    response = models.User.model_validate({"id": 1, "name": "ann"})
    assert response.password is None
    with pytest.raises(pydantic.ValidationError):
        models.User.model_validate({"name": "ann"})
    # Request shape: no id to send, the password is required.
    assert "id" not in models.UserInput.model_fields
    models.UserInput.model_validate({"name": "ann", "password": "s3cret"})
    with pytest.raises(pydantic.ValidationError):
        models.UserInput.model_validate({"name": "ann"})
    assert report.operations_generated == 1


def test_defaults_and_constraints(build: Build, make_openapi: MakeOpenapi) -> None:
    package, report = build(
        make_openapi(
            {
                "Page": {
                    "type": "object",
                    "properties": {
                        "size": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
                        "code": {"type": "string", "pattern": "^[A-Z]{3}$", "maxLength": 3},
                        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
                        "ratio": {"type": "number", "exclusiveMinimum": 0},
                        "bad_default": {"type": "integer", "default": "twenty"},
                        "lookaround": {"type": "string", "pattern": "^(?!x)\\p{L}+$"},
                    },
                }
            }
        )
    )
    page = package.models.Page()
    assert page.size == 20 and page.bad_default is None
    page = package.models.Page.model_validate({"code": "ABC", "tags": ["a"], "ratio": 0.5})
    assert page.code == "ABC"
    for bad in ({"size": 0}, {"code": "abc"}, {"tags": ["a", "b", "c"]}, {"ratio": 0}):
        with pytest.raises(pydantic.ValidationError):
            package.models.Page.model_validate(bad)
    # The pattern Python cannot compile is dropped with a warning instead of failing import.
    assert package.models.Page.model_validate({"lookaround": "anything"}).lookaround == "anything"
    messages = [w.message for w in report.warnings]
    assert any("not a Python regex" in m for m in messages)
    assert any("default does not match" in m for m in messages)


def test_generation_is_deterministic(tmp_path: Path) -> None:
    from apiweld.codegen import check_output, generate_package
    from apiweld.spec import load

    api = load(Path(__file__).resolve().parents[2] / "examples" / "petstore.yaml")
    first, second = tmp_path / "a", tmp_path / "b"
    generate_package(api, first)
    generate_package(api, second)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel
    assert check_output(api, first) == []
    (first / "petstore" / "models" / "stale.py").write_text("x = 1\n")
    assert check_output(api, first) == ["petstore/models/stale.py"]


def test_names_never_hide_the_clients_own_attributes(
    build: Build, make_openapi: MakeOpenapi
) -> None:
    paths = {
        f"/{tag}": {
            "get": {
                "operationId": op_id,
                "tags": [tag],
                "responses": {"204": {"description": "done"}},
            }
        }
        for tag, op_id in (
            ("transport", "with_raw_response"),
            ("close", "_client"),
            ("models", "request"),
        )
    }
    package, report = build(make_openapi({}, paths))
    assert report.operations_generated == 3
    client_name = next(n for n in package.__all__ if n != "models" and not n.startswith("Async"))
    client = getattr(package, client_name)(base_url="http://127.0.0.1:9")
    assert callable(client.close)
    assert not hasattr(client.transport, "with_raw_response")
    resources = set(report.methods.values())
    assert len(resources) == 3
    for target in resources:
        resource_name, method_name = target.split(".")
        resource = getattr(client, resource_name)
        assert callable(getattr(resource, method_name))
        assert hasattr(resource, "with_raw_response")
