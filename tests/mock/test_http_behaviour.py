"""Routing, validation, negotiation, auth, rate limits, pagination and state over real HTTP."""

from __future__ import annotations

import base64
import time

import httpx
import pytest
from mock_petstore_ir import AUTH, PETSTORE

from apiweld.mock import MockServer, RateLimit


def test_unknown_path_is_404_and_wrong_method_is_405_with_allow(mock_url: str) -> None:
    missing = httpx.get(f"{mock_url}/nowhere", headers=AUTH)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong = httpx.put(f"{mock_url}/pets", headers=AUTH)
    assert wrong.status_code == 405
    assert set(wrong.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}


def test_head_answers_like_get_without_a_body(mock_url: str) -> None:
    get = httpx.get(f"{mock_url}/pets/1", headers=AUTH)
    head = httpx.head(f"{mock_url}/pets/1", headers=AUTH)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"] != "0"


def test_schema_errors_are_422_problem_json_with_a_pointer_per_place(mock_url: str) -> None:
    response = httpx.get(
        f"{mock_url}/search/1,x",
        params={"filter[max]": "20", "pipes": "1|2"},
        headers={"X-Trace": "nope"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    pointers = {e["pointer"] for e in response.json()["errors"]}
    assert pointers == {"/path/ids/1", "/query/tag", "/query/filter/max", "/header/X-Trace"}


def test_parameter_styles_decode_before_validation(mock_url: str) -> None:
    response = httpx.get(
        f"{mock_url}/search/1,2,3",
        params=[("tag", "a"), ("tag", "b"), ("pipes", "4|5"), ("filter[min]", "1")],
        headers={"X-Trace": "t-42"},
        cookies={"session": "abc"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["kind"] in ("cat", "dog")


def test_malformed_json_body_is_400_and_schema_violation_is_422(mock_url: str) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    bad = httpx.post(f"{mock_url}/pets", content=b'{"name": ', headers=headers)
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["pointer"] == "/body"
    invalid = httpx.post(f"{mock_url}/pets", json={"name": "", "species": "cow"}, headers=AUTH)
    assert invalid.status_code == 422
    assert {e["pointer"] for e in invalid.json()["errors"]} == {"/body/name", "/body/species"}
    unsupported = httpx.post(
        f"{mock_url}/pets", content=b"x", headers={**AUTH, "Content-Type": "text/plain"}
    )
    assert unsupported.status_code == 415


def test_form_and_multipart_bodies_are_decoded_and_validated(mock_url: str) -> None:
    ok_form = httpx.post(f"{mock_url}/uploads", data={"count": "2", "labels": "a,b"})
    assert ok_form.status_code == 200, ok_form.text
    bad_form = httpx.post(f"{mock_url}/uploads", data={"count": "0"})
    assert bad_form.status_code == 422
    assert bad_form.json()["errors"][0]["pointer"] == "/body/count"
    ok_multipart = httpx.post(
        f"{mock_url}/uploads", data={"count": "3"}, files={"file": ("a.txt", b"hello")}
    )
    assert ok_multipart.status_code == 200, ok_multipart.text
    missing_file = httpx.post(
        f"{mock_url}/uploads", data={"count": "3"}, files={"other": ("a.txt", b"x")}
    )
    assert missing_file.status_code == 422
    assert any("file" in e["message"] for e in missing_file.json()["errors"])


def test_content_negotiation_by_accept(mock_url: str) -> None:
    as_xml = httpx.get(f"{mock_url}/stores", headers={"Accept": "application/xml"})
    assert as_xml.status_code == 200
    assert as_xml.headers["content-type"] == "application/xml"
    assert as_xml.text.startswith("<root><item>")
    as_json = httpx.get(f"{mock_url}/stores", headers={"Accept": "application/xml;q=0.5, */*"})
    assert as_json.headers["content-type"] == "application/json"
    refused = httpx.get(f"{mock_url}/stores", headers={"Accept": "image/png"})
    assert refused.status_code == 406


def test_security_missing_and_wrong_credentials_get_401_with_challenges() -> None:
    with MockServer(PETSTORE, credentials={"apiKey": "right", "basic": ("ada", "s3cret")}) as url:
        missing = httpx.get(f"{url}/pets/1")
        assert missing.status_code == 401
        challenges = missing.headers.get_list("www-authenticate")
        assert any(c.startswith("ApiKey") and 'header="X-API-Key"' in c for c in challenges)
        assert any(c.startswith("Bearer") for c in challenges)
        assert httpx.get(f"{url}/pets/1", headers={"X-API-Key": "wrong"}).status_code == 401
        assert httpx.get(f"{url}/pets/1", headers={"X-API-Key": "right"}).status_code == 200
        # Any well-formed bearer token is accepted when no tokens are configured for it.
        bearer = httpx.get(f"{url}/pets/1", headers={"Authorization": "Bearer anything"})
        assert bearer.status_code == 200
        wrong_basic = httpx.get(f"{url}/admin/whoami", auth=("ada", "nope"))
        assert wrong_basic.status_code == 401
        assert wrong_basic.headers["www-authenticate"].startswith("Basic realm=")
        garbled = httpx.get(f"{url}/admin/whoami", headers={"Authorization": "Basic !!!"})
        assert garbled.status_code == 401
        good = httpx.get(f"{url}/admin/whoami", auth=("ada", "s3cret"))
        assert good.status_code == 200
        assert good.headers["content-type"].startswith("text/plain")
        assert httpx.get(f"{url}/stores").status_code == 200  # security: [] needs nothing


def test_default_credentials_accept_any_well_formed_basic_pair(mock_url: str) -> None:
    token = base64.b64encode(b"any:thing").decode()
    ok = httpx.get(f"{mock_url}/admin/whoami", headers={"Authorization": f"Basic {token}"})
    assert ok.status_code == 200
    no_colon = base64.b64encode(b"nocolon").decode()
    bad = httpx.get(f"{mock_url}/admin/whoami", headers={"Authorization": f"Basic {no_colon}"})
    assert bad.status_code == 401


def test_rate_limit_per_key_with_ietf_and_x_headers() -> None:
    with MockServer(PETSTORE, rate_limit=RateLimit(limit=3, window=30, policy="burst")) as url:
        first = httpx.get(f"{url}/pets/1", headers={"X-API-Key": "a"})
        assert first.headers["ratelimit-policy"] == '"burst";q=3;w=30'
        assert first.headers["ratelimit"].startswith('"burst";r=2;t=')
        assert first.headers["x-ratelimit-limit"] == "3"
        assert first.headers["x-ratelimit-remaining"] == "2"
        assert int(first.headers["x-ratelimit-reset"]) >= int(time.time())
        for _ in range(2):
            assert httpx.get(f"{url}/pets/1", headers={"X-API-Key": "a"}).status_code == 200
        limited = httpx.get(f"{url}/pets/1", headers={"X-API-Key": "a"})
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["retry-after"]) <= 30
        assert limited.headers["x-ratelimit-remaining"] == "0"
        # Another key has its own budget.
        assert httpx.get(f"{url}/pets/1", headers={"X-API-Key": "b"}).status_code == 200


def test_cursor_pagination_walks_the_whole_collection_once() -> None:
    with MockServer(PETSTORE, collection_size=23, seed=3) as url:
        seen: list[int] = []
        params: dict[str, str] = {"limit": "5"}
        pages = 0
        while True:
            page = httpx.get(f"{url}/pets", params=params, headers=AUTH).json()
            pages += 1
            seen.extend(pet["id"] for pet in page["data"])
            if not page.get("next_cursor"):
                break
            params = {"limit": "5", "cursor": page["next_cursor"]}
        assert pages == 5
        assert sorted(seen) == list(range(1, 24))


def test_link_pagination_follows_rel_next_to_the_end() -> None:
    with MockServer(PETSTORE, collection_size=7) as url:
        next_url: str | None = f"{url}/stores?per_page=3"
        items = []
        while next_url:
            response = httpx.get(next_url)
            items.extend(response.json())
            link = response.headers.get("link")
            next_url = link.split(";")[0].strip("<>") if link else None
        assert len(items) == 7
        assert len({s["id"] for s in items}) == 7


def test_offset_pagination_reports_total_and_has_more() -> None:
    with MockServer(PETSTORE, collection_size=12) as url:
        seen = []
        offset = 0
        while True:
            page = httpx.get(f"{url}/events", params={"offset": offset, "limit": 5}).json()
            assert page["meta"]["total"] == 12
            seen.extend(page["items"])
            offset += 5
            if not page["has_more"]:
                break
        assert len(seen) == 12 and offset == 15
        assert seen == httpx.get(f"{url}/events", params={"limit": 100}).json()["items"]


def test_next_url_pagination_links_absolute_urls_to_the_end() -> None:
    with MockServer(PETSTORE, collection_size=25, page_size=10) as url:
        next_url: str | None = f"{url}/logs"
        entries: list[str] = []
        pages = 0
        while next_url:
            page = httpx.get(next_url).json()
            pages += 1
            entries.extend(page["entries"])
            next_url = page.get("next")
            assert next_url is None or next_url.startswith(url)
        assert pages == 3 and len(entries) == 25


def test_collection_state_create_read_list_update_delete(mock_url: str) -> None:
    created = httpx.post(f"{mock_url}/pets", json={"name": "Rex", "species": "dog"}, headers=AUTH)
    assert created.status_code == 201
    pet = created.json()
    assert pet["name"] == "Rex" and isinstance(pet["id"], int)
    assert created.headers["location"] == f"/pets/{pet['id']}"
    fetched = httpx.get(f"{mock_url}/pets/{pet['id']}", headers=AUTH).json()
    assert fetched == pet
    listed = httpx.get(f"{mock_url}/pets", params={"limit": 100}, headers=AUTH).json()["data"]
    assert pet in listed
    patched = httpx.patch(f"{mock_url}/pets/{pet['id']}", json={"name": "Max"}, headers=AUTH)
    assert patched.json() == {**pet, "name": "Max"}
    assert httpx.get(f"{mock_url}/pets/{pet['id']}", headers=AUTH).json()["name"] == "Max"
    assert httpx.delete(f"{mock_url}/pets/{pet['id']}", headers=AUTH).status_code == 204
    gone = httpx.get(f"{mock_url}/pets/{pet['id']}", headers=AUTH)
    assert gone.status_code == 404
    listed_after = httpx.get(f"{mock_url}/pets", params={"limit": 100}, headers=AUTH).json()
    assert pet["id"] not in {p["id"] for p in listed_after["data"]}


def test_idempotency_key_replays_the_first_result_and_creates_nothing(mock_url: str) -> None:
    def count() -> int:
        page = httpx.get(f"{mock_url}/pets", params={"limit": 100}, headers=AUTH).json()
        return len(page["data"])

    before = count()
    headers = {**AUTH, "Idempotency-Key": "k-1"}
    first = httpx.post(f"{mock_url}/pets", json={"name": "A", "species": "cat"}, headers=headers)
    again = httpx.post(f"{mock_url}/pets", json={"name": "A", "species": "cat"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert count() == before + 1
    reused = httpx.post(f"{mock_url}/pets", json={"name": "B", "species": "cat"}, headers=headers)
    assert reused.status_code == 422


def test_declared_response_headers_are_sent(mock_url: str) -> None:
    response = httpx.get(f"{mock_url}/pets", headers=AUTH)
    assert response.headers["x-total"].lstrip("-").isdigit()


def test_prefer_code_selects_a_declared_response(mock_url: str) -> None:
    response = httpx.get(f"{mock_url}/pets/1", headers={**AUTH, "Prefer": "code=404"})
    assert response.status_code == 404
    body = response.json()
    assert set(body) >= {"title", "status"}


def test_server_path_prefix_is_accepted() -> None:
    from dataclasses import replace

    from apiweld.spec.ir import Server

    api = replace(PETSTORE, servers=(Server("https://api.example.com/v1"),))
    with MockServer(api) as url:
        assert httpx.get(f"{url}/v1/stores").status_code == 200
        assert httpx.get(f"{url}/stores").status_code == 200


async def test_async_context_manager_and_request_log() -> None:
    server = MockServer(PETSTORE, credentials={"apiKey": "top-secret"})
    async with server as url, httpx.AsyncClient() as client:
        response = await client.get(f"{url}/pets/2", headers={"X-API-Key": "top-secret"})
        assert response.status_code == 200
        await client.get(f"{url}/pets/zz", headers={"X-API-Key": "top-secret"})
    ok, bad = server.requests
    assert ok.operation_id == "get_pet" and ok.status == 200 and ok.problems == ()
    assert bad.status == 422 and bad.problems and bad.problems[0].startswith("/path/petId")
    assert "top-secret" not in repr(server.requests)
    assert ok.header("x-api-key") == "***"


@pytest.mark.parametrize("seed", [1, 2])
def test_same_seed_same_data(seed: int) -> None:
    bodies = []
    for _ in range(2):
        with MockServer(PETSTORE, seed=seed) as url:
            bodies.append(httpx.get(f"{url}/search/1?tag=a").content)
    assert bodies[0] == bodies[1]


def test_a_description_path_is_loaded_and_a_busy_port_is_a_clear_error() -> None:
    from pathlib import Path

    from apiweld.mock import MockServerError

    example = Path(__file__).resolve().parents[2] / "examples" / "petstore.yaml"
    first = MockServer(str(example))
    with first as url:
        assert httpx.get(f"{url}/pets/1", headers=AUTH).status_code == 200
        port = int(url.rsplit(":", 1)[1])
        with pytest.raises(MockServerError, match=f"127.0.0.1:{port}"):
            MockServer(PETSTORE, port=port).start()
