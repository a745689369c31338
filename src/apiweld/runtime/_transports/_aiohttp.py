"""Default async transport: aiohttp.

Measured on loopback with 50 concurrent requests, aiohttp is about 30x raw `httpx.AsyncClient`
(httpx issue #3215). One `ClientSession` per transport, created lazily inside the running loop
(a session is bound to the loop it was created in).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator

import aiohttp
from yarl import URL

from .._errors import APIConnectionError
from .._models import Timeout
from ._base import TransportRequest, TransportResponse
from ._shaping import ErrorRules, TimeoutMemo, raw_headers, translate

__all__ = ["AiohttpTransport"]

_CHUNK = 64 * 1024

_ERROR_RULES: ErrorRules = (
    (aiohttp.ConnectionTimeoutError, True, True),
    (aiohttp.SocketTimeoutError, True, False),
    (aiohttp.ServerTimeoutError, True, False),
    (asyncio.TimeoutError, True, False),
    (aiohttp.ClientConnectorError, False, True),
    (aiohttp.InvalidURL, False, True),
    (aiohttp.ClientError, False, False),
    (OSError, False, False),
)


def _translate(exc: BaseException) -> APIConnectionError:
    return translate(exc, _ERROR_RULES)


def _client_timeout(timeout: Timeout) -> aiohttp.ClientTimeout:
    # aiohttp's `connect` covers waiting for a pooled connection and connecting; `sock_connect`
    # only the TCP/TLS handshake; `sock_read` each wait for response bytes, armed once the
    # request is written. It has no write timeout: only `total` (set when the call has a
    # deadline) bounds sending.
    connect_total = (
        None if timeout.pool is None or timeout.connect is None else timeout.pool + timeout.connect
    )
    return aiohttp.ClientTimeout(
        total=timeout.total,
        connect=connect_total,
        sock_connect=timeout.connect,
        sock_read=timeout.read,
    )


class _AiohttpStream:
    __slots__ = ("_response",)

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_chunked(_CHUNK):
                yield chunk
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise _translate(exc) from exc

    async def aclose(self) -> None:
        self._response.release()


class AiohttpTransport:
    """Async transport over one `aiohttp.ClientSession` with a bounded `TCPConnector`."""

    def __init__(
        self,
        *,
        max_connections: int = 100,
        max_connections_per_host: int = 0,
        keepalive_expiry: float = 30.0,
        proxy: str | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self._limits = (max_connections, max_connections_per_host, keepalive_expiry)
        self._proxy = proxy
        self._verify = verify
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client_timeout = TimeoutMemo(_client_timeout)

    def _session_for_loop(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._session
        if session is not None and self._loop is loop and not session.closed:
            return session
        limit, per_host, keepalive = self._limits
        ssl_option: ssl.SSLContext | bool = self._verify
        connector = aiohttp.TCPConnector(
            limit=limit, limit_per_host=per_host, keepalive_timeout=keepalive, ssl=ssl_option
        )
        # A dummy jar: cookies are the caller's business (auth, explicit params), never ambient.
        self._session = aiohttp.ClientSession(
            connector=connector, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=True
        )
        self._loop = loop
        return self._session

    async def handle(self, request: TransportRequest) -> TransportResponse:
        session = self._session_for_loop()
        try:
            response = await session.request(
                request.method,
                URL(request.url, encoded=True),
                headers=request.headers,
                data=request.content,
                timeout=self._client_timeout(request.timeout),
                allow_redirects=False,
                proxy=self._proxy,
            )
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise _translate(exc) from exc
        headers = raw_headers(response.raw_headers)
        version = (
            f"HTTP/{response.version.major}.{response.version.minor}"
            if response.version
            else "HTTP/1.1"
        )
        if request.stream:
            return TransportResponse(
                response.status, headers, None, _AiohttpStream(response), version
            )
        try:
            content = await response.read()
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise _translate(exc) from exc
        finally:
            response.release()
        return TransportResponse(response.status, headers, content, None, version)

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            # RuntimeError: the session's loop is gone (asyncio.run returned); nothing to flush.
            with contextlib.suppress(RuntimeError):
                await session.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
