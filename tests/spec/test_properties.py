"""Property-based: mutated descriptions give an IR or a SpecError, never anything else."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spec_test_docs import CORPUS, PROJECT_ROOT, check_consistent

from apiweld.spec import SpecError, load
from apiweld.spec._loader import INTERNAL_ERROR
from apiweld.spec.ir import Api

BASES = [
    CORPUS / "readme-oas-examples" / "2.0" / "petstore.json",
    CORPUS / "readme-oas-examples" / "2.0" / "schema-circular.json",
    CORPUS / "readme-oas-examples" / "3.0" / "callbacks.json",
    CORPUS / "readme-oas-examples" / "3.0" / "discriminators.json",
    CORPUS / "readme-oas-examples" / "3.0" / "parameters-style.json",
    CORPUS / "readme-oas-examples" / "3.0" / "schema-circular.json",
    CORPUS / "readme-oas-examples" / "3.0" / "security.json",
    CORPUS / "readme-oas-examples" / "3.1" / "webhooks.json",
    CORPUS / "readme-oas-examples" / "3.1" / "schema-types.json",
]


def _read(path: Path) -> Any:
    if path.suffix == ".yaml":
        return yaml.safe_load(path.read_text())
    return orjson.loads(path.read_bytes())


DOCUMENTS = [_read(p) for p in BASES] + [_read(PROJECT_ROOT / "examples" / "petstore.yaml")]

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
odd_names = st.sampled_from(
    [
        "",
        " ",
        "class",
        "2xx",
        "model_config",
        "~1/~0",
        "日本語",
        "__init__",
        "a" * 300,
        "$ref",
        "x-",
        "-",
        "None",
        "📦",
        "default",
        "{id}",
        "/",
    ]
) | st.text(max_size=12)


def _containers(doc: Any) -> list[tuple[Any, Any]]:
    """(container, key or index) for every slot in the document, in a stable order."""
    slots: list[tuple[Any, Any]] = []
    stack = [doc]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            slots.append((node, key))
            if isinstance(value, dict | list):
                stack.append(value)
    return slots


def _deep(depth: int, kind: str) -> Any:
    node: Any = {"type": "string"}
    for _ in range(depth):
        node = (
            {"properties": {"x": node}}
            if kind == "properties"
            else ({"allOf": [node]} if kind == "allOf" else {"type": "array", "items": node})
        )
    return node


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    doc = copy.deepcopy(draw(st.sampled_from(DOCUMENTS)))
    for _ in range(draw(st.integers(1, 6))):
        slots = _containers(doc)
        if not slots:
            break
        container, key = draw(st.sampled_from(slots))
        action = draw(
            st.sampled_from(
                ["value", "delete", "ref", "huge", "rename", "deep", "cycle", "wrong_type"]
            )
        )
        if action == "value":
            container[key] = draw(json_values)
        elif action == "wrong_type":
            current = container[key]
            container[key] = (
                [current]
                if isinstance(current, dict)
                else ({"value": current} if isinstance(current, list) else draw(json_values))
            )
        elif action == "delete":
            if isinstance(container, dict):
                del container[key]
            else:
                container.pop(key)
        elif action == "ref":
            pointers = [
                "#/components/schemas/Nope",
                "#/",
                "#",
                "#/paths",
                "#/info/title",
                "../../etc/passwd",
                "/etc/passwd",
                "http://127.0.0.1:9/x.json",
                "nothere.yaml#/A",
                "#/definitions/Pet",
                "#/components/schemas",
                "#anchor",
                "#/paths/~1pets/get",
            ]
            container[key] = {"$ref": draw(st.sampled_from(pointers) | st.text(max_size=15))}
        elif action == "huge":
            container[key] = "x" * draw(st.integers(10_000, 400_000))
        elif action == "rename" and isinstance(container, dict):
            container[draw(odd_names)] = container.pop(key)
        elif action == "deep":
            container[key] = _deep(
                draw(st.integers(50, 3000)), draw(st.sampled_from(["properties", "allOf", "items"]))
            )
        elif action == "cycle" and isinstance(container[key], dict | list):
            # A real object cycle, as YAML anchors or a caller's dict can make.
            target = container[key]
            if isinstance(target, dict):
                target["self"] = target
            else:
                target.append(target)
    return doc


def _load_or_error(source: Any, **options: Any) -> Api | SpecError:
    try:
        return load(source, **options)
    except SpecError as exc:
        assert exc.problems and str(exc)
        assert INTERNAL_ERROR not in str(exc), str(exc)
        return exc


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated())
def test_mutated_descriptions_give_an_ir_or_a_spec_error(doc: Any) -> None:
    result = _load_or_error(doc)
    if isinstance(result, Api):
        check_consistent(result)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(doc=mutated())
def test_mutated_descriptions_from_files(
    doc: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("doc")
    try:
        data = orjson.dumps(doc)
    except (TypeError, orjson.JSONEncodeError):  # object cycles cannot be written out
        return
    (folder / "api.json").write_bytes(data)
    _load_or_error(folder / "api.json")


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    content=st.binary(max_size=300) | st.text(max_size=300).map(str.encode),
    name=st.sampled_from(["api.json", "api.yaml", "api.txt"]),
)
def test_arbitrary_bytes_give_an_ir_or_a_spec_error(
    content: bytes, name: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("bytes") / name
    path.write_bytes(content)
    _load_or_error(path)


def test_yaml_alias_bombs_and_recursive_anchors(tmp_path: Path) -> None:
    bomb = ["openapi: 3.0.0", "info: {title: t, version: '1'}", "a0: &a0 {type: string}"]
    for i in range(1, 30):
        bomb.append(f"a{i}: &a{i} {{allOf: [*a{i - 1}, *a{i - 1}]}}")
    bomb.append("components: {schemas: {Bomb: *a29}}")
    bomb.append("paths: {}")
    (tmp_path / "bomb.yaml").write_text("\n".join(bomb))
    api = load(tmp_path / "bomb.yaml")
    assert "Bomb" in api.schemas
    (tmp_path / "loop.yaml").write_text(
        "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\n"
        "components: {schemas: {Loop: &loop {type: object, properties: {next: *loop}}}}\n"
    )
    looped = load(tmp_path / "loop.yaml")
    assert any("nested deeper" in p.message for p in looped.problems)
