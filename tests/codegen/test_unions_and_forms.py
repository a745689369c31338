"""Discriminated unions and form/multipart bodies in generated clients.

Unions: a `oneOf`/`anyOf` with a discriminator (or a base schema whose discriminator names its
`allOf` subtypes) parses a payload into the member its tag names, even when another member would
validate too; a tag the description does not know parses as before (the plain union, or the base
class) instead of failing the call. Bodies: form bodies are typed like JSON ones, multipart bodies
as a TypedDict whose file parts take what the runtime's encoder sends; both are sent over loopback
to apiweld's mock and read back from what it received.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from apiweld.codegen import GenerationReport, generate_package
from apiweld.mock import MockServer
from apiweld.spec import load

ROOT = Path(__file__).resolve().parents[2]
READMES = ROOT.parent / "shared" / "corpus" / "readme-oas-examples" / "3.0"
APIS_GURU = ROOT.parent / "shared" / "corpus" / "apis-guru"
Build = Callable[..., tuple[ModuleType, GenerationReport]]


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json_response(schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": "OK", "content": {"application/json": {"schema": schema}}}}


# Dog and Cat both accept any pet payload (only `petType` is required, and it is a plain string),
# so only the tag can tell them apart. Pet is a base whose discriminator names its subtypes.
PETS: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Unions", "version": "1.0.0"},
    "servers": [{"url": "https://pets.example.com"}],
    "paths": {
        "/pets/{id}": {
            "get": {
                "operationId": "getPet",
                "tags": ["pets"],
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": _json_response(
                    {
                        "oneOf": [_ref("Dog"), _ref("Cat")],
                        "discriminator": {
                            "propertyName": "petType",
                            "mapping": {
                                "dog": "#/components/schemas/Dog",
                                "cat": "#/components/schemas/Cat",
                                # a mapping to a schema that is not a member, and not an object
                                "stone": "#/components/schemas/Stone",
                            },
                        },
                    }
                ),
            }
        },
        "/animals/{id}": {
            "get": {
                "operationId": "getAnimal",
                "tags": ["animals"],
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": _json_response(_ref("Animal")),
            }
        },
    },
    "components": {
        "schemas": {
            "Dog": _object(
                {"petType": {"type": "string"}, "name": {"type": "string"}, "barks": {}},
                ["petType"],
            ),
            "Cat": _object(
                {"petType": {"type": "string"}, "name": {"type": "string"}, "lives": {}},
                ["petType"],
            ),
            "Stone": {"type": "string"},
            "Shelf": {"type": "array", "items": _ref("Dog")},
            "Owner": _object(
                {
                    "pet": {
                        "oneOf": [_ref("Dog"), _ref("Cat"), _ref("Shelf")],
                        # no mapping: the member schema names are the tag values
                        "discriminator": {"propertyName": "petType"},
                    },
                    "favourite": {
                        "anyOf": [_ref("Tabby"), _ref("Dog")],
                        "discriminator": {
                            "propertyName": "kind",
                            "mapping": {"t": "#/components/schemas/Tabby"},
                        },
                    },
                }
            ),
            # tags that are enums; a member whose tag is its one enum value
            "Tabby": _object(
                {"kind": {"type": "string", "enum": ["tabby"]}, "stripes": {"type": "integer"}},
                ["kind"],
            ),
            "Animal": {
                **_object(
                    {"kind": {"type": "string"}, "name": {"type": "string"}},
                    ["kind"],
                ),
                "discriminator": {
                    "propertyName": "kind",
                    "mapping": {"bird": "#/components/schemas/Bird"},
                },
            },
            "Bird": {
                "allOf": [_ref("Animal"), _object({"wingspan": {"type": "number"}})],
            },
            "Fish": {
                "allOf": [_ref("Animal"), _object({"fins": {"type": "integer"}})],
            },
            "Zoo": _object({"animals": {"type": "array", "items": _ref("Animal")}}),
        }
    },
}

# Parses payloads through the generated package in a fresh interpreter and prints what came out.
PARSE = textwrap.dedent(
    """
    import json, sys
    import pydantic
    sys.path.insert(0, sys.argv[1])
    models = __import__(sys.argv[2] + ".models", fromlist=["*"])
    out = []
    for model, payload in json.loads(sys.argv[3]):
        value = getattr(models, model).model_validate(payload)
        out.append(value.model_dump(mode="json", by_alias=True, exclude_unset=True))
        out.append({k: type(getattr(value, k)).__name__ for k in type(value).model_fields})
    print(json.dumps(out))
    """
)


def _generate(description: dict[str, Any] | Path, out: Path, package: str) -> GenerationReport:
    report = generate_package(load(description), out, package=package, include_tests=False)
    assert report.lint == [] and report.skipped == []
    return report


def _parse(out: Path, package: str, cases: list[tuple[str, Any]]) -> list[Any]:
    done = subprocess.run(
        [sys.executable, "-c", PARSE, str(out), package, json.dumps(cases)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: list[Any] = json.loads(done.stdout)
    return result


def test_string_tags_pick_the_mapped_member_and_unknown_tags_still_parse(
    tmp_path: Path, fresh_import: Callable[[Path, str], subprocess.CompletedProcess[str]]
) -> None:
    _generate(PETS, tmp_path, "unions")
    imported = fresh_import(tmp_path, "unions")
    assert imported.returncode == 0, imported.stderr[-3000:]
    cat = {"petType": "Cat", "name": "Tom"}
    hamster = {"petType": "Hamster", "name": "Ham"}
    results = _parse(
        tmp_path,
        "unions",
        [
            ("Owner", {"pet": cat}),  # Dog comes first and would validate: the tag says Cat
            ("Owner", {"pet": {"petType": "Dog"}}),
            ("Owner", {"pet": hamster}),  # unknown tag: parsed as the plain union parses it
            ("Owner", {"pet": [{"petType": "Dog"}]}),  # the array member, reached by no tag
            ("Owner", {"favourite": {"kind": "t", "stripes": 3}}),  # mapped value
            ("Owner", {"favourite": {"kind": "tabby"}}),  # the member's one enum value
            ("Owner", {"favourite": {"kind": "Dog", "petType": "x"}}),  # the member's name
            ("Zoo", {"animals": [{"kind": "bird", "wingspan": 1.5}, {"kind": "Fish"}]}),
            ("Zoo", {"animals": [{"kind": "dragon", "name": "Smaug", "fire": True}]}),
            ("Dog", {"petType": "Cat"}),  # members used on their own are not narrowed
        ],
    )
    dumps, types = results[0::2], results[1::2]
    assert dumps[0] == {"pet": cat} and types[0]["pet"] == "Cat"
    assert types[1]["pet"] == "Dog"
    assert dumps[2] == {"pet": hamster} and types[2]["pet"] in ("Dog", "Cat")
    assert types[3]["pet"] == "list" and dumps[3] == {"pet": [{"petType": "Dog"}]}
    assert [t["favourite"] for t in types[4:7]] == ["Tabby", "Tabby", "Dog"]
    assert dumps[7]["animals"] == [{"kind": "bird", "wingspan": 1.5}, {"kind": "Fish"}]
    # A subtype the description does not know parses as the base, its fields kept.
    assert dumps[8]["animals"] == [{"kind": "dragon", "name": "Smaug", "fire": True}]
    assert dumps[9] == {"petType": "Cat"}


def test_subtypes_of_a_base_are_the_base_s_types(build: Build) -> None:
    package, _ = build(PETS)
    models = package.models
    zoo = models.Zoo.model_validate(
        {"animals": [{"kind": "bird"}, {"kind": "Fish", "fins": 2}, {"kind": "yeti"}]}
    )
    assert [type(a) for a in zoo.animals] == [models.Bird, models.Fish, models.Animal]
    # Serialising picks each member's own class, whatever its tag field says.
    built = models.Zoo(animals=[models.Fish(kind="Fish", fins=1), models.Animal(kind="x")])
    assert built.model_dump(exclude_unset=True) == {
        "animals": [{"kind": "Fish", "fins": 1}, {"kind": "x"}]
    }


class _Answer(BaseHTTPRequestHandler):
    body = b"{}"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def answering() -> Iterator[tuple[str, type[_Answer]]]:
    handler = type("Handler", (_Answer,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def _method(client: Any, report: GenerationReport, operation: str) -> Any:
    resource, method = report.methods[operation].split(".")
    return getattr(getattr(client, resource), method)


def test_client_calls_return_the_tagged_member(
    build: Build, answering: tuple[str, type[_Answer]]
) -> None:
    base_url, handler = answering
    package, report = build(PETS)
    client = package.Unions(base_url=base_url, retry=None)
    models = package.models
    get_pet, get_animal = (_method(client, report, op) for op in ("get_pet", "get_animal"))
    handler.body = json.dumps({"petType": "cat", "name": "Tom"}).encode()
    assert isinstance(get_pet(id="1"), models.Cat)
    handler.body = json.dumps({"petType": "dog"}).encode()
    assert isinstance(get_pet(id="1"), models.Dog)
    handler.body = json.dumps({"petType": "ferret", "name": "F"}).encode()
    ferret = get_pet(id="1")  # a new subtype: the call still returns its data
    assert ferret.pet_type == "ferret" and ferret.name == "F"
    handler.body = json.dumps({"kind": "bird", "wingspan": 2}).encode()
    assert isinstance(get_animal(id="1"), models.Bird)
    handler.body = json.dumps({"kind": "kraken"}).encode()
    assert type(get_animal(id="1")) is models.Animal


@pytest.mark.parametrize("name", ["discriminators.json", "polymorphism.json"])
def test_readme_discriminator_examples_generate_import_and_pick(
    name: str,
    tmp_path: Path,
    fresh_import: Callable[[Path, str], subprocess.CompletedProcess[str]],
) -> None:
    package = name.split(".")[0]
    _generate(READMES / name, tmp_path, package)
    imported = fresh_import(tmp_path, package)
    assert imported.returncode == 0, imported.stderr[-3000:]
    if name != "discriminators.json":
        return
    # The Redocly example: a base with a mapping and no oneOf, used through a `$ref`.
    results = _parse(
        tmp_path,
        package,
        [
            (
                "RedoclyQuirkBody",
                {"vehicle": {"powerSource": "human-energy", "handlebars": "drop"}},
            ),
            ("RedoclyQuirkBody", {"vehicle": {"powerSource": "gasoline", "tankCapacity": 40}}),
            ("RedoclyQuirkBody", {"vehicle": {"powerSource": "fusion"}}),
            # An embedded discriminator: the members' base carries it (implicit mapping).
            ("PatchNestedOneOfObjectWithNestedOneOfBody", {"config": {"pet_type": "Dog"}}),
        ],
    )
    types = results[1::2]
    assert [t["vehicle"] for t in types[:3]] == ["PedaledVehicle", "FueledVehicle", "BaseVehicle"]
    assert types[3]["config"] == "Dog"


def test_corpus_discriminators_generate_and_import(
    tmp_path: Path, fresh_import: Callable[[Path, str], subprocess.CompletedProcess[str]]
) -> None:
    # Shared enum tags with explicit mappings (nexmo), a base whose mapping names arrays
    # (zalando), bases with subtypes and enum tags (an Azure description).
    for index, name in enumerate(
        ["nexmo.com/reports.json", "zalando.com.json", "azure.com/datalake-analytics-job.json"]
    ):
        out = tmp_path / f"p{index}"
        package = f"corpus_{index}"
        _generate(APIS_GURU / name, out, package)
        imported = fresh_import(out, package)
        assert imported.returncode == 0, (name, imported.stderr[-3000:])


# --- form and multipart bodies -----------------------------------------------------------------

FORMS: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Uploads", "version": "1.0.0"},
    "servers": [{"url": "https://files.example.com"}],
    "paths": {
        "/documents": {
            "post": {
                "operationId": "uploadDocument",
                "tags": ["documents"],
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": _object(
                                {
                                    "file": {"type": "string", "format": "binary"},
                                    "title": {"type": "string"},
                                    "pages": {"type": "integer"},
                                    "attachments": {
                                        "type": "array",
                                        "items": {"type": "string", "format": "binary"},
                                    },
                                    "meta": _object({"lang": {"type": "string"}}),
                                    "content-type": {"type": "string"},
                                },
                                ["file", "title"],
                            ),
                        }
                    },
                },
                "responses": _json_response(_object({"id": {"type": "string"}})),
            }
        },
        "/token": {
            "post": {
                "operationId": "createToken",
                "tags": ["auth"],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {"schema": _ref("TokenRequest")}
                    },
                },
                "responses": _json_response(_object({"access_token": {"type": "string"}})),
            }
        },
    },
    "components": {
        "schemas": {
            "TokenRequest": _object(
                {
                    "grant_type": {"type": "string", "enum": ["client_credentials", "password"]},
                    "scope": {"type": "array", "items": {"type": "string"}},
                    "client_id": {"type": "string"},
                },
                ["grant_type"],
            )
        }
    },
}


def _parts(content_type: str, body: bytes) -> list[Message]:
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    return [part for part in message.iter_parts() if isinstance(part, Message)]


def test_multipart_and_form_bodies_reach_the_mock(tmp_path: Path, build: Build) -> None:
    package, report = build(FORMS)
    models = package.models
    server = MockServer(load(FORMS), seed=1)
    url = server.start()
    try:
        client = package.Uploads(base_url=url, retry=None)
        source = tmp_path / "report.pdf"
        source.write_bytes(b"%PDF-1.7 body")
        with source.open("rb") as handle:
            _method(client, report, "upload_document")(
                body={
                    "file": handle,
                    "title": "Q3",
                    "pages": 12,
                    "attachments": [b"one", ("two.csv", b"a,b", "text/csv")],
                    "meta": {"lang": "en"},
                    "content-type": "report",
                }
            )
        token = models.TokenRequest(grant_type="client_credentials", scope=["read", "write"])
        _method(client, report, "create_token")(body=token)
        records = server.requests
    finally:
        server.stop()
    upload, form = records
    assert upload.status == 200 and upload.problems == (), upload.problems
    parts = _parts(upload.header("content-type") or "", upload.body)
    named = [(p.get_param("name", header="content-disposition"), p) for p in parts]
    by_name = {name: part for name, part in named}
    assert by_name["file"].get_filename() == "report.pdf"
    assert by_name["file"].get_payload(decode=True) == b"%PDF-1.7 body"
    assert by_name["title"].get_payload(decode=True) == b"Q3"
    assert by_name["pages"].get_payload(decode=True) == b"12"
    assert by_name["meta"].get_payload(decode=True) == b'{"lang":"en"}'
    assert by_name["content-type"].get_payload(decode=True) == b"report"
    attachments = [part for name, part in named if name == "attachments"]
    assert [a.get_payload(decode=True) for a in attachments] == [b"one", b"a,b"]
    assert attachments[1].get_filename() == "two.csv"
    assert attachments[1].get_content_type() == "text/csv"
    assert form.status == 200 and form.problems == (), form.problems
    assert form.header("content-type") == "application/x-www-form-urlencoded"
    assert form.body == b"grant_type=client_credentials&scope=read&scope=write"


# Type-checked beside the generated package: the first call is right; each ignore below must be
# needed (strict mypy reports an unused one), so the bodies are typed, not `dict[str, Any]`.
USER_CODE = """\
from uploads import Uploads
from uploads.models import TokenRequest
from unions import Unions
from unions.models import Animal, Bird, Cat, Dog, Fish


def upload(client: Uploads, data: bytes) -> None:
    client.documents.upload(body={"file": ("a.txt", data, "text/plain"), "title": "t"})
    client.documents.upload(body={"file": data})  # type: ignore[typeddict-item]
    client.documents.upload(body={"file": data, "title": 3})  # type: ignore[typeddict-item]
    client.documents.upload(body={"file": 1, "title": "t"})  # type: ignore[typeddict-item]
    client.auth_2.create_token(body=TokenRequest(grant_type="password"))
    client.auth_2.create_token(body=3)  # type: ignore[arg-type]


def pets(client: Unions) -> Dog | Cat:
    pet = client.pets.get(id="1")
    animal: Animal | Bird | Fish = client.animals.get(id="1")
    print(animal)
    return pet
"""


def test_generated_unions_and_bodies_pass_ruff_and_mypy_strict(
    tmp_path: Path,
    ruff_clean: Callable[..., None],
    mypy_strict: Callable[[list[tuple[Path, list[str]]], Path], None],
) -> None:
    targets: list[tuple[Path, list[str]]] = []
    for description, package in ((FORMS, "uploads"), (PETS, "unions")):
        out = tmp_path / package
        _generate(description, out, package)
        ruff_clean(out, formatting=False)
        targets.append((out, ["-p", package]))
    user = tmp_path / "user"
    user.mkdir()
    (user / "user_code.py").write_text(USER_CODE)
    targets.append((user, ["-m", "user_code"]))
    mypy_strict(targets, tmp_path)
