"""Raw JSON Schema (OpenAPI 3.0, 3.1 and Swagger 2.0 dialects) into the IR's `Schema`.

Named schemas (components, and any schema reached through a `$ref`) are converted once each from
a worklist, and every use of one is a `Schema(ref=name)`; so a recursive schema becomes a cycle of
names and conversion never follows a reference recursively. Inline nesting is followed
recursively but only to `MAX_INLINE_DEPTH` levels (deeper parts degrade to "any" with a warning),
so no description can overflow the stack.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Literal

from apiweld.spec._construct import new_schema, replace_schema
from apiweld.spec._discriminators import add_implicit_mappings
from apiweld.spec._errors import Problems
from apiweld.spec._keywords import (
    EXCLUSIVE_BOUNDS,
    FLAG,
    KEYWORDS,
    SCALAR,
    TEXT,
    Node,
    describe_type,
)
from apiweld.spec._refs import Location, RefResolver
from apiweld.spec.ir import ANY_SCHEMA, JsonType, Schema
from apiweld.spec.names import class_name, unique_name

__all__ = ["MAX_INLINE_DEPTH", "SchemaBuilder"]

# About five Python frames per level: 64 levels stay well below the default recursion limit
# even when `load` is called from deep inside a program; real schemas nest far less inline.
MAX_INLINE_DEPTH = 64
# `tuple.__new__` directly: a node is made for every schema read (see `make_location_fast`).
make_node = tuple.__new__
Dialect = Literal["2.0", "3.0", "3.1"]

_NULL_TYPE: tuple[JsonType, ...] = ("null",)
# Fields of an untyped schema that can reject null (so `nullable` must be spelled out).
_EXCLUDES_NULL = frozenset({"all_of", "one_of", "any_of", "not_", "enum", "has_const"})
# Keywords that may sit beside a `$ref` without changing what it validates.
_REF_ANNOTATIONS: frozenset[str] = frozenset(
    {
        "$ref",
        "description",
        "summary",
        "title",
        "default",
        "example",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
        "nullable",
        "x-nullable",
        "$comment",
        "externalDocs",
        "xml",
    }
)
# Pointer tokens that say nothing about what a schema is, skipped when naming one by location.
_GENERIC_TOKENS: frozenset[str] = frozenset(
    {
        "schema",
        "schemas",
        "content",
        "items",
        "properties",
        "definitions",
        "components",
        "allOf",
        "oneOf",
        "anyOf",
        "not",
        "additionalProperties",
        "responses",
        "requestBody",
        "requestBodies",
        "parameters",
        "headers",
        "paths",
        "get",
        "put",
        "post",
        "delete",
        "patch",
        "head",
        "options",
        "trace",
        "prefixItems",
        "$defs",
        "webhooks",
        "callbacks",
    }
)


def _name_from_location(location: Location) -> str:
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in location.pointer.split("/")[1:]]
    for token in reversed(tokens):
        if token and token not in _GENERIC_TOKENS and not token.isdigit() and "/" not in token[1:]:
            return token
    if location.doc:
        stem = location.doc.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
        return stem.rsplit(".", 1)[0] or "Schema"
    return "Schema"


class SchemaBuilder:
    def __init__(self, resolver: RefResolver, problems: Problems, dialect: Dialect) -> None:
        self._resolver = resolver
        self._problems = problems
        self._dialect = dialect
        self.schemas: dict[str, Schema] = {}
        self._name_of_node: dict[int, str] = {}
        self._name_of_ref: dict[tuple[str, str], str] = {}
        self._source_name: dict[str, str] = {}
        self._taken: set[str] = set()
        self._pending: deque[tuple[str, Any, Location]] = deque()
        self._inline_memo: dict[int, tuple[Any, Schema]] = {}
        self._components: tuple[dict[str, Any], Location] | None = None

    # -- naming -------------------------------------------------------------------------------

    def register_components(self, container: Any, location: Location) -> None:
        """Name every component schema first, in sorted order, so names never depend on use."""
        if not isinstance(container, dict):
            return
        self._components = (container, location)
        names = {
            key: unique_name(class_name(key), self._taken, separator="")
            for key in sorted(container)
        }
        for key, node in container.items():
            self._name_node(names[key], key, node, location.child(key))

    def _name_node(self, name: str, source_name: str, node: Any, location: Location) -> None:
        self._name_of_node[id(node)] = name
        self._source_name[name] = source_name
        # Reserve the slot now so `schemas` keeps registration order (components first).
        self.schemas[name] = ANY_SCHEMA
        self._pending.append((name, node, location))

    def name_for_ref(self, ref: str, at: Location) -> str | None:
        """The class name of the schema a `$ref` points to (registering it if new), or None."""
        known = self._name_of_ref.get((at.doc, ref))
        if known is not None:  # large descriptions repeat the same few thousand refs
            return known
        resolved = self._resolver.resolve(ref, at)
        if resolved is None:
            return None
        location, node = resolved
        name = self._name_of_node.get(id(node))
        if name is None:
            source_name = _name_from_location(location)
            name = unique_name(class_name(source_name), self._taken, separator="")
            self._name_node(name, source_name, node, location)
        self._name_of_ref[(at.doc, ref)] = name
        return name

    def source_name(self, name: str) -> str | None:
        return self._source_name.get(name)

    def component_name(self, key: str) -> str | None:
        """The class name of the component schema with this key, if there is one."""
        if self._components is None or key not in self._components[0]:
            return None
        return self._name_of_node.get(id(self._components[0][key]))

    # -- conversion ---------------------------------------------------------------------------

    def drain(self) -> None:
        """Convert every registered named schema (conversion may register more)."""
        while self._pending:
            name, node, location = self._pending.popleft()
            source_name = self._source_name.get(name)
            if isinstance(node, dict) and "$ref" not in node and not _is_nullable(node):
                # The common case, built with its name at once rather than copied to add it.
                fields = self._fields(node, location, 0)
                self.schemas[name] = new_schema(name=name, source_name=source_name, **fields)
            else:
                converted = self.build(node, location)
                self.schemas[name] = _with_name(converted, name, source_name)

    def finish(self) -> dict[str, Schema]:
        self.drain()
        add_implicit_mappings(self.schemas, self._source_name)
        return self.schemas

    def build(self, raw: Any, location: Location, depth: int = 0) -> Schema:
        """One schema; refs become `Schema(ref=...)`; never raises on bad input."""
        if isinstance(raw, dict):
            # The same node reached again (a shared component parameter or response at depth
            # 0; anywhere, with YAML aliases) is the same schema at the same pointer: built
            # once. Parsed JSON shares no nested node, so it skips the memo there. The node is
            # kept in the memo so its id cannot be reused by another object meanwhile.
            if depth and not self._resolver.shares_nodes:
                return self._build_object(raw, location, depth)
            memo = self._inline_memo.get(id(raw))
            if memo is not None:
                return memo[1]
            schema = self._build_object(raw, location, depth)
            self._inline_memo[id(raw)] = (raw, schema)
            return schema
        if raw is True or raw is None:
            return new_schema(pointer=location.pointer)
        if raw is False:
            return new_schema(pointer=location.pointer, not_=ANY_SCHEMA)
        self.warn(
            location, f"a schema must be an object, not {describe_type(raw)}; treated as any value"
        )
        return new_schema(pointer=location.pointer)

    def resolve_ref(self, ref: str, at: Location) -> tuple[Location, Any] | None:
        """A non-schema `$ref` inside a schema (a map of properties); None when reported."""
        return self._resolver.resolve(ref, at)

    def warn(self, location: Location, message: str) -> None:
        self._problems.warn(location.pointer, message, self._resolver.file_of(location.doc))

    def _build_object(self, raw: dict[str, Any], location: Location, depth: int) -> Schema:
        if depth > MAX_INLINE_DEPTH:
            self.warn(
                location,
                f"schema nested deeper than {MAX_INLINE_DEPTH} levels; treated as any value",
            )
            return new_schema(pointer=location.pointer)
        if "$ref" in raw:
            ref = raw["$ref"]
            if isinstance(ref, str):
                return self._build_ref(raw, ref, location, depth)
            self.warn(location.child("$ref"), "$ref must be a string; ignored")
        fields = self._fields(raw, location, depth)
        if "nullable" not in raw and "x-nullable" not in raw:
            return new_schema(**fields)
        if raw.get("nullable") is not True and raw.get("x-nullable") is not True:
            return new_schema(**fields)
        types: tuple[str, ...] = fields.get("types", ())
        if types and "null" not in types:
            fields["types"] = (*types, "null")
        schema = new_schema(**fields)
        if not types and _EXCLUDES_NULL.intersection(fields):
            # `nullable` beside a composition (`allOf: [$ref]`) or an enum that would reject
            # null: say it as `anyOf [x, null]`, the 3.1 way.
            return new_schema(
                pointer=location.pointer,
                any_of=(schema, new_schema(pointer=location.pointer, types=_NULL_TYPE)),
            )
        return schema

    def _build_ref(self, raw: dict[str, Any], ref: str, location: Location, depth: int) -> Schema:
        name = self.name_for_ref(ref, location)
        annotations = self._fields(
            {k: v for k, v in raw.items() if k in _REF_ANNOTATIONS and k != "$ref"},
            location,
            depth,
        )
        target = (
            new_schema(ref=name, **annotations) if name is not None else new_schema(**annotations)
        )
        structural = [k for k in raw if k not in _REF_ANNOTATIONS and k[:2] != "x-"]
        if structural and self._dialect != "3.1":
            self.warn(
                location,
                "keywords beside $ref are ignored before OpenAPI 3.1: "
                + ", ".join(sorted(structural)[:5]),
            )
        elif structural:
            siblings = {k: v for k, v in raw.items() if k not in _REF_ANNOTATIONS}
            extra = new_schema(**self._fields(siblings, location, depth))
            target = new_schema(pointer=location.pointer, all_of=(target, extra))
        if raw.get("nullable") is True or raw.get("x-nullable") is True:
            target = new_schema(
                pointer=location.pointer,
                any_of=(target, new_schema(pointer=location.pointer, types=_NULL_TYPE)),
            )
        return target

    def _fields(self, raw: dict[str, Any], location: Location, depth: int) -> dict[str, Any]:
        """The `Schema` keyword arguments for a raw schema, in one pass over its keys.

        Dispatching on the keys present (usually 2-5) instead of probing for each of the ~40
        keywords is what keeps large descriptions fast.
        """
        fields: dict[str, Any] = {"pointer": location.pointer}
        extensions: dict[str, Any] | None = None
        node = make_node(Node, (raw, location, depth, fields))
        for key, value in raw.items():
            keyword = KEYWORDS.get(key)
            if keyword is None:
                if key[:2] == "x-":
                    if extensions is None:
                        extensions = {}
                    extensions[key] = value
                continue
            kind, attr, check = keyword
            # The three commonest kinds are checked here, without a call.
            if kind is TEXT:
                valid = value.__class__ is str
            elif kind is SCALAR:
                valid = check(value)
            elif kind is FLAG:
                valid = value is True or value is False
            else:
                check(self, key, attr, value, node)
                continue
            if valid:
                fields[attr] = value
            else:
                self._reject(kind, key, value, location)
        if extensions:
            fields["extensions"] = extensions
        # 3.0's boolean exclusiveMinimum/Maximum qualify minimum/maximum.
        if "minimum" in fields and raw.get("exclusiveMinimum") is True:
            fields["exclusive_minimum"] = fields.pop("minimum")
        if "maximum" in fields and raw.get("exclusiveMaximum") is True:
            fields["exclusive_maximum"] = fields.pop("maximum")
        return fields

    def _reject(self, kind: str, key: str, value: Any, location: Location) -> None:
        if kind is TEXT:
            self.warn(location.child(key), f"{key} must be a string; ignored")
        elif kind is FLAG:
            self.warn(location.child(key), f"{key} must be a boolean; ignored")
        elif not (key in EXCLUSIVE_BOUNDS and isinstance(value, bool)):
            # (3.0's boolean exclusive bounds are read beside minimum/maximum, in `_fields`.)
            self.warn(
                location.child(key), f"{key} has the wrong type ({describe_type(value)}); ignored"
            )


def _is_nullable(raw: dict[str, Any]) -> bool:
    return raw.get("nullable") is True or raw.get("x-nullable") is True


def _with_name(schema: Schema, name: str, source_name: str | None) -> Schema:
    return replace_schema(schema, name=name, source_name=source_name)
