"""The values of pagination: how an operation pages, what to fetch, what came back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, NamedTuple, TypeVar

__all__ = ["FetchedPage", "Page", "PageRequest", "PageResult", "PaginationSpec", "PaginationStyle"]

T = TypeVar("T")
PaginationStyle = Literal["page", "offset", "cursor", "link", "next_url"]
_STYLES = frozenset({"page", "offset", "cursor", "link", "next_url"})


@dataclass(frozen=True, slots=True)
class PaginationSpec:
    """How an operation pages: `apiweld.spec.ir.Pagination` field for field, plus the bounds.

    Paths into the response body are tuples of keys; `items_path=()` means the body is the list.
    Cursor style without `next_cursor_path` or `next_cursor_header` takes the next cursor from the
    last item's `cursor_item_field` (`after=<last id>`, Slack's `ts`); a spec written before that
    field existed leaves it None, which reads `id` (Stripe's `starting_after` convention).
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
    cursor_item_field: str | None = None

    def missing(self) -> str | None:
        """What the style needs but the spec lacks, or None. Checked when paging starts (not
        here), so one incomplete operation never stops a generated client from importing."""
        needs = {
            "page": ("page_param", self.page_param),
            "offset": ("offset_param", self.offset_param),
            "cursor": ("cursor_param", self.cursor_param),
            "next_url": ("next_url_path", self.next_url_path),
        }.get(self.style)
        if needs is not None and not needs[1]:
            return f"pagination style {self.style!r} needs {needs[0]}"
        return None

    def __post_init__(self) -> None:
        if self.style not in _STYLES:
            raise ValueError(
                f"pagination style must be one of {sorted(_STYLES)}, got {self.style!r}"
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
