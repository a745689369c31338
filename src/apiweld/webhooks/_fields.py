"""Read the event id and type from where the provider puts them (a header or a body path)."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import parse_qsl

import orjson

from apiweld.webhooks._request import WebhookRequest
from apiweld.webhooks.settings import parse_field_source

MAX_FIELD_LENGTH = 512


class _LazyBody:
    """The body parsed once, as JSON, or as a form when it is not JSON."""

    __slots__ = ("_done", "_request", "_value")

    def __init__(self, request: WebhookRequest) -> None:
        self._request = request
        self._done = False
        self._value: Any = None

    def get(self) -> Any:
        if not self._done:
            self._done = True
            try:
                self._value = orjson.loads(self._request.body)
            except orjson.JSONDecodeError:
                try:
                    text = self._request.body.decode("utf-8")
                    self._value = dict(parse_qsl(text, keep_blank_values=True))
                except (UnicodeDecodeError, ValueError):
                    self._value = None
        return self._value


def _walk(value: Any, path: str) -> Any:
    if path.startswith("/"):
        parts = [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]
    else:
        parts = path.split(".")
    for part in parts:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


class FieldReader:
    """Reads one configured source (`header:X`, `body:a.b`, `query:x`) from requests."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.kind, self.path = parse_field_source(source)

    def read(self, request: WebhookRequest, body: _LazyBody) -> str | None:
        if self.kind == "header":
            # A duplicated id header is ambiguous; reading none makes the body hash the id.
            values = request.headers.get_all(self.path)
            value: Any = values[0] if len(values) == 1 else None
        elif self.kind == "query":
            value = request.query_value(self.path)
        else:
            value = _walk(body.get(), self.path)
        if isinstance(value, bool) or value is None:
            return None
        if isinstance(value, int | float):
            value = str(value)
        if not isinstance(value, str) or not value or len(value) > MAX_FIELD_LENGTH:
            return None
        return value


def body_fingerprint(body: bytes) -> str:
    """The event id of last resort: identical redeliveries of an id-less event deduplicate."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


def lazy_body(request: WebhookRequest) -> _LazyBody:
    return _LazyBody(request)
