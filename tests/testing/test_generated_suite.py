"""The test suite generated with a client package passes against the mock, and runs live."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from apiweld.codegen import generate_package
from apiweld.mock import MockServer
from apiweld.spec import load
from apiweld.testing.suite import render_suite

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"

# Failures of the generated suite caused elsewhere, each with its reason; the test below fails
# if one of them starts passing, so this list cannot go stale. (Empty since the mock's idempotent
# replay stopped repeating Content-Type.)
KNOWN_FAILURES: dict[str, str] = {}


@pytest.fixture(scope="module")
def petstore_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("petstore")
    report = generate_package(load(EXAMPLES / "petstore.yaml"), out)
    assert report.lint == []
    assert not [w for w in report.warnings if "test suite" in w.message]
    return out


def _run_suite(package_dir: Path, *args: str, env: dict[str, str] | None = None) -> ET.Element:
    junit = package_dir / f"junit-{len(args)}.xml"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--junit-xml",
            str(junit),
            "petstore/tests",
            *args,
        ],
        cwd=package_dir,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert junit.exists(), result.stdout + result.stderr
    return ET.parse(junit).getroot()


def _outcomes(root: ET.Element) -> dict[str, str]:
    outcomes = {}
    for case in root.iter("testcase"):
        name = case.get("name", "")
        if case.find("failure") is not None or case.find("error") is not None:
            outcomes[name] = "failed"
        elif case.find("skipped") is not None:
            outcomes[name] = "skipped"
        else:
            outcomes[name] = "passed"
    return outcomes


def test_the_generated_suite_passes_against_the_mock(petstore_package: Path) -> None:
    outcomes = _outcomes(_run_suite(petstore_package))
    failed = {name for name, outcome in outcomes.items() if outcome == "failed"}
    assert failed == set(KNOWN_FAILURES), failed
    expected = {
        "test_list_pets_returns_its_documented_result",
        "test_create_pet_returns_its_documented_result",
        "test_list_stores_returns_its_documented_result",
        # Item operations list the collection first and use an id the mock holds: no skips.
        "test_get_pet_returns_its_documented_result",
        "test_update_pet_returns_its_documented_result",
        "test_delete_pet_returns_its_documented_result",
        "test_list_pets_with_wrong_credentials_raises_authentication_error",
        "test_list_pets_waits_out_a_429_with_retry_after",
        "test_list_pets_retries_a_503",
        "test_list_pets_does_not_retry_a_400",
        "test_list_pets_times_out_within_the_deadline",
        "test_list_pets_through_the_async_client",
        "test_list_pets_pages_through_every_item_once",
        "test_list_stores_pages_through_every_item_once",
        "test_webhook_pet_adopted_is_signed_delivered_and_parsed",
    }
    assert {name for name, o in outcomes.items() if o == "passed"} >= expected
    assert "skipped" not in outcomes.values(), outcomes


def test_the_generated_suite_runs_against_a_live_api(
    petstore_package: Path, tmp_path: Path
) -> None:
    api = load(EXAMPLES / "petstore.yaml")
    key = "live-petstore-key-0001"
    with MockServer(api, credentials={"apiKey": key}) as live_url:
        env = {**os.environ, "PETSTORE_LIVE_KEY": key}
        outcomes = _outcomes(
            _run_suite(
                petstore_package,
                "--apiweld-live",
                "--apiweld-base-url",
                live_url,
                "--apiweld-auth",
                "apiKey=PETSTORE_LIVE_KEY",
                env=env,
            )
        )
    # Reads run live; writes wait for --apiweld-allow-writes; fault injection needs the mock.
    assert outcomes["test_list_pets_returns_its_documented_result"] == "passed"
    assert outcomes["test_get_pet_returns_its_documented_result"] == "passed"
    assert outcomes["test_list_pets_with_wrong_credentials_raises_authentication_error"] == "passed"
    assert outcomes["test_create_pet_returns_its_documented_result"] == "skipped"
    assert outcomes["test_list_pets_retries_a_503"] == "skipped"
    assert "failed" not in outcomes.values(), outcomes


def test_rendering_is_deterministic_and_self_contained(tmp_path: Path) -> None:
    api = load(EXAMPLES / "petstore.yaml")
    first = render_suite(api, "petstore", "Petstore", "AsyncPetstore", tmp_path / "a")
    second = render_suite(api, "petstore", "Petstore", "AsyncPetstore", tmp_path / "b")
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    # The description travels with the tests, so the package can move.
    copied = tmp_path / "a" / "description.yaml"
    assert copied.read_bytes() == (EXAMPLES / "petstore.yaml").read_bytes()
    conftest = (tmp_path / "a" / "conftest.py").read_text()
    assert any(
        line.startswith("DESCRIPTION = ") and "description.yaml" in line
        for line in conftest.splitlines()
    )


def test_the_plugin_costs_nothing_when_unused() -> None:
    probe = (
        "import sys, apiweld.testing.pytest_plugin\n"
        "heavy = ('apiweld.mock', 'apiweld.spec', 'apiweld.runtime', 'jsonschema', 'hypothesis',"
        " 'starlette', 'uvicorn', 'jinja2')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


def test_github_webhooks_reach_typed_handlers_through_github_s_own_scheme(
    tmp_path: Path,
) -> None:
    """A description that declares itself GitHub's (`x-github`) gets a receiver on the `github`
    scheme keyed `issues.opened`; its generated suite delivers with X-Hub-Signature-256 and
    X-GitHub-Event and every delivered event is parsed into its payload class."""
    description = CORPUS / "github" / "webhooks.api.github.com.json"
    report = generate_package(load(description), tmp_path, package="ghwh")
    assert report.events["issues.opened"][0] == "ISSUES_OPENED"
    webhooks_module = (tmp_path / "ghwh" / "webhooks.py").read_text()
    assert 'scheme: SchemeName = "github"' in webhooks_module
    ran = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-k",
            "issues_opened or push or ping or pull_request_closed",
            "ghwh/tests/test_webhooks.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout[-3000:]
    assert "4 passed" in ran.stdout, ran.stdout[-500:]
