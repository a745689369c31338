"""The pure `Paginator`: reads one page and says what to fetch next (no I/O)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import orjson

from .._errors import PaginationError
from .._redact import Redactor
from ._link import next_link
from ._spec import PageRequest, PageResult, PaginationSpec

__all__ = ["Paginator"]

_MISSING: Any = object()


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
        self,
        spec: PaginationSpec,
        *,
        redact_url: Callable[[str], str] | None = None,
        method: str = "GET",
    ) -> None:
        self.spec = spec
        self._redact_url = redact_url or Redactor().url
        self._method = method
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
        return PaginationError(
            f"{message} (page {self._pages} of {safe})", method=self._method, url=safe
        )

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
        if self._pages == 0 and (problem := spec.missing()) is not None:
            raise self._error(problem, url)
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
            return self._next_cursor(items, body, headers, url)
        if style == "link":
            raw = _header(headers, "Link")
            if raw is None:
                return None
            try:
                target = next_link(raw)
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

    def _next_cursor(
        self, items: list[Any], body: Any, headers: Mapping[str, str], url: str
    ) -> PageRequest | None:
        spec = self.spec
        cursor: Any = None
        if spec.next_cursor_path:
            cursor = _dig(body, spec.next_cursor_path)
        if (cursor is None or cursor is _MISSING) and spec.next_cursor_header:
            cursor = _header(headers, spec.next_cursor_header)
        if (cursor is None or cursor is _MISSING) and spec.cursor_item_field:
            # `last_id` left out or null while the page says there is more: it is the last
            # item's field all the same.
            last = items[-1]
            cursor = last.get(spec.cursor_item_field) if isinstance(last, Mapping) else None
        if not spec.next_cursor_path and not spec.next_cursor_header:
            name = spec.cursor_item_field or "id"
            last = items[-1]
            cursor = last.get(name) if isinstance(last, Mapping) else None
            if cursor is None:
                raise self._error(
                    "cursor pagination without next_cursor_path or next_cursor_header takes the "
                    f"cursor from the last item's {name!r}, and the last item has none",
                    url,
                )
        if cursor is None or cursor is _MISSING or cursor == "":
            return None
        if isinstance(cursor, bool) or not isinstance(cursor, str | int | float):
            raise self._error(f"next cursor is a {type(cursor).__name__}, not a string", url)
        # A numeric cursor (Vercel's timestamp) declared as `number` may arrive as 1.5e12 or
        # 1540095775951.0; sent back as "1540095775951.0" a server expecting an integer refuses it.
        if isinstance(cursor, float) and cursor.is_integer():
            cursor = int(cursor)
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
