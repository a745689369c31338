"""Discriminated unions: a `oneOf`/`anyOf` picked by its tag, and a base schema whose
discriminator names its `allOf` subtypes, as `Annotated[... , Discriminator(<picker>)]`.

The half of `TypeBuilder` that decides tagged unions; it names classes through the builder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from apiweld.spec.ir import Discriminator, Schema

from ._names import py_literal, tuple_literal
from ._schema_rules import fixed_tag_values, union_of

if TYPE_CHECKING:
    from ._types import TypeBuilder, Variant


class UnionBuilder:
    """Tagged unions for one `TypeBuilder` (one generation run)."""

    def __init__(self, types: TypeBuilder) -> None:
        self.types = types
        self._children_index: dict[str, list[str]] | None = None

    def tagged_union(
        self, schema: Schema, members: tuple[Schema, ...], member_parts: list[list[str]]
    ) -> str | None:
        """A `oneOf`/`anyOf` with a discriminator as a tagged union; None when it cannot be one.

        Members that are not model classes (arrays, primitives) cannot be picked by tag; they
        stay reachable through the fallback, the plain union of every member.
        """
        discriminator = schema.discriminator or self._inherited_discriminator(members)
        if discriminator is None:
            return None
        tag = discriminator.property_name
        choices: list[tuple[str, list[str], list[str]]] = []
        for member, parts in zip(members, member_parts, strict=True):
            real = [p for p in parts if p != "None"]
            if (
                len(real) != 1
                or real[0] not in self.types.class_names
                or real[0] in self.types.enum_classes
            ):
                continue
            if member.ref is not None and member.ref not in self.types.api.schemas:
                continue
            target = self.types.api.resolve(member)
            chain = self._ref_chain(member.ref)
            explicit = [value for value, name in discriminator.mapping if name in chain]
            # A member that does not declare the tag still owns the values naming it: the
            # payload's tag is what the server says it sent.
            declared = self.types.declared(target, tag)
            if declared is not None:
                explicit.extend(fixed_tag_values(self.types.api.resolve(declared.schema)))
            implicit = [target.source_name or member.ref] if member.ref is not None else []
            choices.append((real[0], explicit, [v for v in implicit if v]))
        everything = [p for parts in member_parts for p in parts if p != "None"]
        if not choices or len(set(everything)) < 2:
            return None
        return self._discriminated(tag, choices, union_of(everything))

    def subtype_union(
        self, key: str, class_name: str, variant: Variant, refs: set[str]
    ) -> str | None:
        """A use of a base schema whose discriminator names its subtypes (`allOf` children).

        OpenAPI reads such a `$ref` as "any of the subtypes, picked by the tag"; the base class
        is the fallback, so a subtype the description does not know still parses as the base.
        """
        base = self.types.api.schemas[key]
        discriminator = base.discriminator
        if discriminator is None or self.types.declared(base, discriminator.property_name) is None:
            return None
        tag = discriminator.property_name
        targets = [name for _, name in discriminator.mapping]
        targets.extend(self._children().get(key, ()))
        choices: list[tuple[str, list[str], list[str]]] = []
        seen: set[str] = set()
        for child in [key, *targets]:
            if child in seen or child not in self.types.api.schemas:
                continue
            seen.add(child)
            target = self.types.api.schemas[child]
            if child != key and self.types.declared(target, tag) is None:
                continue
            child_class = class_name if child == key else self.types.named_class(child, variant)
            if child_class is None or child_class in self.types.enum_classes:
                continue
            explicit = [value for value, name in discriminator.mapping if name == child]
            choices.append((child_class, explicit, [target.source_name or child]))
        if len(choices) < 2:
            return None
        refs.update(name for name, _, _ in choices)
        return self._discriminated(tag, choices, class_name)

    def _discriminated(
        self, tag: str, choices: list[tuple[str, list[str], list[str]]], fallback: str
    ) -> str | None:
        """`Annotated[<members, each with its Tag> | <fallback>, Discriminator(<picker>)]`.

        `choices`: (class, explicit tag values, implicit ones: the schema's name). Explicit values
        (mapping, const) win over implicit ones; the first class to claim a value keeps it.

        Decision on tags the description does not know (a subtype the server added later, a
        missing tag, a body that is not an object): they are not an error. The picker sends them
        to `fallback`: the plain union of every member (exactly what parsed before this union was
        tagged) or, for a base schema's subtypes, the base class, so the call still returns data
        and the unknown tag stays readable on the result. Only a known tag is held to its member.
        """
        table: dict[str, str] = {}
        for position in (1, 2):
            for class_name, explicit, implicit in choices:
                for value in explicit if position == 1 else implicit:
                    table.setdefault(value, class_name)
        tagged = list(dict.fromkeys(name for name in table.values()))
        if not tagged:
            return None
        pieces = [f"_t.Annotated[{name}, _pyd.Tag({py_literal(name)})]" for name in tagged]
        fallback_tag = fallback if fallback in tagged else "*"
        if fallback_tag == "*":
            pieces.append(f"_t.Annotated[{fallback}, _pyd.Tag({py_literal(fallback_tag)})]")
        pairs = tuple_literal(
            tuple_literal([py_literal(value), py_literal(name)]) for value, name in table.items()
        )
        picker = f"{tagged[0]}._tag_picker({py_literal(tag)}, {pairs}, {py_literal(fallback_tag)})"
        return f"_t.Annotated[{' | '.join(pieces)}, _pyd.Discriminator({picker})]"

    def _inherited_discriminator(self, members: tuple[Schema, ...]) -> Discriminator | None:
        """The discriminator of a base schema every member extends (`oneOf: [Cat, Dog]` where
        both `allOf` a `Pet` that has one): OpenAPI lets the members carry it."""
        common: set[str] | None = None
        for member in members:
            if member.ref is None or member.ref not in self.types.api.schemas:
                return None
            bases = {
                part.ref
                for part in self.types.api.schemas[member.ref].all_of
                if part.ref is not None
                and part.ref in self.types.api.schemas
                and self.types.api.schemas[part.ref].discriminator is not None
            }
            common = bases if common is None else common & bases
        if not common or len(common) != 1:
            return None
        return self.types.api.schemas[next(iter(common))].discriminator

    def _ref_chain(self, key: str | None) -> set[str]:
        """`key` and every name its `$ref` chain passes through (mapping targets may be any)."""
        chain: set[str] = set()
        while key is not None and key not in chain and key in self.types.api.schemas:
            chain.add(key)
            key = self.types.api.schemas[key].ref
        return chain

    def _children(self) -> dict[str, list[str]]:
        """Named schemas by the named schemas that extend them directly through `allOf`."""
        if self._children_index is None:
            index: dict[str, list[str]] = {}
            for name in sorted(self.types.api.schemas):
                for part in self.types.api.schemas[name].all_of:
                    if part.ref is not None and part.ref != name:
                        index.setdefault(part.ref, []).append(name)
            self._children_index = index
        return self._children_index
