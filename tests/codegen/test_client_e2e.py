"""The generated petstore client, sync and async, against the mock server over loopback."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from apiweld.codegen import GenerationReport
from apiweld.mock import MockServer

PETSTORE = Path(__file__).resolve().parents[2] / "examples" / "petstore.yaml"

Build = Callable[..., tuple[ModuleType, GenerationReport]]


@pytest.fixture
def petstore(build: Build) -> ModuleType:
    package, report = build(PETSTORE)
    assert report.operations_generated == report.operations_total == 6
    assert report.lint == []
    return package


@pytest.fixture
def mock() -> Iterator[tuple[str, MockServer]]:
    server = MockServer(PETSTORE, seed=7)
    url = server.start()
    try:
        yield url, server
    finally:
        server.stop()


def test_sync_client_round_trip(petstore: ModuleType, mock: tuple[str, MockServer]) -> None:
    url, server = mock
    models = petstore.models
    with petstore.Petstore(api_key="key-123", base_url=url) as client:
        first_pets = []
        for pet in client.pets.list(limit=2):
            first_pets.append(pet)
            if len(first_pets) == 3:
                break
        assert len(first_pets) == 3 and all(isinstance(p, models.Pet) for p in first_pets)

        created = client.pets.create(body=models.NewPet(name="Rex", species=models.Species.DOG))
        assert isinstance(created, models.Pet) and created.name == "Rex"
        assert created.species is models.Species.DOG

        fetched = client.pets.get(pet_id=created.id)
        assert fetched.id == created.id

        raw = client.pets.with_raw_response.get(pet_id=created.id)
        assert raw.status_code == 200 and raw.parse() == fetched

        updated = client.pets.update(pet_id=created.id, body={"name": "Max"})
        assert updated.name == "Max"
        assert client.pets.delete(pet_id=created.id) is None

        stores = list(client.stores.list(per_page=5))
        assert stores and all(isinstance(s, models.Store) for s in stores)

    records = server.requests
    # Query parameters went out under their wire names, the body by alias, the key in its header.
    listing = next(r for r in records if r.operation_id and r.method == "GET" and r.path == "/pets")
    assert "limit=2" in listing.query
    creation = next(r for r in records if r.method == "POST")
    assert json.loads(creation.body) == {"name": "Rex", "species": "dog"}
    assert all(r.problems == () for r in records), [r.problems for r in records]
    headers = {name.lower() for r in records for name, _ in r.headers}
    assert "x-api-key" in headers


async def test_async_client_round_trip(petstore: ModuleType, mock: tuple[str, MockServer]) -> None:
    url, server = mock
    models = petstore.models
    async with petstore.AsyncPetstore(bearer_token="token-abc", base_url=url) as client:
        pets = [pet async for pet in client.pets.list(limit=5)]
        assert pets and all(isinstance(p, models.Pet) for p in pets)
        created = await client.pets.create(body={"name": "Tom", "species": "cat"})
        assert created.species is models.Species.CAT
        raw = await client.pets.with_raw_response.get(pet_id=created.id)
        assert raw.status_code == 200
        assert (await client.pets.get(pet_id=created.id)).name == "Tom"
    assert all(r.problems == () for r in server.requests)


def test_credentials_come_from_the_environment(
    petstore: ModuleType, mock: tuple[str, MockServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, server = mock
    # Variables are named after the package (PETSTORE_API_KEY for the default name).
    prefix = petstore.__name__.upper()
    monkeypatch.setenv(f"{prefix}_API_KEY", "from-env")
    monkeypatch.setenv(f"{prefix}_BASE_URL", url)
    with petstore.Petstore() as client:
        assert client.pets.get(pet_id=1).id == 1
    assert server.requests[-1].status == 200


def test_server_choice_and_variables(petstore: ModuleType) -> None:
    client: Any = petstore.Petstore(api_key="k", server_variables={"version": "v2"})
    assert str(client.base_url).rstrip("/") == "https://api.petstore.example/v2"
    sandbox: Any = petstore.Petstore(api_key="k", server=1)
    assert str(sandbox.base_url).rstrip("/") == "https://sandbox.petstore.example/v1"
    with pytest.raises(ValueError, match="server must be between"):
        petstore.Petstore(server=5)


def test_generated_client_imports_only_the_runtime(petstore: ModuleType) -> None:
    folder = Path(petstore.__file__).parents[1]
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import importlib;"
        "pkg = importlib.import_module(sys.argv[2]);"
        "client = pkg.Petstore(api_key='k', base_url='http://127.0.0.1:9');"
        "client.pets; client.stores; pkg.models.Pet;"
        "heavy = ('jinja2', 'typer', 'rich', 'starlette', 'uvicorn', 'apiweld.spec',"
        " 'apiweld.codegen', 'apiweld.mock', 'apiweld.testing');"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or"
        " any(m == h or m.startswith(h + '.') for h in heavy)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(folder), petstore.__name__],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
