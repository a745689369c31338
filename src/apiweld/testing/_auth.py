"""Credentials for contract checks: applied per security scheme, and kept out of every report."""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from apiweld.spec.ir import Api, Operation, SecurityRequirement, SecurityScheme

REDACTED = "[redacted]"
SENSITIVE_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key"}
)
_BOGUS_SECRET = "apiweld-invalid-credential"  # noqa: S105 - deliberately wrong, not a secret


class CredentialError(ValueError):
    """A credential could not be read (e.g. its environment variable is not set)."""


@dataclass(frozen=True, slots=True)
class AuthPlacement:
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)


class Credentials:
    """Secrets by security-scheme name. The repr never shows them."""

    def __init__(self, secrets: Mapping[str, str] | None = None) -> None:
        self._secrets = {name: value for name, value in (secrets or {}).items() if value}

    def __repr__(self) -> str:
        return f"Credentials(schemes={sorted(self._secrets)!r})"

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def get(self, scheme: str) -> str | None:
        return self._secrets.get(scheme)

    def values(self) -> list[str]:
        return list(self._secrets.values())

    @classmethod
    def from_env(
        cls, api: Api, env_names: Mapping[str, str], *, environ: Mapping[str, str] | None = None
    ) -> Credentials:
        """Read each scheme's secret from its named environment variable.

        A scheme without an explicit name is looked up as `APIWELD_AUTH_<SCHEME>`
        (upper-cased Python name of the scheme) and is simply absent when unset.
        """
        env = os.environ if environ is None else environ
        secrets: dict[str, str] = {}
        for scheme_name, variable in env_names.items():
            if scheme_name not in api.security_schemes:
                known = ", ".join(sorted(api.security_schemes)) or "none"
                raise CredentialError(
                    f"unknown security scheme {scheme_name!r} (the description has: {known})"
                )
            value = env.get(variable)
            if not value:
                raise CredentialError(
                    f"environment variable {variable} (credential for {scheme_name!r}) is not set"
                )
            secrets[scheme_name] = value
        for scheme in api.security_schemes.values():
            if scheme.name not in secrets:
                value = env.get(default_env_name(scheme))
                if value:
                    secrets[scheme.name] = value
        return cls(secrets)


def default_env_name(scheme: SecurityScheme) -> str:
    return "APIWELD_AUTH_" + re.sub(r"[^A-Za-z0-9]+", "_", scheme.py_name).strip("_").upper()


def requires_auth(api: Api, operation: Operation) -> bool:
    """True when every alternative of the operation's security needs some credential."""
    requirements = api.security_for(operation)
    return bool(requirements) and all(len(requirement) > 0 for requirement in requirements)


def _place(scheme: SecurityScheme, secret: str, placement: AuthPlacement) -> bool:
    if scheme.type == "apiKey" and scheme.param_name:
        target = {
            "header": placement.headers,
            "query": placement.query,
            "cookie": placement.cookies,
        }.get(scheme.location or "header", placement.headers)
        target[scheme.param_name] = secret
        return True
    if scheme.type == "http" and scheme.scheme == "basic":
        token = base64.b64encode(secret.encode()).decode("ascii")
        placement.headers["Authorization"] = f"Basic {token}"
        return True
    if scheme.type in ("http", "oauth2", "openIdConnect"):
        # Bearer for http bearer, and an already-obtained access token for OAuth/OIDC.
        kind = (scheme.scheme or "bearer").capitalize()
        placement.headers["Authorization"] = f"{kind} {secret}"
        return True
    return False


def _try_requirement(
    api: Api, requirement: SecurityRequirement, secret_for: Mapping[str, str]
) -> AuthPlacement | None:
    placement = AuthPlacement()
    for scheme_name, _scopes in requirement:
        scheme = api.security_schemes.get(scheme_name)
        secret = secret_for.get(scheme_name)
        if scheme is None or secret is None or not _place(scheme, secret, placement):
            return None
    return placement


def authenticate(api: Api, operation: Operation, credentials: Credentials) -> AuthPlacement | None:
    """Where to put credentials for the first requirement they satisfy; None when none is."""
    requirements = api.security_for(operation)
    if not requirements:
        return AuthPlacement()
    secrets = {name: value for name in api.security_schemes if (value := credentials.get(name))}
    for requirement in requirements:
        placement = _try_requirement(api, requirement, secrets)
        if placement is not None:
            return placement
    return None


def bogus_authentication(api: Api, operation: Operation) -> AuthPlacement | None:
    """Well-formed but wrong credentials for the operation's first requirement."""
    for requirement in api.security_for(operation):
        names = [name for name, _ in requirement]
        placement = _try_requirement(
            api, requirement, {name: f"{_BOGUS_SECRET}:{_BOGUS_SECRET}" for name in names}
        )
        if placement is not None and requirement:
            return placement
    return None


@dataclass(frozen=True, slots=True)
class Redactor:
    """Removes secrets from what is recorded: sensitive headers, key parameters, known values."""

    secrets: tuple[str, ...] = ()
    header_names: frozenset[str] = SENSITIVE_HEADERS
    query_names: frozenset[str] = frozenset()

    @classmethod
    def for_api(
        cls,
        api: Api,
        credentials: Credentials,
        extra: Iterable[str] = (),
        extra_headers: Iterable[str] = (),
    ) -> Redactor:
        """`extra`: more secret values; `extra_headers`: more header names to hide entirely."""
        headers = set(SENSITIVE_HEADERS) | {name.lower() for name in extra_headers}
        query: set[str] = set()
        for scheme in api.security_schemes.values():
            if scheme.type == "apiKey" and scheme.param_name:
                if scheme.location == "query":
                    query.add(scheme.param_name)
                else:
                    headers.add(scheme.param_name.lower())
        known: set[str] = set()
        for secret in (*credentials.values(), *extra):
            # A Basic pair also travels as its password alone (echoed in errors) and as base64.
            known.update({secret, *secret.split(":", 1)[1:]})
            known.add(base64.b64encode(secret.encode()).decode("ascii"))
        values = tuple(sorted(known, key=len, reverse=True))
        return cls(values, frozenset(headers), frozenset(query))

    def text(self, text: str) -> str:
        for secret in self.secrets:
            if len(secret) >= 4:
                text = text.replace(secret, REDACTED)
        return text

    def headers(self, headers: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
        return tuple(
            (name, REDACTED if name.lower() in self.header_names else self.text(value))
            for name, value in headers
        )

    def url(self, url: str) -> str:
        parts = urlsplit(url)
        if parts.query and self.query_names:
            pairs = [
                (k, REDACTED if k in self.query_names else v)
                for k, v in parse_qsl(parts.query, keep_blank_values=True)
            ]
            parts = parts._replace(query=urlencode(pairs, safe="[]"))
        if parts.password:
            netloc = parts.netloc.replace(f":{parts.password}@", f":{REDACTED}@")
            parts = parts._replace(netloc=netloc)
        return self.text(urlunsplit(parts))
