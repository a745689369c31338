"""`apiweld generate` as users run it: apiweld.toml projects, --report, --check, bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

PETSTORE = Path(__file__).resolve().parents[2] / "examples" / "petstore.yaml"
APIWELD = Path(sys.executable).parent / "apiweld"

OVERRIDES = """
[operations.exclude]
paths = ["DELETE /pets/*"]

[operations.rename]
list_pets = "list_all"

[resources.rename]
pets = "animals"

[retry.operations.create_pet]
max_attempts = 5

[rate_limit.operations.get_pet]
rate = 5
group = "reads"
"""


def _apiweld(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(APIWELD), *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )


def _project(tmp_path: Path) -> Path:
    shutil.copy(PETSTORE, tmp_path / "petstore.yaml")
    init = _apiweld("init", "petstore.yaml", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    config = tmp_path / "apiweld.toml"
    config.write_text(config.read_text() + OVERRIDES)
    return tmp_path


def test_project_mapping_reaches_the_generated_client(tmp_path: Path) -> None:
    project = _project(tmp_path)
    done = _apiweld("generate", "--report", "report.json", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "5/5 operations" in done.stderr and "excluded by apiweld.toml: 1" in done.stderr

    report = json.loads((project / "report.json").read_text())
    assert report["operations_total"] == report["operations_generated"] == 5
    assert report["skipped"] == []
    assert [e["operation"] for e in report["excluded"]] == ["delete_pet"]
    assert report["methods"]["list_pets"] == "animals.list_all"

    package = project / "clients" / "petstore"
    resource = (package / "resources" / "animals.py").read_text()
    assert "def list_all(" in resource and "def delete(" not in resource
    assert "retry=RetryPolicy(" in resource and "max_attempts=5" in resource
    assert 'rate_limit_group="reads"' in resource
    # The credential variable named in apiweld.toml is the one the client reads, and the
    # global retry policy and idempotency header are the client's defaults.
    client_source = (package / "_client.py").read_text()
    assert '"PETSTORE_TOKEN"' in client_source
    assert 'options.setdefault(\n            "retry",' in client_source
    assert 'options.setdefault("idempotency_header", "Idempotency-Key")' in client_source
    # The per-operation limit becomes a limiter group the operation's spec names.
    assert 'options.setdefault(\n            "rate_limiter",' in client_source
    assert '"reads": RateLimit(5' in client_source

    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import petstore;"
        "c = petstore.Petstore(api_key='k', base_url='http://127.0.0.1:9');"
        "assert callable(c.animals.list_all) and not hasattr(c.animals, 'delete')"
    )
    imported = subprocess.run(
        [sys.executable, "-c", probe, str(project / "clients")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr


def test_check_exits_1_when_the_output_is_stale(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _apiweld("generate", str(PETSTORE), "-o", str(out), cwd=tmp_path).returncode == 0
    fresh = _apiweld("generate", str(PETSTORE), "-o", str(out), "--check", cwd=tmp_path)
    assert fresh.returncode == 0, fresh.stderr

    (out / "petstore" / "_client.py").write_text("# edited by hand\n")
    stale = _apiweld("generate", str(PETSTORE), "-o", str(out), "--check", cwd=tmp_path)
    assert stale.returncode == 1
    assert "petstore/_client.py" in stale.stderr
    # --check never writes.
    assert (out / "petstore" / "_client.py").read_text() == "# edited by hand\n"

    (out / "petstore").rename(tmp_path / "gone")
    missing = _apiweld("generate", str(PETSTORE), "-o", str(out), "--check", cwd=tmp_path)
    assert missing.returncode == 1


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    missing = _apiweld("generate", "nowhere.yaml", "-o", "out", cwd=tmp_path)
    assert missing.returncode == 1
    assert "nowhere.yaml" in missing.stderr and "Traceback" not in missing.stderr

    broken = tmp_path / "broken.json"
    broken.write_text('{"openapi": "3.0.0", "paths": {"/x": {"get": ')
    bad = _apiweld("generate", str(broken), "-o", "out", cwd=tmp_path)
    assert bad.returncode == 1
    assert "broken.json" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "out").exists()


def test_output_is_byte_identical_across_processes_and_hash_seeds(tmp_path: Path) -> None:
    description = PETSTORE.parents[2] / "shared" / "corpus" / "apis-guru" / "shipengine.com.json"
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"seed{seed}"
        done = subprocess.run(
            [str(APIWELD), "generate", str(description), "-o", str(out)],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=False,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(out)
    first, second = outputs
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert len(files) > 50
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    different = [f for f in files if (first / f).read_bytes() != (second / f).read_bytes()]
    assert different == []


def test_writer_refuses_paths_that_leave_the_output(tmp_path: Path) -> None:
    from apiweld.codegen._render import OutputPathError, Writer

    writer = Writer(tmp_path / "out")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "link").symlink_to(outside, target_is_directory=True)
    for relative in ("../x.py", "/etc/x.py", "a/../../x.py", "link/x.py", "", "."):
        try:
            writer.write(relative, "x = 1\n")
        except OutputPathError:
            continue
        raise AssertionError(f"{relative!r} was written")
    assert list(outside.iterdir()) == []
    writer.write("pkg/ok.py", "x = 1\n")
    assert (tmp_path / "out" / "pkg" / "ok.py").read_text() == "x = 1\n"
