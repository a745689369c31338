"""Connects `Client.paginate` / `AsyncClient.paginate` to the pagers in `_pagination`."""

from __future__ import annotations

from typing import Any


def sync_pager(client: Any, op: Any, *args: Any) -> Any:
    raise NotImplementedError("pagination is wired in once apiweld.runtime._pagination lands")


def async_pager(client: Any, op: Any, *args: Any) -> Any:
    raise NotImplementedError("pagination is wired in once apiweld.runtime._pagination lands")
