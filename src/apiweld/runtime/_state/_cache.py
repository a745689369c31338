"""The OAuth token cache: its interface, the in-memory backend, and the shared-refresh helper."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Protocol, runtime_checkable

from ._errors import LockTimeout
from ._token import Token

__all__ = [
    "DEFAULT_LEEWAY",
    "MemoryTokenCache",
    "TokenCache",
    "fetch_token_once",
    "fetch_token_once_async",
]

DEFAULT_LEEWAY = 30.0
"""Seconds before expiry at which a token counts as stale and is refreshed."""

_POLL_FIRST = 0.002
_POLL_MAX = 0.05


@runtime_checkable
class TokenCache(Protocol):
    """Where OAuth tokens live between calls, and a lock so concurrent callers share one refresh.

    `ttl` in `set`: seconds to keep the token; None derives it from `token.expires_at` (no expiry
    when that is None too). The lock is per key; `timeout` bounds the wait for it (`LockTimeout`).
    """

    def get(self, key: str) -> Token | None: ...
    def set(self, key: str, token: Token, ttl: float | None = None) -> None: ...
    def delete(self, key: str) -> None: ...
    def lock(self, key: str, timeout: float = 30.0) -> contextlib.AbstractContextManager[None]: ...
    async def get_async(self, key: str) -> Token | None: ...
    async def set_async(self, key: str, token: Token, ttl: float | None = None) -> None: ...
    async def delete_async(self, key: str) -> None: ...
    def lock_async(
        self, key: str, timeout: float = 30.0
    ) -> contextlib.AbstractAsyncContextManager[None]: ...


def effective_ttl(token: Token, ttl: float | None) -> float | None:
    return token.ttl() if ttl is None else max(0.0, ttl)


class MemoryTokenCache:
    """Tokens in this process. One lock per key, shared by threads and by tasks of any event loop.

    The async lock polls the same `threading.Lock` with short sleeps instead of using an
    `asyncio.Lock`: an asyncio lock is bound to one loop and invisible to threads, and a refresh
    shared across both is the point. Contention only happens during a refresh, so polling is cheap.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tokens: dict[str, tuple[Token, float | None]] = {}
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def __repr__(self) -> str:
        return f"MemoryTokenCache({len(self._tokens)} tokens)"

    def get(self, key: str) -> Token | None:
        with self._guard:
            entry = self._tokens.get(key)
            if entry is None:
                return None
            token, dies_at = entry
            if dies_at is not None and self._clock() >= dies_at:
                del self._tokens[key]
                return None
            return token

    def set(self, key: str, token: Token, ttl: float | None = None) -> None:
        seconds = effective_ttl(token, ttl)
        with self._guard:
            self._tokens[key] = (token, None if seconds is None else self._clock() + seconds)

    def delete(self, key: str) -> None:
        with self._guard:
            self._tokens.pop(key, None)

    async def get_async(self, key: str) -> Token | None:
        return self.get(key)

    async def set_async(self, key: str, token: Token, ttl: float | None = None) -> None:
        self.set(key, token, ttl)

    async def delete_async(self, key: str) -> None:
        self.delete(key)

    def _key_lock(self, key: str) -> threading.Lock:
        with self._guard:
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = threading.Lock()
            return lock

    @contextlib.contextmanager
    def lock(self, key: str, timeout: float = 30.0) -> Iterator[None]:
        lock = self._key_lock(key)
        if not lock.acquire(timeout=max(0.0, timeout)):
            raise LockTimeout(key, timeout)
        try:
            yield
        finally:
            lock.release()

    @contextlib.asynccontextmanager
    async def lock_async(self, key: str, timeout: float = 30.0) -> AsyncIterator[None]:
        lock = self._key_lock(key)
        deadline = time.monotonic() + max(0.0, timeout)
        pause = _POLL_FIRST
        while not lock.acquire(blocking=False):
            if time.monotonic() >= deadline:
                raise LockTimeout(key, timeout)
            await asyncio.sleep(pause)
            pause = min(pause * 2, _POLL_MAX)
        try:
            yield
        finally:
            lock.release()


def _usable(token: Token | None, rejected: Token | None, leeway: float) -> bool:
    if token is None or not token.is_fresh(leeway):
        return False
    return rejected is None or token.access_token != rejected.access_token


def fetch_token_once(
    cache: TokenCache,
    key: str,
    fetch: Callable[[], Token],
    *,
    rejected: Token | None = None,
    leeway: float = DEFAULT_LEEWAY,
    lock_timeout: float = 30.0,
) -> Token:
    """The cached token for `key`, fetching a new one at most once across concurrent callers.

    `rejected`: the token a server just answered 401 to; it is not reused, but a different token
    another caller stored meanwhile is (so 20 callers hit by the same 401 cause one refresh).
    """
    token = cache.get(key)
    if _usable(token, rejected, leeway):
        assert token is not None
        return token
    with cache.lock(key, lock_timeout):
        token = cache.get(key)  # another caller may have refreshed while this one waited
        if _usable(token, rejected, leeway):
            assert token is not None
            return token
        token = fetch()
        cache.set(key, token, token.ttl())
        return token


async def fetch_token_once_async(
    cache: TokenCache,
    key: str,
    fetch: Callable[[], Awaitable[Token]],
    *,
    rejected: Token | None = None,
    leeway: float = DEFAULT_LEEWAY,
    lock_timeout: float = 30.0,
) -> Token:
    """`fetch_token_once` for asyncio callers."""
    token = await cache.get_async(key)
    if _usable(token, rejected, leeway):
        assert token is not None
        return token
    async with cache.lock_async(key, lock_timeout):
        token = await cache.get_async(key)
        if _usable(token, rejected, leeway):
            assert token is not None
            return token
        token = await fetch()
        await cache.set_async(key, token, token.ttl())
        return token
