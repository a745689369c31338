"""Requests of any shape get an answer the API could give (never a 500 unless a fault was asked
for), next-page links the mock writes are links it accepts, examples it serves pass the contract
checks, and generated collection items are filled and distinct. Real descriptions over HTTP."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apiweld.mock import MockServer
from apiweld.spec import load
from apiweld.testing.checks import ValidatorCache as CheckValidators


def _write(tmp_path: Path, text: str, name: str = "api.yaml") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


PAGED = """\
openapi: 3.0.3
info: {title: Paged, version: "1"}
paths:
  /buckets:
    get:
      operationId: listBuckets
      parameters:
        - {name: page, in: query, schema: {type: integer, minimum: 0}}
        - {name: page_size, in: query, schema: {type: integer, minimum: 1, maximum: 1000}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  items: {type: array, items: {$ref: "#/components/schemas/Bucket"}}
                  page_size: {type: integer}
  /buckets/{id}:
    get:
      operationId: getBucket
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: ok
          content:
            application/json: {schema: {$ref: "#/components/schemas/Bucket"}}
  /events:
    get:
      operationId: listEvents
      parameters:
        - {name: offset, in: query, schema: {type: integer}}
        - {name: limit, in: query, schema: {type: integer}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  total: {type: integer}
                  limit: {type: integer}
                  offset: {type: integer}
                  items: {type: array, items: {type: object, properties: {n: {type: integer}}}}
  /played:
    get:
      operationId: listPlayed
      parameters:
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 50}}
        - {name: after, in: query, schema: {type: integer, minimum: 1000}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  next: {type: string}
                  items: {type: array, items: {$ref: "#/components/schemas/Bucket"}}
  /sessions:
    get:
      operationId: listSessions
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
        - {name: cursor, in: query, schema: {type: string, format: uuid}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  next_cursor: {type: string, format: uuid}
                  data: {type: array, items: {$ref: "#/components/schemas/Bucket"}}
  /digits:
    get:
      operationId: listDigits
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
        - {name: cursor, in: query, schema: {type: string, pattern: "^[0-9]{1,9}$"}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  next_cursor: {type: string}
                  data: {type: array, items: {$ref: "#/components/schemas/Bucket"}}
  /capped:
    get:
      operationId: listCapped
      parameters:
        - {name: page, in: query, schema: {type: integer, minimum: 1, maximum: 2}}
        - {name: per_page, in: query, schema: {type: integer}}
      responses:
        "200":
          description: ok
          headers:
            Link: {schema: {type: string}}
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Bucket"}}
components:
  schemas:
    Bucket:
      type: object
      required: [id]
      properties: {id: {type: string}, size: {type: integer}}
"""


@pytest.fixture(scope="module")
def paged_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    spec = _write(tmp_path_factory.mktemp("paged"), PAGED)
    with MockServer(spec, collection_size=12, page_size=5, seed=4) as url:
        yield url


@pytest.mark.parametrize(
    "page",
    [str(sys.maxsize + 1), "4840346325273364815248025976832", str(sys.maxsize), "4", "9" * 80],
)
def test_a_page_past_the_end_of_a_stored_collection_is_empty(paged_url: str, page: str) -> None:
    # /buckets has an item path, so its list pages over the mock's stored collection.
    response = httpx.get(f"{paged_url}/buckets", params={"page": page, "page_size": "396"})
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []


def test_an_offset_past_the_end_is_an_empty_page_and_limit_and_offset_are_echoed(
    paged_url: str,
) -> None:
    past = httpx.get(f"{paged_url}/events", params={"offset": str(2**70), "limit": "3"})
    assert past.status_code == 200 and past.json()["items"] == []
    first = httpx.get(f"{paged_url}/events", params={"offset": "2", "limit": "3"}).json()
    assert (first["limit"], first["offset"], first["total"], len(first["items"])) == (3, 2, 12, 3)


QUERY_VALUES = st.one_of(
    st.integers(),
    st.integers(min_value=sys.maxsize - 2, max_value=2**200),
    st.text(max_size=30),
    st.sampled_from(["²", "٣", "-0", "1e3", "0x10", "", "null", "9" * 5000, "o:5", "b206NQ"]),
)
PAGED_PATHS = ["/buckets", "/events", "/played", "/sessions", "/digits", "/capped"]
PAGING_NAMES = ["page", "page_size", "offset", "limit", "after", "cursor", "per_page"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(PAGED_PATHS),
    query=st.dictionaries(st.sampled_from(PAGING_NAMES), QUERY_VALUES.map(str), max_size=4),
)
def test_no_query_value_makes_a_paged_operation_answer_a_server_error(
    paged_url: str, path: str, query: dict[str, str]
) -> None:
    response = httpx.get(f"{paged_url}{path}", params=query)
    assert response.status_code < 500, (path, query, response.text)


@pytest.mark.parametrize("prefer", ["code=999", "code=²", "code=99999999999999999999", "code=1"])
def test_a_prefer_code_http_cannot_carry_is_ignored(paged_url: str, prefer: str) -> None:
    response = httpx.get(f"{paged_url}/buckets", headers=[(b"Prefer", prefer.encode())])
    assert response.status_code == 200


def _walk(url: str, path: str, first: dict[str, str], cursor_field: str | None) -> list[Any]:
    """Every item, following the mock's next links (body cursor, or `Link` header) to the end;
    each request it links to must be accepted."""
    items: list[Any] = []
    params: dict[str, str] | None = first
    target = f"{url}{path}"
    for _ in range(20):
        response = httpx.get(target, params=params)
        assert response.status_code == 200, (target, params, response.text)
        body = response.json()
        items.extend(body if isinstance(body, list) else body.get("items") or body.get("data"))
        if cursor_field is not None:
            cursor = body.get(cursor_field)
            if not cursor:
                return items
            params = {**first, path_cursor_param(path): cursor}
        else:
            link = response.headers.get("link")
            if not link:
                return items
            target, params = link.split(";")[0].strip("<>"), None
    raise AssertionError("paging did not end")


def path_cursor_param(path: str) -> str:
    return "after" if path == "/played" else "cursor"


@pytest.mark.parametrize(
    ("path", "cursor_field", "looks_like"),
    [
        ("/played", "next", str.isdigit),
        ("/sessions", "next_cursor", lambda c: len(c) == 36 and c.count("-") == 4),
        ("/digits", "next_cursor", str.isdigit),
    ],
)
def test_next_cursors_fit_the_cursor_parameter_and_walk_each_item_once(
    paged_url: str, path: str, cursor_field: str, looks_like: Any
) -> None:
    page = httpx.get(f"{paged_url}{path}", params={"limit": "5"}).json()
    assert looks_like(page[cursor_field]), page[cursor_field]
    items = _walk(paged_url, path, {"limit": "5"}, cursor_field)
    ids = [item["id"] for item in items]
    assert len(ids) == 12 and len(set(ids)) == 12


def test_no_next_link_past_the_page_parameters_maximum(paged_url: str) -> None:
    # 12 items, 3 a page, but `page` takes at most 2: the listing ends at page 2.
    items = _walk(paged_url, "/capped", {"per_page": "3"}, None)
    assert len(items) == 6


FORM_ONEOF = """\
openapi: 3.0.3
info: {title: FormExplodeOneOf, version: "1"}
paths:
  /events:
    get:
      operationId: listEvents
      parameters:
        - in: query
          name: filter
          required: true
          style: form
          explode: true
          schema:
            type: object
            oneOf:
              - properties: {user_id: {type: integer}}
                required: [user_id]
                additionalProperties: false
              - properties: {email: {type: string}}
                required: [email]
                additionalProperties: false
        - in: query
          name: where
          style: form
          explode: true
          schema:
            allOf:
              - {properties: {city: {type: string}}}
              - {properties: {zip: {type: string, pattern: "^[0-9]{5}$"}}}
        - {name: type, in: query, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {events: {type: array, items: {type: string}}}}
"""


def test_exploded_form_object_keys_are_read_from_its_composition(tmp_path: Path) -> None:
    with MockServer(_write(tmp_path, FORM_ONEOF)) as url:
        for query in ("type=user&email=a%40b.c", "type=user&user_id=42"):
            assert httpx.get(f"{url}/events?{query}").status_code == 200, query
        missing = httpx.get(f"{url}/events?type=user")
        assert missing.status_code == 422
        assert missing.json()["errors"][0]["pointer"] == "/query/filter"
        # Values are coerced by the branch that declares them, and validated against it.
        assert httpx.get(f"{url}/events?type=u&user_id=x").status_code == 422
        # An allOf object without `type` is still an object, its keys spread over the query.
        where = httpx.get(f"{url}/events?type=u&user_id=1&city=Oslo&zip=123")
        assert where.status_code == 422
        assert where.json()["errors"][0]["pointer"].startswith("/query/where")
        assert httpx.get(f"{url}/events?type=u&user_id=1&zip=12345").status_code == 200


BAD_EXAMPLE = """\
openapi: 3.0.3
info: {title: ExampleBadFormat, version: "1"}
paths:
  /contacts/{id}:
    get:
      operationId: getContact
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Contact"}
              example: {id: "c1", companies_url: "/contacts/c1/companies"}
  /people/{id}:
    get:
      operationId: getPerson
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [email, site]
                properties:
                  email: {type: string, format: email, example: "not an email"}
                  site: {type: string, format: uri, example: "https://example.org/ada"}
components:
  schemas:
    Contact:
      type: object
      properties:
        id: {type: string}
        companies_url: {type: string, format: uri}
"""


def test_served_examples_pass_the_contract_checks_formats(tmp_path: Path) -> None:
    spec = _write(tmp_path, BAD_EXAMPLE)
    api = load(spec)
    checks = CheckValidators(api)
    with MockServer(api) as url:
        for op in api.operations:
            path = op.path.replace("{id}", "c1")
            body = httpx.get(f"{url}{path}").json()
            schema = op.responses[0].content[0].schema
            assert schema is not None
            assert checks.validator(schema).errors(body) == [], (path, body)
        person = httpx.get(f"{url}/people/1").json()
        # A property example that conforms is still used; the broken one is replaced.
        assert person["site"] == "https://example.org/ada"
        assert person["email"] != "not an email"


AND_SAME_HEADER = """\
openapi: 3.0.3
info: {title: AndSameHeader, version: "1"}
security:
  - apiKey: []
    bearerToken: []
    tenant: []
components:
  securitySchemes:
    apiKey: {type: apiKey, in: header, name: Authorization}
    bearerToken: {type: http, scheme: bearer}
    tenant: {type: apiKey, in: header, name: X-Tenant}
paths:
  /things:
    get:
      operationId: listThings
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: array, items: {type: string}}
"""


def test_schemes_required_together_in_one_header_accept_either(tmp_path: Path) -> None:
    credentials = {"apiKey": "Token k1", "bearerToken": "t1", "tenant": "acme"}
    with MockServer(_write(tmp_path, AND_SAME_HEADER), credentials=credentials) as url:
        tenant = {"X-Tenant": "acme"}
        for authorization in ("Token k1", "Bearer t1"):
            headers = {"Authorization": authorization, **tenant}
            assert httpx.get(f"{url}/things", headers=headers).status_code == 200
        wrong = httpx.get(f"{url}/things", headers={"Authorization": "Bearer zz", **tenant})
        assert wrong.status_code == 401
        assert "apiKey" in wrong.text and "bearerToken" in wrong.text
        # A scheme in another header is still required alongside.
        alone = httpx.get(f"{url}/things", headers={"Authorization": "Bearer t1"})
        assert alone.status_code == 401 and "X-Tenant" in alone.text


TAGGED_ITEMS = """\
openapi: 3.0.3
info: {title: TaggedItems, version: "1"}
paths:
  /playlists/{id}/tracks:
    get:
      operationId: listTracks
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - {name: limit, in: query, schema: {type: integer}}
        - {name: offset, in: query, schema: {type: integer}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  total: {type: integer}
                  items: {type: array, items: {$ref: "#/components/schemas/Entry"}}
components:
  schemas:
    Entry:
      type: object
      properties:
        added_at: {type: string, format: date-time}
        broken: {type: string, format: date, pattern: "^never$"}
        item:
          oneOf: [{$ref: "#/components/schemas/Track"}, {$ref: "#/components/schemas/Episode"}]
          discriminator: {propertyName: type}
    Track:
      type: object
      properties:
        type: {type: string, enum: [track]}
        name: {type: string}
    Episode:
      type: object
      properties:
        type: {type: string, enum: [episode]}
        name: {type: string}
"""


def test_generated_items_with_only_optional_properties_are_filled_and_distinct(
    tmp_path: Path,
) -> None:
    # The unmapped discriminator's tags are the branches' own enums (`track`), not the
    # schema names; `broken` no value can satisfy, and it must not empty the whole item.
    with MockServer(_write(tmp_path, TAGGED_ITEMS), collection_size=12) as url:
        items = [
            item
            for offset in (0, 5, 10)
            for item in httpx.get(
                f"{url}/playlists/x/tracks", params={"limit": "5", "offset": str(offset)}
            ).json()["items"]
        ]
    assert len(items) == 12
    assert all(item.get("added_at") and "broken" not in item for item in items)
    assert {item["item"]["type"] for item in items if "item" in item} <= {"track", "episode"}
    assert sum("item" in item for item in items) >= 6
    assert len({repr(sorted(item.items())) for item in items}) == 12
