"""Throughput of apiweld's Client/AsyncClient beside raw HTTP libraries, on loopback.

A raw asyncio HTTP/1.1 keep-alive server (uvloop when installed) runs in its own process and
answers every request with the same small JSON document. In the same run, each contender makes
GET requests and decodes the JSON:

  sync, sequential:   raw httpx.Client, raw urllib3, raw httpcore, apiweld Client
  async, concurrent:  raw httpx.AsyncClient, raw aiohttp, apiweld AsyncClient

apiweld runs with retries and a rate limiter configured (but never triggered) and parses the body
into a pydantic model; raw baselines decode with orjson. Rounds are interleaved (every contender
once per round) and the median of the rounds is reported. The machine is shared, so numbers are
noisy: compare ratios from one run, not absolute rates across runs.

    python benchmarks/client_overhead.py [--rounds 7] [--sync-requests 1500]
        [--async-requests 2000] [--concurrency 50]

Last line: `sync_ratio_vs_httpx=... async_ratio_vs_httpx=... async_ratio_vs_aiohttp=...`.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

BODY = b'{"id":1,"name":"Rex","tag":"dog","status":"available","tags":["a","b"]}'
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(BODY)).encode()
    + b"\r\n\r\n"
    + BODY
)


# -- the server (its own process) ----------------------------------------------------------------
class _Http11(asyncio.Protocol):
    """Answers each complete request head in the buffer; GETs only, so no bodies to skip."""

    def __init__(self) -> None:
        self.buffer = b""
        self.transport: Any = None  # uvloop's transports do not subclass asyncio.Transport

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        count = self.buffer.count(b"\r\n\r\n")
        if count:
            self.buffer = self.buffer[self.buffer.rindex(b"\r\n\r\n") + 4 :]
            self.transport.write(RESPONSE * count)


def _serve(port_queue: Any) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_Http11, "127.0.0.1", 0, backlog=1024)
        port_queue.put(server.sockets[0].getsockname()[1])
        await asyncio.Event().wait()

    asyncio.run(main())


# -- contenders ------------------------------------------------------------------------------------
def _pet_model() -> Any:
    from pydantic import BaseModel

    class Pet(BaseModel):
        id: int
        name: str
        tag: str | None = None
        status: str
        tags: list[str]

    return Pet


def sync_contenders(base: str) -> dict[str, tuple[Callable[[], Any], Callable[[], None]]]:
    import httpcore
    import httpx
    import orjson
    import urllib3

    from apiweld.runtime import (
        Client,
        HttpcoreTransport,
        OperationSpec,
        RateLimit,
        RateLimiter,
        RetryPolicy,
        Urllib3Transport,
    )

    url = f"{base}/pets/1"
    pet_model = _pet_model()
    op = OperationSpec(id="pets.get", method="GET", path="/pets/{id}")

    httpx_client = httpx.Client()
    urllib3_pool = urllib3.PoolManager()
    httpcore_pool = httpcore.ConnectionPool()
    apiweld_client = Client(
        base_url=base,
        retry=RetryPolicy(max_attempts=3),
        rate_limiter=RateLimiter(RateLimit(1_000_000, per=1, burst=1_000_000)),
    )
    # The same client on the other sync transport, to keep the choice of default honest.
    other = (
        Urllib3Transport()
        if isinstance(apiweld_client.transport, HttpcoreTransport)
        else (HttpcoreTransport())
    )
    other_name = "apiweld_" + type(other).__name__.removesuffix("Transport").lower()
    apiweld_other = Client(
        base_url=base,
        transport=other,
        retry=RetryPolicy(max_attempts=3),
        rate_limiter=RateLimiter(RateLimit(1_000_000, per=1, burst=1_000_000)),
    )
    return {
        "httpx": (lambda: orjson.loads(httpx_client.get(url).content), httpx_client.close),
        "urllib3": (
            lambda: orjson.loads(urllib3_pool.request("GET", url).data),
            urllib3_pool.clear,
        ),
        "httpcore": (
            lambda: orjson.loads(httpcore_pool.request("GET", url).content),
            httpcore_pool.close,
        ),
        "apiweld": (
            lambda: apiweld_client.request(op, path={"id": 1}, cast_to=pet_model),
            apiweld_client.close,
        ),
        other_name: (
            lambda: apiweld_other.request(op, path={"id": 1}, cast_to=pet_model),
            apiweld_other.close,
        ),
    }


def async_contenders(
    base: str,
) -> dict[str, tuple[Callable[[], Awaitable[Any]], Callable[[], Awaitable[None]]]]:
    import aiohttp
    import httpx
    import orjson

    from apiweld.runtime import AsyncClient, OperationSpec, RateLimit, RateLimiter, RetryPolicy

    url = f"{base}/pets/1"
    pet_model = _pet_model()
    op = OperationSpec(id="pets.get", method="GET", path="/pets/{id}")
    httpx_client = httpx.AsyncClient(limits=httpx.Limits(max_connections=100))
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))
    apiweld_client = AsyncClient(
        base_url=base,
        retry=RetryPolicy(max_attempts=3),
        rate_limiter=RateLimiter(RateLimit(1_000_000, per=1, burst=1_000_000)),
    )

    async def with_httpx() -> Any:
        return orjson.loads((await httpx_client.get(url)).content)

    async def with_aiohttp() -> Any:
        async with session.get(url) as response:
            return orjson.loads(await response.read())

    async def with_apiweld() -> Any:
        return await apiweld_client.request(op, path={"id": 1}, cast_to=pet_model)

    return {
        "httpx_async": (with_httpx, httpx_client.aclose),
        "aiohttp": (with_aiohttp, session.close),
        "apiweld_async": (with_apiweld, apiweld_client.aclose),
    }


def time_sync(call: Callable[[], Any], requests: int) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        call()
    return requests / (time.perf_counter() - started)


async def time_async(call: Callable[[], Awaitable[Any]], requests: int, concurrency: int) -> float:
    per_worker = max(1, requests // concurrency)

    async def worker() -> None:
        for _ in range(per_worker):
            await call()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return per_worker * concurrency / (time.perf_counter() - started)


async def run_async(base: str, args: argparse.Namespace) -> dict[str, list[float]]:
    contenders = async_contenders(base)
    results: dict[str, list[float]] = {name: [] for name in contenders}
    # httpx's async client is ~30x slower here; a smaller batch keeps the run short.
    sizes = {"httpx_async": max(args.concurrency, args.async_requests // 6)}
    for call, _ in contenders.values():  # warm up: connections, imports, adapters
        await time_async(call, args.concurrency * 2, args.concurrency)
    for _ in range(args.rounds):
        for name, (call, _) in contenders.items():
            size = sizes.get(name, args.async_requests)
            results[name].append(await time_async(call, size, args.concurrency))
    for _, close in contenders.values():
        await close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--sync-requests", type=int, default=1500)
    parser.add_argument("--async-requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()

    ports: Any = multiprocessing.get_context("spawn").Queue()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(ports,), daemon=True)
    server.start()
    try:
        base = f"http://127.0.0.1:{ports.get(timeout=30)}"
        sync = sync_contenders(base)
        sync_results: dict[str, list[float]] = {name: [] for name in sync}
        for call, _ in sync.values():
            time_sync(call, 200)
        for _ in range(args.rounds):
            for name, (call, _) in sync.items():
                sync_results[name].append(time_sync(call, args.sync_requests))
        for _, close in sync.values():
            close()
        async_results = asyncio.run(run_async(base, args))
    finally:
        server.terminate()
        server.join(5)

    medians = {
        name: statistics.median(values)
        for name, values in {**sync_results, **async_results}.items()
    }
    print(
        f"python {sys.version.split()[0]}, rounds={args.rounds}, sync requests/round="
        f"{args.sync_requests}, async requests/round={args.async_requests} "
        f"(httpx async: fewer), concurrency={args.concurrency}"
    )
    for name, value in medians.items():
        spread = {**sync_results, **async_results}[name]
        print(f"{name:>14}: {value:9.0f} req/s  (rounds: {', '.join(f'{v:.0f}' for v in spread)})")
    ratios = {
        "sync_ratio_vs_httpx": medians["apiweld"] / medians["httpx"],
        "sync_ratio_vs_httpcore": medians["apiweld"] / medians["httpcore"],
        "sync_ratio_vs_urllib3": medians["apiweld"] / medians["urllib3"],
        "async_ratio_vs_httpx": medians["apiweld_async"] / medians["httpx_async"],
        "async_ratio_vs_aiohttp": medians["apiweld_async"] / medians["aiohttp"],
    }
    print(" ".join(f"{name}={value:.2f}" for name, value in ratios.items()))


if __name__ == "__main__":
    main()
