"""A paged list of free-form objects (`type: object`, no properties) pages over distinct items:
each would otherwise generate as `{}`, and a client could not tell a new page from a repeat."""

from __future__ import annotations

import httpx

from apiweld.spec import load

DESCRIPTION = {
    "openapi": "3.0.3",
    "info": {"title": "Free", "version": "1"},
    "paths": {
        "/recipients": {
            "get": {
                "operationId": "listRecipients",
                "parameters": [
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    {"name": "page_size", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "recipients": {
                                            "type": "array",
                                            "items": {"type": "object"},
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


def test_free_form_items_are_told_apart_across_pages() -> None:
    from apiweld.mock import MockServer

    api = load(DESCRIPTION)
    assert api.operations[0].pagination is not None
    with MockServer(api, seed=4, collection_size=9) as url, httpx.Client() as http:
        seen: list[str] = []
        for page in range(1, 6):
            body = http.get(f"{url}/recipients", params={"page": page, "page_size": 4}).json()
            if not body.get("recipients"):
                break
            seen += [repr(sorted(item.items())) for item in body["recipients"]]
    assert len(seen) == 9
    assert len(set(seen)) == 9
