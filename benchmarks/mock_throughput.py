"""Requests per second of `apiweld mock` beside Stoplight Prism, on the same description.

Usage: python benchmarks/mock_throughput.py [DESCRIPTION] [--seconds 8] [--connections 32]
Default input: examples/petstore.yaml (petstore-like: API-key auth, cursor pagination, POST).

Each server runs in its own process (`apiweld mock --quiet` and `prism mock`, Prism installed
from the npm registry into benchmarks/prism/node_modules on first run). The load is a mix of
GET item, GET list and POST, from `wrk` when it is installed (apt-get install wrk) or else from
a multi-connection aiohttp client in its own process. Each server gets a warm-up, then a timed
run; only 2xx answers count. The machine's 2 cores are shared (server, load generator and
other work), so numbers are noisy: compare the ratio, not the absolute values.
Last line: `name=value` pairs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRISM_DIR = Path(__file__).resolve().parent / "prism"
DEFAULT = ROOT / "examples" / "petstore.yaml"
HEADERS = {"X-API-Key": "bench-key", "Accept": "application/json"}
NEW_PET = json.dumps({"name": "Rex", "species": "dog", "tags": ["good"]})

WRK_SCRIPT = """
local requests = {}
local headers = {["X-API-Key"] = "bench-key", ["Accept"] = "application/json"}
local post_headers = {["X-API-Key"] = "bench-key", ["Accept"] = "application/json",
                      ["Content-Type"] = "application/json"}
init = function(args)
  requests[1] = wrk.format("GET", "/pets/1", headers)
  requests[2] = wrk.format("GET", "/pets?limit=10", headers)
  requests[3] = wrk.format("POST", "/pets", post_headers, '%s')
end
local i = 0
request = function()
  i = i %% 3 + 1
  return requests[i]
end
local ok = 0
response = function(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("APIWELD_RESULT total=%%d errors=%%d\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_serving(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited early with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not start within {timeout:.0f}s")


def ensure_prism() -> Path:
    binary = PRISM_DIR / "node_modules" / ".bin" / "prism"
    if not binary.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("npm is needed to install Stoplight Prism (the baseline)")
        print("installing @stoplight/prism-cli into benchmarks/prism ...", flush=True)
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(PRISM_DIR)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return binary


def start_apiweld(description: Path, port: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-c",
        "from apiweld.cli import main; main()",
        "mock",
        str(description),
        "--port",
        str(port),
        "--quiet",
        "--seed",
        "1",
    ]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_prism(description: Path, port: int) -> subprocess.Popen[bytes]:
    command = [str(ensure_prism()), "mock", "-h", "127.0.0.1", "-p", str(port), str(description)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def load_with_wrk(port: int, seconds: float, connections: int) -> tuple[int, int]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % NEW_PET.replace("'", "\\'"))
    try:
        result = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "5s",
                "-s",
                script.name,
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(script.name)
    found = re.search(r"APIWELD_RESULT total=(\d+) errors=(\d+)", result.stdout)
    if found is None:
        raise SystemExit(f"wrk output not understood:\n{result.stdout}\n{result.stderr}")
    # wrk counts non-2xx answers as errors.status, so total - errors are the good answers.
    total, errors = int(found.group(1)), int(found.group(2))
    return total - errors, errors


async def _aiohttp_load(port: int, seconds: float, connections: int) -> tuple[int, int]:
    import aiohttp

    base = f"http://127.0.0.1:{port}"
    plan = [("GET", "/pets/1", None), ("GET", "/pets?limit=10", None), ("POST", "/pets", NEW_PET)]
    ok = errors = 0
    deadline = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker(offset: int) -> None:
            nonlocal ok, errors
            index = offset
            while time.monotonic() < deadline:
                method, path, body = plan[index % 3]
                index += 1
                headers = {**HEADERS, **({"Content-Type": "application/json"} if body else {})}
                try:
                    async with session.request(
                        method, base + path, data=body, headers=headers
                    ) as response:
                        await response.read()
                        if 200 <= response.status < 300:
                            ok += 1
                        else:
                            errors += 1
                except aiohttp.ClientError:
                    errors += 1

        await asyncio.gather(*(worker(i) for i in range(connections)))
    return ok, errors


def load_with_aiohttp(port: int, seconds: float, connections: int) -> tuple[int, int]:
    """Runs the aiohttp client in its own process, so it does not share the GIL with anything."""
    result = subprocess.run(
        [
            sys.executable,
            __file__,
            "--load-only",
            str(port),
            "--seconds",
            str(seconds),
            "--connections",
            str(connections),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    ok, errors = (int(x) for x in result.stdout.split()[-2:])
    return ok, errors


def measure(
    name: str, process: subprocess.Popen[bytes], port: int, args: argparse.Namespace, generator: str
) -> float:
    try:
        wait_until_serving(port, process)
        load = load_with_wrk if generator == "wrk" else load_with_aiohttp
        load(port, 2.0, args.connections)  # warm-up: JIT, caches, connection set-up
        ok, errors = load(port, args.seconds, args.connections)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    rps = ok / args.seconds
    print(f"{name:>8}: {rps:9.0f} req/s ({ok} ok, {errors} non-2xx or failed)", flush=True)
    if ok == 0:
        raise SystemExit(f"{name} answered no request successfully")
    return rps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("description", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--generator",
        choices=("auto", "wrk", "aiohttp"),
        default="auto",
        help="Load generator (auto: wrk when installed, else aiohttp).",
    )
    parser.add_argument("--load-only", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_only is not None:
        ok, errors = asyncio.run(_aiohttp_load(args.load_only, args.seconds, args.connections))
        print(ok, errors)
        return
    generator = args.generator
    if generator == "auto":
        generator = "wrk" if shutil.which("wrk") else "aiohttp"
    description = args.description.resolve()
    print(
        f"input: {description.name}; mix GET item / GET list / POST; {args.connections} "
        f"connections; {args.seconds:.0f}s per server; load generator: {generator}"
    )
    port = free_port()
    apiweld_rps = measure("apiweld", start_apiweld(description, port), port, args, generator)
    port = free_port()
    prism_rps = measure("prism", start_prism(description, port), port, args, generator)
    ratio = apiweld_rps / prism_rps
    print(
        f"rps={apiweld_rps:.0f} prism_rps={prism_rps:.0f} ratio_vs_prism={ratio:.2f} "
        f"generator={generator} connections={args.connections}"
    )


if __name__ == "__main__":
    main()
