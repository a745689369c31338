"""The JSON Schema export's policy options, judged by the validator the mock and checks use:
each option turns one OpenAPI reading on or off, and nothing else."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import jsonschema_rs
import pytest
from mock_petstore_ir import prop, ref

from apiweld.mock.jsonschema import (
    MOCK_POLICY,
    ExportPolicy,
    Mode,
    is_json_media_type,
    to_json_schema,
)
from apiweld.spec.ir import Discriminator, Schema
from apiweld.testing._validate import CONTRACT_POLICY

S = Schema
CAT = S(types=("object",), properties=(prop("kind", S(types=("string",))), prop("meow", S(), True)))
DOG = S(types=("object",), properties=(prop("kind", S(types=("string",))), prop("bark", S(), True)))
PET = S(one_of=(ref("Cat"), ref("Dog")), discriminator=Discriminator("kind"))
SCHEMAS = {"Cat": CAT, "Dog": DOG, "Pet": PET}


def valid(
    schema: Schema,
    value: Any,
    *,
    mode: Mode = "any",
    policy: ExportPolicy = MOCK_POLICY,
    schemas: dict[str, Schema] = SCHEMAS,
) -> bool:
    document = to_json_schema(schema, schemas, mode=mode, policy=policy)
    return bool(jsonschema_rs.validator_for(document).is_valid(value))


def test_discriminator_picks_branch_by_direction() -> None:
    both_branches = {"kind": "Cat", "meow": 1, "bark": 1}  # fits Cat and Dog: oneOf rejects it
    assert valid(ref("Pet"), both_branches, mode="request")
    assert not valid(ref("Pet"), {"meow": 1}, mode="response")  # the tag is required
    off = replace(MOCK_POLICY, discriminator_picks_branch=False)
    assert not valid(ref("Pet"), both_branches, mode="request", policy=off)
    assert valid(ref("Pet"), {"meow": 1}, mode="response", policy=off)


def test_typed_by_shape_holds_untyped_response_schemas_to_objects_and_arrays() -> None:
    untyped_object = S(properties=(prop("id", S(types=("integer",))),))
    untyped_array = S(items=S(types=("integer",)))
    assert not valid(untyped_object, "a string", mode="response")
    assert not valid(untyped_array, {"a": 1}, mode="response")
    assert valid(untyped_object, "a string", mode="request")  # requests as JSON Schema reads them
    off = replace(MOCK_POLICY, typed_by_shape=False)
    assert valid(untyped_object, "a string", mode="response", policy=off)


def test_closed_composition_allows_the_parts_properties_and_nothing_more() -> None:
    closed = S(
        all_of=(S(properties=(prop("a", S()),)),),
        properties=(prop("b", S()),),
        additional_properties=False,
    )
    assert valid(closed, {"a": 1, "b": 2})
    assert not valid(closed, {"a": 1, "c": 3})
    literal = replace(MOCK_POLICY, closed_composition=False)
    assert not valid(closed, {"a": 1, "b": 2}, policy=literal)  # JSON Schema's own reading
    assert valid(closed, {"b": 2}, policy=literal)


def test_null_extends_enum_only_when_asked() -> None:
    nullable_enum = S(types=("string", "null"), enum=("a",))
    assert not valid(nullable_enum, None)
    assert valid(nullable_enum, None, policy=replace(MOCK_POLICY, null_extends_enum=True))
    not_nullable = S(types=("string",), enum=("a",))
    assert not valid(not_nullable, None, policy=replace(MOCK_POLICY, null_extends_enum=True))


def test_python_patterns_only_drops_what_python_cannot_compile_and_keeps_the_rest() -> None:
    letters = S(types=("string",), pattern=r"^\p{L}+$")  # ECMA/Rust syntax, not Python's
    digits = S(types=("string",), pattern=r"^\d+$")
    python_only = replace(MOCK_POLICY, python_patterns_only=True)
    assert not valid(letters, "123")
    assert valid(letters, "123", policy=python_only)
    assert not valid(digits, "abc", policy=python_only)
    keyed = S(
        types=("object",),
        pattern_properties=((r"^\p{L}+$", S(types=("integer",))), (r"^\d+$", S(types=("string",)))),
    )
    assert not valid(keyed, {"abc": "x"})
    assert valid(keyed, {"abc": "x"}, policy=python_only)
    assert not valid(keyed, {"12": 3}, policy=python_only)


@pytest.mark.parametrize("policy", [MOCK_POLICY, CONTRACT_POLICY])
def test_read_only_through_a_chain_of_references_is_not_required_in_requests(
    policy: ExportPolicy,
) -> None:
    schemas = {
        "Id": S(types=("integer",), read_only=True),
        "ThingId": ref("Id"),  # a named schema that is only a reference
        "Thing": S(types=("object",), properties=(prop("id", ref("ThingId"), True),)),
    }
    assert valid(ref("Thing"), {}, mode="request", policy=policy, schemas=schemas)
    assert not valid(ref("Thing"), {}, mode="response", policy=policy, schemas=schemas)


def test_a_dangling_reference_accepts_anything() -> None:
    assert valid(ref("Missing"), {"any": "thing"}, schemas={})
    assert valid(S(items=ref("Missing")), [1, "x"], schemas={})


@pytest.mark.parametrize(
    ("media_type", "is_json"),
    [
        ("application/json", True),
        ("Application/JSON; charset=utf-8", True),
        ("application/problem+json", True),
        ("text/json", True),
        ("text/plain", False),
        ("application/jsonl", False),
    ],
)
def test_json_media_types(media_type: str, is_json: bool) -> None:
    assert is_json_media_type(media_type) is is_json
