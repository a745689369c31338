"""The inbox protocol on real SQLite files and a real PostgreSQL database."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from apiweld.webhooks.backoff import Backoff
from apiweld.webhooks.dispatcher import Dispatcher, DispatchPolicy
from apiweld.webhooks.handlers import HandlerRegistry, NonRetryableError, WebhookEvent
from apiweld.webhooks.inbox import ClaimLost, Inbox, IncomingEvent, open_inbox


@pytest.fixture(params=["sqlite", "postgres"])
def inbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Inbox]:
    if request.param == "sqlite":
        store = open_inbox(str(tmp_path / "inbox.sqlite3"))
    else:
        url = request.getfixturevalue("pg_url")
        prefix = request.getfixturevalue("pg_prefix")
        store = open_inbox(url, table_prefix=prefix)
    yield store
    store.close()


def incoming(event_id: str, event_type: str = "invoice.paid", receiver: str = "r") -> IncomingEvent:
    body = f'{{"id": "{event_id}", "type": "{event_type}"}}'.encode()
    return IncomingEvent(receiver, event_id, event_type, body, (("x-a", "1"),), None, time.time())


def claim(store: Inbox, **kwargs: object):  # type: ignore[no-untyped-def]
    return store.claim(worker="w", max_attempts=3, lease_seconds=30, **kwargs)  # type: ignore[arg-type]


def test_store_deduplicates_by_receiver_and_event_id(inbox: Inbox) -> None:
    assert inbox.store([incoming("e1"), incoming("e1"), incoming("e2")]) == [True, False, True]
    assert inbox.store([incoming("e1")]) == [False]
    assert inbox.store([incoming("e1", receiver="other")]) == [True]
    stored = inbox.find("r", "e1")
    assert stored is not None and stored.deliveries == 3 and stored.status == "pending"
    assert stored.header("X-A") == "1"


def test_claim_complete_and_history(inbox: Inbox) -> None:
    inbox.store([incoming("e1")])
    first = claim(inbox)
    assert first is not None and first.attempt == 1
    assert claim(inbox) is None  # in flight, lease not expired
    assert inbox.complete(first)
    assert not inbox.complete(first)  # the claim is spent
    stored = inbox.get(first.event.id)
    assert stored is not None and stored.status == "done" and stored.completed_at is not None
    [attempt] = inbox.history(first.event.id)
    assert attempt.outcome == "done" and attempt.worker == "w"


def test_a_failed_attempt_is_retried_when_due(inbox: Inbox) -> None:
    inbox.store([incoming("e1")])
    first = claim(inbox)
    assert first is not None
    later = time.time() + 3600
    assert inbox.fail(first, "ConnectionError: down", retry_at=later)
    assert claim(inbox) is None  # not due yet
    second = claim(inbox, now=later + 1)
    assert second is not None and second.attempt == 2
    assert [a.outcome for a in inbox.history(first.event.id)] == ["error", None]


def test_dead_letter_and_replay(inbox: Inbox) -> None:
    inbox.store([incoming("e1")])
    c = claim(inbox)
    assert c is not None
    assert inbox.fail(c, "ValueError: bad", retry_at=None)
    stored = inbox.get(c.event.id)
    assert stored is not None and stored.status == "dead" and "bad" in (stored.last_error or "")
    assert [e.event_id for e in inbox.events(status="dead")] == ["e1"]
    assert inbox.replay(dead=True) == 1
    again = claim(inbox)
    assert again is not None and again.attempt == 1  # a fresh attempt budget
    outcomes = [a.outcome for a in inbox.history(c.event.id)]
    assert outcomes == ["dead", None]


def test_a_dead_worker_s_event_is_claimed_again_after_its_lease(inbox: Inbox) -> None:
    inbox.store([incoming("e1")])
    lost = inbox.claim(worker="dies", max_attempts=3, lease_seconds=0.05)
    assert lost is not None
    time.sleep(0.1)
    taken = claim(inbox)
    assert taken is not None and taken.event.id == lost.event.id and taken.attempt == 2
    assert not inbox.complete(lost)  # the dead worker's late completion is refused
    assert inbox.complete(taken)
    assert [a.outcome for a in inbox.history(taken.event.id)] == ["lost", "done"]


def test_lost_on_the_last_attempt_is_dead_lettered(inbox: Inbox) -> None:
    inbox.store([incoming("e1")])
    for _ in range(3):
        c = inbox.claim(worker="dies", max_attempts=3, lease_seconds=0.01)
        assert c is not None
        time.sleep(0.02)
    assert inbox.claim(worker="w", max_attempts=3, lease_seconds=30) is None
    stored = inbox.find("r", "e1")
    assert stored is not None and stored.status == "dead"


def test_transaction_commits_handler_writes_with_the_done_mark(inbox: Inbox) -> None:
    inbox.store([incoming("e1"), incoming("e2")])
    table = f"{inbox.prefix}effects"
    with inbox._transaction() as conn:
        inbox._execute(conn, f"CREATE TABLE {table} (event_id TEXT NOT NULL)")
    ok = claim(inbox)
    assert ok is not None
    with inbox.transaction(ok) as conn:
        inbox._execute(conn, f"INSERT INTO {table} VALUES (?)", (ok.event.event_id,))
    failing = claim(inbox)
    assert failing is not None
    with pytest.raises(RuntimeError), inbox.transaction(failing) as conn:
        inbox._execute(conn, f"INSERT INTO {table} VALUES (?)", (failing.event.event_id,))
        raise RuntimeError("handler crashed after writing")
    with inbox._transaction() as conn:
        rows = inbox._execute(conn, f"SELECT event_id FROM {table}").fetchall()
    assert [r[0] for r in rows] == [ok.event.event_id]  # the failed write rolled back
    assert inbox.counts() == {"pending": 0, "processing": 1, "done": 1, "dead": 0}


def test_transaction_refuses_a_lost_claim(inbox: Inbox) -> None:
    inbox.store([incoming("e1")])
    lost = inbox.claim(worker="slow", max_attempts=3, lease_seconds=0.01)
    assert lost is not None
    time.sleep(0.02)
    assert claim(inbox) is not None
    with pytest.raises(ClaimLost), inbox.transaction(lost):
        pytest.fail("must not run the handler on a lost claim")


def test_filters_purge_and_receiver_scoped_claims(inbox: Inbox) -> None:
    inbox.store([incoming("a1", receiver="a"), incoming("b1", receiver="b")])
    c = inbox.claim(worker="w", max_attempts=3, lease_seconds=30, receiver="b")
    assert c is not None and c.event.receiver == "b"
    inbox.complete(c)
    assert [e.event_id for e in inbox.events(receiver="a")] == ["a1"]
    assert inbox.counts("b")["done"] == 1
    assert inbox.purge(retention_seconds=3600) == 0
    assert inbox.purge(retention_seconds=0, now=time.time() + 1) == 1  # only the done one
    assert inbox.find("b", "b1") is None and inbox.find("a", "a1") is not None
    with pytest.raises(ValueError):
        inbox.replay()


def test_dispatcher_retries_with_backoff_and_dead_letters(inbox: Inbox) -> None:
    registry = HandlerRegistry()
    calls: list[tuple[str, int]] = []

    @registry.on("invoice.paid")
    def flaky(event: WebhookEvent) -> None:
        calls.append((event.event_id, event.attempt))
        if event.attempt < 2:
            raise ConnectionError("downstream down")

    @registry.on("invoice.*")
    def never(event: WebhookEvent) -> None:
        raise NonRetryableError("cannot ever work")

    @registry.on("*")
    async def anything(event: WebhookEvent) -> None:
        calls.append((event.type, event.json()["id"] == event.event_id))

    inbox.store([incoming("e1"), incoming("e2", "invoice.voided"), incoming("e3", "other")])
    policy = DispatchPolicy(max_attempts=3, backoff=Backoff(0.001, 1, 0.001), poll_interval=0.01)
    dispatcher = Dispatcher(inbox, registry, policy)
    deadline = time.monotonic() + 10
    while inbox.counts()["pending"] and time.monotonic() < deadline:
        dispatcher.drain()
        time.sleep(0.01)
    assert ("e1", 1) in calls and ("e1", 2) in calls and ("other", True) in calls
    unhandled = incoming("e4", "nobody.listens")
    inbox.store([unhandled])
    registry_without_catch_all = HandlerRegistry()
    Dispatcher(inbox, registry_without_catch_all, policy).drain()
    skipped = inbox.find("r", "e4")
    assert skipped is not None and skipped.status == "done"
    assert [a.outcome for a in inbox.history(skipped.id)] == ["skipped"]
    assert "no handler" in (skipped.last_error or "")
    assert inbox.counts() == {"pending": 0, "processing": 0, "done": 3, "dead": 1}
    dead = inbox.find("r", "e2")
    assert dead is not None and "NonRetryableError" in (dead.last_error or "")


def test_concurrent_workers_never_share_an_event(inbox: Inbox) -> None:
    inbox.store([incoming(f"e{i}") for i in range(120)])
    seen: list[str] = []
    lock = threading.Lock()
    registry = HandlerRegistry()

    @registry.on("*")
    def record(event: WebhookEvent) -> None:
        with lock:
            seen.append(event.event_id)

    dispatcher = Dispatcher(inbox, registry, DispatchPolicy(poll_interval=0.01))
    dispatcher.start(4)
    deadline = time.monotonic() + 30
    while inbox.counts()["done"] < 120 and time.monotonic() < deadline:
        time.sleep(0.05)
    dispatcher.stop()
    assert len(seen) == 120 and len(set(seen)) == 120


def test_idle_workers_wake_on_new_events_from_another_process(inbox: Inbox, tmp_path: Path) -> None:
    """With a 30 s poll interval, a stored event is still handled at once: in-process stores
    wake idle workers directly, and PostgreSQL relays other processes' stores (NOTIFY)."""
    handled = threading.Event()
    registry = HandlerRegistry()
    registry.add("*", lambda event: handled.set())
    dispatcher = Dispatcher(inbox, registry, DispatchPolicy(poll_interval=30))
    dispatcher.start(1)
    try:
        time.sleep(0.3)  # the worker found nothing and is waiting
        # Another process's inbox object on the same storage.
        other = (
            open_inbox(str(inbox.path), table_prefix=inbox.prefix)  # type: ignore[attr-defined]
            if hasattr(inbox, "path")
            else open_inbox(inbox.url, table_prefix=inbox.prefix)  # type: ignore[attr-defined]
        )
        writer = inbox if hasattr(inbox, "path") else other  # SQLite cannot notify across processes
        started = time.monotonic()
        writer.store([incoming("wake")])
        assert handled.wait(5), "the idle worker was not woken"
        assert time.monotonic() - started < 5
        other.close()
    finally:
        started = time.monotonic()
        dispatcher.stop()
        assert time.monotonic() - started < 5  # stopping wakes idle workers too


def test_a_handler_slower_than_its_lease_still_runs_once(inbox: Inbox) -> None:
    runs: list[str] = []
    registry = HandlerRegistry()

    @registry.on("*")
    def slow(event: WebhookEvent) -> None:
        runs.append(event.event_id)
        time.sleep(1.6)  # more than three leases: the heartbeat must keep extending it

    inbox.store([incoming("slow")])
    dispatcher = Dispatcher(inbox, registry, DispatchPolicy(lease_seconds=0.5, poll_interval=0.05))
    dispatcher.start(3)
    deadline = time.monotonic() + 15
    while inbox.counts()["done"] < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    dispatcher.stop()
    assert runs == ["slow"]
    assert [a.outcome for a in inbox.history(inbox.find("r", "slow").id)] == ["done"]  # type: ignore[union-attr]


def test_first_time_makes_effects_in_another_database_exactly_once(
    inbox: Inbox, tmp_path: Path
) -> None:
    import sqlite3

    from apiweld.webhooks.idempotency import first_time

    app_db = sqlite3.connect(tmp_path / "app.db", isolation_level=None)
    app_db.execute("CREATE TABLE ledger (event_id TEXT)")
    calls: list[str] = []
    registry = HandlerRegistry()

    @registry.on("*")
    def book(event: WebhookEvent) -> None:
        calls.append(event.event_id)
        app_db.execute("BEGIN IMMEDIATE")
        try:
            if first_time(app_db, event.event_id):
                app_db.execute("INSERT INTO ledger VALUES (?)", (event.event_id,))
            app_db.execute("COMMIT")
        except BaseException:
            app_db.execute("ROLLBACK")
            raise

    inbox.store([incoming("pay_1")])
    dispatcher = Dispatcher(inbox, registry)
    dispatcher.drain()
    stored = inbox.find("r", "pay_1")
    assert stored is not None
    inbox.replay(ids=[stored.id])  # delivered again, as after a crash before the done mark
    dispatcher.drain()
    assert calls == ["pay_1", "pay_1"]
    assert app_db.execute("SELECT event_id FROM ledger").fetchall() == [("pay_1",)]
    with pytest.raises(ValueError):
        first_time(app_db, "k", table="x; DROP TABLE ledger")


def test_first_time_on_postgresql(pg_url: str, pg_prefix: str) -> None:
    import psycopg

    from apiweld.webhooks.idempotency import first_time

    table = f"{pg_prefix}processed"
    with psycopg.connect(pg_url) as conn:
        with conn.transaction():
            assert first_time(conn, "evt_1", table=table)
        with conn.transaction():
            assert not first_time(conn, "evt_1", table=table)
        with pytest.raises(RuntimeError), conn.transaction():
            assert first_time(conn, "evt_2", table=table)
            raise RuntimeError("the effects failed: the key must roll back with them")
        with conn.transaction():
            assert first_time(conn, "evt_2", table=table)


def test_opening_a_live_postgres_inbox_runs_no_ddl(pg_url: str, pg_prefix: str) -> None:
    """A receiver restarting beside busy workers: even CREATE INDEX IF NOT EXISTS would wait
    for (and deadlock with) their row locks, so an existing schema is only looked at."""
    import psycopg

    first = open_inbox(pg_url, table_prefix=pg_prefix)
    first.store([incoming("busy")])
    with psycopg.connect(pg_url) as worker, worker.transaction():
        worker.execute(f"UPDATE {pg_prefix}events SET attempts = attempts + 1")  # row lock held
        opened: list[Inbox] = []
        thread = threading.Thread(
            target=lambda: opened.append(open_inbox(pg_url, table_prefix=pg_prefix))
        )
        thread.start()
        thread.join(5)
        assert opened, "opening the inbox waited on a lock held by a running transaction"
    opened[0].close()
    first.close()
