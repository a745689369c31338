"""The OAuth token cache: the Token value, the memory and Redis backends, one shared refresh.

Redis tests use the real Redis on 127.0.0.1:6379 and fail, not skip, when CI=true.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from apiweld.runtime._secrets import Secret
from apiweld.runtime._state import (
    LockTimeout,
    MemoryTokenCache,
    RedisTokenCache,
    Token,
    TokenCache,
    TokenResponseError,
    fetch_token_once,
    fetch_token_once_async,
)

# -- Token ------------------------------------------------------------------------------------


def test_token_never_shows_its_secrets() -> None:
    token = Token("s3cr3t-access", refresh_token="s3cr3t-refresh", expires_at=1.0)  # type: ignore[arg-type]
    assert isinstance(token.access_token, Secret)
    for text in (repr(token), str(token)):
        assert "s3cr3t" not in text


def test_token_from_response_and_expiry() -> None:
    token = Token.from_response(
        {"access_token": "a", "token_type": "bearer", "expires_in": "3600", "scope": "read"},
        now=1000.0,
    )
    assert token.expires_at == 4600.0 and token.token_type == "bearer" and token.scope == "read"
    assert token.is_fresh(leeway=30, now=4500.0)
    assert not token.is_fresh(leeway=30, now=4580.0)
    assert Token.from_response({"access_token": "a"}).is_fresh()  # no expiry: fresh until a 401


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ([], "JSON object"),
        ({"token_type": "bearer"}, "'access_token'"),
        ({"access_token": ""}, "'access_token'"),
        ({"access_token": "a", "expires_in": "soon"}, "'expires_in'"),
        ({"access_token": "a", "expires_in": -5}, "'expires_in'"),
        ({"access_token": "a", "refresh_token": 7}, "'refresh_token'"),
    ],
)
def test_bad_token_responses_name_the_field(payload: Any, field: str) -> None:
    with pytest.raises(TokenResponseError, match=field):
        Token.from_response(payload)


def test_token_json_round_trip_and_bad_cache_entries() -> None:
    token = Token.from_response(
        {"access_token": "a", "expires_in": 60, "refresh_token": "r", "scope": "x"}, now=0.0
    )
    assert Token.from_json(token.to_json()) == token
    for raw in ("{", "[]", '{"expires_at": 1}', '{"access_token": "a", "expires_at": "x"}'):
        with pytest.raises(TokenResponseError):
            Token.from_json(raw)


# -- memory backend ---------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_memory_cache_get_set_delete_and_ttl() -> None:
    clock = Clock()
    cache = MemoryTokenCache(clock=clock)
    assert isinstance(cache, TokenCache)
    token = Token("s3cr3t", expires_at=time.time() + 100)  # type: ignore[arg-type]
    cache.set("k", token, ttl=10)
    assert cache.get("k") == token
    clock.now += 10
    assert cache.get("k") is None
    cache.set("k", token)  # ttl from expires_at (about 100 s)
    clock.now += 90
    assert cache.get("k") == token
    cache.delete("k")
    assert cache.get("k") is None
    cache.set("k", token)
    assert "s3cr3t" not in repr(cache)


def test_memory_lock_times_out() -> None:
    cache = MemoryTokenCache()
    with cache.lock("k"):
        holder_done = threading.Event()

        def other() -> None:
            with pytest.raises(LockTimeout, match="'k'"), cache.lock("k", timeout=0.05):
                pass
            holder_done.set()

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert holder_done.is_set()


class CountingFetch:
    """A token endpoint that is slow enough for concurrent callers to pile up behind it."""

    def __init__(self, delay: float = 0.2) -> None:
        self.calls = 0
        self.delay = delay
        self.guard = threading.Lock()

    def __call__(self) -> Token:
        with self.guard:
            self.calls += 1
            number = self.calls
        time.sleep(self.delay)
        return Token(Secret(f"token-{number}"), expires_at=time.time() + 3600)

    async def fetch_async(self) -> Token:
        self.calls += 1
        await asyncio.sleep(self.delay)
        return Token(Secret(f"token-{self.calls}"), expires_at=time.time() + 3600)


def run_threads(count: int, target: Any) -> list[Any]:
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        results[index] = target()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_20_threads_share_one_fetch_and_one_refresh_after_401() -> None:
    cache = MemoryTokenCache()
    fetch = CountingFetch()
    tokens = run_threads(20, lambda: fetch_token_once(cache, "api", fetch))
    assert fetch.calls == 1
    assert {t.access_token.get_secret_value() for t in tokens} == {"token-1"}
    rejected = tokens[0]  # the server now answers 401 to it: all 20 callers ask again
    tokens = run_threads(20, lambda: fetch_token_once(cache, "api", fetch, rejected=rejected))
    assert fetch.calls == 2
    assert {t.access_token.get_secret_value() for t in tokens} == {"token-2"}


def test_failed_fetch_releases_the_lock_and_the_next_caller_fetches() -> None:
    cache = MemoryTokenCache()
    calls = 0

    def failing() -> Token:
        nonlocal calls
        calls += 1
        raise RuntimeError("token endpoint down")

    with pytest.raises(RuntimeError):
        fetch_token_once(cache, "api", failing, lock_timeout=0.5)
    with pytest.raises(RuntimeError):
        fetch_token_once(cache, "api", failing, lock_timeout=0.5)  # no LockTimeout: released
    assert calls == 2 and cache.get("api") is None


def test_stale_token_is_refreshed_shortly_before_expiry() -> None:
    cache = MemoryTokenCache()
    cache.set("api", Token(Secret("old"), expires_at=time.time() + 10))
    fetch = CountingFetch(delay=0)
    assert fetch_token_once(cache, "api", fetch, leeway=30).access_token == Secret("token-1")
    assert fetch_token_once(cache, "api", fetch, leeway=5).access_token == Secret("token-1")


async def test_20_tasks_share_one_fetch() -> None:
    cache = MemoryTokenCache()
    fetch = CountingFetch()
    tokens = await asyncio.gather(
        *(fetch_token_once_async(cache, "api", fetch.fetch_async) for _ in range(20))
    )
    assert fetch.calls == 1 and len({t.access_token for t in tokens}) == 1
    tokens = await asyncio.gather(
        *(
            fetch_token_once_async(cache, "api", fetch.fetch_async, rejected=tokens[0])
            for _ in range(20)
        )
    )
    assert fetch.calls == 2 and len({t.access_token for t in tokens}) == 1


async def test_memory_async_lock_is_shared_with_threads() -> None:
    cache = MemoryTokenCache()
    with cache.lock("k"), pytest.raises(LockTimeout):
        async with cache.lock_async("k", timeout=0.05):
            pass
    async with cache.lock_async("k", timeout=0.05):
        pass


# -- Redis backend ----------------------------------------------------------------------------


def test_redis_cache_shares_tokens_between_instances(redis_url: str, namespace: str) -> None:
    import redis

    a = RedisTokenCache(redis_url, namespace=namespace)
    b = RedisTokenCache(redis.Redis.from_url(redis_url), namespace=namespace)
    assert isinstance(a, TokenCache)
    token = Token(Secret("shared"), expires_at=time.time() + 60, refresh_token=Secret("r"))
    a.set("client-id@https://auth.example/token", token)
    assert b.get("client-id@https://auth.example/token") == token
    raw = redis.Redis.from_url(redis_url)
    keys = [k.decode() for k in raw.scan_iter(match=f"{namespace}:*")]
    assert keys and not any("client-id" in k for k in keys)  # stored under a digest
    assert 0 < raw.pttl(keys[0]) <= 60_000  # expires with the token
    b.delete("client-id@https://auth.example/token")
    assert a.get("client-id@https://auth.example/token") is None


def test_redis_cache_ttl_and_unreadable_entries(redis_url: str, namespace: str) -> None:
    import redis

    cache = RedisTokenCache(redis_url, namespace=namespace)
    cache.set("k", Token(Secret("a")), ttl=0.05)
    time.sleep(0.1)
    assert cache.get("k") is None
    cache.set("k", Token(Secret("a")))
    raw = redis.Redis.from_url(redis_url)
    (key,) = list(raw.scan_iter(match=f"{namespace}:token:*"))
    assert raw.pttl(key) == -1  # no expiry known: kept until replaced
    raw.set(key, b"not json")
    assert cache.get("k") is None  # a miss, not an error


def test_redis_cache_encrypts_tokens_when_given_a_key(redis_url: str, namespace: str) -> None:
    import redis
    from cryptography.fernet import Fernet

    key = Fernet.generate_key()
    cache = RedisTokenCache(redis_url, namespace=namespace, encryption_key=Secret(key.decode()))
    token = Token(Secret("very-secret-access"), refresh_token=Secret("very-secret-refresh"))
    cache.set("api", token)
    raw = redis.Redis.from_url(redis_url)
    (stored_key,) = list(raw.scan_iter(match=f"{namespace}:token:*"))
    stored = raw.get(stored_key)
    assert stored is not None and b"very-secret" not in stored
    assert cache.get("api") == token
    other = RedisTokenCache(redis_url, namespace=namespace, encryption_key=Fernet.generate_key())
    assert other.get("api") is None  # another key: a miss, not an error
    raw.set(stored_key, stored[:-4] + b"AAAA")  # tampered
    assert cache.get("api") is None
    with pytest.raises(ValueError, match="Fernet key") as info:
        RedisTokenCache(redis_url, encryption_key="not-a-key-hunter2")
    assert "hunter2" not in str(info.value)


def test_redis_lock_excludes_times_out_and_is_released_only_by_its_owner(
    redis_url: str, namespace: str
) -> None:
    import redis

    short = RedisTokenCache(redis_url, namespace=namespace, lease=0.2)
    other = RedisTokenCache(redis_url, namespace=namespace)
    raw = redis.Redis.from_url(redis_url)
    first = short.lock("k")
    first.__enter__()
    with pytest.raises(LockTimeout), other.lock("k", timeout=0.05):
        pass
    time.sleep(0.3)  # the lease ran out: another caller may take the lock
    second = other.lock("k", timeout=0.1)
    second.__enter__()
    (lock_key,) = list(raw.scan_iter(match=f"{namespace}:lock:*"))
    first.__exit__(None, None, None)  # the late first holder must not release the second's lock
    assert raw.get(lock_key) is not None
    second.__exit__(None, None, None)
    assert raw.get(lock_key) is None


# Fresh interpreters, not forks of this multi-threaded test process (a lock held by another
# thread at fork time can deadlock a child).
_CALLERS = """
import json, sys, threading, time
import redis
from apiweld.runtime._secrets import Secret
from apiweld.runtime._state import RedisTokenCache, Token, fetch_token_once

url, namespace, start_at = sys.argv[1], sys.argv[2], float(sys.argv[3])
counter = redis.Redis.from_url(url)
cache = RedisTokenCache(url, namespace=namespace)

def fetch():
    number = counter.incr(namespace + ":fetches")
    time.sleep(0.3)  # a slow token endpoint: the other callers pile up behind the lock
    return Token(Secret(f"token-{number}"), expires_at=time.time() + 3600)

seen = set()
def caller():
    seen.add(fetch_token_once(cache, "api", fetch).access_token.get_secret_value())

threads = [threading.Thread(target=caller) for _ in range(5)]
time.sleep(max(0.0, start_at - time.time()))
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps(sorted(seen)))
"""


def test_20_callers_in_4_processes_share_one_fetch(redis_url: str, namespace: str) -> None:
    import redis

    start_at = str(time.time() + 2.0)  # all start together, after their imports
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _CALLERS, redis_url, namespace, start_at],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    seen = []
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err[-2000:]
        seen.append(json.loads(out.strip().splitlines()[-1]))
    assert seen == [["token-1"]] * 4
    assert int(redis.Redis.from_url(redis_url).get(f"{namespace}:fetches") or 0) == 1


async def test_redis_async_callers_share_one_fetch(redis_url: str, namespace: str) -> None:
    cache = RedisTokenCache(redis_url, namespace=namespace)
    fetch = CountingFetch()
    tokens = await asyncio.gather(
        *(fetch_token_once_async(cache, "api", fetch.fetch_async) for _ in range(20))
    )
    assert fetch.calls == 1 and len({t.access_token for t in tokens}) == 1
    async with cache.lock_async("api"):
        with pytest.raises(LockTimeout):
            async with cache.lock_async("api", timeout=0.05):
                pass
    await cache.aclose()


def test_redis_cache_unreachable_is_a_clear_error() -> None:
    from apiweld.runtime._state import StateBackendError

    cache = RedisTokenCache("redis://user:hunter2@127.0.0.1:1/0")
    assert "hunter2" not in repr(cache)
    with pytest.raises(StateBackendError) as info:
        cache.get("k")
    assert "hunter2" not in str(info.value)
