"""Bugshop: a small API served on loopback, in a correct form and in a deliberately wrong twin.

The wrong twin plants exactly one bug per operation (plus a validation bug on two of them), so a
contract-check run must report each planted bug, and a run against the correct form must report
nothing. `bugshop.yaml` beside this file is the description both are held to.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

HERE = Path(__file__).parent
BUGSHOP = HERE / "bugshop.yaml"
API_KEY = "bugshop-secret-key-1234"

# check name -> the operation the wrong twin breaks it on
PLANTED_BUGS: dict[str, str] = {
    "response_headers_conformance": "list_items",
    "negative_data_rejection": "list_items",
    "status_code_conformance": "get_item",
    "response_schema_conformance": "get_user",
    "not_a_server_error": "search",
    "content_type_conformance": "get_latest_report",
    "ignored_auth": "get_settings",
}


def _problem(status: int, title: str, detail: str = "") -> JSONResponse:
    body = {"title": title, "status": status, **({"detail": detail} if detail else {})}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def _int_param(raw: str | None, low: int, high: int | None) -> int | str | None:
    """The parsed value, None when absent, or an error message."""
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        return f"{raw!r} is not an integer"
    if value < low or (high is not None and value > high):
        return f"{value} is out of range"
    return value


def make_bugshop(*, buggy: bool) -> Starlette:
    def authorised(request: Request) -> bool:
        return request.headers.get("x-api-key") == API_KEY

    def guarded(
        handler: Callable[[Request], Response], *, enforce: bool = True
    ) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            if enforce and not authorised(request):
                return _problem(401, "Unauthorized", "missing or wrong X-API-Key")
            return handler(request)

        return endpoint

    def list_items(request: Request) -> Response:
        limit = _int_param(request.query_params.get("limit"), 1, 50)
        kind = request.query_params.get("kind")
        if isinstance(limit, str) and not buggy:
            return _problem(400, "Bad limit", limit)
        if kind is not None and kind not in ("tool", "toy"):
            return _problem(400, "Bad kind")
        count = limit if isinstance(limit, int) else 3
        items = [
            {"id": i, "name": f"item {i}", "kind": kind or "tool"} for i in range(1, count + 1)
        ]
        headers = {} if buggy else {"X-Total-Count": str(len(items))}
        return JSONResponse({"items": items}, headers=headers)

    async def create_item(request: Request) -> Response:
        if not authorised(request):
            return _problem(401, "Unauthorized")
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _problem(400, "Body is not JSON")
        name = body.get("name") if isinstance(body, dict) else None
        if not buggy and (not isinstance(name, str) or not name):
            return _problem(400, "name is required")
        return JSONResponse({"id": 99, "name": str(name or "")}, status_code=201)

    def get_item(request: Request) -> Response:
        item_id = _int_param(request.path_params["item_id"], 1, None)
        if isinstance(item_id, str) or item_id is None:
            return _problem(400, "Bad item id", str(item_id))
        if item_id > 1_000_000:
            return _problem(404, "No such item")
        return JSONResponse({"id": item_id, "name": "widget"}, status_code=203 if buggy else 200)

    def get_user(request: Request) -> Response:
        user_id = request.path_params["user_id"]
        if not (3 <= len(user_id) <= 8 and user_id.isascii() and user_id.isalpha()):
            return _problem(400, "Bad user id")
        if buggy:
            return JSONResponse({"id": user_id, "name": 42})
        return JSONResponse({"id": user_id, "name": "Ada", "email": f"{user_id}@example.com"})

    def search(request: Request) -> Response:
        query = request.query_params.get("q")
        if query is None or len(query) > 20:
            return _problem(400, "q is required (at most 20 characters)")
        if buggy and (query == "" or not query.isascii()):
            return Response("Internal Server Error", status_code=500, media_type="text/plain")
        return JSONResponse([name for name in ("hammer", "saw") if query in name])

    def latest_report(request: Request) -> Response:
        body = json.dumps({"total": 1234.5})
        return Response(body, media_type="text/plain" if buggy else "application/json")

    def settings(request: Request) -> Response:
        return JSONResponse({"maintenance": False})

    def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes = [
        Route("/items", guarded(list_items), methods=["GET"]),
        Route("/items", create_item, methods=["POST"]),
        Route("/items/{item_id}", guarded(get_item), methods=["GET"]),
        Route("/users/{user_id}", guarded(get_user), methods=["GET"]),
        Route("/search", guarded(search), methods=["GET"]),
        Route("/reports/latest", guarded(latest_report), methods=["GET"]),
        Route("/admin/settings", guarded(settings, enforce=not buggy), methods=["GET"]),
        Route("/health", guarded(health, enforce=False), methods=["GET"]),
    ]
    return Starlette(routes=routes)


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve an ASGI app on a free loopback port in a thread; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="session")
def bugshop_description() -> Path:
    return BUGSHOP


@pytest.fixture(scope="session")
def bugshop_key() -> str:
    return API_KEY


@pytest.fixture(scope="session")
def planted_bugs() -> dict[str, str]:
    return dict(PLANTED_BUGS)


@pytest.fixture(scope="session")
def buggy_bugshop() -> Iterator[str]:
    with serve(make_bugshop(buggy=True)) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def correct_bugshop() -> Iterator[str]:
    with serve(make_bugshop(buggy=False)) as base_url:
        yield base_url
