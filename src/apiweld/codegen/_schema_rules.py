"""Rules from JSON Schema to Python types that need no state: formats, constraints, defaults.

Split from `_types` (which walks the schema graph and names classes); everything here is a pure
function of one schema or one value.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from collections.abc import Mapping
from typing import Literal

from apiweld.spec.ir import ANY_SCHEMA, Schema

from ._names import py_literal

ANY = "_t.Any"

STRING_FORMATS = {
    "date-time": "_dt.datetime",
    "date": "_dt.date",
    "uuid": "_uuid.UUID",
    "binary": "bytes",
}


def builtin_name(name: str, shadow: frozenset[str]) -> str:
    return f"builtins.{name}" if name in shadow else name


def union_of(parts: list[str]) -> str:
    if ANY in parts:
        return ANY
    seen: list[str] = []
    for part in parts:
        if part not in seen:
            seen.append(part)
    if "None" in seen:
        seen = [p for p in seen if p != "None"] + ["None"]
    return " | ".join(seen) if seen else ANY


def is_optional(annotation: str) -> bool:
    return annotation.endswith("| None") or annotation == "None"


def const_parts(value: object) -> list[str]:
    if value is None:
        return ["None"]
    if isinstance(value, bool | int | str) and not isinstance(value, float):
        return [f"_t.Literal[{py_literal(value)}]"]
    return [ANY]


def is_binary(schema: Schema) -> bool:
    """Raw bytes: `format: binary`, or 3.1's `contentMediaType` without a text encoding."""
    if schema.format == "binary":
        return True
    return schema.content_media_type is not None and schema.content_encoding is None


def file_types_expression(shadow: frozenset[str]) -> str:
    """What the runtime's multipart encoder takes as a file part (`apiweld.runtime.FileTypes`).

    Spelled out rather than imported, so no name from the description can collide with it.
    """
    content = f"{builtin_name('bytes', shadow)} | _t.IO[{builtin_name('bytes', shadow)}]"
    name = f"{builtin_name('str', shadow)} | None"
    return f"{content} | tuple[{name}, {content}] | tuple[{name}, {content}, {name}]"


def fixed_tag_values(schema: Schema) -> list[str]:
    """The one discriminator value a member's tag property allows (`const`, one-value `enum`)."""
    if schema.has_const and isinstance(schema.const, str):
        return [schema.const]
    values = [v for v in schema.enum or () if v is not None]
    return [values[0]] if len(values) == 1 and isinstance(values[0], str) else []


def all_bool(values: list[object]) -> bool:
    return all(isinstance(v, bool) for v in values)


def enum_base(schema: Schema) -> Literal["OpenStrEnum", "OpenIntEnum"] | None:
    values = [v for v in schema.enum or () if v is not None]
    if not values:
        return None
    if all(isinstance(v, str) for v in values) and set(schema.non_null_types) <= {"string"}:
        return "OpenStrEnum"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values) and set(
        schema.non_null_types
    ) <= {"integer", "number"}:
        return "OpenIntEnum"
    return None


def string_constraints(schema: Schema) -> dict[str, object]:
    bounds: dict[str, object] = {}
    if schema.min_length is not None:
        bounds["min_length"] = schema.min_length
    if schema.max_length is not None:
        bounds["max_length"] = schema.max_length
    if schema.pattern is not None:
        bounds["pattern"] = schema.pattern
    return bounds


def number_constraints(schema: Schema) -> dict[str, object]:
    bounds: dict[str, object] = {}
    for key, value in (
        ("ge", schema.minimum),
        ("le", schema.maximum),
        ("gt", schema.exclusive_minimum),
        ("lt", schema.exclusive_maximum),
        ("multiple_of", schema.multiple_of),
    ):
        if value is not None and not isinstance(value, bool):
            bounds[key] = (
                int(value) if float(value).is_integer() and "integer" in schema.types else value
            )
    return bounds


def pattern_compiles(pattern: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            re.compile(pattern)
    except (re.error, RecursionError, OverflowError, ValueError):
        return False
    return True


# Keywords that describe a value without constraining it: a schema with only these accepts
# anything (an `allOf` part such as `{description: ...}` beside a `$ref`).
_ANNOTATIONS_CLEARED: dict[str, object] = {
    "pointer": "",
    "name": None,
    "source_name": None,
    "title": None,
    "description": None,
    "read_only": False,
    "write_only": False,
    "deprecated": False,
    "has_default": False,
    "default": None,
    "examples": (),
    "extensions": {},
}


def annotation_only(schema: Schema) -> bool:
    """True when `schema` only annotates (description, readOnly, ...) and accepts anything."""
    return dataclasses.replace(schema, **_ANNOTATIONS_CLEARED) == ANY_SCHEMA  # type: ignore[arg-type]


def accepts_null(schema: Schema, schemas: Mapping[str, Schema], depth: int = 0) -> bool:
    """Whether JSON `null` is valid for `schema`, as far as codegen types it.

    Nullable schemas, references to them, annotation-only schemas, and an `allOf` whose every
    part accepts null do; a schema with properties but no type is treated as an object.
    """
    if schema.nullable:
        return True
    if depth > 16:
        return False
    if schema.ref is not None:
        target = schemas.get(schema.ref)
        return target is not None and accepts_null(target, schemas, depth + 1)
    if schema.enum is not None:
        return None in schema.enum
    if schema.has_const:
        return schema.const is None
    if schema.types or schema.properties or schema.one_of or schema.any_of:
        return False
    if schema.all_of:
        return all(accepts_null(part, schemas, depth + 1) for part in schema.all_of)
    return annotation_only(schema)


def default_fits(
    value: object, schema: Schema, schemas: Mapping[str, Schema] | None = None, depth: int = 0
) -> bool:
    """Whether `value` is valid for `schema` and usable as a plain Python literal default.

    Array items are checked one by one, a union takes a value that fits any branch, and an
    `allOf` one that fits every part. Values that would need constructing (a model, a parsed
    `date-time`) do not fit: the server applies those defaults itself.
    """
    named = schemas or {}
    if schema.ref is not None:
        target = named.get(schema.ref)
        return target is not None and depth < 16 and default_fits(value, target, named, depth + 1)
    if schema.enum is not None and value not in schema.enum:
        return False
    if schema.has_const:
        return bool(value == schema.const)
    branches = schema.one_of or schema.any_of
    if branches and not any(default_fits(value, b, named, depth + 1) for b in branches):
        return False
    if depth < 16 and not all(default_fits(value, p, named, depth + 1) for p in schema.all_of):
        return False
    types = set(schema.non_null_types)
    if not types:
        return not schema.properties
    if schema.format in STRING_FORMATS and isinstance(value, str):
        return False  # would need parsing into datetime/UUID/bytes; leave the default to the server
    checks = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "array": isinstance(value, list) and _items_fit(value, schema, named, depth),
        "object": isinstance(value, dict) and not schema.properties,
    }
    return any(checks.get(t, False) for t in types)


def _items_fit(
    value: list[object], schema: Schema, schemas: Mapping[str, Schema], depth: int
) -> bool:
    if schema.prefix_items or depth >= 16:
        return not value
    items = schema.items
    return items is None or all(default_fits(v, items, schemas, depth + 1) for v in value)
