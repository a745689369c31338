"""OpenAPI parameter serialisation (style, explode, allowReserved, content).

Written by hand because no maintained library implements the OpenAPI 3 rules for all of
`simple`, `label`, `matrix`, `form`, `spaceDelimited`, `pipeDelimited` and `deepObject`; the rules
are small and the hot path (one primitive path or query value) must stay a couple of function calls.
"""

from __future__ import annotations

import datetime as _dt
import enum
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import quote

import orjson
from pydantic import BaseModel

Encoder = Callable[[str], str]
ParamLocation = Literal["path", "query", "header", "cookie"]

_DEFAULT_STYLE: dict[str, str] = {
    "path": "simple",
    "query": "form",
    "header": "simple",
    "cookie": "form",
}
# RFC 3986 reserved characters, kept unencoded when a parameter has allowReserved.
_RESERVED = ":/?#[]@!$&'()*+,;="
_UNRESERVED_EXTRA = "-._~"
_VALID_STYLES: dict[str, frozenset[str]] = {
    "path": frozenset({"simple", "label", "matrix"}),
    "query": frozenset({"form", "spaceDelimited", "pipeDelimited", "deepObject"}),
    "header": frozenset({"simple"}),
    "cookie": frozenset({"form"}),
}


def default_style(location: str) -> str:
    return _DEFAULT_STYLE[location]


def check_style(location: str, style: str, where: str) -> None:
    if location not in _VALID_STYLES:
        raise ValueError(f"{where}: unknown parameter location {location!r}")
    if style not in _VALID_STYLES[location]:
        allowed = ", ".join(sorted(_VALID_STYLES[location]))
        raise ValueError(
            f"{where}: style {style!r} is not valid in {location} (use one of {allowed})"
        )


_PLAIN_SCALARS = frozenset({str, int, float, bool})


def to_plain(value: Any) -> Any:
    """Dump models and enums and stringify scalars, keeping lists and dicts as containers."""
    if type(value) in _PLAIN_SCALARS:  # the common case; skips the ABC isinstance checks below
        return value
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, enum.Enum):
        return to_plain(value.value)
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_plain(v) for v in value if v is not None]
    return value


def scalar_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return scalar_text(value.value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return str(value)


def encoder(allow_reserved: bool) -> Encoder:
    safe = _UNRESERVED_EXTRA + (_RESERVED if allow_reserved else "")

    def encode(text: str) -> str:
        return quote(text, safe=safe)

    return encode


_encode_strict = encoder(False)


def _identity(text: str) -> str:
    return text


def serialize_content(value: Any) -> str:
    """A parameter declared with `content` (JSON): serialised as one JSON string."""
    return orjson.dumps(to_plain(value)).decode()


def _join_object(obj: Mapping[str, Any], enc: Encoder, pair_sep: str, kv_sep: str) -> str:
    return pair_sep.join(f"{enc(k)}{kv_sep}{enc(scalar_text(v))}" for k, v in obj.items())


def serialize_path(name: str, value: Any, style: str, explode: bool, enc: Encoder) -> str:
    """The text that replaces `{name}` in a path template."""
    value = to_plain(value)
    if isinstance(value, Mapping):
        if style == "simple":
            return _join_object(value, enc, ",", "=" if explode else ",")
        if style == "label":
            return "." + _join_object(value, enc, "." if explode else ",", "=" if explode else ",")
        if explode:  # matrix
            return "".join(f";{enc(k)}={enc(scalar_text(v))}" for k, v in value.items())
        return f";{name}=" + _join_object(value, enc, ",", ",")
    if isinstance(value, list):
        items = [enc(scalar_text(v)) for v in value]
        if style == "simple":
            return ",".join(items)
        if style == "label":
            return "." + ("." if explode else ",").join(items)
        if explode:
            return "".join(f";{name}={item}" for item in items)
        return f";{name}=" + ",".join(items)
    text = enc(scalar_text(value))
    if style == "label":
        return "." + text
    if style == "matrix":
        return f";{name}={text}"
    return text


def serialize_query(
    name: str, value: Any, style: str, explode: bool, enc: Encoder, out: list[str]
) -> None:
    """Append encoded `key=value` fragments for one query parameter to `out`."""
    value = to_plain(value)
    qname = _encode_strict(name)
    if isinstance(value, Mapping):
        if style == "deepObject":
            for key, item in value.items():
                if isinstance(item, Mapping | list):
                    item = orjson.dumps(item).decode()
                out.append(f"{qname}%5B{_encode_strict(key)}%5D={enc(scalar_text(item))}")
        elif explode:
            for key, item in value.items():
                out.append(f"{_encode_strict(key)}={enc(scalar_text(item))}")
        else:
            out.append(f"{qname}={_join_object(value, enc, ',', ',')}")
        return
    if isinstance(value, list):
        if not value:
            return
        if explode and style in ("form", "deepObject"):
            for item in value:
                out.append(f"{qname}={enc(scalar_text(item))}")
            return
        separator = {"spaceDelimited": "%20", "pipeDelimited": "|"}.get(style, ",")
        out.append(f"{qname}={separator.join(enc(scalar_text(item)) for item in value)}")
        return
    out.append(f"{qname}={enc(scalar_text(value))}")


def serialize_header(value: Any, explode: bool) -> str:
    value = to_plain(value)
    if isinstance(value, Mapping):
        return _join_object(value, _identity, ",", "=" if explode else ",")
    if isinstance(value, list):
        return ",".join(scalar_text(v) for v in value)
    return scalar_text(value)


def serialize_cookie(name: str, value: Any, explode: bool) -> list[tuple[str, str]]:
    value = to_plain(value)
    if isinstance(value, Mapping):
        if explode:
            return [(str(k), _encode_strict(scalar_text(v))) for k, v in value.items()]
        return [(name, _join_object(value, _encode_strict, ",", ","))]
    if isinstance(value, list):
        if explode:
            return [(name, _encode_strict(scalar_text(v))) for v in value]
        return [(name, ",".join(_encode_strict(scalar_text(v)) for v in value))]
    return [(name, _encode_strict(scalar_text(value)))]


def encode_extra_query(
    extra: Mapping[str, Any] | Sequence[tuple[str, Any]], out: list[str]
) -> None:
    """Extra query pairs from options or auth: form style, exploded, strictly encoded."""
    items = extra.items() if isinstance(extra, Mapping) else extra
    for name, value in items:
        if value is None:
            continue
        serialize_query(name, value, "form", True, _encode_strict, out)
