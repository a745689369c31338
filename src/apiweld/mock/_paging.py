"""Pages of a list the mock serves: which slice of the collection a request asks for, the
query of the next page (a cursor written to fit the cursor parameter), and the page body with
its paging fields."""

from __future__ import annotations

import base64
import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from apiweld.mock._responses import NO_BODY
from apiweld.mock.datagen import DataGenerator
from apiweld.spec.ir import Api, Operation, Pagination, Schema


def items_schema(
    api: Api, generator: DataGenerator, schema: Schema, path: tuple[str, ...]
) -> Schema | None:
    """The schema of the items of the array found at `path` inside `schema`."""
    node = generator.flatten(schema)
    for key in path:
        props = {p.name: p.schema for p in node.properties}
        if key not in props:
            return None
        node = generator.flatten(props[key])
    return node.items if node.items is not None else None


def _set_path(body: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    """Set a value at a path, copying each dict on the way (the wrapper is a cached body)."""
    node = body
    for key in path[:-1]:
        child = node.get(key)
        child = dict(child) if isinstance(child, dict) else {}
        node[key] = child
        node = child
    node[path[-1]] = value


def refine_paths(generator: DataGenerator, schema: Schema, pagination: Pagination) -> Pagination:
    """Point the cursor and next-URL paths at a string: when the hint stops at an object
    (`paging.next` holding `{after, link}`), continue to its first required string property."""
    changes: dict[str, tuple[str, ...]] = {}
    for name in ("next_cursor_path", "next_url_path"):
        path: tuple[str, ...] = getattr(pagination, name)
        if not path:
            continue
        node = generator.flatten(schema)
        for key in path:
            found = next((p.schema for p in node.properties if p.name == key), None)
            if found is None:
                node = Schema()
                break
            node = generator.flatten(found)
        if "object" in node.types or node.properties:
            strings = [p for p in node.properties if "string" in generator.flatten(p.schema).types]
            strings.sort(key=lambda p: not p.required)
            if strings:
                changes[name] = (*path, strings[0].name)
    return replace(pagination, **changes) if changes else pagination  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Any]
    next_query: dict[str, str] | None
    total: int


class UnknownCursor(ValueError):
    """A cursor that names no item of the list (the client answers it with 400): serving the
    first page again would send a client round in a loop."""


def item_cursor_field(pagination: Pagination, items: Sequence[Any]) -> str | None:
    """The item field the next cursor is read from (`after=<last id>`), when every item of the
    pool has a distinct scalar value there; else None and the mock's own cursor is used."""
    name = pagination.cursor_item_field
    if pagination.style != "cursor" or not name:
        return None
    seen: set[str] = set()
    for item in items:
        value = item.get(name) if isinstance(item, dict) else None
        if value is None or isinstance(value, bool | dict | list) or str(value) in seen:
            return None
        seen.add(str(value))
    return name


def _item_window(
    pagination: Pagination, name: str, items: Sequence[Any], query: Mapping[str, Any], size: int
) -> tuple[int, str | None]:
    """(start, next cursor or None): the page after the item the cursor names."""
    param = pagination.cursor_param or "cursor"
    sent = query.get(param)
    start = 0
    if sent is not None and sent != "":
        wanted = str(sent)
        found = next((i for i, item in enumerate(items) if str(item[name]) == wanted), None)
        if found is None:
            raise UnknownCursor(f"{param}={wanted!r} names no item of this list (its {name!r})")
        start = found + 1
    stop = min(start + size, len(items))
    return start, (str(items[stop - 1][name]) if start < stop < len(items) else None)


def page_window(
    pagination: Pagination,
    query: Mapping[str, Any],
    total: int,
    default_size: int,
    cursor: CursorCodec | None = None,
    items: Sequence[Any] | None = None,
) -> tuple[int, int, dict[str, str] | None]:
    """(start, size, query overrides for the next page or None) for one request.

    `start` is at most `total`: a page, offset or cursor past the end (any integer is
    schema-valid unless bounded, and clients send huge ones) is an empty last page. With the
    pool's `items` and a cursor taken from an item field, the cursor is that field's value on
    the last item served, and one naming no item raises UnknownCursor.
    """
    size_param = pagination.size_param or pagination.limit_param
    size = _whole(query.get(size_param)) if size_param else None
    size = size if size is not None and size > 0 else default_size
    start = 0
    next_query: dict[str, str] = {}
    if pagination.style == "page" or (pagination.page_param and pagination.style != "cursor"):
        page = _whole(query.get(pagination.page_param or "page"))
        # Pages count from 1, as the runtime's pager does; 0 is read as the first page too.
        page = page if page is not None and page >= 1 else 1
        start = (page - 1) * size
        next_query[pagination.page_param or "page"] = str(page + 1)
    elif pagination.style == "offset" or pagination.offset_param:
        offset = _whole(query.get(pagination.offset_param or "offset"))
        start = offset if offset is not None and offset >= 0 else 0
        next_query[pagination.offset_param or "offset"] = str(start + size)
    elif items is not None and (name := item_cursor_field(pagination, items)):
        start, value = _item_window(pagination, name, items, query, size)
        if value is None:
            return start, size, None
        next_query[pagination.cursor_param or "cursor"] = value
        if size_param and size_param in query:
            next_query[size_param] = str(query[size_param])
        return start, size, next_query
    else:
        codec = cursor or OPAQUE_CURSOR
        start = codec.decode(query.get(pagination.cursor_param or "cursor"))
        next_query[pagination.cursor_param or "cursor"] = codec.encode(min(start, total) + size)
    if size_param and size_param in query:
        # The size as sent (a 0 the mock read as its default stays 0, which the parameter's
        # schema took), so the next page is exactly as acceptable as this one.
        next_query[size_param] = str(query[size_param])
    start = min(start, total)
    return start, size, (next_query if start + size < total else None)


def _whole(value: Any) -> int | None:
    """A paging number as sent: an int, or a string of ASCII digits (a parameter typed
    string); anything else, a digit string too long for `int()` included, is no number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return parse_whole(value.strip())
    return None


def parse_whole(text: str) -> int | None:
    """A non-negative integer written in ASCII digits, else None (never an exception: `²`
    passes `str.isdigit()` and a 5,000-digit string exceeds `int()`'s limit)."""
    if not text.isascii() or not text.isdigit():
        return None
    try:
        return int(text)
    except ValueError:
        return None


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_cursor(value: Any) -> int:
    """The offset a cursor stands for; an unknown cursor starts from the beginning."""
    if not isinstance(value, str) or not value:
        return 0
    try:
        text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except ValueError:
        return 0
    kind, _, number = text.partition(":")
    offset = parse_whole(number) if kind == "o" else None
    return offset or 0


@dataclass(frozen=True, slots=True)
class CursorCodec:
    """How the offset behind a next-page cursor is written into the cursor parameter.

    `opaque` is base64 of `o:<offset>`; `number` is `base + offset` in decimal, for a numeric
    cursor (a timestamp `after`) or a string one whose pattern takes digits only; `uuid` is
    the offset as a UUID's 128-bit integer. The mock picks the first whose values its own
    validation of the parameter accepts, so it never refuses a next page it linked to.
    """

    kind: Literal["opaque", "number", "uuid"] = "opaque"
    base: int = 0

    def encode(self, offset: int) -> str:
        if self.kind == "number":
            return str(self.base + offset)
        if self.kind == "uuid":
            return str(uuid.UUID(int=offset % (1 << 128)))
        return encode_cursor(offset)

    def decode(self, value: Any) -> int:
        if self.kind == "number":
            number = _whole(value)
            return max(number - self.base, 0) if number is not None else 0
        if self.kind == "uuid":
            try:
                return uuid.UUID(str(value)).int
            except ValueError:
                return 0
        return decode_cursor(value)


OPAQUE_CURSOR = CursorCodec()
_CURSOR_SAMPLES = (0, 1, 10, 1000)


def cursor_codec(
    schema: Schema, accepts: Callable[[str], bool], fits: Callable[[str], bool] | None = None
) -> CursorCodec:
    """The cursor encoding for a parameter of this (resolved) schema that `accepts` takes and,
    given `fits` (the body field carrying the next cursor), that field takes too: a string
    `marker` whose `next_marker` is an integer gets numbers. Failing both, the parameter wins."""
    candidates: list[CursorCodec] = []
    base = _lowest_whole(schema)
    if {"integer", "number"} & set(schema.non_null_types):
        candidates.append(CursorCodec("number", base))
    candidates += [OPAQUE_CURSOR, CursorCodec("number", base), CursorCodec("uuid")]
    for check in ((lambda text: accepts(text) and fits(text)) if fits else None, accepts):
        for codec in candidates:
            if check is not None and all(check(codec.encode(n)) for n in _CURSOR_SAMPLES):
                return codec
    return OPAQUE_CURSOR


def next_cursor_schema(generator: DataGenerator, operation: Operation) -> Schema | None:
    """The schema of the body field carrying the next cursor, in the first JSON success body."""
    pagination = operation.pagination
    if pagination is None or not pagination.next_cursor_path:
        return None
    for response in operation.success_responses:
        for media in response.content:
            if media.schema is None or "json" not in media.media_type:
                continue
            node = generator.flatten(media.schema)
            for key in pagination.next_cursor_path:
                found = next((p.schema for p in node.properties if p.name == key), None)
                if found is None:
                    return None
                node = generator.flatten(found)
            return node
    return None


def _lowest_whole(schema: Schema) -> int:
    """The smallest non-negative whole number the schema's bounds allow (0 when unbounded)."""
    low = 0
    if schema.minimum is not None:
        low = max(low, math.ceil(schema.minimum))
    if schema.exclusive_minimum is not None:
        low = max(low, math.floor(schema.exclusive_minimum) + 1)
    return low


def paged_body(
    pagination: Pagination,
    wrapper: Any,
    items: list[Any],
    next_value: str | None,
    total: int,
    has_more: bool,
    valid: Callable[[Any], bool],
    echoes: Mapping[str, int] | None = None,
) -> Any:
    """The page body, or NO_BODY when no valid one can be made: the items placed at
    `items_path`, then each paging field the hint names, each kept only where the body stays
    valid with it. On the last page a next field the schema will not take as null is removed:
    the wrapper's generated value would send the client to a page that does not exist.
    `echoes` are the paging parameters as the mock read them (`limit`, `offset`): a field of
    that name beside the items says what this page is, not a generated number."""
    if not pagination.items_path:
        return items if valid(items) else NO_BODY
    body = dict(wrapper) if isinstance(wrapper, dict) else {}
    _set_path(body, pagination.items_path, items)
    if not valid(body):
        return NO_BODY
    container = pagination.items_path[:-1]
    beside = _node(body, container)
    fields: list[tuple[tuple[str, ...], Any]] = [
        ((*container, name), value)
        for name, value in (echoes or {}).items()
        if isinstance(beside, dict) and name in beside
    ]
    fields += [
        (pagination.next_cursor_path, next_value),
        (pagination.next_url_path, next_value),
        (pagination.has_more_path, has_more),
        (pagination.total_path, total),
    ]
    for path, value in fields:
        if not path:
            continue
        for option in spellings(value):
            candidate = _copy_path(body, path)
            _set_path(candidate, path, option)
            if valid(candidate):
                body = candidate
                break
        else:
            if value is not None:
                continue
            candidate = _copy_path(body, path)
            _drop(candidate, path)
            if valid(candidate):
                body = candidate
                continue
            if path in (pagination.next_cursor_path, pagination.next_url_path):
                # A required, non-nullable next field: "" ends the listing (Slack's
                # `next_cursor: ""`, and every pager stops on it), a generated value would not.
                candidate = _copy_path(body, path)
                _set_path(candidate, path, "")
                if valid(candidate):
                    body = candidate
    return body


def spellings(value: Any) -> tuple[Any, ...]:
    """A paging value, then the number it spells when the body's field is numeric (a cursor
    written into an integer `after`)."""
    if isinstance(value, str):
        number = parse_whole(value)
        if number is not None:
            return (value, number)
    return (value,)


def _node(body: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        body = body.get(key) if isinstance(body, dict) else None
    return body


def _copy_path(body: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    """A copy of `body` sharing nothing along `path` (the rest is shared, and not changed)."""
    top = dict(body)
    node = top
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            break
        node[key] = dict(child)
        node = node[key]
    return top


def _drop(body: dict[str, Any], path: tuple[str, ...]) -> None:
    node: Any = body
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
    if path and isinstance(node, dict):
        node.pop(path[-1], None)
