"""The `Link` header (RFC 8288).

Written by hand: the common helpers (requests' `parse_header_links`, httpx's `Response.links`)
split on commas and mis-read quoted parameters that contain `,` or `;`, and neither is a
dependency of the runtime. This follows the RFC's grammar: `<uri>` then `; name=token|"quoted"`.
"""

from __future__ import annotations

__all__ = ["next_link", "parse_link_header"]


def _skip_spaces(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos


def _read_quoted(text: str, pos: int) -> tuple[str, int]:
    """A quoted-string starting at `text[pos] == '"'`; returns (value, position after it)."""
    out: list[str] = []
    pos += 1
    while pos < len(text):
        char = text[pos]
        if char == "\\" and pos + 1 < len(text):
            out.append(text[pos + 1])
            pos += 2
        elif char == '"':
            return "".join(out), pos + 1
        else:
            out.append(char)
            pos += 1
    raise ValueError("unterminated quoted string")


def _read_params(text: str, pos: int) -> tuple[dict[str, str], int]:
    params: dict[str, str] = {}
    while True:
        pos = _skip_spaces(text, pos)
        if pos >= len(text) or text[pos] != ";":
            return params, pos
        pos = _skip_spaces(text, pos + 1)
        start = pos
        while pos < len(text) and text[pos] not in "=;, \t":
            pos += 1
        name = text[start:pos].lower()
        pos = _skip_spaces(text, pos)
        value = ""
        if pos < len(text) and text[pos] == "=":
            pos = _skip_spaces(text, pos + 1)
            if pos < len(text) and text[pos] == '"':
                value, pos = _read_quoted(text, pos)
            else:
                start = pos
                while pos < len(text) and text[pos] not in ";, \t":
                    pos += 1
                value = text[start:pos]
        if name and name not in params:  # RFC 8288 3.3: later occurrences are ignored
            params[name] = value


def parse_link_header(value: str) -> list[tuple[str, dict[str, str]]]:
    """Every link of a `Link` header value as (target as written, parameters with lower-case names).

    Raises ValueError on a malformed value.
    """
    text = value
    links: list[tuple[str, dict[str, str]]] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos] in ", \t":
            pos += 1
        if pos >= len(text):
            return links
        if text[pos] != "<":
            raise ValueError(f"expected '<' at position {pos}")
        end = text.find(">", pos + 1)
        if end < 0:
            raise ValueError("unterminated '<' target")
        target = text[pos + 1 : end].strip()
        params, pos = _read_params(text, end + 1)
        links.append((target, params))
        pos = _skip_spaces(text, pos)
        if pos < len(text) and text[pos] != ",":
            raise ValueError(f"expected ',' at position {pos}")


def next_link(value: str) -> str | None:
    for target, params in parse_link_header(value):
        if "anchor" in params:
            continue  # the link is about another resource, not the next page of this one
        if "next" in params.get("rel", "").lower().split():
            return target
    return None
