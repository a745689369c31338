"""Retry policy as an immutable value (the shape of urllib3's `Retry`), testable without I/O.

A call starts from the client's (or the operation's) policy; after a failed attempt the client asks
`decide(...)` whether another attempt is allowed and how long to wait, then continues with
`increment(...)`, the next state. Nothing here sleeps or does I/O.
"""

from __future__ import annotations

import email.utils
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Final

__all__ = ["DEFAULT_RETRY_STATUSES", "RetryAttempt", "RetryDecision", "RetryPolicy"]

DEFAULT_RETRY_STATUSES: Final = frozenset({408, 429, *range(500, 600)})
# Never retried whatever the configuration says: the same request will fail the same way.
NEVER_RETRIED_STATUSES: Final = frozenset({400, 401, 403, 404, 422})


@dataclass(frozen=True, slots=True)
class RetryAttempt:
    """One failed attempt, kept in the policy's history (for errors and hooks)."""

    status: int | None
    error: str | None
    delay: float


@dataclass(frozen=True, slots=True)
class RetryDecision:
    retry: bool
    delay: float = 0.0
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 3
    """Attempts in total, the first included (1 disables retrying)."""
    total_deadline: float | None = None
    """Seconds for the whole call (attempts, back-off and rate-limit waits); None: no deadline."""
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    retry_statuses: frozenset[int] = DEFAULT_RETRY_STATUSES
    retry_connection_errors: bool = True
    retry_timeouts: bool = True
    max_retry_after: float = 60.0
    """A longer `Retry-After` is capped to this many seconds."""
    respect_retry_after: bool = True
    attempts_made: int = 0
    history: tuple[RetryAttempt, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1 (1 disables retrying)")
        if self.backoff_base < 0 or self.backoff_cap < 0:
            raise ValueError("RetryPolicy back-off values must not be negative")

    @classmethod
    def disabled(cls) -> RetryPolicy:
        return cls(max_attempts=1)

    def with_max_retries(self, retries: int) -> RetryPolicy:
        return replace(self, max_attempts=max(1, retries + 1))

    @property
    def exhausted(self) -> bool:
        return self.attempts_made >= self.max_attempts

    def is_retryable_status(self, status: int) -> bool:
        return status in self.retry_statuses and status not in NEVER_RETRIED_STATUSES

    def backoff(self, rng: Callable[[], float] = random.random) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**(retries so far))]."""
        exponent = max(0, self.attempts_made - 1)
        ceiling = min(self.backoff_cap, self.backoff_base * 2.0**exponent)
        return float(ceiling * rng())

    def decide(
        self,
        *,
        may_resend: bool,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        connection_error: bool = False,
        timeout_error: bool = False,
        never_sent: bool = False,
        remaining: float | None = None,
        now: float | None = None,
        rng: Callable[[], float] = random.random,
    ) -> RetryDecision:
        """Whether the attempt just made (the `attempts_made`-th) may be followed by another.

        `may_resend`: the request is idempotent or carries an idempotency key; otherwise only a
        failure that proves the request was never sent is retried. `remaining`: seconds left of the
        call's deadline; a wait that would not leave time for another attempt stops retrying.
        """
        if self.exhausted:
            return RetryDecision(False, reason=f"gave up after {self.attempts_made} attempts")
        if status is not None:
            if not self.is_retryable_status(status):
                return RetryDecision(False, reason=f"status {status} is not retried")
            if not may_resend:
                return RetryDecision(False, reason="non-idempotent request without idempotency key")
        elif timeout_error or connection_error:
            allowed = self.retry_timeouts if timeout_error else self.retry_connection_errors
            if not allowed:
                return RetryDecision(False, reason="connection failures are not retried")
            if not (may_resend or never_sent):
                return RetryDecision(
                    False, reason="the request may have reached the server and is not idempotent"
                )
        else:
            return RetryDecision(False, reason="nothing to retry")
        delay = self.backoff(rng)
        if status is not None and headers is not None and self.respect_retry_after:
            server_delay = parse_retry_after(headers.get("retry-after"), now)
            if server_delay is not None:
                delay = min(server_delay, self.max_retry_after)
        if remaining is not None and delay >= remaining:
            return RetryDecision(False, delay, reason="the deadline leaves no time for a retry")
        return RetryDecision(True, delay, reason="retrying")

    def increment(
        self, *, status: int | None = None, error: str | None = None, delay: float = 0.0
    ) -> RetryPolicy:
        """The state after one more attempt (the first call counts the initial attempt)."""
        return replace(
            self,
            attempts_made=self.attempts_made + 1,
            history=(*self.history, RetryAttempt(status, error, delay)),
        )


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from `Retry-After`: delta seconds or an HTTP-date; None if invalid."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN check
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    import time

    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)
