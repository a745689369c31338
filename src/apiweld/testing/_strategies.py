"""Hypothesis strategies straight from IR schemas, for request data.

Why not hypothesis-jsonschema: its object strategy drives private Hypothesis internals
(`conjecture.utils.many`) whose interface changed, so on current Hypothesis every object schema
fails with `AttributeError: 'many' object has no attribute 'more'` (0.23.1 is its latest release).
Building strategies from the IR keeps Hypothesis' edge-case search (empty strings, bounds,
unicode) with public APIs only. Every drawn value is checked against the exported JSON Schema,
so a construct this walk approximates (oneOf exclusivity, allOf of non-objects, `not`) can only
cost draws, never produce invalid "valid" data.
"""

from __future__ import annotations

import base64
import math
import re
import warnings
from datetime import UTC
from typing import Any

from apiweld.spec.ir import Api, Schema
from apiweld.testing._validate import SchemaValidator, contract_exporter

_MAX_REF_DEPTH = 3
_INT_BOUNDS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_OPEN_ARRAY_MAX = 4
_OPEN_STRING_MAX = 24


class StrategyBuilder:
    """Builds (and caches per schema) strategies for the request side of one API."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self._exporter = contract_exporter(api, "request")
        self._validators: dict[int, tuple[Schema, SchemaValidator]] = {}

    def valid(self, schema: Schema) -> Any:
        """A strategy of values valid against `schema` as a request would carry them."""
        validator = self._validator(schema)
        return self._strategy(schema, ()).filter(validator.is_valid)

    def is_valid(self, schema: Schema, value: Any) -> bool:
        return self._validator(schema).is_valid(value)

    def _validator(self, schema: Schema) -> SchemaValidator:
        cached = self._validators.get(id(schema))
        if cached is None:
            cached = (schema, SchemaValidator(self._exporter.export(schema)))
            self._validators[id(schema)] = cached
        return cached[1]

    def _strategy(self, schema: Schema, stack: tuple[str, ...]) -> Any:
        from hypothesis import strategies as st

        if schema.ref is not None:
            if stack.count(schema.ref) >= _MAX_REF_DEPTH or schema.ref not in self.api.schemas:
                return st.nothing()
            return self._strategy(self.api.schemas[schema.ref], (*stack, schema.ref))
        if schema.has_const:
            return st.just(schema.const)
        if schema.enum is not None:
            # `nullable` does not add null to an enum that does not list it (OpenAPI 3.0.3);
            # servers (and the mock) answer such a null with 422.
            values = list(schema.enum)
            return st.sampled_from(values) if values else st.nothing()
        if schema.one_of or schema.any_of:
            branches = [self._strategy(s, stack) for s in (*schema.one_of, *schema.any_of)]
            return st.one_of(*branches)
        if schema.all_of:
            return self._all_of(schema, stack)
        types = schema.non_null_types or self._implied_types(schema)
        options = [self._typed(schema, kind, stack) for kind in types]
        if schema.nullable:
            options.append(st.none())
        return st.one_of(*options)

    def _implied_types(self, schema: Schema) -> tuple[str, ...]:
        if schema.properties or schema.additional_properties is not None:
            return ("object",)
        if schema.items is not None or schema.prefix_items:
            return ("array",)
        if schema.min_length is not None or schema.max_length is not None or schema.pattern:
            return ("string",)
        if schema.minimum is not None or schema.maximum is not None:
            return ("number",)
        # An unconstrained schema: any scalar a server could reasonably accept.
        return ("string", "integer", "boolean")

    def _all_of(self, schema: Schema, stack: tuple[str, ...]) -> Any:
        from hypothesis import strategies as st

        parts = [self._flatten(schema, stack)]
        merged_props: dict[str, Any] = {}
        required: set[str] = set()
        objects = [p for p in parts[0] if p.properties or "object" in p.types]
        if not objects:
            return self._strategy(parts[0][0], stack) if parts[0] else st.nothing()
        for part in objects:
            for prop in part.properties:
                merged_props.setdefault(prop.name, prop.schema)
                if prop.required:
                    required.add(prop.name)
        return self._object_from(merged_props, required, stack)

    def _flatten(self, schema: Schema, stack: tuple[str, ...]) -> list[Schema]:
        out: list[Schema] = []
        for part in (schema, *schema.all_of):
            resolved = self.api.resolve(part)
            if resolved is not schema and resolved.all_of:
                out.extend(self._flatten(resolved, stack))
            else:
                out.append(resolved)
        return out

    def _typed(self, schema: Schema, kind: str, stack: tuple[str, ...]) -> Any:
        from hypothesis import strategies as st

        if kind == "boolean":
            return st.booleans()
        if kind == "integer":
            return self._integers(schema)
        if kind == "number":
            return self._numbers(schema)
        if kind == "string":
            return self._strings(schema)
        if kind == "array":
            return self._arrays(schema, stack)
        if kind == "object":
            props = {p.name: p.schema for p in schema.properties}
            required = {p.name for p in schema.properties if p.required}
            return self._object_from(props, required, stack)
        return st.none()

    def _integers(self, schema: Schema) -> Any:
        from hypothesis import strategies as st

        low, high = _INT_BOUNDS.get(schema.format or "", (None, None))
        if schema.minimum is not None:
            low = math.ceil(schema.minimum)
        if schema.exclusive_minimum is not None:
            low = math.floor(schema.exclusive_minimum) + 1
        if schema.maximum is not None:
            high = math.floor(schema.maximum)
        if schema.exclusive_maximum is not None:
            high = math.ceil(schema.exclusive_maximum) - 1
        values = st.integers(min_value=low, max_value=high)
        step = schema.multiple_of
        if step and float(step).is_integer() and step > 0:
            step_int = int(step)
            values = st.integers(
                min_value=None if low is None else math.ceil(low / step_int),
                max_value=None if high is None else math.floor(high / step_int),
            ).map(lambda n: n * step_int)
        return values

    def _numbers(self, schema: Schema) -> Any:
        from hypothesis import strategies as st

        low = schema.minimum if schema.exclusive_minimum is None else schema.exclusive_minimum
        high = schema.maximum if schema.exclusive_maximum is None else schema.exclusive_maximum
        return st.floats(
            min_value=low,
            max_value=high,
            exclude_min=schema.exclusive_minimum is not None,
            exclude_max=schema.exclusive_maximum is not None,
            allow_nan=False,
            allow_infinity=False,
        ) | self._integers(schema)

    def _strings(self, schema: Schema) -> Any:
        from hypothesis import strategies as st

        special = _format_strategy(schema.format)
        if special is not None:
            return special
        if schema.pattern:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # FutureWarnings about ECMA-only syntax
                    re.compile(schema.pattern)
                return st.from_regex(schema.pattern, fullmatch=True)
            except re.error:
                pass
        low = schema.min_length or 0
        high = schema.max_length if schema.max_length is not None else max(low, _OPEN_STRING_MAX)
        alphabet = st.characters(
            codec="utf-8", exclude_categories=["Cs"], exclude_characters="\x00"
        )
        return st.text(alphabet=alphabet, min_size=low, max_size=high)

    def _arrays(self, schema: Schema, stack: tuple[str, ...]) -> Any:
        from hypothesis import strategies as st

        item = self._strategy(schema.items, stack) if schema.items is not None else st.integers()
        low = schema.min_items or 0
        high = schema.max_items if schema.max_items is not None else max(low, _OPEN_ARRAY_MAX)
        if schema.prefix_items:
            prefix = st.tuples(*(self._strategy(s, stack) for s in schema.prefix_items))
            return prefix.map(list)
        unique_by = (lambda v: repr(v)) if schema.unique_items else None
        return st.lists(item, min_size=low, max_size=high, unique_by=unique_by)

    def _object_from(
        self, props: dict[str, Schema], required: set[str], stack: tuple[str, ...]
    ) -> Any:
        from hypothesis import strategies as st

        needed: dict[str, Any] = {}
        optional: dict[str, Any] = {}
        for name, prop_schema in props.items():
            resolved = self.api.resolve(prop_schema)
            if prop_schema.read_only or resolved.read_only:
                continue  # a request never carries readOnly properties
            strategy = self._strategy(prop_schema, stack)
            (needed if name in required else optional)[name] = strategy
        missing = required - set(props)
        for name in missing:
            needed[name] = st.text(max_size=8)
        return st.fixed_dictionaries(needed, optional=optional)


def _format_strategy(fmt: str | None) -> Any:
    from hypothesis import provisional
    from hypothesis import strategies as st

    if fmt == "date-time":
        return st.datetimes(timezones=st.just(UTC)).map(
            lambda d: d.isoformat().replace("+00:00", "Z")
        )
    if fmt == "date":
        return st.dates().map(lambda d: d.isoformat())
    if fmt == "uuid":
        return st.uuids().map(str)
    if fmt == "email":
        return st.emails()
    if fmt in ("uri", "url"):
        return provisional.urls()
    if fmt == "ipv4":
        return st.ip_addresses(v=4).map(str)
    if fmt == "ipv6":
        return st.ip_addresses(v=6).map(str)
    if fmt == "byte":
        return st.binary(max_size=24).map(lambda b: base64.b64encode(b).decode("ascii"))
    return None
