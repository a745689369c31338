"""Identifiers and escaping for everything from the description that lands in generated code.

The spec layer decides the Python names once; these helpers are the generator's second line of
defence: whatever reaches a source file is re-checked here (a valid identifier, not a keyword,
not a name the generated code itself relies on) and every string is escaped for the exact place
it lands in (a docstring, a literal, a comment).
"""

from __future__ import annotations

import functools
import keyword
import re
import sys
import unicodedata
from collections.abc import Iterable

# Re-exported for the generated suite, which reaches codegen's rules through this module.
from ._responses import returns_nothing as returns_nothing

_NON_IDENT = re.compile(r"[^0-9a-zA-Z_]+")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_UNDERSCORES = re.compile(r"_+")

# Names the generated modules bind themselves (module aliases and base classes); a name from the
# description must never rebind one of them.
GENERATED_BINDINGS = frozenset(
    {
        "builtins",
        "annotations",
        "TYPE_CHECKING",
        "Model",
        "OpenStrEnum",
        "OpenIntEnum",
        "RequestOptions",
        "NOT_GIVEN",
        "NotGiven",
        "OperationSpec",
        "ParamSpec",
        "PaginationSpec",
        "SyncPager",
        "AsyncPager",
        "APIResponse",
        "Client",
        "AsyncClient",
    }
)

# Builtins the generated annotations use; a field or method with one of these names would shadow
# it inside the class body, so annotations there spell them `builtins.<name>`.
ANNOTATION_BUILTINS = frozenset(
    {"str", "int", "float", "bool", "bytes", "list", "dict", "object", "None"}
)


# Names ruff rejects anywhere (E741/E742/E743: easily confused with 1 and 0); generated code
# must pass ruff, so they get the same trailing underscore as a keyword.
AMBIGUOUS_NAMES = frozenset({"l", "I", "O"})


def _ascii_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    spaced = _CAMEL_BOUNDARY.sub("_", folded)
    return [w for w in _NON_IDENT.sub("_", spaced).split("_") if w]


@functools.lru_cache(maxsize=65536)
def snake_case(text: str, fallback: str = "value") -> str:
    words = _ascii_words(text)
    name = "_".join(w.lower() for w in words) or fallback
    return safe_identifier(name, fallback)


@functools.lru_cache(maxsize=65536)
def pascal_case(text: str, fallback: str = "Model") -> str:
    words = _ascii_words(text)
    name = "".join(w[:1].upper() + w[1:] for w in words) or fallback
    return safe_identifier(name, fallback)


def upper_snake(text: str, fallback: str = "VALUE") -> str:
    words = _ascii_words(text)
    name = "_".join(w.upper() for w in words) or fallback
    return safe_identifier(name, fallback)


@functools.lru_cache(maxsize=65536)
def safe_identifier(
    name: str, fallback: str = "value", reserved: frozenset[str] = frozenset()
) -> str:
    """`name` if it is a usable public identifier, else the closest one that is."""
    cleaned = _UNDERSCORES.sub("_", _NON_IDENT.sub("_", name)).strip("_")
    if not cleaned:
        cleaned = fallback
    if cleaned[0].isdigit():
        cleaned = f"{fallback}_{cleaned}"
    if not cleaned.isascii() or not cleaned.isidentifier():
        cleaned = fallback
    taboo = cleaned in reserved or cleaned in GENERATED_BINDINGS or cleaned in AMBIGUOUS_NAMES
    if keyword.iskeyword(cleaned) or keyword.issoftkeyword(cleaned) or taboo:
        cleaned = f"{cleaned}_"
    return cleaned


def unique(name: str, taken: set[str]) -> str:
    """`name`, or `name_2`, `name_3`, ... whichever is free; records the result in `taken`."""
    candidate = name
    counter = 2
    while candidate in taken:
        candidate = f"{name}_{counter}"
        counter += 1
    taken.add(candidate)
    return candidate


MAX_FILE_STEM = 60
"""Module and package names are cut to this length: file systems limit a name to 255 bytes
and a path to a few thousand, and a description can name things at any length."""


def file_stem(name: str) -> str:
    """`name` cut to a length every file system accepts (still a valid identifier)."""
    return name if len(name) <= MAX_FILE_STEM else name[:MAX_FILE_STEM].rstrip("_")


# Top-level modules a generated package must not be named after: it would shadow them for
# every import in the process (the package's folder usually comes first on sys.path).
# A fixed list, not what happens to be installed, so the output does not depend on the machine.
SHADOWED_PACKAGES = frozenset(
    {
        *sys.stdlib_module_names,
        "apiweld",
        "pydantic",
        "pydantic_core",
        "typing_extensions",
        "annotated_types",
        "httpcore",
        "h11",
        "urllib3",
        "aiohttp",
        "orjson",
        "anyio",
        "idna",
        "certifi",
        "multidict",
        "yarl",
        "httpx",
        "redis",
        "tests",
        "test",
    }
)


def package_name(title: str) -> str:
    """A package name for the API: its title in snake case, never a module it would shadow."""
    name = file_stem(snake_case(title, fallback="api_client"))
    return f"{name}_client" if name in SHADOWED_PACKAGES else name


def client_class_name(title: str) -> str:
    name = pascal_case(title, fallback="ApiClient")
    if name in {"Client", "AsyncClient"}:
        name = f"{name}Api"
    return name


def env_prefix(package: str) -> str:
    return upper_snake(package, fallback="API")


# --- escaping -------------------------------------------------------------------------------


def docstring_body(text: str | None) -> str:
    """Text made safe inside a triple-quoted (non-raw) docstring, with no trailing quote.

    Backslashes are doubled (so `\\N{...}`, `\\u` or a line continuation stays text), triple
    quotes that could close the string are escaped (a final quote is escaped by
    `finish_docstring` where the docstring ends), and control characters other than newlines
    and tabs (which would make the file unreadable or hide code from a reviewer) are dropped.
    """
    if not text:
        return ""
    text = text.expandtabs(4)
    if text.replace("\n", "").isprintable():  # the common case, checked in C
        cleaned = text
    else:
        cleaned = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch)[0] != "C")
    cleaned = cleaned.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    lines = [line.rstrip() for line in cleaned.strip().splitlines()]
    return "\n".join(lines).strip()


def finish_docstring(body: str) -> str:
    """`body` ready to sit right before the closing quotes: a final `"` would merge with them."""
    if not body.endswith('"'):
        return body
    backslashes = len(body[:-1]) - len(body[:-1].rstrip("\\"))
    already_escaped = backslashes % 2 == 1
    return body if already_escaped else body[:-1] + '\\"'


def comment_text(text: str | None, limit: int = 90) -> str:
    """One line of text safe after `#`: no line breaks of any kind, no control characters."""
    if not text:
        return ""
    flat = " ".join(text.split())
    flat = "".join(ch for ch in flat if unicodedata.category(ch)[0] != "C")
    if len(flat) > limit:
        flat = flat[: limit - 3].rstrip() + "..."
    return flat


def _string_literal(text: str) -> str:
    """`repr(text)`, double-quoted where that needs no more escapes (as ruff format writes it)."""
    literal = repr(text)
    if literal.startswith("'") and '"' not in text:
        # Here the text holds no quote of either kind: only the delimiters change.
        return '"' + literal[1:-1] + '"'
    return literal


def tuple_literal(items: Iterable[str]) -> str:
    """A tuple display of already-rendered items, spelled as ruff format spells it."""
    rendered = list(items)
    return "(" + ", ".join(rendered) + ("," if len(rendered) == 1 else "") + ")"


def py_literal(value: object) -> str:
    """A Python literal for a JSON value; `repr` of str/int/float/bool/None/list/dict is exact."""
    if isinstance(value, str):
        return _string_literal(value)
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("not a finite number")
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{py_literal(str(k))}: {py_literal(v)}" for k, v in value.items())
        return "{" + items + "}"
    raise ValueError(f"not a JSON value: {type(value).__name__}")
