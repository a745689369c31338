"""Typed event models built from an OpenAPI 3.1 `webhooks` section, used by the dispatcher."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from apiweld.spec import load
from apiweld.webhooks.handlers import HandlerRegistry, WebhookEvent
from apiweld.webhooks.inbox import IncomingEvent
from apiweld.webhooks.models import LazyModels, event_sources, event_type_field, models_from_api
from apiweld.webhooks.receiver import WebhookReceiver
from apiweld.webhooks.settings import WebhookReceiverSettings

DESCRIPTION = """
openapi: 3.1.0
info: {title: Billing, version: "1"}
paths: {}
components:
  schemas:
    Money:
      type: object
      required: [amount, currency]
      properties:
        amount: {type: integer}
        currency: {type: string, enum: [eur, usd]}
    Node:
      type: object
      properties:
        child: {$ref: "#/components/schemas/Node"}
webhooks:
  invoicePaid:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [type, data]
              properties:
                type: {type: string, const: invoice.paid}
                data: {$ref: "#/components/schemas/Money"}
                tree: {$ref: "#/components/schemas/Node"}
                tags: {type: array, items: {type: string}}
                note: {type: [string, "null"]}
      responses: {"200": {description: ok}}
  customerDeleted:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                id: {type: string}
      responses: {"200": {description: ok}}
"""


def test_models_from_a_description_type_and_dead_letter_bad_payloads(tmp_path: Path) -> None:
    (tmp_path / "billing.yaml").write_text(DESCRIPTION)
    models = models_from_api(load(str(tmp_path / "billing.yaml")))
    # The event type comes from the body's `type` const; without one, the webhook's name.
    assert sorted(models) == ["customerDeleted", "invoice.paid"]
    invoice = models["invoice.paid"].model_validate_json(
        b'{"type": "invoice.paid", "data": {"amount": 3, "currency": "eur"}, "new_field": 1,'
        b' "tree": {"child": {"child": {}}}, "note": null}'
    )
    assert invoice.data.amount == 3  # type: ignore[attr-defined]

    settings = WebhookReceiverSettings(
        secret_env="S", inbox=str(tmp_path / "inbox.db"), max_attempts=5
    )
    receiver = WebhookReceiver(settings, environ={"S": "whsec_" + "QUFB" * 8}, models=models)
    amounts: list[int] = []

    @receiver.on("invoice.paid")
    def paid(event: WebhookEvent) -> None:
        amounts.append(event.data.data.amount)

    def event(event_id: str, body: bytes) -> IncomingEvent:
        return IncomingEvent("default", event_id, "invoice.paid", body, (), None, time.time())

    good = b'{"type": "invoice.paid", "data": {"amount": 7, "currency": "usd"}}'
    bad = b'{"type": "invoice.paid", "data": {"amount": "many", "currency": "gbp"}}'
    receiver.inbox.store([event("e1", good), event("e2", bad)])
    receiver.dispatcher().drain()
    assert amounts == [7]
    # A payload that does not match its model cannot succeed on retry: dead at once.
    dead = receiver.inbox.find("default", "e2")
    assert dead is not None and dead.status == "dead" and dead.attempts == 1
    assert "ValidationError" in (dead.last_error or "")
    receiver.close()


RULES = """
openapi: 3.1.0
info: {title: Rules, version: "1"}
paths: {}
components:
  schemas:
    Base:
      type: object
      properties:
        event: {type: string, enum: [order.created]}
webhooks:
  fromAllOf:
    post:
      requestBody:
        content:
          application/json:
            schema:
              allOf:
                - $ref: "#/components/schemas/Base"
                - {type: object, properties: {total: {type: integer}}}
      responses: {"200": {description: ok}}
  fromVariants:
    post:
      requestBody:
        content:
          application/json:
            schema:
              oneOf:
                - {type: object, properties: {event: {const: order.paid}, card: {type: string}}}
                - {type: object, properties: {event: {const: order.paid}, iban: {type: string}}}
      responses: {"200": {description: ok}}
  disagreeing:
    post:
      requestBody:
        content:
          application/json:
            schema:
              anyOf:
                - {type: object, properties: {event: {const: a}}}
                - {type: object, properties: {event: {const: b}}}
      responses: {"200": {description: ok}}
  camel:
    post:
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {eventType: {const: order.shipped}}}
      responses: {"200": {description: ok}}
  sameAsFirst:
    post:
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {event: {const: order.created}}}
      responses: {"200": {description: ok}}
  formOnly:
    post:
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema: {type: object, properties: {event: {const: form.sent}}}
      responses: {"200": {description: ok}}
"""


def test_event_sources_is_the_rule_models_from_api_follows(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(RULES)
    api = load(str(tmp_path / "rules.yaml"))
    sources = event_sources(api)
    found = [(s.event_type, s.webhook.name, s.type_property) for s in sources]
    assert found == [
        ("order.created", "fromAllOf", "event"),  # through the allOf part (one-value enum)
        ("order.paid", "fromVariants", "event"),  # every oneOf variant agrees
        ("disagreeing", "disagreeing", None),  # variants differ: the webhook's name
        ("order.shipped", "camel", "eventType"),
        # `sameAsFirst` repeats `order.created` (the first wins); `formOnly` has no JSON body.
    ]
    assert list(models_from_api(api)) == [s.event_type for s in sources]
    assert sources[0].schema.all_of  # the body schema as written, not the merged one
    # The body properties disagree (`event`, `eventType`): no one field to read the type from.
    assert event_type_field(sources) is None
    assert event_type_field(sources[:3]) == "body:event"
    assert event_type_field(sources[3:]) == "body:eventType"


def test_lazy_models_import_a_model_only_when_looked_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "lazy_events_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "paid.py").write_text(
        "from pydantic import BaseModel\n\nclass Paid(BaseModel):\n    amount: int\n"
    )
    (package / "nothing.py").write_text("NotAModel = 3\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    models = LazyModels(
        "lazy_events_pkg", {"invoice.paid": (".paid", "Paid"), "odd": (".nothing", "NotAModel")}
    )
    assert len(models) == 2 and list(models) == ["invoice.paid", "odd"]
    assert "invoice.paid" in models and "other" not in models
    assert "lazy_events_pkg.paid" not in sys.modules  # neither iterating nor `in` imports

    registry = HandlerRegistry(models)
    registry.add("*", lambda event: None)
    assert "lazy_events_pkg.paid" not in sys.modules  # a pattern looks no model up
    handler = registry.add("invoice.paid", lambda event: None)
    assert "lazy_events_pkg.paid" in sys.modules
    assert handler.model is models["invoice.paid"]
    assert handler.model.model_validate({"amount": 3}).amount == 3  # type: ignore[attr-defined]
    assert models.get("unknown") is None
    with pytest.raises(TypeError, match="NotAModel, the model of 'odd', is not a pydantic model"):
        models["odd"]
    assert "1 imported" in repr(models)
