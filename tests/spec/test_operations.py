"""Operations: parameters, bodies, responses, security, naming, pagination, webhooks."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from spec_test_docs import PROJECT_ROOT, get_op, openapi

from apiweld.spec import SpecError, load, load_with_problems
from apiweld.spec.ir import Pagination


def test_path_parameters_merge_and_operation_overrides_by_name_and_location() -> None:
    api = load(
        openapi(
            {
                "/pets/{id}": {
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        {"name": "verbose", "in": "query", "schema": {"type": "boolean"}},
                        {"name": "verbose", "in": "header", "schema": {"type": "boolean"}},
                    ],
                    "get": {
                        **get_op(),
                        "parameters": [
                            {
                                "name": "id",
                                "in": "path",
                                "required": True,
                                "schema": {"type": "integer"},
                            }
                        ],
                    },
                }
            }
        )
    )
    op = api.operations[0]
    by_key = {(p.name, p.location): p for p in op.parameters}
    assert by_key[("id", "path")].schema.types == ("integer",)
    assert set(by_key) == {("id", "path"), ("verbose", "query"), ("verbose", "header")}
    py_names = [p.py_name for p in op.parameters]
    assert len(set(py_names)) == 3 and "verbose" in py_names and "verbose_2" in py_names


def test_style_and_explode_defaults_per_location() -> None:
    params = [
        {"name": "p", "in": "path", "required": True, "schema": {}},
        {"name": "q", "in": "query", "schema": {}},
        {"name": "h", "in": "header", "schema": {}},
        {"name": "c", "in": "cookie", "schema": {}},
        {"name": "d", "in": "query", "style": "deepObject", "schema": {}},
        {"name": "s", "in": "query", "style": "form", "explode": False, "schema": {}},
    ]
    api = load(openapi({"/x/{p}": {"get": get_op(parameters=params)}}))
    styles = {p.name: (p.style, p.explode) for p in api.operations[0].parameters}
    assert styles == {
        "p": ("simple", False),
        "q": ("form", True),
        "h": ("simple", False),
        "c": ("form", True),
        "d": ("deepObject", False),
        "s": ("form", False),
    }


def test_body_py_name_never_collides_with_a_parameter() -> None:
    api = load(
        openapi(
            {
                "/x": {
                    "post": {
                        **get_op(),
                        "parameters": [{"name": "body", "in": "query", "schema": {}}],
                        "requestBody": {
                            "content": {
                                "application/json": {"schema": {}},
                                "text/plain": {"schema": {"type": "string"}},
                            }
                        },
                    }
                }
            }
        )
    )
    op = api.operations[0]
    assert op.parameters[0].py_name == "body"
    assert op.request_body is not None and op.request_body.py_name == "body_2"
    assert [m.media_type for m in op.request_body.content] == ["application/json", "text/plain"]


def test_undeclared_path_template_becomes_a_required_string_with_a_warning() -> None:
    api = load(openapi({"/pets/{petId}": {"get": get_op()}}))
    (param,) = api.operations[0].parameters
    assert (param.name, param.location, param.required, param.py_name) == (
        "petId",
        "path",
        True,
        "pet_id",
    )
    assert api.problems[0].pointer == "/paths/~1pets~1{petId}/get"


def test_responses_by_status_with_ranges_default_and_yaml_int_keys(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(
        "openapi: 3.0.3\n"
        "info: {title: t, version: 1.0}\n"
        "paths:\n"
        "  /x:\n"
        "    get:\n"
        "      responses:\n"
        "        200: {description: ok}\n"
        "        2xx: {description: range}\n"
        "        default: {description: other}\n"
        "        299x: {description: junk}\n"
        "        x-extension: {}\n"
    )
    api = load(tmp_path / "api.yaml")
    assert [r.status for r in api.operations[0].responses] == ["200", "2XX", "default"]
    assert api.version == "1.0"  # YAML floats are read as text where a string is expected
    assert [p.pointer for p in api.problems] == ["/info/version", "/paths/~1x/get/responses/299x"]


def test_yaml_quirks_on_dates_and_booleans(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(
        "openapi: 3.0.3\n"
        "info: {title: t, version: '1'}\n"
        "paths: {}\n"
        "components:\n"
        "  schemas:\n"
        "    S:\n"
        "      type: object\n"
        "      properties:\n"
        "        on: {type: string, example: 2024-01-02}\n"
        "        no: {type: boolean, default: yes}\n"
        "        y: {type: boolean, default: true}\n"
    )
    api = load(tmp_path / "api.yaml")
    props = {p.name: p.schema for p in api.schemas["S"].properties}
    assert set(props) == {"on", "no", "y"}
    assert props["on"].examples == ("2024-01-02",)
    assert props["no"].default == "yes" and props["y"].default is True


def test_security_none_versus_explicitly_empty() -> None:
    api = load(
        openapi(
            {
                "/a": {"get": get_op()},
                "/b": {"get": get_op(security=[])},
                "/c": {"get": get_op(security=[{"key": [], "oauth": ["read", "write"]}, {}])},
            },
            security=[{"key": []}],
            components={
                "securitySchemes": {
                    "key": {"type": "apiKey", "name": "k", "in": "query"},
                    "oauth": {
                        "type": "oauth2",
                        "flows": {
                            "clientCredentials": {"tokenUrl": "https://t", "scopes": {"read": "r"}}
                        },
                    },
                }
            },
        )
    )
    a, b, c = api.operations
    assert a.security is None and api.security_for(a) == ((("key", ()),),)
    assert b.security == () and api.security_for(b) == ()
    assert c.security == ((("key", ()), ("oauth", ("read", "write"))), ())
    assert api.problems == ()


def test_idempotency_and_the_idempotency_header() -> None:
    def post(header: str) -> dict[str, Any]:
        return {**get_op(), "parameters": [{"name": header, "in": "header", "schema": {}}]}

    api = load(
        openapi(
            {
                "/a": {"post": post("Idempotency-Key"), "put": get_op()},
                "/b": {"post": post("x-idempotency-key")},
                "/c": {"post": post("Idempotency_Token")},
                "/d": {"post": post("X-Request-Id")},
            }
        )
    )
    headers = {
        (op.method, op.path): (op.idempotent, op.idempotency_header) for op in api.operations
    }
    assert headers == {
        ("post", "/a"): (False, "Idempotency-Key"),
        ("put", "/a"): (True, None),
        ("post", "/b"): (False, "x-idempotency-key"),
        ("post", "/c"): (False, "Idempotency_Token"),
        ("post", "/d"): (False, None),
    }


def test_operation_ids_resources_and_method_names() -> None:
    api = load(
        openapi(
            {
                "/pets": {
                    "get": get_op(operationId="listPets", tags=["pets"]),
                    "post": get_op(operationId="createPet", tags=["pets"]),
                },
                "/pets/{id}": {"get": get_op(operationId="getPetById", tags=["pets"])},
                "/v1/stores/{store_id}/items": {"get": get_op()},
                "/dup": {"get": get_op(operationId="same"), "post": get_op(operationId="same")},
                "/kw": {"get": get_op(operationId="import", tags=["class"])},
            },
            tags=[{"name": "pets", "description": "Pets!"}],
        )
    )
    names = {(op.method, op.path): (op.id, op.resource, op.method_name) for op in api.operations}
    assert names[("get", "/pets")] == ("list_pets", "pets", "list")
    assert names[("post", "/pets")] == ("create_pet", "pets", "create")
    assert names[("get", "/pets/{id}")] == ("get_pet_by_id", "pets", "get_by_id")
    assert names[("get", "/v1/stores/{store_id}/items")] == (
        "get_v1_stores_store_id_items",
        "stores",
        "get_v1_store_id_items",
    )
    assert {names[("get", "/dup")][0], names[("post", "/dup")][0]} == {"same", "same_2"}
    assert names[("get", "/kw")] == ("import_", "class_", "import_")
    assert api.tags[0].description == "Pets!"
    assert [t.py_name for t in api.tags] == ["pets", "class_"]


def test_operation_names_do_not_depend_on_document_order() -> None:
    paths = {f"/p{i}": {"get": get_op(operationId="same")} for i in range(5)}
    forward = load(openapi(paths))
    backward = load(openapi(dict(reversed(list(paths.items())))))
    assert {op.path: op.id for op in forward.operations} == {
        op.path: op.id for op in backward.operations
    }


@pytest.mark.parametrize("header", ["X-Continuation-Token", "NextPageToken", "x-next-cursor"])
def test_pagination_detection_of_a_next_cursor_header(header: str) -> None:
    op = get_op(
        {"type": "array"},
        parameters=[{"name": "continuationToken", "in": "query", "schema": {}}],
    )
    op["responses"]["200"]["headers"] = {header: {"schema": {"type": "string"}}}
    api = load(openapi({"/things": {"get": op}}))
    assert api.operations[0].pagination == Pagination(
        style="cursor", cursor_param="continuationToken", next_cursor_header=header
    )


@pytest.mark.parametrize(
    ("params", "body", "headers", "expected"),
    [
        (
            ["page", "per_page"],
            {"type": "array", "items": {}},
            {},
            Pagination(style="page", page_param="page", size_param="per_page"),
        ),
        (
            ["offset", "limit"],
            {"type": "object", "properties": {"results": {"type": "array"}, "total": {}}},
            {},
            Pagination(
                style="offset",
                items_path=("results",),
                offset_param="offset",
                limit_param="limit",
                total_path=("total",),
            ),
        ),
        (
            ["starting_after", "limit"],
            {
                "type": "object",
                "properties": {
                    "data": {"type": "array", "items": {"properties": {"id": {"type": "string"}}}},
                    "has_more": {},
                },
            },
            {},
            Pagination(
                style="cursor",
                items_path=("data",),
                cursor_param="starting_after",
                limit_param="limit",
                has_more_path=("has_more",),
                cursor_item_field="id",
            ),
        ),
        (
            ["page_token"],
            {
                "type": "object",
                "properties": {"items": {"type": "array"}, "next_page_token": {"type": "string"}},
            },
            {},
            Pagination(
                style="cursor",
                items_path=("items",),
                cursor_param="page_token",
                next_cursor_path=("next_page_token",),
            ),
        ),
        (
            ["cursor"],
            {
                "type": "object",
                "properties": {
                    "data": {"type": "array"},
                    "meta": {"type": "object", "properties": {"next": {"type": "string"}}},
                },
            },
            {},
            Pagination(
                style="cursor",
                items_path=("data",),
                cursor_param="cursor",
                next_cursor_path=("meta", "next"),
            ),
        ),
        (
            ["per_page"],
            {"type": "array"},
            {"Link": {"schema": {"type": "string"}}},
            Pagination(style="link", size_param="per_page"),
        ),
        (
            [],
            {
                "type": "object",
                "properties": {
                    "values": {"type": "array"},
                    "next": {"type": "string", "format": "uri"},
                },
            },
            {},
            Pagination(style="next_url", items_path=("values",), next_url_path=("next",)),
        ),
        (["page"], {"type": "object", "properties": {"name": {}}}, {}, None),
        ([], {"type": "array"}, {}, None),
    ],
)
def test_pagination_detection(
    params: list[str], body: dict[str, Any], headers: dict[str, Any], expected: Pagination | None
) -> None:
    op = get_op(body, parameters=[{"name": n, "in": "query", "schema": {}} for n in params])
    op["responses"]["200"]["headers"] = headers
    api = load(openapi({"/things": {"get": op}}))
    assert api.operations[0].pagination == expected


def test_pagination_from_extensions_and_never_for_writes() -> None:
    api = load(
        openapi(
            {
                "/a": {
                    "get": get_op(
                        {"type": "object"},
                        **{
                            "x-pagination": {
                                "style": "cursor",
                                "cursorParam": "after",
                                "itemsPath": "data.items",
                                "nextCursorPath": "meta.after",
                            }
                        },
                    )
                },
                "/b": {"get": get_op({}, **{"x-ms-pageable": {"nextLinkName": "nextLink"}})},
                "/c": {
                    "post": get_op(
                        {"type": "array"},
                        parameters=[{"name": "page", "in": "query", "schema": {}}],
                    )
                },
            }
        )
    )
    a, b, c = api.operations
    assert a.pagination == Pagination(
        style="cursor",
        items_path=("data", "items"),
        cursor_param="after",
        next_cursor_path=("meta", "after"),
        source="extension",
    )
    assert b.pagination == Pagination(
        style="next_url", items_path=("value",), next_url_path=("nextLink",), source="extension"
    )
    assert c.pagination is None


def test_webhooks_and_callbacks() -> None:
    api = load(
        openapi(
            {
                "/subscribe": {
                    "post": {
                        **get_op(),
                        "operationId": "subscribe",
                        "callbacks": {
                            "onEvent": {
                                "{$request.body#/url}": {
                                    "post": {
                                        "requestBody": {
                                            "content": {
                                                "application/json": {"schema": {"type": "object"}}
                                            }
                                        },
                                        "responses": {"200": {"description": "ok"}},
                                    }
                                }
                            }
                        },
                    }
                }
            },
            version="3.1.0",
            webhooks={
                "pet.created": {
                    "post": {
                        "requestBody": {
                            "content": {"application/json": {"schema": {"type": "object"}}}
                        }
                    }
                }
            },
        )
    )
    hook, callback = api.webhooks
    assert (hook.name, hook.py_name, hook.kind) == ("pet.created", "pet_created", "webhook")
    assert hook.operations[0].method == "post"
    assert hook.operations[0].request_body is not None
    assert (callback.kind, callback.expression, callback.parent_operation) == (
        "callback",
        "{$request.body#/url}",
        "subscribe",
    )
    assert callback.operations[0].parameters == ()  # the expression is not a path template
    assert api.problems == ()


def test_servers_with_variables_and_overrides() -> None:
    api = load(
        openapi(
            {
                "/a": {"servers": [{"url": "https://path.example"}], "get": get_op()},
                "/b": {"get": get_op(servers=[{"url": "https://op.example"}])},
            },
            servers=[
                {
                    "url": "https://{env}.example/{v}",
                    "variables": {
                        "env": {"default": "api", "enum": ["api", "sandbox"]},
                        "v": {"default": 1},
                    },
                }
            ],
        )
    )
    (server,) = api.servers
    assert [(v.name, v.default, v.enum) for v in server.variables] == [
        ("env", "api", ("api", "sandbox")),
        ("v", "1", ()),
    ]
    assert [op.servers[0].url for op in api.operations] == [
        "https://path.example",
        "https://op.example",
    ]


@pytest.mark.parametrize(
    ("content", "name", "pointer", "fragment"),
    [
        (b"{not json", "api.json", "", "invalid JSON at line 1"),
        (b"a: [b", "api.yaml", "", "invalid YAML"),
        (b"[1, 2]", "api.json", "", "must be an object"),
        (b'{"info": {}}', "api.json", "", "no `openapi` or `swagger`"),
        (b'{"openapi": "4.0"}', "api.json", "/openapi", "unsupported OpenAPI version"),
        (b'{"swagger": "1.2"}', "api.json", "/swagger", "unsupported Swagger version"),
    ],
)
def test_unusable_descriptions_raise_spec_error_naming_the_place(
    tmp_path: Path, content: bytes, name: str, pointer: str, fragment: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SpecError) as caught:
        load(path)
    assert caught.value.pointer == pointer
    assert fragment in str(caught.value)
    assert str(path) in str(caught.value)
    api, problems = load_with_problems(path)
    assert api is None and problems[0].severity == "error"


def test_missing_file_folder_and_fifo_are_spec_errors(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="no such file"):
        load(tmp_path / "nope.yaml")
    with pytest.raises(SpecError, match="directory"):
        load(tmp_path)
    os.mkfifo(tmp_path / "pipe.yaml")
    with pytest.raises(SpecError, match="not a regular file"):
        load(tmp_path / "pipe.yaml")


def test_survivable_structure_errors_are_reported_with_pointers() -> None:
    api = load(
        {
            "openapi": "3.0.0",
            "info": "x",
            "paths": {
                "/a": {"get": "nope", "post": {"parameters": {}, "responses": []}},
                "/b": {"get": {"parameters": [{"in": "query"}, 5], "responses": {}}},
                "c": {"get": get_op(tags="t", operationId=7)},
            },
        }
    )
    pointers = {p.pointer for p in api.problems}
    assert {
        "/info",
        "/paths/~1a/get",
        "/paths/~1a/post/parameters",
        "/paths/~1a/post/responses",
        "/paths/~1b/get/parameters/0",
        "/paths/~1b/get/parameters/1",
        "/paths/c",
        "/paths/c/get/tags",
        "/paths/c/get/operationId",
    } <= pointers
    assert api.title == "Untitled API"
    assert [op.path for op in api.operations] == ["/a", "/b", "c"]


def test_webhook_and_callback_names_are_unique_across_both() -> None:
    callback = {"{$request.body#/url}": {"post": get_op(operationId="notify")}}
    api = load(
        openapi(
            {"/a": {"post": {**get_op(), "callbacks": {"notify": callback}}}},
            version="3.1.0",
            webhooks={"notify": {"post": get_op(operationId="notify")}},
        )
    )
    assert sorted(h.py_name for h in api.webhooks) == ["notify", "notify_2"]
    ids = [op.id for hook in api.webhooks for op in hook.operations]
    assert sorted(ids) == ["notify", "notify_2"]


def test_a_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "api.json").write_bytes(
        b"\xef\xbb\xbf" + b'{"openapi": "3.0.0", "info": '
        b'{"title": "t", "version": "1"}, "paths": {}}'
    )
    assert load(tmp_path / "api.json").title == "t"


def test_a_mapping_from_yaml_safe_load_is_read_without_being_changed() -> None:
    text = (
        "openapi: 3.0.3\n"
        "info: {title: t, version: '1'}\n"
        "paths:\n"
        "  /x:\n"
        "    get:\n"
        "      responses:\n"
        "        200:\n"
        "          description: ok\n"
        "          content:\n"
        "            application/json:\n"
        "              schema: {type: string, format: date, example: 2024-01-02}\n"
    )
    doc = yaml.safe_load(text)
    before = repr(doc)
    api = load(doc)
    (response,) = api.operations[0].responses
    assert response.status == "200"
    schema = response.content[0].schema
    assert schema is not None and schema.examples == ("2024-01-02",)
    assert repr(doc) == before


def test_a_plain_mapping_is_used_as_is_and_not_mutated() -> None:
    doc = openapi({"/x": {"get": get_op({"type": "string"})}})
    before = repr(doc)
    load(doc)
    assert repr(doc) == before


def test_wrong_field_types_in_operations_and_parameters_are_located() -> None:
    op = {
        **get_op(),
        "summary": 5,
        "deprecated": "yes",
        "parameters": [
            {"name": "q", "in": "query", "required": "no", "schema": {}, "content": {}},
        ],
        "requestBody": {"description": "no content"},
        "security": [{"k": "read"}],
    }
    api = load(openapi({"/d": {"get": op}}))
    pointers = {p.pointer for p in api.problems}
    assert {
        "/paths/~1d/get/summary",
        "/paths/~1d/get/deprecated",
        "/paths/~1d/get/parameters/0/required",
        "/paths/~1d/get/parameters/0",
        "/paths/~1d/get/requestBody",
        "/paths/~1d/get/security/0/k",
    } <= pointers
    (operation,) = api.operations
    assert operation.summary is None and not operation.deprecated
    assert not operation.parameters[0].required


def test_loading_is_deterministic(tmp_path: Path) -> None:
    source = PROJECT_ROOT / "examples" / "petstore.yaml"
    first, second = load(source), load(source)
    assert first == second
    assert load_with_problems(source) == (first, first.problems)


def test_near_json_that_orjson_refuses_is_still_read(tmp_path: Path) -> None:
    (tmp_path / "api.json").write_bytes(
        b'{"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": {},'
        b' "components": {"schemas": {"S": {"type": "number", "maximum": Infinity,'
        b' "default": NaN, "description": "\\ud800"}}}}'
    )
    schema = load(tmp_path / "api.json").schemas["S"]
    assert schema.maximum == float("inf") and schema.has_default


def test_the_text_of_a_description_can_be_loaded_directly() -> None:
    yaml_text = "openapi: 3.0.0\ninfo: {title: from text, version: '1'}\npaths: {}\n"
    assert load(yaml_text).title == "from text"
    assert (
        load('{"swagger": "2.0", "info": {"title": "j", "version": "1"}, "paths": {}}').title == "j"
    )
    with pytest.raises(SpecError, match="<text>"):
        load("openapi: [3.0\n")


def test_duplicates_that_break_routing_or_naming_are_reported() -> None:
    param = {"name": "q", "in": "query", "schema": {}}
    api = load(
        openapi(
            {
                "/a/{id}": {"get": get_op(operationId="same", parameters=[param, param])},
                "/a/{name}": {"get": get_op(operationId="same"), "put": get_op()},
                "/b/{id}": {"delete": get_op()},
            }
        )
    )
    messages = {p.pointer: p.message for p in api.problems}
    assert "declared twice" in messages["/paths/~1a~1{id}/get/parameters/1"]
    assert "also used by GET /a/{id}" in messages["/paths/~1a~1{name}/get/operationId"]
    assert "same route" in messages["/paths/~1a~1{name}/get"]
    routes = [p for p in api.problems if "same route" in p.message]
    assert len(routes) == 1  # PUT /a/{name} has no twin: no clash
