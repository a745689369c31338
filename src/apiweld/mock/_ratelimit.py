"""Server-side rate limiting per client key, with the headers clients learn from.

A fixed window per key: simple to reason about in tests (N requests, then 429 until the window
ends) and what most public APIs document. Headers follow the IETF draft's current structured
field syntax (`RateLimit-Policy: "default";q=100;w=60` and `RateLimit: "default";r=42;t=17`)
alongside the widespread `X-RateLimit-Limit/Remaining/Reset` (reset as epoch seconds).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RateLimit:
    """`limit` requests per `window` seconds for each client key."""

    limit: int
    window: float = 60.0
    policy: str = "default"

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window <= 0:
            raise ValueError("rate limit needs limit >= 1 and window > 0")
        if not self.policy.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"rate limit policy name {self.policy!r} must be a plain token")


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    headers: tuple[tuple[str, str], ...]
    retry_after: int


class RateLimiter:
    def __init__(self, rule: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.rule = rule
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> RateDecision:
        now = self._clock()
        rule = self.rule
        with self._lock:
            start, used = self._windows.get(key, (now, 0))
            if now - start >= rule.window:
                start, used = now, 0
            allowed = used < rule.limit
            if allowed:
                used += 1
            self._windows[key] = (start, used)
        remaining = rule.limit - used
        reset = max(1, math.ceil(start + rule.window - now))
        window = math.ceil(rule.window)
        headers: tuple[tuple[str, str], ...] = (
            ("RateLimit-Policy", f'"{rule.policy}";q={rule.limit};w={window}'),
            ("RateLimit", f'"{rule.policy}";r={remaining};t={reset}'),
            ("X-RateLimit-Limit", str(rule.limit)),
            ("X-RateLimit-Remaining", str(remaining)),
            ("X-RateLimit-Reset", str(math.ceil(time.time() + reset))),
        )
        if not allowed:
            headers = (*headers, ("Retry-After", str(reset)))
        return RateDecision(allowed=allowed, headers=headers, retry_after=reset)
