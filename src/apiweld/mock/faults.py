"""Faults the mock injects on purpose: named profiles, TOML profiles and a per-request header.

A `FaultProfile` gives rates (0..1) for each kind of misbehaviour; for every request the mock
draws one `FaultPlan` from it with its seeded random generator. A request can also ask for a
fault itself through the control header (`X-Apiweld-Fault: status=503`, `latency=200ms`,
`reset=before-headers`, several joined by `,`), which overrides the profile for that request.

Kinds: latency (fixed or a random range), an error status, 429 with `Retry-After` (seconds or
HTTP-date), connection reset before or after the headers, truncated body, malformed JSON, slow
body (drip), empty body, wrong content type, and timeout (never answers).
"""

from __future__ import annotations

import dataclasses
import random
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from apiweld.mock._ratelimit import RateLimit

CONTROL_HEADER = "x-apiweld-fault"

BodyFault = Literal["truncate", "malformed-json", "drip", "empty", "wrong-content-type"]
ResetWhen = Literal["before-headers", "after-headers"]
RetryAfterForm = Literal["seconds", "http-date"]


class FaultConfigError(ValueError):
    """A fault profile or control header that does not parse; the message names the place."""


@dataclass(frozen=True, slots=True)
class FaultProfile:
    name: str = "none"
    latency_ms: tuple[float, float] = (0.0, 0.0)
    """Added before answering: fixed when both ends are equal, else uniform in the range."""
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502, 503, 504)
    too_many_requests_rate: float = 0.0
    retry_after_seconds: int = 1
    retry_after_form: RetryAfterForm = "seconds"
    reset_before_headers_rate: float = 0.0
    reset_after_headers_rate: float = 0.0
    truncate_rate: float = 0.0
    malformed_json_rate: float = 0.0
    drip_rate: float = 0.0
    drip_interval_ms: float = 100.0
    empty_rate: float = 0.0
    wrong_content_type_rate: float = 0.0
    timeout_rate: float = 0.0
    rate_limit: RateLimit | None = None
    """A server-side limit the profile imposes (the `ratelimited` profile uses it)."""


@dataclass(slots=True)
class FaultPlan:
    """What to do to one request; `describe()` is what the request log records."""

    latency_ms: float = 0.0
    status: int | None = None
    retry_after: str | None = None
    reset: ResetWhen | None = None
    body: BodyFault | None = None
    truncate_at: int | None = None
    drip_interval_ms: float = 100.0
    content_type: str | None = None
    timeout: bool = False
    notes: list[str] = field(default_factory=list)

    def describe(self) -> tuple[str, ...]:
        out: list[str] = []
        if self.latency_ms:
            out.append(f"latency={self.latency_ms:.0f}ms")
        if self.timeout:
            out.append("timeout")
        if self.reset:
            out.append(f"reset={self.reset}")
        if self.status is not None:
            out.append(f"status={self.status}")
        if self.retry_after is not None:
            out.append(f"retry-after={self.retry_after}")
        if self.body == "drip":
            out.append(f"drip={self.drip_interval_ms:.0f}ms")
        elif self.body == "wrong-content-type":
            out.append(f"content-type={self.content_type}")
        elif self.body is not None:
            out.append(self.body)
        return tuple(out)

    @property
    def empty(self) -> bool:
        return not self.describe()


NONE = FaultProfile()
PROFILES: dict[str, FaultProfile] = {
    "none": NONE,
    "flaky": FaultProfile(
        name="flaky",
        latency_ms=(0.0, 150.0),
        error_rate=0.1,
        too_many_requests_rate=0.03,
        reset_before_headers_rate=0.03,
        reset_after_headers_rate=0.02,
    ),
    "slow": FaultProfile(
        name="slow", latency_ms=(300.0, 1500.0), drip_rate=0.25, drip_interval_ms=150.0
    ),
    "hostile": FaultProfile(
        name="hostile",
        latency_ms=(0.0, 300.0),
        error_rate=0.08,
        too_many_requests_rate=0.05,
        retry_after_form="http-date",
        reset_before_headers_rate=0.04,
        reset_after_headers_rate=0.04,
        truncate_rate=0.06,
        malformed_json_rate=0.06,
        drip_rate=0.04,
        empty_rate=0.05,
        wrong_content_type_rate=0.05,
        timeout_rate=0.02,
    ),
    "ratelimited": FaultProfile(
        name="ratelimited",
        rate_limit=RateLimit(limit=10, window=10.0),
        too_many_requests_rate=0.05,
        retry_after_seconds=2,
        retry_after_form="http-date",
    ),
}


def http_date_in(seconds: int) -> str:
    import email.utils
    import time

    return email.utils.formatdate(time.time() + seconds, usegmt=True)


def retry_after_value(seconds: int, form: RetryAfterForm) -> str:
    return str(seconds) if form == "seconds" else http_date_in(seconds)


def draw(profile: FaultProfile, rng: random.Random) -> FaultPlan:
    """One request's faults from a profile (at most one status, reset or body fault)."""
    plan = FaultPlan(drip_interval_ms=profile.drip_interval_ms)
    low, high = profile.latency_ms
    if high > 0:
        plan.latency_ms = low if low == high else rng.uniform(low, high)
    roll = rng.random()
    for rate, kind in (
        (profile.timeout_rate, "timeout"),
        (profile.reset_before_headers_rate, "reset-before"),
        (profile.too_many_requests_rate, "429"),
        (profile.error_rate, "status"),
        (profile.reset_after_headers_rate, "reset-after"),
        (profile.truncate_rate, "truncate"),
        (profile.malformed_json_rate, "malformed-json"),
        (profile.drip_rate, "drip"),
        (profile.empty_rate, "empty"),
        (profile.wrong_content_type_rate, "wrong-content-type"),
    ):
        if roll < rate:
            _apply(plan, kind, profile, rng)
            break
        roll -= rate
    return plan


def _apply(plan: FaultPlan, kind: str, profile: FaultProfile, rng: random.Random) -> None:
    if kind == "timeout":
        plan.timeout = True
    elif kind == "reset-before":
        plan.reset = "before-headers"
    elif kind == "reset-after":
        plan.reset = "after-headers"
    elif kind == "429":
        _set_429(plan, profile)
    elif kind == "status":
        plan.status = rng.choice(profile.error_statuses)
    elif kind == "wrong-content-type":
        _set_wrong_type(plan, None)
    elif kind in ("truncate", "malformed-json", "drip", "empty"):
        plan.body = kind  # type: ignore[assignment]


def _set_429(plan: FaultPlan, profile: FaultProfile) -> None:
    plan.status = 429
    plan.retry_after = retry_after_value(profile.retry_after_seconds, profile.retry_after_form)


def _set_wrong_type(plan: FaultPlan, content_type: str | None) -> None:
    plan.body = "wrong-content-type"
    plan.content_type = content_type or "text/html; charset=utf-8"


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$")


def parse_duration_ms(text: str, where: str) -> float:
    m = _DURATION.match(text)
    if m is None:
        raise FaultConfigError(f"{where}: {text!r} is not a duration like 200ms or 1.5s")
    value = float(m.group(1))
    return value * 1000 if m.group(2) == "s" else value


def parse_control_header(value: str) -> FaultPlan:
    """The plan a request asks for in `X-Apiweld-Fault`; raises FaultConfigError naming the part."""
    plan = FaultPlan()
    where = "header X-Apiweld-Fault"
    for part in (p.strip() for p in re.split(r"[,;]", value)):
        if not part:
            continue
        key, _, arg = (x.strip() for x in part.partition("="))
        key = key.lower()
        if key == "latency":
            low_text, dash, high_text = arg.partition("..") if ".." in arg else arg.partition("-")
            low = parse_duration_ms(low_text, where)
            high = parse_duration_ms(high_text, where) if dash else low
            plan.latency_ms = random.uniform(low, high) if high > low else low
        elif key == "status":
            if not arg.isdigit() or not 100 <= int(arg) <= 599:
                raise FaultConfigError(f"{where}: status={arg!r} is not an HTTP status code")
            plan.status = int(arg)
            if plan.status == 429 and plan.retry_after is None:
                plan.retry_after = "1"
        elif key == "retry-after":
            plan.retry_after = _parse_retry_after(arg, where)
        elif key == "reset":
            if arg not in ("before-headers", "after-headers"):
                raise FaultConfigError(f"{where}: reset must be before-headers or after-headers")
            plan.reset = arg  # type: ignore[assignment]
        elif key == "truncate":
            plan.body = "truncate"
            if arg:
                if not arg.isdigit():
                    raise FaultConfigError(f"{where}: truncate={arg!r} is not a byte count")
                plan.truncate_at = int(arg)
        elif key in ("malformed-json", "empty"):
            plan.body = key  # type: ignore[assignment]
        elif key == "drip":
            plan.body = "drip"
            if arg:
                plan.drip_interval_ms = parse_duration_ms(arg, where)
        elif key in ("content-type", "wrong-content-type"):
            _set_wrong_type(plan, arg or None)
        elif key == "timeout":
            plan.timeout = True
        else:
            raise FaultConfigError(
                f"{where}: unknown fault {key!r} (latency, status, retry-after, reset, truncate, "
                "malformed-json, drip, empty, content-type, timeout)"
            )
    return plan


def _parse_retry_after(arg: str, where: str) -> str:
    if arg.isdigit():
        return arg
    form, _, seconds = arg.partition(":")
    if form in ("date", "http-date"):
        if seconds and not seconds.isdigit():
            raise FaultConfigError(f"{where}: retry-after={arg!r}: seconds must be a number")
        return http_date_in(int(seconds or "1"))
    raise FaultConfigError(f"{where}: retry-after={arg!r} is not seconds or date[:seconds]")


_FIELDS = {f.name: f for f in dataclasses.fields(FaultProfile)}


def profile_from_mapping(data: dict[str, Any], where: str) -> FaultProfile:
    """A profile from a TOML table (keys as `FaultProfile` fields), checked key by key."""
    base_name = data.pop("extends", None)
    base = NONE
    if base_name is not None:
        if base_name not in PROFILES:
            raise FaultConfigError(f"{where}: extends = {base_name!r} is not a named profile")
        base = PROFILES[base_name]
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key not in _FIELDS:
            raise FaultConfigError(f"{where}: unknown key {key!r}")
        changes[key] = _coerce_field(key, value, f"{where}: {key}")
    return dataclasses.replace(base, **changes)


def _coerce_field(key: str, value: Any, where: str) -> Any:
    if key.endswith("_rate"):
        if not isinstance(value, int | float) or not 0 <= value <= 1:
            raise FaultConfigError(f"{where} must be a number between 0 and 1")
        return float(value)
    if key == "latency_ms":
        if isinstance(value, int | float):
            return (float(value), float(value))
        if (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, int | float) and v >= 0 for v in value)
        ):
            return (float(value[0]), float(value[1]))
        raise FaultConfigError(f"{where} must be milliseconds or [low, high]")
    if key == "error_statuses":
        if not isinstance(value, list) or not all(
            isinstance(v, int) and 100 <= v <= 599 for v in value
        ):
            raise FaultConfigError(f"{where} must be a list of HTTP status codes")
        return tuple(value)
    if key == "rate_limit":
        if not isinstance(value, dict):
            raise FaultConfigError(f"{where} must be a table with limit and window")
        try:
            return RateLimit(**value)
        except (TypeError, ValueError) as exc:
            raise FaultConfigError(f"{where}: {exc}") from exc
    if key == "retry_after_form":
        if value not in ("seconds", "http-date"):
            raise FaultConfigError(f"{where} must be 'seconds' or 'http-date'")
        return value
    if key in ("retry_after_seconds", "drip_interval_ms") and (
        not isinstance(value, int | float) or value < 0
    ):
        raise FaultConfigError(f"{where} must be a non-negative number")
    if key == "name" and not isinstance(value, str):
        raise FaultConfigError(f"{where} must be a string")
    return value


def load_profile(spec: str | Path | FaultProfile | None) -> FaultProfile:
    """A profile by name (`flaky`, `slow`, `hostile`, `ratelimited`, `none`) or TOML file path.

    A TOML file holds the `FaultProfile` keys at its top level or under `[faults]`, and may say
    `extends = "flaky"` to start from a named profile.
    """
    if spec is None:
        return NONE
    if isinstance(spec, FaultProfile):
        return spec
    text = str(spec)
    if text in PROFILES:
        return PROFILES[text]
    path = Path(text)
    if not path.suffix == ".toml" and not path.exists():
        raise FaultConfigError(
            f"fault profile {text!r} is neither a named profile ({', '.join(PROFILES)}) "
            "nor a TOML file"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FaultConfigError(f"{path}: cannot read fault profile: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise FaultConfigError(f"{path}: not valid TOML: {exc}") from exc
    table = data.get("faults", data)
    if not isinstance(table, dict):
        raise FaultConfigError(f"{path}: [faults] must be a table")
    table = dict(table)
    table.setdefault("name", path.stem)
    return profile_from_mapping(table, str(path))
