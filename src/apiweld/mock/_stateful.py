"""Collection semantics for operations bound to a collection/item path pair."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import orjson

from apiweld.mock import _responses as responses
from apiweld.mock._delivery import Reply
from apiweld.mock._state import CollectionBinding
from apiweld.mock._validation import DecodedRequest
from apiweld.spec.ir import Operation

if TYPE_CHECKING:
    from apiweld.mock._handlers import Handlers, IncomingRequest

Result = Reply | tuple[int, Any, list[tuple[str, str]]]


def handle(
    handlers: Handlers,
    op: Operation,
    binding: CollectionBinding,
    request: IncomingRequest,
    decoded: DecodedRequest,
    status: int,
) -> Result:
    if binding.role == "list":
        return _list(handlers, op, binding, request, status)
    if binding.role == "create":
        return _create(handlers, binding, request, decoded, status)
    return _item(handlers, op, binding, request, decoded, status)


def _list(
    handlers: Handlers,
    op: Operation,
    binding: CollectionBinding,
    request: IncomingRequest,
    status: int,
) -> Result:
    path = binding.items_path
    if op.pagination is not None or path is None:
        return status, responses.NO_BODY, []
    for response in op.success_responses:
        for media in response.content:
            if media.schema is None or "json" not in media.media_type:
                continue
            stored = list(handlers.store.collection(request.path, binding).items.values())
            if not path:
                return status, _listed(handlers, binding, media.schema, stored), []
            static = handlers.bodies.body(op, response, media)
            if not isinstance(static, dict):
                return status, responses.NO_BODY, []
            wrapper = handlers.generator.flatten(media.schema)
            field = next((p for p in wrapper.properties if p.name == path[0]), None)
            if field is None:
                return status, responses.NO_BODY, []
            listed = _listed(handlers, binding, field.schema, stored)
            return status, {**static, path[0]: listed}, []
    return status, responses.NO_BODY, []


def _listed(
    handlers: Handlers, binding: CollectionBinding, array: Any, stored: list[dict[str, Any]]
) -> list[Any]:
    """The stored items as the list shows them. A list's item schema often differs from the
    item path's (a summary with other required fields): an item that does not fit it is shown
    as a generated summary carrying the stored item's id, so every listed id can be read."""
    if handlers.bodies.valid(array, stored):
        return stored
    items = handlers.generator.flatten(array).items
    if items is None:
        return stored
    return shown_as(handlers, binding, items, stored)


def shown_as(
    handlers: Handlers, binding: CollectionBinding, items: Any, stored: list[dict[str, Any]]
) -> list[Any]:
    """Each stored item as a list with item schema `items` shows it: itself when it fits, else
    a generated summary carrying its id (dropped when even that does not fit)."""
    if binding.id_property is None:
        return stored
    shown = []
    for index, item in enumerate(stored):
        if handlers.bodies.valid(items, item):
            shown.append(item)
            continue
        summary = handlers.bodies.generate_item(items, f"list:{binding.collection_template}", index)
        if isinstance(summary, dict):
            summary = {**summary, binding.id_property: item.get(binding.id_property)}
            if handlers.bodies.valid(items, summary):
                shown.append(summary)
    return shown


def _create(
    handlers: Handlers,
    binding: CollectionBinding,
    request: IncomingRequest,
    decoded: DecodedRequest,
    status: int,
) -> Result:
    if binding.item_schema is None:
        return status, responses.NO_BODY, []
    collection = handlers.store.collection(request.path, binding)
    rng = random.Random(f"{handlers.settings.seed}:create:{request.path}:{collection.counter}")
    item = _fresh_item(handlers, binding, collection.counter)
    if isinstance(decoded.body, dict):
        item = _overlay(handlers, binding, item, decoded.body)
    key = handlers.store.insert(collection, binding, item, rng)
    location = f"{request.path.rstrip('/')}/{key}"
    return status, item, [("Location", location)]


def _overlay(
    handlers: Handlers, binding: CollectionBinding, item: dict[str, Any], changes: dict[str, Any]
) -> dict[str, Any]:
    """The item with the request's fields laid over it, keeping only those the item schema
    accepts where they land: a request shape often differs from the resource's (a write-only
    `password`, an id given as an object, a field the response types otherwise), and echoing
    such a field would make the answer invalid against the response schema."""
    merged = {**item, **changes}
    schema = binding.item_schema
    if schema is None or handlers.bodies.valid(schema, merged):
        return merged
    kept = dict(item)
    for name, value in changes.items():
        candidate = {**kept, name: value}
        if handlers.bodies.valid(schema, candidate):
            kept = candidate
    return kept


_TEMPLATES = 8
"""Generated items a collection's creations start from, in turn: generating a valid item
costs about a millisecond, copying one a few microseconds."""


def _fresh_item(handlers: Handlers, binding: CollectionBinding, counter: int) -> dict[str, Any]:
    assert binding.item_schema is not None
    key = f"template:{binding.collection_template}"
    templates = handlers.pools.get(key)
    if templates is None:
        templates = []
        for index in range(_TEMPLATES):
            rng = random.Random(f"{handlers.settings.seed}:{key}:{index}")
            value = handlers.bodies.generate_valid(binding.item_schema, rng)
            templates.append(orjson.dumps(value if isinstance(value, dict) else {}))
        handlers.pools[key] = templates
    copied: dict[str, Any] = orjson.loads(templates[counter % _TEMPLATES])
    return copied


def _item(
    handlers: Handlers,
    op: Operation,
    binding: CollectionBinding,
    request: IncomingRequest,
    decoded: DecodedRequest,
    status: int,
) -> Result:
    collection_path, _, raw_key = request.path.rstrip("/").rpartition("/")
    key = unquote(raw_key)
    collection = handlers.store.collection(collection_path or "/", binding)
    item = collection.items.get(key)
    if item is None:
        declares_404 = any(r.status in ("404", "4XX") for r in op.responses)
        if key in collection.deleted or declares_404:
            return handlers.error(op, 404, f"no item {key!r} in {collection_path or '/'}")
        return status, responses.NO_BODY, []
    if binding.role == "read":
        return status, item, []
    if binding.role == "delete":
        del collection.items[key]
        collection.deleted.add(key)
        returns_body = any(r.content for r in op.success_responses)
        return status, item if returns_body else responses.NO_BODY, []
    changes = decoded.body if isinstance(decoded.body, dict) else {}
    updated = _overlay(handlers, binding, item, changes)
    if binding.id_property is not None:
        updated[binding.id_property] = item.get(binding.id_property)
    collection.items[key] = updated
    return status, updated, []
