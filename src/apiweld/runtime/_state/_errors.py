"""Errors of the shared-state backends (rate-limit state, OAuth token cache)."""

from __future__ import annotations

__all__ = ["LockTimeout", "StateBackendError"]


class StateBackendError(ConnectionError):
    """The shared-state backend (Redis) could not be reached or refused a command.

    The message names the server by host and port only: credentials in a `redis://` URL never
    reach it. A subclass of `ConnectionError`, so a client maps it with its connection errors.
    """


class LockTimeout(TimeoutError):
    """A lock of the token cache was not obtained in time (another caller holds it too long)."""

    def __init__(self, key: str, timeout: float) -> None:
        self.key = key
        self.timeout = timeout
        super().__init__(f"lock for {key!r} not obtained within {timeout:.3f}s")
