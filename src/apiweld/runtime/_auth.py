"""Auth providers: API key, HTTP Basic, Bearer and custom callables (OAuth2 is in `_oauth.py`).

Providers only decorate an outgoing request (`AuthTarget`); the client decides which providers an
operation needs. Providers that fetch credentials (OAuth2) get a small HTTP callable from the
client, so token requests use the same transport, timeouts and proxies as API calls.
"""

from __future__ import annotations

import base64
import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

from ._errors import APIError
from ._models import Headers
from ._secrets import Secret

__all__ = [
    "ApiKeyAuth",
    "AuthProvider",
    "AuthTarget",
    "BasicAuth",
    "BearerAuth",
    "CallableAuth",
]

TokenResponse = tuple[int, Headers, bytes]
SyncTokenHTTP = Callable[[str, Mapping[str, str], Mapping[str, str]], TokenResponse]
AsyncTokenHTTP = Callable[[str, Mapping[str, str], Mapping[str, str]], Awaitable[TokenResponse]]


@dataclass(slots=True)
class AuthTarget:
    """The parts of an outgoing request a provider may add to."""

    headers: dict[str, str] = field(default_factory=dict)
    query: list[tuple[str, str]] = field(default_factory=list)
    cookies: dict[str, str] = field(default_factory=dict)
    used_tokens: dict[int, Any] = field(default_factory=dict)
    """Provider id -> the token it applied, so a 401 refresh knows which token failed."""


class AuthProvider:
    """Base class. Static providers override `authorize`; token-fetching ones `apply*`."""

    sensitive_names: frozenset[str] = frozenset()
    """Header, query and cookie names that carry this provider's secrets (always redacted)."""

    def authorize(self, target: AuthTarget) -> None:
        raise NotImplementedError

    def secret_values(self) -> tuple[str, ...]:
        """The credentials this provider sends, so errors can mask them wherever they appear."""
        return ()

    def apply(self, target: AuthTarget, http: SyncTokenHTTP) -> None:
        self.authorize(target)

    async def apply_async(self, target: AuthTarget, http: AsyncTokenHTTP) -> None:
        self.authorize(target)

    def refresh_after_unauthorized(self, target: AuthTarget, http: SyncTokenHTTP) -> bool:
        """Called once after a 401; True when a replay with fresh credentials is worth it."""
        return False

    async def refresh_after_unauthorized_async(
        self, target: AuthTarget, http: AsyncTokenHTTP
    ) -> bool:
        return False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(...)"


class ApiKeyAuth(AuthProvider):
    def __init__(
        self,
        value: str | Secret,
        *,
        name: str = "X-API-Key",
        location: Literal["header", "query", "cookie"] = "header",
        prefix: str = "",
    ) -> None:
        if location not in ("header", "query", "cookie"):
            raise ValueError(
                f"ApiKeyAuth location must be header, query or cookie, not {location!r}"
            )
        self._raw = Secret(value)
        self._value = Secret(prefix + self._raw.get_secret_value())
        self.name = name
        self.location = location
        self.sensitive_names = frozenset({name.lower()})

    @classmethod
    def from_env(
        cls,
        variable: str,
        *,
        name: str = "X-API-Key",
        location: Literal["header", "query", "cookie"] = "header",
        prefix: str = "",
    ) -> ApiKeyAuth:
        return cls(Secret.from_env(variable), name=name, location=location, prefix=prefix)

    def secret_values(self) -> tuple[str, ...]:
        return (self._raw.get_secret_value(),)

    def authorize(self, target: AuthTarget) -> None:
        value = self._value.get_secret_value()
        if self.location == "header":
            target.headers[self.name] = value
        elif self.location == "query":
            target.query.append((self.name, value))
        else:
            target.cookies[self.name] = value

    def __repr__(self) -> str:
        return f"ApiKeyAuth(name={self.name!r}, location={self.location!r}, value=Secret('***'))"


class BasicAuth(AuthProvider):
    sensitive_names = frozenset({"authorization"})

    def __init__(self, username: str | Secret, password: str | Secret) -> None:
        user = Secret(username).get_secret_value()
        secret = Secret(password).get_secret_value()
        token = base64.b64encode(f"{user}:{secret}".encode()).decode("ascii")
        self._header = Secret(f"Basic {token}")
        self._secrets = (Secret(secret), Secret(token))

    def secret_values(self) -> tuple[str, ...]:
        return tuple(secret.get_secret_value() for secret in self._secrets)

    @classmethod
    def from_env(cls, username_variable: str, password_variable: str) -> BasicAuth:
        return cls(Secret.from_env(username_variable), Secret.from_env(password_variable))

    def authorize(self, target: AuthTarget) -> None:
        target.headers["Authorization"] = self._header.get_secret_value()


class BearerAuth(AuthProvider):
    sensitive_names = frozenset({"authorization"})

    def __init__(self, token: str | Secret, *, scheme: str = "Bearer") -> None:
        self._token = Secret(token)
        self._header = Secret(f"{scheme} {self._token.get_secret_value()}")

    def secret_values(self) -> tuple[str, ...]:
        return (self._token.get_secret_value(),)

    @classmethod
    def from_env(cls, variable: str, *, scheme: str = "Bearer") -> BearerAuth:
        return cls(Secret.from_env(variable), scheme=scheme)

    def authorize(self, target: AuthTarget) -> None:
        target.headers["Authorization"] = self._header.get_secret_value()


class CallableAuth(AuthProvider):
    """`fn(target)` adds whatever it needs; async clients also accept a coroutine function."""

    def __init__(
        self, fn: Callable[[AuthTarget], Any], *, sensitive_names: Sequence[str] = ()
    ) -> None:
        self._fn = fn
        self._is_async = inspect.iscoroutinefunction(fn)
        self.sensitive_names = frozenset(name.lower() for name in sensitive_names)

    def authorize(self, target: AuthTarget) -> None:
        if self._is_async:
            raise TypeError("this CallableAuth is async; use it with an AsyncClient")
        self._fn(target)

    async def apply_async(self, target: AuthTarget, http: AsyncTokenHTTP) -> None:
        result = self._fn(target)
        if inspect.isawaitable(result):
            await result


def encode_form(form: Mapping[str, str]) -> bytes:
    return urlencode(form).encode("ascii")


def missing_credentials(operation_id: str, alternatives: Sequence[Sequence[str]]) -> APIError:
    readable = "; ".join(" + ".join(names) for names in alternatives) or "(none)"
    return APIError(
        f"operation {operation_id!r} needs credentials for one of: {readable}; "
        "pass them to the client's auth= mapping"
    )
