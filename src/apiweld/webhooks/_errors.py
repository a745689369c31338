"""The webhook package's exceptions: one per failure family, each with a stable reason code."""

from __future__ import annotations

from typing import Literal

VerificationReason = Literal[
    "missing_header",
    "duplicate_header",
    "header_too_large",
    "malformed_header",
    "bad_encoding",
    "unsupported_version",
    "bad_timestamp",
    "timestamp_too_old",
    "timestamp_in_future",
    "bad_signature",
    "no_secret",
    "missing_url",
    "bad_body",
    "body_hash_mismatch",
]


class WebhookError(Exception):
    """Base of every exception raised by `apiweld.webhooks`."""


class WebhookVerificationError(WebhookError):
    """A request failed verification. `reason` is a stable code; `header` names the culprit.

    Messages never contain a secret, a signature we computed, or the body.
    """

    def __init__(self, reason: VerificationReason, message: str, *, header: str | None = None):
        self.reason: VerificationReason = reason
        self.header = header
        where = f" (header {header})" if header else ""
        super().__init__(f"{reason}: {message}{where}")


class WebhookConfigError(WebhookError):
    """The receiver's configuration cannot work (a missing secret variable, a bad handler path)."""


class InboxError(WebhookError):
    """The inbox could not store or read events (database unreachable, schema mismatch)."""

    def __init__(self, message: str, *, sqlstate: str | None = None) -> None:
        self.sqlstate = sqlstate
        """The database's SQLSTATE code when it reported one (PostgreSQL), e.g. 40P01."""
        super().__init__(message)
