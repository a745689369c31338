"""Client behaviour over real loopback HTTP, on every transport, sync and async."""

from __future__ import annotations

import email.utils
import time
from typing import Any

import pytest
from pydantic import BaseModel
from runtime_loopback import Api, LoopbackServer, Reply

from apiweld.runtime import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    BadRequestError,
    Hooks,
    InternalServerError,
    NotFoundError,
    OperationSpec,
    ParamSpec,
    RateLimitError,
    RequestOptions,
    RetryPolicy,
    Timeout,
    UnprocessableEntityError,
)

FAST_RETRY = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_cap=0.02)

GET_PET = OperationSpec(
    id="pets.get",
    method="GET",
    path="/pets/{petId}",
    params={
        "pet_id": ParamSpec("petId", "path"),
        "fields": ParamSpec("fields", "query", explode=False),
        "trace": ParamSpec("X-Trace", "header"),
        "session": ParamSpec("session", "cookie"),
    },
)
CREATE_PET = OperationSpec(id="pets.create", method="POST", path="/pets")
UPLOAD = OperationSpec(id="pets.upload", method="POST", path="/upload")


class Pet(BaseModel):
    id: int
    name: str


async def test_parses_json_into_model_and_serialises_parameters(
    api: Api, server: LoopbackServer
) -> None:
    server.script("/pets/a%2Fb", Reply(200, {"id": 7, "name": "Rex"}))
    client = api.client()
    pet = await api.request(
        client,
        GET_PET,
        path={"pet_id": "a/b"},
        query={"fields": ["id", "name"], "absent": None},
        headers={"trace": "t-1"},
        cookies={"session": "s 1"},
        cast_to=Pet,
    )
    assert pet == Pet(id=7, name="Rex")
    (seen,) = server.requests
    assert seen.target == "/pets/a%2Fb?fields=id,name"
    assert seen.headers["x-trace"] == "t-1"
    assert seen.headers["cookie"] == "session=s%201"


async def test_raw_response_beside_parsed_value(api: Api, server: LoopbackServer) -> None:
    server.script("/pets/1", Reply(200, {"id": 1, "name": "A"}, headers=[("X-Request-Id", "rq-1")]))
    response = await api.request_raw(api.client(), GET_PET, path={"pet_id": 1}, cast_to=Pet)
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "rq-1"
    assert response.request_id == "rq-1"
    assert response.json() == {"id": 1, "name": "A"}
    assert response.parse() == Pet(id=1, name="A")


@pytest.mark.parametrize(
    ("body", "content_type", "expected_type", "expected_body"),
    [
        (Pet(id=1, name="x"), None, "application/json", b'{"id":1,"name":"x"}'),
        ({"a": [1, 2]}, None, "application/json", b'{"a":[1,2]}'),
        (
            {"a": "1 2", "b": True},
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded",
            b"a=1+2&b=true",
        ),
        (b"\x00\x01", None, "application/octet-stream", b"\x00\x01"),
    ],
    ids=["model", "json", "form", "bytes"],
)
async def test_request_bodies(
    api: Api,
    server: LoopbackServer,
    body: Any,
    content_type: str | None,
    expected_type: str,
    expected_body: bytes,
) -> None:
    server.script("/pets", Reply(201, {"id": 1, "name": "x"}))
    await api.request(api.client(), CREATE_PET, body=body, content_type=content_type)
    (seen,) = server.requests
    assert seen.headers["content-type"] == expected_type
    assert seen.body == expected_body


async def test_multipart_with_files(api: Api, server: LoopbackServer) -> None:
    server.script("/upload", Reply(200, {}))
    await api.request(
        api.client(),
        UPLOAD,
        body={"note": "hi", "file": ("pet.png", b"\x89PNG", "image/png")},
        content_type="multipart/form-data",
        cast_to=dict,
    )
    (seen,) = server.requests
    assert seen.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="file"; filename="pet.png"' in seen.body
    assert b"Content-Type: image/png\r\n\r\n\x89PNG" in seen.body
    assert b'name="note"\r\n\r\nhi' in seen.body


async def test_retries_5xx_then_succeeds(api: Api, server: LoopbackServer) -> None:
    server.script("/pets/1", Reply(503), Reply(502), Reply(200, {"id": 1, "name": "A"}))
    retried: list[Any] = []
    client = api.client(retry=FAST_RETRY, hooks=Hooks(on_retry=retried.append))
    pet = await api.request(client, GET_PET, path={"pet_id": 1}, cast_to=Pet)
    assert pet.id == 1
    assert server.hits("/pets/1") == 3
    assert [event.status_code for event in retried] == [503, 502]


async def test_gives_up_after_max_attempts_with_status_error(
    api: Api, server: LoopbackServer
) -> None:
    server.script("/pets/1", Reply(500, {"message": "boom"}, headers=[("x-request-id", "r-9")]))
    with pytest.raises(InternalServerError) as caught:
        await api.request(api.client(retry=FAST_RETRY), GET_PET, path={"pet_id": 1})
    error = caught.value
    assert server.hits("/pets/1") == 3
    assert error.status_code == 500
    assert error.body == {"message": "boom"}
    assert error.request_id == "r-9"
    assert error.method == "GET"
    assert error.url == f"{server.url}/pets/1"
    assert "boom" in str(error)


@pytest.mark.parametrize(
    ("status", "error_type"),
    [(400, BadRequestError), (404, NotFoundError), (422, UnprocessableEntityError)],
)
async def test_never_retries_client_errors(
    api: Api, server: LoopbackServer, status: int, error_type: type[Exception]
) -> None:
    server.script("/pets/1", Reply(status, {"message": "no"}))
    with pytest.raises(error_type):
        await api.request(api.client(retry=FAST_RETRY), GET_PET, path={"pet_id": 1})
    assert server.hits("/pets/1") == 1


async def test_retry_after_seconds_is_honoured(api: Api, server: LoopbackServer) -> None:
    server.script(
        "/pets/1", Reply(429, headers=[("Retry-After", "1")]), Reply(200, {"id": 1, "name": "A"})
    )
    retried: list[Any] = []
    client = api.client(retry=FAST_RETRY, hooks=Hooks(on_retry=retried.append))
    started = time.monotonic()
    await api.request(client, GET_PET, path={"pet_id": 1}, cast_to=Pet)
    assert time.monotonic() - started >= 0.95
    assert retried[0].delay == 1.0


async def test_retry_after_http_date_is_honoured_and_capped(
    api: Api, server: LoopbackServer
) -> None:
    when = email.utils.formatdate(time.time() + 3600, usegmt=True)
    server.script(
        "/pets/1", Reply(503, headers=[("Retry-After", when)]), Reply(200, {"id": 1, "name": "A"})
    )
    retried: list[Any] = []
    policy = RetryPolicy(max_attempts=2, max_retry_after=0.2)
    client = api.client(retry=policy, hooks=Hooks(on_retry=retried.append))
    await api.request(client, GET_PET, path={"pet_id": 1}, cast_to=Pet)
    assert retried[0].delay == pytest.approx(0.2)

    server.reset()
    soon = email.utils.formatdate(time.time() + 2, usegmt=True)
    server.script(
        "/pets/1", Reply(503, headers=[("Retry-After", soon)]), Reply(200, {"id": 1, "name": "A"})
    )
    retried.clear()
    policy = RetryPolicy(max_attempts=2, max_retry_after=60)
    client = api.client(retry=policy, hooks=Hooks(on_retry=retried.append))
    await api.request(client, GET_PET, path={"pet_id": 1}, cast_to=Pet)
    # HTTP-dates have one-second resolution: the wait is between 1 and 2 seconds.
    assert 0.9 <= retried[0].delay <= 2.1


async def test_post_without_key_is_not_retried(api: Api, server: LoopbackServer) -> None:
    server.script("/pets", Reply(503), Reply(201, {"id": 1, "name": "x"}))
    client = api.client(retry=FAST_RETRY, idempotency_header=None)
    with pytest.raises(InternalServerError):
        await api.request(client, CREATE_PET, body={"name": "x"})
    assert server.hits("/pets") == 1
    assert "idempotency-key" not in server.requests[0].headers


async def test_post_with_generated_key_is_retried_with_the_same_key(
    api: Api, server: LoopbackServer
) -> None:
    server.script("/pets", Reply(503), Reply(429), Reply(201, {"id": 1, "name": "x"}))
    client = api.client(retry=FAST_RETRY)
    pet = await api.request(client, CREATE_PET, body={"name": "x"}, cast_to=Pet)
    assert pet.id == 1
    keys = [request.headers["idempotency-key"] for request in server.of("/pets")]
    assert len(keys) == 3 and len(set(keys)) == 1
    # A second logical call gets a new key.
    server.script("/pets", Reply(201, {"id": 2, "name": "y"}))
    await api.request(client, CREATE_PET, body={"name": "y"}, cast_to=Pet)
    assert server.of("/pets")[-1].headers["idempotency-key"] != keys[0]


async def test_user_key_and_header_override(api: Api, server: LoopbackServer) -> None:
    op = OperationSpec(id="charge", method="POST", path="/charges", idempotency_header="X-Idem")
    server.script("/charges", Reply(500), Reply(200, {}))
    client = api.client(retry=FAST_RETRY)
    await api.request(client, op, body={}, options=RequestOptions(idempotency_key="mine-1"))
    assert [r.headers["x-idem"] for r in server.of("/charges")] == ["mine-1", "mine-1"]


async def test_dropped_connection_does_not_duplicate_post(api: Api, server: LoopbackServer) -> None:
    server.script("/pets", Reply(drop=True), Reply(201, {"id": 1, "name": "x"}))
    client = api.client(retry=FAST_RETRY, idempotency_header=None)
    with pytest.raises(APIConnectionError) as caught:
        await api.request(client, CREATE_PET, body={"name": "x"})
    assert server.hits("/pets") == 1
    assert caught.value.never_sent is False


async def test_dropped_connection_retries_get(api: Api, server: LoopbackServer) -> None:
    server.script("/pets/1", Reply(drop=True), Reply(200, {"id": 1, "name": "A"}))
    pet = await api.request(api.client(retry=FAST_RETRY), GET_PET, path={"pet_id": 1}, cast_to=Pet)
    assert pet.name == "A"
    assert server.hits("/pets/1") == 2


async def test_post_retried_when_never_sent(api: Api, unused_port: int) -> None:
    retried: list[Any] = []
    client = api.client(
        base_url=f"http://127.0.0.1:{unused_port}",
        retry=FAST_RETRY,
        idempotency_header=None,
        hooks=Hooks(on_retry=retried.append),
    )
    with pytest.raises(APIConnectionError) as caught:
        await api.request(client, CREATE_PET, body={"name": "x"})
    assert caught.value.never_sent is True
    assert not isinstance(caught.value, APITimeoutError)
    assert len(retried) == 2


async def test_timeout_raises_within_the_deadline(api: Api, server: LoopbackServer) -> None:
    server.script("/pets/1", Reply(200, {"id": 1, "name": "A"}, delay=3))
    client = api.client(retry=FAST_RETRY, timeout=Timeout(read=0.3, total=1.0))
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as caught:
        await api.request(client, GET_PET, path={"pet_id": 1})
    # The server would answer after 3 s; the 1 s deadline ends it well before (slack for load).
    assert time.monotonic() - started < 2.5
    assert caught.value.method == "GET"


async def test_deadline_per_call_bounds_retries(api: Api, server: LoopbackServer) -> None:
    server.script("/pets/1", Reply(503, headers=[("Retry-After", "5")]))
    client = api.client(retry=RetryPolicy(max_attempts=5))
    started = time.monotonic()
    with pytest.raises(InternalServerError):
        await api.request(client, GET_PET, path={"pet_id": 1}, options=RequestOptions(deadline=1.0))
    # The 5 s Retry-After does not fit in the 1 s deadline: fail now instead of sleeping past it.
    assert time.monotonic() - started < 3.0
    assert server.hits("/pets/1") == 1


async def test_max_retries_option(api: Api, server: LoopbackServer) -> None:
    server.script("/pets/1", Reply(503))
    with pytest.raises(InternalServerError):
        await api.request(
            api.client(retry=FAST_RETRY),
            GET_PET,
            path={"pet_id": 1},
            options=RequestOptions(max_retries=0),
        )
    assert server.hits("/pets/1") == 1


async def test_validation_and_json_errors_are_api_errors(api: Api, server: LoopbackServer) -> None:
    server.script("/pets/1", Reply(200, {"id": "not-a-number", "name": "A"}))
    client = api.client()
    with pytest.raises(APIResponseValidationError) as caught:
        await api.request(client, GET_PET, path={"pet_id": 1}, cast_to=Pet)
    assert "id" in str(caught.value)
    server.script(
        "/pets/2", Reply(200, b"{not json", headers=[("Content-Type", "application/json")])
    )
    with pytest.raises(APIResponseValidationError):
        await api.request(client, GET_PET, path={"pet_id": 2}, cast_to=Pet)


async def test_rate_limit_error_carries_headers(api: Api, server: LoopbackServer) -> None:
    server.script(
        "/pets/1", Reply(429, {"error": {"message": "slow down"}}, headers=[("cf-ray", "ray-1")])
    )
    with pytest.raises(RateLimitError) as caught:
        await api.request(api.client(retry=RetryPolicy.disabled()), GET_PET, path={"pet_id": 1})
    assert caught.value.request_id == "ray-1"
    assert "slow down" in str(caught.value)


async def test_extra_headers_query_and_body(api: Api, server: LoopbackServer) -> None:
    server.script("/pets", Reply(200, {}))
    options = RequestOptions(
        extra_headers={"X-Extra": "1"}, extra_query={"q": "a b"}, extra_body={"more": 2}
    )
    await api.request(
        api.client(headers={"X-Default": "d"}), CREATE_PET, body={"name": "x"}, options=options
    )
    (seen,) = server.requests
    assert seen.headers["x-extra"] == "1" and seen.headers["x-default"] == "d"
    assert seen.query == [("q", "a b")]
    assert seen.json() == {"name": "x", "more": 2}


async def test_streaming_response(api: Api, server: LoopbackServer) -> None:
    chunks = [b"a" * 1000, b"b" * 1000, b"c" * 1000]
    server.script("/download", Reply(200, chunks=chunks, chunk_delay=0.01))
    op = OperationSpec(id="download", method="GET", path="/download")
    client = api.client()
    if api.is_async:
        async with client.stream(op) as response:  # type: ignore[union-attr]
            received = [chunk async for chunk in response.aiter_bytes()]
    else:
        with client.stream(op) as response:  # type: ignore[union-attr]
            received = list(response.iter_bytes())
    assert b"".join(received) == b"".join(chunks)


async def test_hooks_see_requests_and_may_add_headers(api: Api, server: LoopbackServer) -> None:
    server.script("/pets/1", Reply(200, {"id": 1, "name": "A"}))
    seen_requests: list[Any] = []
    seen_responses: list[Any] = []

    def before(event: Any) -> None:
        seen_requests.append(event)
        event.headers["traceparent"] = "00-abc-01"

    client = api.client(hooks=Hooks(before_request=before, after_response=seen_responses.append))
    await api.request(client, GET_PET, path={"pet_id": 1}, cast_to=Pet)
    assert server.requests[0].headers["traceparent"] == "00-abc-01"
    assert seen_requests[0].operation_id == "pets.get"
    assert seen_responses[0].status_code == 200


async def test_async_hooks_on_async_client(server: LoopbackServer) -> None:
    from apiweld.runtime import AsyncClient

    server.script("/pets/1", Reply(200, {"id": 1, "name": "A"}))
    seen: list[int] = []

    async def after(event: Any) -> None:
        seen.append(event.status_code)

    async with AsyncClient(base_url=server.url, hooks=Hooks(after_response=after)) as client:
        await client.request(GET_PET, path={"pet_id": 1})
    assert seen == [200]


def test_sync_client_rejects_async_hooks(server: LoopbackServer) -> None:
    from apiweld.runtime import Client

    async def hook(event: Any) -> None:
        return None

    with pytest.raises(TypeError, match="AsyncClient"):
        Client(base_url=server.url, hooks=Hooks(on_retry=hook))


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_follows_redirects_keeping_credentials_on_the_same_origin_only(
    api: Api, server: LoopbackServer
) -> None:
    from apiweld.runtime import BearerAuth

    other_origin = server.url.replace("127.0.0.1", "localhost")
    server.script("/old", Reply(301, headers=[("Location", "/pets/1")]))
    server.script("/pets/1", Reply(200, {"id": 1, "name": "A"}))
    server.script("/away", Reply(307, headers=[("Location", f"{other_origin}/landing")]))
    server.script("/landing", Reply(200, {"id": 2, "name": "B"}))
    client = api.client(auth=BearerAuth("tok-123"), headers={"X-Api-Key": "default-secret"})
    moved = OperationSpec(id="moved", method="GET", path="/old")
    away = OperationSpec(id="away", method="GET", path="/away")
    assert await api.request(client, moved, cast_to=Pet) == Pet(id=1, name="A")
    assert server.of("/pets/1")[0].headers["authorization"] == "Bearer tok-123"
    assert await api.request(client, away, cast_to=Pet) == Pet(id=2, name="B")
    landing = server.of("/landing")[0]
    assert "authorization" not in landing.headers and "x-api-key" not in landing.headers


async def test_see_other_after_post_becomes_get(api: Api, server: LoopbackServer) -> None:
    server.script("/pets", Reply(303, headers=[("Location", "/pets/9")]))
    server.script("/pets/9", Reply(200, {"id": 9, "name": "new"}))
    pet = await api.request(api.client(), CREATE_PET, body={"name": "new"}, cast_to=Pet)
    assert pet.id == 9
    follow_up = server.of("/pets/9")[0]
    assert follow_up.method == "GET" and follow_up.body == b""


async def test_redirect_loop_stops(api: Api, server: LoopbackServer) -> None:
    from apiweld.runtime import APIStatusError

    server.script("/loop", Reply(302, headers=[("Location", "/loop")]))
    with pytest.raises(APIStatusError, match="redirects"):
        await api.request(api.client(), OperationSpec(id="loop", method="GET", path="/loop"))
    assert server.hits("/loop") == 6


async def test_not_modified_is_returned_not_raised(api: Api, server: LoopbackServer) -> None:
    server.script("/pets/1", Reply(304, headers=[("ETag", '"v1"')]))
    response = await api.request_raw(
        api.client(), GET_PET, path={"pet_id": 1}, headers={"If-None-Match": '"v1"'}
    )
    assert response.status_code == 304


async def test_streamed_error_status_raises_with_its_body(api: Api, server: LoopbackServer) -> None:
    server.script("/download", Reply(404, {"message": "gone"}))
    op = OperationSpec(id="download", method="GET", path="/download")
    with pytest.raises(NotFoundError) as caught:
        await api.request_raw(api.client(), op, stream=True)
    assert caught.value.body == {"message": "gone"}


async def test_header_injection_is_refused_before_sending(api: Api, server: LoopbackServer) -> None:
    with pytest.raises(ValueError, match="'X-Trace' contains a line break"):
        await api.request(api.client(), GET_PET, path={"pet_id": 1}, headers={"trace": "a\r\nb: c"})
    assert server.requests == []


async def test_key_passed_as_a_header_parameter_is_the_calls_key(
    api: Api, server: LoopbackServer
) -> None:
    op = OperationSpec(
        id="create",
        method="POST",
        path="/pets",
        params={"key": ParamSpec("Idempotency-Key", "header")},
        idempotency_header="Idempotency-Key",
    )
    server.script("/pets", Reply(503), Reply(201, {"id": 1, "name": "x"}))
    await api.request(api.client(retry=FAST_RETRY), op, headers={"key": "k-42"}, body={})
    assert [r.headers["idempotency-key"] for r in server.of("/pets")] == ["k-42", "k-42"]


async def test_with_options_shares_the_transport(api: Api, server: LoopbackServer) -> None:
    server.script("/pets/1", Reply(503), Reply(200, {"id": 1, "name": "A"}))
    client = api.client(retry=RetryPolicy.disabled(), headers={"X-A": "1"})
    patient = client.with_options(retry=FAST_RETRY, headers={"X-B": "2"})
    assert patient.transport is client.transport
    assert (await api.request(patient, GET_PET, path={"pet_id": 1}, cast_to=Pet)).id == 1
    assert server.requests[-1].headers["x-a"] == "1" and server.requests[-1].headers["x-b"] == "2"
    server.script("/pets/1", Reply(503))
    with pytest.raises(InternalServerError):
        await api.request(client, GET_PET, path={"pet_id": 1})


async def test_operation_overrides_retry_and_success_statuses(
    api: Api, server: LoopbackServer
) -> None:
    no_retry = OperationSpec(id="once", method="GET", path="/once", retry=RetryPolicy.disabled())
    exists = OperationSpec(
        id="exists", method="HEAD", path="/exists", success_statuses=frozenset({200, 404})
    )
    server.script("/once", Reply(503))
    server.script("/exists", Reply(404))
    client = api.client(retry=FAST_RETRY)
    with pytest.raises(InternalServerError):
        await api.request(client, no_retry)
    assert server.hits("/once") == 1
    response = await api.request_raw(client, exists)
    assert response.status_code == 404


UNTAG = OperationSpec(
    id="UntagResource",
    method="DELETE",
    path="/tags/{resourceArn}#tagKeys",
    params={
        "resource_arn": ParamSpec("resourceArn", "path"),
        "tag_keys": ParamSpec("tagKeys", "query"),
    },
)
LIST_UPLOADS = OperationSpec(
    id="ListMultipartUploads",
    method="GET",
    path="/{Bucket}#uploads",
    params={"bucket": ParamSpec("Bucket", "path"), "prefix": ParamSpec("prefix", "query")},
)


async def test_aws_fragment_path_keys_become_query_never_a_fragment(
    api: Api, server: LoopbackServer
) -> None:
    # AWS descriptions key operations as `/path#key`; a URL fragment is never sent, so the key
    # must travel as its declared parameter or, undeclared, as the literal query (`?uploads`).
    server.script("/tags/arn1", Reply(204))
    server.script("/b1", Reply(200, {}))
    client = api.client()
    await api.request(client, UNTAG, path={"resource_arn": "arn1"}, query={"tag_keys": ["a", "b"]})
    await api.request(client, LIST_UPLOADS, path={"bucket": "b1"}, query={"prefix": "p"})
    untag, uploads = server.requests
    assert untag.target == "/tags/arn1?tagKeys=a&tagKeys=b"
    assert uploads.target == "/b1?uploads&prefix=p"
