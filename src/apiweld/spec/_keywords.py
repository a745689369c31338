"""The JSON Schema keywords the schema builder reads: one table, keyword -> how to read it.

Each entry is `(kind, Schema field, check or reader)`. The three commonest kinds (a string, a
number or count, a boolean flag) are checked inline by the builder's loop, without a call; every
other keyword has a reader, `reader(builder, keyword, field, value, node)`, which validates the
value (warning at the keyword's JSON pointer when it is unusable) and stores what it means in
`node.fields`. One lookup per key of a schema is what keeps large descriptions fast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from apiweld.spec._construct import new_property
from apiweld.spec._discriminators import read_discriminator
from apiweld.spec._refs import Location, make_location_fast
from apiweld.spec.names import assign_py_names, property_name

if TYPE_CHECKING:
    from apiweld.spec._schemas import SchemaBuilder

__all__ = [
    "EXCLUSIVE_BOUNDS",
    "FLAG",
    "JSON_TYPES",
    "KEYWORDS",
    "SCALAR",
    "TEXT",
    "Node",
    "describe_type",
]

SCALAR, TEXT, FLAG, READ = "scalar", "text", "flag", "read"
JSON_TYPES: frozenset[str] = frozenset(
    {"string", "number", "integer", "boolean", "array", "object", "null"}
)
EXCLUSIVE_BOUNDS = frozenset({"exclusiveMinimum", "exclusiveMaximum"})
_SINGLE_TYPES: dict[str, tuple[str, ...]] = {t: (t,) for t in JSON_TYPES}


class Node(NamedTuple):
    """The raw schema being read, where it is, how deep, and the `Schema` fields so far."""

    raw: dict[str, Any]
    at: Location
    depth: int
    fields: dict[str, Any]


Reader = Callable[["SchemaBuilder", str, str, Any, Node], None]


def describe_type(value: Any) -> str:
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


def _below(at: Location, token: str | int) -> Location:
    """`at.child(token)` for a keyword or an index, which never need escaping."""
    return make_location_fast(Location, (at.doc, f"{at.pointer}/{token}"))


def _escape(token: str) -> str:
    """A JSON pointer token (RFC 6901), inlined here because it runs once per property."""
    if "~" in token or "/" in token:
        return token.replace("~", "~0").replace("/", "~1")
    return token


# -- readers shared by several keywords ---------------------------------------------------------


def _schema_array(b: SchemaBuilder, key: str, attr: str, value: Any, node: Node) -> None:
    """allOf, oneOf, anyOf, prefixItems: an array of schemas."""
    if not isinstance(value, list):
        b.warn(node.at.child(key), f"{key} must be an array; ignored")
        return
    here, nested = _below(node.at, key), node.depth + 1
    node.fields[attr] = tuple([b.build(s, _below(here, i), nested) for i, s in enumerate(value)])


def _value_array(b: SchemaBuilder, key: str, attr: str, value: Any, node: Node) -> None:
    if isinstance(value, list):
        node.fields[attr] = tuple(value)
    else:
        b.warn(node.at.child(key), f"{key} must be an array; ignored")


def _subschema(b: SchemaBuilder, key: str, attr: str, value: Any, node: Node) -> None:
    node.fields[attr] = b.build(value, _below(node.at, key), node.depth + 1)


def _flag_or_subschema(b: SchemaBuilder, key: str, attr: str, value: Any, node: Node) -> None:
    if isinstance(value, bool):
        node.fields[attr] = value
    else:
        _subschema(b, key, attr, value, node)


def _present_value(b: SchemaBuilder, key: str, attr: str, value: Any, node: Node) -> None:
    """const and default: any value, null included, so presence is a field of its own."""
    node.fields["has_" + attr] = True
    node.fields[attr] = value


# -- readers of one keyword -----------------------------------------------------------------


def _type(b: SchemaBuilder, key: str, attr: str, value: Any, node: Node) -> None:
    single = _SINGLE_TYPES.get(value) if value.__class__ is str else None
    if single is not None:  # the common case: one valid type, a shared tuple
        node.fields[attr] = single
        return
    types: list[str] = []
    for candidate in value if isinstance(value, list) else [value]:
        if candidate == "file":  # Swagger 2.0's upload type
            types.append("string")
            node.fields["format"] = "binary"
        elif isinstance(candidate, str) and candidate in JSON_TYPES:
            if candidate not in types:
                types.append(candidate)
        else:
            b.warn(node.at.child(key), f"unknown type {candidate!r}; treated as any type")
            return
    if types:
        node.fields[attr] = tuple(types)


def _examples(b: SchemaBuilder, key: str, attr: str, value: Any, node: Node) -> None:
    """3.1's `examples` array; a 3.0 `example` in the same schema comes after it."""
    if isinstance(value, list):
        node.fields[attr] = (*value, *node.fields.get(attr, ()))
    else:
        b.warn(node.at.child(key), "examples in a schema must be an array; ignored")


def _example(b: SchemaBuilder, key: str, attr: str, value: Any, node: Node) -> None:
    node.fields[attr] = (*node.fields.get(attr, ()), value)


def _properties(b: SchemaBuilder, key: str, attr: str, value: Any, node: Node) -> None:
    if not isinstance(value, dict):
        b.warn(node.at.child(key), "properties must be an object; ignored")
        return
    required = node.raw.get("required")
    names = {r for r in required if isinstance(r, str)} if isinstance(required, list) else ()
    nested = node.depth + 1
    if "$ref" in value:
        entries = _referenced_properties(b, value, node.at.child(key), warn=True)
        py_names = assign_py_names([wire for wire, _, _ in entries], property_name)
        node.fields[attr] = tuple(
            new_property(wire, py_names[wire], b.build(sub, at, nested), wire in names)
            for wire, sub, at in entries
        )
        return
    py_names = assign_py_names(list(value), property_name)
    doc, prefix = node.at.doc, node.at.pointer + "/properties/"
    build = b.build
    # A list comprehension, positional arguments: this runs once per property.
    node.fields[attr] = tuple(
        [
            new_property(
                wire,
                py_names[wire],
                build(sub, make_location_fast(Location, (doc, prefix + _escape(wire))), nested),
                wire in names,
            )
            for wire, sub in value.items()
        ]
    )


def _referenced_properties(
    b: SchemaBuilder, value: dict[str, Any], at: Location, *, warn: bool
) -> list[tuple[str, Any, Location]]:
    """`properties: {$ref: "attributes.yml#/x"}`: the map of properties is itself a reference.

    Not JSON Schema (a `$ref` stands for a schema, and a property named `$ref` would need a
    schema object, not a string), but DigitalOcean's files do it and bundlers resolve it; read
    literally, it would lose the properties and invent one named `$ref`. Properties beside the
    reference are kept and win. Returns (name, raw schema, its location) for each.
    """
    ref = value["$ref"]
    if not isinstance(ref, str):
        return [(wire, sub, at.child(wire)) for wire, sub in value.items()]
    found: dict[str, tuple[Any, Location]] = {}
    resolved = b.resolve_ref(ref, at)
    if resolved is not None:
        where, target = resolved
        if isinstance(target, dict):
            if warn:
                b.warn(
                    at,
                    f"properties is a $ref ({ref!r}): JSON Schema has no reference to a map of "
                    "properties; followed",
                )
            found = {wire: (sub, where.child(wire)) for wire, sub in target.items()}
        elif warn:
            b.warn(at, f"properties $ref {ref!r} is not an object of properties; ignored")
    found.update((wire, (sub, at.child(wire))) for wire, sub in value.items() if wire != "$ref")
    return [(wire, sub, where) for wire, (sub, where) in found.items()]


def _required(b: SchemaBuilder, key: str, attr: str, value: Any, node: Node) -> None:
    """Names with a property here are `Property.required`; the rest are kept in `attr`."""
    if isinstance(value, list):
        declared = node.raw.get("properties")
        if not isinstance(declared, dict):
            declared = {}
        elif "$ref" in declared:
            at = node.at.child("properties")
            declared = {e[0]: e for e in _referenced_properties(b, declared, at, warn=False)}
        extra = [n for n in value if isinstance(n, str) and n not in declared]
        if extra:
            node.fields[attr] = tuple(dict.fromkeys(extra))
    elif not isinstance(value, bool):
        # A boolean is draft-3 style `required: true` on a property: harmless, ignored.
        b.warn(node.at.child(key), "required must be an array; ignored")


def _items(b: SchemaBuilder, key: str, attr: str, value: Any, node: Node) -> None:
    if not isinstance(value, list):
        _subschema(b, key, attr, value, node)
        return
    # Draft 2019 / OpenAPI 3.0 tuple form; an explicit prefixItems read before it wins.
    here, nested = _below(node.at, key), node.depth + 1
    node.fields.setdefault(
        "prefix_items", tuple([b.build(s, _below(here, i), nested) for i, s in enumerate(value)])
    )
    extra = node.raw.get("additionalItems")
    if extra is not None and not isinstance(extra, bool):
        node.fields[attr] = b.build(extra, node.at.child("additionalItems"), nested)


def _pattern_properties(b: SchemaBuilder, key: str, attr: str, value: Any, node: Node) -> None:
    if not isinstance(value, dict):
        b.warn(node.at.child(key), f"{key} must be an object; ignored")
        return
    here, nested = node.at.child(key), node.depth + 1
    node.fields[attr] = tuple(
        (pattern, b.build(sub, here.child(pattern), nested)) for pattern, sub in value.items()
    )


def _discriminator(b: SchemaBuilder, key: str, attr: str, value: Any, node: Node) -> None:
    built = read_discriminator(b, value, node.raw, node.at.child(key))
    if built is not None:
        node.fields[attr] = built


# keyword: (kind, Schema field, check for SCALAR or reader for READ)
KEYWORDS: dict[str, tuple[str, str, Any]] = {
    "description": (TEXT, "description", None),
    "title": (TEXT, "title", None),
    "format": (TEXT, "format", None),
    "pattern": (TEXT, "pattern", None),
    "contentMediaType": (TEXT, "content_media_type", None),
    "contentEncoding": (TEXT, "content_encoding", None),
    "minimum": (SCALAR, "minimum", _is_number),
    "maximum": (SCALAR, "maximum", _is_number),
    "exclusiveMinimum": (SCALAR, "exclusive_minimum", _is_number),
    "exclusiveMaximum": (SCALAR, "exclusive_maximum", _is_number),
    "multipleOf": (SCALAR, "multiple_of", _is_positive),
    "minLength": (SCALAR, "min_length", _is_count),
    "maxLength": (SCALAR, "max_length", _is_count),
    "minItems": (SCALAR, "min_items", _is_count),
    "maxItems": (SCALAR, "max_items", _is_count),
    "minProperties": (SCALAR, "min_properties", _is_count),
    "maxProperties": (SCALAR, "max_properties", _is_count),
    "deprecated": (FLAG, "deprecated", None),
    "readOnly": (FLAG, "read_only", None),
    "writeOnly": (FLAG, "write_only", None),
    "uniqueItems": (FLAG, "unique_items", None),
    "type": (READ, "types", _type),
    "enum": (READ, "enum", _value_array),
    "const": (READ, "const", _present_value),
    "default": (READ, "default", _present_value),
    "example": (READ, "examples", _example),
    "examples": (READ, "examples", _examples),
    "properties": (READ, "properties", _properties),
    "required": (READ, "required_extra", _required),
    "additionalProperties": (READ, "additional_properties", _flag_or_subschema),
    "patternProperties": (READ, "pattern_properties", _pattern_properties),
    "items": (READ, "items", _items),
    "prefixItems": (READ, "prefix_items", _schema_array),
    "allOf": (READ, "all_of", _schema_array),
    "oneOf": (READ, "one_of", _schema_array),
    "anyOf": (READ, "any_of", _schema_array),
    "not": (READ, "not_", _subschema),
    "discriminator": (READ, "discriminator", _discriminator),
}
