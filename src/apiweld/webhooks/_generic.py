"""The configurable HMAC scheme, and the providers that are presets of it (Twitch, Zoom)."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Sequence

from apiweld.webhooks._errors import WebhookConfigError, WebhookVerificationError
from apiweld.webhooks._request import WebhookRequest
from apiweld.webhooks.schemes import (
    MAX_SIGNATURES,
    Scheme,
    _b64decode,
    _hexdecode,
    _mac,
    _matches,
    check_tolerance,
    parse_rfc3339,
    parse_unix_timestamp,
    wire_bytes,
)
from apiweld.webhooks.settings import HmacOptions

_FIELD = re.compile(r"\{([^{}]*)\}")

TWITCH = HmacOptions(
    header="Twitch-Eventsub-Message-Signature",
    prefix="sha256=",
    signed_content=(
        "{header:Twitch-Eventsub-Message-Id}{header:Twitch-Eventsub-Message-Timestamp}{body}"
    ),
    timestamp_header="Twitch-Eventsub-Message-Timestamp",
    timestamp_format="rfc3339",
)
ZOOM = HmacOptions(
    header="x-zm-signature",
    prefix="v0=",
    signed_content="v0:{timestamp}:{body}",
    timestamp_header="x-zm-request-timestamp",
)


class GenericHmac(Scheme):
    """HMAC over a template of the raw request, configured by `HmacOptions`."""

    name = "hmac"

    def __init__(
        self, secrets: Sequence[str], options: HmacOptions, *, tolerance_seconds: int = 300
    ) -> None:
        self.options = options
        super().__init__(secrets, tolerance_seconds=tolerance_seconds)

    def _decode_secret(self, secret: str) -> bytes:
        encoding = self.options.secret_encoding
        try:
            if encoding == "base64":
                return base64.b64decode(secret, validate=True)
            if encoding == "hex":
                return bytes.fromhex(secret)
        except ValueError:
            raise WebhookConfigError(f"the HMAC secret is not valid {encoding}") from None
        return secret.encode("utf-8")

    def _content(
        self,
        body: bytes,
        lookup_header: Callable[[str], str],
        timestamp: str | None,
        url: str | None,
    ) -> bytes:
        out = bytearray()
        position = 0
        for match in _FIELD.finditer(self.options.signed_content):
            out += self.options.signed_content[position : match.start()].encode("utf-8")
            name = match.group(1)
            if name == "body":
                out += body
            elif name == "timestamp":
                if timestamp is None:
                    raise WebhookConfigError("{timestamp} in signed_content needs timestamp_header")
                out += wire_bytes(timestamp)
            elif name == "url":
                if not url:
                    raise WebhookVerificationError("missing_url", "the signed content has {url}")
                out += url.encode("utf-8")
            else:
                out += wire_bytes(lookup_header(name.partition(":")[2]))
            position = match.end()
        out += self.options.signed_content[position:].encode("utf-8")
        return bytes(out)

    def _check_timestamp(self, raw: str, now: float | None) -> None:
        header = self.options.timestamp_header or ""
        fmt = self.options.timestamp_format
        if fmt == "rfc3339":
            moment = parse_rfc3339(raw, header)
        else:
            moment = parse_unix_timestamp(raw, header) / (1000 if fmt == "unix_ms" else 1)
        check_tolerance(moment, time.time() if now is None else now, self.tolerance_seconds, header)

    def _decode_signature(self, value: str) -> bytes:
        header = self.options.header
        if self.options.encoding == "hex":
            return _hexdecode(value, header)
        return _b64decode(value, header)

    def verify(self, request: WebhookRequest, *, now: float | None = None) -> None:
        options = self.options
        value = request.headers.required(options.header)
        raw_ts = None
        if options.timestamp_header:
            raw_ts = request.headers.required(options.timestamp_header)
            self._check_timestamp(raw_ts, now)
        candidates = value.split(",") if options.prefix == "" else [value]
        if len(candidates) > MAX_SIGNATURES:
            raise WebhookVerificationError(
                "malformed_header", "too many signatures", header=options.header
            )
        given: list[bytes] = []
        for candidate in candidates:
            candidate = candidate.strip()
            if not candidate.startswith(options.prefix):
                raise WebhookVerificationError(
                    "unsupported_version",
                    f"expected a {options.prefix!r} prefix",
                    header=options.header,
                )
            given.append(self._decode_signature(candidate[len(options.prefix) :]))
        content = self._content(request.body, request.headers.required, raw_ts, request.url)
        for key in self._keys:
            if _matches(_mac(key.value, content, options.algorithm), given):
                return
        raise WebhookVerificationError("bad_signature", "does not match", header=options.header)

    def sign(
        self,
        body: bytes,
        *,
        event_id: str,
        timestamp: int,
        url: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> dict[str, str]:
        options = self.options
        headers = dict(extra_headers or {})
        raw_ts: str | None = None
        if options.timestamp_header:
            raw_ts = self._format_timestamp(timestamp)
            headers[options.timestamp_header] = raw_ts
        lowered = {k.lower(): v for k, v in headers.items()}

        def lookup(name: str) -> str:
            if name.lower() not in lowered:
                # Id-like headers the template signs get the event id: that is what they carry.
                lowered[name.lower()] = event_id
                headers[name] = event_id
            return lowered[name.lower()]

        content = self._content(body, lookup, raw_ts, url)
        digest = _mac(self._keys[0].value, content, options.algorithm)
        encoded = digest.hex() if options.encoding == "hex" else base64.b64encode(digest).decode()
        headers[options.header] = options.prefix + encoded
        return headers

    def _format_timestamp(self, timestamp: int) -> str:
        fmt = self.options.timestamp_format
        if fmt == "rfc3339":
            return time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime(timestamp))
        return str(timestamp * 1000 if fmt == "unix_ms" else timestamp)


class Twitch(GenericHmac):
    """Twitch EventSub: HMAC-SHA256 over message id + timestamp + body, `sha256=<hex>`."""

    name = "twitch"
    default_event_id = "header:Twitch-Eventsub-Message-Id"
    default_event_type = "header:Twitch-Eventsub-Subscription-Type"

    def __init__(self, secrets: Sequence[str], *, tolerance_seconds: int = 600) -> None:
        super().__init__(secrets, TWITCH, tolerance_seconds=tolerance_seconds)


class Zoom(GenericHmac):
    """Zoom: HMAC-SHA256 over `v0:<timestamp>:<body>`, `x-zm-signature: v0=<hex>`."""

    name = "zoom"
    default_event_type = "body:event"

    def __init__(self, secrets: Sequence[str], *, tolerance_seconds: int = 300) -> None:
        super().__init__(secrets, ZOOM, tolerance_seconds=tolerance_seconds)
