"""Transport-level failures map into the hierarchy with the right `never_sent` verdict."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from runtime_loopback import LoopbackServer, Reply

from apiweld.runtime import (
    AiohttpTransport,
    APIConnectionError,
    APITimeoutError,
    AsyncClient,
    Client,
    Hooks,
    HttpcoreTransport,
    HttpxTransport,
    OperationSpec,
    RetryPolicy,
    Timeout,
    Transport,
    Urllib3Transport,
)
from apiweld.runtime._transports._base import TransportRequest

SLOW = OperationSpec(id="slow", method="GET", path="/slow")
CREATE = OperationSpec(id="create", method="POST", path="/create")


def one_connection(name: str) -> Transport:
    if name == "urllib3":
        return Urllib3Transport(max_connections_per_host=1)
    if name == "httpx":
        import httpx

        return HttpxTransport(httpx.Client(limits=httpx.Limits(max_connections=1)))
    return HttpcoreTransport(max_connections=1)


@pytest.mark.parametrize("transport", ["httpcore", "urllib3", "httpx"])
def test_pool_timeout_proves_the_post_never_left(server: LoopbackServer, transport: str) -> None:
    server.script("/slow", Reply(200, {}, delay=1.0))
    server.script("/create", Reply(201, {}))
    retried: list[Any] = []
    client = Client(
        base_url=server.url,
        transport=one_connection(transport),
        timeout=Timeout(pool=0.2),
        retry=RetryPolicy(max_attempts=2, backoff_base=0.0),
        idempotency_header=None,
        hooks=Hooks(on_retry=retried.append),
    )
    with client:
        holder = threading.Thread(target=lambda: client.request(SLOW))
        holder.start()
        time.sleep(0.2)  # the only connection is now busy for ~1 s
        with pytest.raises(APITimeoutError) as caught:
            client.request(CREATE, body={})
        holder.join()
    assert caught.value.never_sent is True
    assert len(retried) == 1  # a POST without a key was retried: it provably never left
    assert server.hits("/create") == 0


async def test_aiohttp_pool_wait_is_a_never_sent_timeout(server: LoopbackServer) -> None:
    server.script("/slow", Reply(200, {}, delay=1.0))
    transport = AiohttpTransport(max_connections=1)
    async with AsyncClient(
        base_url=server.url,
        transport=transport,
        timeout=Timeout(pool=0.1, connect=0.1),
        retry=RetryPolicy.disabled(),
    ) as client:
        holder = asyncio.create_task(client.request(SLOW))
        await asyncio.sleep(0.2)
        with pytest.raises(APITimeoutError) as caught:
            await client.request(CREATE, body={})
        await holder
    assert caught.value.never_sent is True
    assert server.hits("/create") == 0


def test_read_timeout_after_sending_is_not_never_sent(server: LoopbackServer) -> None:
    server.script("/slow", Reply(200, {}, delay=1.0))
    transport = HttpcoreTransport()
    request = TransportRequest(
        "POST", f"{server.url}/slow", [], b"{}", Timeout(read=0.2), stream=False
    )
    with pytest.raises(APITimeoutError) as caught:
        transport.handle(request)
    assert caught.value.never_sent is False
    transport.close()


def test_unsupported_scheme_is_a_connection_error() -> None:
    with pytest.raises(APIConnectionError) as caught:
        HttpcoreTransport().handle(TransportRequest("GET", "ftp://example/x", [], None, Timeout()))
    assert caught.value.never_sent is True
