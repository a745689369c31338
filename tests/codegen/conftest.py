"""Helpers for the codegen tests: generate a package from a description and import it."""

from __future__ import annotations

import importlib
import itertools
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from apiweld.codegen import GenerationReport, generate_package
from apiweld.spec import load

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CORPUS = PROJECT_ROOT.parent / "shared" / "corpus"
PETSTORE = PROJECT_ROOT / "examples" / "petstore.yaml"

_counter = itertools.count()

# Run in a fresh interpreter: sockets refuse to connect, then the package, every model (each
# validator built, so schema errors surface) and every resource module are imported.
IMPORT_CHECK = textwrap.dedent(
    """
    import importlib, pkgutil, socket, sys

    def _no_network(*args, **kwargs):
        raise OSError("network disabled in this check")

    socket.socket.connect = _no_network
    socket.create_connection = _no_network
    sys.path.insert(0, sys.argv[1])
    package = importlib.import_module(sys.argv[2])
    models = importlib.import_module(sys.argv[2] + ".models")
    import pydantic
    for name in models.__all__:
        value = getattr(models, name)
        if isinstance(value, type) and issubclass(value, pydantic.BaseModel):
            value.model_rebuild(force=True)
    resources = importlib.import_module(sys.argv[2] + ".resources")
    for info in pkgutil.iter_modules(resources.__path__):
        importlib.import_module(sys.argv[2] + ".resources." + info.name)
    for name in package.__all__:
        getattr(package, name)
    """
)


def import_in_fresh_interpreter(folder: Path, package: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", IMPORT_CHECK, str(folder), package],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def corpus_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix in (".json", ".yaml", ".yml")
    )


@pytest.fixture
def build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., tuple[ModuleType, GenerationReport]]]:
    """Generate a package from a description (dict or path) and import it in this process."""
    imported: list[str] = []

    def _build(
        description: dict[str, Any] | Path, **kwargs: Any
    ) -> tuple[ModuleType, GenerationReport]:
        package = f"gen_pkg_{next(_counter)}_{tmp_path.name.replace('-', '_')}"
        out = tmp_path / package
        report = generate_package(load(description), out, package=package, **kwargs)
        monkeypatch.syspath_prepend(str(out))
        imported.append(package)
        return importlib.import_module(package), report

    yield _build
    for name in list(sys.modules):
        if any(name == p or name.startswith(p + ".") for p in imported):
            del sys.modules[name]


def openapi(schemas: dict[str, Any], paths: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Test API", "version": "1.0.0"},
        "paths": paths or {},
        "components": {"schemas": schemas},
    }


@pytest.fixture
def fresh_import() -> Callable[[Path, str], subprocess.CompletedProcess[str]]:
    """Import a generated package (all of it, validators built) in a fresh, offline interpreter."""
    return import_in_fresh_interpreter


@pytest.fixture
def make_openapi() -> Callable[..., dict[str, Any]]:
    return openapi


def _ruff_clean(out: Path, *, formatting: bool = True) -> None:
    """`ruff check` (and `ruff format --check`) pass on a generated folder, with its own config."""
    from apiweld.codegen._render import ruff_binary

    for command in (["check"], ["format", "--check"]) if formatting else (["check"],):
        done = subprocess.run(
            [
                *ruff_binary(),
                *command,
                "--no-cache",
                "--config",
                str(out / "pyproject.toml"),
                str(out),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-3000:]


def _mypy_strict(targets: list[tuple[Path, list[str]]], scratch: Path) -> None:
    """One strict mypy run; `targets` are (folder on MYPYPATH, mypy `-p`/`-m` arguments)."""
    config = scratch / "mypy.ini"
    config.write_text("[mypy]\nstrict = True\n")
    env = {**os.environ, "MYPYPATH": os.pathsep.join(str(out) for out, _ in targets)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(config),
            "--cache-dir",
            str(scratch / ".mypy_cache"),
            *(argument for _, arguments in targets for argument in arguments),
        ],
        capture_output=True,
        text=True,
        cwd=scratch,
        env=env,
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]


@pytest.fixture
def ruff_clean() -> Callable[..., None]:
    """`ruff_clean(folder)`: ruff check and format --check pass on generated output."""
    return _ruff_clean


@pytest.fixture
def mypy_strict() -> Callable[[list[tuple[Path, list[str]]], Path], None]:
    """`mypy_strict([(folder, ["-p", package])], scratch)`: one strict mypy run passes."""
    return _mypy_strict
