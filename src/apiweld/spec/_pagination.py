"""Pagination hints: read from `x-pagination`-style extensions, else detected from the shape.

Detection is deliberately conservative: an operation is paginated only when it is a GET whose
success body is (or holds) a list *and* something says how to get the next page: a paging query
parameter, a `Link` response header, or a next-page URL in the body. A wrong hint is worse than
none, because the generated client would loop on it; `apiweld.toml` can add what is missed.

What counts: a next-page URL sits in a field named like "next" (`next`, `next_url`, `nextLink`,
`@odata.nextLink`, in the body beside the items or in its paging container: `links.next`,
`paging.next`), and is a string that says it is a URL (a URI format, or `url`/`link`/`href` in its
name or its container's), or an object holding such a string (`links.next.href`). A bare
`href`, `url` or `self` is the resource's own address (HAL, Spotify), never the next page: a
single object with a self link and some array must not become a pager over that array. A
numeric `next` (Vercel's timestamp) is a cursor, and only when a query parameter can carry it
back (`until`, `since`, `from`...); a cursor object (HubSpot's `paging.next: {after, link}`) is
followed to its field named like the cursor parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from apiweld.spec.ir import Operation, Pagination, PaginationStyle, Schema

__all__ = ["detect_pagination"]

_PAGE_PARAMS = ("page", "page_number", "pagenumber", "page_num", "pageno")
_SIZE_PARAMS = (
    "per_page",
    "page_size",
    "pagesize",
    "perpage",
    "size",
    "limit",
    "count",
    "max_results",
    "maxresults",
    "top",
    "$top",
)
_OFFSET_PARAMS = ("offset", "skip", "start", "$skip", "start_index", "startindex")
_LIMIT_PARAMS = (
    "limit",
    "count",
    "max_results",
    "maxresults",
    "size",
    "page_size",
    "top",
    "$top",
    "per_page",
)
_CURSOR_PARAMS = (
    "cursor",
    "starting_after",
    "page_token",
    "pagetoken",
    "next_token",
    "nexttoken",
    "continuation_token",
    "continuationtoken",
    "after",
    "marker",
    "continue",
    "next_cursor",
    "page_cursor",
    "pagination_token",
    "next",
)
# Query parameters that can carry a *numeric* next cursor (a timestamp or an id), tried after
# _CURSOR_PARAMS: Vercel answers `pagination.next: 1540095775951` and takes it back as `until`.
_NUMERIC_CURSOR_PARAMS = (
    "until",
    "before",
    "ending_before",
    "since",
    "from",
    "min_id",
    "max_id",
    "since_id",
)
_ITEM_FIELDS = (
    "data",
    "items",
    "results",
    "records",
    "entries",
    "values",
    "value",
    "list",
    "content",
    "hits",
    "rows",
    "elements",
    "objects",
    "nodes",
)
_NEXT_CURSOR_FIELDS = (
    "next_cursor",
    "nextcursor",
    "next_page_token",
    "nextpagetoken",
    "next_token",
    "nexttoken",
    "continuation_token",
    "continuationtoken",
    "end_cursor",
    "endcursor",
    "continue",
    "cursor",
    "next_marker",
    "nextmarker",
    "after",
    "next",
    # The last item's id, sent back as the cursor (OpenAI's and DigitalOcean's `last_id` beside
    # `has_more`). A bare `last` is left out: JSON:API's `links.last` is the last page's URL.
    "last_id",
    "lastid",
    "last_cursor",
    "lastcursor",
)
_LAST_ITEM_FIELDS = frozenset({"last_id", "lastid"})
_NEXT_URL_FIELDS = (
    "next_url",
    "nexturl",
    "next_link",
    "nextlink",
    "@odata.nextlink",
    "next_page_url",
    "nextpageurl",
    "next_page",
    "next",
)
# Inside an object found where a next URL was expected (`links.next: {href: ...}`); only there,
# because a bare `href`/`url` beside the data is the object's own address.
_LINK_LEAF_FIELDS = ("href", "url", "link", "uri")
_URL_FORMATS = frozenset({"uri", "uri-reference", "url", "iri", "iri-reference"})
_URL_WORDS = ("url", "link", "href", "uri")
_CURSOR_TYPES = frozenset({"string", "integer", "number"})
_NUMERIC_TYPES = frozenset({"integer", "number"})
# Compared without `-` and `_`: X-Next-Cursor, next_page_token and NextPageToken all match.
_NEXT_CURSOR_HEADERS = frozenset(
    {
        "xnextcursor",
        "nextcursor",
        "xnextpagetoken",
        "nextpagetoken",
        "xnexttoken",
        "nexttoken",
        "xcontinuationtoken",
        "continuationtoken",
        "xcontinuation",
        "xmscontinuation",
        "xcursor",
        "xnext",
        "xpaginationnextcursor",
        "xnextpage",
        "nextpage",
    }
)
_CONTAINERS = (
    "meta",
    "pagination",
    "page_info",
    "pageinfo",
    "paging",
    "links",
    "metadata",
    "cursor",
    "_links",
    "page",
)
_HAS_MORE_FIELDS = (
    "has_more",
    "hasmore",
    "has_next",
    "hasnext",
    "has_next_page",
    "hasnextpage",
    "more",
)
# Item fields that name an item, for a cursor taken from the last item: `id` first (tried apart),
# then these, then any one `*_id`/`*Id` property (DigitalOcean's `batch_id`).
_ITEM_KEY_FIELDS = ("ts", "uuid", "key")
_TOTAL_FIELDS = (
    "total",
    "total_count",
    "totalcount",
    "total_results",
    "totalresults",
    "total_items",
    "totalitems",
    "count",
)


def _resolve(schema: Schema | None, schemas: Mapping[str, Schema]) -> Schema | None:
    seen: set[str] = set()
    while schema is not None and schema.ref is not None and schema.ref not in seen:
        seen.add(schema.ref)
        schema = schemas.get(schema.ref)
    return schema


def _properties(schema: Schema | None, schemas: Mapping[str, Schema]) -> dict[str, Schema]:
    """Properties of an object schema, through `allOf` and refs (bounded, cycle-safe)."""
    found: dict[str, Schema] = {}
    pending = [schema]
    visited = 0
    while pending and visited < 64:
        current = _resolve(pending.pop(), schemas)
        visited += 1
        if current is None:
            continue
        for prop in current.properties:
            found.setdefault(prop.name, prop.schema)
        pending.extend(current.all_of)
    return found


def _is_array(schema: Schema | None, schemas: Mapping[str, Schema]) -> bool:
    resolved = _resolve(schema, schemas)
    return resolved is not None and "array" in resolved.types


def _find(props: Mapping[str, Schema], names: tuple[str, ...]) -> str | None:
    lowered = {name.lower(): name for name in props}
    for candidate in names:
        if candidate in lowered:
            return lowered[candidate]
    return None


def _candidates(
    body: Schema | None, schemas: Mapping[str, Schema], names: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], Schema]]:
    """Properties named like `names`, at the top of the body, then inside each paging container,
    best first: (path, schema)."""
    top = _properties(body, schemas)
    top_lowered = {name.lower(): name for name in top}
    for candidate in names:
        if candidate in top_lowered:
            key = top_lowered[candidate]
            yield (key,), top[key]
    for container in _CONTAINERS:
        holder = _find(top, (container,))
        if holder is None:
            continue
        inner = _properties(top[holder], schemas)
        inner_lowered = {name.lower(): name for name in inner}
        for candidate in names:
            if candidate in inner_lowered:
                name = inner_lowered[candidate]
                yield (holder, name), inner[name]


def _find_path(
    body: Schema | None, schemas: Mapping[str, Schema], names: tuple[str, ...]
) -> tuple[str, ...]:
    return next((path for path, _ in _candidates(body, schemas, names)), ())


def _scalar_types(schema: Schema | None, schemas: Mapping[str, Schema]) -> frozenset[str]:
    """The JSON types a value may have (`null` left out), looking through refs and `allOf`
    wrappers (`{"allOf": [{"$ref": "#/components/schemas/url"}]}`); empty when unstated."""
    pending = [schema]
    visited = 0
    while pending and visited < 16:
        current = _resolve(pending.pop(), schemas)
        visited += 1
        if current is None:
            continue
        types = frozenset(current.types) - {"null"}
        if types:
            return types
        if current.properties:
            return frozenset({"object"})
        pending.extend(current.all_of)
    return frozenset()


def _format_of(schema: Schema | None, schemas: Mapping[str, Schema]) -> str | None:
    pending = [schema]
    visited = 0
    while pending and visited < 16:
        current = _resolve(pending.pop(), schemas)
        visited += 1
        if current is None:
            continue
        if current.format:
            return current.format.lower()
        pending.extend(current.all_of)
    return None


def _next_url_path(body: Schema | None, schemas: Mapping[str, Schema]) -> tuple[str, ...]:
    """A body field named like "next" holding the next page's URL: a string that says it is a URL
    (by format, or by its own or its container's name), or an object holding one
    (`links.next.href`). A `next` that is a number or an opaque string is a cursor, never a URL
    to follow; a self link (`href`, `links.self.href`) is never a next page."""
    for path, schema in _candidates(body, schemas, _NEXT_URL_FIELDS):
        types = _scalar_types(schema, schemas)
        if "object" in types:
            inner = _properties(schema, schemas)
            for leaf in _LINK_LEAF_FIELDS:
                key = _find(inner, (leaf,))
                if key is not None and _is_url_string((*path, key), inner[key], schemas):
                    return (*path, key)
        elif _is_url_string(path, schema, schemas):
            return path
    return ()


def _is_url_string(path: tuple[str, ...], schema: Schema, schemas: Mapping[str, Schema]) -> bool:
    types = _scalar_types(schema, schemas)
    if types and types != {"string"}:
        return False
    if _format_of(schema, schemas) in _URL_FORMATS:
        return True
    return any(word in segment.lower() for segment in path for word in _URL_WORDS)


def _next_cursor_path(
    body: Schema | None, schemas: Mapping[str, Schema], cursor_param: str
) -> tuple[tuple[str, ...], bool]:
    """(path to the next cursor, whether it is numeric), or ((), False).

    A cursor is a string or a number (untyped is given the benefit of the doubt). When the field
    is an object (HubSpot's `paging.next: {after, link}`), the path goes on to its inner field
    named like the query parameter that carries the cursor, else like a cursor field.
    """
    for path, schema in _candidates(body, schemas, _NEXT_CURSOR_FIELDS):
        types = _scalar_types(schema, schemas)
        if "object" in types:
            inner = _properties(schema, schemas)
            key = _find(inner, (cursor_param.lower(), *_NEXT_CURSOR_FIELDS))
            if key is None:
                continue
            schema, path = inner[key], (*path, key)
            types = _scalar_types(schema, schemas)
        if _format_of(schema, schemas) in _URL_FORMATS:
            continue  # a URL is followed as a next_url, not sent back as a cursor value
        if not types or types & _CURSOR_TYPES:
            return path, bool(types) and types <= _NUMERIC_TYPES
    return (), False


def _items_path(body: Schema | None, schemas: Mapping[str, Schema]) -> tuple[str, ...] | None:
    resolved = _resolve(body, schemas)
    if resolved is None:
        return None
    if "array" in resolved.types:
        return ()
    props = _properties(resolved, schemas)
    arrays = [name for name, schema in props.items() if _is_array(schema, schemas)]
    named = _find({name: props[name] for name in arrays}, _ITEM_FIELDS)
    if named is not None:
        return (named,)
    if len(arrays) == 1:
        return (arrays[0],)
    return None


def _success_body(operation: Operation) -> tuple[Schema | None, bool, str | None]:
    """The first JSON success body schema, whether a success response declares `Link`, and the
    response header carrying the next cursor, if one is declared."""
    body: Schema | None = None
    has_link = False
    cursor_header: str | None = None
    for response in operation.success_responses:
        for header in response.headers:
            lowered = header.name.lower()
            has_link = has_link or lowered == "link"
            squashed = lowered.replace("-", "").replace("_", "")
            if cursor_header is None and squashed in _NEXT_CURSOR_HEADERS:
                cursor_header = header.name
        if body is None:
            for media in response.content:
                if media.schema is not None and "json" in media.media_type:
                    body = media.schema
                    break
    return body, has_link, cursor_header


def _from_extension(operation: Operation) -> Pagination | None:
    pageable = operation.extensions.get("x-ms-pageable")
    if isinstance(pageable, dict):
        next_link = pageable.get("nextLinkName")
        item_name = pageable.get("itemName", "value")
        if isinstance(next_link, str) and isinstance(item_name, str):
            return Pagination(
                style="next_url",
                items_path=(item_name,),
                next_url_path=(next_link,),
                source="extension",
            )
        return None
    raw = operation.extensions.get("x-pagination") or operation.extensions.get("x-paginated")
    if not isinstance(raw, dict):
        return None
    style = raw.get("style", raw.get("type"))
    if style not in ("page", "offset", "cursor", "link", "next_url"):
        return None

    def text(*keys: str) -> str | None:
        for key in keys:
            if isinstance(raw.get(key), str):
                return str(raw[key])
        return None

    def path(*keys: str) -> tuple[str, ...]:
        value = text(*keys)
        return tuple(value.split(".")) if value else ()

    return Pagination(
        style=style,
        items_path=path("itemsPath", "items_path", "items", "results"),
        page_param=text("pageParam", "page_param", "page"),
        size_param=text("sizeParam", "size_param", "perPageParam", "pageSizeParam"),
        offset_param=text("offsetParam", "offset_param", "offset"),
        limit_param=text("limitParam", "limit_param", "limit"),
        cursor_param=text("cursorParam", "cursor_param", "cursor"),
        next_cursor_path=path("nextCursorPath", "next_cursor_path", "nextCursor"),
        next_url_path=path("nextUrlPath", "next_url_path", "nextUrl"),
        has_more_path=path("hasMorePath", "has_more_path", "hasMore"),
        total_path=path("totalPath", "total_path", "total"),
        source="extension",
    )


def _item_properties(
    body: Schema | None, schemas: Mapping[str, Schema], items_path: tuple[str, ...]
) -> dict[str, Schema]:
    node = _resolve(body, schemas)
    for key in items_path:
        node = _resolve(_properties(node, schemas).get(key), schemas)
    items = node.items if node is not None else None
    return _properties(items, schemas)


def _collection_ids(path: str) -> tuple[str, ...]:
    """`batch_id` for `/v1/batches`: the id named after the collection's last literal segment."""
    segments = [part for part in path.split("/") if part and "{" not in part]
    if not segments:
        return ()
    last = segments[-1].lower().replace("-", "_")
    return tuple(dict.fromkeys(f"{stem}_id" for stem in (last[:-2], last[:-1], last) if stem))


def _cursor_item_field(
    body: Schema | None,
    schemas: Mapping[str, Schema],
    items_path: tuple[str, ...],
    cursor: str,
    path: str = "",
) -> str | None:
    """The item field whose value on the last item is the next cursor, or None when the items
    have no field that can be it: `id`, else the field named like the cursor parameter, else
    one that names an item (`batch_id` in `/batches`, `ts`, `uuid`, a single `*_id`). Only a
    scalar counts."""
    props = {
        name: schema
        for name, schema in _item_properties(body, schemas, items_path).items()
        if not (types := _scalar_types(schema, schemas)) or types & _CURSOR_TYPES
    }
    named = _find(props, ("id", cursor.lower(), *_collection_ids(path), *_ITEM_KEY_FIELDS))
    if named is not None:
        return named
    ids = [name for name in props if name.lower().endswith("_id") or name.endswith("Id")]
    return ids[0] if len(ids) == 1 else None


def detect_pagination(
    operation: Operation,
    schemas: Mapping[str, Schema],
    warn: Callable[[str, str], None] | None = None,
) -> Pagination | None:
    """How `operation` pages, or None. `warn(pointer, message)` hears of a list that looks paged
    but whose next cursor cannot be found (it is left unpaged)."""
    extension = _from_extension(operation)
    if extension is not None or operation.method != "get":
        return extension
    body, has_link, cursor_header = _success_body(operation)
    items_path = _items_path(body, schemas)
    if items_path is None:
        return None
    query = {p.name.lower(): p.name for p in operation.parameters if p.location == "query"}

    def param(names: tuple[str, ...]) -> str | None:
        return next((query[n] for n in names if n in query), None)

    cursor = param(_CURSOR_PARAMS)
    page = param(_PAGE_PARAMS)
    offset = param(_OFFSET_PARAMS)
    next_cursor: tuple[str, ...] = ()
    if cursor:
        next_cursor, _ = _next_cursor_path(body, schemas, cursor)
    else:
        # A numeric `next` (a timestamp, an id) is a cursor only when a parameter can carry it.
        numeric_cursor = param(_NUMERIC_CURSOR_PARAMS)
        if numeric_cursor:
            path, numeric = _next_cursor_path(body, schemas, numeric_cursor)
            if numeric:
                cursor, next_cursor = numeric_cursor, path
    has_more = _find_path(body, schemas, _HAS_MORE_FIELDS)
    common: dict[str, Any] = {
        "items_path": items_path,
        "has_more_path": has_more,
        "total_path": _find_path(body, schemas, _TOTAL_FIELDS) if items_path else (),
    }
    style: PaginationStyle
    item_field: str | None = None
    if cursor and has_more and not (next_cursor or cursor_header):
        # Paging by the last item (`after=<last id>`): only with an item field to read it from.
        item_field = _cursor_item_field(body, schemas, items_path, cursor, operation.path)
        if item_field is None:
            if warn is not None:
                warn(
                    operation.pointer,
                    f"{operation.method.upper()} {operation.path} looks cursor-paged "
                    f"({cursor!r} and {'.'.join(has_more)!r}) but names no next cursor, and its "
                    "items have no id field to take it from: left unpaged (set "
                    "next_cursor_path in apiweld.toml)",
                )
            return None
    elif cursor and next_cursor and next_cursor[-1].lower() in _LAST_ITEM_FIELDS:
        # `last_id` is the last item's id: the mock serves it as such and can find the item.
        item_field = _cursor_item_field(body, schemas, items_path, cursor, operation.path)
    if cursor and (next_cursor or item_field or cursor_header):
        style = "cursor"
        common |= {
            "cursor_param": cursor,
            "next_cursor_path": next_cursor,
            "next_cursor_header": cursor_header if not next_cursor else None,
            "limit_param": param(_LIMIT_PARAMS),
            "cursor_item_field": item_field,
        }
    elif has_link:
        style = "link"
        common |= {"page_param": page, "size_param": param(_SIZE_PARAMS), "cursor_param": cursor}
    elif page:
        style = "page"
        common |= {"page_param": page, "size_param": param(_SIZE_PARAMS)}
    elif offset:
        style = "offset"
        common |= {"offset_param": offset, "limit_param": param(_LIMIT_PARAMS)}
    else:
        next_url = _next_url_path(body, schemas)
        if not next_url:
            return None
        style = "next_url"
        common["next_url_path"] = next_url
    return Pagination(style=style, **common)
