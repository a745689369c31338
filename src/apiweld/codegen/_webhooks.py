"""The parser half of `<package>/webhooks.py`: the description's webhooks -> a render model.

Each event type (the rule is `apiweld.webhooks.models.event_sources`, shared with the run-time
models, so a generated package and `models_from_api` agree on every key) gets a constant and a
payload class. Payload classes come from the same `TypeBuilder` as every other model, so they
land in `models/` beside them: a body that is an object (named or inline) is its model class; a
body of any other shape (an array, a union, a scalar, an enum, a nullable object) gets a
`RootModel` subclass of its own, in its own module under `models/`, so `event.data` is typed
and validated whatever the shape.

Two steps, because the `TypeBuilder` names classes before it builds them: `plan` (before
`types.drain()`) asks for every payload's type, which names the classes it needs; `finish`
(after it) decides which payloads need a root class and names those against every class and
module that now exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from apiweld.spec.ir import Api
from apiweld.webhooks.models import (
    ProviderRouting,
    event_sources,
    event_type_field,
    provider_routing,
)

from ._names import (
    ANNOTATION_BUILTINS,
    comment_text,
    docstring_body,
    file_stem,
    pascal_case,
    py_literal,
    safe_identifier,
    snake_case,
    unique,
    upper_snake,
)
from ._types import ModelDef, TypeBuilder

# Names `webhooks.py` binds itself: an event constant must never rebind one of them.
_MODULE_NAMES = frozenset(
    {
        "EVENTS",
        "LazyModels",
        "Mapping",
        "SchemeName",
        "WebhookReceiver",
        "WebhookReceiverSettings",
        "receiver",
    }
)

_STANDARD_EVENT_TYPE = "body:type"
"""Where the default scheme (Standard Webhooks) reads the event type; see `schemes.py`."""


@dataclass
class EventDef:
    event_type: str
    constant: str
    """The event type's constant in `webhooks.py` (`PET_ADOPTED`)."""
    literal: str
    """The event type as a Python string literal."""
    label: str
    """The event type, escaped for a docstring."""
    doc: str
    """The webhook's summary, escaped for a docstring."""
    annotation: str
    """The payload's type expression."""
    refs: set[str]
    hint: str
    """What the payload's classes are named after (`PetAdoptedEvent`)."""
    class_name: str = ""
    """The payload's model class (a `TypeBuilder` class, or the root class made for it)."""
    module: str = ""
    """The module under `models/` that defines `class_name`."""
    root: bool = False
    """The payload is not a model class: `class_name` is a `RootModel[annotation]`."""


@dataclass
class WebhooksDef:
    events: list[EventDef]
    secret_env: str
    """Literal: the environment variable the receiver reads its secret from by default."""
    inbox: str
    """Literal: the default inbox (a SQLite file under `.apiweld/`)."""
    name: str
    """Literal: the receiver's name in the inbox."""
    event_type: str
    """Literal: the default `event_type` field source (`None` for the scheme's own)."""
    scheme: str = "'standard'"
    """Literal: the default scheme (the provider's own when the description declares one)."""
    roots: list[EventDef] = field(default_factory=list)


class WebhookBuilder:
    """Plans the events before the `TypeBuilder` drains, then completes them after."""

    def __init__(self, api: Api, types: TypeBuilder) -> None:
        self.api = api
        self.types = types
        self._events: list[EventDef] = []
        self._field: str | None = None
        self._routing: ProviderRouting | None = None

    def plan(self) -> bool:
        """Ask the `TypeBuilder` for every payload type; False when there is no event."""
        self._routing = provider_routing(self.api)
        key = self._routing.key if self._routing is not None else None
        sources = event_sources(self.api, key=key)
        taken: set[str] = set(_MODULE_NAMES)
        for source in sources:
            refs: set[str] = set()
            hint = f"{pascal_case(source.webhook.py_name, 'Webhook')}Event"
            annotation = self.types.type_of(source.schema, hint, "output", refs)
            summary = source.operation.summary or source.operation.description
            constant = unique(upper_snake(source.event_type, "EVENT"), taken)
            self._events.append(
                EventDef(
                    event_type=source.event_type,
                    constant=constant,
                    literal=py_literal(source.event_type),
                    label=docstring_body(comment_text(source.event_type, limit=120)),
                    doc=docstring_body(comment_text(summary, limit=200)),
                    annotation=annotation,
                    refs=refs,
                    hint=hint,
                )
            )
        # A provider's scheme reads event types where that provider sends them.
        self._field = event_type_field(sources) if self._routing is None else None
        return bool(self._events)

    def finish(
        self, package: str, env_prefix: str, class_module: dict[str, str], modules: set[str]
    ) -> WebhooksDef:
        """Name the root classes (recorded in `class_module`, their modules in `modules`)."""
        taken_classes = set(self.types.class_names) | set(self.types.classes)
        roots: list[EventDef] = []
        for event in self._events:
            built = self.types.classes.get(event.annotation)
            if isinstance(built, ModelDef):
                event.class_name = event.annotation
                event.module = class_module[event.annotation]
                continue
            base = safe_identifier(event.hint, "WebhookEvent", ANNOTATION_BUILTINS)
            event.class_name = unique(base, taken_classes)
            event.module = unique(file_stem(snake_case(event.class_name, "payload")), modules)
            event.root = True
            class_module[event.class_name] = event.module
            roots.append(event)
        field_source = self._field if self._field != _STANDARD_EVENT_TYPE else None
        return WebhooksDef(
            events=self._events,
            secret_env=py_literal(f"{env_prefix}_WEBHOOK_SECRET"),
            inbox=py_literal(f".apiweld/{package}/webhooks.sqlite3"),
            name=py_literal(package),
            event_type=py_literal(field_source) if field_source else "None",
            scheme=py_literal(self._routing.scheme if self._routing else "standard"),
            roots=roots,
        )
