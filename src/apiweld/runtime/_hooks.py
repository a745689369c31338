"""Event hooks: where users plug metrics and tracing in.

Sync clients call sync callables; async clients accept sync callables and coroutine functions.
A hook that raises propagates (a tracing bug should be seen, not silently swallowed), except that
hooks never see or receive secrets: requests and responses are passed as redacted views.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Hooks", "RateLimitWaitEvent", "RequestEvent", "ResponseEvent", "RetryEvent"]


@dataclass(slots=True)
class RequestEvent:
    """Before an attempt is sent. `headers` may be changed (e.g. to inject a trace header)."""

    operation_id: str
    method: str
    url: str
    """Redacted."""
    headers: dict[str, str]
    """Added to the outgoing request; auth headers are not shown here."""
    attempt: int


@dataclass(frozen=True, slots=True)
class ResponseEvent:
    operation_id: str
    method: str
    url: str
    status_code: int
    headers: Mapping[str, str]
    """Redacted."""
    elapsed: float
    attempt: int


@dataclass(frozen=True, slots=True)
class RetryEvent:
    operation_id: str
    method: str
    url: str
    attempt: int
    """The attempt that failed (1-based)."""
    delay: float
    status_code: int | None
    error: str | None


@dataclass(frozen=True, slots=True)
class RateLimitWaitEvent:
    operation_id: str
    group: str
    waited: float


Hook = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Hooks:
    before_request: Sequence[Hook] = field(default_factory=tuple)
    after_response: Sequence[Hook] = field(default_factory=tuple)
    on_retry: Sequence[Hook] = field(default_factory=tuple)
    on_rate_limit_wait: Sequence[Hook] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        for name in ("before_request", "after_response", "on_retry", "on_rate_limit_wait"):
            value = getattr(self, name)
            if callable(value):
                value = (value,)
            for hook in value:
                if not callable(hook):
                    raise TypeError(f"Hooks.{name}: {hook!r} is not callable")
            object.__setattr__(self, name, tuple(value))

    def __bool__(self) -> bool:
        return bool(
            self.before_request or self.after_response or self.on_retry or self.on_rate_limit_wait
        )

    def check_sync(self) -> None:
        """A sync client cannot await: reject coroutine functions up front."""
        for name in ("before_request", "after_response", "on_retry", "on_rate_limit_wait"):
            for hook in getattr(self, name):
                if inspect.iscoroutinefunction(hook):
                    raise TypeError(
                        f"Hooks.{name}: {hook!r} is async; pass it to an AsyncClient instead"
                    )


def run_sync(hooks: Sequence[Hook], event: Any) -> None:
    for hook in hooks:
        hook(event)


async def run_async(hooks: Sequence[Hook], event: Any) -> None:
    for hook in hooks:
        result = hook(event)
        if inspect.isawaitable(result):
            await result
