"""The mock pages `after=<last item's field>` lists (OpenAI, Slack's `ts`, DigitalOcean's
`batch_id` with `last_id`): the next cursor is the last served item's value, a cursor is found in
the list, and one naming no item is a 400, never the first page again. Also: a required
next-cursor string is "" on the last page, and an integer `next_marker` gets a number."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from apiweld.mock import MockServer
from apiweld.spec import load


def _doc(path: str, params: list[dict[str, Any]], body: dict[str, Any]) -> dict[str, Any]:
    ok = {"description": "ok", "content": {"application/json": {"schema": body}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Paged", "version": "1"},
        "paths": {
            path: {
                "get": {"operationId": "listThings", "parameters": params, "responses": {"200": ok}}
            }
        },
    }


def _query(name: str, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema or {"type": "string"}}


def _list_body(items_key: str, item: dict[str, Any], **extra: Any) -> dict[str, Any]:
    props = {items_key: {"type": "array", "items": item}, "has_more": {"type": "boolean"}}
    return {"type": "object", "required": [items_key, "has_more"], "properties": props | extra}


def _item(key: str, **schema: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [key, "name"],
        "properties": {key: schema or {"type": "string"}, "name": {"type": "string"}},
    }


OPENAI = _doc(
    "/assistants",
    [_query("after"), _query("limit", type="integer")],
    _list_body("data", _item("id")),
)
SLACK = _doc(
    "/conversations.history",
    [_query("cursor"), _query("limit", type="integer")],
    _list_body("messages", _item("ts")),
)
DIGITALOCEAN = _doc(
    "/batches",
    [_query("after", type="string", format="uuid"), _query("limit", type="integer")],
    _list_body(
        "data",
        _item("batch_id", type="string", format="uuid"),
        last_id={"type": "string", "format": "uuid", "nullable": True},
    ),
)
CASES = {
    "openai": (OPENAI, "/assistants", "after", "data", "id"),
    "slack": (SLACK, "/conversations.history", "cursor", "messages", "ts"),
    "digitalocean": (DIGITALOCEAN, "/batches", "after", "data", "batch_id"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_every_item_once_by_the_last_items_field(case: str) -> None:
    doc, path, param, items_key, field = CASES[case]
    with MockServer(load(doc), seed=3, collection_size=7) as url, httpx.Client() as http:
        seen: list[str] = []
        query: dict[str, Any] = {"limit": 3}
        for _ in range(10):
            body = http.get(url + path, params=query).json()
            seen += [item[field] for item in body[items_key]]
            if not body["has_more"]:
                break
            if "last_id" in body:
                assert body["last_id"] == body[items_key][-1][field]
            query = {"limit": 3, param: body[items_key][-1][field]}
        assert len(seen) == len(set(seen)) > 3
        everything = http.get(url + path, params={"limit": 100}).json()
        assert [item[field] for item in everything[items_key]] == seen


@pytest.mark.parametrize("case", list(CASES))
def test_a_cursor_naming_no_item_is_a_400(case: str) -> None:
    doc, path, param, _, _ = CASES[case]
    unknown = "00000000-0000-4000-8000-00000000beef"
    with MockServer(load(doc), seed=3) as url, httpx.Client() as http:
        response = http.get(url + path, params={param: unknown})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert unknown in response.json()["detail"]


def test_a_required_next_cursor_is_empty_on_the_last_page() -> None:
    body = {
        "type": "object",
        "additionalProperties": False,
        "required": ["channels", "next_cursor"],
        "properties": {
            "channels": {"type": "array", "items": _item("id")},
            "next_cursor": {"type": "string"},
        },
    }
    doc = _doc("/channels", [_query("cursor"), _query("limit", type="integer")], body)
    with MockServer(load(doc), seed=3, collection_size=5) as url, httpx.Client() as http:
        cursors: list[str] = []
        query: dict[str, Any] = {"limit": 2}
        for _ in range(10):
            page = http.get(url + "/channels", params=query).json()
            cursors.append(page["next_cursor"])
            if not page["next_cursor"]:
                break
            query = {"limit": 2, "cursor": page["next_cursor"]}
    assert cursors[-1] == "" and len(cursors) == 3 and len(set(cursors)) == 3


def test_an_integer_next_marker_for_a_string_marker_is_a_number() -> None:
    body = {
        "type": "object",
        "properties": {
            "entries": {"type": "array", "items": _item("id")},
            "next_marker": {"type": "integer", "format": "int64", "example": 3000},
        },
    }
    doc = _doc("/pins", [_query("marker"), _query("limit", type="integer")], body)
    with MockServer(load(doc), seed=3, collection_size=5) as url, httpx.Client() as http:
        markers: list[Any] = []
        names: list[str] = []
        query: dict[str, Any] = {"limit": 2}
        for _ in range(10):
            page = http.get(url + "/pins", params=query).json()
            names += [item["id"] for item in page["entries"]]
            if page.get("next_marker") is None:
                break
            markers.append(page["next_marker"])
            query = {"limit": 2, "marker": str(page["next_marker"])}
    assert all(isinstance(marker, int) for marker in markers) and len(markers) == 2
    assert len(names) == len(set(names)) == 5
