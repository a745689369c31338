"""Auto-pagination: a pure `Paginator` that reads one page and says what to fetch next, and the
`SyncPager` / `AsyncPager` that drive it with a fetch callable supplied by the client.

Styles: `page` (page number), `offset` (offset/limit), `cursor` (token in the body or a header),
`link` (RFC 8288 `Link: <...>; rel="next"`), `next_url` (a URL in the body). Iteration stops at an
empty page, a false `has_more`, a reached `total`, a missing next cursor/link/URL, or the
`max_pages` / `max_items` bounds. A cursor or URL seen before, or a page/offset server that answers
the same page twice (it ignores the parameter), raises `PaginationError` instead of looping forever;
it is raised when the page that repeats is read, before its items are yielded, since they are
usually an earlier page's items again.

A next URL (link and next-URL styles) must stay on the origin of the page that named it: the client
sends the same credentials to it, and a page must not be able to send them elsewhere.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterator,
    Mapping,
)
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, NamedTuple, TypeVar
from urllib.parse import parse_qs, urljoin, urlsplit

import orjson

from ._errors import PaginationError
from ._redact import Redactor

__all__ = [
    "AsyncPager",
    "FetchedPage",
    "Page",
    "PageRequest",
    "PaginationError",
    "PaginationSpec",
    "PaginationStyle",
    "Paginator",
    "SyncPager",
    "parse_link_header",
]

logger = logging.getLogger("apiweld.runtime.pagination")

T = TypeVar("T")
PaginationStyle = Literal["page", "offset", "cursor", "link", "next_url"]
_STYLES = frozenset({"page", "offset", "cursor", "link", "next_url"})
_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class PaginationSpec:
    """How an operation pages: `apiweld.spec.ir.Pagination` field for field, plus the bounds.

    Paths into the response body are tuples of keys; `items_path=()` means the body is the list.
    """

    style: PaginationStyle
    items_path: tuple[str, ...] = ()
    page_param: str | None = None
    size_param: str | None = None
    offset_param: str | None = None
    limit_param: str | None = None
    cursor_param: str | None = None
    next_cursor_path: tuple[str, ...] = ()
    next_cursor_header: str | None = None
    next_url_path: tuple[str, ...] = ()
    has_more_path: tuple[str, ...] = ()
    total_path: tuple[str, ...] = ()
    source: Literal["detected", "config", "extension"] = "detected"
    max_pages: int | None = None
    max_items: int | None = None

    def __post_init__(self) -> None:
        if self.style not in _STYLES:
            raise ValueError(
                f"pagination style must be one of {sorted(_STYLES)}, got {self.style!r}"
            )
        needs = {
            "page": ("page_param", self.page_param),
            "offset": ("offset_param", self.offset_param),
            "cursor": ("cursor_param", self.cursor_param),
            "next_url": ("next_url_path", self.next_url_path),
        }.get(self.style)
        if needs is not None and not needs[1]:
            raise ValueError(f"pagination style {self.style!r} needs {needs[0]}")
        if self.style == "cursor" and not (self.next_cursor_path or self.next_cursor_header):
            raise ValueError(
                "pagination style 'cursor' needs next_cursor_path or next_cursor_header"
            )
        for bound in ("max_pages", "max_items"):
            value = getattr(self, bound)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise TypeError(f"{bound} must be an int or None")
            if value is not None and value < 1:
                raise ValueError(f"{bound} must be at least 1, got {value}")


@dataclass(frozen=True, slots=True)
class PageRequest:
    """What to fetch: the operation's request with `query` overrides, or `url` exactly as given."""

    query: Mapping[str, Any] = field(default_factory=dict)
    url: str | None = None
    """Absolute URL (link and next-URL styles); replaces the operation's path and query."""


class FetchedPage(NamedTuple):
    """What a client's fetch callable returns for one page (a plain 3-tuple works too)."""

    body: Any
    headers: Mapping[str, str]
    url: str
    """The absolute URL that was fetched, query included (relative links resolve against it)."""


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    body: Any
    headers: Mapping[str, str]
    url: str
    number: int
    """1 for the first page fetched by this iteration."""
    next_request: PageRequest | None

    @property
    def has_next(self) -> bool:
        return self.next_request is not None


@dataclass(frozen=True, slots=True)
class PageResult:
    items: list[Any]
    next_request: PageRequest | None


# -- Link header (RFC 8288) ---------------------------------------------------------------------
# Written by hand: the common helpers (requests' `parse_header_links`, httpx's `Response.links`)
# split on commas and mis-read quoted parameters that contain `,` or `;`, and neither is a
# dependency of the runtime. This is the RFC's grammar: `<uri>` then `; name=token|"quoted"`.


def _skip_spaces(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos


def _read_quoted(text: str, pos: int) -> tuple[str, int]:
    """A quoted-string starting at `text[pos] == '"'`; returns (value, position after it)."""
    out: list[str] = []
    pos += 1
    while pos < len(text):
        char = text[pos]
        if char == "\\" and pos + 1 < len(text):
            out.append(text[pos + 1])
            pos += 2
        elif char == '"':
            return "".join(out), pos + 1
        else:
            out.append(char)
            pos += 1
    raise ValueError("unterminated quoted string")


def _read_params(text: str, pos: int) -> tuple[dict[str, str], int]:
    params: dict[str, str] = {}
    while True:
        pos = _skip_spaces(text, pos)
        if pos >= len(text) or text[pos] != ";":
            return params, pos
        pos = _skip_spaces(text, pos + 1)
        start = pos
        while pos < len(text) and text[pos] not in "=;, \t":
            pos += 1
        name = text[start:pos].lower()
        pos = _skip_spaces(text, pos)
        value = ""
        if pos < len(text) and text[pos] == "=":
            pos = _skip_spaces(text, pos + 1)
            if pos < len(text) and text[pos] == '"':
                value, pos = _read_quoted(text, pos)
            else:
                start = pos
                while pos < len(text) and text[pos] not in ";, \t":
                    pos += 1
                value = text[start:pos]
        if name and name not in params:  # RFC 8288 3.3: later occurrences are ignored
            params[name] = value


def parse_link_header(value: str) -> list[tuple[str, dict[str, str]]]:
    """Every link of a `Link` header value as (target as written, parameters with lower-case names).

    Raises ValueError on a malformed value.
    """
    text = value
    links: list[tuple[str, dict[str, str]]] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos] in ", \t":
            pos += 1
        if pos >= len(text):
            return links
        if text[pos] != "<":
            raise ValueError(f"expected '<' at position {pos}")
        end = text.find(">", pos + 1)
        if end < 0:
            raise ValueError("unterminated '<' target")
        target = text[pos + 1 : end].strip()
        params, pos = _read_params(text, end + 1)
        links.append((target, params))
        pos = _skip_spaces(text, pos)
        if pos < len(text) and text[pos] != ",":
            raise ValueError(f"expected ',' at position {pos}")


def _next_link(value: str) -> str | None:
    for target, params in parse_link_header(value):
        if "anchor" in params:
            continue  # the link is about another resource, not the next page of this one
        if "next" in params.get("rel", "").lower().split():
            return target
    return None


# -- reading pages ------------------------------------------------------------------------------


def _dig(body: Any, path: tuple[str, ...]) -> Any:
    node = body
    for key in path:
        if isinstance(node, Mapping):
            node = node.get(key, _MISSING)
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return _MISSING
        if node is _MISSING:
            return _MISSING
    return node


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, candidate in headers.items():
        if key.lower() == lowered:
            return candidate
    return None


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


def _fingerprint(items: list[Any]) -> bytes | None:
    try:
        return orjson.dumps(items, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None


class Paginator:
    """Reads pages of one iteration (no I/O). One instance per iteration: it remembers the cursors
    and URLs it has seen, the count of pages and items, and the previous page's items."""

    def __init__(
        self, spec: PaginationSpec, *, redact_url: Callable[[str], str] | None = None
    ) -> None:
        self.spec = spec
        self._redact_url = redact_url or Redactor().url
        self._seen: set[str] = set()
        self._pages = 0
        self._items = 0
        self._previous: bytes | None = None

    @property
    def pages_read(self) -> int:
        return self._pages

    @property
    def items_read(self) -> int:
        return self._items

    def _error(self, message: str, url: str) -> PaginationError:
        safe = self._redact_url(url)
        return PaginationError(f"{message} (page {self._pages} of {safe})", method="GET", url=safe)

    def _current(self, request: PageRequest, url: str, name: str) -> str | None:
        if name in request.query and request.query[name] is not None:
            return str(request.query[name])
        values = parse_qs(urlsplit(url).query, keep_blank_values=True).get(name)
        return values[0] if values else None

    def _items_of(self, body: Any, url: str) -> list[Any]:
        node = _dig(body, self.spec.items_path)
        if node is _MISSING or node is None:
            return []
        if not isinstance(node, list):
            where = "/".join(self.spec.items_path) or "(the body)"
            raise self._error(f"items at {where!r} are a {type(node).__name__}, not a list", url)
        return node

    def read(
        self, body: Any, headers: Mapping[str, str], url: str, request: PageRequest
    ) -> PageResult:
        """The items of one page and the request for the next one (None: this was the last)."""
        spec = self.spec
        items = self._items_of(body, url)
        self._pages += 1
        if spec.max_items is not None and self._items + len(items) >= spec.max_items:
            items = items[: spec.max_items - self._items]
            self._items += len(items)
            return PageResult(items, None)
        self._items += len(items)
        if not items:
            return PageResult(items, None)
        if spec.max_pages is not None and self._pages >= spec.max_pages:
            return PageResult(items, None)
        has_more = _flag(_dig(body, spec.has_more_path)) if spec.has_more_path else None
        if has_more is False:
            return PageResult(items, None)
        return PageResult(items, self._next(items, body, headers, url, request, has_more))

    def _next(
        self,
        items: list[Any],
        body: Any,
        headers: Mapping[str, str],
        url: str,
        request: PageRequest,
        has_more: bool | None,
    ) -> PageRequest | None:
        style = self.spec.style
        if style in ("page", "offset"):
            return self._next_numbered(items, body, url, request, has_more)
        if style == "cursor":
            return self._next_cursor(body, headers, url)
        if style == "link":
            raw = _header(headers, "Link")
            if raw is None:
                return None
            try:
                target = _next_link(raw)
            except ValueError as exc:
                raise self._error(f"malformed Link header: {exc}", url) from None
            return None if target is None else self._next_url(target, url)
        target = _dig(body, self.spec.next_url_path)
        if target is _MISSING or target is None or target == "":
            return None
        if not isinstance(target, str):
            where = "/".join(self.spec.next_url_path)
            raise self._error(f"next URL at {where!r} is a {type(target).__name__}", url)
        return self._next_url(target, url)

    def _next_numbered(
        self, items: list[Any], body: Any, url: str, request: PageRequest, has_more: bool | None
    ) -> PageRequest | None:
        spec = self.spec
        fingerprint = _fingerprint(items)
        if fingerprint is not None and fingerprint == self._previous:
            param = spec.page_param if spec.style == "page" else spec.offset_param
            raise self._error(
                f"the server returned the same page twice: does it ignore {param!r}?", url
            )
        self._previous = fingerprint
        if spec.style == "page":
            name, default = spec.page_param, 1
        else:
            name, default = spec.offset_param, 0
        assert name is not None  # checked by PaginationSpec
        raw = self._current(request, url, name)
        current = default if raw is None else _number(raw)
        if current is None:
            raise self._error(f"query parameter {name!r} is not a whole number: {raw!r}", url)
        total = _number(_dig(body, spec.total_path)) if spec.total_path else None
        if spec.style == "page":
            reached = total is not None and self._items >= total
            following = current + 1
        else:
            reached = total is not None and current + len(items) >= total
            following = current + len(items)
        if reached and has_more is not True:
            return None
        return PageRequest(query={name: following})

    def _next_cursor(self, body: Any, headers: Mapping[str, str], url: str) -> PageRequest | None:
        spec = self.spec
        cursor: Any = None
        if spec.next_cursor_path:
            cursor = _dig(body, spec.next_cursor_path)
        if (cursor is None or cursor is _MISSING) and spec.next_cursor_header:
            cursor = _header(headers, spec.next_cursor_header)
        if cursor is None or cursor is _MISSING or cursor == "":
            return None
        if isinstance(cursor, bool) or not isinstance(cursor, str | int):
            raise self._error(f"next cursor is a {type(cursor).__name__}, not a string", url)
        token = str(cursor)
        if token in self._seen:
            raise self._error("the server repeated a cursor it sent before", url)
        self._seen.add(token)
        assert spec.cursor_param is not None
        return PageRequest(query={spec.cursor_param: token})

    def _next_url(self, target: str, url: str) -> PageRequest:
        absolute = urljoin(url, target)
        if _origin(absolute) != _origin(url):
            raise self._error(
                f"next page URL {self._redact_url(absolute)} leaves the origin of the page", url
            )
        if absolute in self._seen or absolute == url:
            raise self._error(f"next page URL {self._redact_url(absolute)} was seen before", url)
        self._seen.add(url)
        self._seen.add(absolute)
        return PageRequest(url=absolute)


def _identity(item: Any) -> Any:
    return item


def _unpack(fetched: Any) -> FetchedPage:
    body, headers, url = fetched
    return FetchedPage(body, headers, url)


class SyncPager(Generic[T]):
    """Iterates the items of every page (`for item in pager`), or the pages (`pager.pages()`).

    `fetch(request) -> (body, headers, url)` performs one request through the client (retries,
    limits and auth included); `cast` turns one raw item into `T`. Each iteration starts over.
    """

    def __init__(
        self,
        spec: PaginationSpec,
        fetch: Callable[[PageRequest], FetchedPage | tuple[Any, Mapping[str, str], str]],
        cast: Callable[[Any], T] = _identity,
        *,
        first_request: PageRequest | None = None,
        redact_url: Callable[[str], str] | None = None,
    ) -> None:
        self.spec = spec
        self._fetch = fetch
        self._cast = cast
        self._first = first_request or PageRequest()
        self._redact_url = redact_url

    def __repr__(self) -> str:
        return f"SyncPager(style={self.spec.style!r})"

    def pages(self) -> Generator[Page[T], None, None]:
        paginator = Paginator(self.spec, redact_url=self._redact_url)
        request: PageRequest | None = self._first
        while request is not None:
            body, headers, url = _unpack(self._fetch(request))
            result = paginator.read(body, headers, url, request)
            items = [self._cast(item) for item in result.items]
            yield Page(items, body, headers, url, paginator.pages_read, result.next_request)
            request = result.next_request

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.items

    def first_page(self) -> Page[T]:
        pages = self.pages()
        try:
            return next(pages)
        finally:
            pages.close()


class AsyncPager(Generic[T]):
    """`SyncPager` for asyncio: `async for item in pager`, `async for page in pager.pages()`.

    `fetch` may be a coroutine function (the usual case) or a plain function.
    """

    def __init__(
        self,
        spec: PaginationSpec,
        fetch: Callable[
            [PageRequest],
            Awaitable[FetchedPage | tuple[Any, Mapping[str, str], str]]
            | FetchedPage
            | tuple[Any, Mapping[str, str], str],
        ],
        cast: Callable[[Any], T] = _identity,
        *,
        first_request: PageRequest | None = None,
        redact_url: Callable[[str], str] | None = None,
    ) -> None:
        self.spec = spec
        self._fetch = fetch
        self._cast = cast
        self._first = first_request or PageRequest()
        self._redact_url = redact_url

    def __repr__(self) -> str:
        return f"AsyncPager(style={self.spec.style!r})"

    async def _fetch_page(self, request: PageRequest) -> FetchedPage:
        fetched = self._fetch(request)
        if inspect.isawaitable(fetched):
            fetched = await fetched
        return _unpack(fetched)

    async def pages(self) -> AsyncGenerator[Page[T], None]:
        paginator = Paginator(self.spec, redact_url=self._redact_url)
        request: PageRequest | None = self._first
        while request is not None:
            body, headers, url = await self._fetch_page(request)
            result = paginator.read(body, headers, url, request)
            items = [self._cast(item) for item in result.items]
            yield Page(items, body, headers, url, paginator.pages_read, result.next_request)
            request = result.next_request

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def first_page(self) -> Page[T]:
        pages = self.pages()
        try:
            return await anext(pages)
        finally:
            await pages.aclose()
