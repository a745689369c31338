"""The Redis limiter: many processes on many machines share one budget.

Each admission step (see `BaseRateLimiter._step`; one step, so one round trip, unless the group's
own limit makes the call wait) runs one Lua script that reads the Redis server's clock (`TIME`),
so the machines' own clocks never matter, and computes and reserves the call's start atomically
(the GCRA of `_gcra.py`). The script returns how long to wait; the caller sleeps that long locally
and, if it slept, re-checks the group's pause (a `Retry-After` another process learned meanwhile).

`fail_open=True` lets calls through, unlimited, while Redis cannot be reached (logged as a
warning at most once a minute) instead of failing them with `StateBackendError`: for APIs where an
outage of the limiter must not become an outage of the integration.

State, one hash per group under `{namespace}:<group>` (the braces keep all of a namespace's keys on
one Redis Cluster slot): `tat` of the configured limit, `pause_until`, and the learned spreading
`spacing`, `spacing_until`, `learned_tat`; times are Redis-server epoch seconds. Keys expire a
minute after the last time they refer to.

The configured limits travel with each call: every process of one deployment must configure the
same limits (they come from the same `apiweld.toml` or generated client).

A caller cancelled (or timed out) while it waits keeps its reservation: its slot goes unused,
one slot per abandoned call. The in-memory limiter gives such slots back when nothing was reserved
after them (see `_memory.py`); here that would take a Redis round trip from a task that is being
cancelled (delaying its cancellation by a network wait, or racing it when run in the background)
and, across processes, the slot is usually no longer the last one anyway. A wasted slot costs
one interval of the budget once; the state heals by itself as time passes.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .._state._errors import StateBackendError
from .._state._redis_clients import RedisHandles, running_loop
from ._adaptive import WINDOW_TOLERANCE, AdaptivePolicy, Throttle
from ._base import BaseRateLimiter, Step
from ._config import DEFAULT_GROUP, RateLimit, RateLimitTimeout

if TYPE_CHECKING:
    import redis
    import redis.asyncio

__all__ = ["RedisRateLimiter"]

logger = logging.getLogger("apiweld.runtime.ratelimit")
_WARN_EVERY = 60.0

# Older servers (< 5.0) need script effects replication to write after reading TIME.
_PRELUDE = """
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local function fmt(x) return string.format('%.6f', x) end
local function keep_until(key, until_time)
  local ms = math.ceil((until_time - now + 60) * 1000)
  if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, ms) end
end
"""

# One step of `BaseRateLimiter._step`. KEYS[1] the group's hash, KEYS[2] the API-wide hash.
# ARGV weight, max_wait (<0: none), include_own (1/0), group interval, group burst, api interval,
# api burst (interval 0: no configured limit). Returns {code, wait seconds as a string}, code
# 0 timeout (nothing reserved), 1 done, 2 own budget reserved (API-wide pending), 3 paused.
_STEP = (
    _PRELUDE
    + """
local weight = tonumber(ARGV[1])
local max_wait = tonumber(ARGV[2])
local include_own = ARGV[3] == '1'
local own_iv, own_burst = tonumber(ARGV[4]), tonumber(ARGV[5])
local api_iv, api_burst = tonumber(ARGV[6]), tonumber(ARGV[7])
local tat, learned_tat, spacing, spacing_until = 0, 0, 0, 0
if include_own then
  local s = redis.call('HMGET', KEYS[1],
    'tat', 'pause_until', 'learned_tat', 'spacing', 'spacing_until')
  local pause_until = tonumber(s[2]) or 0
  if pause_until > now then
    local wait = pause_until - now
    if max_wait >= 0 and wait > max_wait then return {0, tostring(wait)} end
    return {3, tostring(wait)}
  end
  tat = tonumber(s[1]) or 0
  learned_tat = tonumber(s[3]) or 0
  spacing = tonumber(s[4]) or 0
  spacing_until = tonumber(s[5]) or 0
else
  own_iv = 0
end

local function earliest(cur_tat, not_before, iv, burst)
  local allowance = math.max(burst, weight)
  return math.max(not_before, cur_tat + (weight - allowance) * iv)
end
local start = now
if own_iv > 0 then start = earliest(tat, start, own_iv, own_burst) end
local spreading = include_own and spacing > 0 and now < spacing_until
if spreading then start = earliest(learned_tat, start, spacing, 1) end
local step = 1
local api_tat = 0
if api_iv > 0 then
  if start > now then
    step = 2
  else
    api_tat = tonumber(redis.call('HGET', KEYS[2], 'tat')) or 0
    start = earliest(api_tat, start, api_iv, api_burst)
  end
end
local wait = start - now
if max_wait >= 0 and wait > max_wait then return {0, tostring(wait)} end

if own_iv > 0 then
  tat = math.max(tat, start) + weight * own_iv
  redis.call('HSET', KEYS[1], 'tat', fmt(tat))
end
if spreading then
  learned_tat = math.max(learned_tat, start) + weight * spacing
  redis.call('HSET', KEYS[1], 'learned_tat', fmt(learned_tat))
end
if own_iv > 0 or spreading then
  keep_until(KEYS[1], math.max(tat, learned_tat, spacing_until))
end
if step == 1 and api_iv > 0 then
  api_tat = math.max(api_tat, start) + weight * api_iv
  redis.call('HSET', KEYS[2], 'tat', fmt(api_tat))
  keep_until(KEYS[2], api_tat)
end
return {step, tostring(wait)}
"""
)

_PAUSE_REMAINING = (
    _PRELUDE
    + """
local pause_until = tonumber(redis.call('HGET', KEYS[1], 'pause_until')) or 0
return tostring(math.max(0, pause_until - now))
"""
)

# `_adaptive.next_spacing` plus the pause. ARGV relax (1/0), pause_for, spacing, spacing_for,
# relax_reset (<0: none), window tolerance; seconds from now. Returns 1 if it changed the spacing.
_APPLY = (
    _PRELUDE
    + """
local s = redis.call('HMGET', KEYS[1], 'spacing', 'spacing_until')
local cur_spacing, cur_until = tonumber(s[1]) or 0, tonumber(s[2]) or 0
local active = cur_spacing > 0 and now < cur_until
local tolerance = tonumber(ARGV[6])
if ARGV[1] == '1' then
  local reset = tonumber(ARGV[5])
  if active and reset >= 0 and now + reset <= cur_until + tolerance then return 0 end
  if redis.call('EXISTS', KEYS[1]) == 1 then
    redis.call('HSET', KEYS[1], 'spacing', '0', 'spacing_until', '0')
  end
  return 1
end
local pause_for, spacing, spacing_for = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local changed = 0
local horizon = now
if pause_for > 0 then
  local pause_until = tonumber(redis.call('HGET', KEYS[1], 'pause_until')) or 0
  pause_until = math.max(pause_until, now + pause_for)
  redis.call('HSET', KEYS[1], 'pause_until', fmt(pause_until))
  horizon = math.max(horizon, pause_until)
end
local new_until = now + spacing_for
local late = active and spacing < cur_spacing and new_until <= cur_until + tolerance
if spacing > 0 and not late then
  redis.call('HSET', KEYS[1], 'spacing', fmt(spacing), 'spacing_until', fmt(new_until))
  horizon = math.max(horizon, new_until)
  changed = 1
end
keep_until(KEYS[1], horizon)
return changed
"""
)


_STEPS = {1: Step.DONE, 2: Step.OWN_RESERVED, 3: Step.PAUSED}


def _seconds(raw: Any) -> float:
    return float(raw.decode() if isinstance(raw, bytes) else raw)


class RedisRateLimiter(BaseRateLimiter):
    """A limiter whose budget and learned state live in Redis, shared by every process using it.

    `url_or_client`: a `redis://` URL (sync and asyncio clients are made from it on first use), a
    `redis.Redis` (sync use; give `async_client=` for async use too) or a `redis.asyncio.Redis`
    (async use). `namespace` separates APIs (or deployments) sharing one Redis.
    """

    def __init__(
        self,
        url_or_client: str | redis.Redis | redis.asyncio.Redis,
        limit: RateLimit | None = None,
        *,
        groups: Mapping[str, RateLimit] | None = None,
        namespace: str = "apiweld:ratelimit",
        adaptive: bool = True,
        policy: AdaptivePolicy | None = None,
        async_client: redis.asyncio.Redis | None = None,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        fail_open: bool = False,
    ) -> None:
        super().__init__(
            limit,
            groups=groups,
            adaptive=adaptive,
            policy=policy,
            wall_clock=wall_clock,
            sleep=sleep,
        )
        if not namespace or "{" in namespace or "}" in namespace:
            raise ValueError(f"namespace must be non-empty and free of braces, got {namespace!r}")
        self._namespace = namespace
        self._fail_open = fail_open
        self._last_warning = -math.inf
        self._redis = RedisHandles.create(url_or_client, async_client)
        # Groups this process told to spread; only those get a "relax" write, so a comfortable
        # response does not cost a Redis round trip on every call.
        self._spreading: set[str] = set()
        self._background: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return (
            f"RedisRateLimiter({self._redis.where}, namespace={self._namespace!r}, "
            f"limits={self._limits!r}, adaptive={self._adaptive})"
        )

    def key(self, group: str) -> str:
        return f"{{{self._namespace}}}:{group}"

    def _step_args(
        self, group: str, weight: float, max_wait: float | None, include_own: bool
    ) -> tuple[list[str], list[str]]:
        own = self._limits.get(group)
        api = self._limits.get(DEFAULT_GROUP) if group != DEFAULT_GROUP else None
        args = [
            repr(weight),
            "-1" if max_wait is None else repr(max_wait),
            "1" if include_own else "0",
            repr(own.interval) if own else "0",
            repr(own.burst) if own else "0",
            repr(api.interval) if api else "0",
            repr(api.burst) if api else "0",
        ]
        return [self.key(group), self.key(DEFAULT_GROUP)], args

    @staticmethod
    def _outcome(group: str, reply: Any, max_wait: float | None) -> tuple[Step, float, None]:
        code, wait = int(reply[0]), max(0.0, _seconds(reply[1]))
        if code == 0:
            raise RateLimitTimeout(group, wait, max_wait if max_wait is not None else 0.0)
        # No receipt: a reservation here is kept even when its caller is cancelled (see the
        # module docstring).
        return _STEPS[code], wait, None

    def _step(
        self, group: str, weight: float, max_wait: float | None, include_own: bool
    ) -> tuple[Step, float, None]:
        keys, args = self._step_args(group, weight, max_wait, include_own)
        try:
            script = self._redis.script(_STEP)
            reply = self._redis.call("rate-limit reserve", lambda: script(keys=keys, args=args))
        except StateBackendError as exc:
            self._open_or_raise(exc)
            return Step.DONE, 0.0, None
        return self._outcome(group, reply, max_wait)

    async def _step_async(
        self, group: str, weight: float, max_wait: float | None, include_own: bool
    ) -> tuple[Step, float, None]:
        keys, args = self._step_args(group, weight, max_wait, include_own)
        try:
            script = self._redis.script_async(_STEP)
            reply = await self._redis.call_async(
                "rate-limit reserve", lambda: script(keys=keys, args=args)
            )
        except StateBackendError as exc:
            self._open_or_raise(exc)
            return Step.DONE, 0.0, None
        return self._outcome(group, reply, max_wait)

    def _open_or_raise(self, exc: StateBackendError) -> None:
        if not self._fail_open:
            raise exc
        now = time.monotonic()
        if now - self._last_warning >= _WARN_EVERY:
            self._last_warning = now
            logger.warning("rate limiting suspended (fail_open): %s", exc)

    def pause_remaining(self, group: str) -> float:
        try:
            script = self._redis.script(_PAUSE_REMAINING)
            reply = self._redis.call(
                "rate-limit pause check", lambda: script(keys=[self.key(group)])
            )
        except StateBackendError as exc:
            self._open_or_raise(exc)
            return 0.0
        return _seconds(reply)

    async def pause_remaining_async(self, group: str) -> float:
        try:
            script = self._redis.script_async(_PAUSE_REMAINING)
            reply = await self._redis.call_async(
                "rate-limit pause check", lambda: script(keys=[self.key(group)])
            )
        except StateBackendError as exc:
            self._open_or_raise(exc)
            return 0.0
        return _seconds(reply)

    def _apply_args(self, group: str, throttle: Throttle) -> list[str] | None:
        if throttle.relax and group not in self._spreading:
            return None
        if throttle.spacing > 0:
            self._spreading.add(group)
        return [
            "1" if throttle.relax else "0",
            repr(throttle.pause_for),
            repr(throttle.spacing),
            repr(throttle.spacing_for),
            "-1" if throttle.relax_reset is None else repr(throttle.relax_reset),
            repr(WINDOW_TOLERANCE),
        ]

    def _applied(self, group: str, args: list[str], reply: Any) -> None:
        if args[0] == "1" and int(reply) == 1:
            self._spreading.discard(group)

    def _apply(self, group: str, throttle: Throttle) -> None:
        args = self._apply_args(group, throttle)
        if args is None:
            return
        if not self._redis.has_sync:
            # Only an asyncio client: a sync observe() from async code is written in the background.
            loop = running_loop()
            if loop is None:
                raise TypeError("observe() needs a sync Redis client; use observe_async()")
            task = loop.create_task(self._apply_args_async(group, args))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return
        try:
            script = self._redis.script(_APPLY)
            reply = self._redis.call(
                "rate-limit observe", lambda: script(keys=[self.key(group)], args=args)
            )
        except StateBackendError as exc:
            self._open_or_raise(exc)
            return
        self._applied(group, args, reply)

    async def _apply_args_async(self, group: str, args: list[str]) -> None:
        try:
            script = self._redis.script_async(_APPLY)
            reply = await self._redis.call_async(
                "rate-limit observe", lambda: script(keys=[self.key(group)], args=args)
            )
        except StateBackendError as exc:
            self._open_or_raise(exc)
            return
        self._applied(group, args, reply)

    async def _apply_async(self, group: str, throttle: Throttle) -> None:
        args = self._apply_args(group, throttle)
        if args is not None:
            await self._apply_args_async(group, args)

    def reset(self, group: str) -> None:
        """Forget all state of `group` (budget, pause, learned spreading), for every process."""
        self._redis.call("rate-limit reset", lambda: self._redis.sync.delete(self.key(group)))

    def close(self) -> None:
        self._redis.close()

    async def aclose(self) -> None:
        await self._redis.aclose()
