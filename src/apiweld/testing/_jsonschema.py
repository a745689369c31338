"""IR schemas as JSON Schema (Draft 2020-12) for validators.

Named schemas go under `$defs` and are referenced as `#/$defs/<name>`; only the definitions a
schema reaches are attached. `direction` follows OpenAPI's readOnly/writeOnly rules: a request
never needs a readOnly property, a response never needs a writeOnly one.
"""

from __future__ import annotations

import re
import warnings
from typing import Any, Literal

from apiweld.spec.ir import Api, Schema

Direction = Literal["request", "response"]
JsonSchema = dict[str, Any] | bool


def _pattern_or_none(pattern: str | None) -> str | None:
    # ECMA-262 patterns from descriptions do not always compile in Python; an unusable pattern is
    # dropped rather than turning every validation into an error about the pattern itself.
    if pattern is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # FutureWarnings about ECMA-only set syntax
            re.compile(pattern)
    except (re.error, OverflowError):
        return None
    return pattern


class _Converter:
    def __init__(self, api: Api, direction: Direction) -> None:
        self.api = api
        self.direction = direction
        self.reached: set[str] = set()

    def convert(self, schema: Schema) -> JsonSchema:
        if schema.ref is not None:
            return self._reference(schema.ref)
        out: dict[str, Any] = {}
        self._scalar_keywords(schema, out)
        self._object_keywords(schema, out)
        self._array_keywords(schema, out)
        for keyword, parts in (
            ("allOf", schema.all_of),
            ("oneOf", schema.one_of),
            ("anyOf", schema.any_of),
        ):
            if parts:
                out[keyword] = [self.convert(part) for part in parts]
        if schema.not_ is not None:
            out["not"] = self.convert(schema.not_)
        return out

    def _reference(self, name: str) -> JsonSchema:
        target = self.api.schemas.get(name)
        if target is None:
            # A dangling reference was reported by the loader; accept anything here.
            return True
        if name not in self.reached:
            self.reached.add(name)
            self.convert(target)  # walk it, to learn which definitions it reaches
        return {"$ref": f"#/$defs/{name}"}

    def _scalar_keywords(self, schema: Schema, out: dict[str, Any]) -> None:
        if schema.types:
            out["type"] = list(schema.types) if len(schema.types) > 1 else schema.types[0]
        if schema.enum is not None:
            values = list(schema.enum)
            if schema.nullable and None not in values:
                values.append(None)
            out["enum"] = values
        if schema.has_const:
            out["const"] = schema.const
        if schema.format is not None:
            out["format"] = schema.format
        for keyword, value in (
            ("minimum", schema.minimum),
            ("maximum", schema.maximum),
            ("exclusiveMinimum", schema.exclusive_minimum),
            ("exclusiveMaximum", schema.exclusive_maximum),
            ("multipleOf", schema.multiple_of),
            ("minLength", schema.min_length),
            ("maxLength", schema.max_length),
            ("pattern", _pattern_or_none(schema.pattern)),
        ):
            if value is not None:
                out[keyword] = value

    def _object_keywords(self, schema: Schema, out: dict[str, Any]) -> None:
        skip = "read_only" if self.direction == "request" else "write_only"
        properties: dict[str, Any] = {}
        required: list[str] = []
        for prop in schema.properties:
            resolved = self.api.resolve(prop.schema)
            hidden = getattr(prop.schema, skip) or getattr(resolved, skip)
            properties[prop.name] = self.convert(prop.schema)
            if prop.required and not hidden:
                required.append(prop.name)
        if properties:
            out["properties"] = properties
        if required:
            out["required"] = required
        extra = schema.additional_properties
        if extra is False:
            out["additionalProperties"] = False
        elif isinstance(extra, Schema):
            out["additionalProperties"] = self.convert(extra)
        if schema.pattern_properties:
            usable = [
                (pattern, sub)
                for pattern, sub in schema.pattern_properties
                if _pattern_or_none(pattern) is not None
            ]
            if usable:
                out["patternProperties"] = {p: self.convert(s) for p, s in usable}
        if schema.min_properties is not None:
            out["minProperties"] = schema.min_properties
        if schema.max_properties is not None:
            out["maxProperties"] = schema.max_properties

    def _array_keywords(self, schema: Schema, out: dict[str, Any]) -> None:
        if schema.prefix_items:
            out["prefixItems"] = [self.convert(item) for item in schema.prefix_items]
        if schema.items is not None:
            out["items"] = self.convert(schema.items)
        if schema.min_items is not None:
            out["minItems"] = schema.min_items
        if schema.max_items is not None:
            out["maxItems"] = schema.max_items
        if schema.unique_items:
            out["uniqueItems"] = True


def validation_schema(api: Api, schema: Schema, direction: Direction = "response") -> JsonSchema:
    """A Draft 2020-12 schema with the `$defs` it reaches, ready for a validator."""
    converter = _Converter(api, direction)
    root = converter.convert(schema)
    if not converter.reached:
        return root
    definitions: dict[str, Any] = {}
    for name in sorted(converter.reached):
        definitions[name] = _Converter(api, direction).convert(api.schemas[name])
    if isinstance(root, bool):
        return {"allOf": [root], "$defs": definitions}
    return {**root, "$defs": definitions}


def is_json_media_type(media_type: str) -> bool:
    essence = media_type.split(";", 1)[0].strip().lower()
    return essence in ("application/json", "text/json") or essence.endswith("+json")
