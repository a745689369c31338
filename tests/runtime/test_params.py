"""OpenAPI parameter serialisation, checked against the examples of the OpenAPI specification."""

from __future__ import annotations

import enum
from typing import Any

import pytest
from pydantic import BaseModel

from apiweld.runtime import OperationSpec, ParamSpec
from apiweld.runtime._params import (
    encoder,
    serialize_cookie,
    serialize_header,
    serialize_path,
    serialize_query,
)

ENC = encoder(False)
PRIMITIVE = 5
ARRAY = [3, 4, 5]
OBJECT = {"role": "admin", "firstName": "Alex"}


@pytest.mark.parametrize(
    ("style", "explode", "value", "expected"),
    [
        ("simple", False, PRIMITIVE, "5"),
        ("simple", False, ARRAY, "3,4,5"),
        ("simple", False, OBJECT, "role,admin,firstName,Alex"),
        ("simple", True, OBJECT, "role=admin,firstName=Alex"),
        ("label", False, PRIMITIVE, ".5"),
        ("label", False, ARRAY, ".3,4,5"),
        ("label", True, ARRAY, ".3.4.5"),
        ("label", False, OBJECT, ".role,admin,firstName,Alex"),
        ("label", True, OBJECT, ".role=admin.firstName=Alex"),
        ("matrix", False, PRIMITIVE, ";id=5"),
        ("matrix", False, ARRAY, ";id=3,4,5"),
        ("matrix", True, ARRAY, ";id=3;id=4;id=5"),
        ("matrix", False, OBJECT, ";id=role,admin,firstName,Alex"),
        ("matrix", True, OBJECT, ";role=admin;firstName=Alex"),
    ],
)
def test_path_styles(style: str, explode: bool, value: Any, expected: str) -> None:
    assert serialize_path("id", value, style, explode, ENC) == expected


@pytest.mark.parametrize(
    ("style", "explode", "value", "expected"),
    [
        ("form", True, PRIMITIVE, ["id=5"]),
        ("form", True, ARRAY, ["id=3", "id=4", "id=5"]),
        ("form", False, ARRAY, ["id=3,4,5"]),
        ("form", True, OBJECT, ["role=admin", "firstName=Alex"]),
        ("form", False, OBJECT, ["id=role,admin,firstName,Alex"]),
        ("spaceDelimited", False, ARRAY, ["id=3%204%205"]),
        ("pipeDelimited", False, ARRAY, ["id=3|4|5"]),
        ("deepObject", True, OBJECT, ["id%5Brole%5D=admin", "id%5BfirstName%5D=Alex"]),
        ("form", True, [], []),
    ],
)
def test_query_styles(style: str, explode: bool, value: Any, expected: list[str]) -> None:
    out: list[str] = []
    serialize_query("id", value, style, explode, ENC, out)
    assert out == expected


def test_encoding_and_reserved_characters() -> None:
    assert serialize_path("p", "a/b c?", "simple", False, ENC) == "a%2Fb%20c%3F"
    assert serialize_path("p", "a/b", "simple", False, encoder(True)) == "a/b"
    out: list[str] = []
    serialize_query("q", "x&y=z", "form", True, ENC, out)
    assert out == ["q=x%26y%3Dz"]


class Color(enum.Enum):
    RED = "red"


class Filter(BaseModel):
    kind: str
    limit: int | None = None


def test_values_are_normalised() -> None:
    out: list[str] = []
    serialize_query("flag", True, "form", True, ENC, out)
    serialize_query("color", Color.RED, "form", True, ENC, out)
    serialize_query("f", Filter(kind="a"), "deepObject", True, ENC, out)
    assert out == ["flag=true", "color=red", "f%5Bkind%5D=a"]
    assert serialize_header([1, 2], False) == "1,2"
    assert serialize_header({"a": 1}, True) == "a=1"
    assert serialize_cookie("c", [1, 2], False) == [("c", "1,2")]
    assert serialize_cookie("c", "a b", True) == [("c", "a%20b")]


def test_bad_style_names_the_operation_and_parameter() -> None:
    with pytest.raises(ValueError, match=r"operation 'x', parameter 'p': style 'label'.*query"):
        OperationSpec(
            id="x", method="GET", path="/", params={"p": ParamSpec("p", "query", style="label")}
        )


def test_operation_defaults() -> None:
    op = OperationSpec(id="x", method="post", path="/a/{b}")
    assert op.method == "POST" and op.idempotent is False and op.group == "default"
    assert OperationSpec(id="y", method="PUT", path="/").idempotent is True
