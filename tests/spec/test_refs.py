"""`$ref` resolution: internal, external files, cycles, and the file-system/network rules."""

from __future__ import annotations

import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from spec_test_docs import get_op, openapi, with_schemas

from apiweld.spec import SpecError, load


def write_json(path: Path, doc: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(doc))
    return path


def write_yaml(path: Path, doc: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc))
    return path


def messages(api: Any) -> list[str]:
    return [f"{p.severity} {p.pointer} {p.message}" for p in api.problems]


def test_external_file_refs_with_fragments_in_json_and_yaml(tmp_path: Path) -> None:
    write_yaml(
        tmp_path / "models" / "pets.yaml",
        {
            "Pet": {"type": "object", "properties": {"owner": {"$ref": "people.json#/Person"}}},
            "PetList": {"type": "array", "items": {"$ref": "#/Pet"}},
        },
    )
    write_json(
        tmp_path / "models" / "people.json",
        {"Person": {"type": "object", "properties": {"name": {"type": "string"}}}},
    )
    main = write_yaml(
        tmp_path / "openapi.yaml",
        openapi({"/pets": {"get": get_op({"$ref": "models/pets.yaml#/PetList"})}}),
    )
    api = load(main)
    assert api.problems == ()
    body = api.operations[0].responses[0].content[0].schema
    assert body is not None and body.ref == "PetList"
    pet_list = api.schemas["PetList"]
    assert pet_list.items is not None and pet_list.items.ref == "Pet"
    owner = api.schemas["Pet"].properties[0]
    assert owner.schema.ref == "Person"
    assert api.schemas["Person"].properties[0].name == "name"


def test_whole_file_ref_is_named_after_the_file(tmp_path: Path) -> None:
    write_json(tmp_path / "error-body.json", {"type": "object", "properties": {"code": {}}})
    main = write_json(
        tmp_path / "api.json", openapi({"/x": {"get": get_op({"$ref": "./error-body.json"})}})
    )
    api = load(main)
    assert "ErrorBody" in api.schemas
    assert api.schemas["ErrorBody"].properties[0].name == "code"


def test_external_refs_for_parameters_responses_and_path_items(tmp_path: Path) -> None:
    write_yaml(
        tmp_path / "common.yaml",
        {
            "parameters": {
                "Limit": {"name": "limit", "in": "query", "schema": {"type": "integer"}}
            },
            "responses": {"NotFound": {"description": "nope"}},
            "items": {"pets": {"get": {"responses": {"404": {"$ref": "#/responses/NotFound"}}}}},
        },
    )
    main = write_yaml(
        tmp_path / "openapi.yaml",
        openapi(
            {
                "/pets": {"$ref": "common.yaml#/items/pets"},
                "/owners": {
                    "get": {
                        "parameters": [{"$ref": "common.yaml#/parameters/Limit"}],
                        "responses": {"404": {"$ref": "common.yaml#/responses/NotFound"}},
                    }
                },
            }
        ),
    )
    api = load(main)
    pets, owners = api.operation("get_pets"), api.operation("get_owners")
    assert [r.description for r in pets.responses] == ["nope"]
    assert owners.parameters[0].name == "limit"
    assert owners.parameters[0].schema.types == ("integer",)
    assert [r.status for r in owners.responses] == ["404"]


@pytest.mark.parametrize(
    "ref",
    [
        "../../etc/passwd",
        "../../../../../../../../etc/passwd#/x",
        "/etc/passwd",
        "file:///etc/passwd",
        "%2E%2E/%2E%2E/etc/passwd",
        "bad\x00name.json",
    ],
)
def test_refs_leaving_the_description_folder_are_refused(tmp_path: Path, ref: str) -> None:
    main = write_json(
        tmp_path / "spec" / "api.json", openapi({"/x": {"get": get_op({"$ref": ref})}})
    )
    api = load(main)
    refused = [p for p in api.problems if "refused" in p.message or "not a valid" in p.message]
    assert refused and refused[0].severity == "error"
    assert refused[0].pointer.endswith("/schema")
    body = api.operations[0].responses[0].content[0].schema
    assert body is not None and body.ref is None and body.types == ()  # degraded to any


def test_a_symlink_pointing_outside_the_folder_is_refused(tmp_path: Path) -> None:
    secret = write_json(tmp_path / "outside" / "secret.json", {"type": "string"})
    folder = tmp_path / "spec"
    folder.mkdir()
    os.symlink(secret, folder / "innocent.json")
    main = write_json(
        folder / "api.json", openapi({"/x": {"get": get_op({"$ref": "innocent.json"})}})
    )
    api = load(main)
    assert any("refused" in p.message for p in api.problems)
    assert not any(s.types == ("string",) for s in api.schemas.values())


def test_allow_outside_root_and_an_explicit_root(tmp_path: Path) -> None:
    write_json(tmp_path / "shared" / "thing.json", {"type": "string"})
    main = write_json(
        tmp_path / "spec" / "api.json",
        openapi({"/x": {"get": get_op({"$ref": "../shared/thing.json"})}}),
    )
    assert load(main, allow_outside_root=True).schemas["Thing"].types == ("string",)
    assert load(main, root=tmp_path).schemas["Thing"].types == ("string",)
    assert "Thing" not in load(main).schemas


def test_a_mapping_source_has_no_folder_unless_given_a_root(tmp_path: Path) -> None:
    write_json(tmp_path / "thing.json", {"type": "integer"})
    doc = openapi({"/x": {"get": get_op({"$ref": "thing.json"})}})
    api = load(doc)
    assert any("no folder" in p.message for p in api.problems)
    assert load(doc, root=tmp_path).schemas["Thing"].types == ("integer",)


def test_a_ref_to_nowhere_is_a_warning_with_its_pointer_and_degrades_to_any() -> None:
    api = load(
        with_schemas(
            {
                "Pet": {
                    "type": "object",
                    "properties": {
                        "tag": {"$ref": "#/components/schemas/Missing"},
                        "name": {"type": "string"},
                    },
                }
            }
        )
    )
    (problem,) = api.problems
    assert problem.severity == "warning"
    assert problem.pointer == "/components/schemas/Pet/properties/tag"
    assert "Missing" in problem.message
    tag, name = api.schemas["Pet"].properties
    assert tag.schema.ref is None and tag.schema.types == ()
    assert name.schema.types == ("string",)


def test_missing_and_unparsable_external_files_are_errors_not_exceptions(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("a: [unclosed\n")
    main = write_json(
        tmp_path / "api.json",
        openapi(
            {
                "/a": {"get": get_op({"$ref": "nothere.json#/X"})},
                "/b": {"get": get_op({"$ref": "broken.yaml#/X"})},
            }
        ),
    )
    api = load(main)
    text = "\n".join(messages(api))
    assert "nothere.json" in text and "no such file" in text
    assert "broken.yaml" in text and "invalid YAML" in text


def test_recursive_schemas_become_cycles_of_names() -> None:
    api = load(
        with_schemas(
            {
                "Node": {
                    "type": "object",
                    "properties": {
                        "children": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Node"},
                        },
                        "parent": {"$ref": "#/components/schemas/Node"},
                    },
                },
                "A": {"properties": {"b": {"$ref": "#/components/schemas/B"}}},
                "B": {"properties": {"a": {"$ref": "#/components/schemas/A"}}},
                "Self": {"$ref": "#/components/schemas/Self"},
            }
        )
    )
    node = api.schemas["Node"]
    children, parent = node.properties
    assert children.schema.items is not None and children.schema.items.ref == "Node"
    assert parent.schema.ref == "Node"
    assert api.schemas["A"].properties[0].schema.ref == "B"
    assert api.schemas["B"].properties[0].schema.ref == "A"
    assert api.schemas["Self"].ref == "Self"
    assert api.resolve(api.schemas["Self"]).ref == "Self"  # terminates


def test_long_ref_chains_and_deep_nesting_do_not_overflow_the_stack() -> None:
    chain = {f"S{i}": {"$ref": f"#/components/schemas/S{i + 1}"} for i in range(5000)}
    chain["S5000"] = {"type": "string"}
    deep: dict[str, Any] = {"type": "string"}
    for _ in range(5000):
        deep = {"type": "object", "properties": {"x": deep}}
    chain["Deep"] = deep
    api = load(with_schemas(chain))
    assert api.resolve(api.schemas["S0"]).types == ("string",)
    assert any("nested deeper" in p.message for p in api.problems)


def test_ref_to_inline_schema_elsewhere_gets_a_name() -> None:
    doc = openapi(
        {
            "/pets": {
                "get": get_op({"type": "object", "properties": {"id": {"type": "integer"}}}),
                "post": get_op(
                    {"$ref": "#/paths/~1pets/get/responses/200/content/application~1json/schema"}
                ),
            }
        }
    )
    api = load(doc)
    post_body = api.operation("post_pets").responses[0].content[0].schema
    assert post_body is not None and post_body.ref is not None
    assert api.schemas[post_body.ref].properties[0].name == "id"


def test_31_ref_siblings_are_kept() -> None:
    api = load(
        with_schemas(
            {
                "Base": {"type": "object"},
                "Use": {
                    "type": "object",
                    "properties": {
                        "described": {"$ref": "#/components/schemas/Base", "description": "mine"},
                        "extended": {
                            "$ref": "#/components/schemas/Base",
                            "required": ["x"],
                            "properties": {"x": {"type": "string"}},
                        },
                    },
                },
            },
            version="3.1.0",
        )
    )
    described, extended = api.schemas["Use"].properties
    assert described.schema.ref == "Base" and described.schema.description == "mine"
    assert extended.schema.all_of[0].ref == "Base"
    assert extended.schema.all_of[1].properties[0].required


def test_refs_to_components_of_every_kind() -> None:
    doc = openapi(
        {
            "/pets/{id}": {
                "parameters": [{"$ref": "#/components/parameters/Id"}],
                "post": {
                    "requestBody": {"$ref": "#/components/requestBodies/Pet"},
                    "responses": {
                        "200": {
                            "description": "ok",
                            "headers": {"X-Rate": {"$ref": "#/components/headers/Rate"}},
                            "content": {
                                "application/json": {
                                    "examples": {"one": {"$ref": "#/components/examples/One"}}
                                }
                            },
                        },
                        "default": {"$ref": "#/components/responses/Error"},
                    },
                    "security": [{"key": []}],
                },
            },
            "/alias": {"$ref": "#/components/pathItems/Alias"},
        },
        version="3.1.0",
        components={
            "parameters": {
                "Id": {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
            },
            "requestBodies": {
                "Pet": {"required": True, "content": {"application/json": {"schema": {}}}}
            },
            "headers": {"Rate": {"schema": {"type": "integer"}}},
            "examples": {"One": {"summary": "one", "value": 1}},
            "responses": {"Error": {"description": "bad"}},
            "pathItems": {"Alias": {"get": get_op()}},
            "securitySchemes": {"key": {"type": "apiKey", "name": "X-Key", "in": "header"}},
        },
    )
    api = load(doc)
    assert api.problems == ()
    op = api.operation("post_pets_id")
    assert op.parameters[0].name == "id"
    assert op.request_body is not None and op.request_body.required
    ok, default = op.responses
    assert ok.headers[0].name == "X-Rate" and ok.headers[0].schema.types == ("integer",)
    assert ok.content[0].examples[0].value == 1 and ok.content[0].examples[0].summary == "one"
    assert default.status == "default" and default.description == "bad"
    assert api.operation("get_alias").method == "get"
    assert api.security_schemes["key"].param_name == "X-Key"


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """A real HTTP server on a free loopback port serving `tmp_path`."""

    def handler(*args: Any, **kwargs: Any) -> _Handler:
        return _Handler(*args, directory=str(tmp_path), **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_urls_and_remote_refs_need_allow_network(tmp_path: Path, served: str) -> None:
    write_yaml(tmp_path / "models.yaml", {"Pet": {"type": "object"}})
    write_yaml(
        tmp_path / "openapi.yaml",
        openapi({"/pets": {"get": get_op({"$ref": "models.yaml#/Pet"})}}),
    )
    with pytest.raises(SpecError, match="allow_network"):
        load(f"{served}/openapi.yaml")
    api = load(f"{served}/openapi.yaml", allow_network=True)
    assert api.schemas["Pet"].types == ("object",)
    assert api.source == f"{served}/openapi.yaml"

    local = write_json(
        tmp_path / "local.json",
        openapi({"/pets": {"get": get_op({"$ref": f"{served}/models.yaml#/Pet"})}}),
    )
    refused = load(local)
    assert any("network access is not allowed" in p.message for p in refused.problems)
    assert "Pet" in load(local, allow_network=True).schemas


def test_remote_operations_and_path_items_need_allow_network(tmp_path: Path, served: str) -> None:
    write_yaml(tmp_path / "op.yaml", get_op({"$ref": "models.yaml#/Pet"}))
    write_yaml(tmp_path / "item.yaml", {"get": {"$ref": "op.yaml"}})
    write_yaml(tmp_path / "models.yaml", {"Pet": {"type": "object"}})
    local = write_json(
        tmp_path / "local" / "api.json",
        openapi(
            {
                "/op": {"get": {"$ref": f"{served}/op.yaml"}},
                "/item": {"$ref": f"{served}/item.yaml"},
            }
        ),
    )
    refused = load(local)
    assert refused.operations == ()
    errors = [p for p in refused.problems if p.severity == "error"]
    assert any("network access is not allowed" in p.message for p in errors)
    assert {p.pointer for p in errors} == {"/paths/~1op/get", "/paths/~1item"}
    fetched = load(local, allow_network=True)
    assert [(op.path, op.pointer) for op in fetched.operations] == [
        ("/op", "/paths/~1op/get"),
        ("/item", "/paths/~1item/get"),
    ]
    # Refs inside a fetched file are relative to its URL.
    assert fetched.schemas["Pet"].types == ("object",)
    assert all(p.severity == "warning" for p in fetched.problems)


def test_relative_servers_and_swagger2_hosts_follow_the_source_url(
    tmp_path: Path, served: str
) -> None:
    write_json(tmp_path / "v3.json", openapi(servers=[{"url": "/api/v3"}]))
    write_json(
        tmp_path / "v2.json",
        {"swagger": "2.0", "info": {"title": "t", "version": "1"}, "basePath": "/v2", "paths": {}},
    )
    assert [s.url for s in load(f"{served}/v3.json", allow_network=True).servers] == [
        f"{served}/api/v3"
    ]
    assert [s.url for s in load(f"{served}/v2.json", allow_network=True).servers] == [
        f"{served}/v2"
    ]


def test_unreachable_url_is_a_spec_error(served: str) -> None:
    with pytest.raises(SpecError, match="404"):
        load(f"{served}/nothing.json", allow_network=True)


def test_security_scheme_refs_resolve_like_other_components(tmp_path: Path) -> None:
    write_yaml(tmp_path / "auth.yaml", {"Bearer": {"type": "http", "scheme": "Bearer"}})
    doc = openapi(
        components={
            "securitySchemes": {
                "bearer": {"$ref": "auth.yaml#/Bearer"},
                "broken": {"$ref": "#/components/nothing"},
            }
        }
    )
    api = load(write_yaml(tmp_path / "openapi.yaml", doc))
    assert api.security_schemes["bearer"].scheme == "bearer"
    assert "broken" not in api.security_schemes
    assert [p.pointer for p in api.problems] == ["/components/securitySchemes/broken"]


def test_problems_inside_another_file_name_that_file(tmp_path: Path) -> None:
    models = write_yaml(
        tmp_path / "models.yaml",
        {"Pet": {"type": "object", "properties": {"tag": {"$ref": "#/Missing"}}}},
    )
    main = write_yaml(
        tmp_path / "openapi.yaml",
        openapi({"/pets": {"get": get_op({"$ref": "models.yaml#/Pet"})}}),
    )
    (problem,) = load(main).problems
    assert problem.file == os.path.realpath(models)
    assert problem.pointer == "/Pet/properties/tag"
    assert str(problem).startswith(f"warning: {os.path.realpath(models)}#/Pet/properties/tag")


class _Redirect(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header(
            "Location", "file:///etc/passwd" if "file" in self.path else "ftp://127.0.0.1/x.json"
        )
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_redirects_away_from_http_are_refused() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Redirect)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        for path in ("/file.json", "/ftp.json"):
            with pytest.raises(SpecError, match="302"):
                load(base + path, allow_network=True)
    finally:
        server.shutdown()
        server.server_close()
