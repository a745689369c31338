"""Issue 6, item 1's acceptance: for a seeded sample of 30 descriptions from the corpus, the
suite generated with each client passes against the mock with no edits (at least 95% of them).

Each description is generated and its suite run in a subprocess, two at a time; the failures are
printed with the first error of each, so the closing note can explain every one.
"""

from __future__ import annotations

import random
import subprocess
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "apis-guru"
SAMPLE_SEED = 20261127
SAMPLE_SIZE = 30
PASS_FLOOR = 0.95
SUITE_TIMEOUT_S = 600

_GENERATE = """
import sys
from pathlib import Path
from apiweld.codegen import generate_package
from apiweld.spec import SpecError, load
try:
    api = load(sys.argv[1])
except SpecError:
    print("spec-error")
    raise SystemExit(0)
report = generate_package(api, Path(sys.argv[2]))
print(report.package)
"""


def _first_error(junit: Path) -> str:
    root = ET.parse(junit).getroot()
    for case in root.iter("testcase"):
        for node in (*case.findall("failure"), *case.findall("error")):
            return f"{case.get('name')}: {(node.get('message') or '')[:300]}"
    return ""


def _generate_and_run(description: Path, out: Path) -> tuple[str, str]:
    """(outcome, detail) with outcome one of passed, failed, spec-error, broken."""
    generated = subprocess.run(
        [sys.executable, "-c", _GENERATE, str(description), str(out)],
        capture_output=True,
        text=True,
        timeout=SUITE_TIMEOUT_S,
    )
    if generated.returncode != 0:
        return "broken", generated.stderr[-400:]
    package = generated.stdout.strip().splitlines()[-1]
    if package == "spec-error":
        return "spec-error", ""
    junit = out / "junit.xml"
    try:
        ran = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "--junit-xml",
                str(junit),
                f"{package}/tests",
            ],
            cwd=out,
            capture_output=True,
            text=True,
            timeout=SUITE_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return "broken", f"the suite took over {SUITE_TIMEOUT_S} s"
    if ran.returncode == 0:
        return "passed", ""
    if not junit.exists():
        return "broken", ran.stdout[-400:] + ran.stderr[-400:]
    return "failed", _first_error(junit)


@pytest.mark.corpus_full
@pytest.mark.heavy
def test_generated_suites_pass_against_the_mock(tmp_path: Path) -> None:
    paths = sorted(CORPUS.rglob("*.json"))
    sample = random.Random(SAMPLE_SEED).sample(paths, SAMPLE_SIZE)
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(
            pool.map(
                lambda item: _generate_and_run(item[1], tmp_path / f"d{item[0]}"),
                enumerate(sample),
            )
        )
    rows = [(path.name, *outcome) for path, outcome in zip(sample, outcomes, strict=True)]
    counted = [row for row in rows if row[1] != "spec-error"]
    passed = sum(1 for row in counted if row[1] == "passed")
    print(f"\ngenerated suites passing against the mock: {passed}/{len(counted)}")
    for name, outcome, detail in rows:
        if outcome != "passed":
            print(f"{name}: {outcome}: {detail}")
    assert counted, "no sampled description loaded"
    assert passed / len(counted) >= PASS_FLOOR
