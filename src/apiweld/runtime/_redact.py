"""Redaction of secrets in URLs, headers and bodies before they reach logs, reprs or errors."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Mapping
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


# Shorter values would mask ordinary words in error bodies; they are masked by name only.
_MIN_SCRUBBED_LENGTH: Final = 6


class Redactor:
    """Knows which header and field names are sensitive for one client, and (through
    `secret_values`) the credentials themselves, so a server that echoes one back in an error
    body does not leak it either."""

    __slots__ = ("_pairs", "fields", "headers", "secret_values")

    def __init__(
        self,
        extra_names: Iterable[str] = (),
        secret_values: Callable[[], Iterable[str]] | None = None,
    ) -> None:
        extra = {name.lower() for name in extra_names}
        self.headers: frozenset[str] = DEFAULT_SENSITIVE_HEADERS | extra
        self.fields: frozenset[str] = DEFAULT_SENSITIVE_FIELDS | extra
        self.secret_values = secret_values
        names = "|".join(re.escape(name) for name in sorted(self.fields))
        # `name=value` pairs of sensitive fields inside free text (URLs quoted in messages).
        self._pairs = re.compile(rf"(?i)(?<![\w-])({names})=([^&\s'\"]+)")

    def text(self, text: str) -> str:
        """`text` with sensitive `name=value` pairs and every known credential value masked."""
        if "=" in text:
            text = self._pairs.sub(rf"\1={REDACTED}", text)
        if self.secret_values is None:
            return text
        for value in self.secret_values():
            if len(value) >= _MIN_SCRUBBED_LENGTH and value in text:
                text = text.replace(value, REDACTED)
        return text

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
        """A copy of a parsed body with sensitive fields and known credentials masked."""
        if isinstance(body, str):
            return self.text(body)
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


def scrub_exception_chain(error: BaseException, redactor: Redactor) -> None:
    """Mask secrets in the string arguments of `error`'s causes (library exceptions quote URLs)."""
    seen: set[int] = set()
    cause = error.__cause__ or error.__context__
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        with contextlib.suppress(AttributeError, TypeError):  # exotic read-only args
            cause.args = tuple(
                redactor.text(arg) if isinstance(arg, str) else arg for arg in cause.args
            )
        cause = cause.__cause__ or cause.__context__


def _unquote_lower(name: str) -> str:
    from urllib.parse import unquote_plus

    return unquote_plus(name).lower()
