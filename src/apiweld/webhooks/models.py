"""Typed event models from a description's `webhooks` section (OpenAPI 3.1), at run time.

`models_from_api(api)` gives the mapping event type -> pydantic model that `WebhookReceiver`
(or `receiver.on(..., model=...)`) takes; `event.data` is then validated into it. Generated
packages supply their own models instead (`<package>.webhooks.EVENTS`, a `LazyModels`): any
mapping to pydantic models works.

The event type of a webhook is read from its body schema: a `type`/`event`/`event_type`/
`eventType` property whose schema is a `const` or a one-value `enum` (in the body, its `allOf`
parts, or every one of its `oneOf`/`anyOf` variants alike); otherwise the webhook's name is
used. `event_sources` is that rule, the one place it is written: the run-time models and the
generated packages both follow it. Models allow extra properties: providers add fields without
notice and an event must not be dead-lettered for it.

Imports stay pydantic-only: a generated package's `webhooks` module imports `LazyModels`.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

if TYPE_CHECKING:
    from apiweld.spec.ir import Api, Operation, Property, Schema, Webhook

TYPE_PROPERTIES = ("type", "event", "event_type", "eventType")
_MAX_DEPTH = 12
_SCALARS: dict[str, Any] = {"string": str, "integer": int, "number": float, "boolean": bool}


@functools.cache
def _event_model() -> type[BaseModel]:
    """The base of run-time event models, made on first use: defining a model class loads
    pydantic's plugin machinery (about 0.1 s), which importing this module for `LazyModels`
    (every generated `webhooks` module does) must not pay."""

    class _EventModel(BaseModel):
        model_config = ConfigDict(extra="allow", populate_by_name=True)

    return _EventModel


def _class_name(text: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", text) or ["Event"]
    name = "".join(w[:1].upper() + w[1:] for w in words)
    return name if name[0].isalpha() else f"Event{name}"


def merge_all_of(api: Api, schema: Schema, depth: int = 0) -> Schema:
    """`allOf` flattened into one object schema: every part's properties, a property required
    when any part requires it, the last part's schema for a property defined twice (GitHub's
    descriptions narrow `created_at` that way)."""
    from dataclasses import replace

    merged: dict[str, Property] = {p.name: p for p in schema.properties}
    required_names = list(schema.required_extra)
    for part in schema.all_of:
        resolved = api.resolve(part)
        if resolved.all_of and depth < _MAX_DEPTH:
            resolved = merge_all_of(api, resolved, depth + 1)
        required_names.extend(resolved.required_extra)
        for prop in resolved.properties:
            earlier = merged.get(prop.name)
            required = prop.required or (earlier is not None and earlier.required)
            merged[prop.name] = replace(prop, required=required)
    # A name required in one part and defined in another is a required property.
    unplaced: list[str] = []
    for name in dict.fromkeys(required_names):
        found = merged.get(name)
        if found is None:
            unplaced.append(name)
        elif not found.required:
            merged[name] = replace(found, required=True)
    return replace(
        schema,
        all_of=(),
        properties=tuple(merged.values()),
        required_extra=tuple(unplaced),
        types=("object",),
    )


class _Builder:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.named: dict[str, Any] = {}
        self.in_progress: set[str] = set()

    def annotation(self, schema: Schema, hint: str, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            return Any
        if schema.ref is not None:
            if schema.ref in self.named:
                return self.named[schema.ref]
            if schema.ref in self.in_progress:  # recursion: typed loosely, never unbounded
                return Any
            self.in_progress.add(schema.ref)
            built = self.annotation(self.api.resolve(schema), schema.ref, depth + 1)
            self.in_progress.discard(schema.ref)
            self.named[schema.ref] = built
            return built
        base = self._base(schema, hint, depth)
        return Optional[base] if schema.nullable and base is not Any else base  # noqa: UP045

    def _base(self, schema: Schema, hint: str, depth: int) -> Any:
        if schema.has_const and isinstance(schema.const, str | int | bool):
            return Literal[schema.const]
        if schema.enum and all(isinstance(v, str | int | bool) for v in schema.enum):
            return Literal[tuple(v for v in schema.enum)]
        choices = schema.one_of or schema.any_of
        if choices:
            members = tuple(
                self.annotation(c, f"{hint}Option{i}", depth + 1) for i, c in enumerate(choices)
            )
            return Any if Any in members else Union[members]  # noqa: UP007
        if schema.all_of:
            return self._object(self._merged(schema), hint, depth)
        kinds = schema.non_null_types or (("object",) if schema.properties else ())
        if len(kinds) != 1:
            return Any
        kind = kinds[0]
        if kind in _SCALARS:
            return _SCALARS[kind]
        if kind == "array":
            item = self.annotation(schema.items, f"{hint}Item", depth + 1) if schema.items else Any
            return list[item]  # type: ignore[valid-type]
        if kind == "object":
            if not schema.properties and isinstance(schema.additional_properties, type(schema)):
                value = self.annotation(schema.additional_properties, f"{hint}Value", depth + 1)
                return dict[str, value]  # type: ignore[valid-type]
            return self._object(schema, hint, depth)
        return Any

    def _merged(self, schema: Schema) -> Schema:
        return merge_all_of(self.api, schema)

    def _object(self, schema: Schema, hint: str, depth: int) -> Any:
        if not schema.properties:
            return dict[str, Any]
        fields: dict[str, Any] = {}
        for prop in schema.properties:
            annotation = self.annotation(prop.schema, f"{hint}{_class_name(prop.name)}", depth + 1)
            if prop.required:
                fields[prop.py_name] = (annotation, Field(alias=prop.name))
            else:
                optional = annotation if annotation is Any else Optional[annotation]  # noqa: UP045
                fields[prop.py_name] = (optional, Field(None, alias=prop.name))
        return create_model(_class_name(schema.name or hint), __base__=_event_model(), **fields)


def _constant(schema: Schema) -> str | None:
    """The one string a schema allows (`const`, or an `enum` of one), else None."""
    if schema.has_const and isinstance(schema.const, str):
        return schema.const
    if schema.enum and len(schema.enum) == 1 and isinstance(schema.enum[0], str):
        return schema.enum[0]
    return None


def _pinned_property(
    api: Api, schema: Schema, names: tuple[str, ...], depth: int = 0
) -> tuple[str | None, str] | None:
    """(property, value) for the first property among `names` that the body schema pins to
    one string, looking into every `oneOf`/`anyOf` variant (all must agree on the value; the
    property is None when they pin it through different properties)."""
    resolved = api.resolve(schema)
    for prop in resolved.properties:
        if prop.name in names:
            constant = _constant(api.resolve(prop.schema))
            if constant is not None:
                return prop.name, constant
    variants = resolved.one_of or resolved.any_of
    if variants and depth < _MAX_DEPTH:
        found = [_pinned_property(api, variant, names, depth + 1) for variant in variants]
        values = {item[1] if item else None for item in found}
        if len(values) == 1 and found[0] is not None:
            properties = {item[0] for item in found if item is not None}
            return (properties.pop() if len(properties) == 1 else None), found[0][1]
    return None


def _constant_property(api: Api, schema: Schema, names: tuple[str, ...]) -> str | None:
    """The constant value of the first of `names` the body schema pins (see `_pinned_property`)."""
    pinned = _pinned_property(api, schema, names)
    return pinned[1] if pinned else None


EventKey = Callable[["Api", "Webhook", "Operation", "Schema"], "str | None"]
"""Names the event type a webhook's model is for (None: the default rule)."""


def github_event_key(
    api: Api, webhook: Webhook, operation: Operation, schema: Schema
) -> str | None:
    """GitHub's event types as the `github` scheme reports them: `issue_comment.deleted`
    (`X-GitHub-Event`, from the description's `x-github.subcategory`, then the `action`)."""
    meta = operation.extensions.get("x-github")
    event = meta.get("subcategory") if isinstance(meta, dict) else None
    if not isinstance(event, str):
        return None
    action = _constant_property(api, schema, ("action",))
    return f"{event}.{action}" if action else event


@dataclass(frozen=True, slots=True)
class ProviderRouting:
    """How a provider's own webhook scheme names the events of a description that says (by a
    vendor extension) it is that provider's: the receiver's scheme and the `key` naming events
    the way that scheme reports them."""

    scheme: str
    key: EventKey
    event_header: str
    """The header the scheme reads the event's first part from (`X-GitHub-Event`)."""
    qualifier: str | None
    """The body property that qualifies it (`action`: `issues.opened`), if any."""


def provider_routing(api: Api) -> ProviderRouting | None:
    """The provider routing a description declares: GitHub's (`x-github` on its webhook
    operations, as in GitHub's published descriptions); None for any other description."""
    for webhook in api.webhooks:
        for operation in webhook.operations:
            meta = operation.extensions.get("x-github")
            if isinstance(meta, dict) and isinstance(meta.get("subcategory"), str):
                return ProviderRouting("github", github_event_key, "X-GitHub-Event", "action")
    return None


@dataclass(frozen=True, slots=True)
class EventSource:
    """One event type of a description and the webhook body its model is built from."""

    event_type: str
    webhook: Webhook
    operation: Operation
    schema: Schema
    """The JSON body schema as the description writes it (a `$ref` stays a `$ref`)."""
    type_property: str | None
    """The body property whose constant is the event type; None when `key` or the webhook's
    name gave it."""


def event_sources(api: Api, *, key: EventKey | None = None) -> list[EventSource]:
    """Every event type of the description's 3.1 webhooks with a JSON body, in order.

    The event type is `key(api, webhook, operation, body schema)` when given and not None,
    else the body's `type`/`event`/`event_type`/`eventType` constant, else the webhook's name.
    One source per event type: when two webhooks name the same type, the first one wins.
    """
    sources: list[EventSource] = []
    seen: set[str] = set()
    for webhook in api.webhooks:
        if webhook.kind != "webhook":
            continue
        for operation in webhook.operations:
            content = operation.request_body.content if operation.request_body else ()
            media = next((m for m in content if "json" in m.media_type), None)
            if media is None or media.schema is None:
                continue
            resolved = api.resolve(media.schema)
            if resolved.all_of:
                resolved = merge_all_of(api, resolved)
            keyed = key(api, webhook, operation, resolved) if key else None
            pinned = None if keyed else _pinned_property(api, resolved, TYPE_PROPERTIES)
            event_type = keyed or (pinned[1] if pinned else None) or webhook.name
            if event_type in seen:
                continue
            seen.add(event_type)
            prop = pinned[0] if pinned else None
            sources.append(EventSource(event_type, webhook, operation, media.schema, prop))
    return sources


def event_type_field(sources: list[EventSource]) -> str | None:
    """The receiver's `event_type` field source (`body:event`) when every event whose type a
    body property carries uses the same property; None when none does or they differ."""
    properties = {s.type_property for s in sources if s.type_property is not None}
    if len(properties) != 1 or any(
        s.type_property is None and s.event_type != s.webhook.name for s in sources
    ):
        return None
    prop = properties.pop()
    if "." in prop or prop.startswith("/") or not prop:
        return "body:/" + prop.replace("~", "~0").replace("/", "~1")
    return f"body:{prop}"


class EventModels(Mapping[str, type[BaseModel]]):
    """Event type -> model, each model built on first use: a description with hundreds of
    webhooks (GitHub's has 261) costs nothing for the events a receiver never handles."""

    def __init__(
        self, api: Api, sources: dict[str, tuple[Schema, str]], webhooks: dict[str, str]
    ) -> None:
        self._builder = _Builder(api)
        self._sources = sources
        self._built: dict[str, type[BaseModel]] = {}
        self.webhooks = webhooks
        """Event type -> the name of the webhook in the description it was built from."""

    def __getitem__(self, event_type: str) -> type[BaseModel]:
        model = self._built.get(event_type)
        if model is None:
            schema, hint = self._sources[event_type]
            built = self._builder.annotation(schema, hint)
            if isinstance(built, type) and issubclass(built, BaseModel):
                model = built
            else:  # a body that is not an object (a list, a scalar): validated all the same
                from pydantic import RootModel  # defining it costs 0.1 s (see `_event_model`)

                model = create_model(hint, __base__=RootModel[built])  # type: ignore[valid-type]
            self._built[event_type] = model
        return model

    def __iter__(self) -> Iterator[str]:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)


def models_from_api(api: Api, *, key: EventKey | None = None) -> EventModels:
    """Event type -> model for every 3.1 webhook with a JSON body (built lazily).

    The event type follows `event_sources` with `key`; without one, with the key of the
    provider the description declares (`provider_routing`: GitHub's `issues.opened`, as its
    scheme reports them), so these models and a generated package's `EVENTS` agree.
    """
    if key is None:
        routing = provider_routing(api)
        key = routing.key if routing is not None else None
    sources: dict[str, tuple[Schema, str]] = {}
    names: dict[str, str] = {}
    for source in event_sources(api, key=key):
        sources[source.event_type] = (source.schema, _class_name(source.webhook.py_name))
        names[source.event_type] = source.webhook.name
    return EventModels(api, sources, names)


class LazyModels(Mapping[str, type[BaseModel]]):
    """Event type -> model class, each imported from its module on first lookup.

    A generated package's `EVENTS`: GitHub's description has 261 events, and a receiver that
    handles three of them imports three models' modules, not all of them.
    `where` maps an event type to (module, class name); relative modules resolve against
    `package`.
    """

    __slots__ = ("_loaded", "_package", "_where")

    def __init__(self, package: str | None, where: Mapping[str, tuple[str, str]]) -> None:
        self._package = package
        self._where = where
        self._loaded: dict[str, type[BaseModel]] = {}

    def __getitem__(self, event_type: str) -> type[BaseModel]:
        model = self._loaded.get(event_type)
        if model is None:
            module, name = self._where[event_type]
            value = getattr(importlib.import_module(module, self._package), name)
            if not (isinstance(value, type) and issubclass(value, BaseModel)):
                raise TypeError(
                    f"{module}.{name}, the model of {event_type!r}, is not a pydantic model"
                )
            model = self._loaded[event_type] = value
        return model

    def __contains__(self, event_type: object) -> bool:
        return event_type in self._where  # without importing the model

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)

    def __repr__(self) -> str:
        return f"LazyModels({len(self._where)} events, {len(self._loaded)} imported)"
