"""Cursor paging by the last item (`after=<last id>` + `has_more`): the item field that carries
the cursor is named in the IR, or the operation is not paged and a warning points at it."""

from __future__ import annotations

from typing import Any

from spec_test_docs import get_op, openapi

from apiweld.spec import load
from apiweld.spec.ir import Api, Pagination


def _load(
    items: dict[str, Any], params: list[str], path: str = "/things", **extra_props: Any
) -> Api:
    body = {
        "type": "object",
        "properties": {"data": {"type": "array", "items": items}, **extra_props},
    }
    op = get_op(body, parameters=[{"name": n, "in": "query", "schema": {}} for n in params])
    return load(openapi({path: {"get": op}}))


def _item(**props: str) -> dict[str, Any]:
    return {"type": "object", "properties": {k: {"type": t} for k, t in props.items()}}


HAS_MORE = {"has_more": {"type": "boolean"}}


def test_after_and_has_more_page_by_the_items_id() -> None:
    api = _load(_item(id="string", name="string"), ["after", "limit"], **HAS_MORE)
    assert api.operations[0].pagination == Pagination(
        style="cursor",
        items_path=("data",),
        cursor_param="after",
        limit_param="limit",
        has_more_path=("has_more",),
        cursor_item_field="id",
    )


def test_slack_messages_page_by_ts() -> None:
    items = _item(ts="string", text="string", user="string")
    pagination = _load(items, ["cursor"], **HAS_MORE).operations[0].pagination
    assert pagination is not None and pagination.cursor_item_field == "ts"


def test_a_single_star_id_field_is_the_cursor() -> None:
    api = _load(_item(batch_id="string", status="string"), ["after"], **HAS_MORE)
    pagination = api.operations[0].pagination
    assert pagination is not None and pagination.cursor_item_field == "batch_id"


def test_items_without_a_cursor_field_are_left_unpaged_with_a_warning() -> None:
    api = _load(_item(name="string", size="integer"), ["after"], **HAS_MORE)
    assert api.operations[0].pagination is None
    warnings = [p for p in api.problems if "cursor-paged" in p.message]
    assert [p.pointer for p in warnings] == ["/paths/~1things/get"]
    assert "'after'" in warnings[0].message


def test_two_star_id_fields_are_ambiguous() -> None:
    api = _load(_item(user_id="string", team_id="string"), ["after"], **HAS_MORE)
    assert api.operations[0].pagination is None


def test_an_object_id_is_no_cursor() -> None:
    items = {"type": "object", "properties": {"id": {"type": "object"}}}
    assert _load(items, ["after"], **HAS_MORE).operations[0].pagination is None


def test_last_id_is_the_next_cursor_and_names_the_item_field() -> None:
    api = _load(
        _item(batch_id="string"),
        ["after", "limit"],
        has_more={"type": "boolean"},
        first_id={"type": "string"},
        last_id={"type": "string"},
    )
    pagination = api.operations[0].pagination
    assert pagination is not None
    assert pagination.next_cursor_path == ("last_id",)
    assert pagination.cursor_item_field == "batch_id"


def test_a_named_next_cursor_needs_no_item_field() -> None:
    api = _load(_item(name="string"), ["cursor"], next_cursor={"type": "string"})
    pagination = api.operations[0].pagination
    assert pagination is not None
    assert (pagination.next_cursor_path, pagination.cursor_item_field) == (("next_cursor",), None)


def test_the_collections_own_id_wins_among_several_star_ids() -> None:
    items = _item(input_file_id="string", batch_id="string", output_file_id="string")
    api = _load(items, ["after"], path="/v1/batches", **HAS_MORE)
    pagination = api.operations[0].pagination
    assert pagination is not None and pagination.cursor_item_field == "batch_id"
