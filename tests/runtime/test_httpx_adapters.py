"""The adapters for a user's own httpx client, run for real on httpx and on httpx2 (its successor
package, import name `httpx2`, pinned in the dev extra): the client picks the adapter by the
client's package, and exceptions are taken from that package."""

from __future__ import annotations

import importlib
import socket
import threading
import time
from types import ModuleType
from typing import Any

import pytest
from runtime_loopback import LoopbackServer, Reply

from apiweld.runtime import (
    APIConnectionError,
    APITimeoutError,
    AsyncClient,
    Client,
    HttpxAsyncTransport,
    HttpxTransport,
    NotFoundError,
    OperationSpec,
    RetryPolicy,
    Timeout,
)

PACKAGES = ["httpx", "httpx2"]
GET = OperationSpec(id="get", method="GET", path="/thing")
SLOW = OperationSpec(id="slow", method="GET", path="/slow")
CREATE = OperationSpec(id="create", method="POST", path="/create")
NO_RETRY = RetryPolicy.disabled()


def package(name: str) -> ModuleType:
    return importlib.import_module(name)


def closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.parametrize("name", PACKAGES)
def test_sync_client_over_the_package(server: LoopbackServer, name: str) -> None:
    server.script("/thing", Reply(200, {"id": 1}, headers=[("X-Request-Id", "r-1")]))
    server.script("/old", Reply(302, headers=[("Location", "/thing")]))
    server.script("/stream", Reply(200, chunks=[b"ab", b"cd"]))
    own = package(name).Client()
    with Client(base_url=server.url, transport=own) as client:
        assert isinstance(client.transport, HttpxTransport)
        raw = client.request_raw(GET)
        assert raw.json() == {"id": 1} and raw.request_id == "r-1"
        assert raw.http_version == "HTTP/1.1"
        # The adapter never follows redirects itself; the client does, once.
        old = OperationSpec(id="old", method="GET", path="/old")
        assert client.request(old, cast_to=dict) == {"id": 1}
        streamed = OperationSpec(id="stream", method="GET", path="/stream")
        with client.stream(streamed) as response:
            assert b"".join(response.iter_bytes()) == b"abcd"
        with pytest.raises(NotFoundError):
            client.request(OperationSpec(id="none", method="GET", path="/none"))
    assert [request.path for request in server.requests] == [
        "/thing",
        "/old",
        "/thing",
        "/stream",
        "/none",
    ]
    own.close()


@pytest.mark.parametrize("name", PACKAGES)
async def test_async_client_over_the_package(server: LoopbackServer, name: str) -> None:
    server.script("/thing", Reply(200, {"id": 1}))
    server.script("/stream", Reply(200, chunks=[b"ab", b"cd"]))
    own = package(name).AsyncClient()
    async with AsyncClient(base_url=server.url, transport=own) as client:
        assert isinstance(client.transport, HttpxAsyncTransport)
        assert await client.request(GET, cast_to=dict) == {"id": 1}
        streamed = OperationSpec(id="stream", method="GET", path="/stream")
        async with client.stream(streamed) as response:
            assert b"".join([chunk async for chunk in response.aiter_bytes()]) == b"abcd"
    await own.aclose()


@pytest.mark.parametrize("name", PACKAGES)
async def test_failures_map_into_the_hierarchy(server: LoopbackServer, name: str) -> None:
    server.script("/slow", Reply(200, {}, delay=1.0))
    lib = package(name)
    client = Client(base_url=closed_port(), transport=lib.Client(), retry=NO_RETRY)
    with client, pytest.raises(APIConnectionError) as refused:
        client.request(GET)
    assert refused.value.never_sent is True
    assert not isinstance(refused.value, APITimeoutError)
    async with AsyncClient(
        base_url=server.url, transport=lib.AsyncClient(), timeout=Timeout(read=0.2), retry=NO_RETRY
    ) as client:
        with pytest.raises(APITimeoutError) as late:
            await client.request(SLOW)
    assert late.value.never_sent is False  # the request was sent; only the answer was late
    assert isinstance(late.value.__cause__, lib.ReadTimeout)


@pytest.mark.parametrize("name", PACKAGES)
def test_pool_timeout_is_a_never_sent_timeout(server: LoopbackServer, name: str) -> None:
    server.script("/slow", Reply(200, {}, delay=1.0))
    server.script("/create", Reply(201, {}))
    lib = package(name)
    own = lib.Client(limits=lib.Limits(max_connections=1))
    with Client(
        base_url=server.url,
        transport=own,
        timeout=Timeout(pool=0.2),
        retry=NO_RETRY,
        idempotency_header=None,
    ) as client:
        holder = threading.Thread(target=lambda: client.request(SLOW))
        holder.start()
        time.sleep(0.2)  # the only connection is busy for ~1 s
        with pytest.raises(APITimeoutError) as caught:
            client.request(CREATE, body={})
        holder.join()
    assert caught.value.never_sent is True
    assert server.hits("/create") == 0
    own.close()


def test_other_objects_are_refused_clearly() -> None:
    thing: Any = object()
    with pytest.raises(TypeError, match=r"httpx\.Client"):
        Client(base_url="http://127.0.0.1:1", transport=thing)
