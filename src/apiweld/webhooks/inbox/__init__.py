"""Durable webhook inboxes: SQLite (embedded default) and PostgreSQL (scale-out)."""

from __future__ import annotations

from apiweld.webhooks.inbox._base import (
    AttemptRecord,
    Claim,
    ClaimLost,
    EventStatus,
    Inbox,
    IncomingEvent,
    StoredEvent,
)

__all__ = [
    "AttemptRecord",
    "Claim",
    "ClaimLost",
    "EventStatus",
    "Inbox",
    "IncomingEvent",
    "StoredEvent",
    "open_inbox",
]


def open_inbox(url: str, *, table_prefix: str = "apiweld_webhook_", create: bool = True) -> Inbox:
    """`postgresql://...` opens PostgreSQL; a path or `sqlite:///path` opens a SQLite file
    (created unless `create=False`)."""
    if url.startswith(("postgresql://", "postgres://")):
        from apiweld.webhooks.inbox.postgres import PostgresInbox

        return PostgresInbox(url, table_prefix=table_prefix)
    from apiweld.webhooks.inbox.sqlite import SqliteInbox

    path = url.removeprefix("sqlite://") if url.startswith("sqlite://") else url
    return SqliteInbox(path, table_prefix=table_prefix, create=create)
