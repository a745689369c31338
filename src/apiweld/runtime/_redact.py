"""Redaction of secrets in URLs, headers and bodies before they reach logs, reprs or errors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

REDACTED: Final = "[REDACTED]"

DEFAULT_SENSITIVE_HEADERS: Final = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "x-auth-token",
        "x-amz-security-token",
    }
)
# Field names that hold credentials in query strings, form bodies and JSON bodies.
DEFAULT_SENSITIVE_FIELDS: Final = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
        "password",
        "api_key",
        "apikey",
        "token",
        "secret",
        "assertion",
    }
)


class Redactor:
    """Knows which header and field names are sensitive for one client."""

    __slots__ = ("fields", "headers")

    def __init__(self, extra_names: Iterable[str] = ()) -> None:
        extra = {name.lower() for name in extra_names}
        self.headers: frozenset[str] = DEFAULT_SENSITIVE_HEADERS | extra
        self.fields: frozenset[str] = DEFAULT_SENSITIVE_FIELDS | extra

    def extended(self, names: Iterable[str]) -> Redactor:
        clone = Redactor()
        extra = {name.lower() for name in names}
        clone.headers = self.headers | extra
        clone.fields = self.fields | extra
        return clone

    def headers_list(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        return [
            (name, REDACTED if name.lower() in self.headers else value) for name, value in headers
        ]

    def headers_dict(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {
            name: REDACTED if name.lower() in self.headers else value
            for name, value in headers.items()
        }

    def url(self, url: str) -> str:
        """The URL with user info and sensitive query values replaced."""
        if "?" not in url and "@" not in url:
            return url
        try:
            parts = urlsplit(url)
        except ValueError:
            return "[unparseable URL]"
        netloc = parts.netloc
        if "@" in netloc:
            netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
        query = parts.query
        if query:
            pieces = []
            for piece in query.split("&"):
                name, sep, _ = piece.partition("=")
                if sep and _unquote_lower(name) in self.fields:
                    piece = f"{name}={REDACTED}"
                pieces.append(piece)
            query = "&".join(pieces)
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))

    def body(self, body: Any, depth: int = 0) -> Any:
        """A copy of a parsed body with sensitive fields masked (bounded depth)."""
        if depth > 20:
            return body
        if isinstance(body, Mapping):
            return {
                key: REDACTED
                if isinstance(key, str) and key.lower() in self.fields
                else self.body(value, depth + 1)
                for key, value in body.items()
            }
        if isinstance(body, list):
            return [self.body(item, depth + 1) for item in body]
        return body


def _unquote_lower(name: str) -> str:
    from urllib.parse import unquote_plus

    return unquote_plus(name).lower()
