"""Connects `Client.paginate` / `AsyncClient.paginate` to the pagers of `_pagination`.

The pager asks for pages as `PageRequest`s (query overrides, or an absolute next URL); each page
goes through the client's full send loop, so retries, rate limits, auth and hooks apply per page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ._errors import APIResponseValidationError
from ._models import OperationSpec, RequestOptions
from ._pagination import AsyncPager, FetchedPage, PageRequest, PaginationSpec, SyncPager
from ._response import APIResponse, type_adapter

if TYPE_CHECKING:
    from ._async_client import AsyncClient
    from ._client import Client

__all__ = ["async_pager", "sync_pager"]


def _spec_of(op: OperationSpec) -> PaginationSpec:
    spec = op.pagination
    if not isinstance(spec, PaginationSpec):
        raise ValueError(f"operation {op.id!r} has no pagination (OperationSpec.pagination)")
    return spec


def _caster(item_type: Any, op: OperationSpec) -> Callable[[Any], Any]:
    if item_type is None or item_type is Any:
        return lambda item: item
    adapter = type_adapter(item_type)

    def cast(item: Any) -> Any:
        try:
            return adapter.validate_python(item)
        except ValidationError as exc:
            raise APIResponseValidationError(
                f"{op.id}: a page item does not match {getattr(item_type, '__name__', item_type)}:"
                f" {exc.error_count()} error(s), first: {exc.errors()[0]['msg']}",
                method=op.method,
            ) from None

    return cast


def _page(response: APIResponse, url: str) -> FetchedPage:
    body = response.json() if response.content else None
    return FetchedPage(body, response.headers, url)


def sync_pager(
    client: Client,
    op: OperationSpec,
    path: Mapping[str, Any],
    query: Mapping[str, Any],
    headers: Mapping[str, Any],
    cookies: Mapping[str, Any],
    body: Any,
    content_type: str | None,
    item_type: Any,
    options: RequestOptions | None,
) -> SyncPager[Any]:
    spec = _spec_of(op)

    def fetch(request: PageRequest) -> FetchedPage:
        call = client._prepare(
            op,
            path,
            {**query, **request.query},
            headers,
            cookies,
            body,
            content_type,
            None,
            options,
            absolute_url=request.url,
        )
        return _page(client._send(call), call.url)

    return SyncPager(spec, fetch, _caster(item_type, op), redact_url=client.redactor.url)


def async_pager(
    client: AsyncClient,
    op: OperationSpec,
    path: Mapping[str, Any],
    query: Mapping[str, Any],
    headers: Mapping[str, Any],
    cookies: Mapping[str, Any],
    body: Any,
    content_type: str | None,
    item_type: Any,
    options: RequestOptions | None,
) -> AsyncPager[Any]:
    spec = _spec_of(op)

    async def fetch(request: PageRequest) -> FetchedPage:
        call = client._prepare(
            op,
            path,
            {**query, **request.query},
            headers,
            cookies,
            body,
            content_type,
            None,
            options,
            absolute_url=request.url,
        )
        return _page(await client._send(call), call.url)

    return AsyncPager(spec, fetch, _caster(item_type, op), redact_url=client.redactor.url)
