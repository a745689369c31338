"""Handlers per event type, and the event object they receive."""

from __future__ import annotations

import builtins
import fnmatch
import importlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel

from apiweld.webhooks._errors import WebhookConfigError, WebhookError

HandlerFunc = Callable[["WebhookEvent"], Any]
F = TypeVar("F", bound=HandlerFunc)

_TRANSACTIONAL_ATTR = "__apiweld_transactional__"


class NonRetryableError(WebhookError):
    """Raise from a handler when retrying cannot help: the event is dead-lettered at once."""


def transactional(func: F) -> F:
    """Mark a handler to run inside the inbox transaction that marks its event done.

    The handler gets `event.connection` (sqlite3 or psycopg connection, in an open
    transaction): what it writes there commits together with the done mark, or not at all.
    That is exactly-once handling for effects kept in the inbox's database. Write only through
    `event.connection`: with SQLite, another connection writing the same file would wait for
    this transaction's lock.
    """
    setattr(func, _TRANSACTIONAL_ATTR, True)
    return func


@dataclass(slots=True)
class WebhookEvent:
    """One delivery of a stored event to a handler.

    Delivery is at-least-once: a handler may see an event again after a crash or a failed
    attempt. Effects in the inbox's database are made exactly-once with `@transactional`; for
    effects elsewhere, pass `event_id` (stable across redeliveries and retries) as the
    downstream call's idempotency key.
    """

    pk: int
    """The inbox's id for the event."""
    event_id: str
    """The provider's event id (the deduplication key)."""
    type: str
    receiver: str
    attempt: int
    received_at: float
    body: bytes
    headers: tuple[tuple[str, str], ...]
    model: builtins.type[BaseModel] | None = None
    connection: Any = None
    """For `@transactional` handlers: the database connection, inside the open transaction."""
    _parsed: Any = field(default=None, repr=False)
    _typed: Any = field(default=None, repr=False)

    def json(self) -> Any:
        """The body parsed as JSON (cached)."""
        if self._parsed is None:
            self._parsed = orjson.loads(self.body)
        return self._parsed

    @property
    def data(self) -> Any:
        """The typed model when one is registered for the event type, else the parsed JSON."""
        if self.model is None:
            return self.json()
        if self._typed is None:
            self._typed = self.model.model_validate_json(self.body)
        return self._typed

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)


@dataclass(frozen=True, slots=True)
class Handler:
    pattern: str
    func: HandlerFunc
    model: type[BaseModel] | None = None
    transactional: bool = False

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.func)

    @property
    def name(self) -> str:
        return f"{getattr(self.func, '__module__', '?')}.{getattr(self.func, '__qualname__', '?')}"


class HandlerRegistry:
    """One handler per event type; `*` patterns (`invoice.*`, `*`) match what has no exact one."""

    def __init__(self, models: Mapping[str, type[BaseModel]] | None = None) -> None:
        self._exact: dict[str, Handler] = {}
        self._patterns: list[Handler] = []
        # Kept as given, not copied: a lazy mapping (a generated package's `EVENTS`) imports
        # a model's module only when `add` looks its event type up.
        self.models: Mapping[str, type[BaseModel]] = {} if models is None else models

    def on(
        self,
        event_type: str,
        *,
        model: type[BaseModel] | None = None,
        transactional: bool | None = None,
    ) -> Callable[[F], F]:
        """Decorator: `@receiver.on("invoice.paid")`."""

        def register(func: F) -> F:
            self.add(event_type, func, model=model, transactional=transactional)
            return func

        return register

    def add(
        self,
        event_type: str,
        func: HandlerFunc,
        *,
        model: type[BaseModel] | None = None,
        transactional: bool | None = None,
    ) -> Handler:
        in_tx = (
            bool(getattr(func, _TRANSACTIONAL_ATTR, False))
            if transactional is None
            else transactional
        )
        handler = Handler(event_type, func, model or self.models.get(event_type), in_tx)
        if handler.transactional and handler.is_async:
            raise WebhookConfigError(
                f"handler {handler.name}: a transactional handler must be synchronous "
                "(it writes through the inbox's synchronous connection)"
            )
        existing = self._exact.get(event_type) or next(
            (h for h in self._patterns if h.pattern == event_type), None
        )
        if existing is not None:
            raise WebhookConfigError(
                f"event type {event_type!r} already has a handler ({existing.name}); "
                "one handler per type keeps retries from re-running the others"
            )
        if "*" in event_type or "?" in event_type:
            self._patterns.append(handler)
        else:
            self._exact[event_type] = handler
        return handler

    def add_dotted(self, event_type: str, target: str) -> Handler:
        """Register `package.module:function` (as written in apiweld.toml)."""
        module_name, _, attr = target.partition(":")
        try:
            module = importlib.import_module(module_name)
            func = module
            for part in (attr or "").split("."):
                if part:
                    func = getattr(func, part)
        except (ImportError, AttributeError) as exc:
            raise WebhookConfigError(f"handler {target!r} for {event_type!r}: {exc}") from None
        if not callable(func):
            raise WebhookConfigError(f"handler {target!r} for {event_type!r} is not callable")
        return self.add(event_type, func)

    def find(self, event_type: str) -> Handler | None:
        exact = self._exact.get(event_type)
        if exact is not None:
            return exact
        # The most specific pattern wins: the longest, so "invoice.*" beats "*".
        matches = [h for h in self._patterns if fnmatch.fnmatchcase(event_type, h.pattern)]
        return max(matches, key=lambda h: len(h.pattern), default=None)

    def __len__(self) -> int:
        return len(self._exact) + len(self._patterns)
