"""The public naming helpers every layer shares (`apiweld.spec.names`)."""

from __future__ import annotations

import keyword

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apiweld.spec.names import (
    BASEMODEL_ATTRIBUTES,
    RESERVED_CLASS_NAMES,
    class_name,
    is_valid_identifier,
    parameter_name,
    property_name,
    split_words,
    to_pascal,
    to_snake,
    unique_name,
    unique_names,
)


@pytest.mark.parametrize(
    ("text", "snake", "pascal"),
    [
        ("listPets", "list_pets", "ListPets"),
        ("repos/list-for-org", "repos_list_for_org", "ReposListForOrg"),
        ("getCoreV1APIResources", "get_core_v1_api_resources", "GetCoreV1APIResources"),
        ("io.k8s.api.core.v1.Pod", "io_k8s_api_core_v1_pod", "IoK8sApiCoreV1Pod"),
        ("listAPIs", "list_apis", "ListAPIs"),
        ("IPv4Address", "ipv4_address", "IPv4Address"),
        ("P2sVpnGateways_List", "p2s_vpn_gateways_list", "P2sVpnGatewaysList"),
        ("HTTPServer", "http_server", "HTTPServer"),
        ("simple-user", "simple_user", "SimpleUser"),
        ("Crème brûlée", "creme_brulee", "CremeBrulee"),
        ("2fa", "n2fa", "N2fa"),
        ("class", "class_", "Class"),
        ("", "value", "Model"),
        ("---", "value", "Model"),
    ],
)
def test_snake_and_pascal(text: str, snake: str, pascal: str) -> None:
    assert to_snake(text) == snake
    assert to_pascal(text) == pascal


def test_unicode_letters_keep_distinct_names() -> None:
    assert to_snake("日本") != to_snake("中国")
    assert to_snake("日本").isascii() and to_snake("日本").isidentifier()
    assert split_words("ÄpfelÜber") == ("Apfel", "Uber")


def test_class_names_avoid_builtins_typing_and_pydantic() -> None:
    for name in (
        "list",
        "List",
        "BaseModel",
        "Field",
        "Any",
        "Optional",
        "datetime",
        "str",
        "Enum",
        "date",
    ):
        result = class_name(name)
        assert result not in RESERVED_CLASS_NAMES and result.isidentifier(), name
    assert class_name("list") == "ListModel"
    assert class_name("pet") == "Pet"


def test_property_and_parameter_names() -> None:
    assert property_name("model_config") == "model_config_"
    assert property_name("modelName") == "model_name_"
    for attribute in ("json", "dict", "copy", "schema", "validate", "fields"):
        assert property_name(attribute) == f"{attribute}_"
    assert property_name("_private") == "private"
    assert property_name("9lives") == "field_9lives"
    assert property_name("") == "field"
    assert parameter_name("self") == "self_"
    assert parameter_name("") == "param"
    assert parameter_name("from") == "from_"


def test_unique_name_and_unique_names() -> None:
    taken = {"a", "a_2"}
    assert unique_name("a", taken) == "a_3" and "a_3" in taken
    assert unique_name("b", taken) == "b"
    assert unique_names(["x", "x", "y", "x"]) == ["x", "x_2", "y", "x_3"]
    assert unique_names(["X", "X"], separator="") == ["X", "X2"]


@given(st.text(max_size=40))
def test_every_text_gives_valid_identifiers(text: str) -> None:
    for make in (to_snake, to_pascal, class_name, property_name, parameter_name):
        name = make(text)
        assert is_valid_identifier(name), (make.__name__, text, name)
        assert not keyword.iskeyword(name)
    assert property_name(text) not in BASEMODEL_ATTRIBUTES
    assert class_name(text) not in RESERVED_CLASS_NAMES
