"""The client class's own surface: auth arguments, servers, config defaults, reserved names.

From the IR's security schemes and servers (and apiweld.toml's policies, which the project
loader records in `Api.extensions`) to what `_client.py` renders.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from apiweld.spec.ir import Api, SecurityScheme

from ._names import (
    docstring_body,
    py_literal,
    safe_identifier,
    snake_case,
    tuple_literal,
    unique,
    upper_snake,
)


@dataclass
class AuthDef:
    scheme: str
    """The scheme's name in the description (the key in the client's auth mapping)."""
    arguments: list[tuple[str, str]]
    """(argument name, environment variable) pairs the client takes for this scheme."""
    provider: str
    """The provider expression, using the argument names."""
    doc: str
    alternatives: list[tuple[list[str], str]] = field(default_factory=list)
    """Further (arguments needed, provider) ways to authenticate, tried when the first lacks
    its arguments (e.g. OAuth2 client credentials when no access token was given)."""

    primary: list[str] = field(default_factory=list)
    """The arguments `provider` needs (empty: all of `arguments`)."""

    @property
    def ways(self) -> list[tuple[list[str], str]]:
        needed = self.primary or [name for name, _ in self.arguments]
        return [(needed, self.provider), *self.alternatives]


@dataclass
class ServerDef:
    url: str
    variables: dict[str, str]
    doc: str


@functools.cache
def client_attributes() -> frozenset[str]:
    """Names a resource property must not take: the runtime clients' own attributes.

    A resource called `transport` would be hidden behind the instance attribute the base
    class sets in `__init__`, so those (not listed by `dir()`) are named here too.
    """
    from apiweld.runtime import AsyncClient, Client

    instance = {
        "auth",
        "base_url",
        "follow_redirects",
        "headers",
        "hooks",
        "idempotency_header",
        "logger",
        "proxy",
        "rate_limiter",
        "redactor",
        "retry",
        "timeout",
        "transport",
        "models",
        "with_options",
    }
    return frozenset(instance | set(dir(Client)) | set(dir(AsyncClient)))


def client_defaults(api: Api) -> list[tuple[str, str]]:
    """Client options apiweld.toml sets for the whole API: (keyword, Python expression) pairs."""
    defaults: list[tuple[str, str]] = []
    retry = api.extensions.get("x-apiweld-retry")
    if isinstance(retry, dict):
        defaults.append(("retry", retry_policy_expression(retry)))
        header = retry.get("idempotency_header")
        if isinstance(header, str) or header is None:
            defaults.append(("idempotency_header", py_literal(header)))
    limiter = _rate_limiter_expression(api)
    if limiter is not None:
        defaults.append(("rate_limiter", limiter))
    return defaults


def _rate_limit_expression(settings: object) -> str | None:
    if not isinstance(settings, dict):
        return None
    rate, per, burst = settings.get("rate"), settings.get("per", 1.0), settings.get("burst")
    if not _positive(rate) or not _positive(per):
        return None
    arguments = [py_literal(rate), f"per={py_literal(per)}"]
    if _positive(burst):
        arguments.append(f"burst={py_literal(burst)}")
    return f"RateLimit({', '.join(arguments)})"


def _positive(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _rate_limiter_expression(api: Api) -> str | None:
    """An in-process `RateLimiter` for the limits apiweld.toml sets (global and per group).

    The Redis backend needs a connection the generated code cannot invent; with
    `backend = "redis"` the user passes `rate_limiter=RedisRateLimiter(...)` themselves.
    """
    settings = api.extensions.get("x-apiweld-rate-limit")
    if isinstance(settings, dict) and settings.get("backend") == "redis":
        return None
    overall = _rate_limit_expression(settings)
    groups: dict[str, str] = {}
    for op in api.operations:
        limit = op.extensions.get("x-apiweld-rate-limit")
        expression = _rate_limit_expression(limit)
        if expression is not None and isinstance(limit, dict):
            groups.setdefault(str(limit.get("group") or op.operation_id or op.id), expression)
    if overall is None and not groups:
        return None
    arguments = [overall or "None"]
    if groups:
        table = "".join(f"            {py_literal(g)}: {e},\n" for g, e in sorted(groups.items()))
        arguments.append(f"groups={{\n{table}        }}")
    return "RateLimiter(\n" + "".join(f"        {a},\n" for a in arguments) + "    )"


def retry_policy_expression(settings: dict[str, object]) -> str:
    """A `RetryPolicy(...)` from the config's per-operation retry table (apiweld.toml)."""
    names = {
        "max_attempts": "max_attempts",
        "deadline": "total_deadline",
        "backoff_base": "backoff_base",
        "backoff_cap": "backoff_cap",
        "max_retry_after": "max_retry_after",
    }
    args = [
        f"{target}={py_literal(settings[key])}"
        for key, target in names.items()
        if isinstance(settings.get(key), int | float) and not isinstance(settings.get(key), bool)
    ]
    statuses = settings.get("retry_statuses")
    if isinstance(statuses, list) and all(isinstance(s, int) for s in statuses):
        args.append(
            "retry_statuses=frozenset({" + ", ".join(str(s) for s in sorted(statuses)) + "})"
        )
    return "RetryPolicy(\n" + "".join(f"        {arg},\n" for arg in args) + "    )"


def auth_defs(api: Api, env_prefix: str, warn: Callable[[str, str], None]) -> list[AuthDef]:
    """Client arguments per security scheme; apiweld.toml may name their environment variables."""
    configured = api.extensions.get("x-apiweld-auth")
    env_overrides = configured if isinstance(configured, dict) else {}
    defs: list[AuthDef] = []
    taken: set[str] = {"base_url", "server", "server_variables", "auth", "options", "self"}
    for key in sorted(api.security_schemes):
        scheme = api.security_schemes[key]
        overrides = env_overrides.get(key)
        built = _auth_def(
            scheme, env_prefix, taken, overrides if isinstance(overrides, dict) else {}
        )
        if built is None:
            warn(scheme.pointer, f"security scheme {key!r} ({scheme.type}) needs auth= by hand")
            continue
        defs.append(built)
    return defs


def _auth_def(
    scheme: SecurityScheme, env_prefix: str, taken: set[str], env: dict[str, object]
) -> AuthDef | None:
    base = safe_identifier(snake_case(scheme.py_name or scheme.name), "auth")

    def argument(suffix: str = "", env_key: str = "") -> tuple[str, str]:
        name = unique(f"{base}{suffix}", taken)
        configured = env.get(env_key)
        if isinstance(configured, str) and configured.isidentifier():
            return name, configured
        return name, f"{env_prefix}_{upper_snake(name)}"

    name = py_literal(scheme.name)
    doc = docstring_body(scheme.description)
    if scheme.type == "apiKey" and scheme.param_name:
        arg = argument(env_key="api_key_env")
        location = py_literal(scheme.location or "header")
        provider = (
            f"ApiKeyAuth({arg[0]}, name={py_literal(scheme.param_name)}, location={location})"
        )
        return AuthDef(name, [arg], provider, doc)
    if scheme.type == "http" and scheme.scheme == "basic":
        user = argument("_username", "username_env")
        password = argument("_password", "password_env")
        return AuthDef(name, [user, password], f"BasicAuth({user[0]}, {password[0]})", doc)
    if (scheme.type == "http" and scheme.scheme == "bearer") or scheme.type in (
        "oauth2",
        "openIdConnect",
    ):
        suffix = "" if base.endswith("token") else "_token"
        arg = argument(suffix, "token_env")
        auth = AuthDef(name, [arg], f"BearerAuth({arg[0]})", doc)
        flow = next(
            (f for f in scheme.flows if f.kind == "clientCredentials" and f.token_url), None
        )
        if flow is not None and flow.token_url is not None:
            client_id = argument("_client_id", "client_id_env")
            secret = argument("_client_secret", "client_secret_env")
            scopes = tuple_literal(py_literal(s) for s, _ in flow.scopes)
            provider = (
                f"OAuth2ClientCredentials({py_literal(flow.token_url)}, {client_id[0]}, "
                f"{secret[0]}, scopes={scopes})"
            )
            auth.primary = [arg[0]]
            auth.arguments += [client_id, secret]
            auth.alternatives.append(([client_id[0], secret[0]], provider))
        return auth
    return None


def server_defs(api: Api) -> list[ServerDef]:
    servers: list[ServerDef] = []
    for server in api.servers:
        variables = {v.name: v.default for v in server.variables}
        servers.append(ServerDef(server.url, variables, docstring_body(server.description)))
    return servers
