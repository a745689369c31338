"""Example event bodies from a description's `webhooks` (3.1) or callbacks, for `webhooks send`.

An explicit example (media type `examples`, then the schema's `examples`/`default`) is used as
is; otherwise a minimal valid value is built from the schema: required properties only, the
first enum value, the lower bound of a range. Recursion is cut at a fixed depth.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from apiweld.webhooks._errors import WebhookConfigError

if TYPE_CHECKING:
    from apiweld.spec.ir import Api, Schema, Webhook

MAX_DEPTH = 8
_STRING_FORMATS = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "00:00:00Z",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "hostname": "example.com",
}


def find_webhook(api: Api, name: str) -> Webhook:
    for webhook in api.webhooks:
        if name in (webhook.name, webhook.py_name):
            return webhook
    known = ", ".join(w.name for w in api.webhooks) or "none"
    raise WebhookConfigError(f"the description has no webhook {name!r} (it has: {known})")


def webhook_example(api: Api, name: str) -> Any:
    """A JSON value for the request body of webhook `name`."""
    webhook = find_webhook(api, name)
    for operation in webhook.operations:
        body = operation.request_body
        if body is None:
            continue
        media = next((m for m in body.content if "json" in m.media_type), None) or (
            body.content[0] if body.content else None
        )
        if media is None:
            continue
        for example in media.examples:
            if example.value is not None:
                return example.value
        if media.schema is not None:
            return example_from_schema(api, media.schema)
    raise WebhookConfigError(f"webhook {name!r} declares no request body to build an event from")


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def _fits(value: Any, schema: Schema) -> bool:
    if not schema.types:
        return True
    if value is None:
        return "null" in schema.types
    if isinstance(value, bool):
        return "boolean" in schema.types
    return any(isinstance(value, _JSON_TYPES.get(t, ())) for t in schema.types)


def example_from_schema(api: Api, schema: Schema, depth: int = 0) -> Any:
    if schema.ref is not None:
        schema = api.resolve(schema)
    # Descriptions carry wrong examples (an array's item as the array's example): only a value
    # of the schema's own type is used.
    for candidate in (*schema.examples, *((schema.default,) if schema.has_default else ())):
        if _fits(candidate, schema):
            return candidate
    if schema.has_const:
        return schema.const
    if schema.enum:
        return schema.enum[0]
    if depth >= MAX_DEPTH:
        return None
    if schema.all_of:
        from apiweld.webhooks.models import merge_all_of

        return example_from_schema(api, merge_all_of(api, schema), depth + 1)
    for choices in (schema.one_of, schema.any_of):
        if choices:
            return example_from_schema(api, choices[0], depth + 1)
    types = schema.non_null_types or (("object",) if schema.properties else ())
    kind = types[0] if types else None
    if kind == "object":
        return {
            prop.name: example_from_schema(api, prop.schema, depth + 1)
            for prop in schema.properties
            if prop.required
        }
    if kind == "array":
        item = example_from_schema(api, schema.items, depth + 1) if schema.items else None
        return [item] * max(schema.min_items or 0, 1 if item is not None else 0)
    if kind == "string":
        text = _STRING_FORMATS.get(schema.format or "", "string")
        return text.ljust(schema.min_length or 0, "x")
    if kind in ("integer", "number"):
        low = schema.minimum if schema.minimum is not None else schema.exclusive_minimum
        value = (low or 0) + (1 if schema.exclusive_minimum is not None else 0)
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return True
    return None
