"""Descriptions split over many files: path items and operations given as `$ref`s to files.

`fixtures/multifile` is DigitalOcean's layout, tiny: each operation is its own file, named from
`paths` by a `$ref` (not OpenAPI, which allows `$ref` only on path items, but what bundlers
accept); its parameters, responses, request body and schemas are `$ref`s relative to that file.
Whole operations must never be lost quietly: a reference that cannot be followed is an error,
so `apiweld check` does not call the description usable.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from spec_test_docs import CORPUS, get_op, openapi

from apiweld.spec import load
from apiweld.spec._check import run_check
from apiweld.spec.ir import Api, Problem

FIXTURE = Path(__file__).parent / "fixtures" / "multifile"
THINGS = FIXTURE / "resources" / "things"


def write_yaml(path: Path, doc: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc))
    return path


def problems_of(api: Api, severity: str) -> list[tuple[str, str | None, str]]:
    return [(p.pointer, p.file, p.message) for p in api.problems if p.severity == severity]


def test_every_operation_given_as_a_file_is_read_whole() -> None:
    api = load(FIXTURE / "openapi.yaml")
    assert [(op.method, op.path, op.operation_id) for op in api.operations] == [
        ("get", "/v2/things", "things_list"),
        ("post", "/v2/things", "things_create"),
        ("get", "/v2/things/{thing_id}", "things_get"),
        ("delete", "/v2/things/{thing_id}", "things_delete"),
    ]
    listing = api.operation("things_list")
    assert listing.summary == "List things" and listing.tags == ("Things",)
    per_page, page = listing.parameters
    assert (per_page.name, per_page.schema.maximum, page.name) == ("per_page", 200, "page")
    assert [(r.status, r.description) for r in listing.responses] == [
        ("200", "A page of things."),
        ("401", "Unauthorized."),
    ]
    assert listing.pagination is not None
    assert (listing.pagination.style, listing.pagination.page_param) == ("page", "page")
    assert listing.pagination.items_path == ("things",)

    create = api.operation("things_create")
    assert create.request_body is not None and create.request_body.required
    body = create.request_body.content[0].schema
    assert body is not None and body.ref == "ThingCreate"
    assert api.schemas["ThingCreate"].properties[0].schema.max_length == 64

    item = api.operation("things_get")
    (thing_id,) = item.parameters  # shared by the path item file, from its own parameters.yml
    assert (thing_id.name, thing_id.location, thing_id.schema.minimum) == ("thing_id", "path", 1)
    assert [r.status for r in item.responses] == ["200", "404"]
    delete = api.operation("things_delete")  # an operation file named from a path item file
    assert [p.name for p in delete.parameters] == ["thing_id"]
    assert [r.status for r in delete.responses] == ["204", "404"]

    assert {"Thing", "ThingCreate", "Error", "Links"} <= set(api.schemas)
    assert problems_of(api, "error") == []


def test_operations_keep_the_pointer_that_names_them_and_problems_name_their_file() -> None:
    api = load(FIXTURE / "openapi.yaml")
    assert [op.pointer for op in api.operations] == [
        "/paths/~1v2~1things/get",
        "/paths/~1v2~1things/post",
        "/paths/~1v2~1things~1{thing_id}/get",
        "/paths/~1v2~1things~1{thing_id}/delete",
    ]
    warnings = problems_of(api, "warning")
    assert [(pointer, file) for pointer, file, _ in warnings] == [
        ("/paths/~1v2~1things/get", None),
        ("/paths/~1v2~1things/post", None),
        ("/delete", str(THINGS / "thing_item.yml")),
    ]
    assert all("is a $ref" in message and "followed" in message for *_, message in warnings)
    assert "'resources/things/things_list.yml'" in warnings[0][2]


def test_check_counts_the_followed_operation_refs_and_calls_it_usable() -> None:
    report = run_check(str(FIXTURE / "openapi.yaml"))
    assert report.usable and (report.errors, report.warnings) == (0, 3)
    assert report.summary is not None
    assert (report.summary["operations"], report.summary["schemas"]) == (4, 4)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture, to break one file at a time."""
    target = tmp_path / "spec"
    shutil.copytree(FIXTURE, target)
    return target


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ("missing", "no such file"),
        ("nowhere", "cannot be resolved"),
        ("scalar", "must be an object; it is lost"),
        ("list-file", "must be an object; it is lost"),
        ("number-ref", "$ref must be a string"),
    ],
)
def test_an_operation_that_cannot_be_read_is_an_error_and_not_usable(
    copy: Path, broken: str, expected: str
) -> None:
    write_yaml(copy / "list.yml", ["not", "an", "operation"])
    operation = {
        "missing": {"$ref": "resources/things/gone.yml"},
        "nowhere": {"$ref": "resources/things/things_list.yml#/nothing"},
        "scalar": "things_list",
        "list-file": {"$ref": "list.yml"},
        "number-ref": {"$ref": 7},
    }[broken]
    doc = yaml.safe_load((copy / "openapi.yaml").read_text())
    doc["paths"]["/v2/things"]["get"] = operation
    write_yaml(copy / "openapi.yaml", doc)
    api = load(copy / "openapi.yaml")
    assert [op.operation_id for op in api.operations] == [
        "things_create",
        "things_get",
        "things_delete",
    ]
    errors = problems_of(api, "error")
    assert errors and any(expected in message for *_, message in errors), errors
    report = run_check(str(copy / "openapi.yaml"))
    assert not report.usable and report.errors >= 1


def test_a_path_item_ref_that_cannot_be_followed_loses_its_operations_with_an_error(
    copy: Path,
) -> None:
    doc = yaml.safe_load((copy / "openapi.yaml").read_text())
    doc["paths"]["/v2/things/{thing_id}"] = {"$ref": "resources/things/thing_item.yml#/nope"}
    write_yaml(copy / "openapi.yaml", doc)
    api = load(copy / "openapi.yaml")
    assert [op.operation_id for op in api.operations] == ["things_list", "things_create"]
    assert (
        "/paths/~1v2~1things~1{thing_id}",
        None,
        "the path item's $ref cannot be resolved; its operations are lost",
    ) in problems_of(api, "error")
    assert not run_check(str(copy / "openapi.yaml")).usable


def test_an_empty_operation_is_a_warning_not_a_loss() -> None:
    api = load(openapi({"/x": {"get": None, "post": get_op()}}))
    assert [op.method for op in api.operations] == ["post"]
    assert api.problems == (
        Problem("warning", "/paths/~1x/get", "the GET operation is empty (null); skipped"),
    )


@pytest.mark.parametrize("where", ["path-item", "operation"])
def test_refs_to_operations_and_path_items_may_not_leave_the_folder(
    tmp_path: Path, where: str
) -> None:
    write_yaml(tmp_path / "outside" / "op.yml", get_op({"type": "string"}))
    write_yaml(tmp_path / "outside" / "item.yml", {"get": get_op({"type": "string"})})
    folder = tmp_path / "spec"
    folder.mkdir()
    os.symlink(tmp_path / "outside" / "op.yml", folder / "op.yml")
    os.symlink(tmp_path / "outside" / "item.yml", folder / "item.yml")
    choices: dict[str, dict[str, Any]] = {
        "path-item": {"/a": {"$ref": "item.yml"}, "/b": {"$ref": "../outside/item.yml"}},
        "operation": {
            "/a": {"get": {"$ref": "op.yml"}},
            "/b": {"get": {"$ref": "../outside/op.yml"}},
        },
    }
    paths = choices[where]
    main = write_yaml(folder / "openapi.yaml", openapi(paths))
    api = load(main)
    assert api.operations == ()
    refused = [p for p in api.problems if "refused" in p.message]
    assert len(refused) == 2 and all(p.severity == "error" for p in refused)
    assert not run_check(str(main)).usable
    allowed = load(main, allow_outside_root=True)
    assert [op.path for op in allowed.operations] == ["/a", "/b"]
    bodies = [op.responses[0].content[0].schema for op in allowed.operations]
    assert all(body is not None and body.types == ("string",) for body in bodies)


def test_an_internal_path_item_used_twice_gives_each_route_its_own_pointer() -> None:
    shared = {"parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}]}
    doc = openapi(
        {
            "/a": {"$ref": "#/components/pathItems/Shared"},
            "/b": {"$ref": "#/components/pathItems/Shared"},
        },
        version="3.1.0",
        components={"pathItems": {"Shared": {**shared, "get": get_op({"type": "integer"})}}},
    )
    api = load(doc)
    assert api.problems == ()
    assert [(op.path, op.pointer) for op in api.operations] == [
        ("/a", "/paths/~1a/get"),
        ("/b", "/paths/~1b/get"),
    ]
    assert all(op.parameters[0].name == "q" for op in api.operations)


def test_the_corpus_path_item_ref_no_longer_shares_its_source_pointer() -> None:
    api = load(CORPUS / "readme-oas-examples" / "3.0" / "server-path-level.json")
    pointers = [op.pointer for op in api.operations]
    assert len(set(pointers)) == len(pointers)
    assert api.operation("get_path_item_ref_server").pointer == "/paths/~1path-item-ref-server/get"


def test_a_map_of_properties_given_as_a_ref_is_followed(tmp_path: Path) -> None:
    # DigitalOcean's load balancer bodies: `properties: {$ref: attributes.yml#/droplet_ids}`.
    write_yaml(
        tmp_path / "models" / "attributes.yml",
        {"droplet_ids": {"droplet_ids": {"type": "array", "items": {"$ref": "id.yml"}}}},
    )
    write_yaml(tmp_path / "models" / "id.yml", {"type": "integer", "minimum": 1})
    body = {
        "type": "object",
        "required": ["droplet_ids"],
        "properties": {
            "$ref": "models/attributes.yml#/droplet_ids",
            "tag": {"type": "string"},
        },
    }
    main = write_yaml(
        tmp_path / "openapi.yaml",
        openapi(
            {
                "/lb": {
                    "post": {
                        "requestBody": {"content": {"application/json": {"schema": body}}},
                        "responses": {"204": {"description": "ok"}},
                    }
                }
            }
        ),
    )
    api = load(main)
    request = api.operations[0].request_body
    assert request is not None
    schema = request.content[0].schema
    assert schema is not None and schema.required_extra == ()
    droplet_ids, tag = schema.properties
    assert (droplet_ids.name, droplet_ids.required, tag.name) == ("droplet_ids", True, "tag")
    assert droplet_ids.schema.items is not None and droplet_ids.schema.items.ref == "Id"
    assert api.schemas["Id"].minimum == 1  # the ref inside is relative to attributes.yml
    (warning,) = api.problems
    pointer = "/paths/~1lb/post/requestBody/content/application~1json/schema/properties"
    assert (warning.severity, warning.pointer) == ("warning", pointer)
    assert "properties is a $ref ('models/attributes.yml#/droplet_ids')" in warning.message


def test_a_properties_ref_to_nowhere_invents_no_property_and_a_real_one_named_ref_stays() -> None:
    broken = {"type": "object", "properties": {"$ref": "#/nothing", "a": {"type": "string"}}}
    literal = {"type": "object", "properties": {"$ref": {"type": "string"}}}
    api = load(openapi(components={"schemas": {"Broken": broken, "Plain": literal}}))
    assert [p.name for p in api.schemas["Broken"].properties] == ["a"]
    assert [p.pointer for p in api.problems] == ["/components/schemas/Broken/properties"]
    assert "points to nothing" in api.problems[0].message
    (named_ref,) = api.schemas["Plain"].properties
    assert named_ref.name == "$ref" and named_ref.schema.types == ("string",)
