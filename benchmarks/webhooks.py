"""Verified-and-persisted webhook events per second: apiweld's receiver with the SQLite and the
PostgreSQL inbox, beside a plain FastAPI endpoint that only verifies with the `standardwebhooks`
package and stores nothing (the baseline), all measured in the same run.

    pip install -e '.[bench]'        # fastapi + standardwebhooks: benchmark-only, not runtime
    python benchmarks/webhooks.py [--seconds 6] [--rounds 3] [--concurrency 32] [--pg URL]

Each server is one uvicorn process (uvloop, httptools) on a free loopback port; the load
generator (aiohttp, in this process) keeps `concurrency` signed Standard Webhooks requests in
flight, each with a fresh event id. apiweld's numbers include what the baseline skips: a
durable commit (SQLite synchronous=FULL / PostgreSQL COMMIT) before every 2xx. An fsync costs
about 5 ms on this VM's disk, so the inbox rates are set by how many events share a commit
(group commit; at most `concurrency` per commit). The machine has
2 cores shared by the servers, the load generator and other work: numbers are noisy; compare
ratios within one run. Two more servers measure framework overhead alone (same verification,
no storage): apiweld's raw ASGI receiver and a Starlette route. The last line is `name=value`
pairs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BODY = b'{"type": "invoice.paid", "data": {"id": "in_1", "amount": 4200, "currency": "eur"}}'

BASELINE_APP = """
import os
from fastapi import FastAPI, Request, Response
from standardwebhooks import Webhook

app = FastAPI()
hook = Webhook(os.environ["BENCH_SECRET"])


@app.post("/hooks")
async def receive(request: Request) -> Response:
    body = await request.body()
    try:
        hook.verify(body, dict(request.headers))
    except Exception:
        return Response(status_code=401)
    return Response(b'{"status":"accepted"}', media_type="application/json")
"""


# Framework overhead, measured rather than assumed: the same verification (apiweld's scheme),
# no storage, as apiweld's raw ASGI receiver and as a Starlette route.
OVERHEAD_APP = """
import os
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from apiweld.webhooks import WebhookReceiver, WebhookReceiverSettings, WebhookVerificationError
from apiweld.webhooks.inbox import Inbox


class NullInbox(Inbox):
    def store(self, events):
        return [True] * len(events)

    def _transaction(self, *, write=True):
        raise NotImplementedError

    def _execute(self, conn, sql, params=()):
        raise NotImplementedError

    def _claim_row(self, conn, now, receiver):
        raise NotImplementedError

    def close(self):
        pass


settings = WebhookReceiverSettings(secret_env="BENCH_SECRET", path="/hooks")
raw_asgi = WebhookReceiver(settings, inbox=NullInbox())


async def receive(request: Request) -> Response:
    from apiweld.webhooks import WebhookRequest

    body = await request.body()
    try:
        raw_asgi.scheme.verify(WebhookRequest.build(body, request.headers.raw))
    except WebhookVerificationError:
        return Response(status_code=401)
    return Response(b'{"status":"accepted"}', media_type="application/json")


starlette_route = Starlette(routes=[Route("/hooks", receive, methods=["POST"])])
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on {port} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"server on {port} did not start")


def start(args: list[str], env: dict[str, str], cwd: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        args, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_for(port, proc)
    return proc


def apiweld_config(folder: Path, name: str, inbox: str, prefix: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(
        f'[webhooks.bench]\npath = "/hooks"\nsecret_env = "BENCH_SECRET"\n'
        f'inbox = "{inbox}"\ntable_prefix = "{prefix}"\n'
    )
    return path


async def load(port: int, seconds: float, concurrency: int) -> tuple[int, int]:
    """Deliver signed events for `seconds`; returns (2xx count, other count)."""
    import aiohttp

    from apiweld.webhooks.schemes import StandardWebhooks

    scheme = StandardWebhooks([SECRET])
    url = f"http://127.0.0.1:{port}/hooks"
    ok = failed = 0
    stop_at = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal ok, failed
            while time.monotonic() < stop_at:
                headers = scheme.sign(
                    BODY, event_id=f"msg_{uuid.uuid4().hex}", timestamp=int(time.time())
                )
                headers["content-type"] = "application/json"
                async with session.post(url, data=BODY, headers=headers) as response:
                    await response.read()
                    if 200 <= response.status < 300:
                        ok += 1
                    else:
                        failed += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ok, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="Per target, in total.")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="Interleaved rounds per target.")
    parser.add_argument(
        "--pg", default=os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
    )
    args = parser.parse_args()
    try:
        import fastapi  # noqa: F401
        import standardwebhooks  # noqa: F401
    except ImportError:
        sys.exit("the baseline needs fastapi and standardwebhooks: pip install -e '.[bench]'")

    env = {**os.environ, "BENCH_SECRET": SECRET}
    prefix = f"bench_{uuid.uuid4().hex[:8]}_"
    apiweld = [sys.executable, "-c", "from apiweld.cli import main; main()"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "baseline_app.py").write_text(BASELINE_APP)
        (folder / "overhead_app.py").write_text(OVERHEAD_APP)
        uvicorn = [sys.executable, "-m", "uvicorn", "--log-level", "warning", "--no-access-log"]
        sqlite_path = str(folder / "inbox.db")
        baseline_cmd = [sys.executable, "-m", "uvicorn", "baseline_app:app", "--log-level",
                        "warning", "--no-access-log", "--port"]  # fmt: skip
        serve = [*apiweld, "webhooks", "serve", "--workers", "0", "--config"]
        commands = {
            "fastapi_standardwebhooks_verify_only": baseline_cmd,
            "starlette_route_verify_only": [*uvicorn, "overhead_app:starlette_route", "--port"],
            "apiweld_raw_asgi_verify_only": [*uvicorn, "overhead_app:raw_asgi", "--port"],
            "apiweld_sqlite": [
                *serve, str(apiweld_config(folder, "sqlite", sqlite_path, prefix)), "--port"
            ],
            "apiweld_postgres": [
                *serve, str(apiweld_config(folder, "pg", args.pg, prefix)), "--port"
            ],
        }  # fmt: skip
        ports = {name: free_port() for name in commands}
        procs = {
            name: start([*argv, str(ports[name])], env, folder, ports[name])
            for name, argv in commands.items()
        }
        accepted = dict.fromkeys(commands, 0)
        refused = dict.fromkeys(commands, 0)
        elapsed = dict.fromkeys(commands, 0.0)
        try:
            for name in commands:  # warm up each
                asyncio.run(load(ports[name], 1.0, args.concurrency))
            # Rounds interleave the targets, so a burst of load from elsewhere on this shared
            # machine lands on all of them instead of skewing one.
            for _ in range(args.rounds):
                for name in commands:
                    started = time.perf_counter()
                    ok, failed = asyncio.run(
                        load(ports[name], args.seconds / args.rounds, args.concurrency)
                    )
                    elapsed[name] += time.perf_counter() - started
                    accepted[name] += ok
                    refused[name] += failed
        finally:
            for proc in procs.values():
                proc.send_signal(signal.SIGINT)
                proc.wait(30)
        results = {name: accepted[name] / elapsed[name] for name in commands}
        for name, rate in results.items():
            counts = f"({accepted[name]} accepted, {refused[name]} refused)"
            print(f"{name:40s} {rate:9.0f} events/s   {counts}")
        from apiweld.webhooks.inbox import open_inbox

        stored: dict[str, tuple[int, int]] = {}
        for name, url in (("apiweld_sqlite", sqlite_path), ("apiweld_postgres", args.pg)):
            inbox = open_inbox(url, table_prefix=prefix)
            stored[name] = (sum(inbox.counts().values()), accepted[name])
            if name == "apiweld_postgres":
                inbox.drop_tables()  # type: ignore[attr-defined]
            inbox.close()
    baseline = results["fastapi_standardwebhooks_verify_only"]
    for name, (total, ok) in stored.items():
        # Warm-up deliveries are stored too, so the inbox holds at least every measured 2xx.
        print(f"{name}: {total} events in the inbox for {ok} measured 2xx (durable: {total >= ok})")
    raw_vs_starlette = (
        results["apiweld_raw_asgi_verify_only"] / results["starlette_route_verify_only"]
    )
    sqlite_ratio = results["apiweld_sqlite"] / baseline
    pg_ratio = results["apiweld_postgres"] / baseline
    print(
        f"ratios vs the verify-only FastAPI baseline: sqlite {sqlite_ratio:.2f}x, "
        f"postgres {pg_ratio:.2f}x  (noisy: 2 shared cores)"
    )
    print(
        " ".join(
            [f"{name}_eps={rate:.0f}" for name, rate in results.items()]
            + [
                f"sqlite_vs_baseline={results['apiweld_sqlite'] / baseline:.2f}",
                f"postgres_vs_baseline={results['apiweld_postgres'] / baseline:.2f}",
                f"raw_asgi_vs_starlette={raw_vs_starlette:.2f}",
                f"concurrency={args.concurrency}",
                f"seconds={args.seconds}",
                f"rounds={args.rounds}",
            ]
        )
    )


if __name__ == "__main__":
    main()
