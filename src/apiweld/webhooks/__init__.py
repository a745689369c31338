"""apiweld.webhooks: verify, persist, deduplicate, dispatch, retry and replay incoming webhooks.

Exports are lazy (module `__getattr__`) so that `import apiweld.webhooks.settings`, which
`apiweld.config` does, never imports starlette, psycopg or cryptography.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apiweld.webhooks.settings import BackoffSettings, HmacOptions, WebhookReceiverSettings

_EXPORTS: dict[str, str] = {
    "WebhookReceiverSettings": "apiweld.webhooks.settings",
    "HmacOptions": "apiweld.webhooks.settings",
    "BackoffSettings": "apiweld.webhooks.settings",
}

__all__ = ["BackoffSettings", "HmacOptions", "WebhookReceiverSettings"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'apiweld.webhooks' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
