"""What the transports share: turning `Timeout` into a library's timeouts, raw headers into
`Headers`, and a library's exceptions into the hierarchy. Imports no HTTP library.

How each `Timeout` phase maps onto each library is documented in docs/runtime-surface.md
("Timeouts per transport"); keep the two in step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final, Generic, TypeVar

from .._errors import APIConnectionError
from .._models import Headers, Timeout
from ._base import transport_error

__all__ = ["ErrorRules", "TimeoutMemo", "raw_headers", "timeout_extensions", "translate"]

ErrorRules = tuple[tuple[type[BaseException], bool, bool], ...]
"""(exception class, is a timeout, proves the request never left); subclasses first."""


def translate(exc: BaseException, rules: ErrorRules) -> APIConnectionError:
    """The hierarchy's error for a library exception, by the first rule whose class matches."""
    for kind, is_timeout, never_sent in rules:
        if isinstance(exc, kind):
            return transport_error(exc, timeout=is_timeout, never_sent=never_sent)
    return transport_error(exc, timeout=False, never_sent=False)


def raw_headers(pairs: Iterable[tuple[bytes, bytes]]) -> Headers:
    """Headers as the wire had them (order, repeats); latin-1, as HTTP/1.1 defines bytes."""
    return Headers([(name.decode("latin-1"), value.decode("latin-1")) for name, value in pairs])


def timeout_extensions(timeout: Timeout) -> dict[str, dict[str, float | None]]:
    """httpcore's (and so httpx's) per-request `extensions`: all four phases are native there."""
    return {
        "timeout": {
            "connect": timeout.connect,
            "read": timeout.read,
            "write": timeout.write,
            "pool": timeout.pool,
        }
    }


_T = TypeVar("_T")
_MEMO_SIZE: Final = 64


class TimeoutMemo(Generic[_T]):
    """A library's timeout object per `Timeout`, built once: a client sends the same few
    `Timeout`s over and over. Timeouts carrying a `total` (capped to what is left of a call's
    deadline: a new value every attempt) are built each time and not kept, and the memo stops
    growing at 64 entries, so odd callers cannot make it grow without end."""

    __slots__ = ("_build", "_memo")

    def __init__(self, build: Callable[[Timeout], _T]) -> None:
        self._build = build
        self._memo: dict[Timeout, _T] = {}

    def __call__(self, timeout: Timeout) -> _T:
        built = self._memo.get(timeout)
        if built is None:
            built = self._build(timeout)
            if timeout.total is None and len(self._memo) < _MEMO_SIZE:
                self._memo[timeout] = built
        return built
