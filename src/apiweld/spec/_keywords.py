"""JSON Schema keywords copied as they are: their Schema field and the check their value needs.

Kept as tables so the schema builder dispatches on each key of a schema with one lookup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = [
    "EXCLUSIVE_BOUNDS",
    "FLAG",
    "FLAG_KEYWORDS",
    "JSON_TYPES",
    "SCALAR",
    "SCALAR_KEYWORDS",
    "TEXT",
    "TEXT_KEYWORDS",
    "describe_type",
]

SCALAR, TEXT, FLAG = "scalar", "text", "flag"
JSON_TYPES: frozenset[str] = frozenset(
    {"string", "number", "integer", "boolean", "array", "object", "null"}
)


def describe_type(value: Any) -> str:
    return {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
    }.get(type(value), type(value).__name__)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_positive(value: Any) -> bool:
    return _is_number(value) and value > 0


# Keywords whose value must be a string (the most common kind: checked inline, no call).
TEXT_KEYWORDS: dict[str, str] = {
    "description": "description",
    "title": "title",
    "format": "format",
    "pattern": "pattern",
    "contentMediaType": "content_media_type",
    "contentEncoding": "content_encoding",
}
SCALAR_KEYWORDS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "minimum": ("minimum", _is_number),
    "maximum": ("maximum", _is_number),
    "exclusiveMinimum": ("exclusive_minimum", _is_number),
    "exclusiveMaximum": ("exclusive_maximum", _is_number),
    "multipleOf": ("multiple_of", _is_positive),
    "minLength": ("min_length", _is_count),
    "maxLength": ("max_length", _is_count),
    "minItems": ("min_items", _is_count),
    "maxItems": ("max_items", _is_count),
    "minProperties": ("min_properties", _is_count),
    "maxProperties": ("max_properties", _is_count),
}
EXCLUSIVE_BOUNDS = frozenset({"exclusiveMinimum", "exclusiveMaximum"})
FLAG_KEYWORDS: dict[str, str] = {
    "deprecated": "deprecated",
    "readOnly": "read_only",
    "writeOnly": "write_only",
    "uniqueItems": "unique_items",
}
