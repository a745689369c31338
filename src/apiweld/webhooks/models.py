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
from typing import TYPE_CHECKING, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

if TYPE_CHECKING:
    from apiweld.spec.ir import Api, Schema

TYPE_PROPERTIES = ("type", "event", "event_type", "eventType")
_MAX_DEPTH = 12
_SCALARS: dict[str, Any] = {"string": str, "integer": int, "number": float, "boolean": bool}


class _EventModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


def _class_name(text: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", text) or ["Event"]
    name = "".join(w[:1].upper() + w[1:] for w in words)
    return name if name[0].isalpha() else f"Event{name}"


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
        from dataclasses import replace

        properties = list(schema.properties)
        for part in schema.all_of:
            resolved = self.api.resolve(part)
            if resolved.all_of:
                resolved = self._merged(resolved)
            properties.extend(resolved.properties)
        unique = {p.name: p for p in properties}
        return replace(schema, all_of=(), properties=tuple(unique.values()), types=("object",))

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


def _event_type(api: Api, schema: Schema) -> str | None:
    resolved = api.resolve(schema)
    for prop in resolved.properties:
        if prop.name not in TYPE_PROPERTIES:
            continue
        target = api.resolve(prop.schema)
        if target.has_const and isinstance(target.const, str):
            return target.const
        if target.enum and len(target.enum) == 1 and isinstance(target.enum[0], str):
            return str(target.enum[0])
    return None


def models_from_api(api: Api) -> dict[str, type[BaseModel]]:
    """Event type (or webhook name) -> model, for every 3.1 webhook with a JSON body."""
    builder = _Builder(api)
    models: dict[str, type[BaseModel]] = {}
    for webhook in api.webhooks:
        if webhook.kind != "webhook":
            continue
        for operation in webhook.operations:
            body = operation.request_body
            media = (
                next((m for m in body.content if "json" in m.media_type), None) if body else None
            )
            if media is None or media.schema is None:
                continue
            model = builder.annotation(media.schema, _class_name(webhook.py_name))
            if not (isinstance(model, type) and issubclass(model, BaseModel)):
                continue
            models.setdefault(_event_type(api, media.schema) or webhook.name, model)
    return models
