"""The contract checks run against the mock (issue 6, item 4): where the mock and the checks
disagree about a description, one of them (or the description) is wrong, and this finds it."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from apiweld.spec import SpecError, load
from apiweld.spec.ir import Api
from apiweld.testing import ContractConfig, check_against_mock
from apiweld.testing.report import ContractReport

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "apis-guru"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SAMPLE_SEED = 20261127
SAMPLE_SIZE = 12
OPERATIONS_PER_DESCRIPTION = 15
OPERATIONS_PER_DESCRIPTION_FULL = 10
# Operations whose every response the checks accept, over the sampled descriptions. Below this,
# mock and checks disagree broadly and the listed disagreements say where.
AGREEMENT_FLOOR = 0.9


def _disagreements(report: ContractReport) -> list[str]:
    found = []
    for op in report.operations:
        found += [f"{op.label}: {f.check}: {f.message[:240]}" for f in op.failures]
        found += [f"{op.label}: error: {e[:240]}" for e in op.errors]
    return found


def _agreement(
    apis: list[tuple[str, Api]], operations_each: int | None = None
) -> tuple[int, int, list[str]]:
    agreeing = tested = 0
    listed: list[str] = []
    for name, api in apis:
        ids = [op.id for op in api.operations]
        if operations_each is not None and len(ids) > operations_each:
            ids = random.Random(f"{SAMPLE_SEED}:{name}").sample(ids, operations_each)
        config = ContractConfig(
            max_examples=1, allow_writes=True, timeout=10, operation_ids=tuple(ids)
        )
        report = check_against_mock(api, config, seed=1)
        ran = [op for op in report.operations if op.status != "skipped"]
        tested += len(ran)
        agreeing += sum(1 for op in ran if op.status == "passed")
        listed += [f"{name}: {line}" for line in _disagreements(report)]
    return agreeing, tested, listed


def _load_all(paths: list[Path]) -> list[tuple[str, Api]]:
    apis = []
    for path in paths:
        try:
            apis.append((path.name, load(path)))
        except SpecError:
            continue  # a description the spec layer rejects is the loader's tests' business
    return apis


@pytest.mark.parametrize(
    "description", [EXAMPLES / "petstore.yaml", Path(__file__).parent / "bugshop.yaml"]
)
def test_the_mock_satisfies_every_check_on_a_clean_description(description: Path) -> None:
    report = check_against_mock(
        load(description), ContractConfig(max_examples=5, allow_writes=True), seed=2
    )
    assert _disagreements(report) == []
    assert report.ok
    ran = [op for op in report.operations if op.status != "skipped"]
    assert len(ran) == len(report.operations) > 0
    assert sum(op.checks["response_schema_conformance"].passed for op in ran) > 0
    assert sum(op.checks["ignored_auth"].passed for op in ran) > 0


def test_mock_and_checks_agree_on_a_seeded_corpus_sample() -> None:
    assert CORPUS.is_dir(), f"the corpus is expected at {CORPUS}"
    paths = sorted(CORPUS.rglob("*.json"))
    sample = random.Random(SAMPLE_SEED).sample(paths, SAMPLE_SIZE)
    apis = _load_all(sample)
    assert len(apis) >= SAMPLE_SIZE * 0.8, "most sampled descriptions must load"
    agreeing, tested, listed = _agreement(apis, OPERATIONS_PER_DESCRIPTION)
    assert tested > 0
    rate = agreeing / tested
    print(f"\nmock/checks agreement: {agreeing}/{tested} operations ({rate:.1%})")
    print("\n".join(listed))
    assert rate >= AGREEMENT_FLOOR, "\n".join(listed)


@pytest.mark.corpus_full
@pytest.mark.heavy
def test_mock_and_checks_agree_on_the_whole_corpus() -> None:
    apis = _load_all(sorted(CORPUS.rglob("*.json")))
    # A seeded subset of each description's operations keeps this within minutes.
    agreeing, tested, listed = _agreement(apis, OPERATIONS_PER_DESCRIPTION_FULL)
    rate = agreeing / tested
    print(f"\nmock/checks agreement: {agreeing}/{tested} operations ({rate:.1%})")
    print("\n".join(listed))
    assert rate >= AGREEMENT_FLOOR, "\n".join(listed[:200])
