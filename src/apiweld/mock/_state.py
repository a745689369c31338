"""Stateful collections and idempotency keys.

Where the paths follow the usual pattern (`/pets` with GET/POST beside `/pets/{petId}` with
GET/PUT/PATCH/DELETE), the mock keeps the collection in memory: seeded with generated items on
first use, POST adds one with a fresh id, item reads and list reads see it, PUT/PATCH change it,
DELETE removes it. Each concrete collection path (`/users/1/repos` apart from `/users/2/repos`)
is its own collection. Everything else is stateless.
"""

from __future__ import annotations

import copy
import hashlib
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from apiweld.spec.ir import Api, Operation, Schema


@dataclass(frozen=True, slots=True)
class CollectionBinding:
    """How an operation takes part in a collection."""

    role: str
    """`list`, `create`, `read`, `replace`, `update` or `delete`."""
    collection_template: str
    item_param: str
    item_schema: Schema | None
    id_property: str | None
    id_schema: Schema | None
    items_path: tuple[str, ...] | None = None
    """For a list: where its JSON answer holds the collection's items (`()` a bare array,
    `("data",)` an object wrapping one; a paged list's own items path); None when the answer
    has no such place, and the list is then answered from the schema alone."""


def _json_schema_of(op: Operation, statuses: tuple[str, ...]) -> Schema | None:
    for response in op.responses:
        if response.status in statuses or (response.status.startswith("2") and not statuses):
            for media in response.content:
                if "json" in media.media_type and media.schema is not None:
                    return media.schema
    return None


def _id_property(api: Api, item: Schema | None, param: str) -> tuple[str | None, Schema | None]:
    if item is None:
        return None, None
    from apiweld.mock.datagen import DataGenerator

    generator = DataGenerator(api)
    props = {p.name: p.schema for p in generator.flatten(item).properties}
    normalised = param.lower().replace("_", "").replace("-", "")
    found = next((c for c in (param, "id") if c in props), None)
    if found is None:
        found = next(
            (n for n in props if n.lower().replace("_", "").replace("-", "") == normalised), None
        )
    if found is None:
        return None, None
    # Flattened: an id declared as `allOf: [$ref: SeId]` keeps its type and pattern in the
    # part, and a new id must match them.
    return found, generator.flatten(props[found])


def find_collections(api: Api) -> dict[str, CollectionBinding]:
    """Operation id -> its collection role, for paths that follow the collection/item pattern."""
    by_path: dict[str, dict[str, Operation]] = {}
    for op in api.operations:
        by_path.setdefault(op.path.rstrip("/") or "/", {})[op.method] = op
    bindings: dict[str, CollectionBinding] = {}
    for item_path, item_ops in by_path.items():
        parent, _, last = item_path.rpartition("/")
        if not (last.startswith("{") and last.endswith("}") and last.count("{") == 1):
            continue
        collection_ops = by_path.get(parent or "/")
        if not collection_ops or not ({"get", "post"} & collection_ops.keys()):
            continue
        param = last[1:-1]
        item_schema = (
            _json_schema_of(item_ops["get"], ("200",)) if "get" in item_ops else None
        ) or (_json_schema_of(collection_ops["post"], ()) if "post" in collection_ops else None)
        id_prop, id_schema = _id_property(api, item_schema, param)
        id_schema = _stricter(api, id_schema, _path_param_schema(item_ops, param))
        roles = {
            (parent, "get"): "list",
            (parent, "post"): "create",
            (item_path, "get"): "read",
            (item_path, "put"): "replace",
            (item_path, "patch"): "update",
            (item_path, "delete"): "delete",
        }
        for (path, method), role in roles.items():
            bound = (collection_ops if path == parent else item_ops).get(method)
            if bound is not None:
                items_path = list_items_path(api, bound) if role == "list" else None
                bindings[bound.id] = CollectionBinding(
                    role, parent or "/", param, item_schema, id_prop, id_schema, items_path
                )
    return bindings


def _path_param_schema(ops: dict[str, Operation], name: str) -> Schema | None:
    for op in ops.values():
        for param in op.parameters:
            if param.location == "path" and param.name == name:
                return param.schema
    return None


def _constrained(schema: Schema) -> bool:
    return bool(
        schema.pattern
        or schema.enum
        or schema.min_length
        or schema.max_length is not None
        or schema.format in ("uuid", "date", "date-time")
    )


def _stricter(api: Api, id_schema: Schema | None, param_schema: Schema | None) -> Schema | None:
    """The schema new ids are made from. An id travels in the item's path, so when the path
    parameter constrains its text (a pattern, a length, an enum) and the id property does not,
    ids follow the parameter's schema: a counter such as `21` can fail its `minLength: 3` or
    its pattern, and the mock would then refuse its own ids with 422."""
    if param_schema is None or id_schema is None or _constrained(id_schema):
        return id_schema
    resolved = api.resolve(param_schema)
    if _constrained(resolved) and "string" in (id_schema.types or ("string",)):
        return resolved
    return id_schema


def list_items_path(api: Api, op: Operation) -> tuple[str, ...] | None:
    """Where a list operation's JSON answer holds its items: the paging items path; `()` for
    a bare unbounded array; `(name,)` for an object with one unbounded array property (or,
    among several, the one whose items are the schema the others are not); else None."""
    if op.pagination is not None:
        return op.pagination.items_path
    from apiweld.mock.datagen import DataGenerator

    generator = DataGenerator(api)
    schema = _json_schema_of(op, ())
    if schema is None:
        return None
    shape = generator.flatten(schema)
    if "array" in shape.types and shape.max_items is None:
        return ()
    if shape.types and "object" not in shape.types:
        return None
    arrays = []
    for prop in shape.properties:
        candidate = generator.flatten(prop.schema)
        if "array" in candidate.types and candidate.max_items is None:
            arrays.append(prop.name)
    return (arrays[0],) if len(arrays) == 1 else None


@dataclass(slots=True)
class Collection:
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    counter: int = 0


class CollectionStore:
    """The in-memory collections of one mock server (touched only from its event loop)."""

    def __init__(
        self,
        size: int,
        seed: int,
        generate: Callable[[Schema, random.Random, bool], Any],
        generate_item: Callable[[Schema, random.Random, int], Any],
    ) -> None:
        """`generate(schema, rng, use_examples)` makes one valid value; `generate_item(schema,
        rng, index)` the index-th item of a collection (varied, not the example each time)."""
        self._size = size
        self._seed = seed
        self._generate = generate
        self._generate_item = generate_item
        self._collections: dict[str, Collection] = {}

    def collection(self, concrete_path: str, binding: CollectionBinding) -> Collection:
        found = self._collections.get(concrete_path)
        if found is None:
            found = Collection()
            self._collections[concrete_path] = found
            if binding.item_schema is not None:
                rng = random.Random(f"{self._seed}:{concrete_path}")
                for index in range(self._size):
                    item = self._generate_item(binding.item_schema, rng, index)
                    if isinstance(item, dict):
                        # A copy: the generator may hand out the description's example object
                        # itself, and inserting sets the id on it.
                        self.insert(found, binding, copy.deepcopy(item), rng)
        return found

    def new_id(self, collection: Collection, binding: CollectionBinding, rng: random.Random) -> Any:
        collection.counter += 1
        schema = binding.id_schema
        types = schema.types if schema is not None else ()
        fmt = schema.format if schema is not None else None
        if "integer" in types or "number" in types:
            return collection.counter
        if fmt == "uuid":
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if schema is not None and (schema.pattern or schema.enum or schema.min_length):
            for attempt in range(20):
                # The example first (a realistic id), then drawn from the schema: the example
                # alone would give every item the same id.
                candidate = self._generate(schema, rng, attempt == 0)
                if str(candidate) not in collection.items:
                    return candidate
        return str(collection.counter)

    def insert(
        self,
        collection: Collection,
        binding: CollectionBinding,
        item: dict[str, Any],
        rng: random.Random,
    ) -> str:
        if binding.id_property is not None:
            item[binding.id_property] = self.new_id(collection, binding, rng)
            key = str(item[binding.id_property])
        else:
            collection.counter += 1
            key = str(collection.counter)
        collection.items[key] = item
        collection.deleted.discard(key)
        return key


@dataclass(frozen=True, slots=True)
class StoredResponse:
    fingerprint: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    content_type: str | None


class IdempotencyStore:
    """First response per (method, path, key); a replay returns it and creates nothing."""

    def __init__(self) -> None:
        self._responses: dict[tuple[str, str, str], StoredResponse] = {}

    @staticmethod
    def fingerprint(body: bytes) -> str:
        return hashlib.sha256(body).hexdigest()

    def get(self, method: str, path: str, key: str) -> StoredResponse | None:
        return self._responses.get((method, path, key))

    def put(self, method: str, path: str, key: str, response: StoredResponse) -> None:
        self._responses.setdefault((method, path, key), response)
