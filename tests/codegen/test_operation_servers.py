"""Operations with their own `servers`: the generated client sends them there, over loopback."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from apiweld.codegen import GenerationReport

Build = Callable[..., tuple[ModuleType, GenerationReport]]


class _Recorder(BaseHTTPRequestHandler):
    seen: list[str]

    def do_GET(self) -> None:
        self.seen.append(self.path)
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def loopback() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("Handler", (_Recorder,), {"seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def _get(operation_id: str) -> dict[str, Any]:
    ok = {"application/json": {"schema": {"type": "object"}}}
    return {"operationId": operation_id, "responses": {"200": {"description": "ok", "content": ok}}}


def _description(url: str) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Servers", "version": "1"},
        "servers": [{"url": url + "/api"}],
        "paths": {
            "/plain": {"get": _get("plain")},
            # The path's servers, with a variable at its default.
            "/upload": {
                "servers": [{"url": url + "/{area}/", "variables": {"area": {"default": "files"}}}],
                "get": _get("upload"),
            },
            # The operation's own, relative: resolved against the API's first server.
            "/report": {"get": {**_get("report"), "servers": [{"url": "/reports"}]}},
            # Listed again, but the same as the API's: nothing of its own.
            "/same": {"get": {**_get("same"), "servers": [{"url": url + "/api/"}]}},
        },
    }


def _env_name(package: ModuleType) -> str:
    return str(importlib.import_module(f"{package.__name__}._client").BASE_URL_ENV)


def _call_all(client: Any) -> None:
    for name in ("plain", "upload", "report", "same"):
        resource = getattr(client, name)
        assert getattr(resource, name)() == {"ok": True}


def test_operations_go_to_their_own_servers(
    build: Build, loopback: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seen = loopback
    package, report = build(_description(url))
    assert report.operations_generated == 4
    monkeypatch.delenv(_env_name(package), raising=False)
    with package.Servers(retry=None) as client:
        _call_all(client)
    assert seen == ["/api/plain", "/files/upload", "/reports/report", "/api/same"]
    assert package.__file__ is not None
    source = (Path(package.__file__).parent / "resources" / "same.py").read_text()
    assert "base_url=" not in source


def test_a_base_url_of_the_users_serves_every_operation(
    build: Build, loopback: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seen = loopback
    package, _ = build(_description(url))
    with package.Servers(base_url=url + "/mock", retry=None) as client:
        _call_all(client)
    # The environment variable is a base URL of the user's too.
    monkeypatch.setenv(_env_name(package), url + "/staging")
    with package.Servers(retry=None) as client:
        client.upload.upload()
    assert seen == ["/mock/plain", "/mock/upload", "/mock/report", "/mock/same", "/staging/upload"]
