"""The Redis token cache: one token per key for every process, and a distributed refresh lock.

The lock is `SET lock NX PX lease` with a random owner token, released by a Lua script that deletes
the key only if it still holds that token, so a caller whose lease ran out never releases somebody
else's lock. A holder that dies releases by expiry. A refresh slower than the lease may run twice;
that costs one extra token request, never a wrong token.

Keys are stored as a SHA-256 digest of the cache key: a key built from a client id or a token URL
then shows nothing in a `KEYS` listing, whatever it was built from. With `encryption_key` (a
Fernet key: `cryptography.fernet.Fernet.generate_key()`), token values are encrypted and
authenticated too, for a Redis that others can read; an entry that does not decrypt (another key,
tampering) is a cache miss.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from .._secrets import Secret
from ._cache import effective_ttl
from ._errors import LockTimeout
from ._redis_clients import RedisHandles
from ._token import Token, TokenResponseError

if TYPE_CHECKING:
    import redis
    import redis.asyncio
    from cryptography.fernet import Fernet

__all__ = ["RedisTokenCache"]

logger = logging.getLogger("apiweld.runtime.oauth")

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_POLL_FIRST = 0.005
_POLL_MAX = 0.1


class RedisTokenCache:
    """OAuth tokens shared by every process using the same Redis and `namespace`.

    `url_or_client`: a `redis://` URL, a `redis.Redis` (add `async_client=` for async use) or a
    `redis.asyncio.Redis`. `lease`: how long a refresh lock lives if its holder never releases it.
    """

    def __init__(
        self,
        url_or_client: str | redis.Redis | redis.asyncio.Redis,
        *,
        namespace: str = "apiweld:oauth",
        lease: float = 30.0,
        async_client: redis.asyncio.Redis | None = None,
        encryption_key: str | bytes | Secret | None = None,
    ) -> None:
        if not namespace:
            raise ValueError("namespace must not be empty")
        if not math.isfinite(lease) or lease <= 0:
            raise ValueError(f"lease must be a positive number of seconds, got {lease!r}")
        self._namespace = namespace
        self._lease_ms = max(1, math.ceil(lease * 1000))
        self._redis = RedisHandles.create(url_or_client, async_client)
        self._fernet = _fernet(encryption_key) if encryption_key is not None else None

    def __repr__(self) -> str:
        return f"RedisTokenCache({self._redis.where}, namespace={self._namespace!r})"

    def _key(self, kind: str, key: str) -> str:
        digest = hashlib.sha256(key.encode()).hexdigest()[:40]
        return f"{self._namespace}:{kind}:{digest}"

    def _encode(self, token: Token) -> bytes | str:
        data = token.to_json()
        return data if self._fernet is None else self._fernet.encrypt(data.encode())

    def _decode(self, raw: Any) -> Token | None:
        if raw is None:
            return None
        try:
            if self._fernet is not None:
                from cryptography.fernet import InvalidToken

                try:
                    raw = self._fernet.decrypt(raw)
                except InvalidToken:
                    logger.debug("a cached token did not decrypt (another key?): a cache miss")
                    return None
            return Token.from_json(raw)
        except TokenResponseError:
            return None  # an unreadable entry is a cache miss: the caller fetches a new token

    @staticmethod
    def _px(token: Token, ttl: float | None) -> int | None:
        seconds = effective_ttl(token, ttl)
        return None if seconds is None else max(1, math.ceil(seconds * 1000))

    # -- sync ---------------------------------------------------------------------------------

    def get(self, key: str) -> Token | None:
        client = self._redis.sync
        raw = self._redis.call("token cache get", lambda: client.get(self._key("token", key)))
        return self._decode(raw)

    def set(self, key: str, token: Token, ttl: float | None = None) -> None:
        client, px = self._redis.sync, self._px(token, ttl)
        self._redis.call(
            "token cache set",
            lambda: client.set(self._key("token", key), self._encode(token), px=px),
        )

    def delete(self, key: str) -> None:
        client = self._redis.sync
        self._redis.call("token cache delete", lambda: client.delete(self._key("token", key)))

    @contextlib.contextmanager
    def lock(self, key: str, timeout: float = 30.0) -> Iterator[None]:
        client, lock_key = self._redis.sync, self._key("lock", key)
        owner = secrets.token_hex(16)
        deadline = time.monotonic() + max(0.0, timeout)
        pause = _POLL_FIRST
        while not self._redis.call(
            "token lock", lambda: client.set(lock_key, owner, nx=True, px=self._lease_ms)
        ):
            if time.monotonic() >= deadline:
                raise LockTimeout(key, timeout)
            time.sleep(pause)
            pause = min(pause * 2, _POLL_MAX)
        try:
            yield
        finally:
            release = self._redis.script(_RELEASE)
            self._redis.call("token unlock", lambda: release(keys=[lock_key], args=[owner]))

    # -- async --------------------------------------------------------------------------------

    async def get_async(self, key: str) -> Token | None:
        client = self._redis.async_
        raw = await self._redis.call_async(
            "token cache get", lambda: client.get(self._key("token", key))
        )
        return self._decode(raw)

    async def set_async(self, key: str, token: Token, ttl: float | None = None) -> None:
        client, px = self._redis.async_, self._px(token, ttl)
        await self._redis.call_async(
            "token cache set",
            lambda: client.set(self._key("token", key), self._encode(token), px=px),
        )

    async def delete_async(self, key: str) -> None:
        client = self._redis.async_
        await self._redis.call_async(
            "token cache delete", lambda: client.delete(self._key("token", key))
        )

    @contextlib.asynccontextmanager
    async def lock_async(self, key: str, timeout: float = 30.0) -> AsyncIterator[None]:
        client, lock_key = self._redis.async_, self._key("lock", key)
        owner = secrets.token_hex(16)
        deadline = time.monotonic() + max(0.0, timeout)
        pause = _POLL_FIRST
        while not await self._redis.call_async(
            "token lock", lambda: client.set(lock_key, owner, nx=True, px=self._lease_ms)
        ):
            if time.monotonic() >= deadline:
                raise LockTimeout(key, timeout)
            await asyncio.sleep(pause)
            pause = min(pause * 2, _POLL_MAX)
        try:
            yield
        finally:
            release = self._redis.script_async(_RELEASE)
            await self._redis.call_async(
                "token unlock", lambda: release(keys=[lock_key], args=[owner])
            )

    def close(self) -> None:
        self._redis.close()

    async def aclose(self) -> None:
        await self._redis.aclose()


def _fernet(key: str | bytes | Secret) -> Fernet:
    from cryptography.fernet import Fernet

    raw = key.get_secret_value() if isinstance(key, Secret) else key
    try:
        return Fernet(raw)
    except (ValueError, TypeError):
        # the message must not echo the key
        raise ValueError(
            "encryption_key must be a Fernet key (32 url-safe base64-encoded bytes), e.g. "
            "from cryptography.fernet.Fernet.generate_key()"
        ) from None
