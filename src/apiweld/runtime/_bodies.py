"""Request body encoding: JSON, form, multipart (files) and raw bytes."""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal
from typing import IO, Any, Final
from urllib.parse import urlencode

import orjson
from pydantic import BaseModel

from ._models import NotGiven
from ._params import scalar_text, to_plain

__all__ = ["FileTypes", "encode_body"]

FileContent = bytes | IO[bytes]
FileTypes = (
    FileContent | tuple[str | None, FileContent] | tuple[str | None, FileContent, str | None]
)

JSON: Final = "application/json"
FORM: Final = "application/x-www-form-urlencoded"
MULTIPART: Final = "multipart/form-data"
OCTETS: Final = "application/octet-stream"


def _json_default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dump_json(value: Any) -> bytes:
    return orjson.dumps(value, default=_json_default, option=orjson.OPT_NON_STR_KEYS)


def encode_body(
    body: Any, content_type: str | None, extra_body: Mapping[str, Any] | None
) -> tuple[bytes | None, str | None]:
    """(encoded body, Content-Type header) for a request; (None, None) when there is no body."""
    if isinstance(body, NotGiven) and not extra_body:
        return None, None
    if isinstance(body, NotGiven):
        body = {}
    if content_type is None:
        content_type = OCTETS if isinstance(body, (bytes, bytearray, memoryview)) else JSON
    media = content_type.split(";", 1)[0].strip().lower()
    if media == JSON or media.endswith("+json"):
        if extra_body:
            base = (
                body.model_dump(mode="json", by_alias=True, exclude_unset=True)
                if isinstance(body, BaseModel)
                else body
            )
            if not isinstance(base, Mapping):
                raise TypeError("extra_body needs a JSON object body to merge into")
            body = {**base, **extra_body}
        if isinstance(body, BaseModel):
            return body.__pydantic_serializer__.to_json(
                body, by_alias=True, exclude_unset=True
            ), content_type
        return dump_json(body), content_type
    if media == FORM:
        fields = _plain_mapping(body, extra_body, "a form body")
        pairs: list[tuple[str, str]] = []
        for name, value in fields.items():
            if isinstance(value, list):
                pairs.extend((name, scalar_text(item)) for item in value)
            elif isinstance(value, Mapping):
                pairs.append((name, dump_json(value).decode()))
            else:
                pairs.append((name, scalar_text(value)))
        return urlencode(pairs).encode("ascii"), content_type
    if media == MULTIPART:
        return _multipart(body, extra_body)
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body), content_type
    if isinstance(body, str):
        return body.encode("utf-8"), content_type
    if hasattr(body, "read"):
        data = body.read()
        return (data.encode() if isinstance(data, str) else bytes(data)), content_type
    raise TypeError(f"cannot encode a {type(body).__name__} body as {content_type}")


def _plain_mapping(body: Any, extra: Mapping[str, Any] | None, what: str) -> dict[str, Any]:
    if isinstance(body, BaseModel):
        body = body.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if not isinstance(body, Mapping):
        raise TypeError(f"{what} must be a mapping or a model, not {type(body).__name__}")
    merged = {**body, **(extra or {})}
    return {str(k): to_plain(v) for k, v in merged.items() if v is not None}


def _is_file(value: Any) -> bool:
    return isinstance(value, (bytes, bytearray, tuple)) or hasattr(value, "read")


def _file_field(name: str, value: Any) -> tuple[str, bytes, str]:
    filename: str | None = name
    mime: str | None = None
    content: Any = value
    if isinstance(value, tuple):
        if len(value) == 2:
            filename, content = value
        elif len(value) == 3:
            filename, content, mime = value
        else:
            raise TypeError(f"multipart field {name!r}: use (filename, content[, content_type])")
    if hasattr(content, "read"):
        if filename == name and isinstance(getattr(content, "name", None), str):
            filename = os.path.basename(content.name)
        content = content.read()
    if isinstance(content, str):
        content = content.encode("utf-8")
    return filename or name, bytes(content), mime or OCTETS


def _multipart(body: Any, extra: Mapping[str, Any] | None) -> tuple[bytes, str]:
    # urllib3's encoder is well tested and already a dependency; imported only when needed.
    from urllib3.filepost import encode_multipart_formdata

    if isinstance(body, BaseModel):
        body = body.model_dump(by_alias=True, exclude_unset=True)
    if not isinstance(body, Mapping):
        raise TypeError(f"a multipart body must be a mapping, not {type(body).__name__}")
    fields: list[tuple[str, Any]] = []
    for name, value in {**body, **(extra or {})}.items():
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        for item in values:
            if _is_file(item):
                fields.append((name, _file_field(name, item)))
            elif isinstance(item, (Mapping, BaseModel)):
                fields.append((name, dump_json(to_plain(item)).decode()))
            else:
                fields.append((name, scalar_text(to_plain(item))))
    data, content_type = encode_multipart_formdata(fields)
    return data, content_type
