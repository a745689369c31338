"""`apiweld generate` beside openapi-python-client on one description, in the same run.

Usage: python benchmarks/generate.py [DESCRIPTION] [--repeat N] [--skip-opc]
Default input: ../shared/corpus/github/api.github.com.json (13 MB, 1,223 operations).

Measured for each generator, as whole commands in fresh processes (load + generate + format);
apiweld both as users run it (with the package's generated test suite) and with `--no-tests`
(the same job as openapi-python-client, which writes no tests):
- generation wall time (best of N, alternating the two so background load hits both alike) and
  user CPU time (steadier on this shared 2-core machine), and peak RSS (`/usr/bin/time`);
- the time to import the generated package and make a first call (`GET /users/{username}`,
  answered by a loopback server with the description's own example), in a fresh interpreter,
  after one warm-up run that writes the bytecode caches (median of N).
openapi-python-client is installed into its own venv under `.bench/` (gitignored) on first use.
The machine is shared with other work: numbers are noisy; ratios from the same run are the point.
Last line: `name=value` pairs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import venv
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "corpus" / "github" / "api.github.com.json"
BENCH = ROOT / ".bench"
OUT = ROOT / "benchmarks" / "_out"
OPC_VERSION = "0.29.1"
OPERATION_ID = "users/get-by-username"


def _opc_python() -> Path:
    env = BENCH / "opc-venv"
    python = env / "bin" / "python"
    if not (env / "bin" / "openapi-python-client").exists():
        print(f"installing openapi-python-client {OPC_VERSION} into {env} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(env)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", f"openapi-python-client=={OPC_VERSION}"],
            check=True,
        )
    return python


def _timed_command(
    command: list[str], env: dict[str, str] | None = None
) -> tuple[float, float, float]:
    """(wall s, user CPU s, peak RSS MB) of one command, children included.

    User CPU, not user + system: system time here is mostly file-system work that swings
    several-fold with what else the shared machine is writing (measured 0.4-2.7 s for the same
    run), while user time repeats within a few percent.
    """
    report = OUT / "time.txt"
    # Users' Python writes bytecode caches; this environment switches that off. Both tools get
    # them back (the first of the repeated runs writes them).
    env = {k: v for k, v in (env or os.environ).items() if k != "PYTHONDONTWRITEBYTECODE"}
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-o", str(report), "-f", "%U %S %M", *command],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"failed: {' '.join(command)}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        )
    user, system, peak_kb = report.read_text().split()[-3:]
    del system
    return wall, float(user), int(peak_kb) / 1024


def _apiweld_command(description: Path, *extra: str) -> list[str]:
    out = OUT / "apiweld"
    shutil.rmtree(out, ignore_errors=True)
    tool = Path(sys.executable).parent / "apiweld"
    return [str(tool), "generate", str(description), "-o", str(out), *extra]


def _opc_command(python: Path, description: Path) -> list[str]:
    out = OUT / "opc"
    shutil.rmtree(out, ignore_errors=True)
    tool = python.parent / "openapi-python-client"
    return [
        str(tool),
        "generate",
        "--path",
        str(description),
        "--output-path",
        str(out),
        "--overwrite",
    ]


# --- import and first call -------------------------------------------------------------------


def _example_body(description: Path) -> bytes:
    document = json.loads(description.read_text(encoding="utf-8"))
    for item in document["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == OPERATION_ID:
                media = op["responses"]["200"]["content"]["application/json"]
                example = next(iter(media["examples"].values()))
                if "$ref" in example:
                    example = document["components"]["examples"][example["$ref"].split("/")[-1]]
                return json.dumps(example["value"]).encode()
    raise SystemExit(f"{OPERATION_ID} not found in {description}")


class _Server(ThreadingHTTPServer):
    body = b"{}"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = self.server.body  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


APIWELD_CALL = """
import importlib, sys, time
started = time.perf_counter()
sys.path.insert(0, sys.argv[1])
package = importlib.import_module(sys.argv[2])
client_name = next(n for n in package.__all__ if n != "models" and not n.startswith("Async"))
client = getattr(package, client_name)(base_url=sys.argv[3])
user = client.users.get_by_username(username="octocat")
assert user.login == "octocat", user
print(time.perf_counter() - started, time.process_time())
"""

OPC_CALL = """
import importlib, sys, time
started = time.perf_counter()
sys.path.insert(0, sys.argv[1])
package = importlib.import_module(sys.argv[2])
endpoint = importlib.import_module(sys.argv[2] + ".api.users." + sys.argv[4])
client = package.Client(base_url=sys.argv[3])
user = endpoint.sync(username="octocat", client=client)
assert user is not None and user.login == "octocat", user
print(time.perf_counter() - started, time.process_time())
"""


def _import_first_call(
    python: Path, script: str, folder: Path, arguments: list[str], repeat: int
) -> tuple[float, float]:
    """Median (wall s, CPU s) of import + first call in a fresh interpreter.

    Bytecode caches are allowed (this environment sets PYTHONDONTWRITEBYTECODE, users' do not):
    the first run writes them and is not timed.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    walls, cpus = [], []
    for attempt in range(repeat + 1):
        done = subprocess.run(
            [str(python), "-c", script, str(folder), *arguments],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"first call failed in {folder}:\n{done.stderr[-3000:]}")
        if attempt:
            wall, cpu = done.stdout.strip().splitlines()[-1].split()
            walls.append(float(wall))
            cpus.append(float(cpu))
    return statistics.median(walls), statistics.median(cpus)


def _opc_module(folder: Path, package: str) -> str:
    """The module opc wrote for the operation (its file names vary with its version)."""
    found = sorted((folder / package / "api" / "users").glob("*get_by_username.py"))
    if not found:
        raise SystemExit(f"no get_by_username module under {folder / package / 'api/users'}")
    return found[0].stem


def _single_package(folder: Path, skip: tuple[str, ...] = ()) -> str:
    names = [
        p.name
        for p in folder.iterdir()
        if p.is_dir() and (p / "__init__.py").exists() and p.name not in skip
    ]
    if len(names) != 1:
        raise SystemExit(f"expected one package in {folder}, found {names}")
    return names[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("description", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-opc", action="store_true", help="Measure apiweld only.")
    args = parser.parse_args()
    description: Path = args.description.resolve()
    OUT.mkdir(parents=True, exist_ok=True)
    opc_python = None if args.skip_opc else _opc_python()
    opc_env = None
    if opc_python is not None:
        # opc runs `ruff` from PATH as its post-hook: give it its own venv's.
        opc_env = {**os.environ, "PATH": f"{opc_python.parent}{os.pathsep}{os.environ['PATH']}"}

    ours: list[tuple[float, float, float]] = []
    client_only: list[tuple[float, float, float]] = []
    theirs: list[tuple[float, float, float]] = []
    for _ in range(args.repeat):
        # Without the generated test suite: the same job as openapi-python-client's.
        client_only.append(_timed_command(_apiweld_command(description, "--no-tests")))
        if opc_python is not None:
            theirs.append(_timed_command(_opc_command(opc_python, description), opc_env))
        # As users run it by default: the client and its generated test suite.
        ours.append(_timed_command(_apiweld_command(description)))
    gen_s = min(w for w, _, _ in ours)
    gen_cpu_s = min(c for _, c, _ in ours)
    gen_peak = max(m for _, _, m in ours)
    print(
        f"apiweld generate: best {gen_s:.2f} s wall, {gen_cpu_s:.2f} s user CPU, "
        f"peak {gen_peak:.0f} MB"
    )
    client_s = min(w for w, _, _ in client_only)
    client_cpu_s = min(c for _, c, _ in client_only)
    print(f"apiweld generate --no-tests: best {client_s:.2f} s wall, {client_cpu_s:.2f} s user CPU")

    server = _Server(("127.0.0.1", 0), _Handler)
    server.body = _example_body(description)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        folder = OUT / "apiweld"
        first_call, first_call_cpu = _import_first_call(
            Path(sys.executable), APIWELD_CALL, folder, [_single_package(folder), url], args.repeat
        )
        print(
            f"apiweld import + first call: {first_call:.3f} s wall, {first_call_cpu:.3f} s CPU "
            f"(median of {args.repeat})"
        )
        pairs = [
            f"gen_s={gen_s:.2f}",
            f"gen_cpu_s={gen_cpu_s:.2f}",
            f"gen_peak_mb={gen_peak:.0f}",
            f"gen_client_only_s={client_s:.2f}",
            f"gen_client_only_cpu_s={client_cpu_s:.2f}",
        ]
        if opc_python is not None:
            opc_s = min(w for w, _, _ in theirs)
            opc_cpu_s = min(c for _, c, _ in theirs)
            opc_peak = max(m for _, _, m in theirs)
            print(
                f"openapi-python-client: best {opc_s:.2f} s wall, {opc_cpu_s:.2f} s user CPU, "
                f"peak {opc_peak:.0f} MB"
            )
            opc_folder = OUT / "opc"
            opc_package = _single_package(opc_folder)
            opc_first, opc_first_cpu = _import_first_call(
                opc_python,
                OPC_CALL,
                opc_folder,
                [opc_package, url, _opc_module(opc_folder, opc_package)],
                args.repeat,
            )
            print(
                f"openapi-python-client import + first call: {opc_first:.3f} s wall, "
                f"{opc_first_cpu:.3f} s CPU"
            )
            pairs += [
                f"opc_gen_s={opc_s:.2f}",
                f"opc_gen_cpu_s={opc_cpu_s:.2f}",
                f"opc_peak_mb={opc_peak:.0f}",
                f"gen_ratio_vs_opc={opc_s / gen_s:.2f}",
                f"gen_cpu_ratio_vs_opc={opc_cpu_s / gen_cpu_s:.2f}",
                f"client_only_ratio_vs_opc={opc_s / client_s:.2f}",
                f"client_only_cpu_ratio_vs_opc={opc_cpu_s / client_cpu_s:.2f}",
                f"import_first_call_s={first_call:.3f}",
                f"import_first_call_cpu_s={first_call_cpu:.3f}",
                f"opc_import_first_call_s={opc_first:.3f}",
                f"opc_import_first_call_cpu_s={opc_first_cpu:.3f}",
            ]
        else:
            pairs += [
                f"import_first_call_s={first_call:.3f}",
                f"import_first_call_cpu_s={first_call_cpu:.3f}",
            ]
    finally:
        server.shutdown()
    print(" ".join(pairs))


if __name__ == "__main__":
    main()
