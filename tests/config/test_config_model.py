"""apiweld.toml validation: defaults, errors naming the key path, inline secrets refused."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import pytest

from apiweld.config import (
    ApiweldConfig,
    ConfigError,
    RateLimitSettings,
    RetrySettings,
    config_json_schema,
    format_key_path,
    load_config,
    merge_retry,
    parse_config,
    toml_string,
)


def write(tmp_path: Path, text: str, name: str = "apiweld.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(tmp_path: Path, text: str) -> ConfigError:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value


def test_an_empty_file_gives_every_default(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ""))
    assert config.retry.max_attempts == 3
    assert config.retry.retry_statuses == (408, 429, 500, 502, 503, 504)
    assert config.retry.idempotency_header == "Idempotency-Key"
    assert config.rate_limit.backend == "memory"
    assert config.rate_limit.rate is None
    assert config.mock.port == 4010
    assert config.generate.output == "clients"
    assert config.api.allow_network is False
    assert config.source_path == (tmp_path / "apiweld.toml").resolve()
    assert config.root_dir == tmp_path.resolve()


def test_a_full_config_loads(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            """
[api]
description = "openapi.yaml"
package = "petstore"
default_environment = "sandbox"

[environments.production]
base_url = "https://api.petstore.example/v1"
[environments.sandbox]
base_url = "https://sandbox.petstore.example/v1"

[auth.apiKey]
api_key_env = "PETSTORE_API_KEY"
[auth.oauth]
client_id_env = "PETSTORE_CLIENT_ID"
client_secret_env = "PETSTORE_CLIENT_SECRET"
token_url = "https://auth.petstore.example/token"
scopes = ["pets:read"]

[retry]
max_attempts = 4
[retry.tags.pets]
deadline = 10
[retry.operations.create_pet]
max_attempts = 6

[rate_limit]
rate = 10
burst = 20
backend = "redis"
redis_url_env = "REDIS_URL"
[rate_limit.operations.list_pets]
rate = 2
group = "listing"

[pagination.operations.list_pets]
style = "cursor"
cursor_param = "cursor"
next_cursor_path = "meta.next"
items_path = ["data"]

[operations.exclude]
paths = ["DELETE /pets/*"]
[operations.rename]
list_pets = "list"
[resources.rename]
stores = "shops"

[webhooks.petstore]
secret_env = "PETSTORE_WEBHOOK_SECRET"
scheme = "standard"

[mock]
port = 0
credentials = { apiKey = "PETSTORE_MOCK_KEY" }
""",
        )
    )
    assert config.base_url() == "https://sandbox.petstore.example/v1"
    assert config.base_url("production") == "https://api.petstore.example/v1"
    assert config.auth["oauth"].effective_type == "oauth2_client_credentials"
    assert config.auth["apiKey"].effective_type == "api_key"
    assert config.pagination.operations["list_pets"].next_cursor_path == ("meta", "next")
    assert config.pagination.operations["list_pets"].items_path == ("data",)
    assert config.webhooks["petstore"].secret_env == "PETSTORE_WEBHOOK_SECRET"
    assert config.retry.tags["pets"].model_fields_set == {"deadline"}


# (TOML text, the key path the error must name, a fragment of its message)
INVALID = [
    ("[retry]\nmax_attempts = 0", "retry.max_attempts", "greater than or equal to 1"),
    ('[retry]\nmax_attempts = "three"', "retry.max_attempts", "got 'three'"),
    ("[retry.operations.list_pets]\ndeadline = -1", "retry.operations.list_pets.deadline", "0"),
    ('[retry.tags."a.b"]\nbackoff_cap = 0', 'retry.tags."a.b".backoff_cap', "greater than 0"),
    ("[retry]\nretry_statuses = [200, 700]", "retry.retry_statuses[1]", "599"),
    ('[retry]\nidempotency_header = "Bad Header"', "retry.idempotency_header", "header name"),
    ('[rate_limit]\nbackend = "redsi"', "rate_limit.backend", "'memory' or 'redis'"),
    ('[rate_limit]\nbackend = "redis"', "rate_limit", "redis_url_env"),
    ("[rate_limit]\nrate = -5", "rate_limit.rate", "greater than 0"),
    ('[environments.prod]\nbase_url = "api.example.com"', "environments.prod.base_url", "http"),
    ("[environments.prod]\ndescription = 'x'", "environments.prod.base_url", "missing"),
    ('[api]\npackage = "my-client"', "api.package", "identifier"),
    ('[api]\ndefault_environment = "prod"', "", "default_environment 'prod'"),
    ('[pagination.operations.x]\nstyle = "pages"', "pagination.operations.x.style", "'cursor'"),
    ('[operations.rename]\nlist_pets = "class"', "operations.rename.list_pets", "identifier"),
    ('[operations.rename]\nlist_pets = "a.b.c"', "operations.rename.list_pets", "resource.method"),
    ('[webhooks.in]\nsecret_env = "whsec_x"', "webhooks.in", "secret_env: expected the NAME"),
    ("[mock]\nport = 70000", "mock.port", "65535"),
    ('[[endpoints]]\nmethod = "FETCH"\npath = "/x"', "endpoints[0].method", "'get'"),
    ('[[endpoints]]\nmethod = "get"\npath = "x"', "endpoints[0].path", "starts with '/'"),
    ('[[endpoints]]\nmethod = "get"\npath = "/x?a=1"', "endpoints[0].path", "query parameters"),
    ('[[endpoints]]\nmethod = "get"\npath = "/x/{id"', "endpoints[0].path", "unbalanced"),
    ('[[endpoints]]\nmethod = "get"', "endpoints[0].path", "missing"),
    (
        '[[endpoints]]\nmethod = "get"\npath = "/x"\n[[endpoints.parameters]]\nname = "a"\n'
        'in = "body"',
        "endpoints[0].parameters[0].in",
        "'query'",
    ),
    ('[auth.x]\ntype = "basic"\nusername_env = "U"', "auth.x", "password_env"),
    ("[auth.x]\nscopes = []", "auth.x", "no credentials"),
    ('[webhooks.hooks]\npath = "/in"', "webhooks.hooks.secret_env", "missing"),
    (
        '[api]\ndescription = "a.yaml"\n[[endpoints]]\nmethod = "get"\npath = "/x"',
        "",
        "not both",
    ),
    ("[retry]\nbackoff_base = 50", "", "exceeds backoff_cap"),
    ("[retry.operations.x]\nbackoff_base = 50", "", "retry.operations.x: backoff_base"),
]


@pytest.mark.parametrize(("text", "key_path", "fragment"), INVALID)
def test_each_invalid_value_names_its_key_path(
    tmp_path: Path, text: str, key_path: str, fragment: str
) -> None:
    error = errors_of(tmp_path, text)
    matching = [p for p in error.problems if p.dotted == key_path]
    assert matching, f"no problem at {key_path!r}: {error}"
    assert any(fragment in p.message for p in matching), str(error)
    assert all(p.file == str(tmp_path / "apiweld.toml") for p in error.problems)
    # The message a user reads is one line per problem, with file and key path, and no
    # pydantic boilerplate (URLs, "For further information").
    text_shown = str(error)
    assert "pydantic" not in text_shown and "errors.pydantic.dev" not in text_shown
    assert str(tmp_path / "apiweld.toml") in text_shown


@pytest.mark.parametrize(
    ("text", "key_path", "suggestion"),
    [
        ('[api]\ndescripton = "x.yaml"', "api.descripton", "'description'"),
        ("[retry]\nmax_attempt = 2", "retry.max_attempt", "'max_attempts'"),
        ("[retry.operations.x]\nbackof_cap = 2", "retry.operations.x.backof_cap", "'backoff_cap'"),
        ("[ratelimit]\nrate = 1", "ratelimit", "'rate_limit'"),
        ('[[endpoints]]\nmethod = "get"\npath = "/x"\nrespons = {}', "endpoints[0].respons", ""),
        ('[auth.k]\napi_key_evn = "K"', "auth.k.api_key_evn", "'api_key_env'"),
    ],
)
def test_misspelt_keys_get_a_suggestion(
    tmp_path: Path, text: str, key_path: str, suggestion: str
) -> None:
    error = errors_of(tmp_path, text)
    problem = next(p for p in error.problems if p.dotted == key_path)
    assert "unknown key" in problem.message
    assert f"did you mean {suggestion or repr('response')}?" in problem.message


SECRET = "sk_live_51HbQ2eEXAMPLEexampleEXAMPLE"


@pytest.mark.parametrize(
    "text",
    [
        f'[auth.apiKey]\napi_key = "{SECRET}"',
        f'[auth.bearer]\ntoken = "{SECRET}"',
        f'[auth.basic]\nusername_env = "U"\npassword = "{SECRET}"',
        f'[auth.oauth]\nclient_id_env = "ID"\nclient_secret = "{SECRET}"',
        f'[auth.apiKey]\napi_key_env = "{SECRET}"',
        '[auth.apiKey]\napi_key_env = "AKIAIOSFODNN7EXAMPLE"',
        f'[auth.bearer]\ntoken_env = "{SECRET.upper()}-X"',
        f'[rate_limit]\nbackend = "redis"\nredis_url_env = "redis://:{SECRET}@host"',
        f'[mock]\ncredentials = {{ apiKey = "{SECRET}" }}',
        f'[webhooks.in]\nsecret_env = "whsec_{SECRET}"',
        f'[environments.prod]\nbase_url = "https://user:{SECRET}@api.example.com"',
        f'[api]\ndescription = "https://user:{SECRET}@specs.example.com/openapi.json"',
    ],
)
def test_inline_secrets_are_refused_without_being_echoed(tmp_path: Path, text: str) -> None:
    error = errors_of(tmp_path, text)
    assert SECRET not in str(error)
    assert SECRET.upper() not in str(error)
    assert "AKIAIOSFODNN7EXAMPLE" not in str(error) or "AKIA" not in text
    assert any(
        word in str(error).lower() for word in ("secret", "environment variable", "credentials")
    ), str(error)


def test_environment_variable_names_are_accepted(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            '[auth.a]\napi_key_env = "PETSTORE_API_KEY"\n'
            '[auth.b]\nusername_env = "SVC_USER"\npassword_env = "SVC_PASSWORD_2"\n',
        )
    )
    assert config.auth["b"].effective_type == "basic"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"[api\ndescription = 1", "not valid TOML"),
        (b'[api]\ndescription = "a"\ndescription = "b"', "not valid TOML"),
        (b"\xff\xfe[api]", "not UTF-8"),
    ],
)
def test_unreadable_files_are_clear_errors(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "apiweld.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert fragment in str(caught.value)
    assert str(path) in str(caught.value)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="folder"):
        load_config(tmp_path)


def test_effective_retry_merges_only_the_keys_an_override_sets() -> None:
    config = parse_config(
        {
            "retry": {
                "max_attempts": 5,
                "backoff_cap": 10,
                "operations": {"create_pet": {"max_attempts": 2}},
            }
        }
    )
    merged = merge_retry(config.retry, config.retry.operations["create_pet"])
    assert merged.max_attempts == 2
    assert merged.backoff_cap == 10
    assert isinstance(merged, RetrySettings)
    assert not isinstance(merged, type(config.retry))


def test_key_paths_are_formatted_as_toml() -> None:
    assert format_key_path(("retry", "operations", "pets.list", "deadline")) == (
        'retry.operations."pets.list".deadline'
    )
    assert format_key_path(("endpoints", 2, "parameters", 0, "in")) == (
        "endpoints[2].parameters[0].in"
    )


@pytest.mark.parametrize(
    "value", ['a"b\\c', "tab\tnewline\n", "del\x7f nul\x00", "emoji \U0001f600", "lone \ud800"]
)
def test_toml_string_round_trips_any_text(value: str) -> None:
    parsed = tomllib.loads(f"k = {toml_string(value)}")["k"]
    assert parsed == value.replace("\ud800", "\ufffd")


def test_the_json_schema_accepts_valid_configs_and_rejects_unknown_keys(tmp_path: Path) -> None:
    schema = config_json_schema()
    assert schema["title"] == "apiweld.toml"
    for section in ("api", "environments", "auth", "retry", "rate_limit", "pagination"):
        assert section in schema["properties"]
    valid = tomllib.loads(
        '[api]\ndescription = "x.yaml"\n[retry.operations.a]\nmax_attempts = 2\n'
        '[[endpoints]]\nmethod = "get"\npath = "/x"\n[[endpoints.parameters]]\nname = "q"\n'
        'in = "query"\n'
    )
    jsonschema.validate(valid, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"retry": {"max_atempts": 2}}, schema)


def test_schema_command_writes_a_file(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from apiweld.cli import app

    target = tmp_path / "apiweld.schema.json"
    result = CliRunner().invoke(app, ["config", "schema", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text())["title"] == "apiweld.toml"


def test_models_are_immutable() -> None:
    config = ApiweldConfig()
    with pytest.raises(ValueError):
        config.retry.max_attempts = 9  # type: ignore[misc]
    assert RateLimitSettings().per == 1.0
