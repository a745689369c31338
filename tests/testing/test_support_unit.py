"""Pure logic of the helpers the generated suites import (`apiweld.testing.support`)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, Field, RootModel

from apiweld.testing.support import all_distinct, existing_id, identity


class Pet(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    pet_id: int = Field(alias="petId")
    name: str


class PetList(BaseModel):
    data: list[Pet]


def test_two_items_sharing_a_name_are_two_items() -> None:
    first = {"name": "lumen", "colour": "red"}
    second = {"name": "lumen", "colour": "blue"}
    assert identity(first) != identity(second)
    assert all_distinct([first, second])


def test_the_collection_s_own_key_decides_identity_by_its_wire_name() -> None:
    a, b = Pet(petId=1, name="x"), Pet(petId=1, name="y")
    assert identity(a, "petId") == identity(b, "petId") == "petId=1"
    assert not all_distinct([a, b], key="petId")
    assert all_distinct([a, Pet(petId=2, name="x")], key="petId")


def test_without_a_key_only_the_whole_item_is_identity() -> None:
    assert all_distinct([{"id": 3, "v": 1}, {"id": 3, "v": 2}])
    assert not all_distinct([{"id": 3, "v": 1}, {"v": 1, "id": 3}])
    assert not all_distinct([Pet(petId=1, name="x"), Pet(petId=1, name="x")])


def test_existing_id_of_plain_values_and_integral_numbers() -> None:
    assert existing_id(["Actionscript", "Go"], "name") == "Actionscript"
    assert existing_id([{"id": 1.0}], "id") == 1
    assert existing_id([{"id": 1.5}], "id") == 1.5


def test_plain_values_are_not_repeats_of_each_other() -> None:
    assert all_distinct(["a", "a", 1, 1])


def test_existing_id_reads_the_first_listed_item_by_wire_name() -> None:
    assert existing_id([Pet(petId=7, name="a"), Pet(petId=8, name="b")], "petId") == 7
    assert existing_id(PetList(data=[Pet(petId=9, name="a")]), "petId") == 9
    assert existing_id({"items": [{"petId": "p-1"}]}, "petId") == "p-1"
    assert existing_id(RootModel[list[Pet]]([Pet(petId=4, name="a")]), "petId") == 4


def test_existing_id_reads_a_created_item_itself() -> None:
    assert existing_id(Pet(petId=11, name="new"), "petId") == 11


def test_an_empty_collection_skips_and_an_item_without_its_id_fails() -> None:
    with pytest.raises(pytest.skip.Exception):
        existing_id([], "petId")
    with pytest.raises(AssertionError, match="no 'petId'"):
        existing_id([{"name": "a"}], "petId")


def test_existing_id_follows_the_path_to_a_wrapped_list() -> None:
    answer = {"errors": [{"id": "not-this"}], "migrations": [{"name": "m-1"}]}
    assert existing_id(answer, "name", within=("migrations",)) == "m-1"
    with pytest.raises(pytest.skip.Exception):
        existing_id({"migrations": []}, "name", within=("migrations",))
