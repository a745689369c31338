"""Exactly-once effects in your own database: a processed-keys table written in your transaction.

Delivery to handlers is at-least-once. When a handler's effects live in the inbox's database,
`@transactional` makes them exactly-once. When they live in another database (your
application's), do them in a transaction that also records the event id:

    @receiver.on("invoice.paid")
    def paid(event):
        with app_db.transaction() as conn:            # sqlite3 or psycopg connection
            if not first_time(conn, event.event_id):  # a redelivery, or a retry after a crash
                return                                # between our commit and the done mark
            conn.execute("UPDATE accounts SET paid = paid + ...")

Either both the key and the effects commit, or neither does; a second delivery finds the key.
With PostgreSQL and many workers, create the table up front (a migration) rather than relying
on the first call's CREATE TABLE IF NOT EXISTS, which concurrent first calls can race.
"""

from __future__ import annotations

import re
import sqlite3
import time
from typing import Any

DEFAULT_TABLE = "apiweld_webhook_processed"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def first_time(connection: Any, key: str, *, table: str = DEFAULT_TABLE) -> bool:
    """Record `key` in `table` (created on first use) within the connection's current
    transaction; True the first time, False when it was recorded before."""
    if not _IDENTIFIER.match(table):
        raise ValueError(f"table must be an SQL identifier, got {table!r}")
    mark = "?" if isinstance(connection, sqlite3.Connection) else "%s"
    # The table name is checked above; the key is always a bound parameter.
    connection.execute(
        f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, processed_at REAL)"
    )
    row = connection.execute(
        f"INSERT INTO {table} (key, processed_at) VALUES ({mark}, {mark})"  # noqa: S608
        " ON CONFLICT (key) DO NOTHING RETURNING key",
        (key, time.time()),
    ).fetchone()
    return row is not None
