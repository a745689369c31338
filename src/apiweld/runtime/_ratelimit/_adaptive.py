"""From what a server said to what the limiter should do (pure, no clocks, no I/O).

The policy, per endpoint group:
- `Retry-After` on a 429/503 pauses the group for that long (capped by `max_pause`);
- a quota with nothing left pauses the group until it resets;
- calls admitted but not yet answered (in flight) are deducted from what the server says is left;
- a quota running low (at or below `low_water_fraction` of its limit, or `min_low_water` calls when
  the limit is not told) spreads what is left evenly over the time to reset, so the budget lasts
  until the reset instead of being spent at once and answered with 429s;
- a comfortable quota lifts an earlier spreading (the server refilled it), but within the window
  being spread a late response never loosens it (see `next_spacing`);
- a bare 429 with none of the above pauses briefly (`pause_on_429`), so concurrent callers stop
  hammering while the retry layer backs off.
Several quotas in one response (IETF policies, or X- and IETF headers together): the strictest wins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ._headers import QuotaObservation, ServerSignals

__all__ = ["WINDOW_TOLERANCE", "AdaptivePolicy", "Throttle", "next_spacing", "plan_throttle"]


@dataclass(frozen=True, slots=True)
class AdaptivePolicy:
    low_water_fraction: float = 0.2
    min_low_water: float = 5.0
    pause_on_429: float = 1.0
    max_pause: float = 900.0
    """A server asking for longer pauses is capped: callers with a timeout fail fast anyway."""


@dataclass(frozen=True, slots=True)
class Throttle:
    """What to apply to a group, in seconds from the moment the response was observed."""

    pause_for: float = 0.0
    """No call of the group starts before now + pause_for."""
    spacing: float = 0.0
    """While spreading: at least this many seconds between calls (per unit of weight)..."""
    spacing_for: float = 0.0
    """... until now + spacing_for (the quota's reset)."""
    relax: bool = False
    """The server reports a comfortable budget: end any spreading learned earlier..."""
    relax_reset: float | None = None
    """... unless that budget resets with the window being spread (then the response is late
    news from before the spreading began); None when the server gave no reset."""


def _low_water(quota: QuotaObservation, policy: AdaptivePolicy) -> float:
    if quota.limit is None or quota.limit <= 0:
        return policy.min_low_water
    return max(1.0, math.ceil(quota.limit * policy.low_water_fraction))


def plan_throttle(
    signals: ServerSignals, status: int, policy: AdaptivePolicy, in_flight: int = 0
) -> Throttle | None:
    """The throttle to apply after a response, or None when the response says nothing usable.

    `in_flight`: calls already admitted whose responses have not been seen; they will spend some
    of the remaining budget before any call admitted from now on, so they are deducted first.
    """
    pause = 0.0
    spacing = 0.0
    spacing_for = 0.0
    comfortable = False
    relax_reset: float | None = None
    for quota in signals.quotas:
        if quota.remaining is None:
            continue
        remaining = quota.remaining - in_flight
        if remaining < 1:
            if quota.reset_after is not None:
                pause = max(pause, quota.reset_after)
            elif status == 429:
                pause = max(pause, policy.pause_on_429)
        elif quota.reset_after is None or quota.reset_after <= 0:
            comfortable = True  # no reset to spread over: nothing to learn beyond "not empty"
        elif remaining <= _low_water(quota, policy):
            interval = quota.reset_after / remaining
            if interval > spacing:
                spacing = interval
            spacing_for = max(spacing_for, quota.reset_after)
        else:
            comfortable = True
            relax_reset = max(relax_reset or 0.0, quota.reset_after)
    if signals.retry_after is not None:
        pause = max(pause, signals.retry_after)
    elif status == 429 and pause == 0.0:
        pause = policy.pause_on_429
    pause = min(pause, policy.max_pause)
    spacing = min(spacing, policy.max_pause)
    spacing_for = min(spacing_for, policy.max_pause)
    if pause > 0.0 or spacing > 0.0:
        return Throttle(pause_for=pause, spacing=spacing, spacing_for=spacing_for)
    if comfortable:
        return Throttle(relax=True, relax_reset=relax_reset)
    return None


WINDOW_TOLERANCE = 1.0
"""Seconds within which two announced resets are the same window (resets are whole seconds)."""


def next_spacing(
    spacing: float, until: float, now: float, throttle: Throttle
) -> tuple[float, float]:
    """A group's learned (spacing, spacing_until) after `throttle`, observed at `now`.

    Within the window being spread, a throttle may only tighten: responses arrive out of order
    under concurrency, and a late one still reports the larger budget that was left before the
    calls answered since; loosening on it would spend budget that is already gone. A response
    from a later window (or the end of the spread window) loosens as it says.
    """
    active = spacing > 0.0 and now < until
    if throttle.relax:
        reset = throttle.relax_reset
        if active and reset is not None and now + reset <= until + WINDOW_TOLERANCE:
            return spacing, until
        return 0.0, 0.0
    if throttle.spacing > 0.0:
        new_until = now + throttle.spacing_for
        if active and throttle.spacing < spacing and new_until <= until + WINDOW_TOLERANCE:
            return spacing, until
        return throttle.spacing, new_until
    return spacing, until
