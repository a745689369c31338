"""Names `required` in one allOf part and defined in another (or in none) are honoured by the
mock: its generated answers carry them and its request validation demands them."""

from __future__ import annotations

import httpx

from apiweld.spec import load

DESCRIPTION = {
    "openapi": "3.0.3",
    "info": {"title": "Split", "version": "1"},
    "paths": {
        "/pets": {
            "post": {
                "operationId": "createPet",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}
                    },
                },
                "responses": {
                    "201": {
                        "description": "made",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}
                        },
                    }
                },
            }
        }
    },
    "components": {
        "schemas": {
            "Base": {
                "type": "object",
                "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
            },
            # `name` is defined in Base and required only here.
            "Pet": {"allOf": [{"$ref": "#/components/schemas/Base"}, {"required": ["name"]}]},
        }
    },
}


def test_a_name_required_in_another_part_is_generated_and_demanded() -> None:
    from apiweld.mock import MockServer

    with MockServer(load(DESCRIPTION), seed=3) as url, httpx.Client() as http:
        made = http.post(f"{url}/pets", json={"name": "Rex"})
        assert made.status_code == 201, made.text
        assert isinstance(made.json()["name"], str)
        missing = http.post(f"{url}/pets", json={"id": 4})
        assert missing.status_code in (400, 422), missing.text
        assert "name" in missing.text
