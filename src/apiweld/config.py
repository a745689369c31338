"""`apiweld.toml`: one validated model of a project's settings, with defaults.

Loading never shows a pydantic traceback: every problem becomes a `ConfigProblem` naming the file,
the TOML key path and what is wrong (with a "did you mean" for misspelt keys). Secrets never live
in the file: credentials are given as the NAMES of environment variables (`token_env =
"PETSTORE_TOKEN"`), and anything that looks like an inline secret is refused without echoing it.

One module on purpose, though longer than most: the models carry the field descriptions that the
editor JSON Schema shows, and the error translation below walks those same models' annotations
to name keys and suggest spellings, so the two change together.
"""

from __future__ import annotations

import difflib
import keyword
import re
import tomllib
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)

from apiweld.webhooks.settings import WebhookReceiverSettings

CONFIG_FILE_NAME = "apiweld.toml"
SCHEMA_FILE_NAME = "apiweld.schema.json"

KeyPath = tuple[str | int, ...]

# --------------------------------------------------------------------------------------------
# Field types with their own validation


_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")


def _looks_like_secret(value: str) -> bool:
    # Most pasted keys fail the UPPER_SNAKE_CASE pattern already (sk_live_..., ghp_..., JWTs).
    # Those that pass (AWS key ids, some API keys) are long runs of capitals and digits with no
    # underscore, which no sensible variable name is.
    return len(value) >= 20 and "_" not in value and any(c.isdigit() for c in value)


def _check_env_var_name(value: str) -> str:
    if _looks_like_secret(value) or not _ENV_NAME.fullmatch(value):
        raise ValueError(
            "expected the NAME of an environment variable (UPPER_SNAKE_CASE, e.g. "
            "PETSTORE_API_KEY), and this value looks like an inline secret or is not a valid "
            "name; put the secret in the environment and name the variable here"
        )
    return value


EnvVarName = Annotated[str, AfterValidator(_check_env_var_name)]
"""The name of an environment variable that holds a secret; never the secret itself."""


def _check_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected an absolute http(s) URL, got {value!r}")
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            "credentials in a URL are inline secrets; remove them and configure auth with "
            "environment variable names under [auth]"
        )
    return value


HttpUrl = Annotated[str, AfterValidator(_check_http_url)]


def _check_identifier(value: str) -> str:
    if not value.isidentifier() or keyword.iskeyword(value) or not value.isascii():
        raise ValueError(f"{value!r} is not a valid Python identifier")
    return value


Identifier = Annotated[str, AfterValidator(_check_identifier)]


def _check_package_name(value: str) -> str:
    for part in value.split("."):
        _check_identifier(part)
    return value


_HEADER_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _check_header_name(value: str) -> str:
    if not _HEADER_TOKEN.fullmatch(value):
        raise ValueError(f"{value!r} is not a valid HTTP header name")
    return value


HeaderName = Annotated[str, AfterValidator(_check_header_name)]


def _split_key_path(value: object) -> object:
    if isinstance(value, str):
        return tuple(part for part in value.split(".") if part) if value else ()
    return value


BodyPath = Annotated[tuple[str, ...], BeforeValidator(_split_key_path)]
"""Keys into a response body: `"meta.next"` or `["meta", "next"]` (a list when keys hold dots)."""


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


# --------------------------------------------------------------------------------------------
# Sections


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ApiSection(_Section):
    """`[api]`: where the description is and what the generated package is called."""

    description: str | None = Field(
        None,
        description="Path (relative to apiweld.toml) or URL of the OpenAPI/Swagger description. "
        "Leave unset to declare endpoints in [[endpoints]] instead.",
    )
    package: Annotated[str, AfterValidator(_check_package_name)] | None = Field(
        None, description="Python package name of the generated client (derived from the title)."
    )
    title: str | None = Field(None, description="API title, for declared endpoints.")
    version: str = Field("0.1.0", description="API version, for declared endpoints.")
    allow_network: bool = Field(
        False, description="Allow fetching the description and remote $refs over the network."
    )
    allow_outside_root: bool = Field(
        False, description="Allow $refs to files outside the description's folder."
    )
    default_environment: str | None = Field(
        None, description="Name of the [environments.<name>] used when none is chosen."
    )

    @model_validator(mode="after")
    def _no_credentials_in_url(self) -> ApiSection:
        if self.description and "://" in self.description:
            _check_http_url(self.description)
        return self


class Environment(_Section):
    """`[environments.<name>]`: one deployment of the API."""

    base_url: HttpUrl = Field(description="Absolute base URL, e.g. https://api.example.com/v1.")
    description: str | None = None


AuthType = Literal["api_key", "bearer", "basic", "oauth2_client_credentials", "oauth2_refresh"]


class AuthScheme(_Section):
    """`[auth.<scheme>]`: where the credentials of one security scheme come from.

    The table name is the scheme's name in the description. Every secret is the NAME of an
    environment variable; `type`, `location` and `param_name` are needed only for declared APIs
    (for a description they come from its security scheme).
    """

    type: AuthType | None = Field(
        None, description="Inferred from the *_env keys when unset (api_key_env -> api_key, ...)."
    )
    api_key_env: EnvVarName | None = None
    token_env: EnvVarName | None = Field(None, description="Bearer token.")
    username_env: EnvVarName | None = None
    password_env: EnvVarName | None = None
    client_id_env: EnvVarName | None = None
    client_secret_env: EnvVarName | None = None
    refresh_token_env: EnvVarName | None = None
    token_url: HttpUrl | None = Field(None, description="OAuth2 token URL override.")
    scopes: tuple[str, ...] = ()
    location: Literal["header", "query", "cookie"] = Field(
        "header", description="Declared APIs: where an API key is sent."
    )
    param_name: str | None = Field(None, description="Declared APIs: the API key's header/name.")

    @property
    def effective_type(self) -> AuthType | None:
        if self.type is not None:
            return self.type
        if self.api_key_env:
            return "api_key"
        if self.token_env:
            return "bearer"
        if self.username_env or self.password_env:
            return "basic"
        if self.refresh_token_env:
            return "oauth2_refresh"
        if self.client_id_env or self.client_secret_env:
            return "oauth2_client_credentials"
        return None

    @model_validator(mode="after")
    def _has_a_source(self) -> AuthScheme:
        kind = self.effective_type
        needed: dict[str, tuple[str, ...]] = {
            "api_key": ("api_key_env",),
            "bearer": ("token_env",),
            "basic": ("username_env", "password_env"),
            "oauth2_client_credentials": ("client_id_env", "client_secret_env"),
            "oauth2_refresh": ("refresh_token_env",),
        }
        if kind is None:
            raise ValueError(
                "no credentials: set one of api_key_env, token_env, username_env/password_env, "
                "client_id_env/client_secret_env or refresh_token_env"
            )
        missing = [name for name in needed[kind] if getattr(self, name) is None]
        if missing:
            raise ValueError(f"auth type {kind!r} also needs {', '.join(missing)}")
        return self


DEFAULT_RETRY_STATUSES = (408, 429, 500, 502, 503, 504)


class RetrySettings(_Section):
    """Retry policy. In a tag or operation table, only the keys given override the global ones."""

    max_attempts: int = Field(3, ge=1, le=100, description="Attempts in all, the first included.")
    deadline: float = Field(
        60.0, gt=0, description="Seconds: no new attempt starts after this since the first one."
    )
    backoff_base: float = Field(0.5, ge=0, description="Seconds: the first backoff's ceiling.")
    backoff_cap: float = Field(30.0, gt=0, description="Seconds: no backoff is longer.")
    retry_statuses: tuple[Annotated[int, Field(ge=100, le=599)], ...] = DEFAULT_RETRY_STATUSES
    max_retry_after: float = Field(
        60.0, ge=0, description="Seconds: a longer Retry-After fails the call instead of waiting."
    )
    idempotency_header: HeaderName | None = Field(
        "Idempotency-Key",
        description="Header carrying the idempotency key that makes POST/PATCH safe to retry.",
    )


class RetryConfig(RetrySettings):
    """`[retry]` plus `[retry.tags.<tag>]` and `[retry.operations.<operation>]`."""

    tags: dict[str, RetrySettings] = {}
    operations: dict[str, RetrySettings] = {}


class RateLimitSettings(_Section):
    """Client-side rate limit: `rate` requests per `per` seconds, bursts up to `burst`."""

    rate: float | None = Field(
        None, gt=0, description="Requests per `per` seconds; unset: only adapt to the server."
    )
    per: float = Field(1.0, gt=0, description="Seconds.")
    burst: int | None = Field(None, ge=1, description="Bucket size; defaults to the rate.")
    group: str | None = Field(
        None,
        description="Limiter group: operations naming the same group share one budget "
        "(default: the table's tag or operation).",
    )


class RateLimitConfig(RateLimitSettings):
    """`[rate_limit]` plus `[rate_limit.tags.<tag>]` and `[rate_limit.operations.<op>]`."""

    backend: Literal["memory", "redis"] = Field(
        "memory", description="redis: share one budget across processes."
    )
    redis_url_env: EnvVarName | None = Field(
        None, description="Environment variable holding the Redis URL (backend = redis)."
    )
    tags: dict[str, RateLimitSettings] = {}
    operations: dict[str, RateLimitSettings] = {}

    @model_validator(mode="after")
    def _redis_needs_url(self) -> RateLimitConfig:
        if self.backend == "redis" and self.redis_url_env is None:
            raise ValueError("backend 'redis' needs redis_url_env (the NAME of a variable)")
        return self


PaginationStyleSetting = Literal["page", "offset", "cursor", "link", "next_url", "none"]


class PaginationOverride(_Section):
    """How an operation pages, overriding (or switching off with style = "none") detection."""

    style: Annotated[PaginationStyleSetting, BeforeValidator(_lower)] | None = None
    items_path: BodyPath | None = None
    page_param: str | None = None
    size_param: str | None = None
    offset_param: str | None = None
    limit_param: str | None = None
    cursor_param: str | None = None
    next_cursor_path: BodyPath | None = None
    next_cursor_header: str | None = None
    next_url_path: BodyPath | None = None
    has_more_path: BodyPath | None = None
    total_path: BodyPath | None = None


class PaginationConfig(_Section):
    """`[pagination.operations.<op>]` and `[pagination.tags.<tag>]`."""

    operations: dict[str, PaginationOverride] = {}
    tags: dict[str, PaginationOverride] = Field(
        {},
        description="Applies to operations of the tag that page already or take its parameters.",
    )


class OperationSelector(_Section):
    tags: tuple[str, ...] = ()
    paths: tuple[str, ...] = Field(
        (),
        description="Path globs, optionally after a method: '/admin/**', 'DELETE /pets/*'. "
        "'*' matches within one segment, '**' across segments.",
    )
    ids: tuple[str, ...] = Field((), description="Operation ids (Python or as in the description).")

    @property
    def is_empty(self) -> bool:
        return not (self.tags or self.paths or self.ids)


def _check_rename_target(target: str) -> str:
    if target.count(".") > 1:
        raise ValueError(f"rename target {target!r}: use 'method' or 'resource.method'")
    for part in target.split("."):
        _check_identifier(part)
    return target


class OperationsConfig(_Section):
    """`[operations]`: which operations are generated, and what they are called."""

    include: OperationSelector = OperationSelector()
    exclude: OperationSelector = OperationSelector()
    rename: dict[str, Annotated[str, AfterValidator(_check_rename_target)]] = Field(
        {},
        description="operation id -> new method name, or 'resource.method' to move it too.",
    )


class ResourcesConfig(_Section):
    rename: dict[str, Identifier] = Field({}, description="resource (or tag) -> new name.")


class MockSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(4010, ge=0, le=65535)
    seed: int = 0
    faults: str | None = Field(None, description="Fault profile, e.g. 'flaky'.")
    credentials: dict[str, EnvVarName] = Field(
        {}, description="Security scheme -> environment variable holding the accepted credential."
    )


class GenerateSettings(_Section):
    output: str = Field("clients", description="Output folder, relative to apiweld.toml.")


ParameterType = Literal["string", "integer", "number", "boolean", "array", "object"]


class DeclaredParameter(_Section):
    name: str = Field(min_length=1)
    location: Literal["path", "query", "header", "cookie"] = Field("query", alias="in")
    type: ParameterType = "string"
    required: bool = False
    description: str | None = None
    schema_: dict[str, Any] | None = Field(
        None, alias="schema", description="Full JSON Schema, instead of `type`."
    )
    style: str | None = None
    explode: bool | None = None


class DeclaredBody(_Section):
    content_type: str = "application/json"
    required: bool = True
    description: str | None = None
    schema_: dict[str, Any] = Field(alias="schema", description="JSON Schema of the body.")


class DeclaredResponse(_Section):
    status: int = Field(200, ge=100, le=599)
    content_type: str = "application/json"
    description: str | None = None
    schema_: dict[str, Any] | None = Field(None, alias="schema")


HttpMethodSetting = Literal["get", "put", "post", "delete", "options", "head", "patch", "trace"]


def _check_path_template(path: str) -> str:
    if not path.startswith("/"):
        raise ValueError(f"a path starts with '/', e.g. '/{path}'")
    if "?" in path or "#" in path:
        raise ValueError("a path has no query or fragment: declare query parameters instead")
    if path.count("{") != path.count("}"):
        raise ValueError(f"unbalanced braces in the path template {path!r}")
    return path


class DeclaredEndpoint(_Section):
    """`[[endpoints]]`: one operation of an API that has no description."""

    method: Annotated[HttpMethodSetting, BeforeValidator(_lower)]
    path: Annotated[str, AfterValidator(_check_path_template)] = Field(
        description="Path template, e.g. /pets/{pet_id}."
    )
    id: str | None = Field(None, description="operationId; derived from method and path if unset.")
    summary: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    deprecated: bool = False
    parameters: tuple[DeclaredParameter, ...] = ()
    body: DeclaredBody | None = None
    response: DeclaredResponse | None = None
    pagination: PaginationOverride | None = None
    security: tuple[str, ...] | None = Field(
        None, description="Names of [auth] schemes, any of which is accepted; [] for none."
    )
    idempotency_header: HeaderName | None = None


def _check_receiver(receiver: WebhookReceiverSettings) -> WebhookReceiverSettings:
    """Hold webhook receivers to the same environment-variable-name rule as [auth]."""
    names = [
        ("secret_env", receiver.secret_env),
        ("verify_token_env", receiver.verify_token_env),
        *(("rotated_secret_envs", name) for name in receiver.rotated_secret_envs),
    ]
    for key, name in names:
        if name is not None:
            try:
                _check_env_var_name(name)
            except ValueError as exc:
                raise ValueError(f"{key}: {exc}") from None
    return receiver


class ApiweldConfig(_Section):
    """The whole of `apiweld.toml`."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        title="apiweld.toml",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    api: ApiSection = ApiSection()
    environments: dict[str, Environment] = {}
    auth: dict[str, AuthScheme] = {}
    retry: RetryConfig = RetryConfig()
    rate_limit: RateLimitConfig = RateLimitConfig()
    pagination: PaginationConfig = PaginationConfig()
    operations: OperationsConfig = OperationsConfig()
    resources: ResourcesConfig = ResourcesConfig()
    endpoints: tuple[DeclaredEndpoint, ...] = ()
    schemas: dict[str, dict[str, Any]] = Field(
        {}, description="Named JSON Schemas for declared endpoints ($ref them by name)."
    )
    webhooks: dict[str, Annotated[WebhookReceiverSettings, AfterValidator(_check_receiver)]] = {}
    mock: MockSettings = MockSettings()
    generate: GenerateSettings = GenerateSettings()

    _source: Path | None = PrivateAttr(default=None)

    @property
    def source_path(self) -> Path | None:
        """The apiweld.toml this was loaded from, if any."""
        return self._source

    @property
    def root_dir(self) -> Path:
        """The folder relative paths in the file are resolved against."""
        return self._source.parent if self._source is not None else Path.cwd()

    @property
    def is_declared(self) -> bool:
        return self.api.description is None

    @model_validator(mode="after")
    def _cross_field(self) -> ApiweldConfig:
        if self.api.description is not None and self.endpoints:
            raise ValueError(
                "give either [api] description or [[endpoints]], not both (declared endpoints "
                "describe an API that has no description)"
            )
        if self.api.default_environment is not None and (
            self.api.default_environment not in self.environments
        ):
            known = ", ".join(sorted(self.environments)) or "none declared"
            raise ValueError(
                f"[api] default_environment {self.api.default_environment!r} is not an "
                f"[environments.<name>] table ({known})"
            )
        for where, override in (
            *(("retry.tags." + k, v) for k, v in self.retry.tags.items()),
            *(("retry.operations." + k, v) for k, v in self.retry.operations.items()),
        ):
            merged = merge_retry(self.retry, override)
            if merged.backoff_base > merged.backoff_cap:
                raise ValueError(
                    f"{where}: backoff_base ({merged.backoff_base}) exceeds backoff_cap "
                    f"({merged.backoff_cap})"
                )
        if self.retry.backoff_base > self.retry.backoff_cap:
            raise ValueError(
                f"retry: backoff_base ({self.retry.backoff_base}) exceeds backoff_cap "
                f"({self.retry.backoff_cap})"
            )
        return self

    def base_url(self, environment: str | None = None) -> str | None:
        """The base URL of `environment` (default: [api] default_environment, else the first)."""
        name = environment or self.api.default_environment
        if name is not None:
            return self.environments[name].base_url
        return next(iter(self.environments.values())).base_url if self.environments else None


def merge_retry(base: RetrySettings, override: RetrySettings) -> RetrySettings:
    """`base` with the keys `override` set explicitly."""
    merged = {name: getattr(base, name) for name in RetrySettings.model_fields}
    merged.update({name: getattr(override, name) for name in override.model_fields_set})
    return RetrySettings.model_validate(merged)


def merge_rate_limit(base: RateLimitSettings, override: RateLimitSettings) -> RateLimitSettings:
    merged = {name: getattr(base, name) for name in RateLimitSettings.model_fields}
    merged.update({name: getattr(override, name) for name in override.model_fields_set})
    return RateLimitSettings.model_validate(merged)


# --------------------------------------------------------------------------------------------
# Loading and errors


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One problem in apiweld.toml, at a TOML key path (`retry.operations.list_pets.deadline`)."""

    severity: Literal["error", "warning"]
    key_path: KeyPath
    message: str
    file: str | None = None

    @property
    def dotted(self) -> str:
        return format_key_path(self.key_path)

    @property
    def pointer(self) -> str:
        """The same place as a JSON pointer into the parsed TOML document."""
        escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in self.key_path)
        return "".join("/" + part for part in escaped)

    def __str__(self) -> str:
        where = self.file or CONFIG_FILE_NAME
        if self.key_path:
            where = f"{where}: {self.dotted}"
        return f"{self.severity}: {where}: {self.message}"


class ConfigError(Exception):
    """apiweld.toml could not be read or is not valid; `problems` says where and why."""

    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def format_key_path(key_path: KeyPath) -> str:
    """`("retry", "operations", "pets.list")` -> `retry.operations."pets.list"`, lists as `[i]`."""
    text = ""
    for part in key_path:
        if isinstance(part, int):
            text += f"[{part}]"
            continue
        text += f".{toml_key(part)}" if text else toml_key(part)
    return text


_TOML_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def toml_string(value: str) -> str:
    """`value` as a TOML basic string, quotes included; safe for any Python string.

    TOML allows no raw control characters (DEL included) and no surrogate code points, so those
    are escaped, and a lone surrogate (possible in a str parsed from JSON) becomes U+FFFD.
    """
    out = ['"']
    for char in value:
        code = ord(char)
        if char in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[char])
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\\ufffd")
        elif code < 0x20 or code == 0x7F or not char.isprintable():
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def toml_key(key: str) -> str:
    """`key` bare when TOML allows it, else quoted."""
    return key if _BARE_KEY.fullmatch(key) else toml_string(key)


def load_config(path: str | Path) -> ApiweldConfig:
    """Read and validate an apiweld.toml; raises `ConfigError` naming the file and key paths."""
    path = Path(path)
    shown = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([ConfigProblem("error", (), "file not found", shown)]) from None
    except IsADirectoryError:
        raise ConfigError([ConfigProblem("error", (), "is a folder, not a file", shown)]) from None
    except OSError as exc:
        raise ConfigError([ConfigProblem("error", (), exc.strerror or str(exc), shown)]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        message = f"not UTF-8 text (byte {exc.start})"
        raise ConfigError([ConfigProblem("error", (), message, shown)]) from None
    except tomllib.TOMLDecodeError as exc:
        message = f"not valid TOML: {exc}"
        raise ConfigError([ConfigProblem("error", (), message, shown)]) from None
    config = parse_config(data, file=shown)
    config._source = path.resolve()
    return config


def parse_config(data: Mapping[str, Any], *, file: str | None = None) -> ApiweldConfig:
    """Validate an already parsed apiweld.toml document."""
    try:
        return ApiweldConfig.model_validate(data)
    except ValidationError as exc:
        problems = [_problem_from_error(error, data, file) for error in exc.errors()]
        raise ConfigError(_dedupe(problems)) from None


def _dedupe(problems: list[ConfigProblem]) -> list[ConfigProblem]:
    seen: set[tuple[KeyPath, str]] = set()
    unique = []
    for problem in problems:
        if (problem.key_path, problem.message) not in seen:
            seen.add((problem.key_path, problem.message))
            unique.append(problem)
    return unique


_SECRET_WORDS = ("secret", "password", "passwd", "token", "apikey", "api_key", "credential")
_SECRET_KEYS = frozenset({"key", "username", "bearer", "private_key", "auth"})


def _problem_from_error(
    error: Mapping[str, Any], data: Mapping[str, Any], file: str | None
) -> ConfigProblem:
    loc: KeyPath = tuple(part for part in error["loc"] if isinstance(part, str | int))
    kind = error["type"]
    if kind == "extra_forbidden":
        return ConfigProblem("error", loc, _unknown_key_message(loc), file)
    if kind == "missing":
        return ConfigProblem("error", loc, "required key is missing", file)
    message = str(error["msg"])
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind not in ("value_error", "assertion_error") and not _is_sensitive(loc):
        shown = _value_at(data, loc)
        if shown is not _MISSING and len(repr(shown)) <= 60:
            message = f"{message} (got {shown!r})"
    return ConfigProblem("error", loc, message, file)


def _unknown_key_message(loc: KeyPath) -> str:
    key = str(loc[-1]) if loc else ""
    lowered = key.lower()
    # A key like `api_key_evn` is a misspelt variable-name key, not a pasted secret.
    names_a_variable = "env" in lowered or "evn" in lowered or "nev" in lowered
    secret_like = lowered in _SECRET_KEYS or any(word in lowered for word in _SECRET_WORDS)
    if secret_like and not names_a_variable:
        env_key = _env_key_for(lowered)
        example = "MYAPI_" + env_key.removesuffix("_env").upper()
        return (
            f"{key!r} would put a secret in the file, which apiweld refuses; keep the secret "
            f'in an environment variable and give its NAME, e.g. {env_key} = "{example}"'
        )
    candidates = _keys_of_model_at(loc[:-1])
    message = "unknown key"
    close = difflib.get_close_matches(key, candidates, n=1, cutoff=0.6)
    if close:
        message += f"; did you mean {close[0]!r}?"
    elif candidates:
        message += f" (known here: {', '.join(sorted(candidates))})"
    return message


def _env_key_for(secret_key: str) -> str:
    for fragment, env_key in (
        ("client_secret", "client_secret_env"),
        ("refresh", "refresh_token_env"),
        ("password", "password_env"),
        ("user", "username_env"),
        ("token", "token_env"),
        ("bearer", "token_env"),
    ):
        if fragment in secret_key:
            return env_key
    return "api_key_env"


def _is_sensitive(loc: KeyPath) -> bool:
    return bool(loc) and (
        loc[0] in ("auth", "webhooks") or "credentials" in loc or str(loc[-1]).endswith("_env")
    )


_MISSING = object()


def _value_at(data: Any, loc: KeyPath) -> Any:
    for part in loc:
        in_table = isinstance(data, Mapping) and part in data
        in_array = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if in_table or in_array:
            data = data[part]
        else:
            return _MISSING
    return data


def _keys_of_model_at(loc: KeyPath) -> list[str]:
    """The keys accepted by the table at `loc`, walking the model's annotations."""
    current: Any = ApiweldConfig
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = _field_for_key(current, str(part))
            if field is None:
                return []
            current = field
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        elif typing.get_origin(current) in (list, tuple):
            current = typing.get_args(current)[0]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [info.alias or name for name, info in current.model_fields.items()]
    return []


def _field_for_key(model: type[BaseModel], key: str) -> Any:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info.annotation
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional so the walk sees the model, dict or tuple inside."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def config_json_schema() -> dict[str, Any]:
    """The JSON Schema of apiweld.toml, for editors (e.g. Taplo / Even Better TOML)."""
    return ApiweldConfig.model_json_schema(by_alias=True)


def find_config(start: Path | None = None) -> Path | None:
    """The apiweld.toml in `start` (default: the working folder), if there is one."""
    candidate = (start or Path.cwd()) / CONFIG_FILE_NAME
    return candidate if candidate.is_file() else None
