"""Discriminators: explicit mappings resolved to schema class names, implicit ones inferred.

A mapping value may be a `$ref` (`#/components/schemas/Dog`, `other.yaml#/Dog`) or a bare
component name (`Dog`). Without a mapping, OpenAPI implies one: each `oneOf`/`anyOf` member
`$ref` maps its component name, and a base schema's discriminator maps every schema that extends
it through `allOf` (found once all schemas are known).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from apiweld.spec._refs import Location
from apiweld.spec.ir import Discriminator, Schema

if TYPE_CHECKING:
    from apiweld.spec._schemas import SchemaBuilder

__all__ = ["add_implicit_mappings", "read_discriminator"]

_FILE_SUFFIXES = (".json", ".yaml", ".yml")


def read_discriminator(
    builder: SchemaBuilder, raw: Any, schema: dict[str, Any], location: Location
) -> Discriminator | None:
    if isinstance(raw, str):  # Swagger 2.0: just the property name
        return Discriminator(property_name=raw)
    if not isinstance(raw, dict) or not isinstance(raw.get("propertyName"), str):
        builder.warn(location, "discriminator needs a string propertyName; ignored")
        return None
    mapping: list[tuple[str, str]] = []
    explicit = raw.get("mapping")
    if isinstance(explicit, dict):
        for value, target in explicit.items():
            name = _mapping_target(builder, target, location.child("mapping", value))
            if name is not None:
                mapping.append((str(value), name))
    elif explicit is not None:
        builder.warn(location.child("mapping"), "discriminator mapping must be an object")
    else:
        mapping = _implicit_mapping(builder, schema, location)
    return Discriminator(property_name=raw["propertyName"], mapping=tuple(mapping))


def _mapping_target(builder: SchemaBuilder, target: Any, location: Location) -> str | None:
    if not isinstance(target, str):
        builder.warn(location, "a discriminator mapping value must be a string; ignored")
        return None
    if "#" in target or "/" in target or target.endswith(_FILE_SUFFIXES):
        return builder.name_for_ref(target, location)
    name = builder.component_name(target)
    if name is None:
        builder.warn(location, f"discriminator mapping names unknown schema {target!r}; ignored")
    return name


def _implicit_mapping(
    builder: SchemaBuilder, schema: dict[str, Any], location: Location
) -> list[tuple[str, str]]:
    mapping: list[tuple[str, str]] = []
    for key in ("oneOf", "anyOf"):
        members = schema.get(key)
        if not isinstance(members, list):
            continue
        for index, member in enumerate(members):
            if isinstance(member, dict) and isinstance(member.get("$ref"), str):
                name = builder.name_for_ref(member["$ref"], location.child(key, index))
                if name is not None:
                    mapping.append((builder.source_name(name) or name, name))
    return mapping


def add_implicit_mappings(schemas: dict[str, Schema], source_names: Mapping[str, str]) -> None:
    """A base schema with an unmapped discriminator maps the schemas extending it via `allOf`."""
    children: dict[str, list[str]] = {
        name: []
        for name, schema in schemas.items()
        if schema.discriminator is not None and not schema.discriminator.mapping
    }
    if not children:
        return
    for name, schema in schemas.items():
        for member in schema.all_of:
            if member.ref in children and member.ref != name:
                children[member.ref].append(name)
    for base_name, kids in children.items():
        base = schemas[base_name]
        if not kids or base.discriminator is None:
            continue
        mapping = tuple((source_names.get(kid, kid), kid) for kid in kids)
        schemas[base_name] = dataclasses.replace(
            base, discriminator=Discriminator(base.discriminator.property_name, mapping)
        )
