"""A required property whose referenced schema is writeOnly is optional in response models:
servers never send it (the flag on the target counts as on the property, as the mock reads it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from apiweld.codegen import generate_package
from apiweld.spec import load

DESCRIPTION = {
    "openapi": "3.0.3",
    "info": {"title": "Windows", "version": "1"},
    "paths": {
        "/pickups/{id}": {
            "get": {
                "operationId": "getPickup",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Pickup"}}
                        },
                    }
                },
            }
        }
    },
    "components": {
        "schemas": {
            "Window": {
                "type": "object",
                "writeOnly": True,
                "properties": {"start": {"type": "string"}},
            },
            "Pickup": {
                "type": "object",
                "required": ["id", "window"],
                "properties": {
                    "id": {"type": "string"},
                    "window": {"$ref": "#/components/schemas/Window"},
                },
            },
        }
    },
}

CHECK = """
import sys
sys.path.insert(0, sys.argv[1])
from windows.models import Pickup
assert Pickup.model_validate({"id": "p1"}).window is None
"""


def test_a_write_only_target_is_not_required_in_responses(tmp_path: Path) -> None:
    generate_package(load(DESCRIPTION), tmp_path, package="windows", include_tests=False)
    done = subprocess.run(
        [sys.executable, "-c", CHECK, str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
