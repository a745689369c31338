"""Fixtures for the runtime tests: one loopback server per session, an `api` per transport."""

from __future__ import annotations

import sys
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
