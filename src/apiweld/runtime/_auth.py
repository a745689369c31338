"""Auth providers: API key, HTTP Basic, Bearer, OAuth2 (client credentials, refresh token), custom.

Providers only decorate an outgoing request (`AuthTarget`); the client decides which providers an
operation needs. OAuth2 providers fetch tokens lazily through a small HTTP callable the client
hands them (so token requests use the same transport, timeouts and proxies), cache them until
shortly before expiry, and refresh once on a 401; concurrent callers share one refresh.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote, urlencode

import orjson

from ._errors import APIError, APIResponseValidationError, status_error_class
from ._models import Headers
from ._secrets import Secret, as_secret

__all__ = [
    "ApiKeyAuth",
    "AuthProvider",
    "AuthTarget",
    "BasicAuth",
    "BearerAuth",
    "CallableAuth",
    "OAuth2ClientCredentials",
    "OAuth2RefreshToken",
    "OAuthToken",
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
        self._value = Secret(prefix + Secret(value).get_secret_value())
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

    @classmethod
    def from_env(cls, username_variable: str, password_variable: str) -> BasicAuth:
        return cls(Secret.from_env(username_variable), Secret.from_env(password_variable))

    def authorize(self, target: AuthTarget) -> None:
        target.headers["Authorization"] = self._header.get_secret_value()


class BearerAuth(AuthProvider):
    sensitive_names = frozenset({"authorization"})

    def __init__(self, token: str | Secret, *, scheme: str = "Bearer") -> None:
        self._header = Secret(f"{scheme} {Secret(token).get_secret_value()}")

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


@dataclass(frozen=True, slots=True)
class OAuthToken:
    access_token: Secret
    token_type: str = "Bearer"  # noqa: S105 - an auth scheme name, not a secret
    expires_at: float | None = None
    """Epoch seconds; None when the server gave no lifetime."""
    refresh_token: Secret | None = None
    scope: str | None = None

    def usable(self, skew: float, now: float | None = None) -> bool:
        if self.expires_at is None:
            return True
        return (time.time() if now is None else now) < self.expires_at - skew

    def ttl(self, now: float | None = None) -> float | None:
        if self.expires_at is None:
            return None
        return max(0.0, self.expires_at - (time.time() if now is None else now))


class _OAuth2Base(AuthProvider):
    """Token lifecycle shared by the OAuth2 grants: lazy fetch, cache, single-flight refresh."""

    sensitive_names = frozenset({"authorization"})

    def __init__(
        self,
        token_url: str,
        *,
        client_id: str | None,
        client_secret: str | Secret | None,
        scopes: Sequence[str] = (),
        client_auth: Literal["basic", "body"] = "basic",
        expiry_skew: float = 30.0,
        extra_params: Mapping[str, str] | None = None,
        cache: Any = None,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = as_secret(client_secret)
        self.scopes = tuple(scopes)
        self.client_auth = client_auth
        self.expiry_skew = expiry_skew
        self.extra_params = dict(extra_params or {})
        self.cache = cache
        self._token: OAuthToken | None = None
        self._thread_lock = threading.Lock()
        self._loop_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self.token_fetches = 0
        """How many times a token was requested from the server (for metrics and tests)."""

    # -- what each grant sends ------------------------------------------------------------
    def _grant_fields(self) -> dict[str, str]:
        raise NotImplementedError

    def _remember(self, token: OAuthToken) -> None:
        self._token = token

    # -- request building / parsing --------------------------------------------------------
    def _token_request(self) -> tuple[dict[str, str], dict[str, str]]:
        form = self._grant_fields()
        if self.scopes:
            form["scope"] = " ".join(self.scopes)
        form.update(self.extra_params)
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        if self.client_id is not None:
            secret = self._client_secret.get_secret_value() if self._client_secret else ""
            if self.client_auth == "basic" and self._client_secret is not None:
                # RFC 6749 2.3.1: form-urlencode both parts before base64.
                raw = f"{quote(self.client_id, safe='')}:{quote(secret, safe='')}"
                headers["Authorization"] = "Basic " + base64.b64encode(raw.encode()).decode()
            else:
                form["client_id"] = self.client_id
                if self._client_secret is not None:
                    form["client_secret"] = secret
        return form, headers

    def _parse_token(self, response: TokenResponse) -> OAuthToken:
        status, headers, body = response
        payload = _decode_token_body(headers, body)
        if not 200 <= status < 300:
            error = payload.get("error") if isinstance(payload, dict) else None
            described = f" ({error})" if isinstance(error, str) else ""
            raise status_error_class(status)(
                f"token endpoint answered {status}{described}",
                status_code=status,
                method="POST",
                url=self.token_url,
                headers=headers,
                body={"error": error} if isinstance(error, str) else None,
            )
        access = payload.get("access_token") if isinstance(payload, dict) else None
        if not isinstance(access, str) or not access:
            raise APIResponseValidationError(
                "token endpoint response has no access_token", method="POST", url=self.token_url
            )
        expires_in = payload.get("expires_in")
        expires_at: float | None = None
        if isinstance(expires_in, (int, float, str)) and str(expires_in).strip():
            try:
                expires_at = time.time() + float(expires_in)
            except ValueError:
                expires_at = None
        refresh = payload.get("refresh_token")
        token_type = payload.get("token_type")
        return OAuthToken(
            access_token=Secret(access),
            token_type="Bearer"
            if not isinstance(token_type, str) or token_type.lower() == "bearer"
            else token_type,
            expires_at=expires_at,
            refresh_token=Secret(refresh) if isinstance(refresh, str) and refresh else None,
            scope=payload.get("scope") if isinstance(payload.get("scope"), str) else None,
        )

    def _usable(self) -> OAuthToken | None:
        token = self._token
        if token is not None and token.usable(self.expiry_skew):
            return token
        return None

    def _set_header(self, target: AuthTarget, token: OAuthToken) -> None:
        target.headers["Authorization"] = (
            f"{token.token_type} {token.access_token.get_secret_value()}"
        )
        target.used_tokens[id(self)] = token

    # -- sync -------------------------------------------------------------------------------
    def _fetch(self, http: SyncTokenHTTP) -> OAuthToken:
        form, headers = self._token_request()
        self.token_fetches += 1
        token = self._parse_token(http(self.token_url, form, headers))
        self._remember(token)
        return token

    def apply(self, target: AuthTarget, http: SyncTokenHTTP) -> None:
        token = self._usable()
        if token is None:
            with self._thread_lock:
                token = self._usable() or self._fetch(http)
        self._set_header(target, token)

    def refresh_after_unauthorized(self, target: AuthTarget, http: SyncTokenHTTP) -> bool:
        stale = target.used_tokens.get(id(self))
        with self._thread_lock:
            current = self._token
            if current is None or current is stale:
                self._token = None
                current = self._fetch(http)
        self._set_header(target, current)
        return True

    # -- async ------------------------------------------------------------------------------
    def _loop_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._loop_locks.get(loop)
        if lock is None:
            lock = self._loop_locks[loop] = asyncio.Lock()
        return lock

    async def _fetch_async(self, http: AsyncTokenHTTP) -> OAuthToken:
        form, headers = self._token_request()
        self.token_fetches += 1
        token = self._parse_token(await http(self.token_url, form, headers))
        self._remember(token)
        return token

    async def apply_async(self, target: AuthTarget, http: AsyncTokenHTTP) -> None:
        token = self._usable()
        if token is None:
            async with self._loop_lock():
                token = self._usable() or await self._fetch_async(http)
        self._set_header(target, token)

    async def refresh_after_unauthorized_async(
        self, target: AuthTarget, http: AsyncTokenHTTP
    ) -> bool:
        stale = target.used_tokens.get(id(self))
        async with self._loop_lock():
            current = self._token
            if current is None or current is stale:
                self._token = None
                current = await self._fetch_async(http)
        self._set_header(target, current)
        return True

    def __repr__(self) -> str:
        return f"{type(self).__name__}(token_url={self.token_url!r}, client_id={self.client_id!r})"


class OAuth2ClientCredentials(_OAuth2Base):
    """RFC 6749 4.4: the client authenticates as itself."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str | Secret,
        *,
        scopes: Sequence[str] = (),
        audience: str | None = None,
        client_auth: Literal["basic", "body"] = "basic",
        expiry_skew: float = 30.0,
        extra_params: Mapping[str, str] | None = None,
        cache: Any = None,
    ) -> None:
        params = dict(extra_params or {})
        if audience is not None:
            params["audience"] = audience
        super().__init__(
            token_url,
            client_id=client_id,
            client_secret=client_secret,
            scopes=scopes,
            client_auth=client_auth,
            expiry_skew=expiry_skew,
            extra_params=params,
            cache=cache,
        )

    @classmethod
    def from_env(
        cls,
        token_url: str,
        client_id_variable: str,
        client_secret_variable: str,
        **options: Any,
    ) -> OAuth2ClientCredentials:
        client_id = Secret.from_env(client_id_variable).get_secret_value()
        return cls(token_url, client_id, Secret.from_env(client_secret_variable), **options)

    def _grant_fields(self) -> dict[str, str]:
        return {"grant_type": "client_credentials"}


class OAuth2RefreshToken(_OAuth2Base):
    """RFC 6749 6: trade a long-lived refresh token for access tokens (rotation supported)."""

    def __init__(
        self,
        token_url: str,
        refresh_token: str | Secret,
        *,
        client_id: str | None = None,
        client_secret: str | Secret | None = None,
        scopes: Sequence[str] = (),
        client_auth: Literal["basic", "body"] = "basic",
        expiry_skew: float = 30.0,
        extra_params: Mapping[str, str] | None = None,
        cache: Any = None,
    ) -> None:
        super().__init__(
            token_url,
            client_id=client_id,
            client_secret=client_secret,
            scopes=scopes,
            client_auth=client_auth,
            expiry_skew=expiry_skew,
            extra_params=extra_params,
            cache=cache,
        )
        self._refresh_token = Secret(refresh_token)

    @classmethod
    def from_env(
        cls, token_url: str, refresh_token_variable: str, **options: Any
    ) -> OAuth2RefreshToken:
        return cls(token_url, Secret.from_env(refresh_token_variable), **options)

    def _grant_fields(self) -> dict[str, str]:
        return {
            "grant_type": "refresh_token",
            "refresh_token": self._refresh_token.get_secret_value(),
        }

    def _remember(self, token: OAuthToken) -> None:
        if token.refresh_token is not None:
            self._refresh_token = token.refresh_token
        super()._remember(token)


def _decode_token_body(headers: Headers, body: bytes) -> Any:
    content_type = headers.get("content-type", "")
    if "application/x-www-form-urlencoded" in content_type or "text/plain" in content_type:
        from urllib.parse import parse_qsl

        return dict(parse_qsl(body.decode("utf-8", "replace")))
    try:
        return orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        return {}


def encode_form(form: Mapping[str, str]) -> bytes:
    return urlencode(form).encode("ascii")


def missing_credentials(operation_id: str, alternatives: Sequence[Sequence[str]]) -> APIError:
    readable = "; ".join(" + ".join(names) for names in alternatives) or "(none)"
    return APIError(
        f"operation {operation_id!r} needs credentials for one of: {readable}; "
        "pass them to the client's auth= mapping"
    )
