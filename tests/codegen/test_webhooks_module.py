"""The generated `<package>/webhooks.py`: event constants, lazy `EVENTS`, a typed receiver.

Generated from the bundled petstore (one webhook), a description written to be awkward
(non-object payloads, hostile names, a `event` type property), the readme 3.1 examples with
webhooks and GitHub's webhooks description (261 events). Deliveries go over a real loopback
socket into a real SQLite inbox, signed by `WebhookSender`.
"""

from __future__ import annotations

import ast
import base64
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from apiweld.codegen import generate_package
from apiweld.spec import load
from apiweld.testing.support import serve_asgi
from apiweld.webhooks import WebhookSender, scheme_from_name
from apiweld.webhooks.models import models_from_api
from apiweld.webhooks.sender import DeliveryError

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"
PETSTORE = ROOT / "examples" / "petstore.yaml"
GITHUB_WEBHOOKS = CORPUS / "github" / "webhooks.api.github.com.json"
README_31 = CORPUS / "readme-oas-examples" / "3.1"

AWKWARD = {
    "openapi": "3.1.0",
    "info": {"title": "Awkward Hooks", "version": "1"},
    "paths": {},
    "components": {
        "schemas": {
            "Item": {
                "type": "object",
                "required": ["id"],
                "properties": {"id": {"type": "integer"}},
            },
        }
    },
    "webhooks": {
        "itemsAdded": {
            "post": {
                "summary": 'Items """ added \\N{oops} \n print("pwned")',
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/Item"},
                            }
                        }
                    }
                },
                "responses": {"200": {"description": "ok"}},
            }
        },
        "shaped": {
            "post": {
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "oneOf": [
                                    {
                                        "type": "object",
                                        "required": ["event", "circle"],
                                        "properties": {
                                            "event": {"const": 'shape"changed'},
                                            "circle": {"type": "number"},
                                        },
                                    },
                                    {
                                        "type": "object",
                                        "required": ["event", "square"],
                                        "properties": {
                                            "event": {"enum": ['shape"changed']},
                                            "square": {"type": "number"},
                                        },
                                    },
                                ]
                            }
                        }
                    }
                },
                "responses": {"200": {"description": "ok"}},
            }
        },
        "clash": {
            "post": {
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"event": {"const": "EVENTS"}},
                            }
                        }
                    }
                },
                "responses": {"200": {"description": "ok"}},
            }
        },
        "digits": {
            "post": {
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "event": {"const": "2fa.enabled"},
                                    "user": {"type": "string"},
                                },
                            }
                        }
                    }
                },
                "responses": {"200": {"description": "ok"}},
            }
        },
        "ping": {
            "post": {
                "requestBody": {"content": {"application/json": {"schema": {"type": "string"}}}},
                "responses": {"200": {"description": "ok"}},
            }
        },
    },
}

# Run in a fresh interpreter: import `<package>.webhooks`, report what it imported, then look
# every event's model up (each is a pydantic model class) and report again.
LAZY_CHECK = textwrap.dedent(
    """
    import importlib, json, sys
    sys.path.insert(0, sys.argv[1])
    package = sys.argv[2]
    webhooks = importlib.import_module(package + ".webhooks")

    def model_modules():
        return sorted(m for m in sys.modules if m.startswith(package + ".models."))

    after_import = model_modules()
    heavy = ("starlette", "uvicorn", "jinja2", "apiweld.spec", "apiweld.webhooks.receiver")
    loaded = sorted(m for m in heavy if m in sys.modules)
    constants = {n: getattr(webhooks, n) for n in webhooks.__all__ if n.isupper()}
    del constants["EVENTS"]
    webhooks.EVENTS[next(iter(constants.values()))]
    after_one = model_modules()
    import pydantic
    for event_type, model in webhooks.EVENTS.items():
        assert issubclass(model, pydantic.BaseModel), event_type
        model.model_rebuild(force=True)
    print(json.dumps({
        "events": list(webhooks.EVENTS),
        "constants": constants,
        "after_import": after_import,
        "after_one": after_one,
        "after_all": model_modules(),
        "heavy": loaded,
    }))
    """
)


def _generate(description: Path | dict[str, Any], out: Path, package: str) -> Path:
    if isinstance(description, dict):
        path = out.parent / f"{package}.json"
        path.write_text(json.dumps(description))
        description = path
    report = generate_package(load(description), out, package=package, include_tests=False)
    assert report.lint == [], report.lint
    assert (out / package / "webhooks.py").is_file()
    return out


def _lazy_check(out: Path, package: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", LAZY_CHECK, str(out), package],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture(scope="module")
def petstore(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _generate(PETSTORE, tmp_path_factory.mktemp("petstore") / "out", "wh_petstore")


@pytest.fixture(scope="module")
def awkward(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _generate(AWKWARD, tmp_path_factory.mktemp("awkward") / "out", "wh_awkward")


@pytest.fixture(scope="module")
def github(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not GITHUB_WEBHOOKS.is_file():
        pytest.fail(f"corpus file missing: {GITHUB_WEBHOOKS}")
    return _generate(GITHUB_WEBHOOKS, tmp_path_factory.mktemp("github") / "out", "wh_github")


def _import(out: Path, package: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(out))
    for name in [m for m in sys.modules if m == package or m.startswith(f"{package}.")]:
        monkeypatch.delitem(sys.modules, name)
    module = __import__(f"{package}.webhooks", fromlist=["receiver"])
    assert isinstance(module, ModuleType)
    return module


@pytest.fixture
def secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode("ascii")


def test_petstore_event_reaches_its_typed_handler_over_loopback(
    petstore: Path, tmp_path: Path, secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    webhooks = _import(petstore, "wh_petstore", monkeypatch)
    models = __import__("wh_petstore.models", fromlist=["PetAdoptedEvent"])
    assert webhooks.PET_ADOPTED == "pet.adopted"
    inbox = tmp_path / "inbox.sqlite3"
    receiver = webhooks.receiver(environ={"WH_PETSTORE_WEBHOOK_SECRET": secret}, inbox=str(inbox))
    got: list[Any] = []
    receiver.on(webhooks.PET_ADOPTED)(got.append)
    body = {"id": "evt_1", "type": "pet.adopted", "data": {"pet_id": 7, "adopter": "Ann"}}
    sender = WebhookSender(scheme_from_name("standard", [secret]), max_attempts=1)
    try:
        with serve_asgi(receiver) as url:
            delivered = sender.send(url + "/webhooks", json.dumps(body).encode())
            assert delivered.status == 200
            forger = WebhookSender(
                scheme_from_name("standard", ["whsec_" + base64.b64encode(b"x" * 24).decode()]),
                max_attempts=1,
            )
            with pytest.raises(DeliveryError) as refused:
                forger.send(url + "/webhooks", json.dumps(body).encode())
            forger.close()
        assert refused.value.status in (400, 401)
        receiver.dispatcher().drain()
        assert inbox.is_file()
        # Only the genuine delivery was stored (and it was handled); the forged one, nothing.
        assert receiver.inbox.counts("wh_petstore") == {
            **{status: 0 for status in receiver.inbox.counts("wh_petstore")},
            "done": 1,
        }
    finally:
        sender.close()
        receiver.close()
    assert len(got) == 1
    event = got[0]
    assert event.type == "pet.adopted"
    assert isinstance(event.data, models.PetAdoptedEvent)
    assert event.data.data.pet_id == 7


def test_petstore_package_and_webhooks_import_lazily(petstore: Path) -> None:
    found = _lazy_check(petstore, "wh_petstore")
    assert found["events"] == ["pet.adopted"]
    assert found["constants"] == {"PET_ADOPTED": "pet.adopted"}
    assert found["after_import"] == []
    assert found["heavy"] == []
    readme = (petstore / "README.md").read_text()
    assert "## Webhooks" in readme and "wh_petstore.webhooks" in readme
    # The client package does not import its webhooks module (nor the receiver's stack).
    init = (petstore / "wh_petstore" / "__init__.py").read_text()
    assert "webhooks" not in init


def test_awkward_payloads_are_typed_and_names_are_safe(
    awkward: Path, tmp_path: Path, secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = _lazy_check(awkward, "wh_awkward")
    # The event types follow the run-time rule exactly: constants, oneOf variants, names.
    assert found["events"] == list(models_from_api(load(awkward.parent / "wh_awkward.json")))
    assert found["events"] == ["itemsAdded", 'shape"changed', "EVENTS", "2fa.enabled", "ping"]
    constants = found["constants"]
    assert constants["EVENTS_2"] == "EVENTS"  # never rebinds the mapping
    assert constants["EVENT_2FA_ENABLED"] == "2fa.enabled"
    assert found["after_import"] == []
    source = (awkward / "wh_awkward" / "webhooks.py").read_text()
    # The summary's text stays text: no call it spelled out is code.
    calls = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)]
    assert not any(isinstance(c.func, ast.Name) and c.func.id == "print" for c in calls)
    # The description's events carry their type in `event`: the receiver reads it there.
    assert 'event_type: str | None = "body:event"' in source

    webhooks = _import(awkward, "wh_awkward", monkeypatch)
    models = __import__("wh_awkward.models", fromlist=["Item"])
    items_model = webhooks.EVENTS["itemsAdded"]
    assert items_model.__module__.startswith("wh_awkward.models.")
    parsed = items_model.model_validate([{"id": 1}, {"id": 2}])
    assert [item.id for item in parsed.root] == [1, 2]
    assert isinstance(parsed.root[0], models.Item)
    assert items_model is models.ItemsAddedEvent  # exported beside every other model
    shaped = webhooks.EVENTS['shape"changed'].model_validate(
        {"event": 'shape"changed', "square": 2}
    )
    assert shaped.root.square == 2
    assert webhooks.EVENTS["ping"].model_validate("hello").root == "hello"

    receiver = webhooks.receiver(
        environ={"WH_AWKWARD_WEBHOOK_SECRET": secret}, inbox=str(tmp_path / "inbox.sqlite3")
    )
    got: list[Any] = []
    receiver.on('shape"changed')(got.append)
    sender = WebhookSender(scheme_from_name("standard", [secret]), max_attempts=1)
    try:
        with serve_asgi(receiver) as url:
            body = json.dumps({"event": 'shape"changed', "circle": 1.5}).encode()
            assert sender.send(url + "/webhooks", body).status == 200
        receiver.dispatcher().drain()
    finally:
        sender.close()
        receiver.close()
    assert len(got) == 1 and got[0].data.root.circle == 1.5


@pytest.mark.parametrize("name", ["train-travel", "webhooks"])
def test_readme_31_examples_generate_typed_events(
    name: str, tmp_path: Path, ruff_clean: Callable[..., None]
) -> None:
    path = README_31 / f"{name}.json"
    package = f"wh_readme_{name.replace('-', '_')}"
    out = _generate(path, tmp_path / "out", package)
    found = _lazy_check(out, package)
    assert found["events"] == list(models_from_api(load(path)))
    assert found["after_import"] == []
    ruff_clean(out)


def test_github_webhooks_module_is_lazy_and_keyed_like_the_runtime(github: Path) -> None:
    found = _lazy_check(github, "wh_github")
    assert len(found["events"]) == 261
    # Keyed as GitHub's own scheme reports them (X-GitHub-Event + the body's action).
    assert found["events"] == list(models_from_api(load(GITHUB_WEBHOOKS)))
    assert "issues.opened" in found["events"] and "push" in found["events"]
    assert len(set(found["constants"])) == 261
    assert found["after_import"] == []
    assert found["heavy"] == []
    # One event's model brings only the modules it refers to, not the other 260 events'.
    assert 0 < len(found["after_one"]) < len(found["after_all"]) / 5


def test_generated_webhooks_pass_ruff_and_mypy_strict(
    petstore: Path,
    awkward: Path,
    github: Path,
    tmp_path: Path,
    ruff_clean: Callable[..., None],
    mypy_strict: Callable[[list[tuple[Path, list[str]]], Path], None],
) -> None:
    for out in (petstore, awkward, github):
        ruff_clean(out)
    # GitHub's whole package is checked under `corpus_full`; here its `webhooks` module and the
    # payload modules it generated of its own (mypy follows their imports into the models).
    github_payloads = [
        f"wh_github.models.{p.stem}"
        for p in (github / "wh_github" / "models").glob("*.py")
        if "RootModel[" in p.read_text()
    ]
    assert github_payloads
    mypy_strict(
        [
            (petstore, ["-p", "wh_petstore"]),
            (awkward, ["-p", "wh_awkward"]),
            (
                github,
                ["-m", "wh_github.webhooks", *(a for m in github_payloads for a in ("-m", m))],
            ),
        ],
        tmp_path,
    )


@pytest.mark.corpus_full
def test_github_webhooks_package_passes_mypy_strict(
    github: Path,
    tmp_path: Path,
    mypy_strict: Callable[[list[tuple[Path, list[str]]], Path], None],
) -> None:
    mypy_strict([(github, ["-p", "wh_github"])], tmp_path)
