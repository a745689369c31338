"""What generated clients and their suites need from the mock, each over a real loopback socket:
one Content-Type on a replay, lenient JSON negotiation, pages that move, dates that are dates,
created items that fit the response schema, ignored header parameters, documented redirects
and AWS-style path keys."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import httpx

from apiweld.mock import MockServer
from apiweld.spec import load


def _ok(schema: dict[str, Any], media: str = "application/json") -> dict[str, Any]:
    return {"200": {"description": "ok", "content": {media: {"schema": schema}}}}


@contextmanager
def serving(paths: dict[str, Any], schemas: dict[str, Any] | None = None) -> Iterator[str]:
    document = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": paths,
        "components": {"schemas": schemas or {}},
    }
    with MockServer(load(document), seed=3) as base_url:
        yield base_url


def test_idempotent_replay_sends_one_content_type() -> None:
    paths = {
        "/orders": {
            "post": {
                "requestBody": {
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "responses": {
                    "201": {
                        "description": "made",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"id": {"type": "integer"}},
                                    "required": ["id"],
                                }
                            }
                        },
                    }
                },
            }
        }
    }
    with serving(paths) as url:
        headers = {"Idempotency-Key": "k-7"}
        first = httpx.post(f"{url}/orders", json={"n": 1}, headers=headers)
        again = httpx.post(f"{url}/orders", json={"n": 1}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers.get_list("content-type") == ["application/json"]
    assert again.json() == first.json()


def test_json_clients_are_served_wildcard_and_json_suffix_types() -> None:
    thing = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    paths = {
        "/any": {"get": {"responses": _ok(thing, "*/*")}},
        "/hal": {"get": {"responses": _ok(thing, "application/hal+json")}},
        "/vendor": {"get": {"responses": _ok(thing, "application/vnd.foo.v2+json")}},
        "/text": {"get": {"responses": _ok({"type": "string"}, "text/plain")}},
        "/pdf": {
            "get": {"responses": _ok({"type": "string", "format": "binary"}, "application/pdf")}
        },
    }
    json_only = {"Accept": "application/json"}
    with serving(paths) as url:
        wildcard = httpx.get(f"{url}/any", headers=json_only)
        hal = httpx.get(f"{url}/hal", headers=json_only)
        vendor = httpx.get(f"{url}/vendor", headers=json_only)
        text_for_json = httpx.get(f"{url}/text", headers=json_only)
        pdf_for_json = httpx.get(f"{url}/pdf", headers=json_only)
        text_for_list = httpx.get(f"{url}/text", headers={"Accept": "application/json, */*;q=0.1"})
        wildcard_for_text = httpx.get(f"{url}/any", headers={"Accept": "text/csv"})
    assert wildcard.status_code == 200
    assert wildcard.headers["content-type"] == "application/json"
    assert isinstance(wildcard.json()["a"], str)
    assert (hal.status_code, hal.headers["content-type"]) == (200, "application/hal+json")
    assert isinstance(hal.json()["a"], str)
    assert vendor.headers["content-type"] == "application/vnd.foo.v2+json"
    # A JSON-only client asking for a type that is not JSON at all is refused, as HTTP says.
    assert text_for_json.status_code == pdf_for_json.status_code == 406
    assert text_for_list.status_code == 200
    assert text_for_list.headers["content-type"].startswith("text/plain")
    assert wildcard_for_text.headers["content-type"].startswith("text/csv")


def test_dates_are_dates_and_exclusive_bounds_hold() -> None:
    schema = {
        "type": "object",
        "required": ["day", "ratio", "count", "below"],
        "properties": {
            # A wrong example (a date-time for a date) must not reach the client.
            "day": {"type": "string", "format": "date", "example": "2020-01-01T10:00:00Z"},
            "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 0.005},
            "count": {"type": "integer", "exclusiveMinimum": 10, "exclusiveMaximum": 12},
            "below": {"type": "integer", "exclusiveMaximum": -5},
        },
    }
    with serving({"/day": {"get": {"responses": _ok(schema)}}}) as url:
        body = httpx.get(f"{url}/day").json()
    assert date.fromisoformat(body["day"]).isoformat() == body["day"]
    assert 0 < body["ratio"] < 0.005
    assert body["count"] == 11
    assert body["below"] < -5


def test_created_items_keep_only_request_fields_the_response_schema_accepts() -> None:
    pet = {
        "type": "object",
        "required": ["id", "name", "owner"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "owner": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}},
            },
        },
        "additionalProperties": False,
    }
    new_pet = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "owner": {"type": "integer"},
            "password": {"type": "string"},
        },
    }
    paths = {
        "/pets": {
            "get": {
                "responses": _ok({"type": "array", "items": {"$ref": "#/components/schemas/Pet"}})
            },
            "post": {
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/New"}}
                    }
                },
                "responses": {
                    "201": {
                        "description": "made",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}
                        },
                    }
                },
            },
        },
        "/pets/{id}": {
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "get": {"responses": _ok({"$ref": "#/components/schemas/Pet"})},
        },
    }
    with serving(paths, {"Pet": pet, "New": new_pet}) as url:
        created = httpx.post(f"{url}/pets", json={"name": "Rex", "owner": 5, "password": "pw"})
        read = httpx.get(created.headers["location"].replace("/pets", f"{url}/pets", 1))
    assert created.status_code == 201
    body = created.json()
    assert body["name"] == "Rex"
    assert isinstance(body["owner"], dict) and "password" not in body
    assert read.json() == body
