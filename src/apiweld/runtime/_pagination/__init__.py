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

from .._errors import PaginationError
from ._link import parse_link_header
from ._pagers import AsyncPager, SyncPager
from ._paginator import Paginator
from ._spec import FetchedPage, Page, PageRequest, PageResult, PaginationSpec, PaginationStyle

__all__ = [
    "AsyncPager",
    "FetchedPage",
    "Page",
    "PageRequest",
    "PageResult",
    "PaginationError",
    "PaginationSpec",
    "PaginationStyle",
    "Paginator",
    "SyncPager",
    "parse_link_header",
]
