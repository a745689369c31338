"""Fixtures for the webhook tests: free loopback ports, real servers, a PostgreSQL namespace."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

PG_URLS = (
    "postgresql://postgres@127.0.0.1:5432/test",
    "postgresql://root@127.0.0.1:5432/test",
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout} s")


def _find_pg_url() -> str | None:
    import psycopg

    for url in PG_URLS:
        try:
            with psycopg.connect(url, connect_timeout=3):
                return url
        except psycopg.Error:
            continue
    return None


@pytest.fixture(scope="session")
def pg_url() -> str:
    url = _find_pg_url()
    if url is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432 (database test)")
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (database test)")
    return url


@pytest.fixture
def pg_prefix(pg_url: str) -> Iterator[str]:
    """A table prefix unique to this test; its tables are dropped afterwards."""
    import psycopg

    prefix = f"t_{uuid.uuid4().hex[:10]}_"
    yield prefix
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            f"DROP TABLE IF EXISTS {prefix}attempts, {prefix}events, {prefix}effects CASCADE"
        )


class ThreadedServer:
    """uvicorn serving an ASGI app on a free loopback port, in a thread of this process."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(15)


@pytest.fixture
def serve_app() -> Any:
    """`with serve_app(app) as server:` runs `app` on a free loopback port."""
    return ThreadedServer


@pytest.fixture
def port_tools() -> Any:
    """(free_port, wait_for_port), for tests that start their own server processes."""
    return free_port, wait_for_port
