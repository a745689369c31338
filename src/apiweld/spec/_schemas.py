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
# Keywords that may sit beside a `$ref` without changing what it validates.
_REF_ANNOTATIONS: frozenset[str] = frozenset(
    {"$ref", "description", "summary", "title", "default", "example", "examples", "deprecated",
     "readOnly", "writeOnly", "nullable", "x-nullable", "$comment", "externalDocs", "xml"}
)
# Pointer tokens that say nothing about what a schema is, skipped when naming one by location.
_GENERIC_TOKENS: frozenset[str] = frozenset(
    {"schema", "schemas", "content", "items", "properties", "definitions", "components",
     "allOf", "oneOf", "anyOf", "not", "additionalProperties", "responses", "requestBody",
     "requestBodies", "parameters", "headers", "paths", "get", "put", "post", "delete",
     "patch", "head", "options", "trace", "prefixItems", "$defs", "webhooks", "callbacks"}
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
            converted = self.build(node, location)
            self.schemas[name] = _with_name(converted, name, self._source_name.get(name))

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
            self._warn(location, f"schema nested deeper than {MAX_INLINE_DEPTH} levels; "
                                 "treated as any value")
            return Schema(pointer=location.pointer)
        ref = raw.get("$ref")
        if isinstance(ref, str):
            return self._build_ref(raw, ref, location, depth)
        if ref is not None:
            self._warn(location.child("$ref"), "$ref must be a string; ignored")
        fields = self._fields(raw, location, depth)
        nullable = raw.get("nullable") is True or raw.get("x-nullable") is True
        types: tuple[str, ...] = fields.get("types", ())
        if nullable and types and "null" not in types:
            fields["types"] = (*types, "null")
        schema = Schema(**fields)
        if nullable and not types and len(fields) > 1:
            # `nullable` beside only a composition (`allOf: [$ref]`): say it as `anyOf [x, null]`.
            return Schema(pointer=location.pointer, any_of=(schema, _NULL_SCHEMA))
        return schema

    def _build_ref(self, raw: dict[str, Any], ref: str, location: Location, depth: int) -> Schema:
        name = self.name_for_ref(ref, location)
        annotations = self._annotations(raw, location)
        target = (
            Schema(pointer=location.pointer, ref=name, **annotations)
            if name is not None
            else Schema(pointer=location.pointer, **annotations)
        )
        structural = [k for k in raw if k not in _REF_ANNOTATIONS and not k.startswith("x-")]
        if structural and self._dialect != "3.1":
            self._warn(location, "keywords beside $ref are ignored before OpenAPI 3.1: "
                                 + ", ".join(sorted(structural)[:5]))
        elif structural:
            siblings = {k: v for k, v in raw.items() if k != "$ref"}
            extra = Schema(**self._fields(siblings, location, depth))
            target = Schema(pointer=location.pointer, all_of=(target, extra))
        if raw.get("nullable") is True or raw.get("x-nullable") is True:
            target = Schema(pointer=location.pointer, any_of=(target, _NULL_SCHEMA))
        return target

    def _annotations(self, raw: dict[str, Any], location: Location) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        description = raw.get("description")
        if isinstance(description, str):
            fields["description"] = description
        title = raw.get("title")
        if isinstance(title, str):
            fields["title"] = title
        if "default" in raw:
            fields["has_default"] = True
            fields["default"] = raw["default"]
        examples = _examples(raw)
        if examples:
            fields["examples"] = examples
        for key, attr in (("deprecated", "deprecated"), ("readOnly", "read_only"),
                          ("writeOnly", "write_only")):
            value = raw.get(key)
            if value is True:
                fields[attr] = True
            elif value is not None and value is not False:
                self._warn(location.child(key), f"{key} must be a boolean; ignored")
        return fields

    def _fields(self, raw: dict[str, Any], location: Location, depth: int) -> dict[str, Any]:
        fields = self._annotations(raw, location)
        fields["pointer"] = location.pointer
        types = self._types(raw, location, fields)
        if types:
            fields["types"] = types
        fmt = raw.get("format")
        if isinstance(fmt, str) and "format" not in fields:
            fields["format"] = fmt
        if "enum" in raw:
            enum = raw["enum"]
            if isinstance(enum, list):
                fields["enum"] = tuple(enum)
            else:
                self._warn(location.child("enum"), "enum must be an array; ignored")
        if "const" in raw:
            fields["has_const"] = True
            fields["const"] = raw["const"]
        self._constraints(raw, location, fields)
        self._object_fields(raw, location, depth, fields)
        self._array_fields(raw, location, depth, fields)
        self._composition(raw, location, depth, fields)
        extensions = {k: v for k, v in raw.items() if k[:2] == "x-"}
        if extensions:
            fields["extensions"] = extensions
        return fields

    def _types(self, raw: dict[str, Any], location: Location, fields: dict[str, Any]) -> tuple[
        str, ...
    ]:
        declared = raw.get("type")
        if declared is None:
            return ()
        candidates = declared if isinstance(declared, list) else [declared]
        types: list[str] = []
        for candidate in candidates:
            if candidate == "file":  # Swagger 2.0's upload type
                types.append("string")
                fields["format"] = "binary"
            elif isinstance(candidate, str) and candidate in _JSON_TYPES:
                if candidate not in types:
                    types.append(candidate)
            else:
                self._warn(location.child("type"),
                           f"unknown type {candidate!r}; treated as any type")
                return ()
        return tuple(types)

    def _constraints(self, raw: dict[str, Any], location: Location,
                     fields: dict[str, Any]) -> None:
        for key, attr, check in _CONSTRAINTS:
            if key in raw:
                value = raw[key]
                if check(value):
                    fields[attr] = value
                elif not (key.startswith("exclusive") and isinstance(value, bool)):
                    self._warn(location.child(key), f"{key} has the wrong type "
                                                    f"({_kind(value)}); ignored")
        # 3.0's boolean exclusiveMinimum/Maximum qualify minimum/maximum.
        for flag, bound, attr in (("exclusiveMinimum", "minimum", "exclusive_minimum"),
                                  ("exclusiveMaximum", "maximum", "exclusive_maximum")):
            if raw.get(flag) is True and bound in fields:
                fields[attr] = fields.pop(bound)
        if raw.get("uniqueItems") is True:
            fields["unique_items"] = True
        pattern = raw.get("pattern")
        if pattern is not None:
            if isinstance(pattern, str):
                fields["pattern"] = pattern
            else:
                self._warn(location.child("pattern"), "pattern must be a string; ignored")
        for key, attr in (("contentMediaType", "content_media_type"),
                          ("contentEncoding", "content_encoding")):
            value = raw.get(key)
            if isinstance(value, str):
                fields[attr] = value

    def _object_fields(self, raw: dict[str, Any], location: Location, depth: int,
                       fields: dict[str, Any]) -> None:
        properties = raw.get("properties")
        if properties is not None:
            if isinstance(properties, dict):
                fields["properties"] = self._properties(raw, properties, location, depth)
            else:
                self._warn(location.child("properties"), "properties must be an object; ignored")
        elif raw.get("required") is not None and not isinstance(raw.get("required"), list):
            self._warn(location.child("required"), "required must be an array; ignored")
        if "additionalProperties" in raw:
            extra = raw["additionalProperties"]
            if isinstance(extra, bool):
                fields["additional_properties"] = extra
            else:
                fields["additional_properties"] = self.build(
                    extra, location.child("additionalProperties"), depth + 1
                )
        patterns = raw.get("patternProperties")
        if isinstance(patterns, dict):
            here = location.child("patternProperties")
            fields["pattern_properties"] = tuple(
                (str(p), self.build(s, here.child(p), depth + 1)) for p, s in patterns.items()
            )
        discriminator = raw.get("discriminator")
        if discriminator is not None:
            built = self._discriminator(discriminator, raw, location.child("discriminator"))
            if built is not None:
                fields["discriminator"] = built

    def _properties(self, raw: dict[str, Any], properties: dict[str, Any], location: Location,
                    depth: int) -> tuple[Property, ...]:
        required = raw.get("required")
        if isinstance(required, list):
            required_names = {r for r in required if isinstance(r, str)}
        else:
            if required is not None:
                self._warn(location.child("required"), "required must be an array; ignored")
            required_names = set()
        py_names = _unique_py_names(list(properties), property_name)
        here = location.child("properties")
        return tuple(
            Property(
                name=wire,
                py_name=py_names[wire],
                schema=self.build(sub, here.child(wire), depth + 1),
                required=wire in required_names,
            )
            for wire, sub in properties.items()
        )

    def _array_fields(self, raw: dict[str, Any], location: Location, depth: int,
                      fields: dict[str, Any]) -> None:
        items = raw.get("items")
        if isinstance(items, list):  # draft 2019 / OpenAPI 3.0 tuple form
            here = location.child("items")
            fields["prefix_items"] = tuple(
                self.build(s, here.child(i), depth + 1) for i, s in enumerate(items)
            )
            extra = raw.get("additionalItems")
            if extra is not None and not isinstance(extra, bool):
                fields["items"] = self.build(extra, location.child("additionalItems"), depth + 1)
        elif items is not None:
            fields["items"] = self.build(items, location.child("items"), depth + 1)
        prefix = raw.get("prefixItems")
        if isinstance(prefix, list):
            here = location.child("prefixItems")
            fields["prefix_items"] = tuple(
                self.build(s, here.child(i), depth + 1) for i, s in enumerate(prefix)
            )

    def _composition(self, raw: dict[str, Any], location: Location, depth: int,
                     fields: dict[str, Any]) -> None:
        for key, attr in (("allOf", "all_of"), ("oneOf", "one_of"), ("anyOf", "any_of")):
            members = raw.get(key)
            if members is None:
                continue
            if not isinstance(members, list):
                self._warn(location.child(key), f"{key} must be an array; ignored")
                continue
            here = location.child(key)
            fields[attr] = tuple(
                self.build(s, here.child(i), depth + 1) for i, s in enumerate(members)
            )
        if "not" in raw:
            fields["not_"] = self.build(raw["not"], location.child("not"), depth + 1)

    def _discriminator(self, raw: Any, schema: dict[str, Any],
                       location: Location) -> Discriminator | None:
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

    def _implicit_mapping(self, schema: dict[str, Any], location: Location) -> list[
        tuple[str, str]
    ]:
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


def _with_name(schema: Schema, name: str, source_name: str | None) -> Schema:
    return _replace(schema, name=name, source_name=source_name)


def _examples(raw: dict[str, Any]) -> tuple[Any, ...]:
    examples = raw.get("examples")
    found: tuple[Any, ...] = tuple(examples) if isinstance(examples, list) else ()
    if "example" in raw:
        found = (*found, raw["example"])
    return found


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            int: "an integer", float: "a number"}.get(type(value), type(value).__name__)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_positive(value: Any) -> bool:
    return _is_number(value) and value > 0


_CONSTRAINTS: tuple[tuple[str, str, Callable[[Any], bool]], ...] = (
    ("minimum", "minimum", _is_number),
    ("maximum", "maximum", _is_number),
    ("exclusiveMinimum", "exclusive_minimum", _is_number),
    ("exclusiveMaximum", "exclusive_maximum", _is_number),
    ("multipleOf", "multiple_of", _is_positive),
    ("minLength", "min_length", _is_count),
    ("maxLength", "max_length", _is_count),
    ("minItems", "min_items", _is_count),
    ("maxItems", "max_items", _is_count),
    ("minProperties", "min_properties", _is_count),
    ("maxProperties", "max_properties", _is_count),
)


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

