"""apiweld.webhooks: verify, persist, deduplicate, dispatch, retry and replay incoming webhooks.

Exports are lazy (module `__getattr__`) so that `import apiweld.webhooks.settings`, which
`apiweld.config` does, never imports starlette, psycopg or cryptography.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apiweld.webhooks._errors import (
        InboxError,
        WebhookConfigError,
        WebhookError,
        WebhookVerificationError,
    )
    from apiweld.webhooks._request import WebhookRequest
    from apiweld.webhooks.dispatcher import Dispatcher
    from apiweld.webhooks.factory import build_scheme, scheme_from_name
    from apiweld.webhooks.handlers import NonRetryableError, WebhookEvent, transactional
    from apiweld.webhooks.idempotency import first_time
    from apiweld.webhooks.inbox import open_inbox
    from apiweld.webhooks.models import models_from_api
    from apiweld.webhooks.receiver import WebhookApp, WebhookReceiver
    from apiweld.webhooks.sender import WebhookSender
    from apiweld.webhooks.settings import BackoffSettings, HmacOptions, WebhookReceiverSettings

_EXPORTS: dict[str, str] = {
    "BackoffSettings": "apiweld.webhooks.settings",
    "Dispatcher": "apiweld.webhooks.dispatcher",
    "HmacOptions": "apiweld.webhooks.settings",
    "InboxError": "apiweld.webhooks._errors",
    "NonRetryableError": "apiweld.webhooks.handlers",
    "WebhookApp": "apiweld.webhooks.receiver",
    "WebhookConfigError": "apiweld.webhooks._errors",
    "WebhookError": "apiweld.webhooks._errors",
    "WebhookEvent": "apiweld.webhooks.handlers",
    "WebhookReceiver": "apiweld.webhooks.receiver",
    "WebhookReceiverSettings": "apiweld.webhooks.settings",
    "WebhookRequest": "apiweld.webhooks._request",
    "WebhookSender": "apiweld.webhooks.sender",
    "WebhookVerificationError": "apiweld.webhooks._errors",
    "build_scheme": "apiweld.webhooks.factory",
    "first_time": "apiweld.webhooks.idempotency",
    "models_from_api": "apiweld.webhooks.models",
    "open_inbox": "apiweld.webhooks.inbox",
    "scheme_from_name": "apiweld.webhooks.factory",
    "transactional": "apiweld.webhooks.handlers",
}

__all__ = [
    "BackoffSettings",
    "Dispatcher",
    "HmacOptions",
    "InboxError",
    "NonRetryableError",
    "WebhookApp",
    "WebhookConfigError",
    "WebhookError",
    "WebhookEvent",
    "WebhookReceiver",
    "WebhookReceiverSettings",
    "WebhookRequest",
    "WebhookSender",
    "WebhookVerificationError",
    "build_scheme",
    "first_time",
    "models_from_api",
    "open_inbox",
    "scheme_from_name",
    "transactional",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'apiweld.webhooks' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
