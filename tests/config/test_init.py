"""`apiweld init`: the written apiweld.toml loads back, for the example and across the corpus."""

from __future__ import annotations

import random
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from apiweld.config import load_config
from apiweld.spec import SpecError, load
from apiweld.spec._project import load_project
from apiweld.spec._starter import InitError, render_starter_config, write_starter_config
from apiweld.spec.ir import Api, Pagination, SecurityScheme, Server, ServerVariable, Tag

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"
PETSTORE = ROOT / "examples" / "petstore.yaml"
APIWELD = str(Path(sys.executable).parent / "apiweld")

README_EXAMPLES = sorted((CORPUS / "readme-oas-examples").rglob("*.json"))
APIS_GURU = sorted((CORPUS / "apis-guru").rglob("*.json"))
APIS_GURU_SAMPLE = random.Random(20261127).sample(APIS_GURU, 20)


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [APIWELD, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_init_writes_a_commented_config_for_the_example(tmp_path: Path) -> None:
    result = run("init", str(PETSTORE), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Wrote apiweld.toml" in result.stderr
    text = (tmp_path / "apiweld.toml").read_text()
    config = load_config(tmp_path / "apiweld.toml")
    assert config.api.package == "petstore"
    assert config.auth["apiKey"].api_key_env == "PETSTORE_API_KEY"
    assert config.auth["bearer"].token_env == "PETSTORE_TOKEN"
    assert config.environments["production"].base_url == "https://api.petstore.example/v1"
    assert config.environments["sandbox"].base_url == "https://sandbox.petstore.example/v1"
    assert config.api.default_environment == "production"
    assert config.webhooks["petstore"].secret_env == "PETSTORE_WEBHOOK_SECRET"
    assert config.retry.idempotency_header == "Idempotency-Key"
    # Detected pagination is listed, as comments, one operation a line.
    assert "#   list_pets: cursor" in text
    assert "#   list_stores: page page_param=page size_param=per_page" in text
    assert "# server variable version: v1 (one of v1, v2)" in text
    api = load_project(config)
    assert len(api.operations) == 6


def test_init_never_overwrites_without_force(tmp_path: Path) -> None:
    target = tmp_path / "apiweld.toml"
    target.write_text("# mine\n")
    result = run("init", str(PETSTORE), cwd=tmp_path)
    assert result.returncode == 1
    assert "exists; use --force" in result.stderr
    assert "Traceback" not in result.stderr
    assert target.read_text() == "# mine\n"
    result = run("init", str(PETSTORE), "--force", "-o", str(target), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert load_config(target).api.package == "petstore"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(None, "cannot load"), ("openapi: [unclosed", "cannot load"), ("{}", "cannot load")],
)
def test_init_on_bad_input_is_a_clear_error(
    tmp_path: Path, content: str | None, fragment: str
) -> None:
    description = tmp_path / "openapi.yaml"
    if content is not None:
        description.write_text(content)
    result = run("init", str(description), cwd=tmp_path)
    assert result.returncode == 1
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "apiweld.toml").exists()


def test_hostile_text_in_a_description_stays_inside_comments_and_strings(
    tmp_path: Path,
) -> None:
    evil = 'x"\n[api]\npackage = "pwned"\n# \x7f\u2028\\'
    api = Api(
        title=evil,
        version=evil,
        source_format="openapi 3.1.0",
        servers=(
            Server(
                url="https://{region}.example.com",
                description=evil,
                variables=(ServerVariable("region", "eu", (evil, "eu")),),
            ),
        ),
        security_schemes={
            evil: SecurityScheme(name=evil, py_name="evil", type="apiKey", param_name=evil),
        },
        tags=(Tag(evil, "evil"),),
    )
    text = render_starter_config(api, description=evil)
    parsed = tomllib.loads(text)
    assert parsed["api"]["description"] == evil
    assert parsed["api"]["package"] != "pwned"
    assert evil in parsed["auth"]
    assert list(parsed["environments"]) == ["x_api_package_pwned"]


def test_render_lists_pagination_and_scopes() -> None:
    from apiweld.spec.ir import OAuthFlow, Operation

    api = Api(
        title="Shop",
        version="1",
        source_format="openapi 3.0.3",
        security_schemes={
            "oauth": SecurityScheme(
                name="oauth",
                py_name="oauth",
                type="oauth2",
                flows=(
                    OAuthFlow(
                        "clientCredentials",
                        token_url="https://shop.example/token",
                        scopes=(("read", "Read"),),
                    ),
                ),
            ),
            "digest": SecurityScheme(name="digest", py_name="digest", type="http", scheme="digest"),
        },
        operations=(
            Operation(
                id="list_orders",
                method="get",
                path="/orders",
                pagination=Pagination(style="link"),
            ),
        ),
    )
    text = render_starter_config(api, description="shop.json")
    assert 'client_id_env = "SHOP_CLIENT_ID"' in text
    assert '# token_url = "https://shop.example/token"' in text
    assert '# scopes = ["read"]' in text
    assert "#   list_orders: link" in text
    assert "# The description names no server" in text
    # A scheme apiweld cannot take credentials for is listed, commented out, not guessed at.
    assert "# [auth.digest]" in text
    assert "digest" not in tomllib.loads(text)["auth"]


def round_trip(description: Path, tmp_path: Path) -> None:
    try:
        api = load(description)
    except SpecError:
        pytest.skip(f"{description.name} does not load (the loader's tests cover why)")
    output = tmp_path / "apiweld.toml"
    try:
        result = write_starter_config(str(description), output)
    except InitError as exc:
        pytest.fail(f"{description}: {exc}")
    config = load_config(output)
    assert Path(config.api.description or "").name == description.name
    assert set(config.auth) <= set(api.security_schemes)
    assert bool(config.webhooks) == bool(api.webhooks)
    project_api = load_project(config)
    assert len(project_api.operations) == len(api.operations)
    assert result.path == output
    # The suggested names are sane environment variable names, and nothing warns.
    assert not [p for p in project_api.problems if p.file == str(output.resolve())]


@pytest.mark.parametrize("description", README_EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_init_round_trips_every_readme_example(description: Path, tmp_path: Path) -> None:
    round_trip(description, tmp_path)


@pytest.mark.parametrize("description", APIS_GURU_SAMPLE, ids=lambda p: p.name)
def test_init_round_trips_a_sample_of_apis_guru(description: Path, tmp_path: Path) -> None:
    round_trip(description, tmp_path)


@pytest.mark.corpus_full
@pytest.mark.parametrize("description", APIS_GURU, ids=lambda p: str(p.relative_to(CORPUS)))
def test_init_round_trips_all_of_apis_guru(description: Path, tmp_path: Path) -> None:
    round_trip(description, tmp_path)


@pytest.mark.parametrize(
    ("title", "package"),
    [
        ("Petstore", "petstore"),
        ("GitHub's official OpenAPI spec + Octokit extension", "git_hub"),
        ("Akeneo PIM REST API", "akeneo_pim"),
        ("Apicurio Registry API [v2]", "apicurio_registry"),
        ("API", "api"),
        ("", "api_client"),
        ("class", "class_"),
        ("JSON", "json_client"),
    ],
)
def test_package_names_from_titles(title: str, package: str) -> None:
    from apiweld.spec._starter import package_name_for

    assert package_name_for(Api(title=title, version="1", source_format="openapi 3.1.0")) == package


@pytest.mark.parametrize(
    ("server", "scheme"),
    [
        ("https://api.github.com", "github"),
        ("https://api.stripe.com/v1", "stripe"),
        ("https://graph.facebook.com/v19.0", "meta"),
        ("https://notgithub.com", "standard"),
        ("https://api.petstore.example", "standard"),
    ],
)
def test_webhook_scheme_is_suggested_from_the_providers_domain(server: str, scheme: str) -> None:
    from apiweld.config import parse_config
    from apiweld.spec.ir import Webhook

    api = Api(
        title="Hooks",
        version="1",
        source_format="openapi 3.1.0",
        servers=(Server(url=server),),
        webhooks=(Webhook(name="ping", py_name="ping", kind="webhook", operations=()),),
    )
    config = parse_config(tomllib.loads(render_starter_config(api, description="hooks.json")))
    assert config.webhooks["hooks"].scheme == scheme


def test_init_and_check_a_description_served_over_http(tmp_path: Path) -> None:
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """The test asserts on outcomes, not the access log."""

    handler = functools.partial(Quiet, directory=str(PETSTORE.parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/petstore.yaml"
    try:
        refused = run("init", url, cwd=tmp_path)
        assert refused.returncode == 1 and "allow_network" in refused.stderr
        result = run("init", url, "--allow-network", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        config = load_config(tmp_path / "apiweld.toml")
        assert (config.api.description, config.api.allow_network) == (url, True)
        checked = subprocess.run(
            [APIWELD, "check"], cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert checked.returncode == 0, checked.stdout
        assert "Petstore 1.2.0" in checked.stdout
    finally:
        server.shutdown()
        server.server_close()
