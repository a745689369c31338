"""Typed event models built from an OpenAPI 3.1 `webhooks` section, used by the dispatcher."""

from __future__ import annotations

import time
from pathlib import Path

from apiweld.spec import load
from apiweld.webhooks.handlers import WebhookEvent
from apiweld.webhooks.inbox import IncomingEvent
from apiweld.webhooks.models import models_from_api
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
