"""Pure-logic tests of the Paginator (every style, stops, loop guard, bounds) and of the pagers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from apiweld.runtime._errors import APIError
from apiweld.runtime._pagination import (
    AsyncPager,
    FetchedPage,
    PageRequest,
    PaginationError,
    PaginationSpec,
    Paginator,
    SyncPager,
    parse_link_header,
)

BASE = "https://api.example.com/v1/items"


def read(
    paginator: Paginator,
    body: Any,
    url: str = BASE,
    headers: Mapping[str, str] | None = None,
    request: PageRequest | None = None,
) -> tuple[list[Any], PageRequest | None]:
    result = paginator.read(body, headers or {}, url, request or PageRequest())
    return result.items, result.next_request


# -- page number ------------------------------------------------------------------------------

PAGE = PaginationSpec("page", items_path=("data",), page_param="page", size_param="per_page")


def test_page_style_counts_up_from_the_url_or_from_one() -> None:
    p = Paginator(PAGE)
    assert read(p, {"data": [1, 2]}) == ([1, 2], PageRequest(query={"page": 2}))
    assert read(p, {"data": [3]}, url=BASE + "?page=2&per_page=2") == (
        [3],
        PageRequest(query={"page": 3}),
    )
    assert read(p, {"data": []}, url=BASE + "?page=3") == ([], None)  # empty page: the end


def test_page_override_in_the_request_wins_over_the_url() -> None:
    _, following = read(Paginator(PAGE), {"data": [1]}, request=PageRequest({"page": 7}))
    assert following == PageRequest(query={"page": 8})


def test_has_more_false_and_total_stop() -> None:
    spec = PaginationSpec("page", items_path=("data",), page_param="page", has_more_path=("more",))
    assert read(Paginator(spec), {"data": [1], "more": False})[1] is None
    assert read(Paginator(spec), {"data": [1], "more": "true"})[1] == PageRequest({"page": 2})
    spec = PaginationSpec("page", items_path=("data",), page_param="page", total_path=("n",))
    p = Paginator(spec)
    assert read(p, {"data": [1, 2], "n": 3})[1] is not None
    assert read(p, {"data": [3], "n": 3}, url=BASE + "?page=2")[1] is None


def test_page_server_ignoring_the_parameter_is_caught() -> None:
    p = Paginator(PAGE)
    read(p, {"data": [{"id": 1}, {"id": 2}]})
    with pytest.raises(PaginationError, match="same page twice: does it ignore 'page'"):
        read(p, {"data": [{"id": 1}, {"id": 2}]}, url=BASE + "?page=2")


def test_non_numeric_page_in_url_is_a_clear_error() -> None:
    with pytest.raises(PaginationError, match="'page' is not a whole number"):
        read(Paginator(PAGE), {"data": [1]}, url=BASE + "?page=abc")


# -- offset / limit ---------------------------------------------------------------------------

OFFSET = PaginationSpec(
    "offset",
    items_path=("items",),
    offset_param="offset",
    limit_param="limit",
    total_path=("total",),
)


def test_offset_style_advances_by_the_items_received() -> None:
    p = Paginator(OFFSET)
    assert read(p, {"items": [1, 2, 3], "total": 7}, url=BASE + "?limit=3")[1] == PageRequest(
        {"offset": 3}
    )
    assert read(p, {"items": [4, 5, 6], "total": 7}, url=BASE + "?limit=3&offset=3")[1] == (
        PageRequest({"offset": 6})
    )
    assert read(p, {"items": [7], "total": 7}, url=BASE + "?limit=3&offset=6")[1] is None


def test_offset_without_total_stops_on_the_empty_page() -> None:
    spec = PaginationSpec("offset", offset_param="offset")
    p = Paginator(spec)
    assert read(p, [1, 2])[1] == PageRequest({"offset": 2})
    assert read(p, [], url=BASE + "?offset=2") == ([], None)


# -- cursor -----------------------------------------------------------------------------------

CURSOR = PaginationSpec(
    "cursor", items_path=("data",), cursor_param="after", next_cursor_path=("meta", "next")
)


def test_cursor_from_the_body() -> None:
    p = Paginator(CURSOR)
    assert read(p, {"data": [1], "meta": {"next": "c2"}})[1] == PageRequest({"after": "c2"})
    assert read(p, {"data": [2], "meta": {"next": 33}})[1] == PageRequest({"after": "33"})
    assert read(p, {"data": [3], "meta": {"next": None}})[1] is None
    assert read(Paginator(CURSOR), {"data": [3], "meta": {}})[1] is None
    assert read(Paginator(CURSOR), {"data": [3], "meta": {"next": ""}})[1] is None


def test_cursor_from_a_header_case_insensitively() -> None:
    spec = PaginationSpec("cursor", cursor_param="cursor", next_cursor_header="X-Next-Cursor")
    p = Paginator(spec)
    assert read(p, [1], headers={"x-next-cursor": "abc"})[1] == PageRequest({"cursor": "abc"})
    assert read(p, [2], headers={})[1] is None


def test_repeated_cursor_raises_with_a_redacted_url() -> None:
    p = Paginator(CURSOR)
    read(p, {"data": [1], "meta": {"next": "c2"}})
    with pytest.raises(PaginationError) as info:
        read(p, {"data": [2], "meta": {"next": "c2"}}, url=BASE + "?after=c2&api_key=SECRET")
    message = str(info.value)
    assert "repeated a cursor" in message and "page 2" in message
    assert "SECRET" not in message and "SECRET" not in info.value.url
    assert isinstance(info.value, APIError)


def test_cursor_of_a_wrong_type_is_a_clear_error() -> None:
    with pytest.raises(PaginationError, match="next cursor is a dict"):
        read(Paginator(CURSOR), {"data": [1], "meta": {"next": {"a": 1}}})


# -- Link header ------------------------------------------------------------------------------

LINK = PaginationSpec("link")


def test_link_header_parsing_handles_quotes_multiple_links_and_rel_lists() -> None:
    header = (
        '<https://api.example.com/v1/items?page=1>; rel="first", '
        '<https://api.example.com/v1/items?page=3&q=a,b>; title="a, b; c"; rel="next last", '
        "</v1/items?page=9>;REL=prev"
    )
    assert parse_link_header(header) == [
        ("https://api.example.com/v1/items?page=1", {"rel": "first"}),
        ("https://api.example.com/v1/items?page=3&q=a,b", {"title": "a, b; c", "rel": "next last"}),
        ("/v1/items?page=9", {"rel": "prev"}),
    ]
    assert parse_link_header('<a>; title="say \\"hi\\""; rel=next; rel=prev') == [
        ("a", {"title": 'say "hi"', "rel": "next"})  # later rel ignored (RFC 8288 3.3)
    ]


@pytest.mark.parametrize(
    "header", ["no-brackets; rel=next", "<unterminated; rel=next", '<a>; t="x']
)
def test_malformed_link_header_raises(header: str) -> None:
    with pytest.raises(ValueError):
        parse_link_header(header)
    with pytest.raises(PaginationError, match="malformed Link header"):
        read(Paginator(LINK), [1], headers={"Link": header})


def test_link_next_resolved_against_the_request_url() -> None:
    p = Paginator(LINK)
    header = '<?page=2>; rel="last", <items?page=2>; rel="NEXT"'
    assert read(p, [1], headers={"link": header})[1] == PageRequest(
        url="https://api.example.com/v1/items?page=2"
    )


def test_link_with_anchor_is_not_this_pages_next() -> None:
    header = '</other?page=2>; rel=next; anchor="/other"'
    assert read(Paginator(LINK), [1], headers={"Link": header})[1] is None


def test_link_without_next_ends() -> None:
    assert read(Paginator(LINK), [1], headers={"Link": "</x?page=1>; rel=first"})[1] is None
    assert read(Paginator(LINK), [1], headers={})[1] is None


def test_repeated_link_raises() -> None:
    p = Paginator(LINK)
    read(p, [1], url=BASE + "?page=1", headers={"Link": "<?page=2>; rel=next"})
    with pytest.raises(PaginationError, match="was seen before"):
        read(p, [2], url=BASE + "?page=2", headers={"Link": "<?page=1>; rel=next"})
    with pytest.raises(PaginationError, match="was seen before"):
        read(Paginator(LINK), [2], url=BASE, headers={"Link": f"<{BASE}>; rel=next"})


def test_next_link_to_another_origin_is_refused() -> None:
    for target in ("https://evil.example.net/steal", "http://api.example.com/v1/items?page=2"):
        with pytest.raises(PaginationError, match="leaves the origin"):
            read(Paginator(LINK), [1], headers={"Link": f"<{target}>; rel=next"})


# -- next URL in the body ---------------------------------------------------------------------

NEXT_URL = PaginationSpec("next_url", items_path=("results",), next_url_path=("next",))


def test_next_url_absolute_relative_and_null() -> None:
    p = Paginator(NEXT_URL)
    assert read(p, {"results": [1], "next": "/v1/items?after=1"})[1] == PageRequest(
        url="https://api.example.com/v1/items?after=1"
    )
    assert read(p, {"results": [2], "next": BASE + "?after=2"})[1] == PageRequest(
        url=BASE + "?after=2"
    )
    assert read(p, {"results": [3], "next": None})[1] is None


def test_next_url_repeated_or_wrong_type_raises() -> None:
    p = Paginator(NEXT_URL)
    read(p, {"results": [1], "next": "?after=1"})
    with pytest.raises(PaginationError, match="was seen before"):
        read(p, {"results": [2], "next": "?after=1"}, url=BASE + "?after=1")
    with pytest.raises(PaginationError, match="next URL at 'next' is a int"):
        read(Paginator(NEXT_URL), {"results": [1], "next": 5})


# -- items, bounds, spec ----------------------------------------------------------------------


def test_items_that_are_not_a_list_name_the_path() -> None:
    with pytest.raises(PaginationError, match="items at 'data' are a dict"):
        read(Paginator(PAGE), {"data": {"a": 1}})
    with pytest.raises(PaginationError, match=r"items at '\(the body\)' are a str"):
        read(Paginator(PaginationSpec("link")), "oops")
    assert read(Paginator(PAGE), {"other": 1}) == ([], None)  # absent: an empty page


def test_max_pages_and_max_items() -> None:
    spec = PaginationSpec("offset", offset_param="offset", max_pages=2)
    p = Paginator(spec)
    assert read(p, [1, 2])[1] is not None
    assert read(p, [3, 4], url=BASE + "?offset=2") == ([3, 4], None)
    spec = PaginationSpec("offset", offset_param="offset", max_items=3)
    p = Paginator(spec)
    assert read(p, [1, 2]) == ([1, 2], PageRequest({"offset": 2}))
    assert read(p, [3, 4], url=BASE + "?offset=2") == ([3], None)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"style": "pages"}, "style must be one of"),
        ({"style": "link", "max_pages": 0}, "max_pages must be at least 1"),
        ({"style": "link", "max_items": -3}, "max_items must be at least 1"),
    ],
)
def test_bad_specs_are_refused_clearly(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PaginationSpec(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"style": "page"}, "style 'page' needs page_param"),
        ({"style": "offset"}, "style 'offset' needs offset_param"),
        ({"style": "cursor", "next_cursor_path": ("n",)}, "style 'cursor' needs cursor_param"),
        ({"style": "next_url"}, "style 'next_url' needs next_url_path"),
    ],
)
def test_incomplete_specs_fail_when_paging_starts_not_at_import(
    kwargs: dict[str, Any], message: str
) -> None:
    spec = PaginationSpec(**kwargs)  # a generated client defining it still imports
    with pytest.raises(PaginationError, match=message):
        read(Paginator(spec), [1])


def test_cursor_from_the_last_items_id_like_stripe() -> None:
    spec = PaginationSpec(
        "cursor", items_path=("data",), cursor_param="starting_after", has_more_path=("has_more",)
    )
    p = Paginator(spec)
    page = {"data": [{"id": "cus_1"}, {"id": "cus_2"}], "has_more": True}
    assert read(p, page)[1] == PageRequest({"starting_after": "cus_2"})
    assert read(p, {"data": [{"id": "cus_3"}], "has_more": False})[1] is None
    with pytest.raises(PaginationError, match="last item's 'id'"):
        read(Paginator(spec), {"data": [{"name": "x"}], "has_more": True})


# -- pagers over a fake fetch -----------------------------------------------------------------


class FakeApi:
    """Pages of a cursor API held in memory; records every request."""

    def __init__(self, pages: list[list[int]]) -> None:
        self.pages = pages
        self.requests: list[PageRequest] = []

    def fetch(self, request: PageRequest) -> FetchedPage:
        self.requests.append(request)
        index = int(request.query.get("after", 0))
        nxt = str(index + 1) if index + 1 < len(self.pages) else None
        return FetchedPage({"data": self.pages[index], "meta": {"next": nxt}}, {}, BASE)

    async def fetch_async(self, request: PageRequest) -> FetchedPage:
        return self.fetch(request)


def test_sync_pager_items_pages_first_page_and_restart() -> None:
    api = FakeApi([[1, 2], [3], [4, 5]])
    pager = SyncPager(CURSOR, api.fetch, cast=lambda n: n * 10)
    assert list(pager) == [10, 20, 30, 40, 50]
    assert list(pager) == [10, 20, 30, 40, 50]  # a new iteration starts over
    pages = list(pager.pages())
    assert [p.items for p in pages] == [[10, 20], [30], [40, 50]]
    assert [p.number for p in pages] == [1, 2, 3] and [p.has_next for p in pages] == [
        True,
        True,
        False,
    ]
    requests_before = len(api.requests)
    first = pager.first_page()
    assert first.items == [10, 20] and len(api.requests) == requests_before + 1


async def test_async_pager_with_async_and_sync_fetch() -> None:
    api = FakeApi([[1, 2], [3], [4, 5]])
    pager = AsyncPager(CURSOR, api.fetch_async)
    assert [item async for item in pager] == [1, 2, 3, 4, 5]
    assert [p.items async for p in pager.pages()] == [[1, 2], [3], [4, 5]]
    assert (await pager.first_page()).items == [1, 2]
    plain = AsyncPager(CURSOR, lambda r: tuple(api.fetch(r)))
    assert [item async for item in plain] == [1, 2, 3, 4, 5]
