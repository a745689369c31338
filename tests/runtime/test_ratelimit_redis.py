"""The Redis limiter against the real Redis on 127.0.0.1:6379 (fails, not skips, when CI=true).

Several limiter instances with one namespace stand for several processes: they must share the
budget, the pauses and the learned spreading. Sleeps are recorded instead of slept where the
test is about the computed waits (Redis' clock still runs; margins allow for it).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import pytest

from apiweld.runtime._ratelimit import RateLimit, RateLimitTimeout, RedisRateLimiter
from apiweld.runtime._state import StateBackendError


class Sleeps(list[float]):
    """Records each wait instead of sleeping, and the moment it would have ended (`targets`):
    differences between targets are the spacing Redis handed out, whatever time passed between
    the calls on a busy machine."""

    def __init__(self) -> None:
        super().__init__()
        self.targets: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.append(round(seconds, 3))
        self.targets.append(time.monotonic() + seconds)

    def gaps(self) -> list[float]:
        return [round(b - a, 3) for a, b in zip(self.targets, self.targets[1:], strict=False)]


def limiter(
    url: str, namespace: str, limit: RateLimit | None = None, **kwargs: object
) -> tuple[RedisRateLimiter, Sleeps]:
    sleeps = Sleeps()
    rl = RedisRateLimiter(url, limit, namespace=namespace, sleep=sleeps, **kwargs)  # type: ignore[arg-type]
    return rl, sleeps


def test_instances_share_one_budget(redis_url: str, namespace: str) -> None:
    a, a_sleeps = limiter(redis_url, namespace, RateLimit(10, per=1))
    b, b_sleeps = limiter(redis_url, namespace, RateLimit(10, per=1))
    a.acquire()
    b.acquire()
    a.acquire()
    b.acquire()
    # slots 0.1 s apart, alternating between the instances: b, a, b
    targets = sorted(a_sleeps.targets + b_sleeps.targets)
    assert [round(t - targets[0], 3) for t in targets] == pytest.approx([0, 0.1, 0.2], abs=0.01)
    assert a_sleeps.targets[0] == targets[1]


def test_other_namespaces_are_independent(redis_url: str, namespace: str) -> None:
    a, _ = limiter(redis_url, namespace, RateLimit(1, per=1))
    b, b_sleeps = limiter(redis_url, namespace + "-other", RateLimit(1, per=1))
    a.acquire()
    b.acquire()
    assert b_sleeps == []
    b.reset("default")


def test_timeout_takes_nothing(redis_url: str, namespace: str) -> None:
    a, sleeps = limiter(redis_url, namespace, RateLimit(1, per=1))
    a.acquire()
    with pytest.raises(RateLimitTimeout) as info:
        a.acquire(timeout=0.5)
    assert 0.5 < info.value.wait <= 1.0
    a.acquire()
    assert len(sleeps) == 1 and 0.5 < sleeps[0] <= 1.0  # the second slot, not the third


def test_retry_after_learned_by_one_pauses_the_others(redis_url: str, namespace: str) -> None:
    a, _ = limiter(redis_url, namespace)
    b, b_sleeps = limiter(redis_url, namespace)
    a.observe("search", 429, {"Retry-After": "2"})
    assert 1.5 < b.pause_remaining("search") <= 2.0
    with pytest.raises(RateLimitTimeout):
        b.acquire("search", timeout=1.0)
    b.acquire("pets")  # another group is not paused
    assert b_sleeps == []
    b.acquire("search")
    assert 1.5 < b_sleeps[0] <= 2.0


def test_learned_spreading_is_shared_and_relaxed(redis_url: str, namespace: str) -> None:
    a, _ = limiter(redis_url, namespace)
    b, b_sleeps = limiter(redis_url, namespace)
    low = {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "4", "X-RateLimit-Reset": "2"}
    a.observe("default", 200, low)
    for _ in range(3):
        b.acquire()
    assert len(b_sleeps) == 2 and b_sleeps.gaps() == pytest.approx([0.5], abs=0.01)
    a.observe("default", 200, {**low, "X-RateLimit-Remaining": "80"})  # late: same window
    b.acquire()
    assert b_sleeps.gaps() == pytest.approx([0.5, 0.5], abs=0.01)  # still spread
    a.observe("default", 200, {**low, "X-RateLimit-Remaining": "80", "X-RateLimit-Reset": "60"})
    b_sleeps.clear()
    b.acquire()
    assert b_sleeps == []  # a later window is comfortable: relaxed


def test_a_slow_group_does_not_hold_api_wide_slots(redis_url: str, namespace: str) -> None:
    a, sleeps = limiter(
        redis_url, namespace, RateLimit(100, per=1), groups={"search": RateLimit(2, per=1)}
    )
    for _ in range(3):
        a.acquire("search")
    # the group's own slots, 0.5 s apart (the short waits between are the API-wide step)
    own = [target for wait, target in zip(sleeps, sleeps.targets, strict=True) if wait > 0.1]
    assert len(own) == 2 and own[1] - own[0] == pytest.approx(0.5, abs=0.01)
    sleeps.clear()
    a.acquire("pets")
    assert all(s < 0.1 for s in sleeps), sleeps


def test_state_keys_expire(redis_url: str, namespace: str) -> None:
    import redis

    a, _ = limiter(redis_url, namespace, RateLimit(10, per=1))
    a.acquire()
    a.observe("default", 429, {"Retry-After": "1"})
    ttl = redis.Redis.from_url(redis_url).pttl(a.key("default"))
    assert 0 < ttl <= 62_000


async def test_async_acquire_and_observe(redis_url: str, namespace: str) -> None:
    import redis.asyncio

    client = redis.asyncio.Redis.from_url(redis_url)
    a = RedisRateLimiter(client, RateLimit(20, per=1), namespace=namespace)
    started = time.monotonic()
    for _ in range(5):
        await a.acquire_async()
    assert time.monotonic() - started >= 0.19
    await a.observe_async("default", 503, {"Retry-After": "3"})
    with pytest.raises(RateLimitTimeout):
        await a.acquire_async(timeout=1.0)
    with pytest.raises(TypeError, match="asyncio Redis client"):
        a.acquire()
    a.observe("other", 429, {"Retry-After": "5"})  # sync observe from async code: background write
    await asyncio.sleep(0.1)
    assert await a.pause_remaining_async("other") > 4
    await client.aclose()


async def test_url_gives_both_sync_and_async(redis_url: str, namespace: str) -> None:
    a = RedisRateLimiter(redis_url, RateLimit(1, per=1), namespace=namespace)
    a.acquire()
    with pytest.raises(RateLimitTimeout):
        await a.acquire_async(timeout=0.2)
    await a.aclose()


def test_one_limiter_serves_several_event_loops_in_turn(redis_url: str, namespace: str) -> None:
    a = RedisRateLimiter(redis_url, RateLimit(1000, per=1), namespace=namespace)

    async def use() -> float:
        return await a.acquire_async()

    for _ in range(3):  # each asyncio.run is a new loop; connections of a closed one are useless
        assert asyncio.run(use()) < 0.5


def test_unreachable_redis_is_a_clear_error_without_the_password() -> None:
    a = RedisRateLimiter("redis://:hunter2@127.0.0.1:1/0", RateLimit(1))
    assert "hunter2" not in repr(a)
    with pytest.raises(StateBackendError) as info:
        a.acquire()
    assert isinstance(info.value, ConnectionError)
    assert "127.0.0.1:1" in str(info.value) and "hunter2" not in str(info.value)
    assert info.value.__cause__ is None


def test_fail_open_lets_calls_through_while_redis_is_down(
    caplog: pytest.LogCaptureFixture,
) -> None:
    a = RedisRateLimiter("redis://127.0.0.1:1/0", RateLimit(1), fail_open=True)
    started = time.monotonic()
    for _ in range(3):
        a.acquire()
    assert time.monotonic() - started < 1.5  # unlimited: at 1/s the last would wait 2 s
    a.observe("default", 429, {"Retry-After": "9"})
    assert a.pause_remaining("default") == 0.0
    warnings = [r for r in caplog.records if "rate limiting suspended" in r.getMessage()]
    assert len(warnings) == 1  # logged once, not once per call


async def test_fail_open_async() -> None:
    a = RedisRateLimiter("redis://127.0.0.1:1/0", RateLimit(1), fail_open=True)
    started = time.monotonic()
    for _ in range(3):
        await a.acquire_async()
    assert time.monotonic() - started < 1.5
    await a.observe_async("default", 429, {"Retry-After": "9"})


def test_bad_arguments_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="not a Redis URL"):
        RedisRateLimiter("http://127.0.0.1:6379")
    with pytest.raises(TypeError, match="redis:// URL"):
        RedisRateLimiter(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="braces"):
        RedisRateLimiter("redis://127.0.0.1", namespace="a{b}")


def test_importing_the_limiter_does_not_import_redis() -> None:
    code = (
        "import sys; import apiweld.runtime._ratelimit, apiweld.runtime._state, "
        "apiweld.runtime._pagination; print('redis' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
