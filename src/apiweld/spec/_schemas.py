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

from apiweld.spec._errors import Problems
from apiweld.spec._refs import Location, RefResolver
from apiweld.spec.ir import ANY_SCHEMA, Discriminator, Property, Schema
from apiweld.spec.names import class_name, property_name, unique_name

__all__ = ["MAX_INLINE_DEPTH", "SchemaBuilder"]

MAX_INLINE_DEPTH = 100
Dialect = Literal["2.0", "3.0", "3.1"]

_JSON_TYPES: frozenset[str] = frozenset(
    {"string", "number", "integer", "boolean", "array", "object", "null"}
)
_NULL_SCHEMA = Schema(types=("null",))
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
        names = {key: unique_name(class_name(key), self._taken) for key in sorted(container)}
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
        resolved = self._resolver.resolve(ref, at)
        if resolved is None:
            return None
        location, node = resolved
        name = self._name_of_node.get(id(node))
        if name is None:
            source_name = _name_from_location(location)
            name = unique_name(class_name(source_name), self._taken)
            self._name_node(name, source_name, node, location)
        return name

    def source_name(self, name: str) -> str | None:
        return self._source_name.get(name)

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
        self._add_implicit_discriminator_mappings()
        return self.schemas

    def build(self, raw: Any, location: Location, depth: int = 0) -> Schema:
        """One schema; refs become `Schema(ref=...)`; never raises on bad input."""
        if isinstance(raw, dict):
            memo = self._inline_memo.get(id(raw))
            if memo is not None:
                return memo[1]
            schema = self._build_object(raw, location, depth)
            if depth:
                self._inline_memo[id(raw)] = (raw, schema)
            return schema
        if raw is True or raw is None:
            return Schema(pointer=location.pointer)
        if raw is False:
            return Schema(pointer=location.pointer, not_=ANY_SCHEMA)
        self._warn(location, f"a schema must be an object, not {_kind(raw)}; treated as any value")
        return Schema(pointer=location.pointer)

    def _warn(self, location: Location, message: str) -> None:
        self._problems.warn(location.pointer, message, self._resolver.file_of(location.doc))

    def _build_object(self, raw: dict[str, Any], location: Location, depth: int) -> Schema:
        if depth > MAX_INLINE_DEPTH:
            self._warn(
                location,
                f"schema nested deeper than {MAX_INLINE_DEPTH} levels; treated as any value",
            )
            return Schema(pointer=location.pointer)
        if "$ref" in raw:
            ref = raw["$ref"]
            if isinstance(ref, str):
                return self._build_ref(raw, ref, location, depth)
            self._warn(location.child("$ref"), "$ref must be a string; ignored")
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
            return Schema(pointer=location.pointer, any_of=(schema, _NULL_SCHEMA))
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
            self._warn(
                location,
                "keywords beside $ref are ignored before OpenAPI 3.1: "
                + ", ".join(sorted(structural)[:5]),
            )
        elif structural:
            siblings = {k: v for k, v in raw.items() if k not in _REF_ANNOTATIONS}
            extra = Schema(**self._fields(siblings, location, depth))
            target = Schema(pointer=location.pointer, all_of=(target, extra))
        if raw.get("nullable") is True or raw.get("x-nullable") is True:
            target = Schema(pointer=location.pointer, any_of=(target, _NULL_SCHEMA))
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
            if kind is _SCALAR:
                if check(value):
                    fields[attr] = value
                elif not (key in _EXCLUSIVE_BOUNDS and isinstance(value, bool)):
                    self._warn(
                        location.child(key), f"{key} has the wrong type ({_kind(value)}); ignored"
                    )
            elif kind is _FLAG:
                if value is True:
                    fields[attr] = True
                elif value is not False:
                    self._warn(location.child(key), f"{key} must be a boolean; ignored")
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
        candidates = value if isinstance(value, list) else [value]
        types: list[str] = []
        for candidate in candidates:
            if candidate == "file":  # Swagger 2.0's upload type
                types.append("string")
                fields["format"] = "binary"
            elif isinstance(candidate, str) and candidate in _JSON_TYPES:
                if candidate not in types:
                    types.append(candidate)
            else:
                self._warn(
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
            self._warn(location.child("enum"), "enum must be an array; ignored")

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
            self._warn(location.child("examples"), "examples in a schema must be an array; ignored")

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
            self._warn(location.child("properties"), "properties must be an object; ignored")
            return
        required = raw.get("required")
        if isinstance(required, list):
            required_names = {r for r in required if isinstance(r, str)}
        else:
            required_names = set()
        py_names = _unique_py_names(list(value), property_name)
        doc, prefix = location.doc, location.pointer + "/properties/"
        fields["properties"] = tuple(
            Property(
                name=wire,
                py_name=py_names[wire],
                schema=self.build(sub, Location(doc, prefix + _escape(wire)), depth + 1),
                required=wire in required_names,
            )
            for wire, sub in value.items()
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
            self._warn(location.child("required"), "required must be an array; ignored")

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
            self._warn(
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
        built = self._discriminator(value, raw, location.child("discriminator"))
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
            self._warn(location.child("prefixItems"), "prefixItems must be an array; ignored")
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
            self._warn(location.child(key), f"{key} must be an array; ignored")
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

    def _discriminator(
        self, raw: Any, schema: dict[str, Any], location: Location
    ) -> Discriminator | None:
        if isinstance(raw, str):  # Swagger 2.0: just the property name
            return Discriminator(property_name=raw)
        if not isinstance(raw, dict) or not isinstance(raw.get("propertyName"), str):
            self._warn(location, "discriminator needs a string propertyName; ignored")
            return None
        mapping: list[tuple[str, str]] = []
        explicit = raw.get("mapping")
        if isinstance(explicit, dict):
            for value, target in explicit.items():
                name = self._mapping_target(target, location.child("mapping", value))
                if name is not None:
                    mapping.append((str(value), name))
        elif explicit is not None:
            self._warn(location.child("mapping"), "discriminator mapping must be an object")
        else:
            mapping = self._implicit_mapping(schema, location)
        return Discriminator(property_name=raw["propertyName"], mapping=tuple(mapping))

    def _mapping_target(self, target: Any, location: Location) -> str | None:
        if not isinstance(target, str):
            self._warn(location, "a discriminator mapping value must be a string; ignored")
            return None
        if "#" in target or "/" in target or target.endswith((".json", ".yaml", ".yml")):
            return self.name_for_ref(target, location)
        if self._components is not None and target in self._components[0]:
            return self._name_of_node.get(id(self._components[0][target]))
        self._warn(location, f"discriminator mapping names unknown schema {target!r}; ignored")
        return None

    def _implicit_mapping(
        self, schema: dict[str, Any], location: Location
    ) -> list[tuple[str, str]]:
        mapping: list[tuple[str, str]] = []
        for key in ("oneOf", "anyOf"):
            members = schema.get(key)
            if not isinstance(members, list):
                continue
            for index, member in enumerate(members):
                if isinstance(member, dict) and isinstance(member.get("$ref"), str):
                    name = self.name_for_ref(member["$ref"], location.child(key, index))
                    if name is not None:
                        mapping.append((self._source_name.get(name, name), name))
        return mapping

    def _add_implicit_discriminator_mappings(self) -> None:
        """A base schema with a discriminator maps every schema that extends it via `allOf`."""
        bases = {
            name: schema
            for name, schema in self.schemas.items()
            if schema.discriminator is not None and not schema.discriminator.mapping
        }
        if not bases:
            return
        children: dict[str, list[str]] = {name: [] for name in bases}
        for name, schema in self.schemas.items():
            for member in schema.all_of:
                if member.ref in children and member.ref != name:
                    children[member.ref].append(name)
        for base_name, kids in children.items():
            if not kids:
                continue
            base = bases[base_name]
            assert base.discriminator is not None
            discriminator = Discriminator(
                base.discriminator.property_name,
                tuple((self._source_name.get(k, k), k) for k in kids),
            )
            self.schemas[base_name] = _replace(base, discriminator=discriminator)


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


def _kind(value: Any) -> str:
    return {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
    }.get(type(value), type(value).__name__)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_positive(value: Any) -> bool:
    return _is_number(value) and value > 0


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


_SCALARS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "description": ("description", _is_str),
    "title": ("title", _is_str),
    "format": ("format", _is_str),
    "pattern": ("pattern", _is_str),
    "contentMediaType": ("content_media_type", _is_str),
    "contentEncoding": ("content_encoding", _is_str),
    "minimum": ("minimum", _is_number),
    "maximum": ("maximum", _is_number),
    "exclusiveMinimum": ("exclusive_minimum", _is_number),
    "exclusiveMaximum": ("exclusive_maximum", _is_number),
    "multipleOf": ("multiple_of", _is_positive),
    "minLength": ("min_length", _is_count),
    "maxLength": ("max_length", _is_count),
    "minItems": ("min_items", _is_count),
    "maxItems": ("max_items", _is_count),
    "minProperties": ("min_properties", _is_count),
    "maxProperties": ("max_properties", _is_count),
}
_EXCLUSIVE_BOUNDS = frozenset({"exclusiveMinimum", "exclusiveMaximum"})
_FLAGS: dict[str, str] = {
    "deprecated": "deprecated",
    "readOnly": "read_only",
    "writeOnly": "write_only",
    "uniqueItems": "unique_items",
}
_Handler = Callable[[SchemaBuilder, Any, dict[str, Any], Location, int, dict[str, Any]], None]
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
_SCALAR, _FLAG, _HANDLER = "scalar", "flag", "handler"
# One table for every keyword, so each key of a schema costs a single lookup.
_KEYWORDS: dict[str, tuple[str, str, Any]] = {
    **{key: (_SCALAR, attr, check) for key, (attr, check) in _SCALARS.items()},
    **{key: (_FLAG, attr, None) for key, attr in _FLAGS.items()},
    **{key: (_HANDLER, "", handler) for key, handler in _HANDLERS.items()},
}


def _unique_py_names(
    wire_names: list[str], make: Callable[[str], str], bare: Callable[[str], str] = str
) -> dict[str, str]:
    """Python names for wire names: a name already valid as is keeps it; others follow in order.

    `bare` maps a key to the name it is compared with (keys may carry a location prefix).
    """
    candidates = {wire: make(wire) for wire in wire_names}
    taken: set[str] = set()
    result: dict[str, str] = {}
    for wire in wire_names:
        name = candidates[wire]
        if name == bare(wire) and name not in taken:
            taken.add(name)
            result[wire] = name
    for wire in wire_names:
        if wire not in result:
            result[wire] = unique_name(candidates[wire], taken)
    return result
