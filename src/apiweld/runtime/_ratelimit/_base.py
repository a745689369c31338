"""What both limiter backends share: configuration, waiting (sync and async) and adaptation."""

from __future__ import annotations

import abc
import asyncio
import collections
import enum
import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from ._adaptive import AdaptivePolicy, Throttle, plan_throttle
from ._config import DEFAULT_GROUP, RateLimit, RateLimitTimeout
from ._headers import parse_rate_limit_headers

__all__ = ["IN_FLIGHT_HORIZON", "BaseRateLimiter", "Receipt", "Step"]

IN_FLIGHT_HORIZON = 60.0
"""Seconds after which an admitted call without an observed response no longer counts in flight."""
IN_FLIGHT_MAX = 10_000


class Step(enum.Enum):
    """The outcome of one reservation step (see `BaseRateLimiter._step`)."""

    DONE = 1
    OWN_RESERVED = 2
    PAUSED = 3


Receipt = tuple[Any, ...]
"""What one step reserved, in a form only the backend that made it reads (`_give_back`)."""


def _check_weight(weight: float) -> float:
    if isinstance(weight, bool) or not isinstance(weight, int | float):
        raise TypeError(f"rate limit weight must be a number, not {type(weight).__name__}")
    if not math.isfinite(weight) or weight <= 0:
        raise ValueError(f"rate limit weight must be a positive finite number, got {weight!r}")
    return float(weight)


def _check_timeout(timeout: float | None) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or math.isnan(timeout):
        raise TypeError(f"rate limit timeout must be a number or None, got {timeout!r}")
    return max(0.0, float(timeout))


class BaseRateLimiter(abc.ABC):
    """A client-side limiter: per API (the `"default"` group) and per endpoint group.

    Every call counts against the API-wide `limit` and against its own group's limit when one is
    configured. With `adaptive=True` (the default), `observe()` learns from each response's
    rate-limit headers and `Retry-After`, per group, and slows the group down before the server
    answers 429 (see `_adaptive.py`).
    """

    def __init__(
        self,
        limit: RateLimit | None = None,
        *,
        groups: Mapping[str, RateLimit] | None = None,
        adaptive: bool = True,
        policy: AdaptivePolicy | None = None,
        wall_clock: Callable[[], float] = time.time,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._now = clock
        self._sleep = sleep
        self._flight_lock = threading.Lock()
        self._in_flight: dict[str, collections.deque[float]] = {}
        limits: dict[str, RateLimit] = {}
        for name, group_limit in (groups or {}).items():
            if not isinstance(group_limit, RateLimit):
                raise TypeError(f"limit of group {name!r} must be a RateLimit")
            limits[name] = group_limit
        if limit is not None:
            if not isinstance(limit, RateLimit):
                raise TypeError("limit must be a RateLimit")
            if DEFAULT_GROUP in limits and limits[DEFAULT_GROUP] != limit:
                raise ValueError(
                    f"the API-wide limit is given twice: as `limit` and as group {DEFAULT_GROUP!r}"
                )
            limits[DEFAULT_GROUP] = limit
        self._limits = limits
        self._adaptive = adaptive
        self._policy = policy or AdaptivePolicy()
        self._wall_clock = wall_clock

    @property
    def limits(self) -> Mapping[str, RateLimit]:
        return dict(self._limits)

    # -- backend primitives -------------------------------------------------------------------

    @abc.abstractmethod
    def _step(
        self, group: str, weight: float, max_wait: float | None, include_own: bool
    ) -> tuple[Step, float, Receipt | None]:
        """One reservation step: what happened, how long to wait before going on, and a receipt
        for what it reserved (None: nothing, or a backend that cannot give slots back).

        A call is admitted in (at most) two steps so that a slow or paused group never holds a
        future slot of the API-wide budget (a GCRA timeline cannot hand out earlier slots behind a
        later reservation, so that would stall every other group until then):
        - `PAUSED`: the group is paused; nothing was reserved; wait, then step again;
        - `OWN_RESERVED`: the group's own budget was reserved for later; wait, then step again with
          `include_own=False` to take the API-wide budget;
        - `DONE`: everything was reserved; wait, then send.
        Raises `RateLimitTimeout`, reserving nothing in that step, when the wait exceeds `max_wait`.
        """

    @abc.abstractmethod
    async def _step_async(
        self, group: str, weight: float, max_wait: float | None, include_own: bool
    ) -> tuple[Step, float, Receipt | None]: ...

    def _give_back(self, receipts: list[Receipt]) -> None:
        """Release what the steps of a call that will not be sent reserved (see `_memory.py`).

        Must not block or await: it runs while a cancelled task unwinds. The default keeps the
        reservations (the Redis backend: see `_redis.py`)."""
        return None

    @abc.abstractmethod
    def pause_remaining(self, group: str) -> float:
        """Seconds until a pause of `group` (`Retry-After`, an empty quota) ends; 0 if none."""

    @abc.abstractmethod
    async def pause_remaining_async(self, group: str) -> float: ...

    @abc.abstractmethod
    def _apply(self, group: str, throttle: Throttle) -> None: ...

    @abc.abstractmethod
    async def _apply_async(self, group: str, throttle: Throttle) -> None: ...

    # -- the surface the client calls ---------------------------------------------------------

    def acquire(
        self, group: str = DEFAULT_GROUP, weight: float = 1.0, timeout: float | None = None
    ) -> float:
        """Block (this thread only) until a call of `group` may start; return the seconds waited.

        `timeout`: the longest wait allowed; `RateLimitTimeout` when more is needed. None waits
        as long as it takes.
        """
        weight = _check_weight(weight)
        timeout = _check_timeout(timeout)
        started = self._now()
        include_own = True
        slept = False
        receipts: list[Receipt] = []
        try:
            while True:
                left = None if timeout is None else max(0.0, timeout - (self._now() - started))
                step, wait, receipt = self._step(group, weight, left, include_own)
                if receipt is not None:
                    receipts.append(receipt)
                if wait > 0:
                    slept = True
                    self._sleep(wait)
                if step is Step.OWN_RESERVED:
                    include_own = False
                elif step is Step.DONE:
                    break
            # A pause may have been learned while this call slept (another caller's 429).
            while slept and (pause := self.pause_remaining(group)) > 0:
                if timeout is not None:
                    self._check_deadline(group, pause, timeout, self._now() - started)
                self._sleep(pause)
        except BaseException:
            # Timed out or interrupted: this call will not be sent, so its slots are not used.
            if receipts:
                self._give_back(receipts)
            raise
        self._admitted(group)
        return self._now() - started

    async def acquire_async(
        self, group: str = DEFAULT_GROUP, weight: float = 1.0, timeout: float | None = None
    ) -> float:
        """`acquire` for asyncio: waits with `asyncio.sleep`, never blocking the event loop."""
        weight = _check_weight(weight)
        timeout = _check_timeout(timeout)
        started = time.monotonic()
        include_own = True
        slept = False
        receipts: list[Receipt] = []
        try:
            while True:
                left = None if timeout is None else max(0.0, timeout - (time.monotonic() - started))
                step, wait, receipt = await self._step_async(group, weight, left, include_own)
                if receipt is not None:
                    receipts.append(receipt)
                if wait > 0:
                    slept = True
                    await asyncio.sleep(wait)
                if step is Step.OWN_RESERVED:
                    include_own = False
                elif step is Step.DONE:
                    break
            while slept and (pause := await self.pause_remaining_async(group)) > 0:
                if timeout is not None:
                    self._check_deadline(group, pause, timeout, time.monotonic() - started)
                await asyncio.sleep(pause)
        except BaseException:
            # Cancelled (a caller's timeout, a TaskGroup failing) or timed out while waiting:
            # the slots reserved for this call would go unused. Not awaited, so a cancelled
            # task gives them back at once, before its cancellation goes on.
            if receipts:
                self._give_back(receipts)
            raise
        self._admitted(group)
        return time.monotonic() - started

    @staticmethod
    def _check_deadline(group: str, wait: float, timeout: float, waited: float) -> None:
        if waited + wait > timeout:
            raise RateLimitTimeout(group, waited + wait, timeout)

    # -- calls in flight ----------------------------------------------------------------------
    # Admitted calls of this process whose responses have not been observed yet, per group, as
    # admission times. A response retires the oldest. A call that never gets a response (a
    # connection error) is forgotten after IN_FLIGHT_HORIZON, so the estimate cannot drift up.

    def _admitted(self, group: str) -> None:
        if not self._adaptive:
            return
        now = time.monotonic()
        with self._flight_lock:
            admitted = self._in_flight.get(group)
            if admitted is None:
                # bounded: a caller that never observes must not grow this without end
                admitted = self._in_flight[group] = collections.deque(maxlen=IN_FLIGHT_MAX)
            admitted.append(now)
            while admitted[0] < now - IN_FLIGHT_HORIZON:
                admitted.popleft()

    def _answered(self, group: str) -> int:
        with self._flight_lock:
            admitted = self._in_flight.get(group)
            if not admitted:
                return 0
            admitted.popleft()
            horizon = time.monotonic() - IN_FLIGHT_HORIZON
            while admitted and admitted[0] < horizon:
                admitted.popleft()
            return len(admitted)

    def _plan(self, group: str, status: int, headers: Mapping[str, str]) -> Throttle | None:
        if not self._adaptive:
            return None
        in_flight = self._answered(group)
        signals = parse_rate_limit_headers(headers, status, self._wall_clock())
        if not signals and status != 429:
            return None
        return plan_throttle(signals, status, self._policy, in_flight)

    def observe(self, group: str, status: int, headers: Mapping[str, str]) -> None:
        """Learn from a response of `group`. Malformed headers are ignored, never raised."""
        throttle = self._plan(group, status, headers)
        if throttle is not None:
            self._apply(group, throttle)

    async def observe_async(self, group: str, status: int, headers: Mapping[str, str]) -> None:
        """`observe` for asyncio (a shared backend updates its state without blocking the loop)."""
        throttle = self._plan(group, status, headers)
        if throttle is not None:
            await self._apply_async(group, throttle)
