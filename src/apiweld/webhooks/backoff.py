"""Exponential backoff with full jitter, as an immutable policy (easy to test without I/O).

Kept here rather than borrowed from `apiweld.runtime`: the runtime is written in parallel and
`apiweld.runtime` must never depend on webhooks, while this policy is four lines of arithmetic.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from apiweld.webhooks.settings import BackoffSettings


@dataclass(frozen=True, slots=True)
class Backoff:
    initial_seconds: float = 5.0
    multiplier: float = 2.0
    max_seconds: float = 3600.0

    @classmethod
    def from_settings(cls, settings: BackoffSettings) -> Backoff:
        return cls(settings.initial_seconds, settings.multiplier, settings.max_seconds)

    def ceiling(self, attempt: int) -> float:
        """The largest delay after failed attempt number `attempt` (1-based)."""
        exponent = max(attempt - 1, 0)
        # Cap the exponent so a huge attempt count cannot overflow the float.
        return min(self.max_seconds, self.initial_seconds * self.multiplier ** min(exponent, 64))

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Full jitter: uniform in [0, ceiling], which spreads retries of many failed events."""
        return (rng or random).uniform(0.0, self.ceiling(attempt))
