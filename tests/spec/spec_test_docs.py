"""Helpers the spec loader's tests import: small documents and the corpus location."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from apiweld.spec.ir import Api, Schema
from apiweld.spec.names import is_valid_identifier

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CORPUS = PROJECT_ROOT.parent / "shared" / "corpus"


def openapi(
    paths: dict[str, Any] | None = None, *, version: str = "3.0.3", **extra: Any
) -> dict[str, Any]:
    """A minimal valid OpenAPI document with the given paths and top-level keys."""
    return {
        "openapi": version,
        "info": {"title": "T", "version": "1"},
        "paths": paths or {},
        **extra,
    }


def get_op(schema: Any = None, **extra: Any) -> dict[str, Any]:
    """An operation answering 200 with a JSON body of `schema`."""
    response: dict[str, Any] = {"description": "ok"}
    if schema is not None:
        response["content"] = {"application/json": {"schema": schema}}
    return {"responses": {"200": response}, **extra}


def with_schemas(schemas: dict[str, Any], *, version: str = "3.0.3") -> dict[str, Any]:
    """A document whose only content is `components.schemas`."""
    return openapi(version=version, components={"schemas": schemas})


def children(schema: Schema) -> Iterator[Schema]:
    for prop in schema.properties:
        yield prop.schema
    yield from schema.prefix_items
    yield from schema.all_of
    yield from schema.one_of
    yield from schema.any_of
    for _, pattern_schema in schema.pattern_properties:
        yield pattern_schema
    for sub in (schema.items, schema.not_, schema.additional_properties):
        if isinstance(sub, Schema):
            yield sub


def all_schemas(api: Api) -> Iterator[Schema]:
    """Every schema object in the IR (named, inline, in operations), each once."""
    roots: list[Schema] = list(api.schemas.values())
    operations = [*api.operations, *(op for hook in api.webhooks for op in hook.operations)]
    for op in operations:
        roots.extend(p.schema for p in op.parameters)
        bodies = [
            *(op.request_body.content if op.request_body else ()),
            *(m for r in op.responses for m in r.content),
        ]
        roots.extend(m.schema for m in bodies if m.schema is not None)
        roots.extend(h.schema for r in op.responses for h in r.headers)
    seen: set[int] = set()
    stack = roots
    while stack:
        schema = stack.pop()
        if id(schema) in seen:
            continue
        seen.add(id(schema))
        yield schema
        stack.extend(children(schema))


def check_consistent(api: Api) -> None:
    ids = [op.id for op in api.operations]
    assert len(set(ids)) == len(ids), "operation ids are not unique"
    by_resource: dict[str, set[str]] = {}
    for op in api.operations:
        assert is_valid_identifier(op.id), op.id
        assert is_valid_identifier(op.resource), op.resource
        assert is_valid_identifier(op.method_name), op.method_name
        methods = by_resource.setdefault(op.resource, set())
        assert op.method_name not in methods, (op.resource, op.method_name)
        methods.add(op.method_name)
        py_names = [p.py_name for p in op.parameters]
        if op.request_body is not None:
            py_names.append(op.request_body.py_name)
        assert len(set(py_names)) == len(py_names), (op.id, py_names)
        assert all(is_valid_identifier(n) for n in py_names), (op.id, py_names)
    for name, schema in api.schemas.items():
        assert is_valid_identifier(name) and schema.name == name, name
    for schema in all_schemas(api):
        if schema.ref is not None:
            assert schema.ref in api.schemas, schema.ref
        py_names = [p.py_name for p in schema.properties]
        assert len(set(py_names)) == len(py_names), (schema.pointer, py_names)
        assert all(is_valid_identifier(n) for n in py_names), (schema.pointer, py_names)
        if schema.discriminator is not None:
            assert all(target in api.schemas for _, target in schema.discriminator.mapping)
    hooks = [hook.py_name for hook in api.webhooks]
    assert len(set(hooks)) == len(hooks) and all(is_valid_identifier(h) for h in hooks)
    for problem in api.problems:
        assert problem.severity in ("error", "warning")
        assert problem.pointer == "" or problem.pointer.startswith("/"), problem
