"""Sync transport over urllib3's `PoolManager`.

Measured on this project's loopback benchmark, raw urllib3 and raw httpcore are both well ahead of
`httpx.Client`; which of the two wins varies by machine (see benchmarks/client_overhead.py), so
both are offered.

Timeouts: urllib3 has connect, read and total, and a pool wait (`block=True` pools with
`pool_timeout`, used here so that `Timeout.pool` means what it means on httpcore). It has no write
timeout: urllib3 sets the socket timeout to the *connect* timeout while it sends the request
(`HTTPConnectionPool._make_request`), and `socket.sendall` treats that as the limit for the whole
body, so on this transport an upload must go out within `Timeout.connect`; `Timeout.write` is not
used. Prefer `HttpcoreTransport` for large uploads.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any

import urllib3
from urllib3 import exceptions as u3

from .._errors import APIConnectionError
from .._models import Headers, Timeout
from ._base import TransportRequest, TransportResponse, split_proxy_auth
from ._shaping import ErrorRules, TimeoutMemo, translate

__all__ = ["Urllib3Transport"]

_CHUNK = 64 * 1024

# Order matters: NewConnectionError subclasses ConnectTimeoutError in urllib3 2.x.
_ERROR_RULES: ErrorRules = (
    (u3.NewConnectionError, False, True),
    (u3.ConnectTimeoutError, True, True),
    (u3.EmptyPoolError, True, True),
    (u3.ProxyError, False, True),
    (u3.LocationParseError, False, True),
    (u3.TimeoutError, True, False),
    (u3.HTTPError, False, False),
    (OSError, False, False),
)
_CAUGHT = (u3.HTTPError, OSError)


def _translate(exc: BaseException) -> APIConnectionError:
    if isinstance(exc, u3.MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    return translate(exc, _ERROR_RULES)


class _Urllib3Stream:
    __slots__ = ("_done", "_response")

    def __init__(self, response: urllib3.BaseHTTPResponse) -> None:
        self._response = response
        self._done = False

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._response.stream(_CHUNK, decode_content=True)
        except _CAUGHT as exc:
            raise _translate(exc) from exc
        self._done = True

    def close(self) -> None:
        if self._done:
            self._response.release_conn()  # fully read: the connection goes back to the pool
        else:
            self._response.close()  # abandoned mid-body: the connection cannot be reused


def _urllib3_timeout(timeout: Timeout) -> urllib3.Timeout:
    # `total` (what is left of the call's deadline) bounds connect plus the wait for the answer.
    return urllib3.Timeout(connect=timeout.connect, read=timeout.read, total=timeout.total)


class Urllib3Transport:
    """Sync transport over `urllib3.PoolManager` (or `ProxyManager` when a proxy is given)."""

    def __init__(
        self,
        *,
        max_connections_per_host: int = 20,
        max_hosts: int = 10,
        proxy: str | None = None,
        verify: ssl.SSLContext | bool = True,
        block: bool = True,
    ) -> None:
        """`block=True`: at most `max_connections_per_host` connections per host; a caller
        finding them all busy waits up to `Timeout.pool` for one (`APITimeoutError`, never
        sent). `block=False` is urllib3's own default: a full pool opens an extra connection
        that is closed after use, and `Timeout.pool` is not used."""
        options: dict[str, Any] = {
            "num_pools": max_hosts,
            "maxsize": max_connections_per_host,
            "block": block,
            "retries": False,
        }
        if isinstance(verify, ssl.SSLContext):
            options["ssl_context"] = verify
        elif not verify:
            options["cert_reqs"] = "CERT_NONE"
        self._pool: urllib3.PoolManager
        if proxy is None:
            self._pool = urllib3.PoolManager(**options)
        else:
            proxy_url, proxy_auth = split_proxy_auth(proxy)
            if proxy_url.startswith("socks5"):
                raise ValueError("SOCKS proxies need the httpcore transport (HttpcoreTransport)")
            headers = (
                urllib3.make_headers(proxy_basic_auth=":".join(proxy_auth)) if proxy_auth else None
            )
            self._pool = urllib3.ProxyManager(proxy_url, proxy_headers=headers, **options)
        self._timeout = TimeoutMemo(_urllib3_timeout)

    def handle(self, request: TransportRequest) -> TransportResponse:
        try:
            response = self._pool.urlopen(
                request.method,
                request.url,
                body=request.content,
                headers=dict(request.headers),
                redirect=False,
                retries=False,
                timeout=self._timeout(request.timeout),
                pool_timeout=request.timeout.pool,
                preload_content=not request.stream,
                decode_content=True,
                assert_same_host=False,
            )
        except _CAUGHT as exc:
            raise _translate(exc) from exc
        headers = Headers(response.headers.iteritems())
        version = "HTTP/1.0" if response.version == 10 else "HTTP/1.1"
        if request.stream:
            return TransportResponse(
                response.status, headers, None, _Urllib3Stream(response), version
            )
        return TransportResponse(response.status, headers, response.data, None, version)

    def close(self) -> None:
        self._pool.clear()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
