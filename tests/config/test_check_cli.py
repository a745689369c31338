"""`apiweld check`, run as users run it: the real CLI in a subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"
PETSTORE = ROOT / "examples" / "petstore.yaml"
GITHUB = CORPUS / "github" / "api.github.com.json"
APIWELD = str(Path(sys.executable).parent / "apiweld")

SUMMARY_KEYS = {
    "title",
    "version",
    "format",
    "source",
    "operations",
    "paths",
    "deprecated_operations",
    "schemas",
    "tags",
    "security_schemes",
    "servers",
    "webhooks",
    "pagination",
}


def check(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [APIWELD, "check", *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    return result


def check_json(*args: str, cwd: Path = ROOT) -> tuple[int, dict[str, Any]]:
    result = check(*args, "--format", "json", cwd=cwd)
    return result.returncode, json.loads(result.stdout)


def test_the_bundled_example_is_usable() -> None:
    result = check("examples/petstore.yaml")
    assert result.returncode == 0, result.stdout
    out = result.stdout
    assert "Petstore 1.2.0  openapi 3.1.0" in out
    assert "operations       6  on 3 paths" in out
    assert "pagination       2  cursor 1, page 1" in out
    assert "webhooks         1  pet.adopted" in out
    assert "apiKey (apiKey header X-API-Key)" in out
    assert "No problems found." in out
    assert "OK: usable" in out


def test_json_output_has_stable_keys() -> None:
    code, report = check_json(str(PETSTORE))
    assert code == 0
    assert set(report) == {"target", "kind", "usable", "summary", "problems"}
    assert report["usable"] is True and report["kind"] == "description"
    summary = report["summary"]
    assert set(summary) == SUMMARY_KEYS
    assert summary["operations"] == 6
    assert summary["pagination"] == {"operations": 2, "styles": {"cursor": 1, "page": 1}}
    assert [s["name"] for s in summary["security_schemes"]] == ["apiKey", "bearer"]
    assert summary["webhooks"] == ["pet.adopted"]
    assert report["problems"] == []


def test_githubs_description() -> None:
    code, report = check_json(str(GITHUB))
    assert code == 0, report["problems"][:5]
    summary = report["summary"]
    assert summary["operations"] == 1223
    assert summary["schemas"] >= 900
    assert summary["servers"] == ["https://api.github.com"]
    assert summary["pagination"]["operations"] > 100
    for problem in report["problems"]:
        assert set(problem) == {"severity", "pointer", "message", "file"}
        assert problem["severity"] in ("error", "warning")
        assert problem["pointer"] == "" or problem["pointer"].startswith("/")


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "content", "pointer", "fragment"),
    [
        ("missing.yaml", None, "", "no such file"),
        ("bad.yaml", "openapi: 3.0.0\ninfo: {title: x\n", "", "invalid YAML"),
        ("bad.json", '{"openapi": "3.0.0",', "", ""),
        ("binary.yaml", b"\x00\xff\xfe\x00garbage", "", ""),
        ("list.json", "[1, 2]", "", "object"),
        ("apiweld.toml", "[api\n", "", "not valid TOML"),
        ("apiweld.toml", "[retry]\nmax_attempts = 0\n", "/retry/max_attempts", "greater"),
        ("apiweld.toml", "[retry]\nmax_atempts = 2\n", "/retry/max_atempts", "did you mean"),
        ("apiweld.toml", '[auth.k]\napi_key = "sk_live_x"\n', "/auth/k/api_key", "secret"),
        ("apiweld.toml", '[api]\ndescription = "nope.yaml"\n', "", ""),
        ("apiweld.toml", "", "", "no API"),
    ],
)
def test_bad_input_exits_1_with_located_problems(
    tmp_path: Path, name: str, content: str | bytes | None, pointer: str, fragment: str
) -> None:
    target = tmp_path / name
    if content is not None:
        write(tmp_path, name, content)
    code, report = check_json(str(target), cwd=tmp_path)
    assert code == 1
    assert report["usable"] is False and report["summary"] is None
    errors = [p for p in report["problems"] if p["severity"] == "error"]
    assert errors
    assert any(p["pointer"] == pointer and fragment in p["message"] for p in errors), errors
    assert all(p["file"] for p in errors)
    assert "sk_live_x" not in json.dumps(report)
    # The text form says the same, one line a problem, and fails the same way.
    text = check(str(target), cwd=tmp_path)
    assert text.returncode == 1
    assert "FAILED" in text.stdout


def test_default_target_is_the_apiweld_toml_here(tmp_path: Path) -> None:
    result = check(cwd=tmp_path)
    assert result.returncode == 1
    assert "apiweld init" in result.stdout
    shutil.copy(PETSTORE, tmp_path / "petstore.yaml")
    write(tmp_path, "apiweld.toml", '[api]\ndescription = "petstore.yaml"\n')
    code, report = check_json(cwd=tmp_path)
    assert code == 0
    assert report["kind"] == "project"
    assert report["summary"]["project"]["excluded_operations"] == 0
    # A folder means the apiweld.toml inside it.
    code, report = check_json(str(tmp_path), cwd=ROOT)
    assert code == 0 and report["summary"]["title"] == "Petstore"


def test_config_warnings_are_shown_but_leave_the_project_usable(tmp_path: Path) -> None:
    shutil.copy(PETSTORE, tmp_path / "petstore.yaml")
    write(
        tmp_path,
        "apiweld.toml",
        '[api]\ndescription = "petstore.yaml"\n[retry.operations.lst_pets]\nmax_attempts = 2\n'
        '[operations.exclude]\nids = ["delete_pet"]\n',
    )
    result = check(cwd=tmp_path)
    assert result.returncode == 0
    assert "retry.operations.lst_pets" in result.stdout
    assert "did you mean 'list_pets'?" in result.stdout
    assert "excluded         1" in result.stdout
    code, report = check_json(cwd=tmp_path)
    assert code == 0
    (warning,) = report["problems"]
    assert warning == {
        "severity": "warning",
        "pointer": "/retry/operations/lst_pets",
        "message": "no operation 'lst_pets' in the API; did you mean 'list_pets'?",
        "file": str(tmp_path / "apiweld.toml"),
    }


def test_a_declared_project_checks(tmp_path: Path) -> None:
    write(
        tmp_path,
        "apiweld.toml",
        '[api]\ntitle = "Tiny"\n[[endpoints]]\nmethod = "get"\npath = "/things/{id}"\n'
        'response = { schema = { type = "object" } }\n',
    )
    code, report = check_json(cwd=tmp_path)
    assert code == 0
    assert report["summary"]["format"] == "apiweld.toml"
    assert report["summary"]["operations"] == 1
    assert report["problems"][0]["pointer"] == "/endpoints/0/path"


def test_a_url_needs_allow_network(tmp_path: Path) -> None:
    code, report = check_json("http://127.0.0.1:9/openapi.json", cwd=tmp_path)
    assert code == 1
    assert "allow_network" in report["problems"][0]["message"]


@pytest.mark.parametrize("example", ["examples/apiweld.toml", "examples/widgets.toml"])
def test_the_example_configs_check_clean(example: str) -> None:
    code, report = check_json(example)
    assert code == 0
    assert report["problems"] == []
    assert report["kind"] == "project"
    text = check(example)
    assert "No problems found." in text.stdout
    assert str(ROOT) not in text.stdout  # paths under the working folder are shown relative
