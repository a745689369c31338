"""Reading and parsing description documents: files, URLs, JSON and YAML.

YAML is parsed with PyYAML's C loader, but with YAML 1.2-like scalars: only `true`/`false` are
booleans (so a key `on:` or a value `no` stays a string) and timestamps stay strings (a date in
an example is data, not a `datetime`). Mapping keys are then normalised to strings, because
YAML turns response codes like `200:` into integers.
"""

from __future__ import annotations

import datetime
import json
import re
import stat
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import orjson
import yaml

from apiweld.spec._errors import SpecError
from apiweld.spec.ir import Problem

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "ParsedDocument",
    "as_plain_json",
    "fetch_url",
    "parse_document",
    "read_file",
]

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


_PLAIN_SCALARS = (str, int, float, bool, type(None))


def _plain_scalar(value: Any) -> Any:
    """A JSON-compatible stand-in for a non-JSON scalar (dates become ISO text)."""
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _needs_copy(document: Any) -> bool:
    seen: set[int] = set()
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if id(node) in seen:
                continue
            seen.add(id(node))
            for key, value in node.items():
                if not isinstance(key, str):
                    return True
                if isinstance(value, dict | list):
                    stack.append(value)
                elif not isinstance(value, _PLAIN_SCALARS):
                    return True
        elif isinstance(node, list):
            if id(node) in seen:
                continue
            seen.add(id(node))
            for value in node:
                if isinstance(value, dict | list):
                    stack.append(value)
                elif not isinstance(value, _PLAIN_SCALARS):
                    return True
    return False


def as_plain_json(document: Mapping[str, Any]) -> dict[str, Any]:
    """The caller's mapping as plain JSON values (string keys, lists, ISO dates), never mutated.

    A mapping that is already plain (the usual case) is returned as it is, without a copy; one
    made by `yaml.safe_load` (integer status codes, dates) is copied. Shared and even cyclic
    nodes stay shared and cyclic in the copy, so nothing is walked twice.
    """
    if isinstance(document, dict) and not _needs_copy(document):
        return document
    copies: dict[int, Any] = {}
    pending: list[tuple[Any, Any]] = []

    def convert(value: Any) -> Any:
        if isinstance(value, Mapping | list | tuple | set | frozenset):
            existing = copies.get(id(value))
            if existing is not None:
                return existing
            new: Any = {} if isinstance(value, Mapping) else []
            copies[id(value)] = new
            pending.append((value, new))
            return new
        return value if isinstance(value, _PLAIN_SCALARS) else _plain_scalar(value)

    root = convert(document)
    while pending:
        original, new = pending.pop()
        if isinstance(original, Mapping):
            for key, value in original.items():
                new.setdefault(key if isinstance(key, str) else _key_to_str(key), convert(value))
        else:
            new.extend(convert(value) for value in original)
    plain: dict[str, Any] = root
    return plain


def _lenient_json(data: bytes) -> Any:
    """What the standard library makes of JSON orjson refuses (`NaN`, lone surrogates), or None.

    Real descriptions contain such near-JSON; reading it beats refusing the whole file.
    """
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def _looks_like_json(data: bytes) -> bool:
    return data.lstrip()[:1] in (b"{", b"[")


class ParsedDocument(NamedTuple):
    value: Any
    shares_nodes: bool
    """Whether one node may sit at several places (YAML aliases): consumers must memoise."""


def parse_document(data: bytes, name: str) -> ParsedDocument:
    """Parse JSON or YAML (chosen by extension, else by content) into plain Python values."""
    # A UTF-8 byte order mark is common in files saved by Windows tools; both parsers reject it.
    data = data.removeprefix(b"\xef\xbb\xbf")
    lowered = name.lower().split("?", 1)[0]
    is_yaml_name = lowered.endswith((".yaml", ".yml"))
    if not is_yaml_name and (lowered.endswith(".json") or _looks_like_json(data)):
        try:
            return ParsedDocument(orjson.loads(data), shares_nodes=False)
        except orjson.JSONDecodeError as exc:
            lenient = _lenient_json(data)
            if lenient is not None:
                return ParsedDocument(lenient, shares_nodes=False)
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
    # YAML anchors and aliases make one node appear in several places.
    return ParsedDocument(document, shares_nodes=True)


def _parse_error(name: str, message: str) -> SpecError:
    return SpecError(Problem("error", "", message, name), source=name)


def read_file(path: Path) -> bytes:
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError
        # A FIFO or device would block or never end; descriptions are regular files.
        if not stat.S_ISREG(info.st_mode):
            raise _parse_error(str(path), "not a regular file")
        if info.st_size > MAX_DOCUMENT_BYTES:
            raise _parse_error(str(path), f"file is larger than {MAX_DOCUMENT_BYTES} bytes")
        return path.read_bytes()
    except FileNotFoundError:
        raise _parse_error(str(path), "no such file") from None
    except IsADirectoryError:
        raise _parse_error(str(path), "is a directory, not a description file") from None
    except OSError as exc:
        raise _parse_error(str(path), f"cannot read: {exc.strerror or exc}") from None
    except ValueError:  # e.g. a NUL byte in the path
        raise _parse_error(str(path), "not a valid file path") from None


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to http(s): the default handler would also go to ftp."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        if not newurl.lower().startswith(("http://", "https://")):
            raise urllib.error.HTTPError(
                newurl, code, "redirect to a non-HTTP URL refused", headers, fp
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


# Only HTTP(S) handlers: no file:, ftp: or data: URLs, whatever a description or server says.
_OPENER = urllib.request.OpenerDirector()
for _handler in (
    urllib.request.ProxyHandler(),
    urllib.request.HTTPHandler(),
    urllib.request.HTTPSHandler(),
    urllib.request.HTTPDefaultErrorHandler(),
    urllib.request.HTTPErrorProcessor(),
    _HttpOnlyRedirects(),
):
    _OPENER.add_handler(_handler)


def fetch_url(url: str) -> bytes:
    """GET a description over HTTP(S); only called when the user allowed network access."""
    if not url.lower().startswith(("http://", "https://")):
        raise _parse_error(url, "only http and https URLs can be fetched")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, headers={"Accept": "application/json, application/yaml;q=0.9, */*;q=0.5"}
    )
    try:
        with _OPENER.open(request, timeout=URL_TIMEOUT_SECONDS) as response:
            data: bytes = response.read(MAX_DOCUMENT_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise _parse_error(url, f"HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise _parse_error(url, f"cannot fetch: {reason}") from None
    if len(data) > MAX_DOCUMENT_BYTES:
        raise _parse_error(url, f"response is larger than {MAX_DOCUMENT_BYTES} bytes")
    return data
