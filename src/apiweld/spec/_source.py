"""Reading and parsing description documents: files, URLs, JSON and YAML.

YAML is parsed with PyYAML's C loader, but with YAML 1.2-like scalars: only `true`/`false` are
booleans (so a key `on:` or a value `no` stays a string) and timestamps stay strings (a date in
an example is data, not a `datetime`). Mapping keys are then normalised to strings, because
YAML turns response codes like `200:` into integers.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import orjson
import yaml

from apiweld.spec._errors import SpecError
from apiweld.spec.ir import Problem

__all__ = ["MAX_DOCUMENT_BYTES", "fetch_url", "parse_document", "read_file"]

MAX_DOCUMENT_BYTES = 200 * 1024 * 1024
URL_TIMEOUT_SECONDS = 30.0

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _DescriptionLoader(_BaseLoader):  # type: ignore[misc]
    """Safe loader with YAML 1.2 booleans and no timestamp conversion."""


_DescriptionLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
_DescriptionLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)
# Explicit `!!timestamp` tags are also kept as text: the IR holds JSON values only.
_DescriptionLoader.add_constructor("tag:yaml.org,2002:timestamp", _BaseLoader.construct_yaml_str)


def _key_to_str(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


def _normalise_keys(document: Any) -> None:
    """Make every mapping key a string, in place; iterative and alias-safe (YAML shares nodes)."""
    seen: set[int] = set()
    stack = [document]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            if not all(isinstance(k, str) for k in node):
                items = list(node.items())
                node.clear()
                for key, value in items:
                    node.setdefault(_key_to_str(key), value)
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, dict | list))


def _looks_like_json(data: bytes) -> bool:
    return data.lstrip()[:1] in (b"{", b"[")


def parse_document(data: bytes, name: str) -> Any:
    """Parse JSON or YAML (chosen by extension, else by content) into plain Python values."""
    # A UTF-8 byte order mark is common in files saved by Windows tools; both parsers reject it.
    data = data.removeprefix(b"\xef\xbb\xbf")
    lowered = name.lower().split("?", 1)[0]
    is_yaml_name = lowered.endswith((".yaml", ".yml"))
    if not is_yaml_name and (lowered.endswith(".json") or _looks_like_json(data)):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            if lowered.endswith(".json"):
                raise _parse_error(
                    name, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
                ) from None
            # Not valid JSON, but YAML (a superset) may still read it.
    try:
        document = yaml.load(data, Loader=_DescriptionLoader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise _parse_error(name, f"invalid YAML{where}: {exc.problem}") from None
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        raise _parse_error(name, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise _parse_error(name, "YAML nested too deeply to read") from None
    _normalise_keys(document)
    return document


def _parse_error(name: str, message: str) -> SpecError:
    return SpecError(Problem("error", "", message, name), source=name)


def read_file(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise _parse_error(str(path), f"file is larger than {MAX_DOCUMENT_BYTES} bytes")
        return path.read_bytes()
    except FileNotFoundError:
        raise _parse_error(str(path), "no such file") from None
    except IsADirectoryError:
        raise _parse_error(str(path), "is a directory, not a description file") from None
    except OSError as exc:
        raise _parse_error(str(path), f"cannot read: {exc.strerror or exc}") from None


def fetch_url(url: str) -> bytes:
    """GET a description over HTTP(S); only called when the user allowed network access."""
    if not url.lower().startswith(("http://", "https://")):
        raise _parse_error(url, "only http and https URLs can be fetched")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, headers={"Accept": "application/json, application/yaml;q=0.9, */*;q=0.5"}
    )
    try:
        with urllib.request.urlopen(request, timeout=URL_TIMEOUT_SECONDS) as response:  # noqa: S310
            data: bytes = response.read(MAX_DOCUMENT_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise _parse_error(url, f"HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise _parse_error(url, f"cannot fetch: {reason}") from None
    if len(data) > MAX_DOCUMENT_BYTES:
        raise _parse_error(url, f"response is larger than {MAX_DOCUMENT_BYTES} bytes")
    return data
