"""The in-memory limiter: one process, any number of threads and event loops."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from ._adaptive import AdaptivePolicy, Throttle
from ._base import BaseRateLimiter
from ._config import RateLimit, RateLimitTimeout
from ._gcra import advance, earliest_start

__all__ = ["RateLimiter"]


class _GroupState:
    __slots__ = ("learned_tat", "pause_until", "spacing", "spacing_until", "tat")

    def __init__(self) -> None:
        self.tat = 0.0
        self.pause_until = 0.0
        self.learned_tat = 0.0
        self.spacing = 0.0
        self.spacing_until = 0.0


class RateLimiter(BaseRateLimiter):
    """The default limiter, state in this process (GCRA, see `_gcra.py`).

    Thread-safe: one lock guards a few float updates per call and is never held while waiting,
    so async callers take it too without blocking their event loop in any measurable way.

    >>> limiter = RateLimiter(RateLimit(50, per=1), groups={"search": RateLimit(30, per=60)})
    >>> limiter.acquire("search", timeout=5.0)
    """

    def __init__(
        self,
        limit: RateLimit | None = None,
        *,
        groups: Mapping[str, RateLimit] | None = None,
        adaptive: bool = True,
        policy: AdaptivePolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            limit, groups=groups, adaptive=adaptive, policy=policy, wall_clock=wall_clock
        )
        self._clock = clock
        self._lock = threading.Lock()
        self._states: dict[str, _GroupState] = {}

    def __repr__(self) -> str:
        return f"RateLimiter(limits={self._limits!r}, adaptive={self._adaptive})"

    def _state(self, group: str) -> _GroupState:
        state = self._states.get(group)
        if state is None:
            state = self._states[group] = _GroupState()
        return state

    def reserve(self, group: str, weight: float = 1.0, max_wait: float | None = None) -> float:
        with self._lock:
            now = self._clock()
            own = self._state(group)
            start = max(now, own.pause_until)
            buckets = [(self._state(name), limit) for name, limit in self._bucket_limits(group)]
            for state, limit in buckets:
                start = earliest_start(state.tat, start, weight, limit.interval, limit.burst)
            spreading = own.spacing > 0.0 and now < own.spacing_until
            if spreading:
                start = earliest_start(own.learned_tat, start, weight, own.spacing, 1.0)
            wait = start - now
            if max_wait is not None and wait > max_wait:
                raise RateLimitTimeout(group, wait, max_wait)
            for state, limit in buckets:
                state.tat = advance(state.tat, start, weight, limit.interval)
            if spreading:
                own.learned_tat = advance(own.learned_tat, start, weight, own.spacing)
            return wait

    async def reserve_async(
        self, group: str, weight: float = 1.0, max_wait: float | None = None
    ) -> float:
        return self.reserve(group, weight, max_wait)

    def pause_remaining(self, group: str) -> float:
        with self._lock:
            state = self._states.get(group)
            return 0.0 if state is None else max(0.0, state.pause_until - self._clock())

    async def pause_remaining_async(self, group: str) -> float:
        return self.pause_remaining(group)

    def _apply(self, group: str, throttle: Throttle) -> None:
        with self._lock:
            now = self._clock()
            state = self._state(group)
            if throttle.relax:
                state.spacing = 0.0
                state.spacing_until = 0.0
                return
            if throttle.pause_for > 0.0:
                state.pause_until = max(state.pause_until, now + throttle.pause_for)
            if throttle.spacing > 0.0:
                state.spacing = throttle.spacing
                state.spacing_until = now + throttle.spacing_for

    async def _apply_async(self, group: str, throttle: Throttle) -> None:
        self._apply(group, throttle)
