"""Secrets never reach logs, reprs, hook events or exception text."""

from __future__ import annotations

import logging
import traceback
from typing import Any

import pytest
from runtime_loopback import Api, LoopbackServer, Recorded, Reply

from apiweld.runtime import (
    APIError,
    ApiKeyAuth,
    BasicAuth,
    BearerAuth,
    Hooks,
    OAuth2ClientCredentials,
    OperationSpec,
    RetryPolicy,
    Secret,
)

API_KEY = "key-SECRET-1111"
BEARER = "bearer-SECRET-2222"
PASSWORD = "password-SECRET-3333"
CLIENT_SECRET = "client-SECRET-4444"
ACCESS_TOKEN = "access-SECRET-5555"
SESSION = "cookie-SECRET-6666"
CUSTOM = "custom-SECRET-7777"
ALL_SECRETS = (API_KEY, BEARER, PASSWORD, CLIENT_SECRET, ACCESS_TOKEN, SESSION, CUSTOM)

ME = OperationSpec(id="me", method="GET", path="/me", security=(("query_key", "bearer"),))
LOGIN = OperationSpec(id="login", method="GET", path="/me", security=(("basic",),))
OAUTH = OperationSpec(id="oauth", method="GET", path="/me", security=(("oauth",),))


def assert_clean(text: str) -> None:
    for secret in ALL_SECRETS:
        assert secret not in text, f"secret {secret!r} leaked"


def test_secret_type_masks_itself() -> None:
    secret = Secret(API_KEY)
    assert_clean(repr(secret) + str(secret) + f"{secret}" + repr([secret]) + repr({"k": secret}))
    assert secret.get_secret_value() == API_KEY
    assert secret == Secret(API_KEY) and secret != Secret("other")
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(secret)


async def test_logs_errors_and_hooks_never_show_secrets(
    api: Api, server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    def token(request: Recorded) -> Reply:
        return Reply(200, {"access_token": ACCESS_TOKEN, "expires_in": 3600})

    def me(request: Recorded) -> Reply:
        return Reply(
            503,
            {"message": "down", "access_token": ACCESS_TOKEN, "echo": request.target},
            headers=[("Set-Cookie", f"session={SESSION}"), ("X-Custom-Secret", CUSTOM)],
        )

    server.route("/token", token)
    server.route("/me", me)
    events: list[Any] = []
    hooks = Hooks(
        before_request=events.append,
        after_response=events.append,
        on_retry=events.append,
    )
    client = api.client(
        auth={
            "query_key": ApiKeyAuth(API_KEY, name="api_key", location="query"),
            "bearer": BearerAuth(BEARER),
            "basic": BasicAuth("user", PASSWORD),
            "oauth": OAuth2ClientCredentials(f"{server.url}/token", "app", CLIENT_SECRET),
        },
        retry=RetryPolicy(max_attempts=2, backoff_base=0.0),
        hooks=hooks,
        redact=["X-Custom-Secret"],
    )
    caplog.set_level(logging.DEBUG, logger="apiweld")
    texts: list[str] = [repr(client)]
    for op in (ME, LOGIN, OAUTH):
        with pytest.raises(APIError) as caught:
            await api.request(client, op, cookies={"session": SESSION})
        error = caught.value
        texts += [
            str(error),
            repr(error),
            repr(error.headers),
            repr(error.body),
            error.url,
            "".join(traceback.format_exception(error)),
        ]
    assert server.of("/me")[0].query == [("api_key", API_KEY)]  # the secret did go on the wire
    texts += [repr(event) for event in events]
    texts += [record.getMessage() for record in caplog.records]
    assert any("[REDACTED]" in text for text in texts)
    assert caplog.records, "expected debug logs of requests and retries"
    assert_clean("\n".join(texts))


def test_provider_reprs_hide_secrets() -> None:
    providers = [
        ApiKeyAuth(API_KEY),
        BearerAuth(BEARER),
        BasicAuth("u", PASSWORD),
        OAuth2ClientCredentials("https://auth.example/token", "app", CLIENT_SECRET),
    ]
    assert_clean(repr(providers) + str(providers))


async def test_connection_errors_hide_secrets_in_library_messages(api: Api) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = api.client(
        base_url=f"http://127.0.0.1:{port}",
        auth=ApiKeyAuth(API_KEY, name="access_token", location="query"),
        retry=RetryPolicy.disabled(),
    )
    with pytest.raises(APIError) as caught:
        await api.request(client, OperationSpec(id="x", method="GET", path="/x"))
    assert_clean("".join(traceback.format_exception(caught.value)) + repr(caught.value))
