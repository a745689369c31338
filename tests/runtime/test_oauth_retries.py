"""OAuth2 token requests go through the client's send loop: retries, Retry-After, the deadline,
hooks and redacted logs, over real loopback HTTP on every transport."""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import Any

import pytest
from runtime_loopback import Api, LoopbackServer, Recorded, Reply

from apiweld.runtime import (
    APIStatusError,
    AsyncClient,
    AuthenticationError,
    Hooks,
    OAuth2ClientCredentials,
    OAuth2RefreshToken,
    OperationSpec,
    RateLimitError,
    RequestOptions,
    RetryPolicy,
)

ME = OperationSpec(id="me", method="GET", path="/me")
SECRET = "s3cret-client-value"
ACCESS = "access-token-0123456789"
REFRESH = "refresh-token-abcdefgh"
GRANTED = Reply(
    200,
    {"access_token": ACCESS, "token_type": "bearer", "expires_in": 3600},
)
FAST = RetryPolicy(backoff_base=0.01, backoff_cap=0.05)


def me(request: Recorded) -> Reply:
    if request.headers.get("authorization") == f"Bearer {ACCESS}":
        return Reply(200, {"ok": True})
    return Reply(401, {"error": "invalid_token"})


def credentials(server: LoopbackServer) -> OAuth2ClientCredentials:
    return OAuth2ClientCredentials(f"{server.url}/token", "client-1", SECRET)


class Seen:
    """Every hook event, for assertions on what token requests show to hooks."""

    def __init__(self) -> None:
        self.requests: list[Any] = []
        self.responses: list[Any] = []
        self.retries: list[Any] = []

    def hooks(self) -> Hooks:
        return Hooks(
            before_request=self.requests.append,
            after_response=self.responses.append,
            on_retry=self.retries.append,
        )

    def of_token(self, events: list[Any]) -> list[Any]:
        return [event for event in events if event.operation_id == "oauth2.token"]

    def everything(self) -> str:
        return repr(self.requests) + repr(self.responses) + repr(self.retries)


def assert_no_secrets(text: str) -> None:
    encoded = base64.b64encode(f"client-1:{SECRET}".encode()).decode()
    for secret in (SECRET, ACCESS, REFRESH, encoded):
        assert secret not in text


async def test_token_endpoint_503_twice_then_ok_is_one_successful_call(
    api: Api, server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.script("/token", Reply(503, {"error": "busy"}), Reply(503), GRANTED)
    server.route("/me", me)
    seen = Seen()
    client = api.client(auth=credentials(server), retry=FAST, hooks=seen.hooks())
    with caplog.at_level(logging.DEBUG, logger="apiweld.runtime"):
        assert await api.request(client, ME, cast_to=dict) == {"ok": True}
    assert server.hits("/token") == 3
    assert [event.attempt for event in seen.of_token(seen.requests)] == [1, 2, 3]
    assert [event.status_code for event in seen.of_token(seen.responses)] == [503, 503, 200]
    assert [event.status_code for event in seen.of_token(seen.retries)] == [503, 503]
    assert all(event.method == "POST" for event in seen.of_token(seen.requests))
    assert all("authorization" not in {k.lower() for k in e.headers} for e in seen.requests)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "retrying POST" in logged and "/token" in logged
    assert_no_secrets(seen.everything() + logged)


async def test_connection_reset_at_token_time_is_retried(api: Api, server: LoopbackServer) -> None:
    server.script("/token", Reply(drop=True), GRANTED)
    server.route("/me", me)
    seen = Seen()
    client = api.client(auth=credentials(server), retry=FAST, hooks=seen.hooks())
    assert await api.request(client, ME, cast_to=dict) == {"ok": True}
    assert server.hits("/token") == 2
    (retry,) = seen.of_token(seen.retries)
    assert retry.status_code is None and retry.error
    assert_no_secrets(seen.everything())


async def test_token_endpoint_429_retry_after_is_honoured(api: Api, server: LoopbackServer) -> None:
    server.script("/token", Reply(429, headers=[("Retry-After", "1")]), GRANTED)
    server.route("/me", me)
    seen = Seen()
    policy = RetryPolicy(backoff_base=0.0)  # back-off alone would not wait at all
    client = api.client(auth=credentials(server), retry=policy, hooks=seen.hooks())
    assert await api.request(client, ME, cast_to=dict) == {"ok": True}
    assert server.hits("/token") == 2
    (retry,) = seen.of_token(seen.retries)
    assert retry.status_code == 429 and retry.delay == 1.0


async def test_token_retry_after_is_capped_and_kept_within_the_deadline(
    api: Api, server: LoopbackServer
) -> None:
    server.script("/token", Reply(429, headers=[("Retry-After", "3600")]), GRANTED)
    server.route("/me", me)
    seen = Seen()
    capped = RetryPolicy(backoff_base=0.0, max_retry_after=0.2)
    client = api.client(auth=credentials(server), retry=capped, hooks=seen.hooks())
    assert await api.request(client, ME, cast_to=dict) == {"ok": True}
    assert [event.delay for event in seen.of_token(seen.retries)] == [0.2]

    # A wait the call's deadline cannot afford is not taken: the 429 surfaces at once.
    server.reset()
    server.script("/token", Reply(429, headers=[("Retry-After", "30")]), GRANTED)
    client = api.client(auth=credentials(server), retry=RetryPolicy(max_retry_after=60))
    with pytest.raises(RateLimitError, match="429"):
        await api.request(client, ME, options=RequestOptions(deadline=2.0))
    assert server.hits("/token") == 1


async def test_invalid_client_is_an_authentication_error_and_not_retried(
    api: Api, server: LoopbackServer
) -> None:
    refusal = {
        "error": "invalid_client",
        "error_description": f"Client authentication failed for secret {SECRET}",
    }
    server.script("/token", Reply(401, refusal))
    seen = Seen()
    client = api.client(auth=credentials(server), retry=FAST, hooks=seen.hooks())
    with pytest.raises(AuthenticationError) as caught:
        await api.request(client, ME)
    error = caught.value
    assert error.status_code == 401
    assert error.body["error"] == "invalid_client"
    assert "invalid_client" in str(error) and "Client authentication failed" in str(error)
    assert server.hits("/token") == 1 and seen.of_token(seen.retries) == []
    assert server.hits("/me") == 0
    assert_no_secrets(repr(error) + str(error.__dict__) + seen.everything())


async def test_invalid_grant_400_is_an_authentication_error(
    api: Api, server: LoopbackServer
) -> None:
    refusal = {"error": "invalid_grant", "error_description": f"{REFRESH} has expired"}
    server.script("/token", Reply(400, refusal))
    auth = OAuth2RefreshToken(f"{server.url}/token", REFRESH, client_id="app")
    client = api.client(auth=auth, retry=FAST)
    with pytest.raises(AuthenticationError, match="invalid_grant") as caught:
        await api.request(client, ME)
    assert caught.value.status_code == 400
    assert server.hits("/token") == 1
    assert_no_secrets(repr(caught.value) + str(caught.value.__dict__))


async def test_an_error_in_a_2xx_token_answer_is_an_authentication_error(
    api: Api, server: LoopbackServer
) -> None:
    server.script("/token", Reply(200, {"error": "bad_verification_code"}))
    client = api.client(auth=credentials(server), retry=FAST)
    with pytest.raises(AuthenticationError, match="bad_verification_code"):
        await api.request(client, ME)
    assert server.hits("/token") == 1


async def test_a_redirecting_token_endpoint_is_not_followed(
    api: Api, server: LoopbackServer
) -> None:
    server.script("/token", Reply(307, headers=[("Location", "/elsewhere")]))
    server.script("/elsewhere", GRANTED)
    client = api.client(auth=credentials(server), retry=FAST)
    with pytest.raises(APIStatusError, match="token endpoint answered 307"):
        await api.request(client, ME)
    assert server.hits("/elsewhere") == 0


async def test_twenty_tasks_share_one_retried_token_fetch(server: LoopbackServer) -> None:
    server.script("/token", Reply(503), Reply(200, GRANTED.body, delay=0.2))
    server.route("/me", me)
    async with AsyncClient(base_url=server.url, auth=credentials(server), retry=FAST) as client:
        results = await asyncio.gather(*(client.request(ME, cast_to=dict) for _ in range(20)))
    assert results == [{"ok": True}] * 20
    assert server.hits("/token") == 2  # one fetch: its first attempt failed, its retry won
