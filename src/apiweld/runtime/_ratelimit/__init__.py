"""Client-side rate limiting: GCRA per API and per endpoint group, adaptive to server headers.

Backends: `RateLimiter` (in memory, the default) and `RedisRateLimiter` (one budget shared by many
processes on many machines; imports `redis` only when constructed).
"""

from ._adaptive import AdaptivePolicy, Throttle, next_spacing, plan_throttle
from ._base import BaseRateLimiter
from ._config import DEFAULT_GROUP, RateLimit, RateLimitTimeout
from ._headers import (
    QuotaObservation,
    ServerSignals,
    parse_rate_limit_headers,
    parse_retry_after,
    reset_to_seconds,
)
from ._memory import RateLimiter
from ._redis import RedisRateLimiter

__all__ = [
    "DEFAULT_GROUP",
    "AdaptivePolicy",
    "BaseRateLimiter",
    "QuotaObservation",
    "RateLimit",
    "RateLimitTimeout",
    "RateLimiter",
    "RedisRateLimiter",
    "ServerSignals",
    "Throttle",
    "next_spacing",
    "parse_rate_limit_headers",
    "parse_retry_after",
    "plan_throttle",
    "reset_to_seconds",
]
