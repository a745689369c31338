"""Pagination end to end: the apiweld Client / AsyncClient against a loopback server that pages
23 items in every style; each item must arrive exactly once, sync and async."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import BaseModel

from apiweld.runtime import AsyncClient, Client, OperationSpec, RetryPolicy
from apiweld.runtime._pagination import PaginationError, PaginationSpec

ITEMS = [{"id": i, "name": f"item-{i}"} for i in range(23)]
SIZE = 5
STAMPED = [{**item, "ts": 1_700_000_000_000 - 1000 * item["id"]} for item in ITEMS]


class Item(BaseModel):
    id: int
    name: str


def _cursor(index: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"i": index}).encode()).decode()


def _uncursor(value: str | None) -> int:
    return 0 if not value else int(json.loads(base64.urlsafe_b64decode(value))["i"])


class PagingServer:
    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                outer.hits[parts.path] = outer.hits.get(parts.path, 0) + 1
                status, headers, body = outer.route(parts.path, query)
                data = json.dumps(body).encode()
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def route(self, path: str, q: dict[str, str]) -> tuple[int, list[tuple[str, str]], Any]:
        if path == "/page":
            page, size = int(q.get("page", 1)), int(q.get("per_page", SIZE))
            return 200, [], {"data": ITEMS[(page - 1) * size : page * size]}
        if path == "/offset":
            offset, limit = int(q.get("offset", 0)), int(q.get("limit", SIZE))
            return 200, [], {"items": ITEMS[offset : offset + limit], "total": len(ITEMS)}
        if path == "/cursor":
            start = _uncursor(q.get("after"))
            end = start + SIZE
            following = _cursor(end) if end < len(ITEMS) else None
            return 200, [], {"data": ITEMS[start:end], "meta": {"next": following}}
        if path == "/cursor-header":
            start = _uncursor(q.get("cursor"))
            end = start + SIZE
            headers = [("X-Next-Cursor", _cursor(end))] if end < len(ITEMS) else []
            return 200, headers, ITEMS[start:end]
        if path == "/link":
            page = int(q.get("page", 1))
            links = [f'<{self.url}/link?page=1>; rel="first"; title="a, b; c"']
            if page * SIZE < len(ITEMS):
                # alternately absolute and relative, as servers do both
                target = f"{self.url}/link?page={page + 1}" if page % 2 else f"?page={page + 1}"
                links.append(f'<{target}>; rel="next"')
            return 200, [("Link", ", ".join(links))], ITEMS[(page - 1) * SIZE : page * SIZE]
        if path == "/next-url":
            start = int(q.get("start", 0))
            end = start + SIZE
            following = f"/next-url?start={end}" if end < len(ITEMS) else None
            return 200, [], {"results": ITEMS[start:end], "next": following}
        if path == "/timestamp":
            # Vercel: newest first, `pagination.next` is the timestamp to pass back as `until`,
            # a JSON number that is sometimes written with a fraction.
            until = int(q["until"]) if "until" in q else None  # refuses "1700000000000.0"
            older = [item for item in STAMPED if until is None or item["ts"] < until]
            page = older[:SIZE]
            last = page[-1]["ts"] if len(older) > SIZE else None
            following = float(last) if last is not None and len(older) % 2 else last
            return 200, [], {"items": page, "pagination": {"count": len(page), "next": following}}
        if path == "/links-href":
            # ShipEngine: `links.next` is an object; its `href` is absent on the last page.
            page = int(q.get("page", 1))
            more = page * SIZE < len(ITEMS)
            following = {"href": f"/links-href?page={page + 1}"} if more else {}
            body = {"images": ITEMS[(page - 1) * SIZE : page * SIZE], "links": {"next": following}}
            return 200, [], body
        if path == "/paging-after":
            # HubSpot: `paging.next` holds the `after` cursor and a link; no `paging` at the end.
            start = int(q.get("after", 0))
            end = start + SIZE
            body = {"results": ITEMS[start:end]}
            if end < len(ITEMS):
                body["paging"] = {"next": {"after": str(end), "link": f"?after={end}"}}
            return 200, [], body
        if path == "/loop":
            return 200, [], {"data": ITEMS[:2], "meta": {"next": "same-every-time"}}
        return 404, [], {"error": "no such path"}

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def server() -> Iterator[PagingServer]:
    srv = PagingServer()
    yield srv
    srv.close()


STYLES: dict[str, tuple[str, PaginationSpec, dict[str, Any], int]] = {
    # name: (path, spec, first query, requests expected for 23 items in pages of 5)
    "page": (
        "/page",
        PaginationSpec("page", items_path=("data",), page_param="page", size_param="per_page"),
        {"per_page": SIZE},
        6,  # 5 pages and the empty one that ends it
    ),
    "offset": (
        "/offset",
        PaginationSpec(
            "offset",
            items_path=("items",),
            offset_param="offset",
            limit_param="limit",
            total_path=("total",),
        ),
        {"limit": SIZE},
        5,  # the total ends it without an empty page
    ),
    "cursor-body": (
        "/cursor",
        PaginationSpec(
            "cursor", items_path=("data",), cursor_param="after", next_cursor_path=("meta", "next")
        ),
        {},
        5,
    ),
    "cursor-header": (
        "/cursor-header",
        PaginationSpec("cursor", cursor_param="cursor", next_cursor_header="X-Next-Cursor"),
        {},
        5,
    ),
    "link": ("/link", PaginationSpec("link"), {}, 5),
    "next-url": (
        "/next-url",
        PaginationSpec("next_url", items_path=("results",), next_url_path=("next",)),
        {},
        5,
    ),
    "numeric-cursor": (
        "/timestamp",
        PaginationSpec(
            "cursor",
            items_path=("items",),
            cursor_param="until",
            next_cursor_path=("pagination", "next"),
        ),
        {},
        5,
    ),
    "next-url-in-link-object": (
        "/links-href",
        PaginationSpec("next_url", items_path=("images",), next_url_path=("links", "next", "href")),
        {},
        5,
    ),
    "cursor-in-paging-object": (
        "/paging-after",
        PaginationSpec(
            "cursor",
            items_path=("results",),
            cursor_param="after",
            next_cursor_path=("paging", "next", "after"),
        ),
        {},
        5,
    ),
}


def operation(style: str) -> tuple[OperationSpec, dict[str, Any], int]:
    path, spec, query, requests = STYLES[style]
    return (
        OperationSpec(id=f"items.{style}", method="GET", path=path, pagination=spec),
        query,
        requests,
    )


@pytest.mark.parametrize("style", list(STYLES))
def test_sync_every_item_exactly_once(server: PagingServer, style: str) -> None:
    op, query, requests = operation(style)
    server.hits.clear()
    with Client(base_url=server.url, retry=RetryPolicy.disabled()) as client:
        items = list(client.paginate(op, query=query, item_type=Item))
        assert all(isinstance(item, Item) for item in items)
        assert [item.id for item in items] == list(range(23))
        assert server.hits[op.path] == requests
        pages = list(client.paginate(op, query=query, item_type=Item).pages())
        assert sum(len(p.items) for p in pages) == 23 and not pages[-1].has_next


@pytest.mark.parametrize("style", list(STYLES))
async def test_async_every_item_exactly_once(server: PagingServer, style: str) -> None:
    op, query, requests = operation(style)
    server.hits.clear()
    async with AsyncClient(base_url=server.url, retry=RetryPolicy.disabled()) as client:
        items = [item async for item in client.paginate(op, query=query, item_type=Item)]
        assert [item.id for item in items] == list(range(23))
        assert server.hits[op.path] == requests
        first = await client.paginate(op, query=query, item_type=Item).first_page()
        assert [item.id for item in first.items] == list(range(SIZE))


def test_bounds_limit_requests_sent(server: PagingServer) -> None:
    path = STYLES["cursor-body"][0]
    bounded = PaginationSpec(
        "cursor",
        items_path=("data",),
        cursor_param="after",
        next_cursor_path=("meta", "next"),
        max_items=7,
    )
    op = OperationSpec(id="items.bounded", method="GET", path=path, pagination=bounded)
    server.hits.clear()
    with Client(base_url=server.url, retry=RetryPolicy.disabled()) as client:
        assert [item["id"] for item in client.paginate(op)] == list(range(7))
    assert server.hits[path] == 2  # never asked for a third page


def test_loop_guard_stops_a_server_repeating_its_cursor(server: PagingServer) -> None:
    spec = PaginationSpec(
        "cursor", items_path=("data",), cursor_param="after", next_cursor_path=("meta", "next")
    )
    op = OperationSpec(id="items.loop", method="GET", path="/loop", pagination=spec)
    server.hits.clear()
    seen: list[Any] = []
    with (
        Client(base_url=server.url, retry=RetryPolicy.disabled()) as client,
        pytest.raises(PaginationError, match="repeated a cursor") as info,
    ):
        for item in client.paginate(op):
            seen.append(item)
    # the page that repeats the cursor is refused whole: its items are the first page's again
    assert server.hits["/loop"] == 2 and len(seen) == 2
    assert "/loop" in str(info.value)


async def test_async_loop_guard(server: PagingServer) -> None:
    spec = PaginationSpec(
        "cursor", items_path=("data",), cursor_param="after", next_cursor_path=("meta", "next")
    )
    op = OperationSpec(id="items.loop", method="GET", path="/loop", pagination=spec)
    async with AsyncClient(base_url=server.url, retry=RetryPolicy.disabled()) as client:
        with pytest.raises(PaginationError, match="repeated a cursor"):
            async for _ in client.paginate(op):
                pass
