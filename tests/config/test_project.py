"""load_project: the config's endpoint mapping applied on the IR of a real description."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from apiweld.config import ConfigError, load_config, parse_config
from apiweld.spec._project import effective_policy, load_project
from apiweld.spec.ir import Api

ROOT = Path(__file__).resolve().parents[2]
PETSTORE = ROOT / "examples" / "petstore.yaml"


def project(tmp_path: Path, body: str) -> Path:
    shutil.copy(PETSTORE, tmp_path / "petstore.yaml")
    path = tmp_path / "apiweld.toml"
    path.write_text('[api]\ndescription = "petstore.yaml"\n' + body, encoding="utf-8")
    return path


def ids(api: Api) -> list[str]:
    return [op.id for op in api.operations]


def warnings(api: Api) -> dict[str, str]:
    return {p.pointer: p.message for p in api.problems if p.severity == "warning"}


def test_without_mapping_every_operation_is_kept(tmp_path: Path) -> None:
    api = load_project(project(tmp_path, ""))
    assert ids(api) == [
        "list_pets",
        "create_pet",
        "get_pet",
        "delete_pet",
        "update_pet",
        "list_stores",
    ]
    assert api.extensions["x-apiweld-excluded"] == []
    assert api.extensions["x-apiweld-retry"]["max_attempts"] == 3
    assert api.problems == ()


def test_description_is_resolved_against_the_toml_not_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = project(tmp_path, "")
    monkeypatch.chdir(ROOT)
    assert load_project(str(path)).title == "Petstore"


def test_include_by_tag_and_exclude_by_method_and_path_glob(tmp_path: Path) -> None:
    api = load_project(
        project(
            tmp_path,
            '[operations.include]\ntags = ["pets"]\n'
            '[operations.exclude]\npaths = ["DELETE /pets/*", "PATCH /pets/**"]\n',
        )
    )
    assert ids(api) == ["list_pets", "create_pet", "get_pet"]
    excluded = {e["operation"]: e["reason"] for e in api.extensions["x-apiweld-excluded"]}
    assert excluded["list_stores"] == "not selected by [operations.include]"
    assert "DELETE /pets/*" in excluded["delete_pet"]
    assert all(e["pointer"].startswith("/paths/") for e in api.extensions["x-apiweld-excluded"])


def test_single_star_stays_within_one_path_segment(tmp_path: Path) -> None:
    api = load_project(project(tmp_path, '[operations.exclude]\npaths = ["/*"]\n'))
    assert ids(api) == ["get_pet", "delete_pet", "update_pet"]
    api = load_project(project(tmp_path, '[operations.exclude]\npaths = ["/**"]\n'))
    assert ids(api) == []
    assert "leave no operation" in warnings(api)["/operations"]


def test_exclude_by_id_accepts_python_and_description_ids(tmp_path: Path) -> None:
    api = load_project(
        project(tmp_path, '[operations.exclude]\nids = ["listStores", "delete_pet"]\n')
    )
    assert "list_stores" not in ids(api) and "delete_pet" not in ids(api)


def test_rename_operations_and_resources(tmp_path: Path) -> None:
    api = load_project(
        project(
            tmp_path,
            '[operations.rename]\ncreatePet = "adopt"\nlist_stores = "pets.stores"\n'
            '[resources.rename]\npets = "animals"\n',
        )
    )
    by_id = {op.id: op for op in api.operations}
    assert (by_id["create_pet"].resource, by_id["create_pet"].method_name) == ("animals", "adopt")
    # Moved into "pets", which [resources.rename] calls "animals".
    assert (by_id["list_stores"].resource, by_id["list_stores"].method_name) == (
        "animals",
        "stores",
    )
    assert (by_id["get_pet"].resource, by_id["get_pet"].method_name) == ("animals", "get")
    assert {tag.name: tag.py_name for tag in api.tags}["pets"] == "animals"
    # Ids stay as they were, so overrides keyed by id keep working after a rename.
    assert by_id["create_pet"].id == "create_pet"


def test_a_rename_that_collides_is_an_error_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_project(project(tmp_path, '[operations.rename]\nget_pet = "list"\n'))
    problem = caught.value.problems[0]
    assert problem.key_path == ("operations", "rename", "get_pet")
    assert "pets.list()" in problem.message


def test_pagination_overrides_by_operation(tmp_path: Path) -> None:
    api = load_project(
        project(
            tmp_path,
            "[pagination.operations.list_pets]\n"
            'items_path = "data"\nhas_more_path = "meta.has_more"\n'
            '[pagination.operations.listStores]\nstyle = "none"\n',
        )
    )
    by_id = {op.id: op for op in api.operations}
    pets = by_id["list_pets"].pagination
    assert pets is not None
    assert (pets.style, pets.source, pets.cursor_param) == ("cursor", "config", "cursor")
    assert pets.has_more_path == ("meta", "has_more")
    assert by_id["list_stores"].pagination is None


def test_pagination_on_an_operation_that_had_none(tmp_path: Path) -> None:
    api = load_project(
        project(
            tmp_path,
            '[pagination.operations.get_pet]\nstyle = "link"\n',
        )
    )
    pagination = api.operation("get_pet").pagination
    assert pagination is not None and pagination.style == "link"
    assert pagination.source == "config"


@pytest.mark.parametrize(
    ("body", "key_path", "fragment"),
    [
        (
            '[pagination.operations.list_pets]\nstyle = "page"\npage_param = "p"\n',
            ("pagination", "operations", "list_pets"),
            "'p' is not a query parameter of list_pets",
        ),
        (
            '[pagination.operations.get_pet]\nitems_path = "data"\n',
            ("pagination", "operations", "get_pet", "style"),
            "no detected pagination",
        ),
        (
            '[pagination.operations.list_pets]\nstyle = "offset"\n',
            ("pagination", "operations", "list_pets"),
            "needs offset_param",
        ),
    ],
)
def test_impossible_pagination_is_an_error(
    tmp_path: Path, body: str, key_path: tuple[str, ...], fragment: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_project(project(tmp_path, body))
    matching = [p for p in caught.value.problems if p.key_path == key_path]
    assert matching and any(fragment in p.message for p in matching), caught.value


def test_tag_pagination_reaches_operations_taking_its_parameters(tmp_path: Path) -> None:
    api = load_project(
        project(
            tmp_path,
            '[pagination.tags.stores]\nstyle = "page"\npage_param = "page"\n'
            'size_param = "per_page"\ntotal_path = "meta.total"\n',
        )
    )
    stores = api.operation("list_stores").pagination
    assert stores is not None and stores.total_path == ("meta", "total")
    assert stores.source == "config"


def test_retry_and_rate_limit_overrides_are_recorded_per_operation(tmp_path: Path) -> None:
    path = project(
        tmp_path,
        "[retry]\nmax_attempts = 4\n"
        "[retry.tags.pets]\ndeadline = 15\n"
        "[retry.operations.createPet]\nmax_attempts = 7\n"
        "[rate_limit]\nrate = 10\n"
        "[rate_limit.tags.stores]\nrate = 1\nper = 60\n"
        '[rate_limit.operations.get_pet]\ngroup = "reads"\nburst = 3\n',
    )
    api = load_project(path)
    create = api.operation("create_pet").extensions["x-apiweld-retry"]
    assert (create["max_attempts"], create["deadline"]) == (7, 15.0)
    listing = api.operation("list_pets").extensions["x-apiweld-retry"]
    assert (listing["max_attempts"], listing["deadline"]) == (4, 15.0)
    stores_limit = api.operation("list_stores").extensions["x-apiweld-rate-limit"]
    assert stores_limit == {"rate": 1.0, "per": 60.0, "burst": None, "group": "tag:stores"}
    get_limit = api.operation("get_pet").extensions["x-apiweld-rate-limit"]
    assert (get_limit["group"], get_limit["burst"], get_limit["rate"]) == ("reads", 3, 10.0)
    assert "x-apiweld-rate-limit" not in api.operation("list_pets").extensions
    assert "x-apiweld-retry" not in api.operation("list_stores").extensions
    # The helper codegen can call directly agrees with what the IR records.
    config = load_config(path)
    retry, limit = effective_policy(config, api.operation("create_pet"))
    assert retry.max_attempts == 7 and limit.group == "default" and limit.rate == 10.0


def test_unknown_references_are_warnings_with_toml_pointers(tmp_path: Path) -> None:
    api = load_project(
        project(
            tmp_path,
            '[operations.include]\ntags = ["pets", "animals"]\n'
            '[operations.rename]\nlistPet = "all"\n'
            "[retry.operations.creat_pet]\nmax_attempts = 2\n"
            "[rate_limit.tags.store]\nrate = 1\n"
            '[auth.apikey]\napi_key_env = "PETSTORE_API_KEY"\n'
            '[auth.bearer]\napi_key_env = "PETSTORE_API_KEY"\n',
        )
    )
    found = warnings(api)
    assert "no tag 'animals'" in found["/operations/include/tags/1"]
    assert "did you mean 'listPets'?" in found["/operations/rename/listPet"]
    assert "did you mean 'create_pet'?" in found["/retry/operations/creat_pet"]
    assert "did you mean 'stores'?" in found["/rate_limit/tags/store"]
    assert "did you mean 'apiKey'?" in found["/auth/apikey"]
    assert "takes bearer credentials" in found["/auth/bearer"]
    assert all(p.file == str(tmp_path / "apiweld.toml") for p in api.problems)


def test_a_url_description_needs_network_permission(tmp_path: Path) -> None:
    path = tmp_path / "apiweld.toml"
    path.write_text('[api]\ndescription = "https://specs.example.com/openapi.json"\n')
    with pytest.raises(ConfigError) as caught:
        load_project(path)
    assert caught.value.problems[0].key_path == ("api", "description")
    assert "allow_network" in caught.value.problems[0].message


def test_no_description_and_no_endpoints_is_an_error() -> None:
    with pytest.raises(ConfigError, match="no API"):
        load_project(parse_config({}))


def test_tag_tables_may_name_a_tag_by_its_python_name(tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").write_text(
        "openapi: 3.1.0\ninfo: {title: T, version: '1'}\ntags: [{name: Pet Food}]\n"
        "paths:\n  /food:\n    get:\n      tags: [Pet Food]\n"
        "      parameters: [{name: page, in: query, schema: {type: integer}}]\n"
        "      responses: {'200': {description: ok}}\n"
    )
    (tmp_path / "apiweld.toml").write_text(
        '[api]\ndescription = "spec.yaml"\n'
        "[retry.tags.pet_food]\nmax_attempts = 9\n"
        '[rate_limit.tags."Pet Food"]\nrate = 2\n'
        '[pagination.tags.pet_food]\nstyle = "page"\npage_param = "page"\n'
    )
    api = load_project(tmp_path / "apiweld.toml")
    (op,) = api.operations
    assert op.extensions["x-apiweld-retry"]["max_attempts"] == 9
    assert op.extensions["x-apiweld-rate-limit"]["group"] == "tag:Pet Food"
    assert op.pagination is not None and op.pagination.page_param == "page"
    assert api.problems == ()
