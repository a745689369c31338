"""Signature schemes: each provider's exact algorithm over the raw bytes, compared in constant time.

Every scheme verifies a `WebhookRequest` and raises only `WebhookVerificationError` (with a reason
code naming the header) for anything malformed: missing or duplicate headers, bad base64 or hex,
unknown versions, timestamps outside the tolerance in either direction, non-UTF-8 bodies where a
scheme must read text. Each can also `sign`, for the sender and for tests.

Written by hand rather than wrapping each provider's SDK: the SDKs raise foreign exceptions on
malformed headers (binascii.Error, ValueError, KeyError), read the body as text, and would add a
dozen dependencies for a few lines of HMAC each.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit

from apiweld.webhooks._errors import WebhookConfigError, WebhookVerificationError
from apiweld.webhooks._request import WebhookRequest

_UNIX_SECONDS = re.compile(r"^[0-9]{1,15}$")
_HEX = re.compile(r"^[0-9a-f]+$")
_RFC3339 = re.compile(
    r"^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$"
)
MAX_SIGNATURES = 16
"""More candidate signatures than this in one header is refused (each costs an HMAC)."""

_DIGESTS: dict[str, Callable[[], hashlib._Hash]] = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha512": hashlib.sha512,
}


class _Key:
    """Secret key material that never shows itself in a repr, a log line or an exception."""

    __slots__ = ("value",)

    def __init__(self, value: bytes) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "_Key(***)"


def _mac(key: bytes, content: bytes, algorithm: str = "sha256") -> bytes:
    return hmac.new(key, content, _DIGESTS[algorithm]).digest()


def wire_bytes(text: str) -> bytes:
    """A header value back as the bytes that were sent: ASGI headers arrive as bytes and are
    decoded as Latin-1 here, which this reverses; text given directly by code that holds
    characters beyond Latin-1 is taken as UTF-8."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8", errors="surrogatepass")


def _b64decode(value: str, header: str) -> bytes:
    try:
        encoded = value.encode("ascii")
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise WebhookVerificationError("bad_encoding", "not valid base64", header=header) from None
    # Decoders ignore the unused low bits of the last character, so several spellings decode to
    # one signature; only the canonical one (what every provider sends) is accepted, so a
    # tampered header is never taken for the signed one.
    if base64.b64encode(raw) != encoded:
        raise WebhookVerificationError("bad_encoding", "not canonical base64", header=header)
    return raw


def _hexdecode(value: str, header: str) -> bytes:
    # Lower case only, as every provider sends: a case-flipped signature is not the one signed.
    if len(value) % 2 or not _HEX.match(value):
        raise WebhookVerificationError("bad_encoding", "not lower-case hex", header=header)
    return bytes.fromhex(value)


def _matches(expected: bytes, candidates: Sequence[bytes]) -> bool:
    # Every candidate is compared, so timing does not reveal which one (or whether any) matched.
    found = False
    for candidate in candidates:
        found |= hmac.compare_digest(expected, candidate)
    return found


def parse_unix_timestamp(value: str, header: str) -> int:
    # int() alone would accept " 12", "+12", "1_2" and non-ASCII digits: all refused here.
    if not _UNIX_SECONDS.match(value):
        raise WebhookVerificationError("bad_timestamp", "not a Unix time", header=header)
    return int(value)


def parse_rfc3339(value: str, header: str) -> float:
    match = _RFC3339.match(value)
    if not match:
        raise WebhookVerificationError("bad_timestamp", "not an RFC 3339 time", header=header)
    whole, fraction, zone = match.groups()
    zone = "+00:00" if zone in ("Z", "z") else zone
    try:
        moment = datetime.fromisoformat(whole.replace("t", "T").replace(" ", "T") + zone)
    except ValueError:
        raise WebhookVerificationError("bad_timestamp", "impossible date", header=header) from None
    return moment.timestamp() + (float(f"0.{fraction}") if fraction else 0.0)


def check_tolerance(timestamp: float, now: float, tolerance: int, header: str) -> None:
    if timestamp < now - tolerance:
        raise WebhookVerificationError(
            "timestamp_too_old",
            f"{int(now - timestamp)} s old, tolerance {tolerance} s",
            header=header,
        )
    if timestamp > now + tolerance:
        raise WebhookVerificationError(
            "timestamp_in_future",
            f"{int(timestamp - now)} s ahead, tolerance {tolerance} s",
            header=header,
        )


class Scheme(ABC):
    """One provider's signing algorithm, with the secrets it accepts (several during a rotation)."""

    name: ClassVar[str]
    default_event_id: ClassVar[str | None] = None
    default_event_type: ClassVar[str | None] = None
    alternate_event_ids: ClassVar[tuple[str, ...]] = ()
    """Where else the event id may be when the default place is empty (older header names)."""
    event_type_qualifier: ClassVar[str | None] = None
    """Appended to the default event type as `type.qualifier` when present (GitHub's action)."""

    def __init__(self, secrets: Sequence[str], *, tolerance_seconds: int = 300) -> None:
        if not secrets or any(not s for s in secrets):
            raise WebhookConfigError(f"scheme {self.name!r} needs at least one non-empty secret")
        self.tolerance_seconds = tolerance_seconds
        self._keys = [_Key(self._decode_secret(s)) for s in secrets]

    def _decode_secret(self, secret: str) -> bytes:
        return secret.encode("utf-8")

    @abstractmethod
    def verify(self, request: WebhookRequest, *, now: float | None = None) -> None:
        """Return if authentic; raise `WebhookVerificationError` otherwise."""

    @abstractmethod
    def sign(
        self, body: bytes, *, event_id: str, timestamp: int, url: str | None = None
    ) -> dict[str, str]:
        """The headers a provider would send with `body` (signed with the first secret)."""

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(secrets={len(self._keys)}, tolerance={self.tolerance_seconds})"
        )


class StandardWebhooks(Scheme):
    """Standard Webhooks: `v1` HMAC-SHA256 over `id.timestamp.body`, `v1a` ed25519.

    Secrets are `whsec_<base64>` (HMAC), `whpk_<base64>` (ed25519 public key, verify only) or
    `whsk_<base64>` (ed25519 private key, sign). The older `svix-*` header names are accepted.
    """

    name = "standard"
    default_event_id = "header:webhook-id"
    default_event_type = "body:type"
    alternate_event_ids = ("header:svix-id",)

    def __init__(self, secrets: Sequence[str], *, tolerance_seconds: int = 300) -> None:
        self._kinds: list[str] = []
        super().__init__(secrets, tolerance_seconds=tolerance_seconds)

    def _decode_secret(self, secret: str) -> bytes:
        prefix, _, rest = secret.partition("_")
        kind = prefix if rest and prefix in ("whsec", "whpk", "whsk") else "whsec"
        encoded = rest if kind == prefix else secret
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise WebhookConfigError("a Standard Webhooks secret is not valid base64") from None
        if kind in ("whpk", "whsk") and len(raw) != 32:
            raise WebhookConfigError(f"a Standard Webhooks {kind}_ key must be 32 bytes")
        self._kinds.append(kind)
        return raw

    def _header_names(self, request: WebhookRequest) -> tuple[str, str, str]:
        if "webhook-id" not in request.headers and "svix-id" in request.headers:
            return "svix-id", "svix-timestamp", "svix-signature"
        return "webhook-id", "webhook-timestamp", "webhook-signature"

    def verify(self, request: WebhookRequest, *, now: float | None = None) -> None:
        id_h, ts_h, sig_h = self._header_names(request)
        msg_id = request.headers.required(id_h)
        raw_ts = request.headers.required(ts_h)
        signature_header = request.headers.required(sig_h)
        timestamp = parse_unix_timestamp(raw_ts, ts_h)
        check_tolerance(
            timestamp, time.time() if now is None else now, self.tolerance_seconds, ts_h
        )
        content = wire_bytes(f"{msg_id}.{raw_ts}.") + request.body
        entries = signature_header.split()
        if len(entries) > MAX_SIGNATURES:
            raise WebhookVerificationError("malformed_header", "too many signatures", header=sig_h)
        v1: list[bytes] = []
        v1a: list[bytes] = []
        for entry in entries:
            version, sep, encoded = entry.partition(",")
            if not sep:
                raise WebhookVerificationError(
                    "malformed_header", "entries must be 'version,signature'", header=sig_h
                )
            if version == "v1":
                v1.append(_b64decode(encoded, sig_h))
            elif version == "v1a":
                v1a.append(_b64decode(encoded, sig_h))
        if not v1 and not v1a:
            raise WebhookVerificationError(
                "unsupported_version", "no v1 or v1a signature", header=sig_h
            )
        for kind, key in zip(self._kinds, self._keys, strict=True):
            if kind == "whsec" and v1 and _matches(_mac(key.value, content), v1):
                return
            if kind in ("whpk", "whsk") and v1a and self._ed25519_matches(kind, key, content, v1a):
                return
        raise WebhookVerificationError("bad_signature", "no signature matches", header=sig_h)

    @staticmethod
    def _ed25519_matches(kind: str, key: _Key, content: bytes, signatures: list[bytes]) -> bool:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import (
            Ed25519PrivateKey,
            Ed25519PublicKey,
        )

        public = (
            Ed25519PrivateKey.from_private_bytes(key.value).public_key()
            if kind == "whsk"
            else Ed25519PublicKey.from_public_bytes(key.value)
        )
        for signature in signatures:
            try:
                public.verify(signature, content)
                return True
            except InvalidSignature:
                continue
        return False

    def sign(
        self, body: bytes, *, event_id: str, timestamp: int, url: str | None = None
    ) -> dict[str, str]:
        content = wire_bytes(f"{event_id}.{timestamp}.") + body
        kind, key = self._kinds[0], self._keys[0]
        if kind == "whpk":
            raise WebhookConfigError("a whpk_ public key can verify but not sign")
        if kind == "whsk":
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

            raw = Ed25519PrivateKey.from_private_bytes(key.value).sign(content)
            signature = "v1a," + base64.b64encode(raw).decode()
        else:
            signature = "v1," + base64.b64encode(_mac(key.value, content)).decode()
        return {
            "webhook-id": event_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature,
        }


class Stripe(Scheme):
    """Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=...]`, HMAC-SHA256 over `t.body`.

    The key is the whole `whsec_...` string as bytes (Stripe does not base64-decode it).
    """

    name = "stripe"
    default_event_id = "body:id"
    default_event_type = "body:type"
    header = "Stripe-Signature"

    def verify(self, request: WebhookRequest, *, now: float | None = None) -> None:
        value = request.headers.required(self.header)
        timestamps: list[str] = []
        signatures: list[bytes] = []
        for item in value.split(","):
            key, sep, item_value = item.strip().partition("=")
            if not sep:
                raise WebhookVerificationError(
                    "malformed_header", "items must be 'key=value'", header=self.header
                )
            if key == "t":
                timestamps.append(item_value)
            elif key == "v1":
                signatures.append(_hexdecode(item_value, self.header))
        if len(timestamps) != 1:
            raise WebhookVerificationError(
                "malformed_header", "needs exactly one t=", header=self.header
            )
        if not signatures:
            raise WebhookVerificationError(
                "unsupported_version", "no v1= signature", header=self.header
            )
        if len(signatures) > MAX_SIGNATURES:
            raise WebhookVerificationError(
                "malformed_header", "too many signatures", header=self.header
            )
        timestamp = parse_unix_timestamp(timestamps[0], self.header)
        check_tolerance(
            timestamp, time.time() if now is None else now, self.tolerance_seconds, self.header
        )
        content = timestamps[0].encode("ascii") + b"." + request.body
        if not any(_matches(_mac(key.value, content), signatures) for key in self._keys):
            raise WebhookVerificationError("bad_signature", "no v1 matches", header=self.header)

    def sign(
        self, body: bytes, *, event_id: str, timestamp: int, url: str | None = None
    ) -> dict[str, str]:
        digest = _mac(self._keys[0].value, f"{timestamp}.".encode() + body).hex()
        return {self.header: f"t={timestamp},v1={digest}"}


class _PrefixedBodyHmac(Scheme):
    """HMAC of the body alone, in one header, with a version prefix (GitHub and Meta's form)."""

    header: ClassVar[str]
    prefix: ClassVar[str]

    def verify(self, request: WebhookRequest, *, now: float | None = None) -> None:
        value = request.headers.required(self.header)
        if not value.startswith(self.prefix):
            raise WebhookVerificationError(
                "unsupported_version", f"expected a {self.prefix!r} prefix", header=self.header
            )
        given = _hexdecode(value[len(self.prefix) :], self.header)
        if not any(_matches(_mac(k.value, request.body), [given]) for k in self._keys):
            raise WebhookVerificationError("bad_signature", "does not match", header=self.header)

    def sign(
        self, body: bytes, *, event_id: str, timestamp: int, url: str | None = None
    ) -> dict[str, str]:
        return {self.header: self.prefix + _mac(self._keys[0].value, body).hex()}


class GitHub(_PrefixedBodyHmac):
    """GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`."""

    name = "github"
    default_event_id = "header:X-GitHub-Delivery"
    default_event_type = "header:X-GitHub-Event"
    # `issues.opened`, `issue_comment.deleted`: the names GitHub's docs and Octokit use.
    event_type_qualifier = "body:action"
    header = "X-Hub-Signature-256"
    prefix = "sha256="

    def sign(
        self, body: bytes, *, event_id: str, timestamp: int, url: str | None = None
    ) -> dict[str, str]:
        return {
            **super().sign(body, event_id=event_id, timestamp=timestamp),
            "X-GitHub-Delivery": event_id,
        }


class Meta(_PrefixedBodyHmac):
    """Meta (Facebook, Instagram, WhatsApp): the same form as GitHub, keyed by the app secret."""

    name = "meta"
    default_event_type = "body:object"
    header = "X-Hub-Signature-256"
    prefix = "sha256="


class Slack(Scheme):
    """Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256 of 'v0:<timestamp>:<body>'>`."""

    name = "slack"
    default_event_id = "body:event_id"
    default_event_type = "body:event.type"
    signature_header = "X-Slack-Signature"
    timestamp_header = "X-Slack-Request-Timestamp"

    def verify(self, request: WebhookRequest, *, now: float | None = None) -> None:
        raw_ts = request.headers.required(self.timestamp_header)
        value = request.headers.required(self.signature_header)
        timestamp = parse_unix_timestamp(raw_ts, self.timestamp_header)
        check_tolerance(
            timestamp,
            time.time() if now is None else now,
            self.tolerance_seconds,
            self.timestamp_header,
        )
        if not value.startswith("v0="):
            raise WebhookVerificationError(
                "unsupported_version", "expected 'v0='", header=self.signature_header
            )
        given = _hexdecode(value[3:], self.signature_header)
        content = b"v0:" + raw_ts.encode("ascii") + b":" + request.body
        if not any(_matches(_mac(k.value, content), [given]) for k in self._keys):
            raise WebhookVerificationError(
                "bad_signature", "does not match", header=self.signature_header
            )

    def sign(
        self, body: bytes, *, event_id: str, timestamp: int, url: str | None = None
    ) -> dict[str, str]:
        content = f"v0:{timestamp}:".encode() + body
        return {
            self.timestamp_header: str(timestamp),
            self.signature_header: "v0=" + _mac(self._keys[0].value, content).hex(),
        }


class Shopify(Scheme):
    """Shopify: `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the body>`."""

    name = "shopify"
    default_event_id = "header:X-Shopify-Webhook-Id"
    alternate_event_ids = ("header:X-Shopify-Event-Id",)
    default_event_type = "header:X-Shopify-Topic"
    header = "X-Shopify-Hmac-Sha256"

    def verify(self, request: WebhookRequest, *, now: float | None = None) -> None:
        given = _b64decode(request.headers.required(self.header), self.header)
        if not any(_matches(_mac(k.value, request.body), [given]) for k in self._keys):
            raise WebhookVerificationError("bad_signature", "does not match", header=self.header)

    def sign(
        self, body: bytes, *, event_id: str, timestamp: int, url: str | None = None
    ) -> dict[str, str]:
        return {
            self.header: base64.b64encode(_mac(self._keys[0].value, body)).decode(),
            "X-Shopify-Webhook-Id": event_id,
        }


def _url_variants(url: str) -> list[str]:
    """The URL as given, without its port, and with the default port added.

    Twilio signs whichever form it called and proxies often rewrite the port, so (as Twilio's
    own validators do) each form is tried.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        raise WebhookVerificationError("missing_url", "the request URL is malformed") from None
    default = {"https": 443, "http": 80}.get(parts.scheme)
    if default is None or not parts.hostname:
        return [url]
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    userinfo = parts.netloc.rpartition("@")[0]
    prefix = f"{userinfo}@" if userinfo else ""
    try:
        port = parts.port
    except ValueError:
        return [url]
    if port is not None:
        return [url, urlunsplit(parts._replace(netloc=f"{prefix}{host}"))]
    return [url, urlunsplit(parts._replace(netloc=f"{prefix}{host}:{default}"))]


class Twilio(Scheme):
    """Twilio: `X-Twilio-Signature`, base64 HMAC-SHA1 of the URL followed by the sorted form
    parameters (name then value, concatenated); for JSON bodies the URL carries `bodySHA256`
    (hex SHA-256 of the body) and only the URL is signed."""

    name = "twilio"
    default_event_id = "header:I-Twilio-Idempotency-Token"
    default_event_type = "body:EventType"
    header = "X-Twilio-Signature"

    def _content(self, request: WebhookRequest, url: str) -> bytes:
        body_sha = request.query_value("bodySHA256")
        if body_sha is not None:
            actual = hashlib.sha256(request.body).hexdigest()
            if not hmac.compare_digest(actual.encode(), body_sha.lower().encode("utf-8")):
                raise WebhookVerificationError(
                    "body_hash_mismatch", "bodySHA256 in the URL does not match the body"
                )
            return url.encode("utf-8")
        params = sorted(request.form_params()) if request.body else []
        return (url + "".join(name + value for name, value in params)).encode("utf-8")

    def verify(self, request: WebhookRequest, *, now: float | None = None) -> None:
        given = _b64decode(request.headers.required(self.header), self.header)
        if not request.url:
            raise WebhookVerificationError("missing_url", "Twilio signs the URL: set public_url")
        for url in _url_variants(request.url):
            content = self._content(request, url)
            if any(_matches(_mac(k.value, content, "sha1"), [given]) for k in self._keys):
                return
        raise WebhookVerificationError("bad_signature", "does not match", header=self.header)

    def sign(
        self, body: bytes, *, event_id: str, timestamp: int, url: str | None = None
    ) -> dict[str, str]:
        if not url:
            raise WebhookConfigError("Twilio signs the URL: pass the target URL")
        content = self._content(WebhookRequest.build(body, url=url), url)
        return {
            self.header: base64.b64encode(_mac(self._keys[0].value, content, "sha1")).decode(),
            "I-Twilio-Idempotency-Token": event_id,
        }


class Square(Scheme):
    """Square: `x-square-hmacsha256-signature`, base64 HMAC-SHA256 of the notification URL
    followed by the body."""

    name = "square"
    default_event_id = "body:event_id"
    default_event_type = "body:type"
    header = "x-square-hmacsha256-signature"

    def verify(self, request: WebhookRequest, *, now: float | None = None) -> None:
        given = _b64decode(request.headers.required(self.header), self.header)
        if not request.url:
            raise WebhookVerificationError("missing_url", "Square signs the URL: set public_url")
        content = request.url.encode("utf-8") + request.body
        if not any(_matches(_mac(k.value, content), [given]) for k in self._keys):
            raise WebhookVerificationError("bad_signature", "does not match", header=self.header)

    def sign(
        self, body: bytes, *, event_id: str, timestamp: int, url: str | None = None
    ) -> dict[str, str]:
        if not url:
            raise WebhookConfigError("Square signs the URL: pass the target URL")
        digest = _mac(self._keys[0].value, url.encode("utf-8") + body)
        return {self.header: base64.b64encode(digest).decode()}
