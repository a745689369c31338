"""The transport interface: one request/response shape that every backend speaks.

Retries, rate limits, auth, hooks and logging sit above this interface so they behave the same on
every backend. A transport's only duties: send bytes, return status/headers/body (or a stream),
and translate its library's exceptions into `APIConnectionError` / `APITimeoutError`, saying
whether the request provably never left (`never_sent`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit, urlunsplit

from .._errors import APIConnectionError, APITimeoutError
from .._models import Headers, Timeout

__all__ = [
    "AsyncByteStream",
    "AsyncTransport",
    "SyncByteStream",
    "Transport",
    "TransportRequest",
    "TransportResponse",
]


@dataclass(slots=True)
class TransportRequest:
    method: str
    url: str
    """Absolute and already percent-encoded; transports must not re-encode it."""
    headers: list[tuple[str, str]]
    content: bytes | None
    timeout: Timeout
    stream: bool = False


class SyncByteStream(Protocol):
    def __iter__(self) -> Iterator[bytes]: ...
    def close(self) -> None: ...


class AsyncByteStream(Protocol):
    def __aiter__(self) -> AsyncIterator[bytes]: ...
    async def aclose(self) -> None: ...


@dataclass(slots=True)
class TransportResponse:
    status: int
    headers: Headers
    content: bytes | None
    """The whole body; None when the request asked for a stream."""
    stream: SyncByteStream | AsyncByteStream | None = None
    http_version: str = "HTTP/1.1"


@runtime_checkable
class Transport(Protocol):
    def handle(self, request: TransportRequest) -> TransportResponse: ...
    def close(self) -> None: ...


@runtime_checkable
class AsyncTransport(Protocol):
    async def handle(self, request: TransportRequest) -> TransportResponse: ...
    async def aclose(self) -> None: ...


def transport_error(exc: BaseException, *, timeout: bool, never_sent: bool) -> APIConnectionError:
    """The hierarchy's error for a backend exception; the client adds method and URL later."""
    detail = str(exc) or type(exc).__name__
    kind = APITimeoutError if timeout else APIConnectionError
    error = kind(f"{type(exc).__name__}: {detail}", never_sent=never_sent)
    error.__cause__ = exc
    return error


def split_proxy_auth(proxy_url: str) -> tuple[str, tuple[str, str] | None]:
    """`http://user:pw@host:port` -> (`http://host:port`, (user, pw)); credentials unquoted."""
    parts = urlsplit(proxy_url)
    if parts.scheme not in ("http", "https", "socks5", "socks5h"):
        raise ValueError("proxy URL must start with http://, https:// or socks5://")
    if "@" not in parts.netloc:
        return proxy_url, None
    userinfo, host = parts.netloc.rsplit("@", 1)
    user, _, password = userinfo.partition(":")
    clean = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return clean, (unquote(user), unquote(password))
