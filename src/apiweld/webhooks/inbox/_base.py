"""The inbox contract, and the SQL both backends share.

Claim/complete protocol (what makes at-least-once delivery, and exactly-once handling, hold):

1. `store` writes the raw request in a committed transaction before the receiver answers 2xx.
   The (receiver, event_id) pair is unique: a redelivery only bumps `deliveries`.
2. `claim` takes one due event (pending and `next_attempt_at` reached, or processing with an
   expired lease, i.e. its worker died) and marks it processing with a fresh claim token, a
   lease, and `attempts + 1`, in one short committed transaction.
3. The handler runs. On success, `complete` marks the event done if the claim token still
   matches; `transaction(claim)` does the same inside a transaction the handler writes into, so
   its effects and the done mark commit together or not at all: a crash at any point leaves
   either both or neither, and the event is claimed again after the lease. That is the
   exactly-once path for handlers whose effects live in the same database.
4. On failure, `fail` schedules the next attempt (backoff) or dead-letters the event.
"""

# ruff: noqa: S608  (SQL is built only from constants and the table prefix, which settings
# validate as an SQL identifier; every value is a bound parameter)

from __future__ import annotations

import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from apiweld.webhooks._errors import InboxError

EventStatus = Literal["pending", "processing", "done", "dead"]
STATUSES: tuple[EventStatus, ...] = ("pending", "processing", "done", "dead")


class ClaimLost(InboxError):
    """The claim expired and another worker took the event; this worker's result is discarded."""


@dataclass(frozen=True, slots=True)
class IncomingEvent:
    receiver: str
    event_id: str
    event_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...]
    url: str | None
    received_at: float


@dataclass(frozen=True, slots=True)
class StoredEvent:
    id: int
    receiver: str
    event_id: str
    event_type: str
    status: EventStatus
    attempts: int
    deliveries: int
    received_at: float
    next_attempt_at: float
    completed_at: float | None
    last_error: str | None
    body: bytes
    headers: tuple[tuple[str, str], ...]
    url: str | None

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)


@dataclass(frozen=True, slots=True)
class Claim:
    event: StoredEvent
    token: str
    worker: str
    started_at: float

    @property
    def attempt(self) -> int:
        return self.event.attempts


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    attempt: int
    worker: str | None
    started_at: float
    finished_at: float | None
    outcome: str | None
    """`done`, `skipped`, `error`, `dead`, `lost` (the worker died), or None while running."""
    error: str | None


EVENT_COLUMNS = (
    "id, receiver, event_id, event_type, status, attempts, deliveries, received_at, "
    "next_attempt_at, completed_at, last_error, body, headers, url"
)


def row_to_event(row: Sequence[Any]) -> StoredEvent:
    headers = tuple((str(k), str(v)) for k, v in orjson.loads(row[12]))
    return StoredEvent(
        id=int(row[0]),
        receiver=row[1],
        event_id=row[2],
        event_type=row[3],
        status=row[4],
        attempts=int(row[5]),
        deliveries=int(row[6]),
        received_at=float(row[7]),
        next_attempt_at=float(row[8]),
        completed_at=None if row[9] is None else float(row[9]),
        last_error=row[10],
        body=bytes(row[11]),
        headers=headers,
        url=row[13],
    )


def encode_headers(headers: Sequence[tuple[str, str]]) -> str:
    return orjson.dumps([list(pair) for pair in headers]).decode()


class Inbox(ABC):
    """Durable storage of received webhooks and their processing state. Thread-safe."""

    def __init__(self, *, table_prefix: str = "apiweld_webhook_") -> None:
        self.prefix = table_prefix
        self._local = threading.local()
        self._new_work = threading.Condition()

    # -- waking idle workers -----------------------------------------------------------------
    def notify_new_work(self) -> None:
        """Wake this process's idle workers (after a store, a replay, or to stop them)."""
        with self._new_work:
            self._new_work.notify_all()

    def wait_for_work(self, timeout: float) -> None:
        """Block an idle worker until new work may be there, or `timeout` seconds pass.

        In-process stores wake it at once; PostgreSQL also relays other processes' stores
        (LISTEN/NOTIFY). Polling after `timeout` stays the fallback: retries come due with
        no notification, and other processes sharing a SQLite file cannot notify.
        """
        with self._new_work:
            self._new_work.wait(timeout)

    # -- the SQL both backends share; `?` placeholders, `{p}` the table prefix ---------------
    def sql(self, text: str) -> str:
        return text.replace("{p}", self.prefix)

    @abstractmethod
    def _transaction(self, *, write: bool = True) -> Any:
        """A context manager yielding a cursor-like `execute(sql, params)` in one transaction."""

    @abstractmethod
    def _execute(self, conn: Any, sql: str, params: Sequence[Any] = ()) -> Any: ...

    @abstractmethod
    def _claim_row(self, conn: Any, now: float, receiver: str | None) -> Sequence[Any] | None:
        """Lock and return the next due event row (EVENT_COLUMNS order), or None."""

    @abstractmethod
    def close(self) -> None: ...

    STORE_SQL = (
        "INSERT INTO {p}events (receiver, event_id, event_type, status, attempts, deliveries,"
        " received_at, next_attempt_at, headers, body, url)"
        " VALUES (?, ?, ?, 'pending', 0, 1, ?, ?, ?, ?, ?)"
        " ON CONFLICT (receiver, event_id) DO UPDATE SET deliveries = {p}events.deliveries + 1"
        " RETURNING deliveries"
    )

    @staticmethod
    def store_params(event: IncomingEvent) -> tuple[Any, ...]:
        return (
            event.receiver,
            event.event_id,
            event.event_type,
            event.received_at,
            event.received_at,
            encode_headers(event.headers),
            event.body,
            event.url,
        )

    def store(self, events: Sequence[IncomingEvent]) -> list[bool]:
        """Persist and commit; True for each event new to the inbox, False for a duplicate."""
        sql = self.sql(self.STORE_SQL)
        with self._transaction() as conn:
            results = [
                int(self._execute(conn, sql, self.store_params(e)).fetchone()[0]) == 1
                for e in events
            ]
        if any(results):
            self.notify_new_work()
        return results

    def claim(
        self,
        *,
        worker: str,
        max_attempts: int,
        lease_seconds: float,
        receiver: str | None = None,
        now: float | None = None,
    ) -> Claim | None:
        """Take the next due event, or None. Events whose worker died on their last allowed
        attempt are dead-lettered here instead of being run again."""
        if not self._anything_due(time.time() if now is None else now, receiver):
            # Idle workers poll; a plain read keeps them from taking the write lock (SQLite)
            # or row locks (PostgreSQL) only to find nothing.
            return None
        while True:
            current = time.time() if now is None else now
            token = uuid.uuid4().hex
            with self._transaction() as conn:
                row = self._claim_row(conn, current, receiver)
                if row is None:
                    return None
                event = row_to_event(row)
                self._execute(
                    conn,
                    self.sql(
                        "UPDATE {p}attempts SET finished_at = ?, outcome = 'lost',"
                        " error = 'worker lost (crash or lease expired)'"
                        " WHERE event_pk = ? AND finished_at IS NULL"
                    ),
                    (current, event.id),
                )
                if event.status == "processing" and event.attempts >= max_attempts:
                    self._execute(
                        conn,
                        self.sql(
                            "UPDATE {p}events SET status = 'dead', claim_token = NULL,"
                            " lease_until = NULL, last_error = ? WHERE id = ?"
                        ),
                        ("worker lost during the last attempt", event.id),
                    )
                    continue
                updated = self._execute(
                    conn,
                    self.sql(
                        "UPDATE {p}events SET status = 'processing', claim_token = ?,"
                        " lease_until = ?, attempts = attempts + 1 WHERE id = ?"
                        f" RETURNING {EVENT_COLUMNS}"
                    ),
                    (token, current + lease_seconds, event.id),
                ).fetchone()
                claimed = row_to_event(updated)
                self._execute(
                    conn,
                    self.sql(
                        "INSERT INTO {p}attempts (event_pk, attempt, worker, started_at)"
                        " VALUES (?, ?, ?, ?)"
                    ),
                    (claimed.id, claimed.attempts, worker, current),
                )
            return Claim(event=claimed, token=token, worker=worker, started_at=current)

    def _finish(
        self,
        conn: Any,
        claim: Claim,
        *,
        status: EventStatus,
        outcome: str,
        error: str | None,
        next_attempt_at: float | None,
        now: float,
    ) -> bool:
        updated = self._execute(
            conn,
            self.sql(
                "UPDATE {p}events SET status = ?, claim_token = NULL, lease_until = NULL,"
                " last_error = ?, completed_at = ?, next_attempt_at = COALESCE(?, next_attempt_at)"
                " WHERE id = ? AND claim_token = ? AND status = 'processing' RETURNING id"
            ),
            (
                status,
                error,
                now if status == "done" else None,
                next_attempt_at,
                claim.event.id,
                claim.token,
            ),
        ).fetchone()
        if updated is None:
            return False
        self._execute(
            conn,
            self.sql(
                "UPDATE {p}attempts SET finished_at = ?, outcome = ?, error = ?"
                " WHERE event_pk = ? AND attempt = ? AND finished_at IS NULL"
            ),
            (now, outcome, error, claim.event.id, claim.attempt),
        )
        return True

    def complete(
        self, claim: Claim, *, skipped: str | None = None, now: float | None = None
    ) -> bool:
        """Mark done (or done as `skipped`, with that note, e.g. no handler for its type);
        False if the claim was lost meanwhile (another worker owns the event)."""
        current = time.time() if now is None else now
        with self._transaction() as conn:
            return self._finish(
                conn,
                claim,
                status="done",
                outcome="skipped" if skipped else "done",
                error=skipped,
                next_attempt_at=None,
                now=current,
            )

    def extend(self, claim: Claim, lease_seconds: float, *, now: float | None = None) -> bool:
        """Push the claim's lease out (a long handler is still running); False if lost."""
        current = time.time() if now is None else now
        with self._transaction() as conn:
            row = self._execute(
                conn,
                self.sql(
                    "UPDATE {p}events SET lease_until = ?"
                    " WHERE id = ? AND claim_token = ? AND status = 'processing' RETURNING id"
                ),
                (current + lease_seconds, claim.event.id, claim.token),
            ).fetchone()
        return row is not None

    @contextmanager
    def transaction(self, claim: Claim) -> Iterator[Any]:
        """A transaction the handler writes into; the event is marked done in it on success.

        Raises `ClaimLost` (before running anything) when the claim is no longer ours.
        """
        with self._transaction() as conn:
            if not self._hold_claim(conn, claim):
                raise ClaimLost(f"event {claim.event.id} was claimed by another worker")
            yield conn
            if not self._finish(
                conn,
                claim,
                status="done",
                outcome="done",
                error=None,
                next_attempt_at=None,
                now=time.time(),
            ):
                raise ClaimLost(f"event {claim.event.id} was claimed by another worker")

    def _hold_claim(self, conn: Any, claim: Claim) -> bool:
        row = self._execute(
            conn,
            self.sql(
                "SELECT id FROM {p}events"
                " WHERE id = ? AND claim_token = ? AND status = 'processing'"
            )
            + self._lock_suffix(),
            (claim.event.id, claim.token),
        ).fetchone()
        return row is not None

    def _lock_suffix(self) -> str:
        return ""

    def _due_queries(self, receiver: str | None, lock: str) -> tuple[str, str]:
        """The two claim lookups: dead workers' events first, then due ones (each indexed)."""
        scope = " AND receiver = ?" if receiver is not None else ""
        lost = self.sql(
            f"SELECT {EVENT_COLUMNS} FROM {{p}}events"
            f" WHERE status = 'processing' AND lease_until < ?{scope}"
            f" ORDER BY lease_until LIMIT 1{lock}"
        )
        due = self.sql(
            f"SELECT {EVENT_COLUMNS} FROM {{p}}events"
            f" WHERE status = 'pending' AND next_attempt_at <= ?{scope}"
            f" ORDER BY next_attempt_at, id LIMIT 1{lock}"
        )
        return lost, due

    def _anything_due(self, now: float, receiver: str | None) -> bool:
        scope = " AND receiver = ?" if receiver is not None else ""
        params: tuple[Any, ...] = (now,) if receiver is None else (now, receiver)
        with self._transaction(write=False) as conn:
            for condition in ("status = 'pending' AND next_attempt_at <= ?",
                              "status = 'processing' AND lease_until < ?"):  # fmt: skip
                sql = self.sql(f"SELECT 1 FROM {{p}}events WHERE {condition}{scope} LIMIT 1")
                if self._execute(conn, sql, params).fetchone() is not None:
                    return True
        return False

    def _claim_with(
        self, conn: Any, now: float, receiver: str | None, lock: str
    ) -> Sequence[Any] | None:
        params: tuple[Any, ...] = (now,) if receiver is None else (now, receiver)
        for sql in self._due_queries(receiver, lock):
            row = self._execute(conn, sql, params).fetchone()
            if row is not None:
                return row  # type: ignore[no-any-return]
        return None

    def fail(
        self, claim: Claim, error: str, *, retry_at: float | None, now: float | None = None
    ) -> bool:
        """Record a failed attempt: retry at `retry_at`, or dead-letter when it is None."""
        current = time.time() if now is None else now
        dead = retry_at is None
        with self._transaction() as conn:
            return self._finish(
                conn,
                claim,
                status="dead" if dead else "pending",
                outcome="dead" if dead else "error",
                error=error[:4000],
                next_attempt_at=retry_at,
                now=current,
            )

    # -- operations -------------------------------------------------------------------------
    def get(self, pk: int) -> StoredEvent | None:
        with self._transaction(write=False) as conn:
            row = self._execute(
                conn, self.sql(f"SELECT {EVENT_COLUMNS} FROM {{p}}events WHERE id = ?"), (pk,)
            ).fetchone()
        return None if row is None else row_to_event(row)

    def find(self, receiver: str, event_id: str) -> StoredEvent | None:
        with self._transaction(write=False) as conn:
            row = self._execute(
                conn,
                self.sql(
                    f"SELECT {EVENT_COLUMNS} FROM {{p}}events WHERE receiver = ? AND event_id = ?"
                ),
                (receiver, event_id),
            ).fetchone()
        return None if row is None else row_to_event(row)

    def history(self, pk: int) -> list[AttemptRecord]:
        with self._transaction(write=False) as conn:
            rows = self._execute(
                conn,
                self.sql(
                    "SELECT attempt, worker, started_at, finished_at, outcome, error"
                    " FROM {p}attempts WHERE event_pk = ? ORDER BY seq"
                ),
                (pk,),
            ).fetchall()
        return [AttemptRecord(*row) for row in rows]

    def events(
        self,
        *,
        status: EventStatus | None = None,
        receiver: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 50,
    ) -> list[StoredEvent]:
        clauses, params = self._filters(status=status, receiver=receiver, since=since, until=until)
        sql = f"SELECT {EVENT_COLUMNS} FROM {{p}}events{clauses} ORDER BY id DESC LIMIT ?"
        with self._transaction(write=False) as conn:
            rows = self._execute(conn, self.sql(sql), (*params, limit)).fetchall()
        return [row_to_event(row) for row in rows]

    @staticmethod
    def _filters(
        *,
        status: str | None = None,
        receiver: str | None = None,
        since: float | None = None,
        until: float | None = None,
        ids: Sequence[int] = (),
    ) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for column, op, value in (
            ("status", "=", status),
            ("receiver", "=", receiver),
            ("received_at", ">=", since),
            ("received_at", "<", until),
        ):
            if value is not None:
                clauses.append(f"{column} {op} ?")
                params.append(value)
        if ids:
            clauses.append(f"id IN ({', '.join('?' for _ in ids)})")
            params.extend(ids)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    def counts(self, receiver: str | None = None) -> dict[str, int]:
        where, params = self._filters(receiver=receiver)
        with self._transaction(write=False) as conn:
            rows = self._execute(
                conn,
                self.sql(f"SELECT status, COUNT(*) FROM {{p}}events{where} GROUP BY status"),
                params,
            ).fetchall()
        found = {str(status): int(count) for status, count in rows}
        return {status: found.get(status, 0) for status in STATUSES}

    def replay(
        self,
        *,
        ids: Sequence[int] = (),
        since: float | None = None,
        until: float | None = None,
        dead: bool = False,
        receiver: str | None = None,
        now: float | None = None,
    ) -> int:
        """Queue events again with a fresh attempt budget; events in flight are left alone."""
        if not ids and since is None and until is None and not dead:
            raise ValueError("replay needs ids, a time range, or dead=True")
        current = time.time() if now is None else now
        where, params = self._filters(
            status="dead" if dead else None, receiver=receiver, since=since, until=until, ids=ids
        )
        where += (" AND" if where else " WHERE") + " status <> 'processing'"
        with self._transaction() as conn:
            rows = self._execute(
                conn,
                self.sql(
                    "UPDATE {p}events SET status = 'pending', attempts = 0, next_attempt_at = ?,"
                    f" completed_at = NULL, last_error = NULL{where} RETURNING id"
                ),
                (current, *params),
            ).fetchall()
        if rows:
            self.notify_new_work()
        return len(rows)

    def purge(self, *, retention_seconds: float, now: float | None = None) -> int:
        """Forget handled events older than the deduplication window (dead letters are kept)."""
        cutoff = (time.time() if now is None else now) - retention_seconds
        with self._transaction() as conn:
            rows = self._execute(
                conn,
                self.sql(
                    "DELETE FROM {p}events WHERE status = 'done' AND received_at < ? RETURNING id"
                ),
                (cutoff,),
            ).fetchall()
        return len(rows)
