"""Generate every description of the corpus and import the result with no network.

A seeded sample runs in the normal suite; the whole corpus under the `corpus_full` marker.
Acceptance: at least 97% of descriptions generate and import, at least 99.5% of their operations
are generated, and every failure is a clear error (never a crash of the loader or generator).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
APIS_GURU = CORPUS / "apis-guru"
WORKER = Path(__file__).with_name("corpus_worker.py")
SAMPLE_SIZE = 20
SEED = 20261127


def _descriptions(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix in (".json", ".yaml", ".yml")
    )


def _run_one(description: Path, out: Path) -> dict[str, Any]:
    try:
        done = subprocess.run(
            [sys.executable, str(WORKER), str(description), str(out)],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"file": str(description), "stage": "timeout", "error": "took over 900 s"}
    if done.returncode != 0 or not done.stdout.strip():
        return {"file": str(description), "stage": "worker", "error": done.stderr[-3000:]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _run_corpus(descriptions: list[Path], tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(
            pool.map(
                lambda item: _run_one(item[1], tmp_path / f"d{item[0]}"), enumerate(descriptions)
            )
        )
    failures = [r for r in results if r["stage"] != "ok"]
    report = "\n".join(f"{r['file']}: {r['stage']}: {str(r.get('error'))[-600:]}" for r in failures)
    # Every failure is a clear error: the loader's SpecError, never a crash or a timeout.
    crashes = [r for r in failures if r.get("crash") or r["stage"] in ("worker", "timeout")]
    assert crashes == [], report

    loaded = [r for r in results if "operations_total" in r]
    total = sum(r["operations_total"] for r in loaded)
    generated = sum(r.get("operations_generated", 0) for r in loaded if r["stage"] == "ok")
    ok_share = (len(results) - len(failures)) / len(results)
    print(f"\n{len(results) - len(failures)}/{len(results)} descriptions; {generated}/{total} ops")
    assert ok_share >= 0.97, report
    assert total == 0 or generated / total >= 0.995, report
    lint = [(r["file"], r["lint"]) for r in results if r.get("lint")]
    assert lint == [], lint


def test_seeded_sample_of_the_corpus(tmp_path: Path) -> None:
    descriptions = _descriptions(APIS_GURU)
    assert len(descriptions) > SAMPLE_SIZE, f"corpus missing at {APIS_GURU}"
    sample = random.Random(SEED).sample(descriptions, SAMPLE_SIZE)
    _run_corpus(sample, tmp_path)


@pytest.mark.corpus_full
@pytest.mark.heavy
def test_whole_apis_guru_corpus(tmp_path: Path) -> None:
    _run_corpus(_descriptions(APIS_GURU), tmp_path)


@pytest.mark.corpus_full
@pytest.mark.heavy
def test_whole_readme_examples_and_swagger2(tmp_path: Path) -> None:
    _run_corpus(
        _descriptions(CORPUS / "readme-oas-examples") + _descriptions(CORPUS / "swagger2"),
        tmp_path,
    )
