"""Settings of one webhook receiver: what `[webhooks.<name>]` in apiweld.toml validates into.

Pure pydantic, no heavy imports: `apiweld.config` imports this module, and importing the
config must not pull in starlette, psycopg or cryptography. Secrets are never values here,
only the NAMES of the environment variables that hold them.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SchemeName = Literal[
    "standard",
    "stripe",
    "github",
    "slack",
    "shopify",
    "twilio",
    "square",
    "hmac",
    "twitch",
    "zoom",
    "meta",
]
"""Verification schemes. `twitch`, `zoom` and `meta` are presets of the generic HMAC scheme."""

HandshakeName = Literal["slack", "meta", "graph", "zoom", "twitch"]

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DOTTED_HANDLER = re.compile(r"^[A-Za-z_][\w.]*(:[A-Za-z_][\w.]*)?$")
_TEMPLATE_FIELD = re.compile(r"\{([^{}]*)\}")


def _check_env_name(value: str, field: str) -> str:
    if not _ENV_NAME.match(value):
        # Never echo the value: a user who pasted the secret itself here must not see it logged.
        raise ValueError(
            f"{field} must be the NAME of an environment variable (letters, digits, '_'), "
            "not the secret itself"
        )
    return value


def parse_field_source(value: str) -> tuple[Literal["header", "body", "query"], str]:
    """Split `header:Name`, `body:data.id` (dotted) or `body:/data/id` (JSON pointer), `query:x`."""
    kind, sep, rest = value.partition(":")
    if not sep or kind not in ("header", "body", "query") or not rest:
        raise ValueError(
            f"{value!r} is not a field source: write 'header:<Header-Name>', "
            "'body:<dotted.path>' (or 'body:/json/pointer') or 'query:<name>'"
        )
    if kind == "header" and not _HEADER_NAME.match(rest):
        raise ValueError(f"{value!r}: {rest!r} is not a valid HTTP header name")
    return kind, rest  # type: ignore[return-value]


FieldSource = Annotated[
    str,
    Field(
        description="'header:<Name>', 'body:<dotted.path>', 'body:/json/pointer' or 'query:<name>'"
    ),
]


class HmacOptions(BaseModel):
    """The generic HMAC scheme (and the `twitch`, `zoom`, `meta` presets, which fill these in).

    `signed_content` is a template over the raw request: `{body}` (raw bytes), `{header:Name}`,
    `{timestamp}` (the raw timestamp header value), `{url}` (the public URL). Literal braces are
    not supported: no provider needs them.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    header: str = "X-Signature"
    prefix: str = ""
    """Stripped from the header value before decoding, e.g. `sha256=`."""
    algorithm: Literal["sha1", "sha256", "sha512"] = "sha256"
    encoding: Literal["hex", "base64"] = "hex"
    signed_content: str = "{body}"
    secret_encoding: Literal["utf8", "base64", "hex"] = "utf8"  # noqa: S105
    timestamp_header: str | None = None
    timestamp_format: Literal["unix", "unix_ms", "rfc3339"] = "unix"

    @field_validator("header", "timestamp_header")
    @classmethod
    def _header_name(cls, value: str | None) -> str | None:
        if value is not None and not _HEADER_NAME.match(value):
            raise ValueError(f"{value!r} is not a valid HTTP header name")
        return value

    @field_validator("signed_content")
    @classmethod
    def _template(cls, value: str) -> str:
        for name in _TEMPLATE_FIELD.findall(value):
            if name in ("body", "timestamp", "url"):
                continue
            kind, _, header = name.partition(":")
            if kind != "header" or not _HEADER_NAME.match(header):
                raise ValueError(
                    f"signed_content: unknown field {{{name}}}; use {{body}}, {{timestamp}}, "
                    "{url} or {header:Name}"
                )
        if "{body}" not in value:
            raise ValueError("signed_content must include {body}: a signature must cover the body")
        return value


class BackoffSettings(BaseModel):
    """Exponential backoff with full jitter between handler attempts."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    initial_seconds: float = Field(default=5.0, gt=0)
    multiplier: float = Field(default=2.0, ge=1)
    max_seconds: float = Field(default=3600.0, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> BackoffSettings:
        if self.max_seconds < self.initial_seconds:
            raise ValueError("backoff.max_seconds must be >= backoff.initial_seconds")
        return self


class WebhookReceiverSettings(BaseModel):
    """One receiver: where it listens, how it verifies, where it stores, what it runs."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    name: str = "default"
    """Names the receiver in the inbox: deduplication is per receiver."""
    path: str = "/webhooks"
    scheme: SchemeName = "standard"
    secret_env: str
    """Name of the environment variable holding the signing secret (or `whpk_` public key)."""
    rotated_secret_envs: tuple[str, ...] = ()
    """Further secrets accepted during a key rotation (environment variable names)."""
    hmac: HmacOptions | None = None
    """Options of the `hmac` scheme; ignored by the named schemes."""
    public_url: str | None = None
    """The URL as the provider signs it (Twilio, Square): behind a proxy it differs from ours."""
    tolerance_seconds: int = Field(default=300, ge=1, le=86_400)
    event_id: FieldSource | None = None
    """Where the provider's event id is; None: the scheme's default (then a hash of the body)."""
    event_type: FieldSource | None = None
    """Where the event type is; None: the scheme's default."""
    max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1, le=512 * 1024 * 1024)
    inbox: str = ".apiweld/webhooks.sqlite3"
    """A SQLite file path (or `sqlite:///path`), or a `postgresql://` URL."""
    table_prefix: str = "apiweld_webhook_"
    dedup_retention_seconds: int = Field(default=7 * 86_400, ge=60)
    handlers: dict[str, str] = Field(default_factory=dict)
    """Event type (or `*`) -> `package.module:function`."""
    max_attempts: int = Field(default=8, ge=1, le=1000)
    backoff: BackoffSettings = Field(default_factory=BackoffSettings)
    lease_seconds: float = Field(default=300.0, gt=0)
    """How long a claimed event stays with its worker before another may take it (crash)."""
    handshakes: tuple[HandshakeName, ...] | None = None
    """Handshakes answered; None: the one the scheme implies (slack, zoom, twitch, meta)."""
    verify_token_env: str | None = None
    """Meta `hub.verify_token` (environment variable name)."""

    @field_validator("secret_env", "verify_token_env")
    @classmethod
    def _env(cls, value: str | None) -> str | None:
        return None if value is None else _check_env_name(value, "secret_env/verify_token_env")

    @field_validator("rotated_secret_envs")
    @classmethod
    def _envs(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_env_name(v, "rotated_secret_envs") for v in values)

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"path must start with '/', got {value!r}")
        return value

    @field_validator("event_id", "event_type")
    @classmethod
    def _source(cls, value: str | None) -> str | None:
        if value is not None:
            parse_field_source(value)
        return value

    @field_validator("table_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not _IDENTIFIER.match(value) or len(value) > 40:
            raise ValueError("table_prefix must be an SQL identifier (letters, digits, '_'), <= 40")
        return value

    @field_validator("inbox")
    @classmethod
    def _inbox(cls, value: str) -> str:
        scheme = value.split("://", 1)[0] if "://" in value else "sqlite"
        if scheme not in ("sqlite", "postgresql", "postgres"):
            raise ValueError(
                f"inbox must be a SQLite path, sqlite:///path or postgresql://..., got {scheme}://"
            )
        return value

    @field_validator("handlers")
    @classmethod
    def _handlers(cls, value: dict[str, str]) -> dict[str, str]:
        for event_type, target in value.items():
            if not _DOTTED_HANDLER.match(target):
                raise ValueError(
                    f"handlers[{event_type!r}]: {target!r} is not 'package.module:function'"
                )
        return value

    @model_validator(mode="after")
    def _scheme_options(self) -> WebhookReceiverSettings:
        if self.scheme == "hmac" and self.hmac is None:
            raise ValueError("scheme 'hmac' needs an [hmac] table (header, algorithm, ...)")
        meta_needed = "meta" in (self.handshakes or ()) or (
            self.handshakes is None and self.scheme == "meta"
        )
        if meta_needed and self.verify_token_env is None:
            raise ValueError("the Meta hub.challenge handshake needs verify_token_env")
        return self

    @property
    def effective_handshakes(self) -> tuple[HandshakeName, ...]:
        if self.handshakes is not None:
            return self.handshakes
        implied: dict[str, HandshakeName] = {
            "slack": "slack",
            "zoom": "zoom",
            "twitch": "twitch",
            "meta": "meta",
        }
        return (implied[self.scheme],) if self.scheme in implied else ()
