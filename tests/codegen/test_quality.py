"""Generated packages pass `ruff check` and `mypy --strict` (with their own pyproject config).

The bundled example and a few small seeded corpus descriptions run in the normal suite; the
seeded sample of 20 and GitHub's description (about 3,500 modules) under `corpus_full`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from apiweld.codegen import generate_package
from apiweld.codegen._names import package_name
from apiweld.spec import load

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"
MypyStrict = Callable[[list[tuple[Path, list[str]]], Path], None]
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


def _seeded(count: int, max_bytes: int) -> list[Path]:
    files = sorted(
        p for p in (CORPUS / "apis-guru").rglob("*.json") if p.stat().st_size <= max_bytes
    )
    return random.Random(SEED).sample(files, count)


def test_petstore_and_small_sample_pass_ruff_and_mypy_strict(
    tmp_path: Path, ruff_clean: Callable[..., None], mypy_strict: MypyStrict
) -> None:
    # The petstore package as users get it, its generated test suite included.
    packages = _generate([ROOT / "examples" / "petstore.yaml"], tmp_path, include_tests=True)
    packages += _generate(_seeded(3, 60_000), tmp_path / "sample")
    for out, _ in packages:
        ruff_clean(out)
    mypy_strict([(out, ["-p", package]) for out, package in packages], tmp_path)


@pytest.mark.corpus_full
def test_seeded_twenty_pass_ruff_and_mypy_strict(
    tmp_path: Path, ruff_clean: Callable[..., None], mypy_strict: MypyStrict
) -> None:
    packages = _generate(_seeded(20, 10_000_000), tmp_path)
    for out, _ in packages:
        ruff_clean(out)
    mypy_strict([(out, ["-p", package]) for out, package in packages], tmp_path)


@pytest.mark.corpus_full
def test_github_passes_ruff_and_mypy_strict(
    tmp_path: Path, ruff_clean: Callable[..., None], mypy_strict: MypyStrict
) -> None:
    packages = _generate([CORPUS / "github" / "api.github.com.json"], tmp_path)
    for out, _ in packages:
        ruff_clean(out)
    mypy_strict([(out, ["-p", package]) for out, package in packages], tmp_path)
