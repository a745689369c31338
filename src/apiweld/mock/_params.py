"""Decoding request parameters by OpenAPI style and explode, then coercing them by schema.

The wire carries strings; a validator needs typed JSON. Decoding follows the OpenAPI
serialisation table (simple, label, matrix, form, spaceDelimited, pipeDelimited, deepObject);
coercion turns a string into the integer, number or boolean its schema asks for, and leaves it
a string when it does not parse, so the validator reports the type error with its location.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson

from apiweld.spec.ir import Parameter, Schema

Resolve = Callable[[Schema], Schema]
MISSING: Any = object()


def coerce(raw: Any, schema: Schema, resolve: Resolve) -> Any:
    """Turn decoded wire strings into the JSON types the schema expects, where they parse."""
    target = resolve(schema)
    types = target.non_null_types
    if not types:
        for branch in (*target.one_of, *target.any_of, *target.all_of):
            types = resolve(branch).non_null_types
            if types:
                target = resolve(branch)
                break
    if isinstance(raw, list):
        item_schema = target.items or Schema()
        return [coerce(item, item_schema, resolve) for item in raw]
    if isinstance(raw, dict):
        props = object_properties(target, resolve)
        extra = target.additional_properties
        fallback = extra if isinstance(extra, Schema) else Schema()
        return {k: coerce(v, props.get(k, fallback), resolve) for k, v in raw.items()}
    if not isinstance(raw, str):
        return raw
    if raw == "" and "null" in target.types:
        return None
    for kind in types:
        if kind == "integer":
            try:
                return int(raw)
            except ValueError:
                continue
        if kind == "number":
            try:
                number = float(raw)
            except ValueError:
                continue
            return int(number) if number.is_integer() and "." not in raw else number
        if kind == "boolean" and raw in ("true", "false"):
            return raw == "true"
        if kind == "string":
            return raw
        if kind == "null" and raw == "null":
            return None
    return raw


def shape_of(schema: Schema, resolve: Resolve) -> str:
    """`array`, `object` or `primitive`: what the decoder should split the wire value into."""
    target = resolve(schema)
    types = target.non_null_types
    if "array" in types or (not types and target.items is not None):
        return "array"
    if "object" in types or (not types and object_properties(target, resolve)):
        return "object"
    return "primitive"


def object_properties(
    schema: Schema, resolve: Resolve, _seen: frozenset[int] = frozenset()
) -> dict[str, Schema]:
    """The properties an object may carry: its own, then those of its allOf/oneOf/anyOf
    parts (the union; the first declaration of a name wins), as the data generator merges
    them. Only the top level counts when nothing is composed."""
    target = resolve(schema)
    if id(target) in _seen:
        return {}
    seen = _seen | {id(target)}
    found = {p.name: p.schema for p in target.properties}
    for branch in (*target.all_of, *target.one_of, *target.any_of):
        for name, prop in object_properties(branch, resolve, seen).items():
            found.setdefault(name, prop)
    return found


def _pairs_to_object(parts: Sequence[str]) -> dict[str, str]:
    return {parts[i]: parts[i + 1] if i + 1 < len(parts) else "" for i in range(0, len(parts), 2)}


def _split_assignments(parts: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in parts:
        key, _, value = part.partition("=")
        out[key] = value
    return out


def decode_simple(value: str, shape: str, explode: bool) -> Any:
    if shape == "array":
        return value.split(",") if value else []
    if shape == "object":
        parts = value.split(",") if value else []
        return _split_assignments(parts) if explode else _pairs_to_object(parts)
    return value


def decode_path(param: Parameter, value: str, shape: str) -> Any:
    style = param.style or "simple"
    if style == "label":
        body = value[1:] if value.startswith(".") else value
        separator = "." if param.explode else ","
        if shape == "array":
            return body.split(separator) if body else []
        if shape == "object":
            parts = body.split(separator) if body else []
            return _split_assignments(parts) if param.explode else _pairs_to_object(parts)
        return body
    if style == "matrix":
        pieces = [p for p in value.split(";") if p]
        assignments = [p.partition("=") for p in pieces]
        if shape == "array":
            if param.explode:
                return [v for k, _, v in assignments if k == param.name]
            return assignments[0][2].split(",") if assignments else []
        if shape == "object":
            if param.explode:
                return {k: v for k, _, v in assignments}
            return _pairs_to_object(assignments[0][2].split(",")) if assignments else {}
        return assignments[0][2] if assignments else ""
    return decode_simple(value, shape, param.explode)


def decode_query(
    param: Parameter,
    query: Mapping[str, list[str]],
    shape: str,
    object_keys: Sequence[str],
) -> Any:
    """The parameter's value from the parsed query string, or MISSING when absent."""
    style = param.style or "form"
    name = param.name
    if style == "deepObject":
        prefix = name + "["
        found = {k[len(prefix) : -1]: v[-1] for k, v in query.items() if k.startswith(prefix)}
        return found if found else MISSING
    if shape == "object" and param.explode and style == "form":
        # Exploded form objects spread their properties over the query; take the known ones.
        found = {k: query[k][-1] for k in object_keys if k in query}
        return found if found else MISSING
    values = query.get(name)
    if values is None:
        return MISSING
    if shape == "array":
        if param.explode and style == "form":
            return list(values)
        separator = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",")
        joined = values[-1]
        return joined.split(separator) if joined else []
    if shape == "object":
        parts = values[-1].split(",") if values[-1] else []
        return _pairs_to_object(parts)
    return values[-1]


def decode_content(value: str, media_type: str) -> Any:
    if "json" in media_type:
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value
