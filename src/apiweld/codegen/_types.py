"""From IR schemas to Python type expressions and the model classes they need.

This is the parser half of the generator (the templates only render what it decides):

- A named object schema becomes a pydantic model class; a named string or integer enum becomes an
  open enum class (unknown server values are kept as pseudo-members, see `_base.py`); every other
  named schema (arrays, unions, primitives) is inlined where it is used.
- An inline object schema with properties becomes a class named after where it sits
  (`PetOwner`, `ListPetsResponse`); inline enums become `Literal[...] | str`, which keeps unknown
  values without minting a class for every query parameter.
- readOnly/writeOnly: responses use the plain class (writeOnly fields are optional there, since
  servers never send them); request bodies use an `...Input` variant without readOnly fields,
  created only for schemas that need one (directly or through what they reference).
- Formats: `date-time` -> datetime, `date` -> date, `uuid` -> UUID, `binary` -> bytes; `byte`
  stays `str` (the base64 text as sent: decoding it silently would change what round-trips),
  and formats whose parsing would change the text (`uri`, `email`, `time`, ...) stay `str`.
- Where a part cannot be typed precisely (a `$ref` to nowhere, a regex Python cannot compile, a
  default of the wrong type, a recursive alias), that part is loosened and a warning recorded.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from apiweld.spec.ir import Api, Encoding, JsonValue, Property, Schema

from ._names import (
    ANNOTATION_BUILTINS,
    docstring_body,
    pascal_case,
    py_literal,
    safe_identifier,
    unique,
    upper_snake,
)
from ._schema_rules import (
    ANY,
    STRING_FORMATS,
    accepts_null,
    all_bool,
    annotation_only,
    builtin_name,
    const_parts,
    default_fits,
    enum_base,
    file_types_expression,
    is_binary,
    is_optional,
    number_constraints,
    pattern_compiles,
    string_constraints,
    union_of,
)
from ._unions import UnionBuilder

Variant = Literal["output", "input"]

_IDENTIFIERS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Attributes of pydantic.BaseModel (and names pydantic treats specially); a field named like one
# would break the class, so it gets a trailing underscore and keeps its wire name as an alias.
_BASEMODEL_NAMES = frozenset(
    {
        "construct",
        "copy",
        "dict",
        "json",
        "parse_file",
        "parse_obj",
        "parse_raw",
        "schema",
        "schema_json",
        "update_forward_refs",
        "validate",
        "fields",
        "from_orm",
    }
)


@dataclass
class FieldDef:
    name: str
    annotation: str
    alias: str | None
    required: bool
    default: str | None
    """A Python literal for the default; None when the field has none (required, or None)."""
    doc: str

    @property
    def declaration(self) -> str:
        """`name: annotation = value` as it stands in the class body."""
        arguments: list[str] = []
        if not self.required and self.default is not None:
            arguments.append(f"default={self.default}")
        elif not self.required:
            if self.alias is None:
                return f"{self.name}: {self.annotation} = None"
            arguments.append("default=None")
        if self.alias is not None:
            arguments.append(f"alias={py_literal(self.alias)}")
        if not arguments:
            return f"{self.name}: {self.annotation}"
        return f"{self.name}: {self.annotation} = _pyd.Field({', '.join(arguments)})"


@dataclass
class ModelDef:
    name: str
    doc: str
    fields: list[FieldDef]
    extra_annotation: str | None
    """Type of typed extra fields (additionalProperties), or None."""
    refs: set[str]
    pointer: str
    typed_dict: bool = False
    """A `TypedDict` of the parts of a multipart body (keys are wire names) instead of a model."""

    @property
    def base(self) -> str | None:
        return None if self.typed_dict else "Model"

    @property
    def class_syntax(self) -> bool:
        """Whether the keys can be written as a class body; otherwise the functional form."""
        return all(f.name.isidentifier() and not keyword.iskeyword(f.name) for f in self.fields)


@dataclass
class EnumDef:
    name: str
    doc: str
    base: Literal["OpenStrEnum", "OpenIntEnum"]
    members: list[tuple[str, str]]
    """(member name, value literal)."""
    refs: set[str] = field(default_factory=set)
    pointer: str = ""


ClassDef = ModelDef | EnumDef


@dataclass
class _Merged:
    properties: list[Property]
    additional: Schema | bool | None
    description: str | None
    required_extra: tuple[str, ...] = ()
    """Names required by some part that no part defines (passed up to the enclosing allOf)."""


def _is_objectish(schema: Schema) -> bool:
    return bool(schema.properties) or (
        "object" in schema.types and not schema.one_of and not schema.any_of
    )


class TypeBuilder:
    """Decides every class and type expression; one instance per generation run."""

    def __init__(self, api: Api, warn: Callable[[str, str], None]) -> None:
        self.api = api
        self._warn = warn
        self.classes: dict[str, ClassDef] = {}
        self._taken: set[str] = set()
        self._named_class: dict[tuple[str, Variant], str | None] = {}
        self._inline_class: dict[tuple[int, Variant], str] = {}
        self._parts_class: dict[int, str] = {}
        self._needs_input: dict[str, bool] = {}
        self._expanding: set[str] = set()
        self._pending: list[tuple[str, Schema, Variant, str]] = []
        self.class_names: set[str] = set()
        self.enum_classes: set[str] = set()
        """Every class named so far (built or pending)."""
        self._safe_schema_names: dict[str, str] = {}
        self._unions = UnionBuilder(self)
        for key in sorted(api.schemas):
            self._safe_schema_names[key] = unique(
                safe_identifier(key, fallback="Model", reserved=ANNOTATION_BUILTINS), self._taken
            )

    # --- public ------------------------------------------------------------------------------

    def generate_all_components(self) -> None:
        for key in sorted(self.api.schemas):
            self.named_class(key, "output")
        self.drain()

    def drain(self) -> None:
        """Build every class that has been named but not yet built (they may name more)."""
        while self._pending:
            name, schema, variant, hint = self._pending.pop()
            self._build_class(name, schema, variant, hint)

    def type_of(
        self,
        schema: Schema | None,
        hint: str,
        variant: Variant = "output",
        refs: set[str] | None = None,
        shadow: frozenset[str] = frozenset(),
        constraints: bool = True,
    ) -> str:
        """The Python type expression for `schema`; class names it uses are added to `refs`."""
        collected: set[str] = set() if refs is None else refs
        if schema is None:
            return ANY
        parts = self._parts(schema, hint, variant, collected, shadow, constraints)
        return union_of(parts)

    def item_type_at(
        self, schema: Schema | None, path: tuple[str, ...], hint: str, refs: set[str]
    ) -> str | None:
        """The element type of the array at `path` inside `schema` (for pagination)."""
        current = schema
        for key in path:
            if current is None:
                return None
            merged = self._merge(self.api.resolve(current), set())
            found = next((p for p in merged.properties if p.name == key), None)
            if found is None:
                return None
            current = found.schema
        if current is None:
            return None
        resolved = self.api.resolve(current)
        if "array" not in resolved.types and resolved.items is None:
            return None
        return self.type_of(resolved.items, f"{hint}Item", "output", refs)

    def multipart_parts(
        self, schema: Schema | None, hint: str, encoding: tuple[Encoding, ...], refs: set[str]
    ) -> str | None:
        """A `TypedDict` of a multipart body's parts; None when the schema names no properties.

        A TypedDict, not a model: a file part takes what the runtime's multipart encoder sends
        (bytes, a binary file, or `(filename, content[, content type])`), which a model could
        not hold without validating it away; keys stay the wire names the encoder sends.
        """
        if schema is None:
            return None
        target = self.api.resolve(schema)
        existing = self._parts_class.get(id(target))
        if existing is not None:
            refs.add(existing)
            return existing
        merged = self._merge(target, set())
        if not merged.properties:
            return None
        base = pascal_case(hint, fallback="Parts")
        name = unique(base if base not in ANNOTATION_BUILTINS else f"{base}Parts", self._taken)
        self._parts_class[id(target)] = name
        self.class_names.add(name)
        shadow = frozenset({p.name for p in merged.properties} & ANNOTATION_BUILTINS)
        file_types = {e.property_name for e in encoding if e.content_type and _is_file_media(e)}
        own: set[str] = set()
        fields: list[FieldDef] = []
        for prop in merged.properties:
            if prop.schema.read_only:
                continue
            annotation = self._part_type(prop, name, file_types, own, shadow)
            fields.append(
                FieldDef(
                    name=prop.name,
                    annotation=f"_t.Required[{annotation}]" if prop.required else annotation,
                    alias=None,
                    required=prop.required,
                    default=None,
                    doc=docstring_body(prop.schema.description),
                )
            )
        own.discard(name)
        self.classes[name] = ModelDef(
            name=name,
            doc=docstring_body(merged.description),
            fields=fields,
            extra_annotation=None,
            refs=own,
            pointer=target.pointer,
            typed_dict=True,
        )
        refs.add(name)
        return name

    def _part_type(
        self,
        prop: Property,
        owner: str,
        file_types: set[str],
        refs: set[str],
        shadow: frozenset[str],
    ) -> str:
        schema = self.api.resolve(prop.schema)
        file_part = file_types_expression(shadow)
        if prop.name in file_types or is_binary(schema):
            return file_part
        items = schema.items
        if "array" in schema.types and items is not None and is_binary(self.api.resolve(items)):
            return f"{builtin_name('list', shadow)}[{file_part}]"
        hint = f"{owner}{pascal_case(prop.name, 'Field')}"
        return self.type_of(prop.schema, hint, "input", refs, shadow, constraints=False)

    # --- naming classes ----------------------------------------------------------------------

    def named_class(self, key: str, variant: Variant) -> str | None:
        """The class for named schema `key`, or None when it is inlined instead."""
        memo_key = (key, variant)
        if memo_key in self._named_class:
            return self._named_class[memo_key]
        schema = self.api.schemas[key]
        kind = self._class_kind(schema)
        if kind is None or (kind == "enum" and variant == "input"):
            result = None if kind is None else self.named_class(key, "output")
            self._named_class[memo_key] = result
            return result
        if variant == "input" and not self.needs_input_variant(key):
            result = self.named_class(key, "output")
            self._named_class[memo_key] = result
            return result
        base = self._safe_schema_names[key]
        name = base if variant == "output" else unique(f"{base}Input", self._taken)
        if kind == "enum":
            self.enum_classes.add(name)
        self._named_class[memo_key] = name
        self.class_names.add(name)
        self._pending.append((name, schema, variant, base))
        return name

    def _class_kind(self, schema: Schema) -> Literal["model", "enum"] | None:
        if schema.ref is not None:
            return None
        if schema.enum is not None:
            return "enum" if enum_base(schema) is not None else None
        if schema.properties:
            return "model"
        if schema.all_of and not schema.one_of and not schema.any_of:
            return "model" if self._merge(schema, set()).properties else None
        return None

    def needs_input_variant(self, key: str) -> bool:
        if key in self._needs_input:
            return self._needs_input[key]
        self._needs_input[key] = False  # assumed while in progress: breaks reference cycles
        schema = self.api.schemas[key]
        result = any(
            prop.schema.read_only or self._schema_needs_input(prop.schema, 0)
            for prop in self._merge(schema, set()).properties
        )
        self._needs_input[key] = result
        return result

    def _schema_needs_input(self, schema: Schema, depth: int) -> bool:
        if depth > 8:
            return False
        if schema.ref is not None:
            return schema.ref in self.api.schemas and self.needs_input_variant(schema.ref)
        children: list[Schema] = [*schema.all_of, *schema.one_of, *schema.any_of]
        if schema.items is not None:
            children.append(schema.items)
        if isinstance(schema.additional_properties, Schema):
            children.append(schema.additional_properties)
        children.extend(p.schema for p in schema.properties)
        if any(p.schema.read_only for p in schema.properties):
            return True
        return any(self._schema_needs_input(child, depth + 1) for child in children)

    def _inline_model(self, schema: Schema, hint: str, variant: Variant) -> str:
        if variant == "input" and not self._schema_needs_input(schema, 0):
            variant = "output"
        memo_key = (id(schema), variant)
        existing = self._inline_class.get(memo_key)
        if existing is not None:
            return existing
        base = pascal_case(hint, fallback="Model")
        if base in ANNOTATION_BUILTINS:
            base = f"{base}Model"
        name = unique(base if variant == "output" else f"{base}Input", self._taken)
        self._inline_class[memo_key] = name
        self.class_names.add(name)
        self._pending.append((name, schema, variant, base))
        return name

    # --- building classes --------------------------------------------------------------------

    def _build_class(self, name: str, schema: Schema, variant: Variant, hint: str) -> None:
        doc = docstring_body(schema.description or schema.title)
        if schema.enum is not None and enum_base(schema) is not None:
            self.classes[name] = _enum_def(name, schema, doc)
            return
        merged = self._merge(schema, set())
        refs: set[str] = set()
        field_names = {p.py_name for p in merged.properties}
        shadow = frozenset(field_names & ANNOTATION_BUILTINS)
        taken: set[str] = set()
        fields: list[FieldDef] = []
        for prop in merged.properties:
            if variant == "input" and prop.schema.read_only:
                continue
            fields.append(self._field(name, prop, variant, refs, shadow, taken))
        extra: str | None = None
        if isinstance(merged.additional, Schema):
            value = self.type_of(merged.additional, f"{hint}Value", variant, refs, shadow)
            if value != ANY:
                extra = f"{builtin_name('dict', shadow)}[{builtin_name('str', shadow)}, {value}]"
        refs.discard(name)
        # A field named like a class the model refers to would hide that class in the body.
        clashing = {f.name for f in fields} & (refs | {name})
        for item in fields:
            if item.name in clashing:
                item.alias = item.alias or item.name
                item.name = unique(f"{item.name}_", taken)
        self.classes[name] = ModelDef(
            name=name,
            doc=doc,
            fields=fields,
            extra_annotation=extra,
            refs=refs,
            pointer=schema.pointer,
        )

    def _field(
        self,
        owner: str,
        prop: Property,
        variant: Variant,
        refs: set[str],
        shadow: frozenset[str],
        taken: set[str],
    ) -> FieldDef:
        py = safe_identifier(prop.py_name, fallback="field")
        if py in _BASEMODEL_NAMES or py.startswith("model_") or py == owner:
            py = f"{py}_"
        py = unique(py, taken)
        schema = prop.schema
        annotation = self.type_of(
            schema, f"{owner}{pascal_case(prop.name, 'Field')}", variant, refs, shadow
        )
        # Servers never send writeOnly fields, so in responses they cannot be required (the
        # flag may sit on the property or on the schema it refers to, as the mock reads it).
        write_only = schema.write_only or self.api.resolve(schema).write_only
        required = prop.required and not (variant == "output" and write_only)
        default: str | None = None
        if not required:
            default = self._default_literal(schema, annotation)
            if default is None and annotation != ANY and not is_optional(annotation):
                annotation = f"{annotation} | None"
        return FieldDef(
            name=py,
            annotation=annotation,
            alias=prop.name if prop.name != py else None,
            required=required,
            default=default,
            doc=docstring_body(schema.description or _annotated_description(schema)),
        )

    def _default_literal(self, schema: Schema, annotation: str) -> str | None:
        target = self.api.resolve(schema) if schema.ref and not schema.has_default else schema
        if not target.has_default or target.default is None:
            return None
        value = target.default
        head = annotation.split(" | ")[0]
        if "_pyd.Discriminator(" in annotation:
            return None  # a default for a union of models would need constructing one
        if head in self.class_names and head not in self.enum_classes:
            return None  # a model default would need constructing; the server applies it anyway
        if not default_fits(value, self._effective(target), self.api.schemas):
            self._warn(schema.pointer, "default does not match the schema's type; not used")
            return None
        try:
            literal = py_literal(value)
        except ValueError:
            return None
        head = annotation.split(" | ")[0]
        if head in self.enum_classes:
            # An enum-typed field's default is a member, so that it type-checks as the field.
            return f"{head}({literal})"
        if isinstance(value, list) and value:
            return self._list_default(value, head, annotation)
        return literal

    def _list_default(self, value: list[JsonValue], head: str, annotation: str) -> str | None:
        """A non-empty list default; items of an enum class are spelled as its members."""
        item = head.removeprefix("list[").removesuffix("]")
        if head.startswith("list[") and item in self.enum_classes:
            return "[" + ", ".join(f"{item}({py_literal(v)})" for v in value) + "]"
        if set(_IDENTIFIERS.findall(annotation)) & self.class_names:
            return None  # items of a class would need constructing; the server applies it anyway
        return py_literal(value)

    def _effective(self, schema: Schema) -> Schema:
        """Through `$ref`s and single-member `allOf` wrappers to the schema that has the type."""
        for _ in range(16):
            if schema.ref is not None and schema.ref in self.api.schemas:
                schema = self.api.schemas[schema.ref]
            elif len(schema.all_of) == 1 and not schema.types and not schema.properties:
                schema = schema.all_of[0]
            else:
                break
        return schema

    # --- allOf merging -----------------------------------------------------------------------

    def _merge(self, schema: Schema, seen: set[str]) -> _Merged:
        by_name: dict[str, Property] = {}
        additional: Schema | bool | None = schema.additional_properties
        description = schema.description
        required_names = list(schema.required_extra)
        for part in schema.all_of:
            target = part
            if part.ref is not None:
                if part.ref in seen or part.ref not in self.api.schemas:
                    continue
                target = self.api.schemas[part.ref]
                sub = self._merge(target, seen | {part.ref})
            else:
                sub = self._merge(target, seen)
            required_names.extend(sub.required_extra)
            for prop in sub.properties:
                previous = by_name.get(prop.name)
                if previous is not None and previous.required and not prop.required:
                    prop = Property(prop.name, prop.py_name, prop.schema, True)
                by_name[prop.name] = prop
            if additional is None and isinstance(sub.additional, Schema):
                additional = sub.additional
            description = description or sub.description
        for prop in schema.properties:
            previous = by_name.get(prop.name)
            if previous is not None and previous.required and not prop.required:
                prop = Property(prop.name, prop.py_name, prop.schema, True)
            by_name[prop.name] = prop
        # A name required in one part and defined in another is a required field.
        unplaced: list[str] = []
        for name in dict.fromkeys(required_names):
            found = by_name.get(name)
            if found is None:
                unplaced.append(name)
            elif not found.required:
                by_name[name] = Property(found.name, found.py_name, found.schema, True)
        return _Merged(list(by_name.values()), additional, description, tuple(unplaced))

    # --- type expressions --------------------------------------------------------------------

    def _parts(
        self,
        schema: Schema,
        hint: str,
        variant: Variant,
        refs: set[str],
        shadow: frozenset[str],
        constraints: bool,
    ) -> list[str]:
        nullable = schema.nullable
        if schema.ref is not None:
            parts = self._ref_parts(schema.ref, schema.pointer, variant, refs, shadow, constraints)
            return [*parts, "None"] if nullable else parts
        if schema.has_const:
            return const_parts(schema.const) + (["None"] if nullable else [])
        if schema.enum is not None:
            return self._enum_parts(schema, hint, refs, shadow)
        if schema.one_of or schema.any_of:
            members = schema.one_of or schema.any_of
            if schema.properties:
                name = self._inline_model(schema, hint, variant)
                refs.add(name)
                return [name, "None"] if nullable else [name]
            member_parts = [
                self._parts(
                    member,
                    member.title or f"{hint}Variant{index + 1}",
                    variant,
                    refs,
                    shadow,
                    constraints,
                )
                for index, member in enumerate(members)
            ]
            parts = [part for found in member_parts for part in found]
            tagged = self._unions.tagged_union(schema, members, member_parts)
            if tagged is not None:
                return [tagged, "None"] if nullable or "None" in parts else [tagged]
            return [*parts, "None"] if nullable else parts
        if schema.all_of:
            nullable = nullable or accepts_null(schema, self.api.schemas)
            substantive = [p for p in schema.all_of if not annotation_only(p)]
            if len(substantive) == 1 and not _constrains_beside_all_of(schema):
                # `allOf: [$ref, {description}]` only annotates the reference: use its type
                # (and keep its nullability) rather than minting a merged copy of the class.
                parts = self._parts(substantive[0], hint, variant, refs, shadow, constraints)
                return [*parts, "None"] if nullable else parts
            merged = self._merge(schema, set())
            if merged.properties:
                name = self._inline_model(schema, hint, variant)
                refs.add(name)
                return [name, "None"] if nullable else [name]
            non_trivial = [p for p in schema.all_of if p.ref or p.types or p.all_of]
            if len(non_trivial) == 1:
                parts = self._parts(non_trivial[0], hint, variant, refs, shadow, constraints)
                return [*parts, "None"] if nullable else parts
        if schema.properties:
            name = self._inline_model(schema, hint, variant)
            refs.add(name)
            parts = [name]
            if schema.items is not None and (
                not schema.non_null_types or "array" in schema.non_null_types
            ):
                # `properties` apply to objects only and `items` to arrays only: an untyped
                # schema with both (a common slip) takes either shape, and servers send arrays.
                parts.append(
                    self._primitive(schema, "array", hint, variant, refs, shadow, constraints)
                )
            return [*parts, "None"] if nullable else parts
        types = schema.non_null_types
        if not types:
            return ["None"] if schema.types == ("null",) else [ANY]
        parts = [
            self._primitive(schema, t, hint, variant, refs, shadow, constraints) for t in types
        ]
        return [*parts, "None"] if nullable else parts

    def _ref_parts(
        self,
        key: str,
        pointer: str,
        variant: Variant,
        refs: set[str],
        shadow: frozenset[str],
        constraints: bool,
    ) -> list[str]:
        if key not in self.api.schemas:
            self._warn(pointer, f"reference to unknown schema {key!r}; typed as Any")
            return [ANY]
        class_name = self.named_class(key, variant)
        if class_name is not None:
            refs.add(class_name)
            # A named schema that is itself nullable (`nullable: true` beside its properties)
            # makes every use of it nullable.
            target = self.api.schemas[key]
            typed = class_name
            if class_name not in self.enum_classes:
                typed = self._unions.subtype_union(key, class_name, variant, refs) or class_name
            if accepts_null(target, self.api.schemas):
                return [typed, "None"]
            return [typed]
        if key in self._expanding:
            self._warn(pointer, f"schema {key!r} refers to itself without an object; Any")
            return [ANY]
        self._expanding.add(key)
        try:
            target = self.api.schemas[key]
            hint = self._safe_schema_names[key]
            return self._parts(target, hint, variant, refs, shadow, constraints)
        finally:
            self._expanding.discard(key)

    def _enum_parts(
        self, schema: Schema, hint: str, refs: set[str], shadow: frozenset[str]
    ) -> list[str]:
        values = [v for v in schema.enum or () if v is not None]
        nullable = schema.nullable or (schema.enum is not None and None in schema.enum)
        tail = ["None"] if nullable else []
        base = enum_base(schema)
        if base is None or not values:
            loose = [builtin_name("bool", shadow)] if values and all_bool(values) else [ANY]
            return loose + tail
        scalar = "str" if base == "OpenStrEnum" else "int"
        literal = "_t.Literal[" + ", ".join(py_literal(v) for v in values) + "]"
        return [literal, builtin_name(scalar, shadow), *tail]

    def declared(self, schema: Schema, name: str) -> Property | None:
        """The property `name` of `schema`, its `allOf` parts merged."""
        return next((p for p in self._merge(schema, set()).properties if p.name == name), None)

    def _primitive(
        self,
        schema: Schema,
        json_type: str,
        hint: str,
        variant: Variant,
        refs: set[str],
        shadow: frozenset[str],
        constraints: bool,
    ) -> str:
        if json_type == "string":
            if schema.format in STRING_FORMATS:
                base = STRING_FORMATS[schema.format]
                return builtin_name(base, shadow) if base == "bytes" else base
            base = builtin_name("str", shadow)
            return (
                self._constrained(base, string_constraints(schema), schema) if constraints else base
            )
        if json_type in ("integer", "number"):
            base = builtin_name("int" if json_type == "integer" else "float", shadow)
            return (
                self._constrained(base, number_constraints(schema), schema) if constraints else base
            )
        if json_type == "boolean":
            return builtin_name("bool", shadow)
        if json_type == "array":
            item = self.type_of(schema.items, f"{hint}Item", variant, refs, shadow)
            base = f"{builtin_name('list', shadow)}[{item}]"
            bounds = {
                k: v
                for k, v in (("min_length", schema.min_items), ("max_length", schema.max_items))
                if v is not None
            }
            return self._constrained(base, bounds, schema) if constraints else base
        if json_type == "object":
            value = ANY
            if isinstance(schema.additional_properties, Schema):
                value = self.type_of(
                    schema.additional_properties, f"{hint}Value", variant, refs, shadow
                )
            return f"{builtin_name('dict', shadow)}[{builtin_name('str', shadow)}, {value}]"
        return ANY

    def _constrained(self, base: str, bounds: Mapping[str, object], schema: Schema) -> str:
        if not bounds:
            return base
        pattern = bounds.get("pattern")
        if isinstance(pattern, str) and not pattern_compiles(pattern):
            self._warn(schema.pointer, f"pattern {pattern!r} is not a Python regex; not checked")
            bounds = {k: v for k, v in bounds.items() if k != "pattern"}
            if not bounds:
                return base
        args = ", ".join(f"{k}={py_literal(v)}" for k, v in bounds.items())
        return f"_t.Annotated[{base}, _pyd.Field({args})]"


def _annotated_description(schema: Schema) -> str | None:
    """The description an annotation-only `allOf` part gives (`[$ref, {description}]`)."""
    return next(
        (p.description for p in schema.all_of if p.description and annotation_only(p)), None
    )


def _constrains_beside_all_of(schema: Schema) -> bool:
    """Whether `schema` says more about an object than its `allOf` parts do."""
    return bool(
        schema.properties
        or schema.required_extra
        or schema.additional_properties is not None
        or schema.pattern_properties
    )


def _enum_def(name: str, schema: Schema, doc: str) -> EnumDef:
    base = enum_base(schema)
    assert base is not None
    members: list[tuple[str, str]] = []
    taken: set[str] = set()
    seen_values: set[object] = set()
    for value in schema.enum or ():
        if value is None or value in seen_values:
            continue
        seen_values.add(value)
        raw = value if isinstance(value, str) else f"VALUE_{value}".replace("-", "MINUS_")
        member = upper_snake(raw, fallback="VALUE")
        if member.startswith("_") or member in {"MRO"}:
            member = f"VALUE{member}"
        members.append((unique(member, taken), py_literal(value)))
    return EnumDef(name=name, doc=doc, base=base, members=members, pointer=schema.pointer)


def _is_file_media(encoding: Encoding) -> bool:
    """A part whose encoding names a non-text media type is sent as a file."""
    kinds = [k.split(";")[0].strip().lower() for k in (encoding.content_type or "").split(",")]
    return any(
        k and not k.startswith("text/") and k != "application/json" and not k.endswith("+json")
        for k in kinds
    )
