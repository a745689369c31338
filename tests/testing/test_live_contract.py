"""`apiweld test --live` finds the bugs planted in Bugshop's wrong twin, none in the correct one."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from apiweld.spec import load
from apiweld.spec.ir import Api
from apiweld.testing import ContractConfig, Credentials, run_contract_checks
from apiweld.testing.report import ContractReport

# The installed console script, as a user runs it.
APIWELD = str(Path(sys.executable).parent / "apiweld")


@pytest.fixture(scope="module")
def bugshop_api(bugshop_description: Path) -> Api:
    return load(bugshop_description)


def _failures(report: ContractReport) -> set[tuple[str, str]]:
    return {(op.operation_id, f.check) for op in report.operations for f in op.failures}


def test_every_planted_bug_is_reported_on_its_operation(
    bugshop_api: Api, buggy_bugshop: str, bugshop_key: str, planted_bugs: dict[str, str]
) -> None:
    report = run_contract_checks(
        bugshop_api,
        buggy_bugshop,
        ContractConfig(max_examples=5, seed=1),
        Credentials({"apiKey": bugshop_key}),
    )
    found = _failures(report)
    for check, operation in planted_bugs.items():
        assert (operation, check) in found, f"{check} on {operation} not reported: {found}"
    assert not report.ok
    # The one operation with no planted bug stays clean, so nothing is reported by accident.
    health = next(op for op in report.operations if op.operation_id == "health")
    assert health.status == "passed"


def test_the_failure_names_what_is_wrong(
    bugshop_api: Api, buggy_bugshop: str, bugshop_key: str
) -> None:
    report = run_contract_checks(
        bugshop_api,
        buggy_bugshop,
        ContractConfig(max_examples=3),
        Credentials({"apiKey": bugshop_key}),
    )
    by_key = {(op.operation_id, f.check): f for op in report.operations for f in op.failures}
    assert "X-Total-Count" in by_key[("list_items", "response_headers_conformance")].message
    assert "203" in by_key[("get_item", "status_code_conformance")].message
    schema_failure = by_key[("get_user", "response_schema_conformance")]
    assert '"email" is a required property' in schema_failure.message
    assert "/name" in schema_failure.message
    assert "text/plain" in by_key[("get_latest_report", "content_type_conformance")].message
    server_error = by_key[("search", "not_a_server_error")]
    assert server_error.exchange.status == 500


def test_the_correct_twin_gets_a_clean_report(
    bugshop_api: Api, correct_bugshop: str, bugshop_key: str, planted_bugs: dict[str, str]
) -> None:
    report = run_contract_checks(
        bugshop_api,
        correct_bugshop,
        ContractConfig(max_examples=10, seed=3, allow_writes=True),
        Credentials({"apiKey": bugshop_key}),
    )
    assert _failures(report) == set()
    assert report.ok
    assert {op.status for op in report.operations} == {"passed"}
    # Every check did run somewhere: a clean report is not an empty one.
    for name in planted_bugs:
        assert sum(op.checks[name].passed for op in report.operations) > 0, name


def test_writes_are_skipped_unless_allowed(
    bugshop_api: Api, buggy_bugshop: str, bugshop_key: str
) -> None:
    read_only = run_contract_checks(
        bugshop_api,
        buggy_bugshop,
        ContractConfig(max_examples=2),
        Credentials({"apiKey": bugshop_key}),
    )
    create = next(op for op in read_only.operations if op.operation_id == "create_item")
    assert create.status == "skipped" and create.requests == 0
    assert "--allow-writes" in (create.skipped_reason or "")

    with_writes = run_contract_checks(
        bugshop_api,
        buggy_bugshop,
        ContractConfig(max_examples=2, allow_writes=True, operation_ids=("createItem",)),
        Credentials({"apiKey": bugshop_key}),
    )
    assert [op.operation_id for op in with_writes.operations] == ["create_item"]
    # The wrong twin creates an item without its required name.
    assert ("create_item", "negative_data_rejection") in _failures(with_writes)


def test_selection_by_tag(bugshop_api: Api, correct_bugshop: str, bugshop_key: str) -> None:
    report = run_contract_checks(
        bugshop_api,
        correct_bugshop,
        ContractConfig(max_examples=1, tags=("admin",)),
        Credentials({"apiKey": bugshop_key}),
    )
    assert [op.operation_id for op in report.operations] == ["get_settings"]


def test_the_same_seed_sends_the_same_requests(bugshop_api: Api, correct_bugshop: str) -> None:
    def urls(seed: int) -> list[str]:
        report = run_contract_checks(
            bugshop_api,
            correct_bugshop,
            ContractConfig(max_examples=4, seed=seed, operation_ids=("search",), checks=()),
        )
        return [op.operation_id for op in report.operations] + [str(report.requests)]

    from apiweld.testing._cases import positive_cases

    search = bugshop_api.operation("search")
    first, _ = positive_cases(bugshop_api, search, max_examples=6, seed=11)
    again, _ = positive_cases(bugshop_api, search, max_examples=6, seed=11)
    assert [c.params for c in first] == [c.params for c in again]
    assert len({repr(c.params) for c in first}) > 1
    assert urls(1) == urls(1)


def test_a_server_that_is_down_is_an_error_not_a_pass(bugshop_api: Api) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    report = run_contract_checks(
        bugshop_api,
        f"http://127.0.0.1:{port}",
        ContractConfig(max_examples=1, operation_ids=("health",)),
    )
    (health,) = report.operations
    assert health.status == "errored"
    assert "Connection" in health.errors[0] or "refused" in health.errors[0].lower()
    assert not report.ok


def test_the_cli_reports_planted_bugs_with_exit_code_and_junit(
    buggy_bugshop: str,
    tmp_path: Path,
    bugshop_description: Path,
    bugshop_key: str,
    planted_bugs: dict[str, str],
) -> None:
    junit = tmp_path / "junit.xml"
    html = tmp_path / "report.html"
    env = {**os.environ, "BUGSHOP_KEY": bugshop_key}
    result = subprocess.run(
        [
            APIWELD,
            "test",
            str(bugshop_description),
            "--live",
            "--base-url",
            buggy_bugshop,
            "--auth",
            "apiKey=BUGSHOP_KEY",
            "--max-examples",
            "4",
            "--junit-xml",
            str(junit),
            "--html",
            str(html),
            "--header",
            "X-Tenant-Token: tenant-secret-999",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAILED" in result.stdout
    everything = result.stdout + result.stderr + junit.read_text() + html.read_text()
    assert bugshop_key not in everything
    assert "tenant-secret-999" not in everything

    root = ET.parse(junit).getroot()
    suite = root.find("testsuite")
    assert suite is not None
    failed = {
        (case.get("classname"), failure.get("type"))
        for case in suite.iter("testcase")
        for failure in case.findall("failure")
    }
    for check, operation in planted_bugs.items():
        assert (operation, check) in failed, (check, operation, failed)
    assert int(suite.get("failures", "0")) >= len(set(planted_bugs.items()))
    assert suite.find("testcase[@classname='health']/failure") is None


def test_the_cli_passes_the_correct_twin(
    correct_bugshop: str, tmp_path: Path, bugshop_description: Path, bugshop_key: str
) -> None:
    junit = tmp_path / "junit.xml"
    result = subprocess.run(
        [
            APIWELD,
            "test",
            str(bugshop_description),
            "--live",
            "--base-url",
            correct_bugshop,
            "--max-examples",
            "3",
            "--junit-xml",
            str(junit),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "APIWELD_AUTH_bugshop_key": bugshop_key},
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "0" and suite.get("errors") == "0"
    assert int(suite.get("tests", "0")) > 10


def test_bad_input_is_a_clear_error(tmp_path: Path, bugshop_description: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = subprocess.run(
        [APIWELD, "test", str(missing), "--live", "--base-url", "http://x"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "nope.yaml" in result.stderr
    assert "Traceback" not in result.stderr

    result = subprocess.run(
        [
            APIWELD,
            "test",
            str(bugshop_description),
            "--live",
            "--base-url",
            "http://127.0.0.1:9",
            "--auth",
            "apiKey=APIWELD_TEST_UNSET_VARIABLE",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "APIWELD_TEST_UNSET_VARIABLE"},
    )
    assert result.returncode == 2
    assert "APIWELD_TEST_UNSET_VARIABLE" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_cli_reads_base_url_and_credentials_from_apiweld_toml(
    correct_bugshop: str, tmp_path: Path, bugshop_description: Path, bugshop_key: str
) -> None:
    (tmp_path / "bugshop.yaml").write_bytes(bugshop_description.read_bytes())
    (tmp_path / "apiweld.toml").write_text(
        '[api]\ndescription = "bugshop.yaml"\n\n'
        f'[environments.local]\nbase_url = "{correct_bugshop}"\n\n'
        '[auth.apiKey]\napi_key_env = "BUGSHOP_TOML_KEY"\n',
        encoding="utf-8",
    )
    result = subprocess.run(
        [APIWELD, "test", str(tmp_path / "apiweld.toml"), "--live", "--max-examples", "2"],
        capture_output=True,
        text=True,
        env={**os.environ, "BUGSHOP_TOML_KEY": bugshop_key},
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert correct_bugshop in result.stdout
    assert "7 passed" in result.stdout and "1 skipped" in result.stdout

    unknown = subprocess.run(
        [APIWELD, "test", str(tmp_path / "apiweld.toml"), "--live", "--env", "staging"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert unknown.returncode == 2
    assert "staging" in unknown.stderr and "Traceback" not in unknown.stderr
