"""The commented apiweld.toml that `apiweld init` writes from what a description contains.

Rendered as text, by hand, because the point of the file is its comments: tomllib only reads,
and the TOML writers (tomli-w) drop comments. Every value goes through `toml_string`/`toml_key`,
and every piece of description text that lands in a comment is flattened to one printable line,
so nothing in a description can break out of a comment or a string. A test loads the result
back through `ApiweldConfig` for every description in the corpus sample.
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from apiweld.config import (
    DEFAULT_RETRY_STATUSES,
    ConfigError,
    RetrySettings,
    parse_config,
    toml_key,
    toml_string,
)
from apiweld.spec.ir import Api, Pagination, SecurityScheme, Server
from apiweld.spec.names import to_snake, unique_name

_COMMENT_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\ud800-\udfff]+")
_MAX_COMMENT = 110


def _comment(text: str | None) -> str:
    flat = " ".join(_COMMENT_UNSAFE.sub(" ", text or "").split())
    return flat if len(flat) <= _MAX_COMMENT else flat[: _MAX_COMMENT - 3] + "..."


# Words that say what a title is rather than which API it is; a package name stops before them
# ("Akeneo PIM REST API" -> akeneo_pim, "GitHub's official OpenAPI spec" -> git_hub).
_TITLE_NOISE = frozenset(
    {"api", "apis", "rest", "restful", "openapi", "swagger", "spec", "specification", "official"}
)
_TITLE_SEPARATORS = re.compile(r"[\s+:,;()\[\]{}/|]+")


def package_name_for(api: Api) -> str:
    words = [
        w.removesuffix("'s").removesuffix("\u2019s") for w in _TITLE_SEPARATORS.split(api.title)
    ]
    words = [w for w in words if w]
    kept: list[str] = []
    for word in words:
        if word.lower() in _TITLE_NOISE:
            break
        kept.append(word)
    name = to_snake(" ".join(kept or words), fallback="api_client")
    if len(name) > 40:
        name = to_snake(name[:40].rstrip("_"), fallback="api_client")
    # A client named `json` or `email` would shadow the standard library wherever it is installed.
    if name in sys.stdlib_module_names:
        name += "_client"
    return name


def env_prefix(package: str) -> str:
    return to_snake(package, fallback="api").upper()


class InitError(Exception):
    """The starter config could not be written; `lines` say why, one message a line."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = tuple(lines)
        super().__init__("\n".join(self.lines))


@dataclass(frozen=True, slots=True)
class InitResult:
    path: Path
    summary: str


def write_starter_config(
    description: str,
    output: Path,
    *,
    force: bool = False,
    package: str | None = None,
    allow_network: bool = False,
) -> InitResult:
    """Load `description` and write a starter apiweld.toml for it at `output`."""
    from apiweld.spec import SpecError, load

    if output.is_dir():
        raise InitError([f"error: {output} is a folder; give a file path with -o"])
    if output.exists() and not force:
        raise InitError([f"error: {output} exists; use --force to overwrite it"])
    is_url = "://" in description
    try:
        api = load(description if is_url else Path(description), allow_network=allow_network)
    except SpecError as exc:
        raise InitError(
            [f"error: cannot load {description}:", *(f"  {p}" for p in exc.problems)]
        ) from None
    written_location = description
    if not is_url:
        absolute = Path(description).resolve()
        relative = Path(os.path.relpath(absolute, output.resolve().parent)).as_posix()
        # Beside or below the config (or one folder up) reads best relative; further away, an
        # absolute path survives the config being copied around.
        written_location = absolute.as_posix() if relative.startswith("../..") else relative
    if package is not None and not all(part.isidentifier() for part in package.split(".")):
        raise InitError([f"error: --package {package!r} is not a Python package name"])
    text = render_starter_config(
        api, description=written_location, package=package, allow_network=allow_network
    )
    try:
        parse_config(tomllib.loads(text), file=str(output))
    except (tomllib.TOMLDecodeError, ConfigError) as exc:
        # A bug here, not bad input: say so plainly rather than write a file that cannot load.
        message = f"error: apiweld produced an invalid config (please report): {exc}"
        raise InitError([message]) from None
    _write(output, text, force=force)
    return InitResult(output, _summary(api))


def _write(output: Path, text: str, *, force: bool) -> None:
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        if force:
            temporary = output.with_name(output.name + ".tmp")
            temporary.write_text(text, encoding="utf-8")
            os.replace(temporary, output)
        else:
            # Exclusive creation: a file that appeared since the check above is not overwritten.
            with output.open("x", encoding="utf-8") as handle:
                handle.write(text)
    except FileExistsError:
        raise InitError([f"error: {output} exists; use --force to overwrite it"]) from None
    except OSError as exc:
        raise InitError([f"error: cannot write {output}: {exc.strerror or exc}"]) from None


def _summary(api: Api) -> str:
    environments = len(_environments(api.servers))
    paged = sum(1 for op in api.operations if op.pagination is not None)
    parts = [
        f"{len(api.operations)} operations",
        f"{environments} environment(s)",
        f"{len(api.security_schemes)} auth scheme(s)",
        f"{paged} paginated operation(s)",
    ]
    if api.webhooks:
        parts.append("1 webhook receiver")
    return ", ".join(parts)


def render_starter_config(
    api: Api, *, description: str, package: str | None = None, allow_network: bool = False
) -> str:
    """The text of a starter apiweld.toml for `api`, whose description is at `description`."""
    package = package or package_name_for(api)
    prefix = env_prefix(package)
    lines: list[str] = [
        f"# apiweld.toml for {_comment(api.title)} {_comment(api.version)}",
        f"# Written by `apiweld init` from {_comment(description)}"
        f" ({_comment(api.source_format)}).",
        "# Secrets never go in this file: only the NAMES of environment variables holding them.",
        "# Editors can validate it against the JSON Schema from `apiweld config schema`.",
        "",
        "[api]",
        f"description = {toml_string(description)}",
        f"package = {toml_string(package)}",
        ("allow_network = true" if allow_network else "# allow_network = false")
        + "       # fetch remote $refs (and a description given by URL)",
        "# allow_outside_root = false  # let $refs read files outside the description's folder",
    ]
    environments = _environments(api.servers)
    if environments:
        lines.append(f"default_environment = {toml_string(environments[0][0])}")
    lines.append("")
    lines += _environment_lines(api.servers, environments)
    lines += _auth_lines(api, prefix)
    lines += _retry_lines(api)
    lines += _rate_limit_lines()
    lines += _pagination_lines(api)
    lines += _operations_lines(api)
    lines += _webhook_lines(api, package, prefix)
    lines += [
        "[mock]",
        "port = 4010",
        "seed = 0",
        '# faults = "flaky"   # misbehave on purpose: errors, latency, 429s',
    ]
    if api.security_schemes:
        first = next(iter(api.security_schemes))
        lines.append(
            f"# credentials = {{ {toml_key(first)} = {toml_string(prefix + '_MOCK_CREDENTIAL')} }}"
        )
    lines += ["", "[generate]", 'output = "clients"', ""]
    return "\n".join(lines)


def _environments(servers: Iterable[Server]) -> list[tuple[str, Server, str]]:
    """(name, server, base URL) for every server with an absolute http(s) URL."""
    taken: set[str] = set()
    result = []
    for index, server in enumerate(servers):
        url = _expand(server)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.username:
            continue
        base = to_snake(server.description or "", fallback="")[:30].rstrip("_")
        if not base:
            base = "default" if index == 0 else f"server_{index + 1}"
        result.append((unique_name(base, taken), server, url))
    return result


def _expand(server: Server) -> str:
    url = server.url
    for variable in server.variables:
        url = url.replace("{" + variable.name + "}", variable.default)
    return url


def _environment_lines(
    servers: tuple[Server, ...], environments: list[tuple[str, Server, str]]
) -> list[str]:
    lines = ["# One table per deployment of the API (from the description's servers)."]
    for name, server, url in environments:
        lines.append(f"[environments.{toml_key(name)}]")
        lines.append(f"base_url = {toml_string(url)}")
        if server.description:
            lines.append(f"description = {toml_string(_comment(server.description))}")
        for variable in server.variables:
            choices = f" (one of {_comment(', '.join(variable.enum))})" if variable.enum else ""
            lines.append(
                f"# server variable {_comment(variable.name)}: {_comment(variable.default)}"
                + choices
            )
        lines.append("")
    used = {server.url for _, server, _ in environments}
    for server in servers:
        if server.url not in used:
            lines.append(
                f"# The server {_comment(server.url)} is not an absolute http(s) URL: add an "
                "[environments.<name>] table with its full base_url."
            )
    if not servers:
        lines += [
            "# The description names no server: add one, e.g.",
            "# [environments.production]",
            '# base_url = "https://api.example.com"',
        ]
    if lines[-1] != "":
        lines.append("")
    return lines


def _auth_lines(api: Api, prefix: str) -> list[str]:
    if not api.security_schemes:
        return [
            "# The description declares no security scheme. If the API needs credentials,",
            "# declare the scheme in the description, or pass an auth provider in code.",
            "",
        ]
    lines = ["# Credentials per security scheme: environment variable NAMES, never the secrets."]
    kinds = [_credential_kind(s) for s in api.security_schemes.values()]
    for scheme in api.security_schemes.values():
        kind = _credential_kind(scheme)
        scheme_prefix = prefix
        if kinds.count(kind) > 1:
            scheme_prefix = f"{prefix}_{to_snake(scheme.name, fallback='scheme').upper()}"
        lines.append(f"# {_comment(_describe_scheme(scheme))}")
        header = f"[auth.{toml_key(scheme.name)}]"
        if kind == "unsupported":
            lines += [f"# {header}", "# (not configurable here yet: pass credentials in code)", ""]
            continue
        lines.append(header)
        lines += _credential_lines(scheme, kind, scheme_prefix)
        lines.append("")
    return lines


def _credential_kind(scheme: SecurityScheme) -> str:
    if scheme.type == "apiKey":
        return "api_key"
    if scheme.type == "http":
        return scheme.scheme if scheme.scheme in ("basic", "bearer") else "unsupported"
    if scheme.type == "oauth2":
        if any(flow.kind == "clientCredentials" for flow in scheme.flows):
            return "client_credentials"
        return "bearer"
    if scheme.type == "openIdConnect":
        return "bearer"
    return "unsupported"


def _describe_scheme(scheme: SecurityScheme) -> str:
    if scheme.type == "apiKey":
        return f"{scheme.name}: API key in the {scheme.location} {scheme.param_name!r}"
    if scheme.type == "http":
        detail = f" ({scheme.bearer_format})" if scheme.bearer_format else ""
        return f"{scheme.name}: HTTP {scheme.scheme}{detail}"
    if scheme.type == "oauth2":
        flows = ", ".join(flow.kind for flow in scheme.flows) or "no flows"
        return f"{scheme.name}: OAuth2 ({flows})"
    return f"{scheme.name}: {scheme.type}"


def _credential_lines(scheme: SecurityScheme, kind: str, prefix: str) -> list[str]:
    if kind == "api_key":
        return [f"api_key_env = {toml_string(prefix + '_API_KEY')}"]
    if kind == "basic":
        return [
            f"username_env = {toml_string(prefix + '_USERNAME')}",
            f"password_env = {toml_string(prefix + '_PASSWORD')}",
        ]
    if kind == "bearer":
        lines = [f"token_env = {toml_string(prefix + '_TOKEN')}"]
        if scheme.type == "oauth2":
            lines.append(
                "# or, to refresh tokens: refresh_token_env, client_id_env, client_secret_env"
            )
        return lines
    flow = next(flow for flow in scheme.flows if flow.kind == "clientCredentials")
    lines = [
        f"client_id_env = {toml_string(prefix + '_CLIENT_ID')}",
        f"client_secret_env = {toml_string(prefix + '_CLIENT_SECRET')}",
    ]
    if flow.token_url:
        lines.append(f"# token_url = {toml_string(flow.token_url)}  # the description's")
    if flow.scopes:
        scopes = ", ".join(toml_string(name) for name, _ in flow.scopes[:8])
        lines.append(f"# scopes = [{_comment(scopes)}]")
    return lines


def _retry_lines(api: Api) -> list[str]:
    defaults = RetrySettings()
    header = defaults.idempotency_header or "Idempotency-Key"
    declared = sorted({op.idempotency_header for op in api.operations if op.idempotency_header})
    statuses = ", ".join(str(s) for s in DEFAULT_RETRY_STATUSES)
    lines = [
        "# Retries: exponential backoff with full jitter; POST/PATCH are retried only with an",
        "# idempotency key. Per tag or operation, only the keys given override these:",
        "#   [retry.operations.<operation>]  max_attempts = 5",
        "[retry]",
        f"max_attempts = {defaults.max_attempts}",
        f"deadline = {defaults.deadline}            # seconds, all attempts together",
        f"backoff_base = {defaults.backoff_base}",
        f"backoff_cap = {defaults.backoff_cap}",
        f"retry_statuses = [{statuses}]",
        f"max_retry_after = {defaults.max_retry_after}",
    ]
    if declared:
        lines.append(f"idempotency_header = {toml_string(declared[0])}  # declared by the API")
    else:
        lines.append(f"idempotency_header = {toml_string(header)}")
    lines.append("")
    return lines


def _rate_limit_lines() -> list[str]:
    return [
        "# Client-side rate limit. Unset `rate`: adapt to the server's RateLimit/X-RateLimit/",
        "# Retry-After headers only. Per tag or operation: [rate_limit.tags.<tag>] rate = 5",
        "[rate_limit]",
        'backend = "memory"          # "redis" shares one budget across processes',
        '# redis_url_env = "REDIS_URL"',
        "# rate = 10                  # requests per `per` seconds",
        "# per = 1.0",
        "# burst = 10",
        "",
    ]


def _pagination_lines(api: Api) -> list[str]:
    paged = [op for op in api.operations if op.pagination is not None]
    if not paged:
        return [
            "# No pagination detected. Configure it per operation:",
            '#   [pagination.operations.<operation>]  style = "page"  page_param = "page"',
            "",
        ]
    lines = [
        f"# Pagination detected on {len(paged)} operation(s). Adjust or switch off one with",
        '# [pagination.operations.<operation>] (style = "none" turns it off):',
    ]
    for op in paged:
        assert op.pagination is not None  # filtered above; narrows the type for mypy
        lines.append(f"#   {_comment(op.id)}: {_comment(_describe_pagination(op.pagination))}")
    lines.append("")
    return lines


def _describe_pagination(pagination: Pagination) -> str:
    parts: list[str] = [pagination.style]
    for name in ("page_param", "size_param", "offset_param", "limit_param", "cursor_param"):
        value = getattr(pagination, name)
        if value:
            parts.append(f"{name}={value}")
    for name in ("items_path", "next_cursor_path", "next_url_path", "has_more_path"):
        value = getattr(pagination, name)
        if value:
            parts.append(f"{name}={'.'.join(value)}")
    if pagination.next_cursor_header:
        parts.append(f"next_cursor_header={pagination.next_cursor_header}")
    return " ".join(parts)


def _operations_lines(api: Api) -> list[str]:
    tags = ", ".join(tag.name for tag in api.tags[:12])
    more = f" (+{len(api.tags) - 12} more)" if len(api.tags) > 12 else ""
    lines = [
        f"# {len(api.operations)} operation(s). Choose and name them:",
        '#   [operations.include] tags = ["..."]  paths = ["/admin/**"]  ids = ["..."]',
        '#   [operations.exclude] paths = ["DELETE /pets/*"]',
        '#   [operations.rename] list_pets = "list"        [resources.rename] pets = "animals"',
    ]
    if tags:
        lines.append(f"# Tags: {_comment(tags + more)}")
    lines.append("")
    return lines


# Providers whose webhook signatures apiweld verifies by name, by the domain their API lives on.
_WEBHOOK_SCHEME_BY_DOMAIN = {
    "github.com": "github",
    "stripe.com": "stripe",
    "slack.com": "slack",
    "shopify.com": "shopify",
    "myshopify.com": "shopify",
    "twilio.com": "twilio",
    "squareup.com": "square",
    "squareupsandbox.com": "square",
    "zoom.us": "zoom",
    "twitch.tv": "twitch",
    "facebook.com": "meta",
}


def _webhook_scheme(api: Api) -> tuple[str, str | None]:
    """The verification scheme to suggest, and the host it was recognised from (if any)."""
    for server in api.servers:
        host = (urlsplit(_expand(server)).hostname or "").lower()
        for domain, scheme in _WEBHOOK_SCHEME_BY_DOMAIN.items():
            if host == domain or host.endswith("." + domain):
                return scheme, host
    return "standard", None


def _webhook_lines(api: Api, package: str, prefix: str) -> list[str]:
    if not api.webhooks:
        return []
    names = ", ".join(w.name for w in api.webhooks[:10])
    more = f" (+{len(api.webhooks) - 10} more)" if len(api.webhooks) > 10 else ""
    scheme, host = _webhook_scheme(api)
    why = f"  # recognised from {_comment(host)}" if host else "  # Standard Webhooks"
    lines = [
        f"# Webhooks the API sends: {_comment(names + more)}",
        "# scheme: standard, stripe, github, slack, shopify, twilio, square, hmac, ...",
        f"[webhooks.{toml_key(package)}]",
        f"name = {toml_string(package)}",
        f"path = {toml_string('/webhooks/' + package)}",
        f"scheme = {toml_string(scheme)}{why}",
        f"secret_env = {toml_string(prefix + '_WEBHOOK_SECRET')}",
    ]
    if scheme == "meta":
        # Meta's subscription handshake echoes a token the app chose.
        lines.append(f"verify_token_env = {toml_string(prefix + '_WEBHOOK_VERIFY_TOKEN')}")
    lines += ['inbox = ".apiweld/webhooks.sqlite3"', ""]
    return lines
