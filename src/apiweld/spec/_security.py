"""Security schemes (`components.securitySchemes`, converted `securityDefinitions`) into the IR."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

from apiweld.spec._errors import Problems
from apiweld.spec._refs import Location
from apiweld.spec.ir import OAuthFlow, SecurityRequirement, SecurityScheme
from apiweld.spec.names import to_snake, unique_name

__all__ = [
    "describe_slot",
    "schemes_sharing_a_slot",
    "security_schemes",
]

_SCHEME_TYPES: frozenset[str] = frozenset(
    {"apiKey", "http", "oauth2", "openIdConnect", "mutualTLS"}
)
_FLOW_KINDS = ("clientCredentials", "authorizationCode", "implicit", "password")
_API_KEY_LOCATIONS = ("header", "query", "cookie")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


Deref = Callable[[Any, Location], tuple[Any, Location, dict[str, Any]]]


def security_schemes(
    raw: Any, location: Location, problems: Problems, deref: Deref
) -> dict[str, SecurityScheme]:
    """The schemes by name; `deref` follows `$ref`s the way other components are followed."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.warn(location.pointer, "securitySchemes must be an object; ignored")
        return {}
    taken: set[str] = set()
    py_names = {name: unique_name(to_snake(name, fallback="auth"), taken) for name in sorted(raw)}
    schemes: dict[str, SecurityScheme] = {}
    for name, entry in raw.items():
        resolved, here, _ = deref(entry, location.child(name))
        if resolved is None:
            continue
        scheme = _scheme(name, py_names[name], resolved, here, problems)
        if scheme is not None:
            schemes[name] = scheme
    return schemes


def _scheme(
    name: str, py_name: str, raw: Any, location: Location, problems: Problems
) -> SecurityScheme | None:
    pointer = location.pointer
    if not isinstance(raw, dict):
        problems.warn(pointer, "a security scheme must be an object; ignored")
        return None
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in _SCHEME_TYPES:
        problems.warn(pointer + "/type", f"unknown security scheme type {kind!r}; ignored")
        return None
    common: dict[str, Any] = {
        "name": name,
        "py_name": py_name,
        "type": kind,
        "description": _text(raw.get("description")),
        "pointer": pointer,
    }
    if kind == "apiKey":
        where = raw.get("in")
        if where not in _API_KEY_LOCATIONS or not isinstance(raw.get("name"), str):
            problems.warn(
                pointer, "an apiKey scheme needs `name` and `in` (header, query or cookie); ignored"
            )
            return None
        return SecurityScheme(**common, param_name=raw["name"], location=where)
    if kind == "http":
        scheme = raw.get("scheme")
        if not isinstance(scheme, str):
            problems.warn(pointer + "/scheme", "an http scheme needs `scheme`; assuming bearer")
            scheme = "bearer"
        return SecurityScheme(
            **common, scheme=scheme.lower(), bearer_format=_text(raw.get("bearerFormat"))
        )
    if kind == "oauth2":
        return SecurityScheme(**common, flows=_flows(raw.get("flows"), pointer, problems))
    if kind == "openIdConnect":
        return SecurityScheme(**common, openid_connect_url=_text(raw.get("openIdConnectUrl")))
    return SecurityScheme(**common)


def _flows(raw: Any, pointer: str, problems: Problems) -> tuple[OAuthFlow, ...]:
    if not isinstance(raw, dict):
        problems.warn(pointer + "/flows", "an oauth2 scheme needs `flows`")
        return ()
    flows = []
    for kind, flow in raw.items():
        if kind not in _FLOW_KINDS or not isinstance(flow, dict):
            if kind[:2] != "x-":
                problems.warn(f"{pointer}/flows/{kind}", f"unknown OAuth2 flow {kind!r}; ignored")
            continue
        scopes = flow.get("scopes")
        flows.append(
            OAuthFlow(
                kind=cast(Any, kind),
                token_url=_text(flow.get("tokenUrl")),
                authorization_url=_text(flow.get("authorizationUrl")),
                refresh_url=_text(flow.get("refreshUrl")),
                scopes=tuple((str(k), str(v)) for k, v in scopes.items())
                if isinstance(scopes, dict)
                else (),
            )
        )
    return tuple(flows)


def _credential_form(scheme: SecurityScheme) -> str:
    """What is written in the slot: one bearer token serves every bearer, OAuth2 and OpenID
    Connect scheme (the flows say how to get it, not how to send it); one API key serves every
    API key scheme naming the same slot; Basic and other HTTP schemes are each their own."""
    if scheme.type in ("oauth2", "openIdConnect") or (
        scheme.type == "http" and scheme.scheme == "bearer"
    ):
        return "bearer"
    if scheme.type == "http":
        return f"http {scheme.scheme}"
    return scheme.type


def schemes_sharing_a_slot(
    requirement: SecurityRequirement, schemes: Mapping[str, SecurityScheme]
) -> list[tuple[tuple[str, str], list[str]]]:
    """The slots where one AND-set needs two different credentials (undefined schemes left out).

    A request has one `Authorization` header (one `X-Key`, one `?key=`): an API key named
    `Authorization` beside a bearer token, or Basic beside OAuth2, cannot both be sent, whatever
    the client does. Two OAuth2 schemes (Google's implicit and code flows) can: one token is both.
    """
    by_slot: dict[tuple[str, str], list[SecurityScheme]] = {}
    for name, _scopes in requirement:
        scheme = schemes.get(name)
        if scheme is not None:
            by_slot.setdefault(scheme.credential_slot, []).append(scheme)
    return [
        (slot, [scheme.name for scheme in sharing])
        for slot, sharing in by_slot.items()
        if len({_credential_form(scheme) for scheme in sharing}) > 1
    ]


def describe_slot(slot: tuple[str, str], schemes: Mapping[str, SecurityScheme], name: str) -> str:
    """`the Authorization header`, `the query parameter 'key'`, as the description spells it."""
    where, _ = slot
    scheme = schemes[name]
    if where == "header":
        shown = scheme.param_name if scheme.type == "apiKey" else "Authorization"
        return f"the {shown} header"
    if where == "tls":
        return "the TLS client certificate"
    return f"the {where} parameter {scheme.param_name!r}"
