"""Swagger 2.0 descriptions are converted on load into the same IR as OpenAPI 3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from apiweld.spec import load

SWAGGER: dict[str, Any] = {
    "swagger": "2.0",
    "info": {"title": "Pets", "version": "2"},
    "host": "api.example.com",
    "basePath": "/v2",
    "schemes": ["https", "http"],
    "consumes": ["application/json"],
    "produces": ["application/json", "application/xml"],
    "x-root-extension": True,
    "securityDefinitions": {
        "basic": {"type": "basic"},
        "key": {"type": "apiKey", "name": "api_key", "in": "header"},
        "app": {
            "type": "oauth2",
            "flow": "application",
            "tokenUrl": "https://auth.example.com/token",
            "scopes": {"read": "read things"},
        },
        "code": {
            "type": "oauth2",
            "flow": "accessCode",
            "authorizationUrl": "https://auth.example.com/authorize",
            "tokenUrl": "https://auth.example.com/token",
            "scopes": {},
        },
    },
    "security": [{"key": []}],
    "parameters": {
        "Limit": {"name": "limit", "in": "query", "type": "integer", "maximum": 100},
        "PetBody": {
            "name": "pet",
            "in": "body",
            "required": True,
            "schema": {"$ref": "#/definitions/Pet"},
        },
    },
    "responses": {
        "NotFound": {"description": "missing", "schema": {"$ref": "#/definitions/Error"}}
    },
    "paths": {
        "/pets": {
            "parameters": [{"name": "X-Trace", "in": "header", "type": "string"}],
            "get": {
                "operationId": "listPets",
                "x-op-extension": "kept",
                "parameters": [
                    {"$ref": "#/parameters/Limit"},
                    {
                        "name": "tags",
                        "in": "query",
                        "type": "array",
                        "items": {"type": "string"},
                        "collectionFormat": "multi",
                    },
                    {
                        "name": "ids",
                        "in": "query",
                        "type": "array",
                        "items": {"type": "integer"},
                        "collectionFormat": "pipes",
                    },
                    {
                        "name": "X-Ids",
                        "in": "header",
                        "type": "array",
                        "items": {"type": "integer"},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "pets",
                        "schema": {"type": "array", "items": {"$ref": "#/definitions/Pet"}},
                        "headers": {"X-Total": {"type": "integer", "description": "count"}},
                        "examples": {"application/json": [{"id": 1}]},
                    },
                    "404": {"$ref": "#/responses/NotFound"},
                },
            },
            "post": {
                "operationId": "createPet",
                "parameters": [{"$ref": "#/parameters/PetBody"}],
                "responses": {"201": {"description": "created"}},
                "security": [],
            },
        },
        "/pets/{id}/photo": {
            "put": {
                "consumes": ["multipart/form-data"],
                "produces": ["text/plain"],
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "type": "string"},
                    {"name": "file", "in": "formData", "type": "file", "required": True},
                    {"name": "caption", "in": "formData", "type": "string"},
                ],
                "responses": {"200": {"description": "ok", "schema": {"type": "string"}}},
            }
        },
        "/login": {
            "post": {
                "parameters": [
                    {"name": "user", "in": "formData", "type": "string", "required": True},
                ],
                "responses": {"200": {"description": "ok"}},
            }
        },
    },
    "definitions": {
        "Pet": {
            "type": "object",
            "required": ["id"],
            "discriminator": "kind",
            "properties": {
                "id": {"type": "integer"},
                "kind": {"type": "string"},
                "nick": {"type": "string", "x-nullable": True},
            },
        },
        "Dog": {"allOf": [{"$ref": "#/definitions/Pet"}, {"properties": {"bark": {}}}]},
        "Error": {"type": "object", "properties": {"message": {"type": "string"}}},
    },
}


def test_swagger2_servers_security_and_schemas() -> None:
    api = load(SWAGGER)
    assert api.source_format == "swagger 2.0"
    assert [s.url for s in api.servers] == [
        "https://api.example.com/v2",
        "http://api.example.com/v2",
    ]
    schemes = api.security_schemes
    assert schemes["basic"].type == "http" and schemes["basic"].scheme == "basic"
    assert schemes["key"].location == "header" and schemes["key"].param_name == "api_key"
    (client_credentials,) = schemes["app"].flows
    assert client_credentials.kind == "clientCredentials"
    assert client_credentials.scopes == (("read", "read things"),)
    (code,) = schemes["code"].flows
    assert code.kind == "authorizationCode" and code.authorization_url is not None
    assert api.security == ((("key", ()),),)
    assert set(api.schemas) == {"Pet", "Dog", "Error"}
    pet = api.schemas["Pet"]
    assert pet.discriminator is not None and pet.discriminator.property_name == "kind"
    assert pet.discriminator.mapping == (("Dog", "Dog"),)  # implicit, from Dog's allOf
    nick = next(p for p in pet.properties if p.name == "nick")
    assert nick.schema.nullable
    assert api.extensions == {"x-root-extension": True}
    assert api.problems == ()


def test_swagger2_parameters_bodies_and_responses() -> None:
    api = load(SWAGGER)
    listing = api.operation("list_pets")
    params = {p.name: p for p in listing.parameters}
    assert params["limit"].schema.maximum == 100 and params["limit"].location == "query"
    assert (params["tags"].style, params["tags"].explode) == ("form", True)
    assert (params["ids"].style, params["ids"].explode) == ("pipeDelimited", False)
    assert (params["X-Ids"].style, params["X-Ids"].explode) == ("simple", False)
    assert params["X-Trace"].location == "header"  # path-level parameter merged in
    ok, missing = listing.responses
    assert [m.media_type for m in ok.content] == ["application/json", "application/xml"]
    assert ok.content[0].examples[0].value == [{"id": 1}]
    assert ok.headers[0].name == "X-Total" and ok.headers[0].schema.types == ("integer",)
    body = ok.content[0].schema
    assert body is not None and body.items is not None and body.items.ref == "Pet"
    assert missing.description == "missing" and missing.content[0].schema is not None
    assert listing.extensions == {"x-op-extension": "kept"}
    assert listing.pointer == "/paths/~1pets/get"

    create = api.operation("create_pet")
    assert create.security == ()
    assert create.request_body is not None and create.request_body.required
    (json_body,) = create.request_body.content
    assert json_body.media_type == "application/json"
    assert json_body.schema is not None and json_body.schema.ref == "Pet"
    assert create.request_body.pointer == "/parameters/PetBody"


def test_swagger2_form_data_becomes_a_form_body() -> None:
    api = load(SWAGGER)
    upload = api.operation("put_pets_id_photo")
    assert upload.request_body is not None
    (multipart,) = upload.request_body.content
    assert multipart.media_type == "multipart/form-data"
    assert multipart.schema is not None
    props = {p.name: p for p in multipart.schema.properties}
    assert props["file"].required and props["file"].schema.format == "binary"
    assert props["file"].schema.types == ("string",)
    assert not props["caption"].required
    assert upload.responses[0].content[0].media_type == "text/plain"

    login = api.operation("post_login")
    assert login.request_body is not None
    assert login.request_body.content[0].media_type == "application/x-www-form-urlencoded"


def test_swagger2_without_host_uses_base_path_only() -> None:
    doc = {
        "swagger": "2.0",
        "info": {"title": "t", "version": "1"},
        "basePath": "/api",
        "paths": {},
    }
    assert [s.url for s in load(doc).servers] == ["/api"]


def test_problems_in_swagger2_parameters_and_headers_point_at_the_swagger_text() -> None:
    doc = {
        "swagger": "2.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/x": {
                "get": {
                    "parameters": [
                        {"name": "n", "in": "query", "type": "integer", "minimum": "zero"}
                    ],
                    "responses": {
                        "200": {
                            "description": "ok",
                            "headers": {"X-N": {"type": "integer", "maximum": "ten"}},
                        }
                    },
                }
            }
        },
    }
    pointers = {p.pointer for p in load(doc).problems}
    assert pointers == {
        "/paths/~1x/get/parameters/0/minimum",
        "/paths/~1x/get/responses/200/headers/X-N/maximum",
    }


def test_path_items_operations_and_responses_in_other_files(tmp_path: Path) -> None:
    """The converter sees only the main document: Swagger 2.0 text reached through a `$ref` to
    another file keeps its response bodies and plain parameters, and says what it drops."""
    files: dict[str, Any] = {
        "things.yaml": {
            "get": {
                "operationId": "listThings",
                "parameters": [{"name": "page", "in": "query", "type": "integer"}],
                "responses": {"200": {"$ref": "responses.yaml#/Things"}},
            },
            "post": {
                "operationId": "addThing",
                "parameters": [{"name": "thing", "in": "body", "schema": {"type": "object"}}],
                "responses": {"201": {"description": "created"}},
            },
        },
        "responses.yaml": {
            "Things": {
                "description": "things",
                "schema": {"type": "array", "items": {"$ref": "#/Thing"}},
            },
            "Thing": {"type": "string"},
        },
        "op.yaml": {
            "operationId": "getOther",
            "responses": {"200": {"description": "ok", "schema": {"type": "integer"}}},
        },
    }
    for name, doc in files.items():
        (tmp_path / name).write_text(yaml.safe_dump(doc))
    main = {
        "swagger": "2.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/things": {"$ref": "things.yaml"}, "/other": {"get": {"$ref": "op.yaml"}}},
    }
    (tmp_path / "main.yaml").write_text(yaml.safe_dump(main))
    api = load(tmp_path / "main.yaml")
    listing, add = api.operation("list_things"), api.operation("add_thing")
    other = api.operation("get_other")
    assert [p.name for p in listing.parameters] == ["page"]
    (media,) = listing.responses[0].content
    assert media.schema is not None and media.schema.types == ("array",)
    assert media.schema.items is not None and media.schema.items.ref == "Thing"
    assert api.schemas["Thing"].types == ("string",)  # relative to responses.yaml
    assert media.pointer == "/Things" and media.schema.pointer == "/Things/schema"
    (other_media,) = other.responses[0].content
    assert other_media.schema is not None and other_media.schema.types == ("integer",)
    assert add.request_body is None
    dropped = [p for p in api.problems if p.pointer == "/post/parameters/0"]
    assert [(p.file, "not converted" in p.message) for p in dropped] == [
        (str(tmp_path / "things.yaml"), True)
    ]
