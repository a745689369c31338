"""Generated packages pass `ruff check` and `mypy --strict` (with their own pyproject config).

The bundled example and a few small seeded corpus descriptions run in the normal suite; the
seeded sample of 20 and GitHub's description (about 3,500 modules) under `corpus_full`.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from apiweld.codegen import generate_package
from apiweld.codegen._names import package_name
from apiweld.codegen._render import ruff_binary
from apiweld.spec import load

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"
SEED = 20261127


def _generate(
    descriptions: list[Path], tmp_path: Path, include_tests: bool = False
) -> list[tuple[Path, str]]:
    packages = []
    for index, description in enumerate(descriptions):
        out = tmp_path / f"p{index}"
        api = load(description)
        # One mypy run checks them all, so every package needs its own name.
        report = generate_package(
            api, out, package=f"p{index}_{package_name(api.title)}", include_tests=include_tests
        )
        assert report.lint == [], (description, report.lint)
        packages.append((out, report.package))
    return packages


def _ruff_clean(packages: list[tuple[Path, str]]) -> None:
    for out, _ in packages:
        done = subprocess.run(
            [
                *ruff_binary(),
                "check",
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
        formatted = subprocess.run(
            [
                *ruff_binary(),
                "format",
                "--check",
                "--no-cache",
                "--config",
                str(out / "pyproject.toml"),
                str(out),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert formatted.returncode == 0, formatted.stdout[-3000:]


def _mypy_strict(packages: list[tuple[Path, str]], tmp_path: Path) -> None:
    """One mypy run over all packages (each on MYPYPATH), strict, no config but the flags."""
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\nstrict = True\n")
    arguments = [item for _, package in packages for item in ("-p", package)]
    env = {**os.environ, "MYPYPATH": os.pathsep.join(str(out) for out, _ in packages)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(config),
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            *arguments,
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]


def _seeded(count: int, max_bytes: int) -> list[Path]:
    files = sorted(
        p for p in (CORPUS / "apis-guru").rglob("*.json") if p.stat().st_size <= max_bytes
    )
    return random.Random(SEED).sample(files, count)


def test_petstore_and_small_sample_pass_ruff_and_mypy_strict(tmp_path: Path) -> None:
    # The petstore package as users get it, its generated test suite included.
    packages = _generate([ROOT / "examples" / "petstore.yaml"], tmp_path, include_tests=True)
    packages += _generate(_seeded(3, 60_000), tmp_path / "sample")
    _ruff_clean(packages)
    _mypy_strict(packages, tmp_path)


@pytest.mark.corpus_full
def test_seeded_twenty_pass_ruff_and_mypy_strict(tmp_path: Path) -> None:
    packages = _generate(_seeded(20, 10_000_000), tmp_path)
    _ruff_clean(packages)
    _mypy_strict(packages, tmp_path)


@pytest.mark.corpus_full
def test_github_passes_ruff_and_mypy_strict(tmp_path: Path) -> None:
    packages = _generate([CORPUS / "github" / "api.github.com.json"], tmp_path)
    _ruff_clean(packages)
    _mypy_strict(packages, tmp_path)
