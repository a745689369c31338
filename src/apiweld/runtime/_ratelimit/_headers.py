"""Reading what a server says about its rate limits from response headers (pure, no I/O).

Understood, in one pass over the headers:
- `RateLimit-Policy` / `RateLimit` as in the current IETF draft
  (draft-ietf-httpapi-ratelimit-headers 08 and later): Structured-Field Lists of named items,
  policy parameters `q` (quota), `w` (window seconds), `qu` (quota unit), and per-response
  parameters `r` (remaining) and `t` (seconds to reset);
- the draft-07 dictionary form `RateLimit: limit=100, remaining=50, reset=5`;
- the older `RateLimit-Limit` / `RateLimit-Remaining` / `RateLimit-Reset` triplet;
- `X-RateLimit-Limit/Remaining/Reset` (GitHub's lower-case `x-ratelimit-*`, with `-used` and
  `-resource`) and Twitter's `X-Rate-Limit-*`; reset as delta seconds, epoch seconds or epoch
  milliseconds, told apart by size;
- `Retry-After` in seconds or as an HTTP-date.

Structured Fields are parsed with `http-sf` (Mark Nottingham's RFC 9651 implementation: typed, MIT,
kept current, no dependencies beyond typing_extensions, about 3.5 us per header here) rather than by
hand: the syntax has quoted strings with escapes, tokens, byte sequences and parameters whose corner
cases a hand parser gets wrong, and a wrong parse means a client that ignores the server's limits.
`http-sfv` was weighed too; its last release is from early 2024. Malformed headers never raise: they
are ignored with a debug log, since the response itself is still good.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime

import http_sf

__all__ = [
    "QuotaObservation",
    "ServerSignals",
    "parse_rate_limit_headers",
    "parse_retry_after",
    "reset_to_seconds",
]

logger = logging.getLogger("apiweld.runtime.ratelimit")

_DAY = 86_400.0
_LEADING_NUMBER = re.compile(r"\s*(\d+(?:\.\d+)?)")
_RELEVANT_PREFIXES = ("ratelimit", "x-ratelimit", "x-rate-limit", "retry-after")
_RETRY_AFTER_STATUSES = frozenset({429, 503})
_MAX_LOGGED = 200


@dataclass(frozen=True, slots=True)
class QuotaObservation:
    """What one response said about one server-side quota.

    `reset_after` is in seconds from the moment the response was received.
    """

    remaining: float | None = None
    reset_after: float | None = None
    limit: float | None = None
    window: float | None = None
    policy: str | None = None


@dataclass(frozen=True, slots=True)
class ServerSignals:
    quotas: tuple[QuotaObservation, ...] = ()
    retry_after: float | None = None
    """Seconds to wait, from `Retry-After` on a 429 or 503; None when absent or malformed."""

    def __bool__(self) -> bool:
        return bool(self.quotas) or self.retry_after is not None


def _ignored(header: str, value: object, why: str) -> None:
    logger.debug("ignoring malformed %s header %.*r: %s", header, _MAX_LOGGED, value, why)


def _number(header: str, value: str | None) -> float | None:
    """The leading non-negative number of a header value (old drafts allow `100, 100;w=60`)."""
    if value is None:
        return None
    match = _LEADING_NUMBER.match(value)
    if match is None:
        _ignored(header, value, "not a non-negative number")
        return None
    number = float(match.group(1))
    return number if math.isfinite(number) else None


def reset_to_seconds(value: float, now_epoch: float) -> float:
    """A reset value as seconds from now, whether it was sent as a delta or an epoch time.

    Anything later than a day before now (as epoch milliseconds, then as epoch seconds) is an
    absolute time: no server announces a reset more than decades ahead as a delta.
    """
    if value > (now_epoch - _DAY) * 1000.0:
        return max(0.0, value / 1000.0 - now_epoch)
    if value > now_epoch - _DAY:
        return max(0.0, value - now_epoch)
    return value


def parse_retry_after(value: str | None, now_epoch: float) -> float | None:
    """`Retry-After` as seconds from now: delay-seconds or an HTTP-date; None when malformed."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError) as exc:
            _ignored("Retry-After", value, str(exc) or "not a date")
            return None
        if when.tzinfo is None:  # "-0000": RFC 9110 dates are always GMT
            when = when.replace(tzinfo=UTC)
        return max(0.0, when.timestamp() - now_epoch)
    if not math.isfinite(seconds) or seconds < 0:
        _ignored("Retry-After", value, "not a non-negative number of seconds")
        return None
    return seconds


def _sf_number(params: Mapping[str, object], key: str) -> float | None:
    value = params.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and number >= 0 else None


def _sf_name(value: object) -> str | None:
    """A policy name: the draft makes it a String; Tokens are accepted as servers send both."""
    return str(value) if isinstance(value, str | http_sf.Token) else None


# The shape nearly every server sends (`"name";q=100;w=60, ...`: names and integer parameters
# only) is read by this strict subset of the RFC 9651 List grammar in about a third of http-sf's
# time (12-16 us per header here, paid on every response); anything else goes to http-sf. A test
# checks that both agree wherever the fast path accepts.
_FAST_PARAM = r";[a-z*][a-z0-9_.*-]*=-?[0-9]{1,15}"
_FAST_ITEM = (
    r'(?:"([ !#-\[\]-~]*)"|([A-Za-z*][A-Za-z0-9!#$%&\'*+.^_`|~:/-]*))'
    rf"((?:{_FAST_PARAM})*)"
)
_FAST_LIST = re.compile(rf"[ ]*{_FAST_ITEM}(?:[ \t]*,[ \t]*{_FAST_ITEM})*[ ]*")
_FAST_ITEMS = re.compile(_FAST_ITEM)
_FAST_PARAMS = re.compile(r";([a-z*][a-z0-9_.*-]*)=(-?[0-9]+)")

_Members = list[tuple[object, Mapping[str, object]]]


def _fast_sf_list(value: str) -> _Members | None:
    if _FAST_LIST.fullmatch(value) is None:
        return None
    members: _Members = []
    for match in _FAST_ITEMS.finditer(value):
        quoted, token, params = match.groups()
        name = quoted if quoted is not None else token
        members.append((name, {key: int(raw) for key, raw in _FAST_PARAMS.findall(params)}))
    return members


def _parse_sf_list(header: str, value: str, *, quiet: bool = False) -> _Members | None:
    fast = _fast_sf_list(value)
    if fast is not None:
        return fast
    try:
        parsed = http_sf.parse(value.encode("latin-1"), tltype="list")
    except (ValueError, UnicodeEncodeError) as exc:
        if not quiet:
            _ignored(header, value, str(exc))
        return None
    members: _Members = []
    for member in parsed if isinstance(parsed, list) else []:
        if isinstance(member, tuple) and len(member) == 2 and isinstance(member[1], dict):
            members.append((member[0], member[1]))
    return members


_Policies = dict[str | None, tuple[float | None, float | None]]


@functools.lru_cache(maxsize=64)  # a server sends the same policies on every response
def _ietf_policies(value: str | None) -> tuple[_Policies, frozenset[str | None]]:
    """Policy name -> (quota, window) of `RateLimit-Policy`, and the names of policies that do not
    count requests (quota units of bytes or concurrent requests do not pace calls)."""
    policies: _Policies = {}
    other_units: set[str | None] = set()
    if value is None:
        return policies, frozenset()
    for name, params in _parse_sf_list("RateLimit-Policy", value) or []:
        unit = params.get("qu")
        if unit is not None and str(unit) != "requests":
            other_units.add(_sf_name(name))
            continue
        policies[_sf_name(name)] = (_sf_number(params, "q"), _sf_number(params, "w"))
    return policies, frozenset(other_units)


def _ietf_quotas(
    ratelimit: str, policy_header: str | None, now_epoch: float
) -> list[QuotaObservation]:
    policies, other_units = _ietf_policies(policy_header)
    quotas: list[QuotaObservation] = []
    members = _parse_sf_list("RateLimit", ratelimit, quiet=True)
    if members is None:
        return _draft07_quota(ratelimit, now_epoch)
    for raw_name, params in members:
        name = _sf_name(raw_name)
        if name in other_units:
            continue
        remaining = _sf_number(params, "r")
        if remaining is None:
            _ignored("RateLimit", ratelimit, f"policy {name!r} has no valid 'r'")
            continue
        reset = _sf_number(params, "t")
        limit, window = policies.get(name, (None, None))
        quotas.append(QuotaObservation(remaining, reset, limit, window, name))
    return quotas


def _draft07_quota(value: str, now_epoch: float) -> list[QuotaObservation]:
    """draft-07: `RateLimit: limit=100, remaining=50, reset=5` (a Structured-Field Dictionary)."""
    try:
        parsed = http_sf.parse(value.encode("latin-1"), tltype="dictionary")
    except (ValueError, UnicodeEncodeError) as exc:
        _ignored("RateLimit", value, str(exc))
        return []
    if not isinstance(parsed, dict):
        return []
    fields: dict[str, float | None] = {}
    for key in ("limit", "remaining", "reset"):
        member = parsed.get(key)
        fields[key] = _sf_number({key: member[0]}, key) if isinstance(member, tuple) else None
    if fields["remaining"] is None:
        _ignored("RateLimit", value, "no valid 'remaining'")
        return []
    reset = fields["reset"]
    return [
        QuotaObservation(
            fields["remaining"],
            None if reset is None else reset_to_seconds(reset, now_epoch),
            fields["limit"],
        )
    ]


def _triplet_quota(
    lowered: Mapping[str, str], prefix: str, now_epoch: float
) -> QuotaObservation | None:
    """`<prefix>-limit/-remaining/-reset` (+ GitHub's `-used` and `-resource`)."""
    limit = _number(prefix + "-limit", lowered.get(prefix + "-limit"))
    remaining = _number(prefix + "-remaining", lowered.get(prefix + "-remaining"))
    if remaining is None and limit is not None:
        used = _number(prefix + "-used", lowered.get(prefix + "-used"))
        if used is not None:
            remaining = max(0.0, limit - used)
    if remaining is None:
        return None
    reset = _number(prefix + "-reset", lowered.get(prefix + "-reset"))
    return QuotaObservation(
        remaining=remaining,
        reset_after=None if reset is None else reset_to_seconds(reset, now_epoch),
        limit=limit,
        policy=lowered.get(prefix + "-resource"),
    )


def parse_rate_limit_headers(
    headers: Mapping[str, str], status: int, now_epoch: float
) -> ServerSignals:
    """Every rate-limit signal of one response. Never raises on header content."""
    lowered: dict[str, str] | None = None
    for name, value in headers.items():
        key = name.lower()
        if key.startswith(_RELEVANT_PREFIXES):
            if lowered is None:
                lowered = {}
            lowered[key] = value
    if lowered is None:
        return ServerSignals()

    quotas: list[QuotaObservation] = []
    ietf = lowered.get("ratelimit")
    if ietf is not None:
        quotas.extend(_ietf_quotas(ietf, lowered.get("ratelimit-policy"), now_epoch))
    for prefix in ("ratelimit", "x-ratelimit", "x-rate-limit"):
        quota = _triplet_quota(lowered, prefix, now_epoch)
        if quota is not None:
            quotas.append(quota)

    retry_after = None
    if status in _RETRY_AFTER_STATUSES:
        retry_after = parse_retry_after(lowered.get("retry-after"), now_epoch)
    return ServerSignals(tuple(quotas), retry_after)
