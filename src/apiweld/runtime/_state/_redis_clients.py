"""Redis connections for the shared-state backends, imported only when a Redis backend is built.

`apiweld.runtime` must not import `redis` unless a Redis backend is used, so nothing here imports it
at module level; the backends call `RedisHandles.create()` from their constructors.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from ._errors import StateBackendError

if TYPE_CHECKING:
    import redis
    import redis.asyncio

__all__ = ["RedisHandles", "describe_redis_url"]

T = TypeVar("T")
_SCHEMES = frozenset({"redis", "rediss", "unix"})
# redis-py waits forever by default; a hung Redis must not hang every API call. Options in the URL
# (`?socket_timeout=...`) take precedence over these.
_TIMEOUT = 5.0


def describe_redis_url(url: str) -> str:
    """`redis://user:pw@host:6379/0` -> `redis://host:6379/0`: safe for messages and reprs."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "localhost"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "redis (unparseable URL)"
    return f"{parts.scheme or 'redis'}://{host}{port}{parts.path}"


def _describe_client(client: Any) -> str:
    try:
        kwargs = client.connection_pool.connection_kwargs
        return f"redis://{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}"
    except AttributeError:
        return type(client).__name__


class RedisHandles:
    """A sync and/or an asyncio Redis client, made from one URL (lazily) or given by the user."""

    def __init__(
        self,
        *,
        url: str | None,
        sync_client: redis.Redis | None,
        async_client: redis.asyncio.Redis | None,
        where: str,
    ) -> None:
        self._url = url
        self._sync = sync_client
        self._async = async_client
        self._async_by_loop: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, redis.asyncio.Redis
        ] = weakref.WeakKeyDictionary()
        self._scripts: dict[tuple[int, str], Any] = {}
        self.where = where

    @classmethod
    def create(
        cls,
        url_or_client: str | redis.Redis | redis.asyncio.Redis,
        async_client: redis.asyncio.Redis | None = None,
    ) -> RedisHandles:
        try:
            import redis as redis_sync
            import redis.asyncio as redis_async
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise ImportError(
                "the Redis backend needs the `redis` package: pip install 'apiweld[redis]'"
            ) from exc
        if isinstance(url_or_client, str):
            scheme = urlsplit(url_or_client).scheme
            if scheme not in _SCHEMES:  # fail at construction, not at the first call
                raise ValueError(
                    f"not a Redis URL ({describe_redis_url(url_or_client)}): expected one of "
                    + ", ".join(f"{s}://" for s in sorted(_SCHEMES))
                )
            return cls(
                url=url_or_client,
                sync_client=None,
                async_client=async_client,
                where=describe_redis_url(url_or_client),
            )
        if isinstance(url_or_client, redis_async.Redis):
            return cls(
                url=None,
                sync_client=None,
                async_client=url_or_client,
                where=_describe_client(url_or_client),
            )
        if isinstance(url_or_client, redis_sync.Redis):
            return cls(
                url=None,
                sync_client=url_or_client,
                async_client=async_client,
                where=_describe_client(url_or_client),
            )
        raise TypeError(
            "expected a redis:// URL, a redis.Redis or a redis.asyncio.Redis client, not "
            f"{type(url_or_client).__name__}"
        )

    @property
    def has_sync(self) -> bool:
        return self._sync is not None or self._url is not None

    @property
    def sync(self) -> redis.Redis:
        if self._sync is None:
            if self._url is None:
                raise TypeError(
                    f"this backend was given an asyncio Redis client ({self.where}): use the "
                    "async methods, or give it a URL or a redis.Redis client as well"
                )
            import redis as redis_sync

            self._sync = redis_sync.Redis.from_url(
                self._url, socket_timeout=_TIMEOUT, socket_connect_timeout=_TIMEOUT
            )
        return self._sync

    @property
    def async_(self) -> redis.asyncio.Redis:
        """The asyncio client; made from a URL, one per event loop (its connections belong to the
        loop that opened them, and a program may run several loops one after another)."""
        if self._async is not None:
            return self._async
        if self._url is None:
            raise TypeError(
                f"this backend was given a synchronous Redis client ({self.where}): pass "
                "async_client=redis.asyncio.Redis(...) too, or a URL"
            )
        loop = asyncio.get_running_loop()
        client = self._async_by_loop.get(loop)
        if client is None:
            import redis.asyncio as redis_async

            client = redis_async.Redis.from_url(
                self._url, socket_timeout=_TIMEOUT, socket_connect_timeout=_TIMEOUT
            )
            self._async_by_loop[loop] = client
        return client

    def script(self, source: str) -> Any:
        """`source` registered on the sync client (EVALSHA, reloaded after a server restart)."""
        client = self.sync
        key = (id(client), source)
        script = self._scripts.get(key)
        if script is None:
            script = self._scripts[key] = client.register_script(source)
        return script

    def script_async(self, source: str) -> Any:
        client = self.async_
        key = (id(client), source)
        script = self._scripts.get(key)
        if script is None:
            script = self._scripts[key] = client.register_script(source)
        return script

    def call(self, what: str, operation: Callable[[], T]) -> T:
        import redis as redis_sync

        try:
            return operation()
        except redis_sync.RedisError as exc:
            raise StateBackendError(f"{what} failed on {self.where}: {exc}") from None

    async def call_async(self, what: str, operation: Callable[[], Awaitable[T]]) -> T:
        import redis as redis_sync

        try:
            return await operation()
        except redis_sync.RedisError as exc:
            raise StateBackendError(f"{what} failed on {self.where}: {exc}") from None

    def close(self) -> None:
        if self._sync is not None and self._url is not None:
            self._sync.close()

    async def aclose(self) -> None:
        """Close what this object made: the sync client and this loop's asyncio client."""
        loop = running_loop()
        client = self._async_by_loop.pop(loop, None) if loop is not None else None
        if client is not None:
            await client.aclose()
        self.close()


def running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
