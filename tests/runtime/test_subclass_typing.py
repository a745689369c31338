"""Generated clients subclass `Client`/`AsyncClient`: `with`, `async with` and `with_options` must
keep the subclass, at run time and for the type checker (checked by running mypy strict)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from apiweld.runtime import AsyncClient, Client

_CHECKED = textwrap.dedent(
    """
    from typing import assert_type

    from apiweld.runtime import AsyncClient, Client


    class Petstore(Client):
        pass


    class AsyncPetstore(AsyncClient):
        pass


    def sync_use() -> None:
        with Petstore(base_url="http://127.0.0.1:1") as client:
            assert_type(client, Petstore)
            assert_type(client.with_options(timeout=1.0), Petstore)


    async def async_use() -> None:
        async with AsyncPetstore(base_url="http://127.0.0.1:1") as client:
            assert_type(client, AsyncPetstore)
            assert_type(client.with_options(timeout=1.0), AsyncPetstore)
    """
)


class Petstore(Client):
    pass


class AsyncPetstore(AsyncClient):
    pass


def test_context_managers_and_with_options_return_the_subclass() -> None:
    with Petstore(base_url="http://127.0.0.1:1") as client:
        assert type(client) is Petstore
        assert type(client.with_options(timeout=1.0)) is Petstore


async def test_async_context_manager_returns_the_subclass() -> None:
    async with AsyncPetstore(base_url="http://127.0.0.1:1") as client:
        assert type(client) is AsyncPetstore
        assert type(client.with_options(timeout=1.0)) is AsyncPetstore


def test_mypy_strict_sees_the_subclass(tmp_path: Path, pytestconfig: pytest.Config) -> None:
    module = tmp_path / "uses_petstore.py"
    module.write_text(_CHECKED)
    # mypy analyses the runtime and pydantic behind it: about half a minute cold on this machine,
    # a few seconds with the cache pytest keeps between runs (falls back to a cold one).
    cache = getattr(pytestconfig, "cache", None)  # None under -p no:cacheprovider
    cache_dir = cache.mkdir("mypy-subclass-typing") if cache else tmp_path / ".mypy_cache"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--cache-dir",
            str(cache_dir),
            str(module),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
