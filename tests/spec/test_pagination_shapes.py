"""Pagination detection on the shapes real APIs use for "the next page", each written small.

The rules: a next-page URL is in a field named like "next" (beside the items or in a paging
container) and is a string that says it is one (format, or a url/link/href name), or an object
holding such a string; a bare `href`/`url`/`self` is the object's own address, never a next
page; a numeric `next` is a cursor only when a query parameter can carry it back; a cursor
object is followed to its field named like the cursor parameter.
"""

from __future__ import annotations

from typing import Any

import pytest
from spec_test_docs import CORPUS, get_op, openapi

from apiweld.spec import load
from apiweld.spec.ir import Pagination


def detect(
    body: dict[str, Any], params: list[str], schemas: dict[str, Any] | None = None
) -> Pagination | None:
    op = get_op(body, parameters=[{"name": n, "in": "query", "schema": {}} for n in params])
    extra = {"components": {"schemas": schemas}} if schemas else {}
    api = load(openapi({"/things": {"get": op}}, version="3.1.0", **extra))
    return api.operations[0].pagination


VERCEL_PAGINATION = {
    "type": "object",
    "properties": {
        "count": {"type": "number"},
        "next": {"type": ["number", "null"], "description": "Timestamp of the next page."},
        "prev": {"type": ["number", "null"]},
    },
}


def vercel_body() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "teams": {"type": "array", "items": {"type": "object"}},
            "pagination": {"$ref": "#/components/schemas/Pagination"},
        },
    }


def test_a_numeric_next_is_a_cursor_carried_by_until() -> None:
    found = detect(vercel_body(), ["limit", "since", "until"], {"Pagination": VERCEL_PAGINATION})
    assert found == Pagination(
        style="cursor",
        items_path=("teams",),
        cursor_param="until",
        next_cursor_path=("pagination", "next"),
        limit_param="limit",
        total_path=("pagination", "count"),
    )


@pytest.mark.parametrize("param", ["from", "before", "since"])
def test_other_parameters_can_carry_a_numeric_cursor(param: str) -> None:
    found = detect(vercel_body(), [param], {"Pagination": VERCEL_PAGINATION})
    assert found is not None and found.style == "cursor"
    assert (found.cursor_param, found.next_cursor_path) == (param, ("pagination", "next"))


def test_a_numeric_next_without_a_parameter_to_carry_it_is_no_pagination() -> None:
    assert detect(vercel_body(), ["team_id"], {"Pagination": VERCEL_PAGINATION}) is None


def test_a_numeric_next_is_never_a_url() -> None:
    body = {
        "type": "object",
        "properties": {"data": {"type": "array"}, "next": {"type": "integer"}},
    }
    assert detect(body, []) is None


SHIPENGINE_SCHEMAS: dict[str, Any] = {
    "url": {"type": "string", "format": "url"},
    "optional_link": {
        "type": "object",
        "properties": {
            "href": {"allOf": [{"$ref": "#/components/schemas/url"}]},
            "type": {"type": "string"},
        },
    },
    "pagination_link": {
        "type": "object",
        "properties": {
            "first": {"allOf": [{"$ref": "#/components/schemas/optional_link"}]},
            "next": {"allOf": [{"$ref": "#/components/schemas/optional_link"}]},
        },
    },
}


def test_a_link_object_points_the_path_at_its_href() -> None:
    body = {
        "type": "object",
        "properties": {
            "images": {"type": "array"},
            "links": {"$ref": "#/components/schemas/pagination_link"},
        },
    }
    assert detect(body, [], SHIPENGINE_SCHEMAS) == Pagination(
        style="next_url", items_path=("images",), next_url_path=("links", "next", "href")
    )


def test_a_link_object_may_hold_its_url_as_url() -> None:
    body = {
        "type": "object",
        "properties": {
            "items": {"type": "array"},
            "next": {"type": "object", "properties": {"url": {"type": "string"}}},
        },
    }
    found = detect(body, [])
    assert found is not None and found.next_url_path == ("next", "url")


def test_an_object_without_a_url_inside_is_not_a_next_page() -> None:
    body = {
        "type": "object",
        "properties": {
            "items": {"type": "array"},
            "next": {"type": "object", "properties": {"page": {"type": "integer"}}},
        },
    }
    assert detect(body, []) is None


@pytest.mark.parametrize(
    ("container", "field", "schema", "expected"),
    [
        (None, "next", {"type": "string", "format": "uri"}, ("next",)),
        (None, "next", {"type": "string", "format": "uri-reference"}, ("next",)),
        (None, "next_link", {"type": "string"}, ("next_link",)),
        (None, "next_page_url", {"type": "string"}, ("next_page_url",)),
        ("_links", "next", {"type": "string"}, ("_links", "next")),
        (None, "next", {"type": "string"}, None),
        (None, "next", {"type": "boolean"}, None),
        ("meta", "next", {"type": "string"}, None),
    ],
)
def test_a_next_url_is_a_string_that_says_it_is_one(
    container: str | None, field: str, schema: dict[str, Any], expected: tuple[str, ...] | None
) -> None:
    holder: dict[str, Any] = {"type": "object", "properties": {field: schema}}
    properties: dict[str, Any] = {"results": {"type": "array"}}
    properties.update({container: holder} if container else holder["properties"])
    found = detect({"type": "object", "properties": properties}, [])
    if expected is None:
        assert found is None
    else:
        assert found == Pagination(
            style="next_url", items_path=("results",), next_url_path=expected
        )


HUBSPOT_SCHEMAS: dict[str, Any] = {
    "NextPage": {
        "type": "object",
        "required": ["after"],
        "properties": {"after": {"type": "string"}, "link": {"type": "string"}},
    },
    "Paging": {
        "type": "object",
        "properties": {"next": {"$ref": "#/components/schemas/NextPage"}},
    },
}


def test_a_cursor_object_is_followed_to_the_field_named_like_the_parameter() -> None:
    body = {
        "type": "object",
        "properties": {
            "results": {"type": "array"},
            "paging": {"$ref": "#/components/schemas/Paging"},
        },
    }
    assert detect(body, ["after", "limit"], HUBSPOT_SCHEMAS) == Pagination(
        style="cursor",
        items_path=("results",),
        cursor_param="after",
        next_cursor_path=("paging", "next", "after"),
        limit_param="limit",
    )


def test_a_cursor_object_holding_only_a_link_is_followed_as_a_next_url() -> None:
    body = {
        "type": "object",
        "properties": {
            "results": {"type": "array"},
            "paging": {
                "type": "object",
                "properties": {
                    "next": {"type": "object", "properties": {"link": {"type": "string"}}}
                },
            },
        },
    }
    assert detect(body, ["after"]) == Pagination(
        style="next_url", items_path=("results",), next_url_path=("paging", "next", "link")
    )


def test_a_numeric_cursor_with_a_cursor_parameter_stays_a_cursor() -> None:
    body = {
        "type": "object",
        "properties": {"data": {"type": "array"}, "next_cursor": {"type": "integer"}},
    }
    found = detect(body, ["cursor"])
    assert found is not None
    assert (found.style, found.cursor_param, found.next_cursor_path) == (
        "cursor",
        "cursor",
        ("next_cursor",),
    )


def test_the_real_descriptions() -> None:
    vercel = load(CORPUS / "apis-guru" / "vercel.com.json")
    teams = vercel.operation("get_teams").pagination
    assert teams is not None
    assert (teams.style, teams.cursor_param, teams.next_cursor_path) == (
        "cursor",
        "until",
        ("pagination", "next"),
    )
    assert vercel.operation("list_auth_tokens").pagination is None
    assert all(
        op.pagination is None or op.pagination.style != "next_url" for op in vercel.operations
    )

    shipengine = load(CORPUS / "apis-guru" / "shipengine.com.json")
    images = shipengine.operation("list_account_images").pagination
    assert images is not None and images.next_url_path == ("links", "next", "href")

    hubspot = load(CORPUS / "apis-guru" / "hubapi.com" / "files.json")
    search = hubspot.operation("get_files_v3_files_search_do_search").pagination
    assert search is not None
    assert (search.cursor_param, search.next_cursor_path) == ("after", ("paging", "next", "after"))


def test_a_url_is_followed_not_sent_back_as_a_cursor() -> None:
    body = {
        "type": "object",
        "properties": {"data": {"type": "array"}, "next": {"type": "string", "format": "uri"}},
    }
    assert detect(body, ["next"]) == Pagination(
        style="next_url", items_path=("data",), next_url_path=("next",)
    )


def spotify_image_list() -> dict[str, Any]:
    return {"type": "array", "items": {"type": "object", "properties": {"url": {"type": "string"}}}}


@pytest.mark.parametrize(
    "self_link",
    [
        {"href": {"type": "string", "format": "uri"}},
        {"href": {"type": "string"}},
        {"url": {"type": "string", "format": "uri"}},
        {"self": {"type": "string", "format": "uri"}},
        {"links": {"type": "object", "properties": {"href": {"type": "string"}}}},
        {
            "_links": {
                "type": "object",
                "properties": {
                    "self": {"type": "object", "properties": {"href": {"type": "string"}}}
                },
            }
        },
    ],
    ids=["href-uri", "href", "url", "self", "links.href", "_links.self.href"],
)
def test_a_self_link_beside_an_array_is_not_a_next_page(self_link: dict[str, Any]) -> None:
    # Spotify's playlist and user objects: `{href, id, images: [...]}`, read by id, no paging.
    body = {
        "type": "object",
        "properties": {"id": {"type": "string"}, "images": spotify_image_list(), **self_link},
    }
    assert detect(body, []) is None
    assert detect(body, ["fields", "market"]) is None


def test_a_page_object_with_its_own_href_follows_next_not_href() -> None:
    # Spotify's paging object: `href` is this page, `next` the following one.
    page = {
        "type": "object",
        "properties": {
            "href": {"type": "string", "format": "uri"},
            "items": spotify_image_list(),
            "next": {"type": "string", "format": "uri", "nullable": True},
            "total": {"type": "integer"},
        },
    }
    assert detect(page, []) == Pagination(
        style="next_url", items_path=("items",), next_url_path=("next",), total_path=("total",)
    )
    offset = detect(page, ["limit", "offset"])
    assert offset is not None and (offset.style, offset.offset_param) == ("offset", "offset")


@pytest.mark.parametrize(
    ("container", "expected"),
    [("_links", ("_links", "next", "href")), ("links", ("links", "next", "href"))],
)
def test_a_hal_next_link_is_followed_and_its_self_link_is_not(
    container: str, expected: tuple[str, ...]
) -> None:
    link = {"type": "object", "properties": {"href": {"type": "string"}}}
    body = {
        "type": "object",
        "properties": {
            "href": {"type": "string", "format": "uri"},
            "items": {"type": "array"},
            container: {"type": "object", "properties": {"self": link, "next": link}},
        },
    }
    found = detect(body, [])
    assert found is not None and (found.style, found.next_url_path) == ("next_url", expected)


def test_every_next_url_field_is_named_like_next() -> None:
    from apiweld.spec._pagination import _NEXT_URL_FIELDS

    assert all("next" in name for name in _NEXT_URL_FIELDS)


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("nextLink", ("nextLink",)),
        ("@odata.nextLink", ("@odata.nextLink",)),
        ("next_url", ("next_url",)),
    ],
)
def test_next_link_fields_of_common_apis(field: str, expected: tuple[str, ...]) -> None:
    body = {
        "type": "object",
        "properties": {"value": {"type": "array"}, field: {"type": "string"}},
    }
    assert detect(body, []) == Pagination(
        style="next_url", items_path=("value",), next_url_path=expected
    )
