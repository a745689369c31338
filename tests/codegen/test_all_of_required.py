"""A name required in one `allOf` part and defined in another is a required field."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pydantic
import pytest

from apiweld.codegen import GenerationReport

Build = Callable[..., tuple[ModuleType, GenerationReport]]
MakeOpenapi = Callable[..., dict[str, Any]]


def test_required_in_one_part_defined_in_another(build: Build, make_openapi: MakeOpenapi) -> None:
    schemas = {
        "Base": {
            "type": "object",
            "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
        },
        "Pet": {"allOf": [{"$ref": "#/components/schemas/Base"}, {"required": ["id"]}]},
        # Through two levels, and a name no part defines stays out of the fields.
        "Dog": {
            "allOf": [
                {"$ref": "#/components/schemas/Pet"},
                {"required": ["name", "ghost"]},
            ]
        },
    }
    package, _ = build(make_openapi(schemas))
    models = package.models
    assert models.Pet.model_fields["id"].is_required()
    assert not models.Pet.model_fields["name"].is_required()
    assert not models.Base.model_fields["id"].is_required()
    assert models.Dog.model_fields["id"].is_required()
    assert models.Dog.model_fields["name"].is_required()
    assert "ghost" not in models.Dog.model_fields
    with pytest.raises(pydantic.ValidationError, match="id"):
        models.Pet.model_validate({"name": "Rex"})
    assert models.Pet.model_validate({"id": 1}).id == 1


def test_webhook_models_merge_follows_the_same_rule(make_openapi: MakeOpenapi) -> None:
    from apiweld.spec import load
    from apiweld.webhooks.models import merge_all_of

    api = load(
        make_openapi(
            {
                "Base": {"type": "object", "properties": {"id": {"type": "integer"}}},
                "Pet": {
                    "allOf": [{"$ref": "#/components/schemas/Base"}, {"required": ["id", "tag"]}]
                },
            }
        )
    )
    merged = merge_all_of(api, api.schemas["Pet"])
    assert {p.name: p.required for p in merged.properties} == {"id": True}
    assert merged.required_extra == ("tag",)
