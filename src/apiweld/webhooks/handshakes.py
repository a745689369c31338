"""Subscription handshakes: requests that prove we own the URL, answered and never stored.

Microsoft Graph and Meta send theirs unsigned (Graph: `validationToken` in the query of a POST;
Meta: a GET with `hub.mode=subscribe`, checked against our verify token), so they are answered
before signature verification. Slack, Zoom and Twitch sign theirs like any event, so they are
answered only after it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import orjson

from apiweld.webhooks._request import WebhookRequest
from apiweld.webhooks.settings import HandshakeName

MAX_TOKEN_LENGTH = 1024
"""Echoed tokens longer than this are refused: real ones are well under 256 characters."""


@dataclass(frozen=True, slots=True)
class HandshakeResponse:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"


def _plain(token: str) -> HandshakeResponse:
    return HandshakeResponse(200, token.encode("utf-8"))


def _bad(reason: str) -> HandshakeResponse:
    return HandshakeResponse(400, orjson.dumps({"error": reason}), "application/json")


def _json_body(request: WebhookRequest) -> object:
    try:
        return orjson.loads(request.body)
    except orjson.JSONDecodeError:
        return None


def before_verification(
    kinds: tuple[HandshakeName, ...], request: WebhookRequest, verify_token: str | None
) -> HandshakeResponse | None:
    if "graph" in kinds and request.method == "POST":
        token = request.query_value("validationToken")
        if token is not None:
            if len(token) > MAX_TOKEN_LENGTH:
                return _bad("validationToken too long")
            return _plain(token)
    if "meta" in kinds and request.method == "GET":
        if request.query_value("hub.mode") != "subscribe":
            return _bad("expected hub.mode=subscribe")
        given = request.query_value("hub.verify_token") or ""
        challenge = request.query_value("hub.challenge") or ""
        expected = (verify_token or "").encode()
        if not expected or not hmac.compare_digest(given.encode(), expected):
            return HandshakeResponse(403, b'{"error":"bad_verify_token"}', "application/json")
        if not challenge or len(challenge) > MAX_TOKEN_LENGTH:
            return _bad("bad hub.challenge")
        return _plain(challenge)
    return None


def after_verification(
    kinds: tuple[HandshakeName, ...], request: WebhookRequest, secret: str
) -> HandshakeResponse | None:
    if "twitch" in kinds:
        kind = request.headers.optional("Twitch-Eventsub-Message-Type")
        if kind == "webhook_callback_verification":
            body = _json_body(request)
            challenge = body.get("challenge") if isinstance(body, dict) else None
            if not isinstance(challenge, str) or len(challenge) > MAX_TOKEN_LENGTH:
                return _bad("missing challenge")
            return _plain(challenge)
    body = _json_body(request)
    if not isinstance(body, dict):
        return None
    if "slack" in kinds and body.get("type") == "url_verification":
        challenge = body.get("challenge")
        if not isinstance(challenge, str) or len(challenge) > MAX_TOKEN_LENGTH:
            return _bad("missing challenge")
        return _plain(challenge)
    if "zoom" in kinds and body.get("event") == "endpoint.url_validation":
        payload = body.get("payload")
        plain = payload.get("plainToken") if isinstance(payload, dict) else None
        if not isinstance(plain, str) or len(plain) > MAX_TOKEN_LENGTH:
            return _bad("missing payload.plainToken")
        encrypted = hmac.new(secret.encode(), plain.encode(), hashlib.sha256).hexdigest()
        answer = {"plainToken": plain, "encryptedToken": encrypted}
        return HandshakeResponse(200, orjson.dumps(answer), "application/json")
    return None
