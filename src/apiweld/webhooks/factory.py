"""Build a scheme from receiver settings, reading secrets from the environment by name."""

from __future__ import annotations

import os
from collections.abc import Mapping

from apiweld.webhooks._errors import WebhookConfigError
from apiweld.webhooks._generic import GenericHmac, Twitch, Zoom
from apiweld.webhooks.schemes import (
    GitHub,
    Meta,
    Scheme,
    Shopify,
    Slack,
    Square,
    StandardWebhooks,
    Stripe,
    Twilio,
)
from apiweld.webhooks.settings import WebhookReceiverSettings

SCHEMES: dict[str, type[Scheme]] = {
    cls.name: cls
    for cls in (StandardWebhooks, Stripe, GitHub, Slack, Shopify, Twilio, Square, Meta)
}
SCHEMES.update({"twitch": Twitch, "zoom": Zoom, "hmac": GenericHmac})


def read_secret(env_name: str, environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    value = env.get(env_name)
    if not value:
        raise WebhookConfigError(f"environment variable {env_name} (the webhook secret) is not set")
    return value


def build_scheme(
    settings: WebhookReceiverSettings, environ: Mapping[str, str] | None = None
) -> Scheme:
    names = (settings.secret_env, *settings.rotated_secret_envs)
    secrets = [read_secret(name, environ) for name in names]
    return scheme_from_name(
        settings.scheme, secrets, tolerance_seconds=settings.tolerance_seconds, settings=settings
    )


def scheme_from_name(
    name: str,
    secrets: list[str],
    *,
    tolerance_seconds: int = 300,
    settings: WebhookReceiverSettings | None = None,
) -> Scheme:
    if name == "hmac":
        if settings is None or settings.hmac is None:
            raise WebhookConfigError("scheme 'hmac' needs HmacOptions")
        return GenericHmac(secrets, settings.hmac, tolerance_seconds=tolerance_seconds)
    cls = SCHEMES.get(name)
    if cls is None:
        raise WebhookConfigError(f"unknown scheme {name!r}; known: {', '.join(sorted(SCHEMES))}")
    return cls(secrets, tolerance_seconds=tolerance_seconds)
