"""The in-memory limiter: one process, any number of threads and event loops."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from ._adaptive import AdaptivePolicy, Throttle, next_spacing
from ._base import BaseRateLimiter, Step
from ._config import DEFAULT_GROUP, RateLimit, RateLimitTimeout
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
    >>> waited = limiter.acquire("search", timeout=5.0)  # seconds it had to wait
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
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(
            limit,
            groups=groups,
            adaptive=adaptive,
            policy=policy,
            wall_clock=wall_clock,
            clock=clock,
            sleep=sleep,
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

    def _step(
        self, group: str, weight: float, max_wait: float | None, include_own: bool
    ) -> tuple[Step, float]:
        with self._lock:
            now = self._clock()
            own = self._state(group)
            own_limit = self._limits.get(group) if include_own else None
            spreading = include_own and own.spacing > 0.0 and now < own.spacing_until
            if include_own and own.pause_until > now:
                return Step.PAUSED, self._within(group, own.pause_until - now, max_wait)
            start = now
            if own_limit is not None:
                start = earliest_start(own.tat, start, weight, own_limit.interval, own_limit.burst)
            if spreading:
                start = earliest_start(own.learned_tat, start, weight, own.spacing, 1.0)
            api_limit = self._limits.get(DEFAULT_GROUP) if group != DEFAULT_GROUP else None
            api = self._state(DEFAULT_GROUP) if api_limit is not None else None
            step = Step.DONE
            if api is not None and api_limit is not None:
                if start > now:
                    step = Step.OWN_RESERVED  # take the API-wide budget only when it is due
                else:
                    start = earliest_start(
                        api.tat, start, weight, api_limit.interval, api_limit.burst
                    )
            wait = self._within(group, start - now, max_wait)
            if own_limit is not None:
                own.tat = advance(own.tat, start, weight, own_limit.interval)
            if spreading:
                own.learned_tat = advance(own.learned_tat, start, weight, own.spacing)
            if step is Step.DONE and api is not None and api_limit is not None:
                api.tat = advance(api.tat, start, weight, api_limit.interval)
            return step, wait

    @staticmethod
    def _within(group: str, wait: float, max_wait: float | None) -> float:
        if max_wait is not None and wait > max_wait:
            raise RateLimitTimeout(group, wait, max_wait)
        return wait

    async def _step_async(
        self, group: str, weight: float, max_wait: float | None, include_own: bool
    ) -> tuple[Step, float]:
        return self._step(group, weight, max_wait, include_own)

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
            if throttle.pause_for > 0.0:
                state.pause_until = max(state.pause_until, now + throttle.pause_for)
            state.spacing, state.spacing_until = next_spacing(
                state.spacing, state.spacing_until, now, throttle
            )

    async def _apply_async(self, group: str, throttle: Throttle) -> None:
        self._apply(group, throttle)
