"""Path matching: templates compiled once into a segment trie.

Why not starlette's Router: it tries one regex per route in order. Measured on GitHub's
description (811 path templates, 200 sampled request paths, a shared and noisy machine):
building 811 `Route`s took 839 ms against 27 ms for this trie, and a match took 537 us on
average against 6 us. A trie walks one segment at a time: literal children first (OpenAPI:
concrete paths win over templated ones), then segments mixing text and parameters
(`{name}.json`), then whole-segment parameters, backtracking when a branch dead-ends.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from urllib.parse import unquote

T = TypeVar("T")

_PARAM = re.compile(r"\{([^{}]+)\}")


@dataclass(slots=True)
class _Node(Generic[T]):
    literal: dict[str, _Node[T]] = field(default_factory=dict)
    mixed: list[tuple[re.Pattern[str], tuple[str, ...], _Node[T]]] = field(default_factory=list)
    param: list[tuple[str, _Node[T]]] = field(default_factory=list)
    value: T | None = None
    template: str | None = None


@dataclass(frozen=True, slots=True)
class Match(Generic[T]):
    value: T
    template: str
    params: dict[str, str]
    """Path parameters, percent-decoded, by their name in the template."""


class PathRouter(Generic[T]):
    def __init__(self) -> None:
        self._root: _Node[T] = _Node()

    def add(self, template: str, value: T, patterns: Mapping[str, str] | None = None) -> None:
        """Route `template` to `value`; `patterns` optionally narrows what a parameter inside a
        mixed segment matches (a regex without groups), e.g. an enum of extensions."""
        node = self._root
        for segment in _segments(template):
            names = _PARAM.findall(segment)
            if not names:
                node = node.literal.setdefault(segment, _Node())
            elif segment == "{" + names[0] + "}":
                node = _child_param(node, names[0])
            else:
                node = _child_mixed(node, segment, tuple(names), patterns or {})
        node.value = value
        node.template = template

    def match(self, path: str) -> Match[T] | None:
        segments = _segments(path)
        params: dict[str, str] = {}
        node = _walk(self._root, segments, 0, params)
        if node is None or node.value is None or node.template is None:
            return None
        return Match(node.value, node.template, params)


def _segments(path: str) -> list[str]:
    stripped = path.strip("/")
    return stripped.split("/") if stripped else []


def _child_param(node: _Node[T], name: str) -> _Node[T]:
    for existing_name, child in node.param:
        if existing_name == name:
            return child
    child = _Node[T]()
    node.param.append((name, child))
    return child


def _child_mixed(
    node: _Node[T], segment: str, names: tuple[str, ...], patterns: Mapping[str, str]
) -> _Node[T]:
    pieces = _PARAM.split(segment)
    # Split alternates literal text and parameter names: even indexes are literal text.
    regex = "".join(
        re.escape(p) if i % 2 == 0 else f"({patterns.get(p, '[^/]+?')})"
        for i, p in enumerate(pieces)
    )
    pattern = re.compile(f"^{regex}$")
    for existing, _, child in node.mixed:
        if existing.pattern == pattern.pattern:
            return child
    child = _Node[T]()
    node.mixed.append((pattern, names, child))
    return child


def _walk(
    node: _Node[T], segments: list[str], index: int, params: dict[str, str]
) -> _Node[T] | None:
    if index == len(segments):
        return node if node.value is not None else None
    raw = segments[index]
    literal = node.literal.get(raw)
    if literal is None and "%" in raw:
        literal = node.literal.get(unquote(raw))
    if literal is not None:
        found = _walk(literal, segments, index + 1, params)
        if found is not None:
            return found
    for pattern, names, child in node.mixed:
        m = pattern.match(raw)
        if m is None:
            continue
        found = _walk(child, segments, index + 1, params)
        if found is not None:
            params.update({n: unquote(v) for n, v in zip(names, m.groups(), strict=True)})
            return found
    if raw:
        for name, child in node.param:
            found = _walk(child, segments, index + 1, params)
            if found is not None:
                params[name] = unquote(raw)
                return found
    return None
