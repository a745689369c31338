"""An OAuth access token as the runtime keeps it: secrets wrapped, expiry in epoch seconds."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._secrets import Secret

__all__ = ["Token", "TokenResponseError"]


class TokenResponseError(ValueError):
    """A token endpoint's answer (or a cached token) is not a usable token; names the field."""


def _optional_str(payload: Mapping[str, Any], field: str) -> str | None:
    value = payload.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise TokenResponseError(
            f"token field {field!r} must be a string, not {type(value).__name__}"
        )
    return value


@dataclass(frozen=True, slots=True)
class Token:
    """An access token with its expiry. Wall-clock expiry, since caches are shared across machines.

    `repr()` never shows the token: both secrets are `Secret` values.
    """

    access_token: Secret
    token_type: str = "Bearer"  # noqa: S105 - a token type, not a credential
    expires_at: float | None = None
    """Epoch seconds; None when the server did not say (then it is used until a 401)."""
    refresh_token: Secret | None = None
    scope: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.access_token, Secret):
            object.__setattr__(self, "access_token", Secret(self.access_token))
        if self.refresh_token is not None and not isinstance(self.refresh_token, Secret):
            object.__setattr__(self, "refresh_token", Secret(self.refresh_token))

    def expires_in(self, now: float | None = None) -> float | None:
        if self.expires_at is None:
            return None
        return self.expires_at - (time.time() if now is None else now)

    def is_fresh(self, leeway: float = 30.0, now: float | None = None) -> bool:
        """Usable for at least `leeway` more seconds (refresh shortly before expiry, not after)."""
        remaining = self.expires_in(now)
        return remaining is None or remaining > leeway

    @classmethod
    def from_response(cls, payload: Any, now: float | None = None) -> Token:
        """From an RFC 6749 section 5.1 token response body (already JSON-decoded)."""
        if not isinstance(payload, Mapping):
            raise TokenResponseError("token response must be a JSON object")
        access = payload.get("access_token")
        if not isinstance(access, str) or not access:
            raise TokenResponseError("token response has no string 'access_token'")
        expires_in = payload.get("expires_in")
        expires_at: float | None = None
        if expires_in is not None:
            try:  # some servers send it as a string
                seconds = float(expires_in)
            except (TypeError, ValueError):
                raise TokenResponseError("token field 'expires_in' is not a number") from None
            if not math.isfinite(seconds) or seconds < 0:
                raise TokenResponseError("token field 'expires_in' must be a non-negative number")
            expires_at = (time.time() if now is None else now) + seconds
        refresh = _optional_str(payload, "refresh_token")
        return cls(
            access_token=Secret(access),
            token_type=_optional_str(payload, "token_type") or "Bearer",
            expires_at=expires_at,
            refresh_token=Secret(refresh) if refresh else None,
            scope=_optional_str(payload, "scope"),
        )

    def to_json(self) -> str:
        """For a cache backend's storage only: this reveals the secrets."""
        return json.dumps(
            {
                "access_token": self.access_token.get_secret_value(),
                "token_type": self.token_type,
                "expires_at": self.expires_at,
                "refresh_token": (
                    self.refresh_token.get_secret_value() if self.refresh_token else None
                ),
                "scope": self.scope,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, data: str | bytes) -> Token:
        try:
            payload = json.loads(data)
        except ValueError:
            raise TokenResponseError("cached token is not valid JSON") from None
        if not isinstance(payload, dict):
            raise TokenResponseError("cached token must be a JSON object")
        access = payload.get("access_token")
        if not isinstance(access, str) or not access:
            raise TokenResponseError("cached token has no 'access_token'")
        expires_at = payload.get("expires_at")
        if expires_at is not None and (
            isinstance(expires_at, bool) or not isinstance(expires_at, int | float)
        ):
            raise TokenResponseError("cached token field 'expires_at' is not a number")
        refresh = _optional_str(payload, "refresh_token")
        return cls(
            access_token=Secret(access),
            token_type=_optional_str(payload, "token_type") or "Bearer",
            expires_at=None if expires_at is None else float(expires_at),
            refresh_token=Secret(refresh) if refresh else None,
            scope=_optional_str(payload, "scope"),
        )

    def ttl(self, leeway: float = 0.0, now: float | None = None) -> float | None:
        """Seconds a cache should keep this token; None for no expiry."""
        remaining = self.expires_in(now)
        return None if remaining is None else max(0.0, remaining - leeway)
