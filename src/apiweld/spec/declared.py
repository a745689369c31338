"""APIs with no description: `[[endpoints]]` declared in apiweld.toml, turned into the IR.

The declared endpoints are written out as an OpenAPI 3.1 document and handed to the same loader
as any description, so they get exactly the same names, schema normalisation and checks. Problems
the loader finds are pointed back at the TOML keys they came from (`/endpoints/2/response/schema`),
never at the intermediate document the user never wrote.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from typing import Any

from apiweld.config import (
    ApiweldConfig,
    AuthScheme,
    ConfigError,
    ConfigProblem,
    DeclaredEndpoint,
    DeclaredParameter,
    KeyPath,
)
from apiweld.spec.ir import Api, Problem

_PATH_PARAM = re.compile(r"\{([^{}/]+)\}")
DEFAULT_API_KEY_HEADER = "X-API-Key"


@dataclasses.dataclass(frozen=True, slots=True)
class DeclaredApi:
    api: Api
    endpoint_of: Mapping[tuple[str, str], int]
    """(method, path) -> index in `[[endpoints]]`, to find each operation's TOML table."""


def load_declared(config: ApiweldConfig) -> DeclaredApi:
    """The IR of the endpoints declared in `config`; raises `ConfigError` naming TOML keys."""
    # Imported here: the loader is heavy, and `apiweld.config` users should not pay for it.
    from apiweld.spec import SpecError, load

    file = str(config.source_path) if config.source_path else None
    document, origins, problems = declared_document(config)
    if any(p.severity == "error" for p in problems):
        raise ConfigError(problems)
    try:
        api = load(
            document,
            root=config.root_dir,
            allow_network=config.api.allow_network,
            allow_outside_root=config.api.allow_outside_root,
        )
    except SpecError as exc:
        raise ConfigError(
            [*problems, *(_to_config_problem(p, origins, file) for p in exc.problems)]
        ) from None
    carried = tuple(as_problem(p) for p in problems)
    remapped = tuple(_remap(p, origins, file) for p in api.problems)
    api = dataclasses.replace(
        api,
        source_format="apiweld.toml",
        source=file,
        problems=carried + remapped,
    )
    endpoint_of: dict[tuple[str, str], int] = {
        (e.method, e.path): i for i, e in enumerate(config.endpoints)
    }
    return DeclaredApi(api, endpoint_of)


def declared_document(
    config: ApiweldConfig,
) -> tuple[dict[str, Any], dict[str, KeyPath], list[ConfigProblem]]:
    """An OpenAPI 3.1 document for the declared endpoints, where each part came from, problems."""
    file = str(config.source_path) if config.source_path else None
    problems: list[ConfigProblem] = []
    origins: dict[str, KeyPath] = {"/info": ("api",)}
    if not config.endpoints:
        problems.append(
            ConfigProblem(
                "error",
                (),
                "no API: set [api] description to an OpenAPI/Swagger file or URL, or declare "
                "operations in [[endpoints]] tables",
                file,
            )
        )
    title = config.api.title or config.api.package or "API"
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": title, "version": config.api.version},
        "paths": {},
    }
    servers: list[dict[str, str]] = []
    for name, environment in _environments_default_first(config):
        origins[f"/servers/{len(servers)}"] = ("environments", name)
        origins[f"/servers/{len(servers)}/url"] = ("environments", name, "base_url")
        servers.append({"url": environment.base_url, "description": name})
    if servers:
        document["servers"] = servers
    components: dict[str, Any] = {}
    if config.schemas:
        components["schemas"] = {
            name: _expand_refs(schema) for name, schema in config.schemas.items()
        }
        for name in config.schemas:
            origins["/components/schemas/" + _escape(name)] = ("schemas", name)
    if config.auth:
        schemes: dict[str, Any] = {}
        for name, scheme in config.auth.items():
            schemes[name] = _security_scheme(name, scheme, problems, file)
            origins["/components/securitySchemes/" + _escape(name)] = ("auth", name)
        components["securitySchemes"] = schemes
        document["security"] = [{name: []} for name in config.auth]
    if components:
        document["components"] = components

    seen: dict[tuple[str, str], int] = {}
    for index, endpoint in enumerate(config.endpoints):
        where: KeyPath = ("endpoints", index)
        key = (endpoint.method, endpoint.path)
        if key in seen:
            problems.append(
                ConfigProblem(
                    "error",
                    where,
                    f"{endpoint.method.upper()} {endpoint.path} is already declared by "
                    f"endpoints[{seen[key]}]",
                    file,
                )
            )
            continue
        seen[key] = index
        path_item = document["paths"].setdefault(endpoint.path, {})
        pointer = f"/paths/{_escape(endpoint.path)}/{endpoint.method}"
        origins[pointer] = where
        origins[pointer + "/operationId"] = (*where, "id")
        path_item[endpoint.method] = _operation(endpoint, config, where, pointer, origins, problems)
    return document, origins, [dataclasses.replace(p, file=p.file or file) for p in problems]


def _environments_default_first(config: ApiweldConfig) -> Iterator[tuple[str, Any]]:
    default = config.api.default_environment
    if default is not None:
        yield default, config.environments[default]
    yield from ((n, e) for n, e in config.environments.items() if n != default)


def _security_scheme(
    name: str, scheme: AuthScheme, problems: list[ConfigProblem], file: str | None
) -> dict[str, Any]:
    kind = scheme.effective_type
    if kind == "api_key":
        return {
            "type": "apiKey",
            "in": scheme.location,
            "name": scheme.param_name or DEFAULT_API_KEY_HEADER,
        }
    if kind == "bearer":
        return {"type": "http", "scheme": "bearer"}
    if kind == "basic":
        return {"type": "http", "scheme": "basic"}
    if scheme.token_url is None:
        problems.append(
            ConfigProblem(
                "error",
                ("auth", name, "token_url"),
                f"an OAuth2 scheme ({kind}) of a declared API needs token_url",
                file,
            )
        )
        return {"type": "http", "scheme": "bearer"}
    scopes = {scope: "" for scope in scheme.scopes}
    if kind == "oauth2_client_credentials":
        flows = {"clientCredentials": {"tokenUrl": scheme.token_url, "scopes": scopes}}
    else:
        # A refresh token is obtained out of band by an authorization-code flow; the token URL
        # is the only part a client uses, so it stands in for both URLs.
        flows = {
            "authorizationCode": {
                "authorizationUrl": scheme.token_url,
                "tokenUrl": scheme.token_url,
                "refreshUrl": scheme.token_url,
                "scopes": scopes,
            }
        }
    return {"type": "oauth2", "flows": flows}


def _operation(
    endpoint: DeclaredEndpoint,
    config: ApiweldConfig,
    where: KeyPath,
    pointer: str,
    origins: dict[str, KeyPath],
    problems: list[ConfigProblem],
) -> dict[str, Any]:
    operation: dict[str, Any] = {}
    for key, value in (
        ("operationId", endpoint.id),
        ("summary", endpoint.summary),
        ("description", endpoint.description),
    ):
        if value is not None:
            operation[key] = value
    if endpoint.tags:
        operation["tags"] = list(endpoint.tags)
    if endpoint.deprecated:
        operation["deprecated"] = True
    parameters = _parameters(endpoint, where, pointer, origins, problems)
    if parameters:
        operation["parameters"] = parameters
    if endpoint.body is not None:
        body = endpoint.body
        operation["requestBody"] = {
            "required": body.required,
            "content": {body.content_type: {"schema": _expand_refs(body.schema_)}},
        }
        if body.description:
            operation["requestBody"]["description"] = body.description
        origins[pointer + "/requestBody"] = (*where, "body")
        body_schema = f"{pointer}/requestBody/content/{_escape(body.content_type)}/schema"
        origins[body_schema] = (*where, "body", "schema")
    operation["responses"] = _responses(endpoint, where, pointer, origins)
    if endpoint.security is not None:
        unknown = [name for name in endpoint.security if name not in config.auth]
        if unknown:
            known = ", ".join(sorted(config.auth)) or "none"
            problems.append(
                ConfigProblem(
                    "error",
                    (*where, "security"),
                    f"unknown auth scheme(s) {', '.join(map(repr, unknown))}; [auth] has {known}",
                )
            )
        operation["security"] = [{name: []} for name in endpoint.security if name in config.auth]
    return operation


def _parameters(
    endpoint: DeclaredEndpoint,
    where: KeyPath,
    pointer: str,
    origins: dict[str, KeyPath],
    problems: list[ConfigProblem],
) -> list[dict[str, Any]]:
    in_template = _PATH_PARAM.findall(endpoint.path)
    declared = list(endpoint.parameters)
    result = []
    for index, parameter in enumerate(declared):
        param_where = (*where, "parameters", index)
        if parameter.location == "path" and parameter.name not in in_template:
            problems.append(
                ConfigProblem(
                    "error",
                    param_where,
                    f"path parameter {parameter.name!r} is not in the path {endpoint.path!r}",
                )
            )
        origins[f"{pointer}/parameters/{index}"] = param_where
        schema_key = "schema" if parameter.schema_ is not None else "type"
        origins[f"{pointer}/parameters/{index}/schema"] = (*param_where, schema_key)
        result.append(_parameter(parameter))
    declared_path_names = {p.name for p in declared if p.location == "path"}
    for name in in_template:
        if name in declared_path_names:
            continue
        # OpenAPI demands a declaration for every template variable; a string is the only type
        # a path segment is sure to be, so it is assumed, and the user is told.
        problems.append(
            ConfigProblem(
                "warning",
                (*where, "path"),
                f"path parameter {name!r} is not declared in parameters; assumed a required string",
            )
        )
        origins[f"{pointer}/parameters/{len(result)}"] = (*where, "path")
        result.append({"name": name, "in": "path", "required": True, "schema": {"type": "string"}})
    if endpoint.idempotency_header and not any(
        p.location == "header" and p.name.lower() == endpoint.idempotency_header.lower()
        for p in declared
    ):
        origins[f"{pointer}/parameters/{len(result)}"] = (*where, "idempotency_header")
        result.append(
            {
                "name": endpoint.idempotency_header,
                "in": "header",
                "required": False,
                "description": "Retries with the same key are applied once.",
                "schema": {"type": "string"},
            }
        )
    return result


def _parameter(parameter: DeclaredParameter) -> dict[str, Any]:
    schema: dict[str, Any]
    if parameter.schema_ is not None:
        schema = _expand_refs(parameter.schema_)
    elif parameter.type == "array":
        schema = {"type": "array", "items": {"type": "string"}}
    else:
        schema = {"type": parameter.type}
    result: dict[str, Any] = {
        "name": parameter.name,
        "in": parameter.location,
        "required": parameter.required or parameter.location == "path",
        "schema": schema,
    }
    if parameter.description:
        result["description"] = parameter.description
    if parameter.style is not None:
        result["style"] = parameter.style
    if parameter.explode is not None:
        result["explode"] = parameter.explode
    return result


def _responses(
    endpoint: DeclaredEndpoint, where: KeyPath, pointer: str, origins: dict[str, KeyPath]
) -> dict[str, Any]:
    response = endpoint.response
    if response is None:
        # Nothing said about the response: the client still returns the parsed JSON, untyped.
        return {"200": {"description": "OK", "content": {"application/json": {"schema": {}}}}}
    status = str(response.status)
    origins[f"{pointer}/responses/{status}"] = (*where, "response")
    entry: dict[str, Any] = {"description": response.description or "OK"}
    if response.schema_ is not None:
        entry["content"] = {response.content_type: {"schema": _expand_refs(response.schema_)}}
        schema_pointer = (
            f"{pointer}/responses/{status}/content/{_escape(response.content_type)}/schema"
        )
        origins[schema_pointer] = (*where, "response", "schema")
    return {status: entry}


def _expand_refs(schema: Any) -> Any:
    """`"$ref" = "Pet"` is shorthand for `"#/components/schemas/Pet"` in TOML schema tables."""
    if isinstance(schema, dict):
        expanded = {key: _expand_refs(value) for key, value in schema.items()}
        ref = expanded.get("$ref")
        if isinstance(ref, str) and ref and "#" not in ref and "/" not in ref:
            expanded["$ref"] = "#/components/schemas/" + _escape(ref)
        return expanded
    if isinstance(schema, list):
        return [_expand_refs(item) for item in schema]
    return schema


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _toml_pointer(pointer: str, origins: Mapping[str, KeyPath]) -> tuple[KeyPath, str]:
    """The TOML key path a generated-document pointer came from, and the part below it."""
    candidate = pointer
    while True:
        if candidate in origins:
            rest = pointer[len(candidate) :]
            return origins[candidate], rest
        if not candidate:
            return (), pointer
        candidate = candidate.rpartition("/")[0]


def _to_config_problem(
    problem: Problem, origins: Mapping[str, KeyPath], file: str | None
) -> ConfigProblem:
    key_path, rest = _toml_pointer(problem.pointer, origins)
    below = tuple(_unescape(token) for token in rest.split("/")[1:]) if rest else ()
    return ConfigProblem(problem.severity, (*key_path, *below), problem.message, file)


def _remap(problem: Problem, origins: Mapping[str, KeyPath], file: str | None) -> Problem:
    return as_problem(_to_config_problem(problem, origins, file))


def as_problem(problem: ConfigProblem) -> Problem:
    """A config problem in the IR's form: the pointer is into the TOML document."""
    return Problem(problem.severity, problem.pointer, problem.message, problem.file)
