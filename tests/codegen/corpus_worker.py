"""Generate one description and import the result in a fresh, offline interpreter.

Run as `python corpus_worker.py DESCRIPTION OUTPUT_DIR`; prints one JSON object. A separate
process per description keeps a crash or a hang in one from taking the test run with it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import traceback
from pathlib import Path

IMPORT_CHECK = """
import importlib, pkgutil, socket, sys

def _no_network(*args, **kwargs):
    raise OSError("network disabled in this check")

socket.socket.connect = _no_network
socket.create_connection = _no_network
sys.path.insert(0, sys.argv[1])
package = importlib.import_module(sys.argv[2])
models = importlib.import_module(sys.argv[2] + ".models")
import pydantic
for name in models.__all__:
    value = getattr(models, name)
    if isinstance(value, type) and issubclass(value, pydantic.BaseModel):
        value.model_rebuild(force=True)
resources = importlib.import_module(sys.argv[2] + ".resources")
for info in pkgutil.iter_modules(resources.__path__):
    importlib.import_module(sys.argv[2] + ".resources." + info.name)
for name in package.__all__:
    getattr(package, name)
"""


def main(description: str, output: str) -> dict[str, object]:
    from apiweld.codegen import generate_package
    from apiweld.spec import SpecError, load

    started = time.perf_counter()
    result: dict[str, object] = {"file": description, "stage": "load"}
    try:
        api = load(Path(description))
    except SpecError as error:
        result["error"] = str(error)
        return result
    except Exception:
        result["error"] = "loader crashed: " + traceback.format_exc()[-2000:]
        result["crash"] = True
        return result
    result.update(stage="generate", operations_total=len(api.operations))
    try:
        # The client is what this checks; the package's generated test suite (apiweld.testing)
        # has its own corpus tests.
        report = generate_package(api, Path(output), include_tests=False)
    except Exception:
        result["error"] = "generator crashed: " + traceback.format_exc()[-2000:]
        result["crash"] = True
        return result
    result.update(
        stage="import",
        package=report.package,
        operations_generated=report.operations_generated,
        skipped=[vars(s) for s in report.skipped],
        lint=report.lint[:20],
    )
    check = subprocess.run(
        [sys.executable, "-c", IMPORT_CHECK, output, report.package],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if check.returncode != 0:
        result["error"] = check.stderr[-3000:]
        return result
    result["stage"] = "ok"
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
