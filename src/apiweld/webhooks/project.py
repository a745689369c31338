"""Receivers as a project declares them in apiweld.toml (`[webhooks.<name>]` tables)."""

from __future__ import annotations

from pathlib import Path

from apiweld.webhooks._errors import WebhookConfigError
from apiweld.webhooks.settings import WebhookReceiverSettings


def _resolve_inbox(settings: WebhookReceiverSettings, root: Path) -> str:
    url = settings.inbox
    if "://" in url and not url.startswith("sqlite://"):
        return url
    path = Path(url.removeprefix("sqlite://"))
    return str(path if path.is_absolute() else root / path)


def handler_root(config_path: str | Path | None = None) -> Path:
    """The folder handler modules (`handlers = {...}`) are imported from: apiweld.toml's own,
    as uvicorn imports apps from the working folder."""
    from apiweld.config import find_config

    path = Path(config_path) if config_path else find_config()
    return (path.parent if path else Path.cwd()).resolve()


def load_receivers(
    config_path: str | Path | None = None, names: tuple[str, ...] = ()
) -> list[WebhookReceiverSettings]:
    """The receivers of apiweld.toml (all, or those named), with relative inbox paths resolved
    against the file's folder and each receiver named by its table key."""
    from apiweld.config import find_config, load_config

    path = Path(config_path) if config_path else find_config()
    if path is None:
        raise WebhookConfigError("no apiweld.toml here; pass --config PATH")
    config = load_config(path)  # raises ConfigError naming file and key path
    if not config.webhooks:
        raise WebhookConfigError(f"{path}: no [webhooks.<name>] receiver is configured")
    unknown = [n for n in names if n not in config.webhooks]
    if unknown:
        known = ", ".join(sorted(config.webhooks))
        raise WebhookConfigError(f"{path}: no receiver {', '.join(unknown)} (known: {known})")
    chosen = names or tuple(config.webhooks)
    root = config.root_dir
    receivers = []
    for name in chosen:
        settings = config.webhooks[name]
        name_value = settings.name if settings.name != "default" else name
        receivers.append(
            settings.model_copy(
                update={"name": name_value, "inbox": _resolve_inbox(settings, root)}
            )
        )
    return receivers
