"""Data from IR schemas: plausible, valid, reproducible values for the mock and for tests.

`generate(schema, api, seed=...)` returns one JSON value valid against the schema (as exported
by `apiweld.mock.jsonschema`) in the common cases: types, formats, enums, const, patterns,
bounds, required and optional properties, nested and recursive schemas (bounded by depth),
allOf (merged), oneOf/anyOf (one branch, with its discriminator value set).

Why not hypothesis-jsonschema: it is built for shrinking search, not for one fast reproducible
draw; drawing through `.example()` is neither seedable nor allowed inside tests, and it took
seconds per schema on GitHub's larger components. A direct walk of the IR is fast, deterministic
for a seed, and produces readable values. Patterns use `rstr` (seedable regex reversal).
Callers that must be certain check the value with a validator and retry with another seed; the
mock does exactly that.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import functools
import itertools
import math
import random
import re
import string
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar

import jsonschema_rs
import rstr

from apiweld.mock._plausible import plausible
from apiweld.spec.ir import Api, JsonType, Property, Schema

Direction = Literal["request", "response", "any"]
_N = TypeVar("_N", int, float)

_WORDS = [
    "alpha",
    "bravo",
    "cedar",
    "delta",
    "ember",
    "falcon",
    "garnet",
    "harbor",
    "indigo",
    "juniper",
    "kestrel",
    "lumen",
    "maple",
    "nectar",
    "onyx",
    "pepper",
    "quartz",
    "raven",
    "sierra",
    "tundra",
    "umber",
    "violet",
    "willow",
    "xenon",
    "yarrow",
    "zephyr",
]
_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


@dataclasses.dataclass(frozen=True, slots=True)
class GenerationOptions:
    max_depth: int = 3
    """How many times one named schema may nest inside itself when it must (required)."""
    optional_depth: int = 1
    max_nesting: int = 10
    """How many named schemas deep any value may go (long cycles through many names)."""
    """How many times it may nest through optional properties and branches (keeps data small)."""
    array_items: tuple[int, int] = (1, 2)
    """How many items an array gets when its schema leaves it open."""
    use_examples: bool = True
    """Use a schema's own `examples`/`default` when it has them."""
    direction: Direction = "response"
    """`response` omits write-only properties, `request` omits read-only ones."""
    optional_properties: bool = True
    """Fill optional properties too; off, objects get their required properties only (a last
    resort for descriptions whose optional properties contradict other keywords)."""


class DataGenerator:
    """Generates values for the schemas of one API; cheap to keep and reuse."""

    def __init__(
        self,
        schemas: Mapping[str, Schema] | Api,
        options: GenerationOptions | None = None,
    ) -> None:
        self._schemas: Mapping[str, Schema] = (
            schemas.schemas if isinstance(schemas, Api) else schemas
        )
        self.options = options or GenerationOptions()
        self._merged: dict[int, Schema] = {}

    def generate(self, schema: Schema, rng: random.Random | int | None = None) -> Any:
        if not isinstance(rng, random.Random):
            rng = random.Random(rng)
        return _Walk(self, rng).value(schema, ())

    def resolve(self, schema: Schema) -> Schema:
        seen: set[str] = set()
        while schema.ref is not None and schema.ref not in seen:
            seen.add(schema.ref)
            target = self._schemas.get(schema.ref)
            if target is None:
                return Schema()
            schema = target
        return schema

    def flatten(self, schema: Schema) -> Schema:
        """Resolve refs and fold `allOf` into one schema (cached per schema object)."""
        schema = self.resolve(schema)
        if not schema.all_of:
            return schema
        key = id(schema)
        cached = self._merged.get(key)
        if cached is None:
            cached = schema
            for part in schema.all_of:
                cached = _merge(cached, self.flatten(part))
            cached = dataclasses.replace(cached, all_of=())
            self._merged[key] = cached
        return cached

    def schema_name(self, schema: Schema) -> str | None:
        return schema.ref


class _Walk:
    def __init__(self, gen: DataGenerator, rng: random.Random) -> None:
        self.gen = gen
        self.rng = rng
        self.opts = gen.options

    def value(self, schema: Schema, stack: tuple[str, ...]) -> Any:
        stack = (*stack, *_names(schema))
        if schema.has_const:
            return schema.const
        resolved = self.gen.flatten(schema)
        if resolved.has_const:
            return resolved.const
        if resolved.enum:
            choices = [v for v in resolved.enum if v is not None] or list(resolved.enum)
            return self.rng.choice(choices)
        if self.opts.use_examples:
            for candidate in (schema, resolved):
                # Copies: callers fill in and change what they get (an id on a new item),
                # and the description's own objects are shared by every use.
                if candidate.examples and plausible(candidate.examples[0], resolved):
                    return copy.deepcopy(candidate.examples[0])
                if candidate.has_default and plausible(candidate.default, resolved):
                    return copy.deepcopy(candidate.default)
        branches = resolved.one_of or resolved.any_of
        if branches:
            return self._branch(resolved, branches, stack)
        return self._typed(resolved, self._pick_type(resolved), stack)

    def _branch(self, parent: Schema, branches: tuple[Schema, ...], stack: tuple[str, ...]) -> Any:
        # Prefer branches that do not recurse past the depth bound, and non-null ones.
        usable = [
            b for b in branches if not self._too_deep(b, stack, optional=True) and not _is_null(b)
        ]
        if not usable:
            usable = [b for b in branches if not self._too_deep(b, stack)] or list(branches)
        # A branch requiring a name its closed parent does not define cannot be met.
        usable = [b for b in usable if not _forbidden(parent, self.gen.flatten(b))] or usable
        choice = self.rng.choice(usable)
        if parent.properties and _narrows(choice, self.gen.flatten(choice)):
            return self._required_branch(parent, branches, choice, stack)
        value = self.value(choice, stack)
        if parent.properties and isinstance(value, dict):
            # Names the parent requires but only the branches define are the branches' to
            # give (`required: [shipment_id, shipment]` beside `oneOf` of one each): filling in
            # the others' would match no branch, or every one.
            defined = {p.name for b in branches for p in self.gen.flatten(b).properties}
            host = dataclasses.replace(
                parent,
                one_of=(),
                any_of=(),
                required_extra=tuple(n for n in parent.required_extra if n not in defined),
            )
            base = self._object(host, stack)
            value = {**base, **value}
        disc = parent.discriminator or self.gen.resolve(choice).discriminator
        if disc is not None and isinstance(value, dict) and choice.ref is not None:
            tag = next((wire for wire, name in disc.mapping if name == choice.ref), None)
            if tag is None:
                tag = self.gen.resolve(choice).source_name or choice.ref
            value[disc.property_name] = self._tag(choice, disc.property_name, tag, value)
        return value

    def _required_branch(
        self,
        parent: Schema,
        branches: tuple[Schema, ...],
        choice: Schema,
        stack: tuple[str, ...],
    ) -> dict[str, Any]:
        """`anyOf`/`oneOf` of bare `required` lists ("at least one / exactly one of these"):
        the parent's object with the chosen names required; for `oneOf`, without the names only
        the other branches require (an object matching two branches fails a oneOf)."""
        host = dataclasses.replace(parent, one_of=(), any_of=())
        value = self._object(_merge(host, self.gen.flatten(choice)), stack)
        if parent.one_of:
            keep = {
                *self.gen.flatten(choice).required_extra,
                *(p.name for p in parent.properties if p.required),
            }
            others = {
                n for b in branches if b is not choice for n in self.gen.flatten(b).required_extra
            }
            value = {k: v for k, v in value.items() if k in keep or k not in others}
        return value

    def _tag(self, choice: Schema, tag_property: str, name: str, value: dict[str, Any]) -> Any:
        """The tag of a branch: its mapped value or schema name, as OpenAPI says, unless the
        branch pins the tag property to other values (`type: {enum: [track]}` on a
        `TrackObject` with no mapping, as the API really answers); then the branch's own
        value, the only one that validates."""
        prop = next(
            (p for p in self.gen.flatten(choice).properties if p.name == tag_property), None
        )
        if prop is None:
            return name
        pinned = self.gen.flatten(prop.schema)
        allowed = (pinned.const,) if pinned.has_const else tuple(pinned.enum or ())
        if not allowed or name in allowed:
            return name
        current = value.get(tag_property)
        return current if current in allowed else allowed[0]

    def _too_deep(self, schema: Schema, stack: tuple[str, ...], *, optional: bool = False) -> bool:
        names = _names(schema)
        if names:
            if len(stack) >= self.opts.max_nesting:
                return True
            limit = self.opts.optional_depth if optional else self.opts.max_depth
            return any(stack.count(name) >= limit for name in names)
        if optional and stack:
            # A recursion hidden one level down (a oneOf of the same schema and null).
            target = self.gen.resolve(schema)
            return any(
                b.ref is not None and stack.count(b.ref) >= self.opts.optional_depth
                for b in (*target.one_of, *target.any_of)
            )
        return False

    def _pick_type(self, schema: Schema) -> JsonType:
        types = schema.non_null_types
        if types:
            return self.rng.choice(types) if len(types) > 1 else types[0]
        if schema.types == ("null",):
            return "null"
        if schema.properties or schema.required_extra or schema.additional_properties is not None:
            return "object"
        if schema.items is not None or schema.prefix_items:
            return "array"
        if any(
            bound is not None
            for bound in (
                schema.minimum,
                schema.maximum,
                schema.exclusive_minimum,
                schema.exclusive_maximum,
            )
        ):
            return "number"
        return "string"

    def _typed(self, schema: Schema, kind: JsonType, stack: tuple[str, ...]) -> Any:
        if kind == "object":
            return self._object(schema, stack)
        if kind == "array":
            return self._array(schema, stack)
        if kind == "string":
            return self._string(schema)
        if kind == "integer":
            return self._integer(schema)
        if kind == "number":
            return self._number(schema)
        if kind == "boolean":
            return self.rng.random() < 0.5
        return None

    def _object(self, schema: Schema, stack: tuple[str, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for prop in schema.properties:
            if self._omitted(prop) or (not prop.required and not self.opts.optional_properties):
                continue
            if not prop.required and self._too_deep(prop.schema, stack, optional=True):
                continue
            if self._too_deep(prop.schema, stack):
                out[prop.name] = self._minimal(prop.schema)
                continue
            out[prop.name] = self.value(prop.schema, stack)
        extra = schema.additional_properties
        for name in schema.required_extra:
            if name not in out:  # required with no property here: the extras' schema, or a word
                out[name] = (
                    self.value(extra, stack)
                    if isinstance(extra, Schema)
                    else self.rng.choice(_WORDS)
                )
        wanted = schema.min_properties or 0
        index = 0
        while len(out) < wanted and index < wanted + 8:
            key = f"{self.rng.choice(_WORDS)}_{index}"
            index += 1
            if key in out:
                continue
            out[key] = self.value(extra, stack) if isinstance(extra, Schema) else index
        if schema.max_properties is not None and len(out) > schema.max_properties:
            required = {p.name for p in schema.properties if p.required}
            required.update(schema.required_extra)
            for key in [k for k in out if k not in required]:
                if len(out) <= schema.max_properties:
                    break
                del out[key]
        return out

    def _omitted(self, prop: Property) -> bool:
        direction = self.opts.direction
        if direction == "any":
            return False
        target = self.gen.resolve(prop.schema)
        if direction == "response":
            return prop.schema.write_only or target.write_only
        return prop.schema.read_only or target.read_only

    def _minimal(self, schema: Schema, seen: frozenset[str] = frozenset()) -> Any:
        """A value that ends recursion: null, an empty container, or the smallest object.

        A schema that requires itself with no way out (no null, no empty branch) has no finite
        instance; the walk stops at the second visit with an empty object.
        """
        if schema.ref is not None:
            if schema.ref in seen:
                return {}
            seen = seen | {schema.ref}
        resolved = self.gen.flatten(schema)
        if resolved.nullable:
            return None
        branches = resolved.one_of or resolved.any_of
        if branches:
            if any(_is_null(b) for b in branches):
                return None
            return self._minimal(branches[0], seen)
        kind = self._pick_type(resolved)
        if kind == "array":
            return []
        if kind == "object":
            return {
                p.name: self._minimal(p.schema, seen)
                for p in resolved.properties
                if p.required and not self._omitted(p)
            }
        return self._typed(resolved, kind, ())

    def _array(self, schema: Schema, stack: tuple[str, ...]) -> list[Any]:
        low, high = self.opts.array_items
        minimum = schema.min_items or 0
        maximum = schema.max_items if schema.max_items is not None else max(high, minimum)
        count = min(max(minimum, self.rng.randint(low, high)), maximum)
        items = [self.value(s, stack) for s in schema.prefix_items[:count]]
        item_schema = schema.items or Schema()
        if len(items) < count and self._too_deep(item_schema, stack):
            count = max(minimum, len(items))
        attempts = 0
        while len(items) < count and attempts < count * 4 + 4:
            attempts += 1
            item = self.value(item_schema, stack)
            if schema.unique_items and item in items:
                continue
            items.append(item)
        return items

    def _string(self, schema: Schema) -> str:
        low, high = schema.min_length, schema.max_length
        text = _formatted(schema.format, self.rng)
        if text is not None and not _fits(text, low, high):
            text = None
        if text is None and schema.pattern:
            text = _from_pattern(schema.pattern, self.rng, low, high)
        if text is None:
            text = f"{self.rng.choice(_WORDS)}-{self.rng.randint(1, 999)}"
            minimum = low or 0
            if len(text) < minimum:
                text = (text + "x" * minimum)[:minimum]
            if high is not None and len(text) > high:
                text = text[:high]
        return text

    def _integer(self, schema: Schema) -> int:
        low, high = _bounds(schema, integer=True)
        step = schema.multiple_of
        if step and step == int(step) and step > 0:
            first = math.ceil(low / step)
            last = math.floor(high / step)
            if first <= last:
                return int(self.rng.randint(int(first), int(last)) * step)
        return self.rng.randint(int(low), int(high))

    def _number(self, schema: Schema) -> float | int:
        low, high = _bounds(schema, integer=False)
        step = schema.multiple_of
        if step and step > 0:
            first = math.ceil(low / step)
            last = math.floor(high / step)
            if first <= last:
                multiple = self.rng.randint(int(first), int(last)) * step
                return int(multiple) if float(multiple).is_integer() else multiple
        return round(self.rng.uniform(low, high), 2) if low < high else low


def _bounds(schema: Schema, *, integer: bool) -> tuple[float, float]:
    """The inclusive range to draw from, exclusive bounds (numbers in the IR) folded in."""
    epsilon = 1 if integer else 0.01
    low = schema.minimum
    high = schema.maximum
    if schema.exclusive_minimum is not None:
        bound = schema.exclusive_minimum + epsilon
        low = bound if low is None else max(low, bound)
    if schema.exclusive_maximum is not None:
        bound = schema.exclusive_maximum - epsilon
        high = bound if high is None else min(high, bound)
    if (
        not integer
        and low is not None
        and high is not None
        and high < low
        and schema.exclusive_minimum is not None
        and schema.exclusive_maximum is not None
    ):
        # A range narrower than the step (0 < x < 0.01): its midpoint is inside.
        low = high = (schema.exclusive_minimum + schema.exclusive_maximum) / 2
    if low is None:
        low = 1 if high is None or high >= 1 else high - 1000
    if high is None:
        high = max(low + 1000, 1000)
    if integer:
        low, high = math.ceil(low), math.floor(high)
    if high < low:
        high = low
    return low, high


class _ShortXeger(rstr.Rstr):
    """rstr with open repeats (`*`, `+`, `{2,}`) capped near their minimum: readable values that
    also fit the `maxLength` a pattern usually comes with."""

    def __init__(self, rng: random.Random) -> None:
        # rstr builds its `\W` alphabet (and `[^...]` classes, below) from sets, whose order
        # changes with PYTHONHASHSEED: the same seed would give other values in another run,
        # and generated test suites would not be byte-identical. Sorted, they are.
        super().__init__(rng, nonword="".join(sorted(_NON_WORD)))

    def _handle_repeat(self, start_range: int, end_range: int, value: str) -> str:
        return super()._handle_repeat(start_range, min(end_range, start_range + 6), value)

    def _handle_in(self, value: Any) -> Any:
        candidates = list(itertools.chain(*(self._handle_state(i) for i in value)))
        if candidates and candidates[0] is False:
            excluded = set(candidates[1:])
            candidates = [c for c in string.printable if c not in excluded]
        return self._random.choice(candidates)


_NON_WORD = set(string.printable) - set(string.ascii_letters + string.digits + "_")


_ECMA_LINE_BREAKS = frozenset("\r\x0b\x0c\x85\u2028\u2029")


def _fits(text: str, low: int | None, high: int | None) -> bool:
    return (low is None or len(text) >= low) and (high is None or len(text) <= high)


@functools.lru_cache(maxsize=4096)
def _pattern_matcher(pattern: str) -> Callable[[str], bool] | None:
    """A matcher for candidates. jsonschema-rs's regex engine (ECMA semantics, as validators
    use) runs in linear time where it can and bounds backtracking where it cannot; Python's
    `re` can take exponential time on patterns like `([\\w.-]*)*$`, so it is only the fallback
    for patterns the Rust engine refuses."""
    try:
        validator = jsonschema_rs.validator_for({"type": "string", "pattern": pattern})
    except Exception:  # noqa: S110 - the Rust engine refuses some Python-only syntax
        pass
    else:

        def rust_match(candidate: str) -> bool:
            try:
                return bool(validator.is_valid(candidate))
            except Exception:  # the backtracking limit was hit: not a usable value
                return False

        return rust_match
    try:
        compiled = re.compile(pattern)
    except re.error:
        return None
    return lambda candidate: compiled.search(candidate) is not None


def _from_pattern(
    pattern: str, rng: random.Random, min_length: int | None, max_length: int | None
) -> str | None:
    matches = _pattern_matcher(pattern)
    if matches is None:
        return None  # a pattern neither engine reads: fall back to a word
    xeger = _ShortXeger(rng)
    for attempt in range(12):
        try:
            candidate: str = xeger.xeger(pattern)
        except Exception:  # rstr gives up on some constructs (lookarounds...)
            return None
        # `.` in ECMA regexes does not match `\r` and a few other separators, while Python's
        # does; printable values come first (they fit in URLs and headers), and a pattern that
        # insists on tabs or newlines gets them on the later attempts.
        if (
            _fits(candidate, min_length, max_length)
            and not _ECMA_LINE_BREAKS.intersection(candidate)
            and (candidate.isprintable() or attempt >= 8)
            and matches(candidate)
        ):
            return candidate
    return None


def _random_datetime(rng: random.Random) -> datetime:
    return _EPOCH + timedelta(seconds=rng.randint(0, 3 * 365 * 86400))


def _formatted(fmt: str | None, rng: random.Random) -> str | None:
    if fmt is None:
        return None
    match fmt:
        case "date-time":
            return _random_datetime(rng).strftime("%Y-%m-%dT%H:%M:%SZ")
        case "date":
            return _random_datetime(rng).strftime("%Y-%m-%d")
        case "time":
            return _random_datetime(rng).strftime("%H:%M:%SZ")
        case "uuid":
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))
        case "email" | "idn-email":
            return f"{rng.choice(_WORDS)}.{rng.randint(1, 99)}@example.com"
        case "uri" | "url" | "iri" | "uri-reference" | "iri-reference":
            return f"https://example.com/{rng.choice(_WORDS)}/{rng.randint(1, 999)}"
        case "uri-template":
            return "https://example.com/{id}"
        case "hostname" | "idn-hostname":
            return f"{rng.choice(_WORDS)}.example.com"
        case "ipv4":
            return ".".join(str(rng.randint(1, 254)) for _ in range(4))
        case "ipv6":
            return ":".join(f"{rng.randint(0, 0xFFFF):x}" for _ in range(8))
        case "byte":
            return base64.b64encode(rng.randbytes(6)).decode()
        case "duration":
            return f"P{rng.randint(1, 30)}D"
        case "json-pointer":
            return f"/{rng.choice(_WORDS)}"
        case "regex":
            return "^[a-z]+$"
        case _:
            return None


def _names(schema: Schema) -> tuple[str, ...]:
    """The named schemas a use of `schema` enters: its ref, or the refs it wraps in `allOf`
    (`allOf: [{$ref: X}, {description: ...}]` is how 3.0 adds a description to a ref)."""
    if schema.ref is not None:
        return (schema.ref,)
    return tuple(part.ref for part in schema.all_of if part.ref is not None)


def _narrows(choice: Schema, flat: Schema) -> bool:
    """An inline branch that requires names (`anyOf: [{required: [a]}, {required: [b]}]`,
    "at least one of these"), maybe narrowing some: read with the parent's properties."""
    return bool(flat.required_extra) and choice.ref is None and not (flat.one_of or flat.any_of)


def _forbidden(parent: Schema, branch: Schema) -> bool:
    """Whether the branch requires a name that the parent's `additionalProperties: false` bars."""
    if parent.additional_properties is not False:
        return False
    defined = {p.name for p in parent.properties}
    return any(name not in defined for name in branch.required_extra)


def _both_enums(first: tuple[Any, ...] | None, second: tuple[Any, ...] | None) -> Any:
    """The values both enums allow (the first alone when they share none)."""
    if first is None or second is None:
        return first if second is None else second
    return tuple(v for v in first if v in second) or first


def _is_null(schema: Schema) -> bool:
    return schema.types == ("null",)


def _merge(base: Schema, extra: Schema) -> Schema:
    """Fold one allOf part into another: a conjunction, kept simple for generation."""
    props = {p.name: p for p in base.properties}
    for prop in extra.properties:
        existing = props.get(prop.name)
        if existing is None:
            props[prop.name] = prop
        elif existing.schema != prop.schema:
            # Both parts constrain the property: its value must satisfy both.
            both = Schema(all_of=(existing.schema, prop.schema))
            props[prop.name] = dataclasses.replace(
                existing, schema=both, required=existing.required or prop.required
            )
        elif prop.required and not existing.required:
            props[prop.name] = dataclasses.replace(existing, required=True)
    unplaced: list[str] = []
    for name in dict.fromkeys((*base.required_extra, *extra.required_extra)):
        found = props.get(name)
        if found is None:
            unplaced.append(name)
        elif not found.required:
            props[name] = dataclasses.replace(found, required=True)
    types = base.types
    if extra.types:
        types = tuple(t for t in base.types if t in extra.types) if base.types else extra.types
        if not types and base.types:
            types = extra.types
    additional = base.additional_properties
    if extra.additional_properties is False or additional is None:
        additional = extra.additional_properties if additional is not False else False
    return dataclasses.replace(
        base,
        types=types,
        properties=tuple(props.values()),
        required_extra=tuple(unplaced),
        additional_properties=additional,
        format=base.format or extra.format,
        enum=_both_enums(base.enum, extra.enum),
        has_const=base.has_const or extra.has_const,
        const=base.const if base.has_const else extra.const,
        items=base.items or extra.items,
        one_of=base.one_of or extra.one_of,
        any_of=base.any_of or extra.any_of,
        discriminator=base.discriminator or extra.discriminator,
        minimum=_max_of(base.minimum, extra.minimum),
        maximum=_min_of(base.maximum, extra.maximum),
        exclusive_minimum=_max_of(base.exclusive_minimum, extra.exclusive_minimum),
        exclusive_maximum=_min_of(base.exclusive_maximum, extra.exclusive_maximum),
        multiple_of=base.multiple_of or extra.multiple_of,
        min_length=_max_of(base.min_length, extra.min_length),
        max_length=_min_of(base.max_length, extra.max_length),
        min_items=_max_of(base.min_items, extra.min_items),
        max_items=_min_of(base.max_items, extra.max_items),
        pattern=base.pattern or extra.pattern,
        examples=base.examples or extra.examples,
        min_properties=_max_of(base.min_properties, extra.min_properties),
    )


def _max_of(a: _N | None, b: _N | None) -> _N | None:
    return b if a is None else a if b is None else max(a, b)


def _min_of(a: _N | None, b: _N | None) -> _N | None:
    return b if a is None else a if b is None else min(a, b)


def generate(
    schema: Schema,
    schemas: Mapping[str, Schema] | Api,
    *,
    seed: int | None = 0,
    options: GenerationOptions | None = None,
) -> Any:
    """One value for `schema` (its named schemas looked up in `schemas`), reproducible by seed."""
    return DataGenerator(schemas, options).generate(schema, random.Random(seed))
