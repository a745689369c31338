"""The raw incoming request as verifiers see it: bytes of the body, headers, URL, nothing parsed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from apiweld.webhooks._errors import WebhookVerificationError

MAX_HEADER_BYTES = 8192
"""A signature header larger than this is refused before any parsing (providers send < 1 KiB)."""

HeaderInput = Mapping[str, str] | Iterable[tuple[str | bytes, str | bytes]]


def _text(value: str | bytes) -> str:
    # latin-1 maps every byte to one code point: it cannot fail, and it is what HTTP/1.1 allows.
    return value.decode("latin-1") if isinstance(value, bytes) else value


class Headers:
    """Case-insensitive, multi-valued headers that refuse ambiguity when asked for one value."""

    __slots__ = ("_values",)

    def __init__(self, raw: HeaderInput = ()) -> None:
        self._values: dict[str, list[str]] = {}
        pairs = raw.items() if isinstance(raw, Mapping) else raw
        for name, value in pairs:
            self._values.setdefault(_text(name).lower(), []).append(_text(value))

    def get_all(self, name: str) -> list[str]:
        return list(self._values.get(name.lower(), ()))

    def optional(self, name: str) -> str | None:
        """The single value of `name`, None when absent; duplicates and huge values are refused."""
        values = self._values.get(name.lower())
        if not values:
            return None
        if len(values) > 1:
            raise WebhookVerificationError(
                "duplicate_header", f"sent {len(values)} times, expected once", header=name
            )
        value = values[0]
        if len(value) > MAX_HEADER_BYTES:
            raise WebhookVerificationError(
                "header_too_large", f"{len(value)} bytes, limit {MAX_HEADER_BYTES}", header=name
            )
        return value

    def required(self, name: str) -> str:
        value = self.optional(name)
        if value is None:
            raise WebhookVerificationError("missing_header", "required but absent", header=name)
        if not value.strip():
            raise WebhookVerificationError("malformed_header", "empty value", header=name)
        return value

    def items(self) -> list[tuple[str, str]]:
        return [(name, value) for name, values in self._values.items() for value in values]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values

    def __repr__(self) -> str:
        return f"Headers({sorted(self._values)})"


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """What arrived: the raw body bytes, the headers, and the URL the provider called.

    `url` is the full URL including its query string, as the provider signed it (Twilio and
    Square sign it); behind a proxy, configure `public_url` so it is rebuilt correctly.
    """

    body: bytes
    headers: Headers = field(default_factory=Headers)
    url: str | None = None
    method: str = "POST"

    @classmethod
    def build(
        cls,
        body: bytes,
        headers: HeaderInput = (),
        *,
        url: str | None = None,
        method: str = "POST",
    ) -> WebhookRequest:
        return cls(body=body, headers=Headers(headers), url=url, method=method)

    @property
    def query(self) -> list[tuple[str, str]]:
        if not self.url:
            return []
        try:
            query = urlsplit(self.url).query
        except ValueError:
            raise WebhookVerificationError("missing_url", "the request URL is malformed") from None
        return parse_qsl(query, keep_blank_values=True)

    def query_value(self, name: str) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return None

    def text_body(self) -> str:
        try:
            return self.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WebhookVerificationError(
                "bad_body", f"body is not UTF-8 (byte {exc.start})"
            ) from None

    def form_params(self) -> list[tuple[str, str]]:
        """The body as `application/x-www-form-urlencoded` pairs (Twilio signs these)."""
        text = self.text_body()
        try:
            return parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict")
        except (UnicodeDecodeError, ValueError):
            raise WebhookVerificationError(
                "bad_body", "form body has invalid percent-encoding"
            ) from None
