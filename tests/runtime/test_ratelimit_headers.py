"""Pure-logic tests of the rate-limit header parsers and of the adaptive throttle planning."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import format_datetime

import http_sf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apiweld.runtime._ratelimit import (
    AdaptivePolicy,
    QuotaObservation,
    ServerSignals,
    Throttle,
    next_spacing,
    parse_rate_limit_headers,
    parse_retry_after,
    plan_throttle,
    reset_to_seconds,
)
from apiweld.runtime._ratelimit._headers import _fast_sf_list

NOW = 1_800_000_000.0  # a fixed wall clock (2027) for every epoch conversion


def quotas(headers: dict[str, str], status: int = 200) -> tuple[QuotaObservation, ...]:
    return parse_rate_limit_headers(headers, status, NOW).quotas


# -- IETF draft (current syntax) ------------------------------------------------------------


def test_ietf_ratelimit_with_policy_joins_quota_and_window_by_name() -> None:
    found = quotas(
        {
            "RateLimit-Policy": '"burst";q=100;w=60, "daily";q=1000;w=86400',
            "RateLimit": '"burst";r=40;t=30, "daily";r=999;t=3600',
        }
    )
    assert found == (
        QuotaObservation(remaining=40, reset_after=30, limit=100, window=60, policy="burst"),
        QuotaObservation(remaining=999, reset_after=3600, limit=1000, window=86400, policy="daily"),
    )


def test_ietf_ratelimit_without_policy_header_and_token_names() -> None:
    assert quotas({"ratelimit": "default;r=5;t=2"}) == (
        QuotaObservation(remaining=5, reset_after=2, policy="default"),
    )


def test_ietf_policy_in_other_units_is_not_pacing_calls() -> None:
    found = quotas(
        {
            "RateLimit-Policy": '"bytes";q=65536;qu="content-bytes";w=10, "calls";q=10;w=1',
            "RateLimit": '"bytes";r=0;t=10, "calls";r=9;t=1',
        }
    )
    assert [q.policy for q in found] == ["calls"]


def test_ietf_item_without_remaining_is_skipped_but_others_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, "apiweld.runtime.ratelimit"):
        found = quotas({"RateLimit": '"a";t=5, "b";r=3;t=1'})
    assert [q.policy for q in found] == ["b"]
    assert "no valid 'r'" in caplog.text


def test_draft07_dictionary_form() -> None:
    assert quotas({"RateLimit": "limit=100, remaining=50, reset=5"}) == (
        QuotaObservation(remaining=50, reset_after=5, limit=100),
    )


def test_older_ratelimit_triplet_with_policy_suffix_on_limit() -> None:
    found = quotas(
        {"RateLimit-Limit": "100, 100;w=60", "RateLimit-Remaining": "7", "RateLimit-Reset": "12"}
    )
    assert found == (QuotaObservation(remaining=7, reset_after=12, limit=100),)


# -- X-RateLimit, GitHub, Twitter -----------------------------------------------------------


@pytest.mark.parametrize(
    ("reset", "expected"),
    [
        ("30", 30.0),  # delta seconds
        (str(int(NOW) + 45), 45.0),  # epoch seconds
        (str(int(NOW * 1000) + 2500), 2.5),  # epoch milliseconds
        (str(int(NOW) - 10), 0.0),  # an epoch already past: reset now, never negative
        ("86399", 86399.0),  # a long delta is still a delta
    ],
)
def test_x_ratelimit_reset_forms_are_told_apart(reset: str, expected: float) -> None:
    (quota,) = quotas(
        {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "10", "X-RateLimit-Reset": reset}
    )
    assert quota.reset_after == pytest.approx(expected)
    assert (quota.limit, quota.remaining) == (60, 10)


def test_reset_to_seconds_boundaries() -> None:
    assert reset_to_seconds(NOW - 86_400 + 1, NOW) == 0.0  # within the last day: epoch
    assert reset_to_seconds(1_000_000.0, NOW) == 1_000_000.0  # far in the past as epoch: a delta


def test_github_headers_with_used_and_resource() -> None:
    (quota,) = quotas(
        {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-used": "4990",
            "x-ratelimit-reset": str(int(NOW) + 600),
            "x-ratelimit-resource": "core",
        }
    )
    assert quota == QuotaObservation(remaining=10, reset_after=600, limit=5000, policy="core")


def test_twitter_style_x_rate_limit_headers() -> None:
    (quota,) = quotas({"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(NOW) + 9)})
    assert (quota.remaining, quota.reset_after) == (0, 9)


@pytest.mark.parametrize(
    "headers",
    [
        {"RateLimit": '"unterminated;r=1'},
        {"RateLimit": "default;r=-1;t=1"},
        {"RateLimit": "default;r=?1;t=1"},
        {"RateLimit": "\u00e9t\u00e9;r=1"},
        {"RateLimit-Policy": "%%%", "RateLimit": '"x";r=1;t=1'},
        {"X-RateLimit-Remaining": "many", "X-RateLimit-Reset": "soon"},
        {"X-RateLimit-Remaining": "", "X-RateLimit-Limit": "-5"},
        {"X-RateLimit-Remaining": "1e309"},
    ],
)
def test_malformed_headers_never_raise(headers: dict[str, str]) -> None:
    signals = parse_rate_limit_headers(headers, 429, NOW)
    for quota in signals.quotas:
        assert quota.remaining is None or quota.remaining >= 0


def test_malformed_policy_header_still_reads_ratelimit() -> None:
    (quota,) = quotas({"RateLimit-Policy": "%%%", "RateLimit": '"x";r=1;t=1'})
    assert (quota.remaining, quota.limit) == (1, None)


def test_unrelated_headers_give_no_signals() -> None:
    assert not parse_rate_limit_headers({"Content-Type": "application/json"}, 200, NOW)


# -- Retry-After ------------------------------------------------------------------------------


def test_retry_after_seconds_and_http_date() -> None:
    when = datetime.fromtimestamp(NOW + 120, tz=UTC)
    assert parse_retry_after("7", NOW) == 7.0
    assert parse_retry_after(format_datetime(when, usegmt=True), NOW) == pytest.approx(120)
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", NOW) == 0.0  # past: no wait


@pytest.mark.parametrize("value", ["-3", "soon", "nan", "inf", "", "Wed, 99 Foo 2015"])
def test_malformed_retry_after_is_ignored(value: str) -> None:
    assert parse_retry_after(value, NOW) is None


def test_retry_after_only_counts_on_429_and_503() -> None:
    assert parse_rate_limit_headers({"Retry-After": "3"}, 429, NOW).retry_after == 3.0
    assert parse_rate_limit_headers({"Retry-After": "3"}, 503, NOW).retry_after == 3.0
    assert parse_rate_limit_headers({"Retry-After": "3"}, 301, NOW).retry_after is None


# -- planning ---------------------------------------------------------------------------------

POLICY = AdaptivePolicy(low_water_fraction=0.2, min_low_water=5, pause_on_429=1.0, max_pause=900)


def plan(
    status: int = 200, retry_after: float | None = None, *qs: QuotaObservation
) -> Throttle | None:
    return plan_throttle(ServerSignals(tuple(qs), retry_after), status, POLICY)


def test_comfortable_budget_relaxes() -> None:
    assert plan(200, None, QuotaObservation(remaining=80, reset_after=10, limit=100)) == Throttle(
        relax=True, relax_reset=10
    )
    assert plan(200, None, QuotaObservation(remaining=80, limit=100)) == Throttle(relax=True)


def test_low_budget_is_spread_over_the_time_to_reset() -> None:
    throttle = plan(200, None, QuotaObservation(remaining=10, reset_after=5, limit=100))
    assert throttle == Throttle(spacing=0.5, spacing_for=5)


def test_empty_budget_pauses_until_reset() -> None:
    assert plan(200, None, QuotaObservation(remaining=0, reset_after=7, limit=100)) == Throttle(
        pause_for=7
    )


def test_unknown_limit_uses_min_low_water() -> None:
    assert plan(200, None, QuotaObservation(remaining=6, reset_after=6)) == Throttle(
        relax=True, relax_reset=6
    )
    assert plan(200, None, QuotaObservation(remaining=4, reset_after=8)) == Throttle(
        spacing=2, spacing_for=8
    )


def test_calls_in_flight_count_against_the_remaining_budget() -> None:
    quota = QuotaObservation(remaining=10, reset_after=5, limit=1000)
    assert plan_throttle(ServerSignals((quota,)), 200, POLICY, in_flight=5) == Throttle(
        spacing=1.0, spacing_for=5
    )
    assert plan_throttle(ServerSignals((quota,)), 200, POLICY, in_flight=10) == Throttle(
        pause_for=5
    )


def test_strictest_of_several_quotas_wins() -> None:
    throttle = plan(
        200,
        None,
        QuotaObservation(remaining=90, reset_after=1, limit=100, policy="burst"),
        QuotaObservation(remaining=3, reset_after=30, limit=1000, policy="daily"),
    )
    assert throttle == Throttle(spacing=10, spacing_for=30)


def test_retry_after_pauses_and_is_capped() -> None:
    assert plan(429, 12.0) == Throttle(pause_for=12)
    assert plan(429, 10_000.0) == Throttle(pause_for=900)


def test_bare_429_pauses_briefly_and_200_without_headers_does_nothing() -> None:
    assert plan(429, None) == Throttle(pause_for=1.0)
    assert plan(200, None) is None


# -- the fast path of the Structured-Field List parser agrees with http-sf ---------------------

_TOKEN = st.from_regex(r"[A-Za-z*][A-Za-z0-9!#$%&'*+.^_`|~:/-]{0,8}", fullmatch=True)
_STRING = st.from_regex(r"[ !#-\[\]-~]{0,8}", fullmatch=True)
_KEY = st.from_regex(r"[a-z*][a-z0-9_.*-]{0,4}", fullmatch=True)
_PARAMS = st.lists(st.tuples(_KEY, st.integers(-(10**15) + 1, 10**15 - 1)), max_size=4)
_ITEM = st.tuples(st.one_of(_TOKEN, _STRING.map(lambda s: f'"{s}"')), _PARAMS).map(
    lambda item: item[0] + "".join(f";{k}={v}" for k, v in item[1])
)
_SEPARATOR = st.sampled_from([",", ", ", " ,", "\t,  "])


def _reference(value: str) -> list[tuple[str, dict[str, object]]] | None:
    try:
        parsed = http_sf.parse(value.encode("latin-1"), tltype="list")
    except ValueError:
        return None
    return [(str(name), dict(params)) for name, params in parsed]  # type: ignore[misc]


@settings(max_examples=200, deadline=None)
@given(st.lists(_ITEM, min_size=1, max_size=4), _SEPARATOR)
def test_fast_list_parser_agrees_with_http_sf(items: list[str], separator: str) -> None:
    value = separator.join(items)
    fast = _fast_sf_list(value)
    assert fast is not None
    assert [(str(n), dict(p)) for n, p in fast] == _reference(value)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet='ab"\\;=,:*-1 \t?', max_size=24))
def test_fast_list_parser_never_accepts_what_http_sf_rejects(value: str) -> None:
    fast = _fast_sf_list(value)
    if fast is not None:
        assert [(str(n), dict(p)) for n, p in fast] == _reference(value)


# -- merging a throttle into what a group has learned ------------------------------------------


def test_a_late_response_never_loosens_the_window_being_spread() -> None:
    spacing, until = 1.0, 110.0  # spreading until t=110
    looser = Throttle(spacing=0.5, spacing_for=10.5)  # same window (110.5 within tolerance)
    assert next_spacing(spacing, until, 100.0, looser) == (1.0, 110.0)
    stale_relax = Throttle(relax=True, relax_reset=10.0)
    assert next_spacing(spacing, until, 100.0, stale_relax) == (1.0, 110.0)
    stricter = Throttle(spacing=2.0, spacing_for=10.0)
    assert next_spacing(spacing, until, 100.0, stricter) == (2.0, 110.0)


def test_a_later_window_or_an_expired_spread_loosens() -> None:
    spacing, until = 1.0, 110.0
    next_window = Throttle(relax=True, relax_reset=60.0)
    assert next_spacing(spacing, until, 100.0, next_window) == (0.0, 0.0)
    assert next_spacing(spacing, until, 100.0, Throttle(relax=True)) == (0.0, 0.0)  # no reset told
    looser_later = Throttle(spacing=0.5, spacing_for=30.0)
    assert next_spacing(spacing, until, 100.0, looser_later) == (0.5, 130.0)
    assert next_spacing(spacing, until, 111.0, Throttle(spacing=0.1, spacing_for=1)) == (0.1, 112.0)


_HEADER_NAMES = st.sampled_from(
    [
        "RateLimit",
        "RateLimit-Policy",
        "RateLimit-Limit",
        "RateLimit-Remaining",
        "RateLimit-Reset",
        "X-RateLimit-Limit",
        "x-ratelimit-remaining",
        "X-RateLimit-Reset",
        "x-ratelimit-used",
        "X-Rate-Limit-Remaining",
        "Retry-After",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        _HEADER_NAMES,
        st.one_of(st.text(max_size=40), st.integers(0, 10**40).map(str)),
        max_size=6,
    ),
    st.sampled_from([200, 429, 503]),
)
def test_no_header_content_ever_raises(headers: dict[str, str], status: int) -> None:
    signals = parse_rate_limit_headers(headers, status, NOW)
    throttle = plan_throttle(signals, status, POLICY, in_flight=3)
    if throttle is not None:
        assert 0 <= throttle.pause_for <= POLICY.max_pause
        assert 0 <= throttle.spacing <= POLICY.max_pause
        assert 0 <= throttle.spacing_for <= POLICY.max_pause


def test_absurd_resets_are_capped() -> None:
    huge = {"X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "9" * 40}
    throttle = plan_throttle(parse_rate_limit_headers(huge, 200, NOW), 200, POLICY)
    assert throttle == Throttle(spacing=POLICY.max_pause, spacing_for=POLICY.max_pause)
