"""The in-memory limiter: one process, any number of threads and event loops.

Giving slots back. A call reserves its start on a GCRA timeline (advances the TAT) and then
sleeps until that start; if it is cancelled or times out while sleeping, its slot would go
unused. Whether the slot can be handed to somebody else depends on what was reserved after it:
- nothing (the TAT is still exactly the value this reservation set): putting the TAT back to its
  value before the reservation undoes it exactly, as if it never happened;
- a later reservation: its start was computed from this one's, and it keeps that start. Lowering
  the TAT by this call's share would let the next newcomer start together with the last waiter,
  two calls in one interval: a burst the limit forbids (a server enforcing the same GCRA answers
  429). The slot then stays reserved, remembered as a hole: when every reservation above it is
  given back too, the TAT steps down through it (so the order in which waiters are cancelled
  does not matter).
Each timeline (the group's own limit, its learned spreading, the API-wide limit) is undone
independently: each is its own GCRA with its own order of reservations.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from ._adaptive import AdaptivePolicy, Throttle, next_spacing
from ._base import BaseRateLimiter, Receipt, Step
from ._config import DEFAULT_GROUP, RateLimit, RateLimitTimeout
from ._gcra import advance, earliest_start

__all__ = ["RateLimiter"]


_MAX_HOLES = 256
"""Given-back reservations kept per group while something above them is still reserved."""


class _GroupState:
    __slots__ = ("holes", "learned_tat", "pause_until", "spacing", "spacing_until", "tat")

    def __init__(self) -> None:
        self.tat = 0.0
        self.pause_until = 0.0
        self.learned_tat = 0.0
        self.spacing = 0.0
        self.spacing_until = 0.0
        self.holes: list[tuple[str, float, float]] = []
        """(timeline, TAT before, TAT after) of given-back reservations below the TAT."""

    def give_back(self, timeline: str, before: float, after: float, now: float) -> None:
        """Undo one reservation of `timeline` ("tat" or "learned_tat"); see the module doc."""
        holes = self.holes
        if getattr(self, timeline) != after:
            # Dropping a hole is always safe (it only keeps a slot reserved); ones that ended in
            # the past are worth nothing, since a TAT behind `now` grants no start before `now`.
            holes[:] = [hole for hole in holes if hole[2] > now]
            if len(holes) < _MAX_HOLES:
                holes.append((timeline, before, after))
            return
        value = before
        stepped = True
        while stepped:
            stepped = False
            for index, (name, hole_before, hole_after) in enumerate(holes):
                if name == timeline and hole_after == value:
                    value = hole_before
                    del holes[index]
                    stepped = True
                    break
        setattr(self, timeline, value)


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
    ) -> tuple[Step, float, Receipt | None]:
        with self._lock:
            now = self._clock()
            own = self._state(group)
            own_limit = self._limits.get(group) if include_own else None
            spreading = include_own and own.spacing > 0.0 and now < own.spacing_until
            if include_own and own.pause_until > now:
                return Step.PAUSED, self._within(group, own.pause_until - now, max_wait), None
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
            # (state, timeline, TAT before, TAT after) for each timeline this step advanced
            receipt: list[tuple[_GroupState, str, float, float]] = []
            if own_limit is not None:
                before, own.tat = own.tat, advance(own.tat, start, weight, own_limit.interval)
                receipt.append((own, "tat", before, own.tat))
            if spreading:
                before = own.learned_tat
                own.learned_tat = advance(before, start, weight, own.spacing)
                receipt.append((own, "learned_tat", before, own.learned_tat))
            if step is Step.DONE and api is not None and api_limit is not None:
                before, api.tat = api.tat, advance(api.tat, start, weight, api_limit.interval)
                receipt.append((api, "tat", before, api.tat))
            return step, wait, tuple(receipt) if receipt else None

    def _give_back(self, receipts: list[Receipt]) -> None:
        with self._lock:
            now = self._clock()
            for receipt in reversed(receipts):
                for entry in reversed(receipt):
                    state, timeline, before, after = entry
                    state.give_back(timeline, before, after, now)

    @staticmethod
    def _within(group: str, wait: float, max_wait: float | None) -> float:
        if max_wait is not None and wait > max_wait:
            raise RateLimitTimeout(group, wait, max_wait)
        return wait

    async def _step_async(
        self, group: str, weight: float, max_wait: float | None, include_own: bool
    ) -> tuple[Step, float, Receipt | None]:
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
