"""Export an IR `Schema` as a standalone JSON Schema (draft 2020-12) document, for validators.

The IR keeps named schemas in `Api.schemas` and refers to them by name; a validator needs one
document. `to_json_schema` returns the schema with every named schema it reaches under `$defs`
(and only those), with each IR `ref` written as `{"$ref": "#/$defs/<name>"}`.

OpenAPI's `readOnly`/`writeOnly` change what "required" means by direction: a read-only property
is not sent in requests, a write-only one never comes back. `mode` applies that: in `"request"`
mode a required read-only property is not required (and in `"response"` mode likewise for
write-only); `"any"` exports the schema as written.

Where OpenAPI tools read a description beyond plain JSON Schema (discriminators, untyped
objects, nullable enums, ECMA-262 patterns), an `ExportPolicy` says which readings apply: the
mock and the contract checks (`apiweld.testing`) share this exporter with different policies.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from apiweld.spec.ir import Api, Schema, resolve_ref

Mode = Literal["request", "response", "any"]
JsonSchema = dict[str, Any]

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


@dataclass(frozen=True, slots=True)
class ExportPolicy:
    """Which OpenAPI readings the export applies; the defaults are the mock's."""

    discriminator_picks_branch: bool = True
    """With a discriminator, OpenAPI picks the branch by the tag: a request's `oneOf` becomes
    `anyOf` (fitting a sibling branch too is no error), a response must carry the tag."""
    typed_by_shape: bool = True
    """A response schema without `type` is an object when it has properties (an array when it
    has items), as clients read it."""
    closed_composition: bool = True
    """`additionalProperties: false` beside `allOf`/`oneOf`/`anyOf` is exported as
    `unevaluatedProperties: false` (nothing beyond the parts), as its authors mean it."""
    null_extends_enum: bool = False
    """A nullable schema's `enum` admits null even when it does not list it."""
    python_patterns_only: bool = False
    """Patterns Python's `re` cannot compile (ECMA-262 only syntax) are left out, so no
    validator fails on the pattern itself."""


MOCK_POLICY = ExportPolicy()


class JsonSchemaExporter:
    """Converts IR schemas of one API in one mode, converting each named schema once."""

    def __init__(
        self,
        schemas: Mapping[str, Schema] | Api,
        *,
        mode: Mode = "any",
        policy: ExportPolicy = MOCK_POLICY,
    ) -> None:
        self._schemas: Mapping[str, Schema] = (
            schemas.schemas if isinstance(schemas, Api) else schemas
        )
        self._mode = mode
        self._policy = policy
        self._defs: dict[str, JsonSchema] = {}
        self._refs_of: dict[str, frozenset[str]] = {}
        self._inlining: set[str] = set()

    def export(self, schema: Schema) -> JsonSchema:
        """The schema as a standalone document: `$schema`, its keywords and the `$defs` it needs."""
        refs: set[str] = set()
        root = self._convert(schema, refs)
        needed = self._closure(refs)
        document: JsonSchema = {"$schema": DRAFT_2020_12, **root}
        if needed:
            document["$defs"] = {name: self._definition(name) for name in sorted(needed)}
        return document

    def _definition(self, name: str) -> JsonSchema:
        if name not in self._defs:
            refs: set[str] = set()
            # Reserve the slot first so a self-referencing schema does not convert forever.
            self._defs[name] = {}
            self._defs[name] = self._convert(self._schemas[name], refs)
            self._refs_of[name] = frozenset(refs)
        return self._defs[name]

    def _closure(self, roots: set[str]) -> set[str]:
        seen: set[str] = set()
        pending = [r for r in roots if r in self._schemas]
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            self._definition(name)
            pending.extend(r for r in self._refs_of.get(name, ()) if r not in seen)
        return seen

    def _convert(self, schema: Schema, refs: set[str], *, as_part: bool = False) -> JsonSchema:
        """`as_part`: the schema is an `allOf` part under the closed-composition reading; its
        own `additionalProperties: false` is left to the whole (see `_part`)."""
        if schema.ref is not None:
            if schema.ref not in self._schemas:
                # A dangling reference was already reported by the loader; accept anything.
                return {}
            refs.add(schema.ref)
            return {"$ref": f"#/$defs/{schema.ref}"}
        out: JsonSchema = {}
        policy = self._policy
        types: list[str] = list(schema.types)
        if not types and self._mode == "response" and policy.typed_by_shape:
            types = _implied_types(schema)
        if types:
            out["type"] = types[0] if len(types) == 1 else types
        if schema.format is not None:
            out["format"] = schema.format
        if schema.enum is not None:
            # Null passes an enum only when listed, in 3.1 (JSON Schema) and in 3.0.3 alike
            # ("nullable" widens the type; the enum still has to list null) unless the policy
            # reads `nullable` as widening the enum too.
            values = list(schema.enum)
            if policy.null_extends_enum and schema.nullable and None not in values:
                values.append(None)
            out["enum"] = values
        if schema.has_const:
            out["const"] = schema.const
        self._convert_object(schema, refs, out, as_part=as_part)
        self._convert_array(schema, refs, out)
        # With a discriminator, OpenAPI picks the branch by the tag, so a request that also
        # fits a sibling branch is still valid; responses keep the strict `oneOf`.
        by_tag = schema.discriminator is not None and policy.discriminator_picks_branch
        one_of_keyword = (
            "anyOf" if by_tag and self._mode == "request" and not schema.any_of else "oneOf"
        )
        for keyword, branches in (
            ("allOf", schema.all_of),
            (one_of_keyword, schema.one_of),
            ("anyOf", schema.any_of),
        ):
            if (
                branches
                and keyword == "allOf"
                and policy.closed_composition
                and (schema.properties or len(branches) > 1)
            ):
                # Parts beside properties or other parts: each part's closure is the whole's.
                out[keyword] = [self._part(b, refs) for b in branches]
            elif branches:
                out[keyword] = [self._convert(b, refs) for b in branches]
        if schema.not_ is not None:
            out["not"] = self._convert(schema.not_, refs)
        if schema.discriminator is not None and by_tag and self._mode == "response":
            # OpenAPI tools pick the branch by the discriminator, so an answer without it does
            # not validate for them even when the branches alone would accept it.
            out["required"] = sorted({*out.get("required", ()), schema.discriminator.property_name})
        _copy_bounds(schema, out, python_patterns_only=policy.python_patterns_only)
        return out

    def _part(self, part: Schema, refs: set[str]) -> JsonSchema:
        """An `allOf` part. A closed part (`additionalProperties: false`) would forbid the
        properties its siblings add, so no object could ever match the whole (an `address`
        closed over its own fields inside a `shipping_address` that adds `instructions`); as
        with `additionalProperties: false` beside `allOf`, authors mean the whole to be closed,
        not each part. Such a part is inlined open; the whole closes itself if it says so."""
        if part.ref is None or part.ref not in self._schemas or part.ref in self._inlining:
            return self._convert(part, refs, as_part=part.ref is None)
        target = resolve_ref(part, self._schemas)
        if target.additional_properties is not False:
            return self._convert(part, refs)
        self._inlining.add(part.ref)
        try:
            return self._convert(target, refs, as_part=True)
        finally:
            self._inlining.discard(part.ref)

    def _convert_object(
        self, schema: Schema, refs: set[str], out: JsonSchema, *, as_part: bool = False
    ) -> None:
        if schema.properties:
            out["properties"] = {p.name: self._convert(p.schema, refs) for p in schema.properties}
            required = [
                p.name for p in schema.properties if p.required and not self._skipped(p.schema)
            ]
            if required:
                out["required"] = required
        if schema.required_extra:
            # Names required here whose property another allOf part defines (or none does);
            # one hidden in this direction there (writeOnly in a response, readOnly in a
            # request) is no more required than it would be beside its property.
            hidden = self._hidden_in_parts(schema, 0)
            extra = [name for name in schema.required_extra if name not in hidden]
            if extra:
                out["required"] = [*out.get("required", ()), *extra]
        if schema.additional_properties is False and as_part:
            pass  # closed by the whole it is a part of, not by itself
        elif (
            schema.additional_properties is False
            and self._policy.closed_composition
            and (schema.all_of or schema.one_of or schema.any_of)
        ):
            # `additionalProperties: false` beside `allOf` forbids the parts' own properties
            # (JSON Schema reads it before composition), which no author means and no client
            # enforces; `unevaluatedProperties` says what they mean: nothing beyond them all.
            out["unevaluatedProperties"] = False
        elif isinstance(schema.additional_properties, bool):
            out["additionalProperties"] = schema.additional_properties
        elif schema.additional_properties is not None:
            out["additionalProperties"] = self._convert(schema.additional_properties, refs)
        usable = [
            (pattern, sub)
            for pattern, sub in schema.pattern_properties
            if not self._policy.python_patterns_only or _python_compiles(pattern)
        ]
        if usable:
            out["patternProperties"] = {
                pattern: self._convert(sub, refs) for pattern, sub in usable
            }
        if schema.min_properties is not None:
            out["minProperties"] = schema.min_properties
        if schema.max_properties is not None:
            out["maxProperties"] = schema.max_properties

    def _hidden_in_parts(self, schema: Schema, depth: int) -> set[str]:
        """Names of the properties the allOf parts of `schema` (through refs and nested allOf)
        define with a schema hidden in this direction."""
        hidden: set[str] = set()
        if depth > 16:
            return hidden
        for part in schema.all_of:
            resolved = resolve_ref(part, self._schemas)
            hidden.update(p.name for p in resolved.properties if self._skipped(p.schema))
            hidden.update(self._hidden_in_parts(resolved, depth + 1))
        return hidden

    def _convert_array(self, schema: Schema, refs: set[str], out: JsonSchema) -> None:
        if schema.prefix_items:
            out["prefixItems"] = [self._convert(s, refs) for s in schema.prefix_items]
        if schema.items is not None:
            out["items"] = self._convert(schema.items, refs)
        if schema.min_items is not None:
            out["minItems"] = schema.min_items
        if schema.max_items is not None:
            out["maxItems"] = schema.max_items
        if schema.unique_items:
            out["uniqueItems"] = True

    def _skipped(self, schema: Schema) -> bool:
        """Whether a property is not expected in this direction (so "required" does not bind)."""
        if self._mode == "any":
            return False
        target = resolve_ref(schema, self._schemas)
        read_only = schema.read_only or target.read_only
        write_only = schema.write_only or target.write_only
        return read_only if self._mode == "request" else write_only


def _python_compiles(pattern: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # FutureWarnings about ECMA-only set syntax
            re.compile(pattern)
    except (re.error, OverflowError):
        return False
    return True


def _copy_bounds(schema: Schema, out: JsonSchema, *, python_patterns_only: bool) -> None:
    pattern = schema.pattern
    if pattern is not None and python_patterns_only and not _python_compiles(pattern):
        pattern = None
    for keyword, value in (
        ("minimum", schema.minimum),
        ("maximum", schema.maximum),
        ("exclusiveMinimum", schema.exclusive_minimum),
        ("exclusiveMaximum", schema.exclusive_maximum),
        ("multipleOf", schema.multiple_of),
        ("minLength", schema.min_length),
        ("maxLength", schema.max_length),
        ("pattern", pattern),
    ):
        if value is not None:
            out[keyword] = value


def to_json_schema(
    schema: Schema,
    schemas: Mapping[str, Schema] | Api,
    *,
    mode: Mode = "any",
    policy: ExportPolicy = MOCK_POLICY,
) -> JsonSchema:
    """One IR schema as a standalone JSON Schema document with the `$defs` it reaches.

    For many schemas of one API, keep a `JsonSchemaExporter`: it converts each named schema once.
    """
    return JsonSchemaExporter(schemas, mode=mode, policy=policy).export(schema)


def is_json_media_type(media_type: str) -> bool:
    """Whether bodies of this media type are JSON (so a JSON Schema describes them)."""
    essence = media_type.split(";", 1)[0].strip().lower()
    return essence in ("application/json", "text/json") or essence.endswith("+json")


def _implied_types(schema: Schema) -> list[str]:
    """The type a schema without `type` implies to clients: with properties it becomes a
    model, with items a list. JSON Schema lets any other type through such a schema, so an
    answer (a description's example given as a JSON string, say) could pass and still fail
    every client; answers are held to what clients read."""
    if schema.one_of or schema.any_of or schema.all_of or schema.enum is not None:
        return []
    if schema.properties:
        return ["object"]
    if schema.items is not None or schema.prefix_items:
        return ["array"]
    return []
