"""OAuth2 providers: client credentials and refresh token.

Tokens are fetched lazily, kept in a `TokenCache` (memory by default; Redis to share them between
processes) until shortly before expiry, and refreshed once after a 401 before the request is
replayed. Concurrent callers share one fetch: the cache's per-key lock serialises them and each
re-reads the cache after waiting (`fetch_token_once`). A process-local copy of the current token
keeps the hot path free of cache round trips.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from urllib.parse import parse_qsl, quote

import orjson

from ._auth import AsyncTokenHTTP, AuthProvider, AuthTarget, SyncTokenHTTP, TokenResponse
from ._errors import (
    APIResponseValidationError,
    APIStatusError,
    AuthenticationError,
    status_error_class,
)
from ._models import Headers
from ._secrets import Secret, as_secret
from ._state import (
    MemoryTokenCache,
    Token,
    TokenCache,
    TokenResponseError,
    fetch_token_once,
    fetch_token_once_async,
)

__all__ = ["OAuth2ClientCredentials", "OAuth2RefreshToken"]


class _OAuth2Base(AuthProvider):
    sensitive_names = frozenset({"authorization"})

    def __init__(
        self,
        token_url: str,
        *,
        client_id: str | None,
        client_secret: str | Secret | None,
        scopes: Sequence[str],
        client_auth: Literal["basic", "body"],
        expiry_skew: float,
        extra_params: Mapping[str, str] | None,
        cache: TokenCache | None,
    ) -> None:
        if client_auth not in ("basic", "body"):
            raise ValueError(f"client_auth must be 'basic' or 'body', not {client_auth!r}")
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = as_secret(client_secret)
        self.scopes = tuple(scopes)
        self.client_auth = client_auth
        self.expiry_skew = expiry_skew
        self.extra_params = dict(extra_params or {})
        self.cache: TokenCache = cache if cache is not None else MemoryTokenCache()
        self._token: Token | None = None
        self.token_fetches = 0
        """Tokens this provider requested from the server (for metrics and tests)."""

    # -- what each grant sends ----------------------------------------------------------------
    def _grant_fields(self) -> dict[str, str]:
        raise NotImplementedError

    def _identity(self) -> str:
        return f"{self.token_url}|{self.client_id}|{' '.join(self.scopes)}"

    @property
    def cache_key(self) -> str:
        # Hashed: the key may sit in a shared Redis and must not reveal grant details.
        digest = hashlib.sha256(self._identity().encode()).hexdigest()[:32]
        return f"apiweld:oauth:{digest}"

    def _remember(self, token: Token) -> None:
        self._token = token

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
                # RFC 6749 2.3.1: each part is form-urlencoded before base64.
                raw = f"{quote(self.client_id, safe='')}:{quote(secret, safe='')}"
                headers["Authorization"] = "Basic " + base64.b64encode(raw.encode()).decode()
            else:
                form["client_id"] = self.client_id
                if self._client_secret is not None:
                    form["client_secret"] = secret
        return form, headers

    def _parse_token(self, response: TokenResponse) -> Token:
        """The token in a 2xx answer. The client has already retried what deserved it and turned
        a 400/401 into `AuthenticationError`; what is left here is a 3xx (never followed: the
        form carries credentials) or a 2xx that says `error` instead (GitHub answers so)."""
        status, headers, body = response
        payload = _decode_token_body(headers, body)
        error = payload.get("error") if isinstance(payload, dict) else None
        if not 200 <= status < 300 or (isinstance(error, str) and "access_token" not in payload):
            raise self._endpoint_error(status, headers, payload)
        try:
            return Token.from_response(payload)
        except TokenResponseError as exc:
            raise APIResponseValidationError(
                f"token endpoint response is not usable: {exc}",
                method="POST",
                url=self.token_url,
                status_code=status,
            ) from None

    def _endpoint_error(self, status: int, headers: Headers, payload: Any) -> APIStatusError:
        fields = payload if isinstance(payload, dict) else {}
        code, description = fields.get("error"), fields.get("error_description")
        oauth = {
            name: self._scrubbed(value)[:300]
            for name, value in (("error", code), ("error_description", description))
            if isinstance(value, str)
        }
        refused = 200 <= status < 300 or status in (400, 401)
        message = (
            f"token endpoint refused the request ({status})"
            if refused
            else f"token endpoint answered {status}"
        )
        for name in ("error", "error_description"):
            if name in oauth:
                message += f": {oauth[name]}"
        kind = AuthenticationError if refused else status_error_class(status)
        return kind(
            message,
            status_code=status,
            method="POST",
            url=self.token_url,
            headers={k: v for k, v in headers.items() if k.lower() != "set-cookie"},
            body=oauth or None,
        )

    def _scrubbed(self, text: str) -> str:
        for secret in self.secret_values():
            if secret and secret in text:
                text = text.replace(secret, "[REDACTED]")
        return text

    def secret_values(self) -> tuple[str, ...]:
        values = [self._client_secret.get_secret_value()] if self._client_secret else []
        token = self._token
        if token is not None:
            values.append(token.access_token.get_secret_value())
            if token.refresh_token is not None:
                values.append(token.refresh_token.get_secret_value())
        return tuple(values)

    def _usable_local(self) -> Token | None:
        token = self._token
        if token is not None and token.is_fresh(self.expiry_skew):
            return token
        return None

    def _set_header(self, target: AuthTarget, token: Token) -> None:
        self._remember(token)
        scheme = "Bearer" if token.token_type.lower() == "bearer" else token.token_type
        target.headers["Authorization"] = f"{scheme} {token.access_token.get_secret_value()}"
        target.used_tokens[id(self)] = token

    # -- sync ---------------------------------------------------------------------------------
    def _fetch(self, http: SyncTokenHTTP) -> Token:
        form, headers = self._token_request()
        self.token_fetches += 1
        return self._parse_token(http(self.token_url, form, headers))

    def apply(self, target: AuthTarget, http: SyncTokenHTTP) -> None:
        token = self._usable_local() or fetch_token_once(
            self.cache, self.cache_key, lambda: self._fetch(http), leeway=self.expiry_skew
        )
        self._set_header(target, token)

    def refresh_after_unauthorized(self, target: AuthTarget, http: SyncTokenHTTP) -> bool:
        rejected = target.used_tokens.get(id(self))
        token = fetch_token_once(
            self.cache,
            self.cache_key,
            lambda: self._fetch(http),
            rejected=rejected,
            leeway=self.expiry_skew,
        )
        self._set_header(target, token)
        return True

    # -- async --------------------------------------------------------------------------------
    async def _fetch_async(self, http: AsyncTokenHTTP) -> Token:
        form, headers = self._token_request()
        self.token_fetches += 1
        return self._parse_token(await http(self.token_url, form, headers))

    async def apply_async(self, target: AuthTarget, http: AsyncTokenHTTP) -> None:
        token = self._usable_local() or await fetch_token_once_async(
            self.cache, self.cache_key, lambda: self._fetch_async(http), leeway=self.expiry_skew
        )
        self._set_header(target, token)

    async def refresh_after_unauthorized_async(
        self, target: AuthTarget, http: AsyncTokenHTTP
    ) -> bool:
        rejected = target.used_tokens.get(id(self))
        token = await fetch_token_once_async(
            self.cache,
            self.cache_key,
            lambda: self._fetch_async(http),
            rejected=rejected,
            leeway=self.expiry_skew,
        )
        self._set_header(target, token)
        return True

    def __repr__(self) -> str:
        return f"{type(self).__name__}(token_url={self.token_url!r}, client_id={self.client_id!r})"


class OAuth2ClientCredentials(_OAuth2Base):
    """RFC 6749 section 4.4: the client authenticates as itself."""

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
        cache: TokenCache | None = None,
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
        cls, token_url: str, client_id_variable: str, client_secret_variable: str, **options: Any
    ) -> OAuth2ClientCredentials:
        client_id = Secret.from_env(client_id_variable).get_secret_value()
        return cls(token_url, client_id, Secret.from_env(client_secret_variable), **options)

    def _grant_fields(self) -> dict[str, str]:
        return {"grant_type": "client_credentials"}


class OAuth2RefreshToken(_OAuth2Base):
    """RFC 6749 section 6: trade a long-lived refresh token for access tokens.

    A rotated refresh token in a response replaces the old one (and travels with the token
    through a shared cache, so other processes pick up the rotation).
    """

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
        cache: TokenCache | None = None,
    ) -> None:
        self._refresh_token = Secret(refresh_token)
        # The cache key follows the original grant, not the rotated token.
        self._grant_digest = hashlib.sha256(
            self._refresh_token.get_secret_value().encode()
        ).hexdigest()[:16]
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

    @classmethod
    def from_env(
        cls, token_url: str, refresh_token_variable: str, **options: Any
    ) -> OAuth2RefreshToken:
        return cls(token_url, Secret.from_env(refresh_token_variable), **options)

    def _identity(self) -> str:
        return f"{super()._identity()}|{self._grant_digest}"

    def secret_values(self) -> tuple[str, ...]:
        return (*super().secret_values(), self._refresh_token.get_secret_value())

    def _grant_fields(self) -> dict[str, str]:
        return {
            "grant_type": "refresh_token",
            "refresh_token": self._refresh_token.get_secret_value(),
        }

    def _remember(self, token: Token) -> None:
        if token.refresh_token is not None:
            self._refresh_token = token.refresh_token
        super()._remember(token)


def _decode_token_body(headers: Headers, body: bytes) -> Any:
    content_type = headers.get("content-type", "")
    if "application/x-www-form-urlencoded" in content_type or "text/plain" in content_type:
        return dict(parse_qsl(body.decode("utf-8", "replace")))
    try:
        return orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        return {}
