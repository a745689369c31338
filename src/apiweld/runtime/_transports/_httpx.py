"""Adapters for a user's own `httpx` (or API-compatible `httpx2`) client.

The second choice after the default transports: for HTTP/2, mounts, custom transports or test
doubles the user already has. httpx is an optional extra, so nothing here imports it at module
level; exception classes are taken from whichever package the given client comes from. Both
packages are exercised for real by tests/runtime/test_httpx_adapters.py (httpx2 is pinned in the
dev extra).
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

from .._errors import APIConnectionError
from .._models import Headers
from ._base import TransportRequest, TransportResponse
from ._shaping import ErrorRules, raw_headers, timeout_extensions, translate

__all__ = ["HttpxAsyncTransport", "HttpxTransport"]

# (exception class name, is a timeout, proves the request never left); subclasses first.
_ERROR_NAMES: tuple[tuple[str, bool, bool], ...] = (
    ("PoolTimeout", True, True),
    ("ConnectTimeout", True, True),
    ("TimeoutException", True, False),
    ("ConnectError", False, True),
    ("ProxyError", False, True),
    ("UnsupportedProtocol", False, True),
    ("LocalProtocolError", False, True),
    ("InvalidURL", False, True),
    ("TransportError", False, False),
    ("HTTPError", False, False),
    ("StreamError", False, False),
)


class _ErrorMapper:
    def __init__(self, client: object) -> None:
        package = importlib.import_module(type(client).__module__.split(".")[0])
        self.table: ErrorRules = tuple(
            (getattr(package, name), is_timeout, never_sent)
            for name, is_timeout, never_sent in _ERROR_NAMES
            if isinstance(getattr(package, name, None), type)
        )
        self.catch: tuple[type[BaseException], ...] = (
            *(kind for kind, _, _ in self.table),
            OSError,
        )

    def translate(self, exc: BaseException) -> APIConnectionError:
        return translate(exc, self.table)


def _headers(response: Any) -> Headers:
    return raw_headers(response.headers.raw)


class _SyncStream:
    def __init__(self, response: Any, errors: _ErrorMapper) -> None:
        self._response = response
        self._errors = errors

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._response.iter_bytes()
        except self._errors.catch as exc:
            raise self._errors.translate(exc) from exc

    def close(self) -> None:
        self._response.close()


class _AsyncStream:
    def __init__(self, response: Any, errors: _ErrorMapper) -> None:
        self._response = response
        self._errors = errors

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.aiter_bytes():
                yield chunk
        except self._errors.catch as exc:
            raise self._errors.translate(exc) from exc

    async def aclose(self) -> None:
        await self._response.aclose()


class HttpxTransport:
    """Sync transport over a user's `httpx.Client` (redirects are never followed here)."""

    def __init__(self, client: Any, *, close_client: bool = False) -> None:
        self._client = client
        self._close_client = close_client
        self._errors = _ErrorMapper(client)

    def handle(self, request: TransportRequest) -> TransportResponse:
        client = self._client
        try:
            built = client.build_request(
                request.method,
                request.url,
                headers=request.headers,
                content=request.content,
                extensions=timeout_extensions(request.timeout),
            )
            response = client.send(built, stream=True, follow_redirects=False)
        except self._errors.catch as exc:
            raise self._errors.translate(exc) from exc
        headers = _headers(response)
        if request.stream:
            stream = _SyncStream(response, self._errors)
            return TransportResponse(
                response.status_code, headers, None, stream, response.http_version
            )
        try:
            content = response.read()
        except self._errors.catch as exc:
            raise self._errors.translate(exc) from exc
        finally:
            response.close()
        return TransportResponse(
            response.status_code, headers, content, None, response.http_version
        )

    def close(self) -> None:
        if self._close_client:
            self._client.close()


class HttpxAsyncTransport:
    """Async transport over a user's `httpx.AsyncClient`."""

    def __init__(self, client: Any, *, close_client: bool = False) -> None:
        self._client = client
        self._close_client = close_client
        self._errors = _ErrorMapper(client)

    async def handle(self, request: TransportRequest) -> TransportResponse:
        client = self._client
        try:
            built = client.build_request(
                request.method,
                request.url,
                headers=request.headers,
                content=request.content,
                extensions=timeout_extensions(request.timeout),
            )
            response = await client.send(built, stream=True, follow_redirects=False)
        except self._errors.catch as exc:
            raise self._errors.translate(exc) from exc
        headers = _headers(response)
        if request.stream:
            stream = _AsyncStream(response, self._errors)
            return TransportResponse(
                response.status_code, headers, None, stream, response.http_version
            )
        try:
            content = await response.aread()
        except self._errors.catch as exc:
            raise self._errors.translate(exc) from exc
        finally:
            await response.aclose()
        return TransportResponse(
            response.status_code, headers, content, None, response.http_version
        )

    async def aclose(self) -> None:
        if self._close_client:
            await self._client.aclose()
