"""Raw JSON Schema (OpenAPI 3.0, 3.1 and Swagger 2.0 dialects) into the IR's `Schema`.

Named schemas (components, and any schema reached through a `$ref`) are converted once each from
a worklist, and every use of one is a `Schema(ref=name)`; so a recursive schema becomes a cycle of
names and conversion never follows a reference recursively. Inline nesting is followed
recursively but only to `MAX_INLINE_DEPTH` levels (deeper parts degrade to "any" with a warning),
so no description can overflow the stack.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, Literal

from apiweld.spec._discriminators import add_implicit_mappings, read_discriminator
from apiweld.spec._errors import Problems
from apiweld.spec._keywords import (
    EXCLUSIVE_BOUNDS,
    FLAG,
    FLAG_KEYWORDS,
    JSON_TYPES,
    SCALAR,
    SCALAR_KEYWORDS,
    TEXT,
    TEXT_KEYWORDS,
    describe_type,
)
from apiweld.spec._refs import Location, RefResolver, make_location_fast
from apiweld.spec.ir import ANY_SCHEMA, JsonType, Property, Schema
from apiweld.spec.names import assign_py_names, class_name, property_name, unique_name

__all__ = ["MAX_INLINE_DEPTH", "SchemaBuilder"]

# About five Python frames per level: 64 levels stay well below the default recursion limit
# even when `load` is called from deep inside a program; real schemas nest far less inline.
MAX_INLINE_DEPTH = 64
Dialect = Literal["2.0", "3.0", "3.1"]

_NULL_TYPE: tuple[JsonType, ...] = ("null",)
_SINGLE_TYPES: dict[str, tuple[str, ...]] = {t: (t,) for t in JSON_TYPES}
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
                self.schemas[name] = Schema(name=name, source_name=source_name, **fields)
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
            return Schema(pointer=location.pointer)
        if raw is False:
            return Schema(pointer=location.pointer, not_=ANY_SCHEMA)
        self.warn(
            location, f"a schema must be an object, not {describe_type(raw)}; treated as any value"
        )
        return Schema(pointer=location.pointer)

    def warn(self, location: Location, message: str) -> None:
        self._problems.warn(location.pointer, message, self._resolver.file_of(location.doc))

    def _build_object(self, raw: dict[str, Any], location: Location, depth: int) -> Schema:
        if depth > MAX_INLINE_DEPTH:
            self.warn(
                location,
                f"schema nested deeper than {MAX_INLINE_DEPTH} levels; treated as any value",
            )
            return Schema(pointer=location.pointer)
        if "$ref" in raw:
            ref = raw["$ref"]
            if isinstance(ref, str):
                return self._build_ref(raw, ref, location, depth)
            self.warn(location.child("$ref"), "$ref must be a string; ignored")
        fields = self._fields(raw, location, depth)
        if "nullable" not in raw and "x-nullable" not in raw:
            return Schema(**fields)
        if raw.get("nullable") is not True and raw.get("x-nullable") is not True:
            return Schema(**fields)
        types: tuple[str, ...] = fields.get("types", ())
        if types and "null" not in types:
            fields["types"] = (*types, "null")
        schema = Schema(**fields)
        if not types and _EXCLUDES_NULL.intersection(fields):
            # `nullable` beside a composition (`allOf: [$ref]`) or an enum that would reject
            # null: say it as `anyOf [x, null]`, the 3.1 way.
            return Schema(
                pointer=location.pointer,
                any_of=(schema, Schema(pointer=location.pointer, types=_NULL_TYPE)),
            )
        return schema

    def _build_ref(self, raw: dict[str, Any], ref: str, location: Location, depth: int) -> Schema:
        name = self.name_for_ref(ref, location)
        annotations = self._fields(
            {k: v for k, v in raw.items() if k in _REF_ANNOTATIONS and k != "$ref"},
            location,
            depth,
        )
        target = Schema(ref=name, **annotations) if name is not None else Schema(**annotations)
        structural = [k for k in raw if k not in _REF_ANNOTATIONS and k[:2] != "x-"]
        if structural and self._dialect != "3.1":
            self.warn(
                location,
                "keywords beside $ref are ignored before OpenAPI 3.1: "
                + ", ".join(sorted(structural)[:5]),
            )
        elif structural:
            siblings = {k: v for k, v in raw.items() if k not in _REF_ANNOTATIONS}
            extra = Schema(**self._fields(siblings, location, depth))
            target = Schema(pointer=location.pointer, all_of=(target, extra))
        if raw.get("nullable") is True or raw.get("x-nullable") is True:
            target = Schema(
                pointer=location.pointer,
                any_of=(target, Schema(pointer=location.pointer, types=_NULL_TYPE)),
            )
        return target

    def _fields(self, raw: dict[str, Any], location: Location, depth: int) -> dict[str, Any]:
        """The `Schema` keyword arguments for a raw schema, in one pass over its keys.

        Dispatching on the keys present (usually 2-5) instead of probing for each of the ~40
        keywords is what keeps large descriptions fast.
        """
        fields: dict[str, Any] = {"pointer": location.pointer}
        extensions: dict[str, Any] | None = None
        for key, value in raw.items():
            keyword = _KEYWORDS.get(key)
            if keyword is None:
                if key[:2] == "x-":
                    if extensions is None:
                        extensions = {}
                    extensions[key] = value
                continue
            kind, attr, check = keyword
            if kind is TEXT:
                if value.__class__ is str:
                    fields[attr] = value
                else:
                    self.warn(location.child(key), f"{key} must be a string; ignored")
            elif kind is SCALAR:
                if check(value):
                    fields[attr] = value
                elif not (key in EXCLUSIVE_BOUNDS and isinstance(value, bool)):
                    self.warn(
                        location.child(key),
                        f"{key} has the wrong type ({describe_type(value)}); ignored",
                    )
            elif kind is FLAG:
                if value is True:
                    fields[attr] = True
                elif value is not False:
                    self.warn(location.child(key), f"{key} must be a boolean; ignored")
            else:
                check(self, value, raw, location, depth, fields)
        if extensions:
            fields["extensions"] = extensions
        # 3.0's boolean exclusiveMinimum/Maximum qualify minimum/maximum.
        if "minimum" in fields and raw.get("exclusiveMinimum") is True:
            fields["exclusive_minimum"] = fields.pop("minimum")
        if "maximum" in fields and raw.get("exclusiveMaximum") is True:
            fields["exclusive_maximum"] = fields.pop("maximum")
        return fields

    # Keyword handlers: (value, the raw schema, its location, depth, fields being built).

    def _on_type(
        self,
        value: Any,
        raw: dict[str, Any],
        location: Location,
        depth: int,
        fields: dict[str, Any],
    ) -> None:
        single = _SINGLE_TYPES.get(value) if value.__class__ is str else None
        if single is not None:  # the common case: one valid type, a shared tuple
            fields["types"] = single
            return
        candidates = value if isinstance(value, list) else [value]
        types: list[str] = []
        for candidate in candidates:
            if candidate == "file":  # Swagger 2.0's upload type
                types.append("string")
                fields["format"] = "binary"
            elif isinstance(candidate, str) and candidate in JSON_TYPES:
                if candidate not in types:
                    types.append(candidate)
            else:
                self.warn(
                    location.child("type"), f"unknown type {candidate!r}; treated as any type"
                )
                return
        if types:
            fields["types"] = tuple(types)

    def _on_enum(
        self,
        value: Any,
        raw: dict[str, Any],
        location: Location,
        depth: int,
        fields: dict[str, Any],
    ) -> None:
        if isinstance(value, list):
            fields["enum"] = tuple(value)
        else:
            self.warn(location.child("enum"), "enum must be an array; ignored")

    def _on_const(
        self,
        value: Any,
        raw: dict[str, Any],
        location: Location,
        depth: int,
        fields: dict[str, Any],
    ) -> None:
        fields["has_const"] = True
        fields["const"] = value

    def _on_default(
        self,
        value: Any,
        raw: dict[str, Any],
        location: Location,
        depth: int,
        fields: dict[str, Any],
    ) -> None:
        fields["has_default"] = True
        fields["default"] = value

    def _on_examples(
        self,
        value: Any,
        raw: dict[str, Any],
        location: Location,
        depth: int,
        fields: dict[str, Any],
    ) -> None:
        if isinstance(value, list):
            fields["examples"] = (*value, *fields.get("examples", ()))
        else:
            self.warn(location.child("examples"), "examples in a schema must be an array; ignored")

    def _on_example(
        self,
        value: Any,
        raw: dict[str, Any],
        location: Location,
        depth: int,
        fields: dict[str, Any],
    ) -> None:
        fields["examples"] = (*fields.get("examples", ()), value)

    def _on_properties(
        self,
        value: Any,
        raw: dict[str, Any],
        location: Location,
        depth: int,
        fields: dict[str, Any],
    ) -> None:
        if not isinstance(value, dict):
            self.warn(location.child("properties"), "properties must be an object; ignored")
            return
        required = raw.get("required")
        if isinstance(required, list):
            required_names = {r for r in required if isinstance(r, str)}
        else:
            required_names = set()
        py_names = assign_py_names(list(value), property_name)
        doc, prefix = location.doc, location.pointer + "/properties/"
        build, nested = self.build, depth + 1
        # A list comprehension, positional arguments: this runs once per property.
        fields["properties"] = tuple(
            [
                Property(
                    wire,
                    py_names[wire],
                    build(sub, make_location_fast(Location, (doc, prefix + _escape(wire))), nested),
                    wire in required_names,
                )
                for wire, sub in value.items()
            ]
        )

    def _on_required(
        self,
        value: Any,
        raw: dict[str, Any],
        location: Location,
        depth: int,
        fields: dict[str, Any],
    ) -> None:
        if not isinstance(value, list) and not isinstance(value, bool):
            # A boolean is draft-3 style `required: true` on a property: harmless, ignored.
            self.warn(location.child("required"), "required must be an array; ignored")

    def _on_additional_properties(
        self,
        value: Any,
        raw: dict[str, Any],
        location: Location,
        depth: int,
        fields: dict[str, Any],
    ) -> None:
        if isinstance(value, bool):
            fields["additional_properties"] = value
        else:
            fields["additional_properties"] = self.build(
                value, location.child("additionalProperties"), depth + 1
            )

    def _on_pattern_properties(
        self,
        value: Any,
        raw: dict[str, Any],
        location: Location,
        depth: int,
        fields: dict[str, Any],
    ) -> None:
        if not isinstance(value, dict):
            self.warn(
                location.child("patternProperties"), "patternProperties must be an object; ignored"
            )
            return
        here = location.child("patternProperties")
        fields["pattern_properties"] = tuple(
            (pattern, self.build(sub, here.child(pattern), depth + 1))
            for pattern, sub in value.items()
        )

    def _on_discriminator(
        self,
        value: Any,
        raw: dict[str, Any],
        location: Location,
        depth: int,
        fields: dict[str, Any],
    ) -> None:
        built = read_discriminator(self, value, raw, location.child("discriminator"))
        if built is not None:
            fields["discriminator"] = built

    def _on_items(
        self,
        value: Any,
        raw: dict[str, Any],
        location: Location,
        depth: int,
        fields: dict[str, Any],
    ) -> None:
        if isinstance(value, list):  # draft 2019 / OpenAPI 3.0 tuple form
            here = location.child("items")
            fields.setdefault(
                "prefix_items",
                tuple(self.build(s, here.child(i), depth + 1) for i, s in enumerate(value)),
            )
            extra = raw.get("additionalItems")
            if extra is not None and not isinstance(extra, bool):
                fields["items"] = self.build(extra, location.child("additionalItems"), depth + 1)
        else:
            items_at = Location(location.doc, location.pointer + "/items")
            fields["items"] = self.build(value, items_at, depth + 1)

    def _on_prefix_items(
        self,
        value: Any,
        raw: dict[str, Any],
        location: Location,
        depth: int,
        fields: dict[str, Any],
    ) -> None:
        if not isinstance(value, list):
            self.warn(location.child("prefixItems"), "prefixItems must be an array; ignored")
            return
        here = location.child("prefixItems")
        fields["prefix_items"] = tuple(
            self.build(s, here.child(i), depth + 1) for i, s in enumerate(value)
        )

    def _on_composition(
        self,
        value: Any,
        raw: dict[str, Any],
        location: Location,
        depth: int,
        fields: dict[str, Any],
        *,
        key: str = "",
        attr: str = "",
    ) -> None:
        if not isinstance(value, list):
            self.warn(location.child(key), f"{key} must be an array; ignored")
            return
        here = location.child(key)
        fields[attr] = tuple(self.build(s, here.child(i), depth + 1) for i, s in enumerate(value))

    def _on_all_of(
        self,
        value: Any,
        raw: dict[str, Any],
        location: Location,
        depth: int,
        fields: dict[str, Any],
    ) -> None:
        self._on_composition(value, raw, location, depth, fields, key="allOf", attr="all_of")

    def _on_one_of(
        self,
        value: Any,
        raw: dict[str, Any],
        location: Location,
        depth: int,
        fields: dict[str, Any],
    ) -> None:
        self._on_composition(value, raw, location, depth, fields, key="oneOf", attr="one_of")

    def _on_any_of(
        self,
        value: Any,
        raw: dict[str, Any],
        location: Location,
        depth: int,
        fields: dict[str, Any],
    ) -> None:
        self._on_composition(value, raw, location, depth, fields, key="anyOf", attr="any_of")

    def _on_not(
        self,
        value: Any,
        raw: dict[str, Any],
        location: Location,
        depth: int,
        fields: dict[str, Any],
    ) -> None:
        fields["not_"] = self.build(value, location.child("not"), depth + 1)


def _replace(schema: Schema, **changes: Any) -> Schema:
    import dataclasses

    return dataclasses.replace(schema, **changes)


def _escape(token: str) -> str:
    """A JSON pointer token (RFC 6901), inlined here because it runs once per property."""
    if "~" in token or "/" in token:
        return token.replace("~", "~0").replace("/", "~1")
    return token


def _is_nullable(raw: dict[str, Any]) -> bool:
    return raw.get("nullable") is True or raw.get("x-nullable") is True


def _with_name(schema: Schema, name: str, source_name: str | None) -> Schema:
    return _replace(schema, name=name, source_name=source_name)


_Handler = Callable[[SchemaBuilder, Any, dict[str, Any], Location, int, dict[str, Any]], None]
_HANDLER = "handler"
_HANDLERS: dict[str, _Handler] = {
    "type": SchemaBuilder._on_type,
    "properties": SchemaBuilder._on_properties,
    "required": SchemaBuilder._on_required,
    "items": SchemaBuilder._on_items,
    "enum": SchemaBuilder._on_enum,
    "example": SchemaBuilder._on_example,
    "examples": SchemaBuilder._on_examples,
    "default": SchemaBuilder._on_default,
    "const": SchemaBuilder._on_const,
    "allOf": SchemaBuilder._on_all_of,
    "oneOf": SchemaBuilder._on_one_of,
    "anyOf": SchemaBuilder._on_any_of,
    "not": SchemaBuilder._on_not,
    "additionalProperties": SchemaBuilder._on_additional_properties,
    "patternProperties": SchemaBuilder._on_pattern_properties,
    "prefixItems": SchemaBuilder._on_prefix_items,
    "discriminator": SchemaBuilder._on_discriminator,
}
# One table for every keyword, so each key of a schema costs a single lookup.
_KEYWORDS: dict[str, tuple[str, str, Any]] = {
    **{key: (TEXT, attr, None) for key, attr in TEXT_KEYWORDS.items()},
    **{key: (SCALAR, attr, check) for key, (attr, check) in SCALAR_KEYWORDS.items()},
    **{key: (FLAG, attr, None) for key, attr in FLAG_KEYWORDS.items()},
    **{key: (_HANDLER, "", handler) for key, handler in _HANDLERS.items()},
}
