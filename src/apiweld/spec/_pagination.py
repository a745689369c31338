"""Pagination hints: read from `x-pagination`-style extensions, else detected from the shape.

Detection is deliberately conservative: an operation is paginated only when it is a GET whose
success body is (or holds) a list *and* something says how to get the next page: a paging query
parameter, a `Link` response header, or a next-page URL in the body. A wrong hint is worse than
none, because the generated client would loop on it; `apiweld.toml` can add what is missed.
"""

from __future__ import annotations

from collections.abc import Mapping
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
)
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
    "href",
)
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


def _find_path(
    body: Schema | None, schemas: Mapping[str, Schema], names: tuple[str, ...]
) -> tuple[str, ...]:
    top = _properties(body, schemas)
    direct = _find(top, names)
    if direct is not None:
        return (direct,)
    for container in _CONTAINERS:
        key = _find(top, (container,))
        if key is not None:
            inner = _find(_properties(top[key], schemas), names)
            if inner is not None:
                return (key, inner)
    return ()


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


def detect_pagination(operation: Operation, schemas: Mapping[str, Schema]) -> Pagination | None:
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
    next_cursor = _find_path(body, schemas, _NEXT_CURSOR_FIELDS) if cursor else ()
    has_more = _find_path(body, schemas, _HAS_MORE_FIELDS)
    common: dict[str, Any] = {
        "items_path": items_path,
        "has_more_path": has_more,
        "total_path": _find_path(body, schemas, _TOTAL_FIELDS) if items_path else (),
    }
    style: PaginationStyle
    if cursor and (next_cursor or has_more or cursor_header):
        style = "cursor"
        common |= {
            "cursor_param": cursor,
            "next_cursor_path": next_cursor,
            "next_cursor_header": cursor_header if not next_cursor else None,
            "limit_param": param(_LIMIT_PARAMS),
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
        next_url = _find_path(body, schemas, _NEXT_URL_FIELDS) if items_path else ()
        if not next_url:
            return None
        style = "next_url"
        common["next_url_path"] = next_url
    return Pagination(style=style, **common)
