"""Fixtures for the runtime tests: one loopback server per session, an `api` per transport."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from runtime_loopback import ALL_MODES, Api, LoopbackServer

_SERVER: LoopbackServer | None = None


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    global _SERVER
    if _SERVER is None:
        _SERVER = LoopbackServer()
        _SERVER.start()
    _SERVER.reset()
    yield _SERVER
    _SERVER.reset()


@pytest.fixture(params=ALL_MODES, ids=[f"{mode}-{name}" for mode, name in ALL_MODES])
async def api(request: pytest.FixtureRequest, server: LoopbackServer) -> AsyncIterator[Api]:
    mode, transport = request.param
    face = Api(mode, transport, server.url)
    yield face
    await face.close()


# -- the real Redis on 127.0.0.1:6379, shared by the limiter and token-cache tests ------------


@pytest.fixture
def redis_url() -> Iterator[str]:
    import redis

    url = os.environ.get("APIWELD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required in CI and is not reachable: {exc}")
        pytest.skip(f"Redis not reachable: {exc}")
    yield url
    client.close()


@pytest.fixture
def namespace(redis_url: str) -> Iterator[str]:
    """A fresh key namespace, deleted afterwards in both layouts the backends use: the limiter's
    hash-tagged `{ns}...` keys and the token cache's `ns:...` keys."""
    import redis

    name = f"apiweld-test:{uuid.uuid4().hex}"
    yield name
    client = redis.Redis.from_url(redis_url)
    for pattern in (f"{{{name}}}*", f"{name}:*"):
        for key in client.scan_iter(match=pattern):
            client.delete(key)
    client.close()
