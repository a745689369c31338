"""RetryPolicy is pure: every decision is checked here without I/O."""

from __future__ import annotations

import email.utils

import pytest

from apiweld.runtime import RetryPolicy
from apiweld.runtime._retry import parse_retry_after

NOW = 1_700_000_000.0


def after_attempts(policy: RetryPolicy, count: int) -> RetryPolicy:
    for _ in range(count):
        policy = policy.increment(status=503)
    return policy


def test_increment_returns_a_new_state_and_keeps_the_old() -> None:
    first = RetryPolicy(max_attempts=3)
    second = first.increment(status=503)
    assert first.attempts_made == 0 and second.attempts_made == 1
    assert second.history[0].status == 503
    assert after_attempts(first, 3).exhausted and not after_attempts(first, 2).exhausted


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504, 599])
def test_retryable_statuses(status: int) -> None:
    decision = after_attempts(RetryPolicy(), 1).decide(may_resend=True, status=status)
    assert decision.retry


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_never_retried_even_if_configured(status: int) -> None:
    policy = RetryPolicy(retry_statuses=frozenset({status, 503}))
    assert not after_attempts(policy, 1).decide(may_resend=True, status=status).retry


def test_non_idempotent_status_retry_needs_a_key() -> None:
    policy = after_attempts(RetryPolicy(), 1)
    assert not policy.decide(may_resend=False, status=503).retry
    assert policy.decide(may_resend=True, status=503).retry


def test_connection_errors_retried_for_non_idempotent_only_when_never_sent() -> None:
    policy = after_attempts(RetryPolicy(), 1)
    assert not policy.decide(may_resend=False, connection_error=True).retry
    assert policy.decide(may_resend=False, connection_error=True, never_sent=True).retry
    assert policy.decide(may_resend=True, timeout_error=True).retry
    off = after_attempts(RetryPolicy(retry_timeouts=False), 1)
    assert not off.decide(may_resend=True, timeout_error=True).retry


def test_exhausted_policy_stops() -> None:
    policy = after_attempts(RetryPolicy(max_attempts=2), 2)
    assert not policy.decide(may_resend=True, status=503).retry
    assert not after_attempts(RetryPolicy.disabled(), 1).decide(may_resend=True, status=503).retry


def test_full_jitter_backoff_bounds() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_cap=3.0)
    ceilings = [after_attempts(policy, n).backoff(lambda: 1.0) for n in range(1, 6)]
    assert ceilings == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert after_attempts(policy, 3).backoff(lambda: 0.0) == 0.0
    assert after_attempts(policy, 3).backoff(lambda: 0.25) == 0.5


def test_retry_after_seconds_and_date_and_cap() -> None:
    policy = after_attempts(RetryPolicy(max_retry_after=10), 1)
    decision = policy.decide(may_resend=True, status=429, headers={"retry-after": "7"}, now=NOW)
    assert decision.delay == 7
    date = email.utils.formatdate(NOW + 4, usegmt=True)
    decision = policy.decide(may_resend=True, status=503, headers={"retry-after": date}, now=NOW)
    assert decision.delay == pytest.approx(4)
    decision = policy.decide(may_resend=True, status=503, headers={"retry-after": "3600"}, now=NOW)
    assert decision.delay == 10
    ignored = after_attempts(RetryPolicy(respect_retry_after=False, backoff_base=0.1), 1)
    decision = ignored.decide(
        may_resend=True, status=429, headers={"retry-after": "7"}, rng=lambda: 1.0
    )
    assert decision.delay == pytest.approx(0.1)


def test_deadline_too_short_for_the_wait_stops_retrying() -> None:
    policy = after_attempts(RetryPolicy(), 1)
    headers = {"retry-after": "5"}
    assert not policy.decide(may_resend=True, status=503, headers=headers, remaining=2).retry
    assert policy.decide(may_resend=True, status=503, headers=headers, remaining=6).retry


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0.0),
        ("120", 120.0),
        ("1.5", 1.5),
        (email.utils.formatdate(NOW + 30, usegmt=True), 30.0),
        (email.utils.formatdate(NOW - 30, usegmt=True), 0.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("-5", 0.0),
        ("nan", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    result = parse_retry_after(value, NOW)
    assert result == (pytest.approx(expected) if expected is not None else None)


def test_invalid_configuration_is_rejected() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="back-off"):
        RetryPolicy(backoff_base=-1)
    assert RetryPolicy().with_max_retries(0).max_attempts == 1
