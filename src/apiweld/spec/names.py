"""Python names for everything a description names: decided once, here, for every layer.

The rules, in short:
- `to_snake` / `to_pascal` split on case changes, digits-to-letters boundaries and any
  non-alphanumeric character; accented letters are transliterated (NFKD), other non-ASCII letters
  become `u<code point>` so two different unicode names never collapse into one.
- A name that would start with a digit gets a prefix; a keyword gets a trailing `_`; an empty
  result becomes a fallback (`field`, `value`, ...).
- Class names never shadow builtins or names that generated modules import (typing, pydantic,
  datetime, ...); property names never collide with pydantic `BaseModel` attributes.
- `unique_name` resolves collisions with numeric suffixes, in the order the caller presents
  names; callers present them in sorted or document order so the result is deterministic.
"""

from __future__ import annotations

import builtins
import functools
import keyword
import re
import unicodedata
from collections.abc import Callable, Iterable, MutableSet

__all__ = [
    "BASEMODEL_ATTRIBUTES",
    "RESERVED_CLASS_NAMES",
    "RESERVED_PARAMETER_NAMES",
    "assign_py_names",
    "class_name",
    "is_valid_identifier",
    "parameter_name",
    "property_name",
    "split_words",
    "to_pascal",
    "to_snake",
    "unique_name",
    "unique_names",
]

# Names a generated models module imports or relies on; a schema called `List` or `Field` must
# not shadow them.
RESERVED_CLASS_NAMES: frozenset[str] = frozenset(
    {
        *(name for name in dir(builtins) if not name.startswith("_")),
        "Any",
        "Annotated",
        "ClassVar",
        "Dict",
        "List",
        "Literal",
        "Mapping",
        "Optional",
        "Sequence",
        "Set",
        "Tuple",
        "Type",
        "TypeAlias",
        "Union",
        "BaseModel",
        "ConfigDict",
        "Field",
        "RootModel",
        "TypeAdapter",
        "AwareDatetime",
        "SecretStr",
        "AnyUrl",
        "EmailStr",
        "Json",
        "StrictBool",
        "StrictInt",
        "StrictStr",
        "StrictFloat",
        "Base64Bytes",
        "date",
        "datetime",
        "time",
        "timedelta",
        "Decimal",
        "UUID",
        "Enum",
        "IntEnum",
        "StrEnum",
        "NotGiven",
        "NOT_GIVEN",
    }
)

# Attributes and methods of pydantic v2 `BaseModel` (and its deprecated v1 aliases): a field of
# the same name would shadow or break them. Kept as a literal list so names do not change with
# the installed pydantic version.
BASEMODEL_ATTRIBUTES: frozenset[str] = frozenset(
    {
        "construct",
        "copy",
        "dict",
        "fields",
        "from_orm",
        "json",
        "parse_file",
        "parse_obj",
        "parse_raw",
        "schema",
        "schema_json",
        "update_forward_refs",
        "validate",
        "model_computed_fields",
        "model_config",
        "model_construct",
        "model_copy",
        "model_dump",
        "model_dump_json",
        "model_extra",
        "model_fields",
        "model_fields_set",
        "model_json_schema",
        "model_parametrized_name",
        "model_post_init",
        "model_rebuild",
        "model_validate",
        "model_validate_json",
        "model_validate_strings",
        "self",
    }
)

# Keyword arguments a generated method always has, or that would read badly as parameters.
RESERVED_PARAMETER_NAMES: frozenset[str] = frozenset({"self", "cls", "options", "extra_headers"})

_CASE_BOUNDARY = re.compile(
    r"[A-Z]{2,}s(?![a-z])"  # a plural acronym: APIs, IDs
    r"|[A-Z]+v[0-9]+"  # IPv4, IPv6
    r"|[A-Z]+(?=[A-Z][a-z])"  # an acronym before a word: HTTPServer
    r"|[A-Z]?[a-z]+(?:[0-9]+[a-z]*)*"  # a word, with digits inside: list, Pets, k8s, oauth2
    r"|[A-Z]+(?:[0-9]+[a-z]*)*"  # an acronym, with a version: API, V1, P2s, V1beta1
    r"|[0-9]+[a-z]*",  # digits: 2, 2fa
)


def _transliterate(text: str) -> str:
    """ASCII only: accents dropped, other letters spelled `u<code point>`, the rest spaces.

    Written by hand because `unidecode`-style tables are large and their output changes between
    versions; names must stay stable.
    """
    if text.isascii():
        return text
    out: list[str] = []
    for char in unicodedata.normalize("NFKD", text):
        if char.isascii():
            out.append(char)
        elif unicodedata.combining(char):
            continue
        elif char.isalnum():
            out.append(f" u{ord(char)} ")
        else:
            out.append(" ")
    return "".join(out)


@functools.lru_cache(maxsize=65536)
def split_words(text: str) -> tuple[str, ...]:
    """The words of a name: `listPets` -> (list, Pets); `getV1APIs` -> (get, V1, APIs).

    Digits stay with the word they follow (`v1`, `oauth2`, `k8s`), so versions read naturally.
    """
    return tuple(_CASE_BOUNDARY.findall(_transliterate(text)))


def is_valid_identifier(name: str) -> bool:
    return name.isidentifier() and name.isascii() and not keyword.iskeyword(name)


def _fix_start_and_keywords(name: str, digit_prefix: str) -> str:
    if name[:1].isdigit():
        name = f"{digit_prefix}{name}"
    if keyword.iskeyword(name):
        name = f"{name}_"
    return name


@functools.lru_cache(maxsize=65536)
def to_snake(text: str, *, fallback: str = "value", digit_prefix: str = "n") -> str:
    """`listPets` -> `list_pets`; `2fa` -> `n2fa`; `class` -> `class_`; `` -> fallback."""
    words = split_words(text)
    if not words:
        return fallback
    return _fix_start_and_keywords("_".join(w.lower() for w in words), digit_prefix)


@functools.lru_cache(maxsize=65536)
def to_pascal(text: str, *, fallback: str = "Model", digit_prefix: str = "N") -> str:
    """`simple-user` -> `SimpleUser`; acronyms are kept (`HTTPError` -> `HTTPError`)."""
    words = split_words(text)
    if not words:
        return fallback
    name = "".join(w[0].upper() + w[1:] for w in words)
    return _fix_start_and_keywords(name, digit_prefix)


def class_name(text: str) -> str:
    """A schema class name: PascalCase, never shadowing builtins, typing or pydantic names."""
    name = to_pascal(text)
    if name in RESERVED_CLASS_NAMES:
        name = f"{name}Model"
    return name


@functools.lru_cache(maxsize=65536)
def property_name(text: str) -> str:
    """A pydantic field name for a wire name: snake_case, clear of `BaseModel` attributes.

    Names starting with `model_` are pydantic's protected namespace, so they get a trailing `_`
    like the attributes themselves; leading underscores are dropped (pydantic treats them as
    private).
    """
    name = to_snake(text, fallback="field", digit_prefix="field_")
    if name in BASEMODEL_ATTRIBUTES or name.startswith("model_"):
        name = f"{name}_"
    return name


def parameter_name(text: str) -> str:
    """A keyword-argument name for an operation parameter."""
    name = to_snake(text, fallback="param", digit_prefix="param_")
    if name in RESERVED_PARAMETER_NAMES:
        name = f"{name}_"
    return name


def unique_name(base: str, taken: MutableSet[str], *, separator: str = "_") -> str:
    """`base`, else `base_2`, `base_3`, ...: the first free one, which is added to `taken`."""
    name = base
    counter = 2
    while name in taken:
        name = f"{base}{separator}{counter}"
        counter += 1
    taken.add(name)
    return name


def unique_names(bases: Iterable[str], *, separator: str = "_") -> list[str]:
    """Unique names for `bases` in order: the first of equal bases keeps the bare name."""
    taken: set[str] = set()
    return [unique_name(base, taken, separator=separator) for base in bases]


def assign_py_names(
    wire_names: Iterable[str],
    make: Callable[[str], str],
    *,
    bare: Callable[[str], str] = str,
) -> dict[str, str]:
    """Unique Python names for wire names (properties, parameters), by `make`.

    A wire name that is already its own Python name (`id`) keeps it even when another name
    (`_id`) would also become `id`; the rest get suffixes in the order given. `bare` maps a key
    to the name it is compared with, for keys that carry more (e.g. a parameter's location).
    """
    keys = list(wire_names)
    candidates = {key: make(key) for key in keys}
    if bare is str:  # the common case: every key is its own name, each once, so all distinct
        if len(candidates) == len(keys) and all(k == v for k, v in candidates.items()):
            return candidates
    elif all(candidates[key] == bare(key) for key in keys) and len(set(candidates.values())) == len(
        keys
    ):
        return candidates
    taken: set[str] = set()
    result: dict[str, str] = {}
    for key in keys:
        name = candidates[key]
        if name == bare(key) and name not in taken:
            taken.add(name)
            result[key] = name
    for key in keys:
        if key not in result:
            result[key] = unique_name(candidates[key], taken)
    return result
