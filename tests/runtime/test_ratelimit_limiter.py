"""The in-memory limiter: GCRA arithmetic and adaptation on a fake clock, then real waiting."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from apiweld.runtime._ratelimit import (
    AdaptivePolicy,
    RateLimit,
    RateLimiter,
    RateLimitTimeout,
)

NOW = 1_800_000_000.0


class FakeClock:
    """Monotonic time that only moves when the limiter sleeps (or a test says so)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def limiter(
    limit: RateLimit | None = None,
    groups: dict[str, RateLimit] | None = None,
    *,
    adaptive: bool = True,
    policy: AdaptivePolicy | None = None,
) -> tuple[RateLimiter, FakeClock]:
    clock = FakeClock()
    rl = RateLimiter(
        limit,
        groups=groups,
        adaptive=adaptive,
        policy=policy,
        clock=clock,
        sleep=clock.sleep,
        wall_clock=lambda: NOW,
    )
    return rl, clock


def waits(rl: RateLimiter, group: str, count: int, weight: float = 1.0) -> list[float]:
    return [round(rl.acquire(group, weight), 6) for _ in range(count)]


def test_calls_are_spaced_by_the_emission_interval() -> None:
    rl, clock = limiter(RateLimit(10, per=1))
    assert waits(rl, "default", 4) == [0.0, 0.1, 0.1, 0.1]
    assert clock.now == pytest.approx(1000.3)


def test_burst_allows_that_many_at_once_then_spaces() -> None:
    rl, clock = limiter(RateLimit(10, per=1, burst=3))
    assert waits(rl, "default", 5) == [0.0, 0.0, 0.0, 0.1, 0.1]
    clock.now += 10  # long idle: the budget refills to the burst, not beyond
    assert waits(rl, "default", 4) == [0.0, 0.0, 0.0, 0.1]


def test_weight_counts_as_that_many_calls() -> None:
    rl, _ = limiter(RateLimit(10, per=1))
    assert waits(rl, "default", 1, weight=5) == [0.0]
    assert waits(rl, "default", 1) == [0.5]


def test_weight_heavier_than_burst_still_runs_from_idle() -> None:
    rl, _ = limiter(RateLimit(1, per=1, burst=2))
    assert waits(rl, "default", 1, weight=5) == [0.0]
    assert waits(rl, "default", 1) == [4.0]


def test_group_limit_and_api_wide_limit_both_apply() -> None:
    rl, _ = limiter(RateLimit(10, per=1), groups={"search": RateLimit(2, per=1)})
    assert waits(rl, "search", 3) == [0.0, 0.5, 0.5]  # the group's own, slower limit
    assert waits(rl, "pets", 3) == [0.1, 0.1, 0.1]  # the API-wide limit, just used by search
    rl2, _ = limiter(RateLimit(2, per=1), groups={"search": RateLimit(10, per=1)})
    assert waits(rl2, "search", 3) == [0.0, 0.5, 0.5]  # the API-wide limit is the slower one


def test_a_slow_group_does_not_hold_back_other_groups() -> None:
    rl = RateLimiter(RateLimit(100, per=1), groups={"search": RateLimit(2, per=1)})
    rl.acquire("search")
    waiting = [threading.Thread(target=rl.acquire, args=("search",)) for _ in range(3)]
    for thread in waiting:
        thread.start()
    time.sleep(0.05)  # the three search calls now hold slots 0.5, 1.0 and 1.5 s ahead
    started = time.monotonic()
    for _ in range(10):
        rl.acquire("pets")
    assert time.monotonic() - started < 1.0  # about 0.1 s at 100/s, not behind 1.5 s of search
    for thread in waiting:
        thread.join()


def test_unconfigured_group_without_api_limit_is_unlimited() -> None:
    rl, _ = limiter(groups={"search": RateLimit(1)})
    assert set(waits(rl, "pets", 100)) == {0.0}


def test_timeout_raises_before_taking_any_budget() -> None:
    rl, clock = limiter(RateLimit(1, per=1))
    rl.acquire("default")
    with pytest.raises(RateLimitTimeout) as info:
        rl.acquire("default", timeout=0.5)
    assert info.value.group == "default" and info.value.wait == pytest.approx(1.0)
    assert "0.500s allowed" in str(info.value)
    assert isinstance(info.value, TimeoutError)
    assert clock.now == 1000.0  # it did not wait either
    assert waits(rl, "default", 1) == [1.0]  # the refused call took nothing


def test_retry_after_pauses_only_the_group_that_got_it() -> None:
    rl, _ = limiter(RateLimit(100))
    rl.observe("search", 429, {"Retry-After": "3"})
    assert rl.pause_remaining("search") == pytest.approx(3.0)
    assert waits(rl, "pets", 1) == [0.0]  # not behind the paused group
    assert waits(rl, "search", 1) == [3.0]
    assert rl.pause_remaining("search") == 0.0


def test_pause_longer_than_timeout_raises() -> None:
    rl, _ = limiter()
    rl.observe("default", 503, {"Retry-After": "30"})
    with pytest.raises(RateLimitTimeout):
        rl.acquire("default", timeout=5)


def test_low_remaining_spreads_the_rest_until_reset_then_relaxes() -> None:
    rl, _ = limiter()  # no configured limit: only what the server says
    headers = {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "4", "X-RateLimit-Reset": "2"}
    rl.observe("default", 200, headers)
    assert waits(rl, "default", 3) == [0.0, 0.5, 0.5]
    # a late response of the same window (more left, before the calls since) changes nothing
    rl.observe("default", 200, {**headers, "X-RateLimit-Remaining": "90"})
    assert waits(rl, "default", 1) == [0.5]
    # the next window is comfortable: spreading ends
    rl.observe(
        "default", 200, {**headers, "X-RateLimit-Remaining": "90", "X-RateLimit-Reset": "60"}
    )
    assert waits(rl, "default", 3) == [0.0, 0.0, 0.0]


def test_calls_in_flight_are_deducted_from_the_remaining_budget() -> None:
    rl, _ = limiter()
    headers = {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "4", "X-RateLimit-Reset": "6"}
    waits(rl, "default", 4)  # four calls admitted, no response seen yet
    rl.observe("default", 200, headers)  # one answered: three still in flight spend 3 of the 4
    assert waits(rl, "default", 2) == [0.0, 6.0]  # one call left until the reset, spread over 6 s
    later = {**headers, "X-RateLimit-Remaining": "90", "X-RateLimit-Reset": "60"}
    for _ in range(5):
        rl.observe("default", 200, later)
    assert waits(rl, "default", 2) == [0.0, 0.0]  # every call answered, a new window: relaxed


def test_spreading_ends_at_the_reset_time() -> None:
    rl, clock = limiter()
    rl.observe("default", 200, {"X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "4"})
    assert waits(rl, "default", 2) == [0.0, 4.0]
    clock.now += 0.5  # past the reset: the spreading expired on its own
    assert waits(rl, "default", 2) == [0.0, 0.0]


def test_zero_remaining_pauses_until_reset_epoch() -> None:
    rl, _ = limiter()
    rl.observe(
        "default", 200, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 6)}
    )
    assert waits(rl, "default", 1) == [6.0]


def test_ietf_headers_drive_the_limiter() -> None:
    rl, _ = limiter()
    rl.observe("default", 200, {"RateLimit-Policy": '"p";q=100;w=10', "RateLimit": '"p";r=5;t=10'})
    assert waits(rl, "default", 3) == [0.0, 2.0, 2.0]


def test_not_adaptive_ignores_the_server() -> None:
    rl, _ = limiter(adaptive=False)
    rl.observe("default", 429, {"Retry-After": "30", "X-RateLimit-Remaining": "0"})
    assert waits(rl, "default", 1) == [0.0]


def test_custom_policy_thresholds() -> None:
    rl, _ = limiter(policy=AdaptivePolicy(low_water_fraction=0.5))
    rl.observe(
        "default",
        200,
        {"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "5", "X-RateLimit-Reset": "5"},
    )
    assert waits(rl, "default", 2) == [0.0, 1.0]


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf")])
def test_bad_configuration_is_refused_clearly(bad: float) -> None:
    with pytest.raises(ValueError, match=r"RateLimit\.rate must be a positive finite number"):
        RateLimit(bad)
    rl = RateLimiter(RateLimit(1))
    with pytest.raises((ValueError, TypeError), match="weight"):
        rl.acquire("default", weight=bad)


def test_api_limit_given_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="given twice"):
        RateLimiter(RateLimit(1), groups={"default": RateLimit(2)})


# -- real waiting -----------------------------------------------------------------------------


def test_acquire_really_waits_and_times_out() -> None:
    rl = RateLimiter(RateLimit(20, per=1))
    started = time.monotonic()
    for _ in range(5):
        rl.acquire("default")
    assert time.monotonic() - started >= 0.19
    with pytest.raises(RateLimitTimeout):
        for _ in range(10):
            threading.Thread(target=rl.acquire, args=("default",)).start()
        time.sleep(0.01)
        rl.acquire("default", timeout=0.2)  # behind ten queued calls: 0.5 s away


def test_threads_get_distinct_evenly_spaced_slots() -> None:
    rl = RateLimiter(RateLimit(500, per=1))
    stamps: list[float] = []
    guard = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            rl.acquire("default")
            with guard:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(16)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(stamps) == 160
    # 160 slots 2 ms apart: never faster than the rate (no slot handed out twice)
    assert max(stamps) - started >= 0.3


async def test_acquire_async_does_not_block_the_event_loop() -> None:
    rl = RateLimiter(RateLimit(10, per=1))
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    started = time.monotonic()
    for _ in range(4):
        await rl.acquire_async("default")
    elapsed = time.monotonic() - started
    stop.set()
    await task
    assert elapsed >= 0.29
    assert ticks >= 8  # the loop kept running while the limiter waited (about 30 ticks)


async def test_async_pause_learned_while_waiting_is_honoured() -> None:
    rl = RateLimiter(RateLimit(10, per=1))
    await rl.acquire_async("default")

    async def late_429() -> None:
        await asyncio.sleep(0.02)
        rl.observe("default", 429, {"Retry-After": "1"})

    started = time.monotonic()
    hint = asyncio.create_task(late_429())
    await rl.acquire_async("default")  # reserved for +0.1 s, then paused until about +1.02 s
    await hint
    assert time.monotonic() - started >= 0.95
    with pytest.raises(RateLimitTimeout):
        rl.observe("default", 429, {"Retry-After": "5"})
        await rl.acquire_async("default", timeout=0.5)
