"""Configuration values and the error of the client-side rate limiter."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["DEFAULT_GROUP", "RateLimit", "RateLimitTimeout"]

DEFAULT_GROUP = "default"
"""The API-wide group: its limit applies to every call, whatever the call's own group."""


@dataclass(frozen=True, slots=True)
class RateLimit:
    """`rate` calls (of weight 1) per `per` seconds, with up to `burst` calls at once from idle.

    `burst` defaults to 1: calls are spaced evenly, which is what a server enforcing a sliding
    window or its own GCRA accepts without a single 429.
    """

    rate: float
    per: float = 1.0
    burst: float = 1.0

    def __post_init__(self) -> None:
        for name in ("rate", "per", "burst"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"RateLimit.{name} must be a number, not {type(value).__name__}")
            if not math.isfinite(value) or value <= 0:
                raise ValueError(
                    f"RateLimit.{name} must be a positive finite number, got {value!r}"
                )

    @property
    def interval(self) -> float:
        """Seconds between two calls of weight 1 at the steady rate (GCRA's emission interval)."""
        return self.per / self.rate


class RateLimitTimeout(TimeoutError):
    """Waiting for the rate limiter would take longer than the caller allowed.

    Raised before any waiting happens and before any budget is taken, so a caller that gives up
    costs the shared budget nothing. `wait` is how long the call would have had to wait.
    The client maps it into its own error hierarchy (a timeout of the call).
    """

    def __init__(self, group: str, wait: float, timeout: float) -> None:
        self.group = group
        self.wait = wait
        self.timeout = timeout
        super().__init__(
            f"rate limit of group {group!r} needs a wait of {wait:.3f}s, "
            f"more than the {timeout:.3f}s allowed"
        )
