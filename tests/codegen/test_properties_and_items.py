"""An untyped schema with both `properties` and `items` takes either shape: JSON Schema applies
`properties` to objects only and `items` to arrays only, so servers send arrays for it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from apiweld.codegen import generate_package
from apiweld.spec import load

DESCRIPTION = {
    "openapi": "3.0.3",
    "info": {"title": "Either", "version": "1"},
    "paths": {
        "/config": {
            "get": {
                "operationId": "getConfig",
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "matchers": {
                                            "items": {},
                                            "properties": {"id": {"type": "string"}},
                                        }
                                    },
                                }
                            }
                        },
                    }
                },
            }
        }
    },
}

CHECK = """
import sys
sys.path.insert(0, sys.argv[1])
from either.models import GetConfigResponse
as_list = GetConfigResponse.model_validate({"matchers": [{"id": "a"}, 3]})
assert as_list.matchers == [{"id": "a"}, 3], as_list
as_object = GetConfigResponse.model_validate({"matchers": {"id": "b"}})
assert as_object.matchers.id == "b", as_object
"""


def test_an_untyped_schema_with_properties_and_items_parses_both_shapes(tmp_path: Path) -> None:
    report = generate_package(load(DESCRIPTION), tmp_path, package="either", include_tests=False)
    assert report.lint == []
    done = subprocess.run(
        [sys.executable, "-c", CHECK, str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
