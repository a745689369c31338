"""The scale-out inbox: PostgreSQL (psycopg 3), for several receivers and workers on many hosts.

Workers claim with `FOR UPDATE SKIP LOCKED`, so concurrent claimers never wait on each other and
never take the same event. Times are Unix seconds from the hosts' clocks (keep them in NTP sync;
the lease, 5 minutes by default, dwarfs ordinary skew).
"""


# validate as an SQL identifier; every value is a bound parameter)

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from apiweld.webhooks._errors import InboxError
from apiweld.webhooks.inbox._base import Inbox, IncomingEvent

_SCHEMA = """
CREATE TABLE IF NOT EXISTS {p}events (
    id BIGSERIAL PRIMARY KEY,
    receiver TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    deliveries INTEGER NOT NULL DEFAULT 1,
    received_at DOUBLE PRECISION NOT NULL,
    next_attempt_at DOUBLE PRECISION NOT NULL,
    lease_until DOUBLE PRECISION,
    claim_token TEXT,
    completed_at DOUBLE PRECISION,
    last_error TEXT,
    headers TEXT NOT NULL,
    body BYTEA NOT NULL,
    url TEXT,
    UNIQUE (receiver, event_id)
);
CREATE INDEX IF NOT EXISTS {p}events_due ON {p}events (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS {p}events_lease ON {p}events (status, lease_until);
CREATE INDEX IF NOT EXISTS {p}events_received ON {p}events (received_at);
CREATE TABLE IF NOT EXISTS {p}attempts (
    seq BIGSERIAL PRIMARY KEY,
    event_pk BIGINT NOT NULL REFERENCES {p}events (id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    worker TEXT,
    started_at DOUBLE PRECISION NOT NULL,
    finished_at DOUBLE PRECISION,
    outcome TEXT,
    error TEXT
);
CREATE INDEX IF NOT EXISTS {p}attempts_event ON {p}attempts (event_pk)
"""


_DEADLOCK_DETECTED = "40P01"


def _pg_params(sql: str) -> str:
    # The shared SQL uses `?`; psycopg wants `%s`. No statement here contains a literal `?` or `%`.
    return sql.replace("?", "%s")


class PostgresInbox(Inbox):
    def __init__(self, url: str, *, table_prefix: str = "apiweld_webhook_") -> None:
        super().__init__(table_prefix=table_prefix)
        self.url = url
        self._connections: list[Any] = []
        self._listener: threading.Thread | None = None
        self._listener_lock = threading.Lock()
        self._closing = threading.Event()
        self._create_schema()

    _OBJECTS = (
        "events", "attempts", "events_due", "events_lease", "events_received", "attempts_event"
    )  # fmt: skip

    def _create_schema(self) -> None:
        # A process (re)starting beside running workers must not run DDL: even CREATE INDEX IF
        # NOT EXISTS takes a ShareLock on the table first, and deadlocks against workers'
        # row-exclusive locks. So: look (plain reads), and create only what is missing.
        names = [f"{self.prefix}{name}" for name in self._OBJECTS]
        probe = "SELECT " + ", ".join("to_regclass(%s) IS NOT NULL" for _ in names)
        with self._transaction() as conn:
            if all(conn.execute(probe, names).fetchone()):
                return
        for attempt in range(5):
            try:
                with self._transaction() as conn:
                    # Several processes start at once: serialise the DDL (CREATE ... IF NOT
                    # EXISTS is not safe against concurrent creators in PostgreSQL).
                    conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self.prefix,))
                    for statement in self.sql(_SCHEMA).split(";"):
                        if statement.strip():
                            conn.execute(statement)
                return
            except InboxError as exc:
                if exc.sqlstate != _DEADLOCK_DETECTED or attempt == 4:
                    raise

    def __repr__(self) -> str:
        from psycopg.conninfo import conninfo_to_dict

        try:
            info = conninfo_to_dict(self.url)
        except Exception:
            return "PostgresInbox(<unparseable url>)"
        return f"PostgresInbox(host={info.get('host')!r}, dbname={info.get('dbname')!r})"

    def _connection(self) -> Any:
        import psycopg

        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.broken:
            try:
                conn = psycopg.connect(self.url, autocommit=True)
            except psycopg.Error as exc:
                raise InboxError(f"cannot connect to the PostgreSQL inbox: {exc}") from None
            self._local.conn = conn
            self._connections.append(conn)
        return conn

    @contextmanager
    def _transaction(self, *, write: bool = True) -> Iterator[Any]:
        import psycopg

        conn = self._connection()
        try:
            with conn.transaction():
                yield conn
        except psycopg.Error as exc:
            raise InboxError(f"PostgreSQL inbox: {exc}", sqlstate=exc.sqlstate) from None

    def _execute(self, conn: Any, sql: str, params: Sequence[Any] = ()) -> Any:
        return conn.execute(_pg_params(sql), tuple(params))

    def store(self, events: Sequence[IncomingEvent]) -> list[bool]:
        # Pipeline mode sends the whole batch before reading any result: one round trip per
        # batch instead of one per event. (A single multi-row INSERT cannot be used: ON
        # CONFLICT DO UPDATE refuses to touch one row twice, as a batch with a redelivery would.)
        import psycopg

        sql = _pg_params(self.sql(self.STORE_SQL))
        with self._transaction() as conn:
            try:
                with conn.pipeline():
                    cursors = [conn.execute(sql, self.store_params(e)) for e in events]
                    # Delivered at commit to listeners: other processes' idle workers.
                    conn.execute("SELECT pg_notify(%s, '')", (self.channel,))
            except psycopg.Error as exc:
                raise InboxError(f"PostgreSQL inbox: {exc}") from None
            results = [int(cursor.fetchone()[0]) == 1 for cursor in cursors]
        self.notify_new_work()
        return results

    @property
    def channel(self) -> str:
        return f"{self.prefix}new_events"

    def wait_for_work(self, timeout: float) -> None:
        self._ensure_listener()
        super().wait_for_work(timeout)

    def _ensure_listener(self) -> None:
        with self._listener_lock:
            if self._listener is None or not self._listener.is_alive():
                self._listener = threading.Thread(
                    target=self._listen, name="apiweld-webhook-listen", daemon=True
                )
                self._listener.start()

    def _listen(self) -> None:
        """Turn NOTIFYs from any process into wake-ups of this process's idle workers."""
        import psycopg
        from psycopg import sql

        while not self._closing.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as conn:
                    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
                    while not self._closing.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            self.notify_new_work()
            except psycopg.Error:
                # The database went away: workers keep polling meanwhile; listen again soon.
                self._closing.wait(1.0)

    def _lock_suffix(self) -> str:
        return " FOR UPDATE"

    def _claim_row(self, conn: Any, now: float, receiver: str | None) -> Sequence[Any] | None:
        return self._claim_with(conn, now, receiver, " FOR UPDATE SKIP LOCKED")

    def drop_tables(self) -> None:
        """Remove this inbox's tables (tests and teardown)."""
        with self._transaction() as conn:
            conn.execute(self.sql("DROP TABLE IF EXISTS {p}attempts, {p}events CASCADE"))

    def close(self) -> None:
        self._closing.set()
        for conn in self._connections:
            with suppress(Exception):  # closing a broken connection may fail; nothing to do
                conn.close()
        self._connections.clear()
        self._local.__dict__.clear()
