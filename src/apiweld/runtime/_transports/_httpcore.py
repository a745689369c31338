"""Default sync transport: httpcore's connection pool, used directly.

httpcore is httpx's own HTTP engine; skipping httpx's client layer measured about 1.5x faster on
sequential keep-alive requests, and unlike urllib3 it has native connect/read/write/pool timeouts.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any

import httpcore

from .._errors import APIConnectionError
from ._base import TransportRequest, TransportResponse, split_proxy_auth
from ._shaping import ErrorRules, raw_headers, timeout_extensions, translate

__all__ = ["HttpcoreTransport"]

# httpcore's exceptions share no base class beyond Exception; these are all of them.
_HTTPCORE_ERRORS: tuple[type[BaseException], ...] = (
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.ProxyError,
    httpcore.UnsupportedProtocol,
    httpcore.ConnectionNotAvailable,
    OSError,
)

_ERROR_RULES: ErrorRules = (
    (httpcore.PoolTimeout, True, True),
    (httpcore.ConnectTimeout, True, True),
    (httpcore.TimeoutException, True, False),
    (httpcore.ConnectError, False, True),
    (httpcore.ProxyError, False, True),
    (httpcore.UnsupportedProtocol, False, True),
    (httpcore.LocalProtocolError, False, True),
    (httpcore.NetworkError, False, False),
    (httpcore.ProtocolError, False, False),
    (httpcore.ConnectionNotAvailable, False, True),
    (OSError, False, False),
)


def _translate(exc: BaseException) -> APIConnectionError:
    return translate(exc, _ERROR_RULES)


class _HttpcoreStream:
    __slots__ = ("_response",)

    def __init__(self, response: httpcore.Response) -> None:
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._response.iter_stream()
        except _HTTPCORE_ERRORS as exc:
            raise _translate(exc) from exc

    def close(self) -> None:
        self._response.close()


class HttpcoreTransport:
    """Sync transport over `httpcore.ConnectionPool` (or `HTTPProxy` when a proxy is given)."""

    def __init__(
        self,
        *,
        max_connections: int = 100,
        max_keepalive_connections: int = 20,
        keepalive_expiry: float = 30.0,
        proxy: str | None = None,
        verify: ssl.SSLContext | bool = True,
        http2: bool = False,
    ) -> None:
        ssl_context = _ssl_context(verify)
        options: dict[str, Any] = {
            "ssl_context": ssl_context,
            "max_connections": max_connections,
            "max_keepalive_connections": max_keepalive_connections,
            "keepalive_expiry": keepalive_expiry,
            "http2": http2,
        }
        self._pool: httpcore.ConnectionPool | httpcore.HTTPProxy | httpcore.SOCKSProxy
        if proxy is None:
            self._pool = httpcore.ConnectionPool(**options)
        else:
            proxy_url, proxy_auth = split_proxy_auth(proxy)
            if proxy_url.startswith("socks5"):
                self._pool = httpcore.SOCKSProxy(proxy_url, proxy_auth=proxy_auth, **options)
            else:
                self._pool = httpcore.HTTPProxy(proxy_url, proxy_auth=proxy_auth, **options)

    def handle(self, request: TransportRequest) -> TransportResponse:
        # httpcore sends exactly the headers it is given; h11 needs Host, and a body its length.
        headers = [("Host", request.url.split("/", 3)[2]), *request.headers]
        if request.content is not None:
            headers.append(("Content-Length", str(len(request.content))))
        try:
            response = self._pool.handle_request(
                httpcore.Request(
                    request.method,
                    request.url,
                    headers=headers,
                    content=request.content,
                    extensions=timeout_extensions(request.timeout),
                )
            )
        except _HTTPCORE_ERRORS as exc:
            raise _translate(exc) from exc
        response_headers = raw_headers(response.headers)
        version = response.extensions.get("http_version", b"HTTP/1.1")
        http_version = version.decode("ascii") if isinstance(version, bytes) else "HTTP/1.1"
        if request.stream:
            return TransportResponse(
                response.status, response_headers, None, _HttpcoreStream(response), http_version
            )
        try:
            content = response.read()
        except _HTTPCORE_ERRORS as exc:
            raise _translate(exc) from exc
        finally:
            response.close()
        return TransportResponse(response.status, response_headers, content, None, http_version)

    def close(self) -> None:
        self._pool.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _ssl_context(verify: ssl.SSLContext | bool) -> ssl.SSLContext:
    if isinstance(verify, ssl.SSLContext):
        return verify
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
