"""`SyncPager` and `AsyncPager`: iterate items or pages, fetching through the client's callable."""

from __future__ import annotations

import inspect
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterator,
    Mapping,
)
from typing import Any, Generic, TypeVar

from ._paginator import Paginator
from ._spec import FetchedPage, Page, PageRequest, PaginationSpec

__all__ = ["AsyncPager", "SyncPager"]

T = TypeVar("T")


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
        method: str = "GET",
    ) -> None:
        self.spec = spec
        self._fetch = fetch
        self._cast = cast
        self._first = first_request or PageRequest()
        self._redact_url = redact_url
        self._method = method

    def __repr__(self) -> str:
        return f"SyncPager(style={self.spec.style!r})"

    def pages(self) -> Generator[Page[T], None, None]:
        paginator = Paginator(self.spec, redact_url=self._redact_url, method=self._method)
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
        method: str = "GET",
    ) -> None:
        self.spec = spec
        self._fetch = fetch
        self._cast = cast
        self._first = first_request or PageRequest()
        self._redact_url = redact_url
        self._method = method

    def __repr__(self) -> str:
        return f"AsyncPager(style={self.spec.style!r})"

    async def _fetch_page(self, request: PageRequest) -> FetchedPage:
        fetched = self._fetch(request)
        if inspect.isawaitable(fetched):
            fetched = await fetched
        return _unpack(fetched)

    async def pages(self) -> AsyncGenerator[Page[T], None]:
        paginator = Paginator(self.spec, redact_url=self._redact_url, method=self._method)
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
