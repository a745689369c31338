"""Success statuses HTTP gives no body (204, 205, 304): content documented on them is ignored."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from apiweld.codegen import GenerationReport
from apiweld.mock import MockServer
from apiweld.runtime import RequestOptions
from apiweld.spec import load

Build = Callable[..., tuple[ModuleType, GenerationReport]]

_THING = {
    "type": "object",
    "required": ["id"],
    "properties": {"id": {"type": "string"}},
}
_ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]


def _description() -> dict[str, Any]:
    json_thing = {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Bodiless", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {
            "/things/{id}": {
                "delete": {
                    # AWS CodeGuru Profiler's shape: 204 documented with a JSON body.
                    "operationId": "deleteThing",
                    "parameters": _ID,
                    "responses": {"204": {"description": "gone", "content": json_thing}},
                },
                "put": {
                    "operationId": "putThing",
                    "parameters": _ID,
                    "responses": {
                        "200": {"description": "replaced", "content": json_thing},
                        "204": {"description": "unchanged", "content": json_thing},
                    },
                },
            }
        },
        "components": {"schemas": {"Thing": _THING}},
    }


def test_bodiless_status_content_is_not_the_return_type(tmp_path: Path, build: Build) -> None:
    description = _description()
    package, report = build(description)
    assert report.operations_generated == 2
    client_cls = package.Bodiless
    resource = importlib.import_module(f"{package.__name__}.resources.things").ThingsResource
    assert inspect.signature(resource.delete).return_annotation == "None"
    assert inspect.signature(resource.put).return_annotation == "Thing | None"

    server = MockServer(load(description), seed=3)
    url = server.start()
    try:
        with client_cls(base_url=url, retry=None) as client:
            assert client.things.delete(id="a") is None
            replaced = client.things.put(id="a")
            assert isinstance(replaced, package.models.Thing)
            # The mock answers the documented 204 with no body, as HTTP requires.
            empty = client.things.put(
                id="a", options=RequestOptions(extra_headers={"Prefer": "code=204"})
            )
            assert empty is None
        statuses = [record.status for record in server.requests]
    finally:
        server.stop()
    assert statuses == [204, 200, 204]
