"""Schema normalisation: nullability, bounds, tuples, composition, discriminators, garbage."""

from __future__ import annotations

from typing import Any

import pytest
from spec_test_docs import with_schemas

from apiweld.spec import load
from apiweld.spec.ir import Api, Schema


def one(schema: dict[str, Any], version: str = "3.0.3") -> tuple[Schema, Api]:
    api = load(with_schemas({"S": schema}, version=version))
    return api.schemas["S"], api


@pytest.mark.parametrize(
    ("schema", "version"),
    [
        ({"type": "string", "nullable": True}, "3.0.3"),
        ({"type": ["string", "null"]}, "3.1.0"),
        ({"type": "string", "x-nullable": True}, "3.0.3"),
    ],
)
def test_nullable_forms_all_mean_string_or_null(schema: dict[str, Any], version: str) -> None:
    built, _ = one(schema, version)
    assert built.nullable
    assert built.non_null_types == ("string",)


def test_nullable_beside_a_composition_or_ref_becomes_any_of_null() -> None:
    api = load(
        with_schemas(
            {
                "Base": {"type": "object"},
                "Wrapped": {"nullable": True, "allOf": [{"$ref": "#/components/schemas/Base"}]},
                "Sibling": {"$ref": "#/components/schemas/Base", "nullable": True},
            }
        )
    )
    for name in ("Wrapped", "Sibling"):
        schema = api.schemas[name]
        assert len(schema.any_of) == 2
        assert schema.any_of[1].types == ("null",)
        assert schema.any_of[1].pointer == f"/components/schemas/{name}"
    assert api.schemas["Sibling"].any_of[0].ref == "Base"


def test_nullable_without_type_or_composition_is_just_any() -> None:
    built, _ = one({"nullable": True, "description": "anything"})
    assert built.types == () and built.any_of == ()


def test_exclusive_bounds_boolean_and_number_forms() -> None:
    old, _ = one(
        {
            "type": "number",
            "minimum": 1,
            "exclusiveMinimum": True,
            "maximum": 9,
            "exclusiveMaximum": False,
        }
    )
    assert (old.minimum, old.exclusive_minimum, old.maximum, old.exclusive_maximum) == (
        None,
        1,
        9,
        None,
    )
    new, _ = one({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 10}, "3.1.0")
    assert (new.exclusive_minimum, new.exclusive_maximum) == (0, 10)


def test_examples_const_enum_default_and_flags() -> None:
    built, _ = one(
        {
            "type": "string",
            "example": "a",
            "examples": ["b"],
            "const": None,
            "enum": ["x", None],
            "default": "x",
            "readOnly": True,
            "deprecated": True,
            "format": "email",
            "minLength": 1,
            "maxLength": 5,
            "pattern": "^x",
        },
        "3.1.0",
    )
    assert built.examples == ("b", "a")
    assert built.has_const and built.const is None
    assert built.enum == ("x", None)
    assert built.has_default and built.default == "x"
    assert built.read_only and built.deprecated and not built.write_only
    assert (built.format, built.min_length, built.max_length, built.pattern) == (
        "email",
        1,
        5,
        "^x",
    )


def test_tuple_items_in_both_forms() -> None:
    old, _ = one(
        {
            "type": "array",
            "items": [{"type": "string"}, {"type": "integer"}],
            "additionalItems": {"type": "boolean"},
        }
    )
    assert [s.types for s in old.prefix_items] == [("string",), ("integer",)]
    assert old.items is not None and old.items.types == ("boolean",)
    new, _ = one(
        {"type": "array", "prefixItems": [{"type": "string"}], "items": {"type": "number"}}, "3.1.0"
    )
    assert [s.types for s in new.prefix_items] == [("string",)]
    assert new.items is not None and new.items.types == ("number",)


def test_object_keywords() -> None:
    built, _ = one(
        {
            "type": "object",
            "required": ["a"],
            "properties": {"a": {"type": "string", "writeOnly": True}, "b": {}},
            "additionalProperties": {"type": "integer"},
            "patternProperties": {"^x-": {"type": "string"}},
            "minProperties": 1,
            "maxProperties": 3,
            "x-vendor": {"keep": True},
        }
    )
    a, b = built.properties
    assert a.required and a.schema.write_only and not b.required
    assert isinstance(built.additional_properties, Schema)
    assert built.additional_properties.types == ("integer",)
    assert built.pattern_properties[0][0] == "^x-"
    assert (built.min_properties, built.max_properties) == (1, 3)
    assert built.extensions == {"x-vendor": {"keep": True}}
    closed, _ = one({"type": "object", "additionalProperties": False})
    assert closed.additional_properties is False


def test_discriminator_explicit_mapping_by_ref_and_by_name() -> None:
    api = load(
        with_schemas(
            {
                "Pet": {
                    "oneOf": [
                        {"$ref": "#/components/schemas/Cat"},
                        {"$ref": "#/components/schemas/dog"},
                    ],
                    "discriminator": {
                        "propertyName": "kind",
                        "mapping": {"cat": "#/components/schemas/Cat", "dog": "dog"},
                    },
                },
                "Cat": {"type": "object"},
                "dog": {"type": "object"},
            }
        )
    )
    disc = api.schemas["Pet"].discriminator
    assert disc is not None
    assert disc.mapping == (("cat", "Cat"), ("dog", "Dog"))
    assert api.schemas["Dog"].source_name == "dog"


def test_discriminator_implicit_mapping_from_one_of() -> None:
    api = load(
        with_schemas(
            {
                "Pet": {
                    "oneOf": [
                        {"$ref": "#/components/schemas/Cat"},
                        {"$ref": "#/components/schemas/Dog"},
                    ],
                    "discriminator": {"propertyName": "petType"},
                },
                "Cat": {"type": "object"},
                "Dog": {"type": "object"},
            }
        )
    )
    disc = api.schemas["Pet"].discriminator
    assert disc is not None and disc.mapping == (("Cat", "Cat"), ("Dog", "Dog"))


def test_type_garbage_is_tolerated_with_warnings() -> None:
    built, api = one(
        {
            "type": "strnig",
            "minLength": "5",
            "maximum": "ten",
            "enum": "a",
            "properties": [],
            "required": "yes",
            "readOnly": "sometimes",
            "allOf": {},
        }
    )
    assert built.types == () and built.min_length is None and built.maximum is None
    assert built.enum is None and built.properties == () and not built.read_only
    pointers = {p.pointer for p in api.problems}
    for keyword in (
        "type",
        "minLength",
        "maximum",
        "enum",
        "properties",
        "required",
        "readOnly",
        "allOf",
    ):
        assert f"/components/schemas/S/{keyword}" in pointers, keyword
    assert all(p.severity == "warning" for p in api.problems)


def test_non_object_schemas_degrade_to_any() -> None:
    api = load(with_schemas({"A": "string", "B": 5, "C": True, "D": False}, version="3.1.0"))
    assert api.schemas["A"].types == () and api.schemas["B"].types == ()
    assert api.schemas["C"].types == ()
    assert api.schemas["D"].not_ is not None
    assert {p.pointer for p in api.problems} == {"/components/schemas/A", "/components/schemas/B"}


def test_schema_class_names_are_unique_and_never_shadow_imports() -> None:
    api = load(
        with_schemas(
            {
                "pet": {},
                "Pet": {},
                "pet-": {},
                "List": {},
                "BaseModel": {},
                "datetime": {},
                "2fa": {},
                "": {},
                "class": {},
                "Ünïcode": {},
                "日本": {},
            }
        )
    )
    names = list(api.schemas)
    assert len(set(names)) == len(names) == 11
    assert all(n.isidentifier() and n.isascii() for n in names)
    for banned in ("List", "BaseModel", "datetime", "class"):
        assert banned not in names
    by_source = {s.source_name: n for n, s in api.schemas.items()}
    assert {by_source["Pet"], by_source["pet"], by_source["pet-"]} == {"Pet", "Pet2", "Pet3"}
    assert by_source["List"] == "ListModel"
    assert by_source["Ünïcode"] == "Unicode"
    # Sorted-order assignment: the same names whatever order the document lists them in.
    reordered = load(with_schemas(dict(reversed(list({"pet": {}, "Pet": {}, "pet-": {}}.items())))))
    assert {s.source_name: n for n, s in reordered.schemas.items()} == {
        k: by_source[k] for k in ("pet", "Pet", "pet-")
    }


def test_property_py_names() -> None:
    built, _ = one(
        {
            "type": "object",
            "properties": {
                "id": {},
                "_id": {},
                "class": {},
                "2fa": {},
                "": {},
                "model_config": {},
                "json": {},
                "fooBar": {},
                "foo_bar": {},
                "café": {},
                "schema": {},
                "@type": {},
            },
        }
    )
    names = {p.name: p.py_name for p in built.properties}
    assert names["id"] == "id" and names["_id"] == "id_2"
    assert names["class"] == "class_"
    assert names["2fa"] == "field_2fa"
    assert names[""] == "field"
    assert names["model_config"] == "model_config_"
    assert names["json"] == "json_" and names["schema"] == "schema_"
    assert names["foo_bar"] == "foo_bar" and names["fooBar"] == "foo_bar_2"
    assert names["café"] == "cafe"
    assert names["@type"] == "type"
    assert len(set(names.values())) == len(names)


def test_each_unusable_keyword_is_named_with_its_pointer_and_ignored() -> None:
    built, api = one(
        {
            "type": ["string", 7],
            "title": 3,
            "minLength": -1,
            "multipleOf": 0,
            "exclusiveMinimum": True,
            "uniqueItems": "yes",
            "enum": {},
            "examples": "a",
            "properties": [],
            "required": "a",
            "patternProperties": [],
            "prefixItems": {},
            "oneOf": "x",
            "anyOf": 1,
            "discriminator": {"mapping": {}},
        },
        "3.1.0",
    )
    at = "/components/schemas/S"
    assert [(p.pointer, p.message) for p in api.problems] == [
        (f"{at}/type", "unknown type 7; treated as any type"),
        (f"{at}/title", "title must be a string; ignored"),
        (f"{at}/minLength", "minLength has the wrong type (an integer); ignored"),
        (f"{at}/multipleOf", "multipleOf has the wrong type (an integer); ignored"),
        (f"{at}/uniqueItems", "uniqueItems must be a boolean; ignored"),
        (f"{at}/enum", "enum must be an array; ignored"),
        (f"{at}/examples", "examples in a schema must be an array; ignored"),
        (f"{at}/properties", "properties must be an object; ignored"),
        (f"{at}/required", "required must be an array; ignored"),
        (f"{at}/patternProperties", "patternProperties must be an object; ignored"),
        (f"{at}/prefixItems", "prefixItems must be an array; ignored"),
        (f"{at}/oneOf", "oneOf must be an array; ignored"),
        (f"{at}/anyOf", "anyOf must be an array; ignored"),
        (f"{at}/discriminator", "discriminator needs a string propertyName; ignored"),
    ]
    assert built == Schema(pointer=at, name="S", source_name="S")


def test_required_names_without_a_property_are_kept() -> None:
    built, _ = one(
        {
            "type": "object",
            "required": ["b", "a", 5, "c", "b"],
            "properties": {"a": {"type": "string"}},
        }
    )
    assert [(p.name, p.required) for p in built.properties] == [("a", True)]
    assert built.required_extra == ("b", "c")
    bare, _ = one({"required": ["id"]})
    assert bare.required_extra == ("id",) and bare.properties == ()
    unread, api = one({"required": ["a"], "properties": ["a"]})
    assert unread.required_extra == ("a",)
    assert [p.message for p in api.problems] == ["properties must be an object; ignored"]
    listed, _ = one({"required": ["a"], "properties": {"a": {}}})
    assert listed.required_extra == ()


def test_required_in_one_all_of_part_and_defined_in_another() -> None:
    api = load(
        with_schemas(
            {
                "Base": {"type": "object", "properties": {"id": {"type": "integer"}}},
                "Pet": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Base"},
                        {"required": ["id", "name"], "properties": {"name": {"type": "string"}}},
                    ]
                },
                "OneOfThem": {"anyOf": [{"required": ["email"]}, {"required": ["phone"]}]},
            }
        )
    )
    base, part = api.schemas["Pet"].all_of
    assert base.ref == "Base" and api.schemas["Base"].required_extra == ()
    assert part.required_extra == ("id",)
    assert [(p.name, p.required) for p in part.properties] == [("name", True)]
    either = api.schemas["OneOfThem"].any_of
    assert [s.required_extra for s in either] == [("email",), ("phone",)]
    assert api.problems == ()


def test_required_beside_a_ref_in_3_1_lands_in_the_sibling_part() -> None:
    api = load(
        with_schemas(
            {
                "Base": {"type": "object", "properties": {"id": {"type": "integer"}}},
                "Strict": {"$ref": "#/components/schemas/Base", "required": ["id"]},
            },
            version="3.1.0",
        )
    )
    target, extra = api.schemas["Strict"].all_of
    assert target.ref == "Base" and extra.required_extra == ("id",)
