"""Crash test: receivers and workers are SIGKILLed and restarted while a load generator delivers
signed events (with redeliveries). Every event that got a 2xx must be handled exactly once:
the handler writes into an `effects` table with no unique key, inside the transaction that
marks the event done, so a duplicate effect or a lost event would both show.

SQLite: one `apiweld webhooks serve` process with two dispatcher threads.
PostgreSQL: two receiver processes (`serve --workers 0`) and three `apiweld webhooks work`
processes sharing one inbox (claims with FOR UPDATE SKIP LOCKED).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import urllib3

from apiweld.webhooks.schemes import StandardWebhooks

SECRET = "whsec_" + "Y3Jhc2gtdGVzdC1zZWNyZXQtMzItYnl0ZXMhISE="
EVENTS = 400
REDELIVERED = 100
KILLS = 6
APIWELD = [sys.executable, "-c", "from apiweld.cli import main; main()"]

HANDLERS = """
import os
import random
import sqlite3
import time
import zlib

from apiweld.webhooks import transactional


@transactional
def record(event):
    conn = event.connection
    mark = "?" if isinstance(conn, sqlite3.Connection) else "%s"
    table = os.environ["CRASH_PREFIX"] + "effects"
    conn.execute(
        f"INSERT INTO {table} (event_id, worker_pid) VALUES ({mark}, {mark})",
        (event.event_id, os.getpid()),
    )
    # Widen the window in which a SIGKILL lands between the write and the commit.
    time.sleep(random.uniform(0, 0.004))
    # Some events fail their first attempt: retries must not duplicate effects either.
    if event.attempt == 1 and zlib.crc32(event.event_id.encode()) % 20 == 0:
        raise RuntimeError("transient failure on the first attempt")
"""


@dataclass
class Fleet:
    """The processes under test, each restartable on the same port."""

    env: dict[str, str]
    config: Path
    log: Path
    specs: list[tuple[str, list[str]]] = field(default_factory=list)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def add(self, name: str, args: list[str]) -> None:
        self.specs.append((name, args))

    def start(self, name: str) -> None:
        args = dict(self.specs)[name]
        with self.log.open("ab") as log:
            self.procs[name] = subprocess.Popen(
                [*APIWELD, "webhooks", *args, "--config", str(self.config)],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def start_all(self) -> None:
        for name, _ in self.specs:
            self.start(name)

    def kill(self, name: str) -> None:
        proc = self.procs[name]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(10)


def _write_project(tmp_path: Path, inbox: str, prefix: str) -> tuple[Path, dict[str, str]]:
    # Beside apiweld.toml, where `serve` and `work` import handler modules from.
    (tmp_path / "crash_handlers.py").write_text(HANDLERS)
    config = tmp_path / "apiweld.toml"
    config.write_text(
        f"""
[webhooks.crash]
path = "/hooks"
scheme = "standard"
secret_env = "CRASH_SECRET"
inbox = "{inbox}"
table_prefix = "{prefix}"
lease_seconds = 1.5
max_attempts = 50
handlers = {{ "*" = "crash_handlers:record" }}

[webhooks.crash.backoff]
initial_seconds = 0.05
max_seconds = 0.3
"""
    )
    env = {
        **os.environ,
        "CRASH_SECRET": SECRET,
        "CRASH_PREFIX": prefix,
    }
    return config, env


def _deliver_all(ports: list[int], stop_chaos: threading.Event) -> set[str]:
    """Send every event until it gets a 2xx (as a provider would), plus redeliveries."""
    scheme = StandardWebhooks([SECRET])
    rng = random.Random(7)
    plan = [f"evt_{i:04d}" for i in range(EVENTS)]
    plan += rng.sample(plan, REDELIVERED)  # redeliveries, after their first 2xx
    acked: set[str] = set()
    lock = threading.Lock()
    queue = list(enumerate(plan))
    pool = urllib3.PoolManager(maxsize=8, retries=False)

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                index, event_id = queue.pop(0)
            body = b'{"type": "crash.test", "n": %d}' % index
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                headers = scheme.sign(body, event_id=event_id, timestamp=int(time.time()))
                port = rng.choice(ports)
                try:
                    response = pool.request(
                        "POST", f"http://127.0.0.1:{port}/hooks", body=body, headers=headers,
                        timeout=urllib3.Timeout(connect=1, read=5),
                    )  # fmt: skip
                except urllib3.exceptions.HTTPError:
                    time.sleep(0.05)
                    continue
                if 200 <= response.status < 300:
                    with lock:
                        acked.add(event_id)
                    # Paced (about 70 deliveries/s) so the kills land throughout the load.
                    time.sleep(0.1)
                    break
                time.sleep(0.05)
            else:
                raise AssertionError(f"{event_id} never acknowledged")

    errors: list[BaseException] = []

    def guarded() -> None:
        try:
            worker()
        except BaseException as exc:  # surfaced below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=guarded) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop_chaos.set()
    if errors:
        raise errors[0]
    return acked


def _chaos(fleet: Fleet, stop: threading.Event, wait_ready: Callable[[str], None]) -> int:
    rng = random.Random(11)
    kills = 0
    names = [name for name, _ in fleet.specs]
    while kills < KILLS:
        if stop.wait(rng.uniform(0.4, 0.9)) and kills >= 3:
            break
        victim = names[kills % len(names)] if kills < len(names) else rng.choice(names)
        fleet.kill(victim)
        kills += 1
        time.sleep(rng.uniform(0.05, 0.3))
        fleet.start(victim)
        wait_ready(victim)
    return kills


def _run_crash_test(
    tmp_path: Path,
    *,
    inbox_url: str,
    prefix: str,
    receivers: int,
    workers: int,
    port_tools: Any,
    effects_ddl: str,
    query: Callable[[str], list[tuple[Any, ...]]],
) -> None:
    free_port, wait_for_port = port_tools
    config, env = _write_project(tmp_path, inbox_url, prefix)
    fleet = Fleet(env=env, config=config, log=tmp_path / "fleet.log")
    ports = [free_port() for _ in range(receivers)]
    embedded = 2 if workers == 0 else 0
    for index, port in enumerate(ports):
        fleet.add(f"receiver{index}", ["serve", "--port", str(port), "--workers", str(embedded)])
    for index in range(workers):
        fleet.add(f"worker{index}", ["work", "--workers", "1"])
    port_of = {f"receiver{i}": p for i, p in enumerate(ports)}

    def wait_ready(name: str) -> None:
        if name in port_of:
            wait_for_port(port_of[name], 60)

    # The inbox tables and the effects table exist before the fleet starts.
    from apiweld.webhooks.inbox import open_inbox

    store = open_inbox(inbox_url, table_prefix=prefix)
    with store._transaction() as conn:
        store._execute(conn, effects_ddl)
    try:
        fleet.start_all()
        for port in ports:
            wait_for_port(port, 60)
        stop = threading.Event()
        kills: list[int] = []
        chaos_errors: list[BaseException] = []

        def run_chaos() -> None:
            try:
                kills.append(_chaos(fleet, stop, wait_ready))
            except BaseException as exc:
                chaos_errors.append(exc)

        chaos = threading.Thread(target=run_chaos)
        chaos.start()
        acked = _deliver_all(ports, stop)
        chaos.join(60)
        if chaos_errors:
            raise chaos_errors[0]
        assert kills and kills[0] >= 3, f"only {kills} kills happened"
        for name, proc in fleet.procs.items():  # everything back up to finish the work
            if proc.poll() is not None:
                fleet.start(name)
        deadline = time.monotonic() + 120  # generous: CI machines are shared and slow
        while time.monotonic() < deadline:
            counts = store.counts()
            if counts["pending"] == counts["processing"] == 0:
                break
            time.sleep(0.2)
        counts = store.counts()
    finally:
        fleet.stop_all()
    log_tail = fleet.log.read_text(errors="replace")[-3000:]
    assert counts["pending"] == counts["processing"] == counts["dead"] == 0, (counts, log_tail)
    effects = Counter(row[0] for row in query(f"SELECT event_id FROM {prefix}effects"))
    assert len(acked) == EVENTS
    lost = acked - set(effects)
    duplicated = {event_id: n for event_id, n in effects.items() if n > 1}
    assert not lost, f"{len(lost)} acknowledged, never handled: {sorted(lost)[:5]}\n{log_tail}"
    assert not duplicated, f"handled twice: {dict(list(duplicated.items())[:5])}\n{log_tail}"
    assert set(effects) <= acked | {f"evt_{i:04d}" for i in range(EVENTS)}
    retried = query(f"SELECT COUNT(*) FROM {prefix}attempts WHERE outcome IN ('error', 'lost')")[0][
        0
    ]
    assert retried > 0  # the failure paths were exercised, not only the happy one
    store.close()


def test_sqlite_inbox_survives_sigkill_exactly_once(tmp_path: Path, port_tools: Any) -> None:
    import sqlite3

    db = tmp_path / "inbox.sqlite3"

    def query(sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(db) as conn:
            return conn.execute(sql).fetchall()

    _run_crash_test(
        tmp_path,
        inbox_url=str(db),
        prefix="crash_",
        receivers=1,
        workers=0,
        port_tools=port_tools,
        effects_ddl="CREATE TABLE crash_effects (event_id TEXT NOT NULL, worker_pid INTEGER)",
        query=query,
    )


def test_postgres_inbox_two_receivers_three_workers_exactly_once(
    tmp_path: Path, port_tools: Any, pg_url: str, pg_prefix: str
) -> None:
    import psycopg

    def query(sql: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(pg_url) as conn:
            return conn.execute(sql).fetchall()

    _run_crash_test(
        tmp_path,
        inbox_url=pg_url,
        prefix=pg_prefix,
        receivers=2,
        workers=3,
        port_tools=port_tools,
        effects_ddl=f"CREATE TABLE {pg_prefix}effects (event_id TEXT NOT NULL, worker_pid INTEGER)",
        query=query,
    )
