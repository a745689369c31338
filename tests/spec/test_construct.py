"""The loader's fast constructors build the same frozen IR objects as the classes themselves."""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any

import pytest

from apiweld.spec._construct import fast_constructor, new_property, new_schema, replace_schema
from apiweld.spec.ir import Discriminator, Schema


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"pointer": "/a", "types": ("string",), "description": "d"},
        {"ref": "Pet", "extensions": {"x-a": 1}, "required_extra": ("id",)},
        {"all_of": (Schema(ref="A"), Schema(types=("null",))), "has_default": True, "default": 0},
    ],
)
def test_a_fast_schema_is_the_schema_the_class_builds(fields: dict[str, Any]) -> None:
    fast, slow = new_schema(**fields), Schema(**fields)
    assert type(fast) is Schema
    assert fast == slow and repr(fast) == repr(slow)
    assert pickle.loads(pickle.dumps(fast)) == slow
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.pointer = "/elsewhere"  # type: ignore[misc]
    with pytest.raises(TypeError):  # as today: the extensions dict makes a Schema unhashable
        hash(fast)


def test_defaults_from_a_factory_are_fresh_per_instance() -> None:
    first, second = new_schema(), new_schema()
    assert first.extensions == {} and first.extensions is not second.extensions


def test_arguments_are_checked_like_the_class_does() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        new_schema(colour="red")
    with pytest.raises(TypeError, match="missing"):
        new_property("a")
    prop = new_property("id", "id_", Schema(), True)
    assert (prop.name, prop.py_name, prop.required) == ("id", "id_", True)


def test_hashable_classes_hash_alike() -> None:
    make = fast_constructor(Discriminator)
    fast = make("kind", (("cat", "Cat"),))
    assert fast == Discriminator("kind", (("cat", "Cat"),))
    assert hash(fast) == hash(Discriminator("kind", (("cat", "Cat"),)))


def test_replace_schema_changes_only_what_it_is_given() -> None:
    base = Schema(pointer="/p", types=("object",), extensions={"x-k": True})
    renamed = replace_schema(base, name="Pet", source_name="pet")
    assert renamed == dataclasses.replace(base, name="Pet", source_name="pet")
    assert base.name is None


def test_only_frozen_slotted_dataclasses_without_post_init_are_accepted() -> None:
    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        a: int = 0

    @dataclasses.dataclass(slots=True)
    class NotFrozen:
        a: int = 0

    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        a: int = 0

        def __post_init__(self) -> None:
            raise ValueError

    for cls in (NoSlots, NotFrozen, Checked):
        with pytest.raises(TypeError):
            fast_constructor(cls)
