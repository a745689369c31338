"""Cursor paging by an item field over real HTTP: `after=<last item's field>` until `has_more` is
false, on every transport (sync and async), with the field the spec names and never `id`."""

from __future__ import annotations

from typing import Any

from runtime_loopback import Api, LoopbackServer, Recorded, Reply

from apiweld.runtime import OperationSpec, PaginationError, PaginationSpec, ParamSpec

# Slack's conversations.history: messages keyed `ts`, newest first, `has_more` and no cursor.
MESSAGES = [{"ts": f"17000000{9 - i}.000100", "text": f"m{i}"} for i in range(8)]


def history(request: Recorded) -> Reply:
    after = dict(request.query).get("cursor")
    start = 0 if after is None else [m["ts"] for m in MESSAGES].index(after) + 1
    page = MESSAGES[start : start + 3]
    return Reply(200, {"messages": page, "has_more": start + 3 < len(MESSAGES)})


def operation(item_field: str | None, **extra: Any) -> OperationSpec:
    return OperationSpec(
        id="conversations.history",
        method="GET",
        path="/history",
        params={"cursor": ParamSpec("cursor", "query")},
        pagination=PaginationSpec(
            style="cursor",
            items_path=("messages",),
            cursor_param="cursor",
            has_more_path=("has_more",),
            cursor_item_field=item_field,
            **extra,
        ),
    )


async def collect(api: Api, pager: Any) -> list[Any]:
    if api.is_async:
        return [item async for item in pager]
    return list(pager)


async def test_pages_by_the_named_item_field_until_has_more_is_false(
    api: Api, server: LoopbackServer
) -> None:
    server.route("/history", history)
    items = await collect(api, api.client().paginate(operation("ts")))
    assert items == MESSAGES
    sent = [dict(r.query).get("cursor") for r in server.requests]
    assert sent == [None, MESSAGES[2]["ts"], MESSAGES[5]["ts"]]


async def test_without_the_field_the_pager_says_which_field_it_read(
    api: Api, server: LoopbackServer
) -> None:
    server.route("/history", history)
    try:
        await collect(api, api.client().paginate(operation(None)))
    except PaginationError as exc:
        assert "'id'" in str(exc)
    else:
        raise AssertionError("paged items that have no 'id' by 'id'")


async def test_a_null_last_id_falls_back_to_the_item_field(
    api: Api, server: LoopbackServer
) -> None:
    def batches(request: Recorded) -> Reply:
        reply = history(request)
        body = dict(reply.body)
        body["last_id"] = None  # DigitalOcean documents it nullable
        return Reply(200, body)

    server.route("/history", batches)
    op = operation("ts", next_cursor_path=("last_id",))
    assert await collect(api, api.client().paginate(op)) == MESSAGES
