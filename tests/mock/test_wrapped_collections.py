"""A list operation that wraps its items in an object (`{"migrations": [...]}`) shows the
mock's stored collection, so every id it lists can be read, changed and deleted at the item path.
"""

from __future__ import annotations

import copy

import httpx

from apiweld.spec import load

DESCRIPTION = {
    "openapi": "3.0.3",
    "info": {"title": "Wrapped", "version": "1"},
    "paths": {
        "/sites/{site}/migrations": {
            "parameters": [
                {"name": "site", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "get": {
                "operationId": "listMigrations",
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["migrations", "total"],
                                    "properties": {
                                        "total": {"type": "integer"},
                                        "migrations": {
                                            "type": "array",
                                            "items": {"$ref": "#/components/schemas/Summary"},
                                        },
                                    },
                                }
                            }
                        },
                    }
                },
            },
        },
        "/sites/{site}/migrations/{name}": {
            "parameters": [
                {"name": "site", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
            ],
            "get": {
                "operationId": "getMigration",
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Migration"}
                            }
                        },
                    },
                    "404": {"description": "missing"},
                },
            },
            "delete": {
                "operationId": "deleteMigration",
                "responses": {"204": {"description": "gone"}, "404": {"description": "missing"}},
            },
        },
    },
    "components": {
        "schemas": {
            "Migration": {
                "type": "object",
                "required": ["name", "script"],
                "properties": {"name": {"type": "string"}, "script": {"type": "string"}},
            },
            # The list shows a summary whose required fields the stored item does not have.
            "Summary": {
                "type": "object",
                "required": ["name", "applied"],
                "properties": {"name": {"type": "string"}, "applied": {"type": "boolean"}},
            },
        }
    },
}


def test_every_listed_id_is_an_item_the_mock_holds() -> None:
    from apiweld.mock import MockServer

    with MockServer(load(DESCRIPTION), seed=5, collection_size=6) as url, httpx.Client() as http:
        listed = http.get(f"{url}/sites/s1/migrations")
        assert listed.status_code == 200
        body = listed.json()
        assert isinstance(body["total"], int)
        names = [item["name"] for item in body["migrations"]]
        assert len(names) == 6 and len(set(names)) == 6
        assert all(isinstance(item["applied"], bool) for item in body["migrations"])
        for name in names:
            item = http.get(f"{url}/sites/s1/migrations/{name}")
            assert item.status_code == 200, (name, item.text)
            assert item.json()["name"] == name
        assert http.delete(f"{url}/sites/s1/migrations/{names[0]}").status_code == 204
        after = http.get(f"{url}/sites/s1/migrations").json()["migrations"]
        assert [item["name"] for item in after] == names[1:]
        # Another site is another collection.
        other = http.get(f"{url}/sites/s2/migrations").json()["migrations"]
        assert http.get(f"{url}/sites/s2/migrations/{other[0]['name']}").status_code == 200


def test_a_paged_list_of_summaries_pages_over_the_stored_items() -> None:
    from apiweld.mock import MockServer

    paged = copy.deepcopy(DESCRIPTION)
    listing = paged["paths"]["/sites/{site}/migrations"]
    listing["parameters"].append(
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}}
    )
    api = load(paged)
    assert api.operation("list_migrations").pagination is not None
    with MockServer(api, seed=5, collection_size=6) as url, httpx.Client() as http:
        names: list[str] = []
        page = 1
        while page < 10:
            body = http.get(f"{url}/sites/s1/migrations", params={"page": page}).json()
            if not body["migrations"]:
                break
            names += [item["name"] for item in body["migrations"]]
            page += 1
        assert len(names) == 6 and len(set(names)) == 6
        for name in names:
            assert http.get(f"{url}/sites/s1/migrations/{name}").status_code == 200
