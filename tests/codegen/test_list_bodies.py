"""A request body that is an array of models takes models and plain mappings, mixed."""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from apiweld.codegen import GenerationReport
from apiweld.mock import MockServer
from apiweld.spec import load

Build = Callable[..., tuple[ModuleType, GenerationReport]]


def _description() -> dict[str, Any]:
    alert = {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string"}, "level": {"type": "integer"}},
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "Alerts", "version": "1"},
        "paths": {
            "/alerts": {
                "post": {
                    "operationId": "postAlerts",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Alerts"}}
                        },
                    },
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/tags": {
                "post": {
                    "operationId": "postTags",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"type": "array", "items": {"type": "string"}}
                            }
                        },
                    },
                    "responses": {"200": {"description": "ok"}},
                }
            },
        },
        "components": {
            "schemas": {
                "Alert": alert,
                "Alerts": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"$ref": "#/components/schemas/Alert"},
                },
            }
        },
    }


def test_array_of_models_body_takes_models_and_mappings(tmp_path: Path, build: Build) -> None:
    description = _description()
    package, _ = build(description)
    alerts = importlib.import_module(f"{package.__name__}.resources.alerts").AlertsResource
    tags = importlib.import_module(f"{package.__name__}.resources.tags").TagsResource
    body = inspect.signature(alerts.post).parameters["body"].annotation
    assert body == "list[Alert | dict[str, _t.Any]]"
    # A list of plain values is unchanged.
    assert inspect.signature(tags.post).parameters["body"].annotation == "list[str]"

    server = MockServer(load(description), seed=5)
    url = server.start()
    try:
        with package.Alerts(base_url=url, retry=None) as client:
            client.alerts.post(body=[package.models.Alert(name="disk", level=2), {"name": "cpu"}])
        (record,) = server.requests
    finally:
        server.stop()
    assert record.status == 200 and record.problems == (), record.problems
    assert json.loads(record.body) == [{"name": "disk", "level": 2}, {"name": "cpu"}]


def test_caller_passing_mappings_type_checks(tmp_path: Path, build: Build) -> None:
    package, _ = build(_description())
    assert package.__file__ is not None
    root = Path(package.__file__).parent.parent
    caller = root / "caller.py"
    caller.write_text(
        f"from {package.__name__} import Alerts\n"
        f"from {package.__name__}.models import Alert\n\n\n"
        "def send(client: Alerts) -> None:\n"
        '    client.alerts.post(body=[{"name": "cpu"}, Alert(name="disk")])\n'
    )
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "caller.py"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
