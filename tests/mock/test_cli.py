"""`apiweld mock` as a user runs it: a subprocess serving over loopback and printing its log."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
PETSTORE = ROOT / "examples" / "petstore.yaml"


def run_mock(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from apiweld.cli import main; main()", "mock", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def wait_for_url(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+", line)
        if found:
            return found.group(0)
        if process.poll() is not None:
            raise AssertionError(f"mock exited: {process.stderr.read() if process.stderr else ''}")
    raise AssertionError("mock did not print its address")


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = run_mock(str(PETSTORE), "--port", "0", "--seed", "4")
    try:
        yield process, wait_for_url(process)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=15)


def test_serves_and_prints_each_request_with_operation_and_faults(
    served: tuple[subprocess.Popen[str], str],
) -> None:
    process, url = served
    ok = httpx.get(f"{url}/pets/1", headers={"X-API-Key": "k"})
    assert ok.status_code == 200
    injected = httpx.get(
        f"{url}/pets/1", headers={"X-API-Key": "k", "X-Apiweld-Fault": "status=503"}
    )
    assert injected.status_code == 503
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=15)
    assert process.returncode == 0
    assert re.search(r"200 GET\s+/pets/1 get_pet", out)
    assert re.search(r"503 GET\s+/pets/1 get_pet .*faults: status=503", out)


def test_a_missing_description_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    process = run_mock(str(tmp_path / "nope.yaml"), "--port", "0")
    out, err = process.communicate(timeout=30)
    assert process.returncode == 1
    assert "nope.yaml" in err and "Traceback" not in err + out


def test_an_unknown_fault_profile_is_a_clear_error() -> None:
    process = run_mock(str(PETSTORE), "--port", "0", "--faults", "chaotic")
    _, err = process.communicate(timeout=30)
    assert process.returncode == 1
    assert "chaotic" in err and "Traceback" not in err


def test_apiweld_toml_supplies_mock_settings_and_credentials(tmp_path: Path) -> None:
    (tmp_path / "apiweld.toml").write_text(
        f'[api]\ndescription = "{PETSTORE.as_posix()}"\n\n'
        '[mock]\nseed = 9\ncredentials = { apiKey = "PETSTORE_MOCK_KEY" }\n'
    )
    process = run_mock(
        str(tmp_path / "apiweld.toml"), "--port", "0", env={"PETSTORE_MOCK_KEY": "letmein"}
    )
    try:
        url = wait_for_url(process)
        assert httpx.get(f"{url}/pets/1", headers={"X-API-Key": "wrong"}).status_code == 401
        assert httpx.get(f"{url}/pets/1", headers={"X-API-Key": "letmein"}).status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=15)
    assert "letmein" not in out


def test_apiweld_toml_naming_an_unset_variable_says_which(tmp_path: Path) -> None:
    (tmp_path / "apiweld.toml").write_text(
        f'[api]\ndescription = "{PETSTORE.as_posix()}"\n\n'
        '[mock]\ncredentials = { apiKey = "APIWELD_TEST_UNSET_VAR" }\n'
    )
    env = {k: v for k, v in os.environ.items() if k != "APIWELD_TEST_UNSET_VAR"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from apiweld.cli import main; main()",
            "mock",
            str(tmp_path / "apiweld.toml"),
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    _, err = process.communicate(timeout=30)
    assert process.returncode == 1
    assert "APIWELD_TEST_UNSET_VAR" in err
