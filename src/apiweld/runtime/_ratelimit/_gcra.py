"""GCRA (the generic cell rate algorithm), the arithmetic shared by both limiter backends.

Why GCRA rather than a token bucket: it is a token bucket in disguise (same admitted traffic for
the same rate and burst) but its whole state is one number, the theoretical arrival time (TAT) of
the next call. One number is one Redis hash field updated by one short Lua script, with no refill
loop and no float drift from repeated top-ups; and it turns naturally into a *reservation*: the
earliest start time of a call is computed, the TAT is advanced past it, and the caller sleeps until
then. Reserving (instead of "try, sleep, try again") keeps callers in FIFO order, costs one Redis
round trip per call and never wastes budget on retries that race each other.

The Lua script in `_redis.py` implements exactly these two functions; keep them in step.
"""

from __future__ import annotations

__all__ = ["advance", "earliest_start"]


def earliest_start(
    tat: float, not_before: float, weight: float, interval: float, burst: float
) -> float:
    """The earliest time, no earlier than `not_before`, at which a call of `weight` conforms.

    A call conforms when, after it, the TAT is at most `burst` intervals ahead of its start. A call
    heavier than the burst conforms from idle (the burst is widened to its weight) so it can run.
    """
    allowance = max(burst, weight)
    return max(not_before, tat + (weight - allowance) * interval)


def advance(tat: float, start: float, weight: float, interval: float) -> float:
    """The TAT after a call of `weight` that starts at `start`."""
    return max(tat, start) + weight * interval
