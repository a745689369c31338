"""Any TOML document: a config and an IR, or a ConfigError with key paths; nothing else escapes."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from apiweld.config import ApiweldConfig, ConfigError, parse_config
from apiweld.spec import load
from apiweld.spec._project import apply_config, load_project

ROOT = Path(__file__).resolve().parents[2]
PETSTORE_API = load(ROOT / "examples" / "petstore.yaml")


def _all_keys(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[str]:
    """Every key any table of the config accepts, so generated documents are mostly near-misses."""
    if model in seen:
        return set()
    seen.add(model)
    keys: set[str] = set()
    for name, info in model.model_fields.items():
        keys.add(info.alias or name)
        stack: list[Any] = [info.annotation]
        while stack:
            annotation = stack.pop()
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                keys |= _all_keys(annotation, seen)
            stack.extend(typing.get_args(annotation))
    return keys


KNOWN_KEYS = sorted(_all_keys(ApiweldConfig, set()))
OPERATION_NAMES = ["list_pets", "createPet", "get_pet", "pets", "stores", "nope"]

keys = st.one_of(
    st.sampled_from(KNOWN_KEYS), st.sampled_from(OPERATION_NAMES), st.text(max_size=12)
)
scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        ["get", "/pets", "/pets/{petId}", "cursor", "page", "redis", "PETSTORE_KEY", "sk_live_x"]
    ),
    st.text(max_size=20),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=25,
)
documents = st.dictionaries(st.sampled_from(KNOWN_KEYS), values, max_size=6)


def _check_problems(error: ConfigError, document: dict[str, Any]) -> None:
    assert any(problem.severity == "error" for problem in error.problems)
    for problem in error.problems:
        assert problem.message
        if problem.key_path:
            assert problem.key_path[0] in document or problem.key_path[0] in KNOWN_KEYS
        assert str(problem)  # renders without raising


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_any_document_is_a_config_or_a_located_config_error(document: dict[str, Any]) -> None:
    try:
        config = parse_config(document, file="apiweld.toml")
    except ConfigError as error:
        _check_problems(error, document)
        return
    try:
        api = apply_config(PETSTORE_API, config)
    except ConfigError as error:
        _check_problems(error, document)
        return
    assert {op.id for op in api.operations} <= {op.id for op in PETSTORE_API.operations}
    if config.is_declared and config.endpoints:
        try:
            load_project(config)
        except ConfigError as error:
            _check_problems(error, document)


endpoint = st.fixed_dictionaries(
    {
        "method": st.sampled_from(["get", "post", "DELETE"]),
        "path": st.sampled_from(["/a", "/a/{id}", "/b"]),
    },
    optional={
        "id": st.text(max_size=10),
        "tags": st.lists(st.text(max_size=8), max_size=2),
        "parameters": st.lists(
            st.fixed_dictionaries(
                {"name": st.sampled_from(["id", "page", "q", ""])},
                optional={
                    "in": st.sampled_from(["path", "query", "header", "cookie", "body"]),
                    "type": st.sampled_from(["string", "integer", "array", "object", "file"]),
                    "required": st.booleans(),
                },
            ),
            max_size=3,
        ),
        "response": st.fixed_dictionaries({}, optional={"schema": values, "status": scalars}),
        "body": st.fixed_dictionaries({"schema": values}),
        "pagination": st.fixed_dictionaries(
            {"style": st.sampled_from(["page", "cursor", "none", "link"])},
            optional={"page_param": st.sampled_from(["page", "x"])},
        ),
    },
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(endpoint, min_size=1, max_size=4))
def test_any_declared_endpoints_are_an_ir_or_a_located_error(endpoints: list[Any]) -> None:
    document = {"api": {"title": "Generated"}, "endpoints": endpoints}
    try:
        api = load_project(parse_config(document, file="apiweld.toml"))
    except ConfigError as error:
        _check_problems(error, document)
        return
    assert api.source_format == "apiweld.toml"
    assert len(api.operations) == len({(e["method"].lower(), e["path"]) for e in endpoints})
    for problem in api.problems:
        assert not problem.pointer.startswith(("/paths", "/components")), problem


names = st.sampled_from([*OPERATION_NAMES, "", "a.b", "ünï", "listStores"])
selector = st.fixed_dictionaries(
    {},
    optional={
        "tags": st.lists(names, max_size=3),
        "ids": st.lists(names, max_size=3),
        "paths": st.lists(
            st.sampled_from(
                ["/pets", "/pets/*", "/**", "GET /pets/*", "DELETE /**", "*", "[", "/p{", "POST"]
            ),
            max_size=3,
        ),
    },
)
pagination_override = st.fixed_dictionaries(
    {},
    optional={
        "style": st.sampled_from(["page", "offset", "cursor", "link", "next_url", "none"]),
        "page_param": st.sampled_from(["page", "x"]),
        "size_param": st.sampled_from(["per_page", "limit"]),
        "cursor_param": st.sampled_from(["cursor", "after"]),
        "offset_param": st.sampled_from(["offset"]),
        "next_cursor_path": st.sampled_from(["next_cursor", "a.b", ""]),
        "next_url_path": st.sampled_from(["links.next"]),
        "items_path": st.sampled_from(["data", ""]),
    },
)
retry_table = st.fixed_dictionaries(
    {},
    optional={
        "max_attempts": st.integers(-1, 8),
        "backoff_base": st.floats(0, 100),
        "backoff_cap": st.floats(0.01, 100),
    },
)
limit_table = st.fixed_dictionaries(
    {},
    optional={
        "rate": st.floats(0.1, 100),
        "burst": st.integers(1, 10),
        "group": st.sampled_from(["g", "reads"]),
    },
)
identifiers = st.sampled_from(["list", "all", "pets.all", "stores.get", "x_y", "class", "a.b.c"])
mappings = st.fixed_dictionaries(
    {},
    optional={
        "operations": st.fixed_dictionaries(
            {},
            optional={
                "include": selector,
                "exclude": selector,
                "rename": st.dictionaries(names, identifiers, max_size=3),
            },
        ),
        "resources": st.fixed_dictionaries(
            {"rename": st.dictionaries(names, st.sampled_from(["animals", "pets", "x"]))}
        ),
        "pagination": st.fixed_dictionaries(
            {},
            optional={
                "operations": st.dictionaries(names, pagination_override, max_size=3),
                "tags": st.dictionaries(names, pagination_override, max_size=2),
            },
        ),
        "retry": st.fixed_dictionaries(
            {},
            optional={
                "operations": st.dictionaries(names, retry_table, max_size=3),
                "tags": st.dictionaries(names, retry_table, max_size=2),
            },
        ),
        "rate_limit": st.fixed_dictionaries(
            {},
            optional={
                "operations": st.dictionaries(names, limit_table, max_size=3),
                "tags": st.dictionaries(names, limit_table, max_size=2),
            },
        ),
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mappings)
def test_any_endpoint_mapping_is_applied_or_a_located_error(document: dict[str, Any]) -> None:
    try:
        config = parse_config(document, file="apiweld.toml")
        api = apply_config(PETSTORE_API, config)
    except ConfigError as error:
        _check_problems(error, document)
        return
    kept = {op.id for op in api.operations}
    excluded = {e["operation"] for e in api.extensions["x-apiweld-excluded"]}
    assert kept | excluded == {op.id for op in PETSTORE_API.operations}
    assert not kept & excluded
    method_names = [(op.resource, op.method_name) for op in api.operations]
    assert len(method_names) == len(set(method_names))
    for op in api.operations:
        assert op.pagination is None or op.pagination.style != "none"
