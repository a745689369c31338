"""The client drives the rate limiter: before every attempt, learning from every response."""

from __future__ import annotations

import asyncio
import base64
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from runtime_loopback import Api, LoopbackServer, Reply

from apiweld.runtime import (
    APITimeoutError,
    AsyncClient,
    Client,
    Hooks,
    OperationSpec,
    RateLimit,
    RateLimiter,
    RateLimitError,
    RequestOptions,
    RetryPolicy,
)

PING = OperationSpec(id="ping", method="GET", path="/ping")
SEARCH = OperationSpec(id="search", method="GET", path="/ping", rate_limit_group="search")


async def test_waits_are_reported_to_hooks(api: Api, server: LoopbackServer) -> None:
    server.script("/ping", Reply(200, {}))
    waits: list[Any] = []
    client = api.client(
        rate_limiter=RateLimiter(RateLimit(1, per=1)),
        hooks=Hooks(on_rate_limit_wait=waits.append),
    )
    started = time.monotonic()
    for _ in range(2):
        await api.request(client, PING)
    assert time.monotonic() - started >= 0.95  # 1/s, no burst: calls 1 s apart
    assert len(waits) == 1 and waits[0].waited > 0.5
    assert waits[0].group == "default"


async def test_limiter_wait_beyond_the_deadline_fails_fast_without_sending(
    api: Api, server: LoopbackServer
) -> None:
    server.script("/ping", Reply(200, {}))
    client = api.client(rate_limiter=RateLimiter(RateLimit(1, per=10)))
    await api.request(client, PING)
    started = time.monotonic()
    with pytest.raises(APITimeoutError, match="rate limiter"):
        await api.request(client, PING, options=RequestOptions(deadline=0.5))
    assert time.monotonic() - started < 3.0  # the limiter would have needed ~10 s
    assert server.hits("/ping") == 1


async def test_learns_retry_after_from_a_429(api: Api, server: LoopbackServer) -> None:
    server.script("/ping", Reply(429, headers=[("Retry-After", "1")]), Reply(200, {}))
    waits: list[Any] = []
    client = api.client(
        rate_limiter=RateLimiter(RateLimit(1000, per=1)),
        retry=RetryPolicy.disabled(),
        hooks=Hooks(on_rate_limit_wait=waits.append),
    )
    with pytest.raises(RateLimitError):
        await api.request(client, PING)
    await api.request(client, PING)  # the limiter holds this one until the server's pause ends
    assert waits and waits[0].waited >= 0.8


async def test_endpoint_groups_are_limited_separately(api: Api, server: LoopbackServer) -> None:
    server.script("/ping", Reply(200, {}))
    limiter = RateLimiter(groups={"search": RateLimit(1, per=1)})
    waits: list[Any] = []
    client = api.client(rate_limiter=limiter, hooks=Hooks(on_rate_limit_wait=waits.append))
    for _ in range(3):
        await api.request(client, PING)  # unlimited group
    assert waits == []
    await api.request(client, SEARCH)
    await api.request(client, SEARCH)
    assert [event.group for event in waits] == ["search"]


PROXY_AUTH = "Basic " + base64.b64encode(b"user:p@ss").decode()


@pytest.mark.parametrize("transport", ["default", "httpcore", "urllib3"])
def test_sync_proxy(server: LoopbackServer, transport: str) -> None:
    server.script("/pets", Reply(200, {"via": "proxy"}))
    proxy = server.url.replace("http://", "http://user:p%40ss@")
    if transport == "default":
        client = Client(base_url="http://api.example.invalid", proxy=proxy)
    elif transport == "httpcore":
        from apiweld.runtime import HttpcoreTransport

        client = Client(
            base_url="http://api.example.invalid", transport=HttpcoreTransport(proxy=proxy)
        )
    else:
        from apiweld.runtime import Urllib3Transport

        client = Client(
            base_url="http://api.example.invalid", transport=Urllib3Transport(proxy=proxy)
        )
    with client:
        assert client.request(OperationSpec(id="p", method="GET", path="/pets"), cast_to=dict)
    assert server.requests[0].target == "http://api.example.invalid/pets"
    assert server.requests[0].headers["proxy-authorization"] == PROXY_AUTH
    assert "p@ss" not in repr(client) and "p%40ss" not in repr(client.transport)


async def test_async_proxy(server: LoopbackServer) -> None:
    server.script("/pets", Reply(200, {"via": "proxy"}))
    proxy = server.url.replace("http://", "http://user:p%40ss@")
    async with AsyncClient(base_url="http://api.example.invalid", proxy=proxy) as client:
        assert await client.request(OperationSpec(id="p", method="GET", path="/pets"), cast_to=dict)
    assert server.requests[0].target == "http://api.example.invalid/pets"
    assert server.requests[0].headers["proxy-authorization"] == PROXY_AUTH


def test_proxy_with_own_transport_is_refused(server: LoopbackServer) -> None:
    from apiweld.runtime import HttpcoreTransport

    with pytest.raises(ValueError, match="proxy"):
        Client(base_url=server.url, proxy=server.url, transport=HttpcoreTransport())


async def test_a_limiter_wait_that_spends_the_deadline_is_a_timeout_not_a_crash(
    api: Api, server: LoopbackServer
) -> None:
    # Admission can succeed just as the deadline runs out; the attempt must then fail as a timeout
    # rather than hand the transport a negative socket timeout (httpcore raised ValueError on it).
    # 16 concurrent callers on a 10/s budget with 0.1 s deadlines: most must time out, none crash.
    server.script("/ping", Reply(200, {}))
    client = api.client(rate_limiter=RateLimiter(RateLimit(10, per=1)))
    options = RequestOptions(deadline=0.1)

    async def one() -> str:
        try:
            await api.request(client, PING, options=options)
        except APITimeoutError:
            return "timeout"
        return "ok"

    if api.is_async:
        outcomes = await asyncio.gather(*(one() for _ in range(64)))
    else:

        def blocking() -> str:
            return asyncio.run(one())

        with ThreadPoolExecutor(16) as pool:
            outcomes = list(pool.map(lambda _: blocking(), range(64)))
    assert set(outcomes) == {"ok", "timeout"}
    assert outcomes.count("ok") <= 10  # the budget and the deadline both held
