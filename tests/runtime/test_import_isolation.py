"""`import apiweld.runtime` stays light: no CLI, templating, server or spec-layer modules."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = (
    "jinja2",
    "typer",
    "rich",
    "starlette",
    "uvicorn",
    "httpx",
    "apiweld.spec",
    "apiweld.codegen",
    "apiweld.mock",
    "apiweld.testing",
    "apiweld.cli",
)

SCRIPT = """
import json, sys
import apiweld.runtime
from apiweld.runtime import Client, AsyncClient, OperationSpec
Client(base_url="http://127.0.0.1:9")  # building a client must not pull anything heavy in either
AsyncClient(base_url="http://127.0.0.1:9")
from apiweld.runtime import HttpxTransport  # the adapter is duck-typed: httpx comes with the user
print(json.dumps(sorted(sys.modules)))
"""


def loaded_modules(script: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(result.stdout))


def test_runtime_import_loads_no_heavy_or_upstream_modules() -> None:
    modules = loaded_modules(SCRIPT)
    leaked = sorted(
        name
        for name in modules
        if any(name == banned or name.startswith(banned + ".") for banned in FORBIDDEN)
    )
    assert leaked == []
    assert "apiweld.runtime" in modules and "pydantic" in modules


def test_every_public_name_resolves() -> None:
    import apiweld.runtime as runtime

    missing = [name for name in runtime.__all__ if getattr(runtime, name, None) is None]
    assert missing == []
    documented = ["Client", "AsyncClient", "OperationSpec", "ParamSpec", "RequestOptions",
                  "RateLimiter", "RedisRateLimiter", "TokenCache", "SyncPager", "AsyncPager",
                  "PaginationSpec", "Urllib3Transport", "HttpxAsyncTransport"]  # fmt: skip
    assert set(documented) <= set(runtime.__all__)
