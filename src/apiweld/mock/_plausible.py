"""Whether a description's example or default can stand for a value of its schema.

Descriptions often carry `example: 5555551234` for a string, a date-time for a `date`, or a
number outside the bounds; the generator uses an example only when this cheap check passes (the
full check is the caller's validator). Formats are checked as the contract checks assert them:
an example breaking its own format (a relative path for a `uri`) would fail them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Any

import jsonschema_rs

from apiweld.spec.ir import Schema


def _fits(text: str, low: int | None, high: int | None) -> bool:
    return (low is None or len(text) >= low) and (high is None or len(text) <= high)


_JSON_TYPES: dict[type, tuple[str, ...]] = {
    str: ("string",),
    bool: ("boolean",),
    int: ("integer", "number"),
    float: ("number",),
    list: ("array",),
    dict: ("object",),
}


def plausible(value: Any, schema: Schema) -> bool:
    """A cheap check that an example or default fits its schema's type and simple bounds;
    descriptions often carry `example: 5555551234` for a string (the full check is the
    caller's validator)."""
    if value is None:
        return "null" in schema.types
    if schema.types and not set(_JSON_TYPES.get(type(value), ())) & set(schema.types):
        return False
    if isinstance(value, str):
        return _fits(value, schema.min_length, schema.max_length) and _format_holds(
            value, schema.format
        )
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _within_bounds(value, schema)
    return True


def _format_holds(text: str, fmt: str | None) -> bool:
    """Whether a string example has the shape its format names. Validators leave `format`
    unasserted, but clients parse it: a date-time example for a `date` breaks them."""
    try:
        if fmt == "date":
            date.fromisoformat(text)
            return len(text) == 10
        if fmt == "date-time":
            datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            return "T" in text.upper() or " " in text
        if fmt == "uuid":
            uuid.UUID(text)
    except ValueError:
        return False
    return fmt is None or _format_checker(fmt)(text)


@cache
def _format_checker(fmt: str) -> Callable[[str], bool]:
    """Whether a string has a format, as the contract checks judge it (jsonschema-rs with
    formats asserted; formats it does not know pass)."""
    try:
        validator = jsonschema_rs.validator_for(
            {"type": "string", "format": fmt}, validate_formats=True
        )
    except Exception:  # a format name it refuses to compile: not checked
        return lambda _text: True
    return lambda text: bool(validator.is_valid(text))


def _within_bounds(number: float, schema: Schema) -> bool:
    return not (
        (schema.minimum is not None and number < schema.minimum)
        or (schema.maximum is not None and number > schema.maximum)
        or (schema.exclusive_minimum is not None and number <= schema.exclusive_minimum)
        or (schema.exclusive_maximum is not None and number >= schema.exclusive_maximum)
    )
