"""Shared state of the runtime: OAuth tokens (memory; Redis) and the Redis plumbing.

`RedisTokenCache` imports `redis` only when constructed.
"""

from ._cache import (
    DEFAULT_LEEWAY,
    MemoryTokenCache,
    TokenCache,
    fetch_token_once,
    fetch_token_once_async,
)
from ._errors import LockTimeout, StateBackendError
from ._redis_cache import RedisTokenCache
from ._token import Token, TokenResponseError

__all__ = [
    "DEFAULT_LEEWAY",
    "LockTimeout",
    "MemoryTokenCache",
    "RedisTokenCache",
    "StateBackendError",
    "Token",
    "TokenCache",
    "TokenResponseError",
    "fetch_token_once",
    "fetch_token_once_async",
]
