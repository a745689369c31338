"""What generated clients and their suites need from the mock, each over a real loopback socket:
one Content-Type on a replay, lenient JSON negotiation, pages that move, dates that are dates,
created items that fit the response schema, ignored header parameters, documented redirects
and AWS-style path keys."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import httpx
import orjson

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


def test_examples_that_break_a_parsed_format_are_not_served() -> None:
    order = {
        "type": "object",
        "required": ["id", "on"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "on": {"type": "string", "format": "date-time"},
        },
    }
    media_example = {"id": "0" * 47, "on": "yesterday"}
    paths = {
        "/order": {
            "get": {
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": order, "example": media_example}
                        },
                    }
                }
            }
        }
    }
    with serving(paths) as url:
        body = httpx.get(f"{url}/order").json()
    assert body != media_example
    assert uuid.UUID(body["id"])
    assert datetime.fromisoformat(body["on"].replace("Z", "+00:00"))


def test_items_with_an_example_are_still_distinct_across_pages() -> None:
    # The item schema's example would make every generated item the same object.
    group = {
        "type": "object",
        "required": ["id", "name"],
        "properties": {"id": {"type": "string"}, "name": {"type": "string", "example": "G"}},
        "example": {"id": "g-1", "name": "Group"},
    }
    listing = {
        "type": "object",
        "required": ["count", "groups"],
        "properties": {
            "count": {"type": "integer"},
            "groups": {"type": "array", "items": {"$ref": "#/components/schemas/Group"}},
        },
    }
    offset_params = [
        {"name": "offset", "in": "query", "schema": {"type": "integer"}},
        {"name": "limit", "in": "query", "schema": {"type": "integer"}},
    ]
    paths = {
        # A collection (item path beside it) and a stateless list: both page distinct items.
        "/groups": {"get": {"parameters": offset_params, "responses": _ok(listing)}},
        "/groups/{id}": {
            "get": {
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": _ok({"$ref": "#/components/schemas/Group"}),
            }
        },
        "/archived": {"get": {"parameters": offset_params, "responses": _ok(listing)}},
    }
    with serving(paths, {"Group": group}) as url:
        for path in ("/groups", "/archived"):
            seen: list[dict[str, Any]] = []
            for offset in (0, 10):
                page = httpx.get(f"{url}{path}", params={"offset": offset, "limit": 10}).json()
                seen.extend(page["groups"])
            assert len(seen) == 20, path
            assert len({orjson.dumps(g, option=orjson.OPT_SORT_KEYS) for g in seen}) == 20, path
            # Not the same example but for the id: clients tell items apart by other fields.
            # (Drawn words may collide now and then, as in real data.)
            assert len({g["name"] for g in seen}) >= 18, path


def _listing(items_key: str, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [items_key, *extra],
        "properties": {
            items_key: {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["n"],
                    "properties": {"n": {"type": "string"}},
                },
            },
            **extra,
        },
    }


def _walk(url: str, param: str, first: int, step: int, key: str) -> list[Any]:
    seen: list[Any] = []
    value = first
    for _ in range(10):
        page = httpx.get(url, params={param: str(value)}).json()
        if not page[key]:
            break
        seen.extend(page[key])
        value += step if step else len(page[key])
    return seen


def test_pagination_follows_the_hint_parameters_whatever_their_names_and_types() -> None:
    paths = {
        # Page numbers under another name, typed string on the wire.
        "/runs": {
            "get": {
                "parameters": [
                    {"name": "page_number", "in": "query", "schema": {"type": "string"}},
                    {"name": "page_size", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": _ok(_listing("runs", {"total": {"type": "integer"}})),
            }
        },
        # An offset named `skip`.
        "/jobs": {
            "get": {
                "parameters": [{"name": "skip", "in": "query", "schema": {"type": "integer"}}],
                "responses": _ok(_listing("jobs", {})),
            }
        },
        # A cursor the schema requires: null on the last page, never left as generated.
        "/feed": {
            "get": {
                "parameters": [{"name": "cursor", "in": "query", "schema": {"type": "string"}}],
                "responses": _ok(
                    _listing("items", {"next_cursor": {"type": "string", "nullable": True}})
                ),
            }
        },
    }
    with serving(paths) as url:
        runs = _walk(f"{url}/runs", "page_number", 1, 1, "runs")
        jobs = _walk(f"{url}/jobs", "skip", 0, 0, "jobs")
        feed: list[Any] = []
        page = httpx.get(f"{url}/feed").json()
        while True:
            feed.extend(page["items"])
            if page["next_cursor"] is None or len(feed) > 40:
                break
            page = httpx.get(f"{url}/feed", params={"cursor": page["next_cursor"]}).json()
    assert len(runs) == len({r["n"] for r in runs}) == 20
    assert len(jobs) == len({j["n"] for j in jobs}) == 20
    assert len(feed) == len({f["n"] for f in feed}) == 20


def test_authorization_accept_and_content_type_header_parameters_are_not_demanded() -> None:
    headers = [
        {"name": name, "in": "header", "required": True, "schema": {"type": "string"}}
        for name in ("Authorization", "Accept", "Content-Type")
    ]
    paths = {"/me": {"get": {"parameters": headers, "responses": _ok({"type": "object"})}}}
    with serving(paths) as url:
        answer = httpx.get(f"{url}/me")
    assert answer.status_code == 200


def test_documented_redirects_are_the_answer_with_a_location() -> None:
    paths = {
        "/download": {
            "get": {
                "responses": {
                    "302": {"description": "to the file"},
                    "default": {"description": "error", "content": {"application/json": {}}},
                }
            }
        },
        "/moved": {
            "get": {
                "responses": {
                    "301": {
                        "description": "moved",
                        "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
                    }
                }
            }
        },
    }
    with serving(paths) as url:
        download = httpx.get(f"{url}/download")
        moved = httpx.get(f"{url}/moved")
        followed = httpx.get(f"{url}/moved", follow_redirects=True)
    assert download.status_code == 302
    # Declared or not, the Location stays on the mock (a generated one would lead off the
    # host, or back into the API), and following it lands on a 200.
    assert download.headers["location"] == moved.headers["location"]
    assert moved.headers["location"].startswith(f"{url}/")
    assert moved.status_code == 301
    assert followed.status_code == 200
    assert [r.status_code for r in followed.history] == [301]


def test_aws_path_keys_route_by_their_query_discriminators() -> None:
    def op(key: str, *query: str) -> dict[str, Any]:
        params = [
            {"name": q, "in": "query", "required": True, "schema": {"type": "string"}}
            for q in query
        ]
        return {"parameters": params, "responses": _ok(_one(key), "application/json")}

    def _one(key: str) -> dict[str, Any]:
        return {"type": "object", "required": [key], "properties": {key: {"type": "string"}}}

    arn = {"name": "arn", "in": "path", "required": True, "schema": {"type": "string"}}
    paths = {
        "/?Action=ListThings": {"get": op("listed", "Action")},
        "/?Action=GetThing": {"get": op("got", "Action")},
        "/tags/{arn}": {"parameters": [arn], "get": op("tags")},
        "/tags/{arn}#tagKeys": {"parameters": [arn], "delete": op("untagged", "tagKeys")},
        "/links#deviceId&linkId": {"get": op("both", "deviceId", "linkId")},
        "/links#deviceId": {"get": op("device", "deviceId")},
    }
    with serving(paths) as url:
        listed = httpx.get(f"{url}/", params={"Action": "ListThings"}).json()
        got = httpx.get(f"{url}/", params={"Action": "GetThing"}).json()
        tags = httpx.get(f"{url}/tags/a1").json()
        untagged = httpx.delete(f"{url}/tags/a1", params={"tagKeys": "k"}).json()
        missing = httpx.delete(f"{url}/tags/a1")
        both = httpx.get(f"{url}/links", params={"deviceId": "d", "linkId": "l"}).json()
        device = httpx.get(f"{url}/links", params={"deviceId": "d"}).json()
    assert ("listed" in listed, "got" in got, "tags" in tags) == (True, True, True)
    assert "untagged" in untagged
    # The discriminating key is a required parameter: without it the request is refused.
    assert missing.status_code == 422
    assert "/query/tagKeys" in missing.text
    assert ("both" in both, "device" in device) == (True, True)


def test_additional_properties_false_beside_all_of_admits_the_parts_properties() -> None:
    paged = {"type": "object", "properties": {"total": {"type": "integer"}}}
    images = {
        "type": "object",
        "additionalProperties": False,
        "allOf": [{"$ref": "#/components/schemas/Paged"}],
        "required": ["images", "total"],
        "properties": {"images": {"type": "array", "items": {"type": "string"}}},
    }
    paths = {"/images": {"get": {"responses": _ok({"$ref": "#/components/schemas/Images"})}}}
    api = load(
        {
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": paths,
            "components": {"schemas": {"Paged": paged, "Images": images}},
        }
    )
    mock = MockServer(api, seed=3)
    with mock as url:
        body = httpx.get(f"{url}/images").json()
        records = mock.wait_for_requests(1)
    assert isinstance(body["total"], int) and isinstance(body["images"], list)
    # The answer validated: the mock did not have to serve its closest invalid candidate.
    assert records[0].problems == ()


def test_declared_link_header_is_the_pagers_on_every_page() -> None:
    link = {"Link": {"schema": {"type": "string"}}}
    paths = {
        "/events": {
            "get": {
                "parameters": [{"name": "page", "in": "query", "schema": {"type": "integer"}}],
                "responses": {
                    "200": {
                        "description": "ok",
                        "headers": link,
                        "content": {
                            "application/json": {
                                "schema": {"type": "array", "items": {"type": "integer"}}
                            }
                        },
                    }
                },
            }
        }
    }
    with serving(paths) as url:
        first = httpx.get(f"{url}/events")
        last = httpx.get(f"{url}/events", params={"page": 2})
    assert first.headers.get_list("link") == [f'<{url}/events?page=2>; rel="next"']
    assert "link" not in last.headers


def test_collection_pages_move_when_ids_are_patterned_or_items_differ_from_the_list() -> None:
    # The id's pattern is behind `allOf` (a new id must still match it), and the list's items
    # are a summary whose shape differs from the item path's full record.
    se_id = {"type": "string", "pattern": "^se-[0-9]+$", "example": "se-1"}
    batch = {
        "type": "object",
        "required": ["batch_id", "notes"],
        "properties": {
            "batch_id": {"allOf": [{"$ref": "#/components/schemas/SeId"}]},
            "notes": {"type": "string"},
        },
    }
    summary = {
        "type": "object",
        "required": ["batch_id", "count"],
        "additionalProperties": False,
        "properties": {
            "batch_id": {"allOf": [{"$ref": "#/components/schemas/SeId"}]},
            "count": {"type": "integer"},
        },
    }
    listing = {
        "type": "object",
        "required": ["batches", "total"],
        "properties": {
            "batches": {"type": "array", "items": {"$ref": "#/components/schemas/Summary"}},
            "total": {"type": "integer"},
        },
    }
    page = [{"name": "page", "in": "query", "schema": {"type": "integer"}}]
    item_id = {"name": "batch_id", "in": "path", "required": True, "schema": {"type": "string"}}
    paths = {
        "/batches": {"get": {"parameters": page, "responses": _ok(listing)}},
        "/batches/{batch_id}": {
            "get": {
                "parameters": [item_id],
                "responses": _ok({"$ref": "#/components/schemas/Batch"}),
            }
        },
        "/runs": {"get": {"parameters": page, "responses": _ok(listing)}},
        "/runs/{batch_id}": {
            "get": {
                "parameters": [item_id],
                "responses": _ok({"$ref": "#/components/schemas/Summary"}),
            }
        },
    }
    schemas = {"SeId": se_id, "Batch": batch, "Summary": summary}
    with serving(paths, schemas) as url:
        batches = _walk(f"{url}/batches", "page", 1, 1, "batches")
        runs = _walk(f"{url}/runs", "page", 1, 1, "batches")
    assert len(batches) == 20
    assert len({orjson.dumps(b, option=orjson.OPT_SORT_KEYS) for b in batches}) == 20
    assert len(runs) == len({r["batch_id"] for r in runs}) == 20
    assert all(r["batch_id"].startswith("se-") for r in runs)


def test_an_empty_value_is_accepted_where_the_parameter_allows_it() -> None:
    flag = {
        "name": "uploads",
        "in": "query",
        "required": True,
        "allowEmptyValue": True,
        "schema": {"type": "boolean"},
    }
    strict = {"name": "limit", "in": "query", "schema": {"type": "integer"}}
    paths = {"/b": {"get": {"parameters": [flag, strict], "responses": _ok({"type": "object"})}}}
    with serving(paths) as url:
        bare = httpx.get(f"{url}/b?uploads")
        empty_limit = httpx.get(f"{url}/b?uploads&limit=")
    assert bare.status_code == 200
    assert empty_limit.status_code == 422


def test_an_untyped_schema_with_properties_is_answered_with_an_object() -> None:
    # No `type`: JSON Schema would let the string example through; clients build a model.
    quote = {"properties": {"quote": {"type": "string"}}, "required": ["quote"]}
    as_text = '{"quote": "Be here now"}'
    paths = {
        "/qod": {
            "get": {
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Quote"},
                                "examples": {"text": {"value": as_text}},
                            }
                        },
                    }
                }
            }
        },
        "/bare": {"get": {"responses": _ok(quote)}},
    }
    with serving(paths, {"Quote": quote}) as url:
        qod = httpx.get(f"{url}/qod").json()
        bare = httpx.get(f"{url}/bare").json()
    # The example was JSON written as text: it is served as that JSON.
    assert qod == {"quote": "Be here now"}
    assert isinstance(bare, dict) and isinstance(bare["quote"], str)


def test_a_valid_request_succeeds_where_only_errors_are_documented() -> None:
    body = {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}
    paths = {
        "/pdf": {
            "post": {
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": body}},
                },
                "responses": {"400": {"description": "Bad request"}},
            }
        }
    }
    with serving(paths) as url:
        valid = httpx.post(f"{url}/pdf", json={"id": "a"})
        invalid = httpx.post(f"{url}/pdf", json={"id": 5})
    assert (valid.status_code, valid.content) == (200, b"")
    assert invalid.status_code == 422
