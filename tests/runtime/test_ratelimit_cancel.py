"""A caller that gives up while the limiter holds it gives its slot back (in-memory limiter).

The arithmetic on a frozen clock first (pure logic: which slots come back and which must not),
then through the real `AsyncClient` against a loopback server, counting what gets through.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from runtime_loopback import LoopbackServer, Reply

from apiweld.runtime import AsyncClient, OperationSpec, RateLimit, RateLimiter, RetryPolicy
from apiweld.runtime._ratelimit import RateLimitTimeout

INTERVAL = 10.0  # one call per 10 s on a clock that never moves: waiters sleep, never wake


def frozen(groups: dict[str, RateLimit] | None = None) -> RateLimiter:
    limit = RateLimit(1, per=INTERVAL)
    return RateLimiter(limit, groups=groups, clock=lambda: 0.0, sleep=lambda seconds: None)


async def waiting(limiter: RateLimiter, count: int, group: str = "default") -> list[asyncio.Task]:
    tasks = [asyncio.create_task(limiter.acquire_async(group)) for _ in range(count)]
    await asyncio.sleep(0.05)  # every task has reserved its slot and sleeps on it
    assert not any(task.done() for task in tasks)
    return tasks


async def cancel(*tasks: asyncio.Task) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def admits_within(limiter: RateLimiter, seconds: float, group: str = "default") -> bool:
    try:
        limiter.acquire(group, timeout=seconds)
    except RateLimitTimeout:
        return False
    return True


async def test_cancelled_waiters_give_their_slots_back_in_any_order() -> None:
    limiter = frozen()
    limiter.acquire()  # the slot at 0 is used
    tasks = await waiting(limiter, 9)  # slots at 10, 20, ... 90
    await cancel(*tasks)  # first-reserved first: each is given back once all above it are
    # The next call gets the slot right after the one that was used, not one after 90.
    assert admits_within(limiter, 1.5 * INTERVAL)


async def test_a_slot_below_a_live_reservation_stays_reserved_until_that_one_goes() -> None:
    limiter = frozen()
    limiter.acquire()
    first, *middle, last = await waiting(limiter, 9)  # slots 10 .. 90
    await cancel(*middle)
    # `last` still waits on 90 and its start was computed from the slots below it: handing the
    # middle slots out now would put two calls into one interval. The next call goes after 90.
    assert not admits_within(limiter, 9.5 * INTERVAL)
    await cancel(last)  # now 90 and every hole below it down to `first` come back
    assert admits_within(limiter, 2.5 * INTERVAL)  # the slot at 20, right after `first`
    await cancel(first)  # below the call just admitted: kept, nothing is handed out twice
    assert admits_within(limiter, 3.5 * INTERVAL)
    assert not admits_within(limiter, 3.5 * INTERVAL)


async def test_group_budget_reserved_before_the_api_wide_one_is_given_back() -> None:
    limiter = frozen(groups={"search": RateLimit(1, per=5 * INTERVAL)})
    limiter.acquire("search")
    (task,) = await waiting(limiter, 1, "search")  # holds its group slot, API-wide one pending
    await cancel(task)
    assert admits_within(limiter, 5.5 * INTERVAL, "search")
    assert not admits_within(limiter, 5.5 * INTERVAL, "search")


def test_an_interrupted_sync_wait_gives_its_slot_back() -> None:
    interrupting = True

    def sleep(seconds: float) -> None:
        if interrupting:
            raise KeyboardInterrupt

    limiter = RateLimiter(RateLimit(1, per=INTERVAL), clock=lambda: 0.0, sleep=sleep)
    limiter.acquire()
    for _ in range(3):
        with pytest.raises(KeyboardInterrupt):
            limiter.acquire()
    interrupting = False
    assert admits_within(limiter, 1.5 * INTERVAL)  # would need 40 s had the slots been kept


# -- through the client, over HTTP ---------------------------------------------------------------

RATE = 10  # calls per second
PING = OperationSpec(id="ping", method="GET", path="/ping")
AFTER = OperationSpec(id="after", method="GET", path="/after")


async def test_requests_cancelled_in_the_limiter_leave_the_window_to_the_next_ones(
    server: LoopbackServer,
) -> None:
    """30 calls that give up after 0.3 s reserve 3 s of a 10/s budget; had their slots been kept,
    nothing else could be sent for the next 2.7 s. Counts, with wide margins; no timing is
    asserted."""
    server.script("/ping", Reply(200, {}))
    server.script("/after", Reply(200, {}))
    limiter = RateLimiter(RateLimit(RATE, per=1))
    async with AsyncClient(
        base_url=server.url, rate_limiter=limiter, retry=RetryPolicy.disabled()
    ) as client:
        impatient = [asyncio.wait_for(client.request(PING), 0.3) for _ in range(30)]
        outcomes = await asyncio.gather(*impatient, return_exceptions=True)
        gave_up = sum(isinstance(outcome, TimeoutError) for outcome in outcomes)
        assert gave_up >= 20  # at most ~4 fit into 0.3 s at 10/s

        # A window of one second: ~10 calls fit when the abandoned slots came back, 0 otherwise.
        later = [asyncio.create_task(client.request(AFTER)) for _ in range(30)]
        await asyncio.sleep(1.0)
        for task in later:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*later, return_exceptions=True)
    assert server.hits("/after") >= 4
    assert server.hits("/ping") + gave_up == 30
