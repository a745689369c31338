"""Cost of the rate limiter on the hot path, beside baselines measured in the same run.

What every client call pays when limits are configured but not reached:
- `acquire` on the in-memory limiter, beside taking and releasing a bare `threading.Lock`;
- `observe` of a response with GitHub-style `x-ratelimit-*` headers, with IETF `RateLimit` /
  `RateLimit-Policy` headers (parsed by http-sf), and with no rate-limit headers at all, beside a
  plain dict lookup over the same headers;
- `acquire` on the Redis limiter (one Lua script reading the server clock), sync and async,
  beside a bare Redis `PING` round trip on the same connection (needs Redis on 127.0.0.1:6379;
  skipped with a note when it is not reachable).

Medians of several rounds; the machine is shared, so compare the ratios of one run, not absolute
numbers across runs.

    python benchmarks/ratelimit.py [--rounds 5] [--calls 20000] [--redis-calls 2000]
        [--redis-url redis://127.0.0.1:6379/0]

Last line: `memory_acquire_us=... memory_acquire_vs_lock=... observe_github_us=... ...`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from apiweld.runtime._ratelimit import RateLimit, RateLimiter, RedisRateLimiter

COMMON = {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": "512",
    "Date": "Fri, 27 Nov 2026 13:00:00 GMT",
    "Server": "example",
    "X-Request-Id": "0f3b8c1e-7c2a-4d9e-a3b1-9c0e7e1d2f4a",
    "Cache-Control": "no-cache",
    "Vary": "Accept-Encoding",
    "Connection": "keep-alive",
}
GITHUB = {
    **COMMON,
    "x-ratelimit-limit": "5000",
    "x-ratelimit-remaining": "4987",
    "x-ratelimit-used": "13",
    "x-ratelimit-reset": str(int(time.time()) + 3000),
    "x-ratelimit-resource": "core",
}
IETF = {
    **COMMON,
    "RateLimit-Policy": '"burst";q=100;w=60, "daily";q=10000;w=86400',
    "RateLimit": '"burst";r=91;t=40, "daily";r=9870;t=50000',
}


def per_call_us(fn: Callable[[], Any], calls: int, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(samples)


async def per_call_us_async(fn: Callable[[], Any], calls: int, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            await fn()
        samples.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--redis-calls", type=int, default=2_000)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    rounds, calls = args.rounds, args.calls
    results: dict[str, float] = {}

    lock = threading.Lock()

    def bare_lock() -> None:
        with lock:
            pass

    limiter = RateLimiter(RateLimit(1e9, per=1, burst=1e9), groups={"search": RateLimit(1e9)})
    lock_us = per_call_us(bare_lock, calls, rounds)
    acquire_us = per_call_us(limiter.acquire, calls, rounds)
    group_us = per_call_us(lambda: limiter.acquire("search"), calls, rounds)
    print(
        f"in-memory acquire (API limit):        {acquire_us:7.2f} us   bare lock {lock_us:.2f} us"
    )
    print(f"in-memory acquire (group + API limit): {group_us:7.2f} us")
    results["memory_acquire_us"] = acquire_us
    results["memory_acquire_vs_lock"] = acquire_us / lock_us

    lookup_us = per_call_us(lambda: GITHUB.get("x-ratelimit-remaining"), calls, rounds)
    for name, headers in (("github", GITHUB), ("ietf", IETF), ("none", COMMON)):
        cost = per_call_us(lambda h=headers: limiter.observe("default", 200, h), calls, rounds)
        print(f"observe ({name:6s} headers):             {cost:7.2f} us")
        results[f"observe_{name}_us"] = cost
    results["observe_github_vs_dict_get"] = results["observe_github_us"] / lookup_us

    try:
        import redis

        redis.Redis.from_url(args.redis_url, socket_connect_timeout=1).ping()
    except Exception as exc:  # any failure to reach Redis only skips that part
        print(f"Redis part skipped: {exc}")
    else:
        results.update(bench_redis(args.redis_url, args.redis_calls, rounds))

    print(" ".join(f"{k}={v:.3f}" for k, v in results.items()))


def bench_redis(url: str, calls: int, rounds: int) -> dict[str, float]:
    import redis
    import redis.asyncio

    namespace = f"apiweld-bench:{uuid.uuid4().hex}"
    client = redis.Redis.from_url(url)
    limiter = RedisRateLimiter(client, RateLimit(1e9, per=1, burst=1e9), namespace=namespace)
    limiter.acquire()  # load the script once
    ping_us = per_call_us(client.ping, calls, rounds)
    acquire_us = per_call_us(limiter.acquire, calls, rounds)
    print(f"Redis acquire (sync):                  {acquire_us:7.2f} us   PING {ping_us:.2f} us")

    async def run_async() -> tuple[float, float]:
        aclient = redis.asyncio.Redis.from_url(url)
        alimiter = RedisRateLimiter(aclient, RateLimit(1e9, per=1, burst=1e9), namespace=namespace)
        await alimiter.acquire_async()
        aping = await per_call_us_async(aclient.ping, calls, rounds)
        aacquire = await per_call_us_async(alimiter.acquire_async, calls, rounds)
        await aclient.aclose()
        return aping, aacquire

    aping_us, aacquire_us = asyncio.run(run_async())
    print(f"Redis acquire (async):                 {aacquire_us:7.2f} us   PING {aping_us:.2f} us")
    limiter.reset("default")
    client.close()
    return {
        "redis_acquire_us": acquire_us,
        "redis_acquire_vs_ping": acquire_us / ping_us,
        "redis_async_acquire_us": aacquire_us,
        "redis_async_acquire_vs_ping": aacquire_us / aping_us,
    }


if __name__ == "__main__":
    main()
