"""Typed event models from a description's `webhooks` section (OpenAPI 3.1), at run time.

`models_from_api(api)` gives the mapping event type -> pydantic model that `WebhookReceiver`
(or `receiver.on(..., model=...)`) takes; `event.data` is then validated into it. Generated
packages may supply their own models instead: any mapping to pydantic models works.

The event type of a webhook is read from its body schema: a `type`/`event`/`event_type`
property whose schema is a `const` or a one-value `enum`; otherwise the webhook's name is used.
Models allow extra properties: providers add fields without notice and an event must not be
dead-lettered for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, RootModel, create_model

if TYPE_CHECKING:
    from apiweld.spec.ir import Api, Operation, Property, Schema, Webhook

TYPE_PROPERTIES = ("type", "event", "event_type", "eventType")
_MAX_DEPTH = 12
_SCALARS: dict[str, Any] = {"string": str, "integer": int, "number": float, "boolean": bool}


class _EventModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


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
    for part in schema.all_of:
        resolved = api.resolve(part)
        if resolved.all_of and depth < _MAX_DEPTH:
            resolved = merge_all_of(api, resolved, depth + 1)
        for prop in resolved.properties:
            earlier = merged.get(prop.name)
            required = prop.required or (earlier is not None and earlier.required)
            merged[prop.name] = replace(prop, required=required)
    return replace(schema, all_of=(), properties=tuple(merged.values()), types=("object",))


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
        return create_model(_class_name(schema.name or hint), __base__=_EventModel, **fields)


def _constant(schema: Schema) -> str | None:
    """The one string a schema allows (`const`, or an `enum` of one), else None."""
    if schema.has_const and isinstance(schema.const, str):
        return schema.const
    if schema.enum and len(schema.enum) == 1 and isinstance(schema.enum[0], str):
        return schema.enum[0]
    return None


def _constant_property(api: Api, schema: Schema, names: tuple[str, ...]) -> str | None:
    """The constant value of the first of `names` the body schema pins, looking into every
    `oneOf`/`anyOf` variant (all must agree) when the properties are there."""
    resolved = api.resolve(schema)
    for prop in resolved.properties:
        if prop.name in names:
            constant = _constant(api.resolve(prop.schema))
            if constant is not None:
                return constant
    variants = resolved.one_of or resolved.any_of
    if variants:
        found = {_constant_property(api, variant, names) for variant in variants}
        if len(found) == 1:
            return found.pop()
    return None


def _event_type(api: Api, schema: Schema) -> str | None:
    return _constant_property(api, schema, TYPE_PROPERTIES)


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
                model = create_model(hint, __base__=RootModel[built])  # type: ignore[valid-type]
            self._built[event_type] = model
        return model

    def __iter__(self) -> Iterator[str]:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)


def models_from_api(api: Api, *, key: EventKey | None = None) -> EventModels:
    """Event type -> model for every 3.1 webhook with a JSON body (built lazily).

    The event type is `key(webhook, operation, body schema)` when given and not None, else the
    body's `type`/`event` const, else the webhook's name.
    """
    sources: dict[str, tuple[Schema, str]] = {}
    names: dict[str, str] = {}
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
            event_type = (
                (key(api, webhook, operation, resolved) if key else None)
                or _event_type(api, resolved)
                or webhook.name
            )
            if event_type not in sources:
                sources[event_type] = (media.schema, _class_name(webhook.py_name))
                names[event_type] = webhook.name
    return EventModels(api, sources, names)
