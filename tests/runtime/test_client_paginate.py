"""Client.paginate over real HTTP: every page goes through the client (auth, retries, hooks)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel
from runtime_loopback import Api, LoopbackServer, Recorded, Reply

from apiweld.runtime import (
    ApiKeyAuth,
    OperationSpec,
    PaginationError,
    PaginationSpec,
    ParamSpec,
    RetryPolicy,
)

CURSOR = OperationSpec(
    id="items.list",
    method="GET",
    path="/items",
    params={"limit": ParamSpec("limit", "query"), "cursor": ParamSpec("cursor", "query")},
    pagination=PaginationSpec(
        style="cursor", items_path=("data",), cursor_param="cursor", next_cursor_path=("next",)
    ),
)
LINKED = OperationSpec(
    id="items.linked", method="GET", path="/linked", pagination=PaginationSpec(style="link")
)


class Item(BaseModel):
    id: int


def cursor_pages(request: Recorded) -> Reply:
    cursor = dict(request.query).get("cursor", "0")
    start = int(cursor)
    if start >= 7:
        return Reply(200, {"data": [], "next": None})
    ids = list(range(start, min(start + 3, 7)))
    return Reply(200, {"data": [{"id": i} for i in ids], "next": str(start + 3)})


async def collect(api: Api, pager: Any) -> list[Any]:
    if api.is_async:
        return [item async for item in pager]
    return list(pager)


async def test_cursor_pages_with_auth_on_every_page(api: Api, server: LoopbackServer) -> None:
    server.route("/items", cursor_pages)
    client = api.client(auth=ApiKeyAuth("k", name="key", location="query"))
    pager = client.paginate(CURSOR, query={"limit": 3}, item_type=Item)
    items = await collect(api, pager)
    assert items == [Item(id=i) for i in range(7)]
    assert [dict(r.query).get("cursor") for r in server.requests] == [None, "3", "6", "9"]
    assert all(
        dict(r.query)["key"] == "k" and dict(r.query)["limit"] == "3" for r in server.requests
    )


async def test_pages_are_retried_like_any_call(api: Api, server: LoopbackServer) -> None:
    calls = {"n": 0}

    def flaky(request: Recorded) -> Reply:
        calls["n"] += 1
        if calls["n"] == 2:
            return Reply(503)
        return cursor_pages(request)

    server.route("/items", flaky)
    client = api.client(retry=RetryPolicy(max_attempts=2, backoff_base=0.0))
    items = await collect(api, client.paginate(CURSOR, item_type=Item))
    assert len(items) == 7


async def test_repeated_cursor_stops_with_pagination_error(
    api: Api, server: LoopbackServer
) -> None:
    server.script("/items", Reply(200, {"data": [{"id": 1}], "next": "same"}))
    with pytest.raises(PaginationError, match="same"):
        await collect(api, api.client().paginate(CURSOR, item_type=Item))
    assert server.hits("/items") == 2


async def test_link_header_pages(api: Api, server: LoopbackServer) -> None:
    def linked(request: Recorded) -> Reply:
        page = int(dict(request.query).get("page", "1"))
        headers = (
            [("Link", f'<{server.url}/linked?page={page + 1}>; rel="next"')] if page < 3 else []
        )
        return Reply(200, [{"id": page}], headers=headers)

    server.route("/linked", linked)
    items = await collect(api, api.client().paginate(LINKED, item_type=Item))
    assert items == [Item(id=1), Item(id=2), Item(id=3)]


async def test_operation_without_pagination_is_refused(api: Api) -> None:
    plain = OperationSpec(id="plain", method="GET", path="/items")
    with pytest.raises(ValueError, match="has no pagination"):
        api.client().paginate(plain)
