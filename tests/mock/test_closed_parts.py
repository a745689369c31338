"""`additionalProperties: false` on an allOf part closes the whole, not the part: an object with
the part's fields and its sibling's is valid (and a field of neither is not, when the whole is
closed too). Read literally no object could match, and the mock could answer nothing valid."""

from __future__ import annotations

import httpx

from apiweld.spec import load

ADDRESS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"city": {"type": "string"}, "zip": {"type": "string"}},
    "required": ["city"],
}
DESCRIPTION = {
    "openapi": "3.0.3",
    "info": {"title": "Closed parts", "version": "1"},
    "paths": {
        "/shipments": {
            "post": {
                "operationId": "ship",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Shipping"}}
                    },
                },
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Shipping"}
                            }
                        },
                    }
                },
            }
        }
    },
    "components": {
        "schemas": {
            "Address": ADDRESS,
            "Shipping": {
                "allOf": [{"$ref": "#/components/schemas/Address"}],
                "properties": {"instructions": {"type": "string"}},
                "required": ["instructions"],
                "additionalProperties": False,
            },
        }
    },
}


def test_a_closed_part_admits_its_siblings_fields_and_the_whole_stays_closed() -> None:
    from apiweld.mock import MockServer

    with MockServer(load(DESCRIPTION), seed=2) as url, httpx.Client() as http:
        both = {"city": "Oslo", "instructions": "ring twice"}
        made = http.post(f"{url}/shipments", json=both)
        assert made.status_code == 200, made.text
        answer = made.json()
        assert isinstance(answer["city"], str) and isinstance(answer["instructions"], str)
        stray = http.post(f"{url}/shipments", json={**both, "colour": "red"})
        assert stray.status_code in (400, 422), stray.text
        assert "colour" in stray.text
