"""Templates, the file writer that never leaves its folder, and the ruff pass.

Templates only render: every value reaching them was escaped for its place by the parser step
(`_types`, `_operations`), and the few filters here (`pyrepr`, `comment`, `tomlstr`) are the
escaping functions themselves.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jinja2

from ._names import comment_text, finish_docstring, py_literal


class OutputPathError(Exception):
    """A generated path would land outside the output folder."""


def environment() -> jinja2.Environment:
    # Autoescape is for HTML; these templates emit Python, TOML and Markdown, and every value is
    # escaped for its target by the parser step and the filters below.
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("apiweld.codegen", "templates"),
        autoescape=False,  # noqa: S701
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["pyrepr"] = py_literal
    env.filters["doc"] = finish_docstring
    env.filters["comment"] = comment_text
    env.filters["tomlstr"] = toml_string
    env.globals["from_import"] = from_import
    return env


_LINE_LENGTH = 100
_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple[object, ...]:
    """isort's (ruff's) order: case-insensitive, numbers by value (`Item2` before `Item10`)."""
    return tuple(int(p) if p.isdigit() else p.lower() for p in _DIGITS.split(name))


def member_key(name: str) -> tuple[object, ...]:
    """Names inside one `from` import: CONSTANTS, then Classes, then the rest (ruff's default)."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return (kind, *natural_key(name))


def from_import(module: str, names: Iterable[str], indent: int = 0, alias: bool = False) -> str:
    """`from module import a, b` as ruff's isort writes it (wrapped past the line length).

    Rendering imports exactly as ruff would leaves `ruff check --fix` nothing to rewrite, which
    on a large API is most of its time.
    """
    pad = " " * indent
    members = [f"{n} as {n}" if alias else n for n in sorted(set(names), key=member_key)]
    line = f"{pad}from {module} import {', '.join(members)}"
    if len(line) <= _LINE_LENGTH:
        return line
    body = "".join(f"{pad}    {m},\n" for m in members)
    return f"{pad}from {module} import (\n{body}{pad})"


def toml_string(value: str) -> str:
    # A JSON string is a valid TOML basic string once control characters are escaped, which
    # json.dumps does (\\uXXXX); TOML accepts the same escapes.
    return json.dumps(value, ensure_ascii=True)


def markdown_text(value: str | None) -> str:
    """One line of Markdown text that cannot open HTML, code, links or table cells."""
    if not value:
        return ""
    flat = comment_text(value, limit=200)
    for char in "\\`*_[]<>|#":
        flat = flat.replace(char, "\\" + char)
    return flat


class Writer:
    """Writes files under `root` only; every path is checked before writing.

    Names reaching here are already sanitised identifiers; the checks are the last line of
    defence: no absolute path, no `..` or empty part, and the folder resolved (symlinks
    followed) must stay inside `root`. Folders are resolved once, not once per file.
    """

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.files: list[Path] = []
        self._checked_dirs: set[Path] = {self.root}

    def path_for(self, relative: str) -> Path:
        candidate = Path(relative)
        parts = candidate.parts
        if not parts or candidate.is_absolute() or any(p in ("", ".", "..") for p in parts):
            raise OutputPathError(f"refusing to write {relative!r}: not a plain relative path")
        target = self.root / candidate
        folder = target.parent
        if folder not in self._checked_dirs:
            folder.mkdir(parents=True, exist_ok=True)
            if not folder.resolve().is_relative_to(self.root):
                raise OutputPathError(
                    f"refusing to write {relative!r}: it resolves outside the output"
                )
            self._checked_dirs.add(folder)
        return target

    def write(self, relative: str, text: str) -> None:
        target = self.path_for(relative)
        # O_NOFOLLOW: a symlink planted in the output folder must not redirect the write.
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        descriptor = os.open(target, flags, 0o644)
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        self.files.append(target)


def ruff_binary() -> list[str]:
    try:
        from ruff import find_ruff_bin  # type: ignore[import-untyped]

        return [os.fsdecode(find_ruff_bin())]
    except (ImportError, FileNotFoundError):
        return [sys.executable, "-m", "ruff"]


def run_ruff(folder: Path, config: Path) -> list[str]:
    """`ruff check --fix` then `ruff format` over `folder`; returns what ruff still reports."""
    ruff = ruff_binary()
    common = ["--config", str(config), "--no-cache", "--no-respect-gitignore", "--quiet"]
    check = subprocess.run(
        [
            *ruff,
            "check",
            "--fix",
            "--exit-zero",
            "--output-format",
            "concise",
            *common,
            str(folder),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    formatted = subprocess.run(
        [*ruff, "format", *common, str(folder)], capture_output=True, text=True, check=False
    )
    problems = [line for line in check.stdout.splitlines() if line.strip()]
    if check.returncode != 0:
        problems.append(f"ruff check failed: {check.stderr.strip()}")
    if formatted.returncode != 0:
        problems.append(f"ruff format failed: {formatted.stderr.strip()}")
    return problems


def render(env: jinja2.Environment, template: str, **context: Any) -> str:
    return env.get_template(template).render(**context)
