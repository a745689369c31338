"""The embedded inbox: one SQLite file in WAL mode, no server.

Durability: `synchronous=FULL`. In WAL mode NORMAL survives a process crash but may lose the
last transactions on power loss or an OS crash, and the receiver has already answered 2xx for
those: the promise "never acknowledged before stored" would not hold. FULL costs one fsync per
commit, which the receiver amortises by committing concurrent requests together (group commit).
Several processes may share the file (WAL lets readers run beside the one writer); every write
transaction is `BEGIN IMMEDIATE`, so lock conflicts surface at BEGIN and wait on busy_timeout.
"""


# validate as an SQL identifier; every value is a bound parameter)

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from apiweld.webhooks._errors import InboxError
from apiweld.webhooks.inbox._base import Inbox

_SCHEMA = """
CREATE TABLE IF NOT EXISTS {p}events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    receiver TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    deliveries INTEGER NOT NULL DEFAULT 1,
    received_at REAL NOT NULL,
    next_attempt_at REAL NOT NULL,
    lease_until REAL,
    claim_token TEXT,
    completed_at REAL,
    last_error TEXT,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    url TEXT,
    UNIQUE (receiver, event_id)
);
CREATE INDEX IF NOT EXISTS {p}events_due ON {p}events (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS {p}events_lease ON {p}events (status, lease_until);
CREATE INDEX IF NOT EXISTS {p}events_received ON {p}events (received_at);
CREATE TABLE IF NOT EXISTS {p}attempts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_pk INTEGER NOT NULL REFERENCES {p}events (id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    worker TEXT,
    started_at REAL NOT NULL,
    finished_at REAL,
    outcome TEXT,
    error TEXT
);
CREATE INDEX IF NOT EXISTS {p}attempts_event ON {p}attempts (event_pk);
"""


class SqliteInbox(Inbox):
    def __init__(
        self,
        path: str | Path,
        *,
        table_prefix: str = "apiweld_webhook_",
        busy_timeout: float = 30.0,
        create: bool = True,
    ) -> None:
        """`create=False` (operations tools) refuses to create a missing file."""
        super().__init__(table_prefix=table_prefix)
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._connections: list[sqlite3.Connection] = []
        if not create and not self.path.is_file():
            raise InboxError(f"no inbox at {self.path} (nothing has been received there yet)")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in self.sql(_SCHEMA).split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except (sqlite3.Error, OSError) as exc:
            raise InboxError(f"cannot open the SQLite inbox {self.path}: {exc}") from exc

    def __repr__(self) -> str:
        return f"SqliteInbox({str(self.path)!r})"

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # isolation_level=None: transactions are begun explicitly (BEGIN IMMEDIATE for writes).
            conn = sqlite3.connect(
                self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
            self._local.conn = conn
            self._connections.append(conn)
        return conn

    @contextmanager
    def _transaction(self, *, write: bool = True) -> Iterator[sqlite3.Connection]:
        try:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN DEFERRED")
        except sqlite3.Error as exc:
            raise InboxError(f"SQLite inbox {self.path}: {exc}") from exc
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise InboxError(f"SQLite inbox {self.path}: commit failed: {exc}") from exc

    def _execute(self, conn: Any, sql: str, params: Sequence[Any] = ()) -> Any:
        try:
            return conn.execute(sql, tuple(params))
        except sqlite3.Error as exc:
            raise InboxError(f"SQLite inbox {self.path}: {exc}") from exc

    def _claim_row(self, conn: Any, now: float, receiver: str | None) -> Sequence[Any] | None:
        return self._claim_with(conn, now, receiver, "")

    def close(self) -> None:
        for conn in self._connections:
            with suppress(sqlite3.Error):
                conn.close()
        self._connections.clear()
        self._local.__dict__.clear()
