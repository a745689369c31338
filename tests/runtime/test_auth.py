"""Auth providers over real loopback HTTP: every scheme, combined schemes, OAuth2 lifecycle."""

from __future__ import annotations

import asyncio
import base64
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qsl

import pytest
from runtime_loopback import Api, LoopbackServer, Recorded, Reply

from apiweld.runtime import (
    APIError,
    ApiKeyAuth,
    AsyncClient,
    AuthenticationError,
    BasicAuth,
    BearerAuth,
    CallableAuth,
    Client,
    MissingSecretError,
    OAuth2ClientCredentials,
    OAuth2RefreshToken,
    OperationSpec,
    RetryPolicy,
)

ME = OperationSpec(id="me", method="GET", path="/me")
PUBLIC = OperationSpec(id="public", method="GET", path="/me", security=())
BOTH = OperationSpec(id="both", method="GET", path="/me", security=(("key", "bearer"),))
EITHER = OperationSpec(id="either", method="GET", path="/me", security=(("oauth",), ("key",)))


async def test_api_key_in_header_query_and_cookie(api: Api, server: LoopbackServer) -> None:
    server.script("/me", Reply(200, {}))
    for location in ("header", "query", "cookie"):
        auth = ApiKeyAuth("k-1", name="api_key", location=location)  # type: ignore[arg-type]
        await api.request(api.client(auth=auth), ME)
    header, query, cookie = server.requests
    assert header.headers["api_key"] == "k-1"
    assert query.query == [("api_key", "k-1")]
    assert cookie.headers["cookie"] == "api_key=k-1"


async def test_basic_and_bearer(api: Api, server: LoopbackServer) -> None:
    server.script("/me", Reply(200, {}))
    await api.request(api.client(auth=BasicAuth("user", "p:w")), ME)
    await api.request(api.client(auth=BearerAuth("tok")), ME)
    basic, bearer = server.requests
    assert basic.headers["authorization"] == "Basic " + base64.b64encode(b"user:p:w").decode()
    assert bearer.headers["authorization"] == "Bearer tok"


async def test_schemes_combined_and_chosen_per_operation(api: Api, server: LoopbackServer) -> None:
    server.script("/me", Reply(200, {}))
    client = api.client(auth={"key": ApiKeyAuth("k"), "bearer": BearerAuth("b")})
    await api.request(client, BOTH)
    await api.request(client, EITHER)  # no "oauth" configured: falls to the "key" alternative
    await api.request(client, PUBLIC)
    both, either, public = server.requests
    assert both.headers["x-api-key"] == "k" and both.headers["authorization"] == "Bearer b"
    assert either.headers["x-api-key"] == "k" and "authorization" not in either.headers
    assert "x-api-key" not in public.headers and "authorization" not in public.headers


async def test_missing_credentials_is_a_clear_error_before_sending(
    api: Api, server: LoopbackServer
) -> None:
    client = api.client(auth={"bearer": BearerAuth("b")})
    with pytest.raises(APIError, match="needs credentials for one of: oauth; key"):
        await api.request(client, EITHER)
    assert server.requests == []


async def test_callable_auth(api: Api, server: LoopbackServer) -> None:
    server.script("/me", Reply(200, {}))

    def sign(target: Any) -> None:
        target.headers["X-Signature"] = "sig"

    await api.request(api.client(auth=CallableAuth(sign, sensitive_names=["X-Signature"])), ME)
    assert server.requests[0].headers["x-signature"] == "sig"


def test_secrets_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APIWELD_TEST_KEY", "from-env")
    auth = ApiKeyAuth.from_env("APIWELD_TEST_KEY", name="X-Key")
    assert "from-env" not in repr(auth)
    monkeypatch.delenv("APIWELD_TEST_KEY")
    with pytest.raises(MissingSecretError, match="APIWELD_TEST_KEY"):
        BearerAuth.from_env("APIWELD_TEST_KEY")


class TokenEndpoint:
    """Issues numbered tokens; the API accepts only the newest one."""

    def __init__(self, server: LoopbackServer, *, delay: float = 0.0, expires_in: int = 3600):
        self.issued = 0
        self.delay = delay
        self.expires_in = expires_in
        self.forms: list[dict[str, str]] = []
        self.lock = threading.Lock()
        server.route("/token", self.token)
        server.route("/me", self.me)

    def token(self, request: Recorded) -> Reply:
        with self.lock:
            self.issued += 1
            number = self.issued
        self.forms.append(dict(parse_qsl(request.body.decode())))
        body = {
            "access_token": f"tok-{number}",
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "refresh_token": f"refresh-{number}",
        }
        return Reply(200, body, delay=self.delay)

    def me(self, request: Recorded) -> Reply:
        if request.headers.get("authorization") == f"Bearer tok-{self.issued}":
            return Reply(200, {"ok": True})
        return Reply(401, {"error": "invalid_token"})


def client_credentials(server: LoopbackServer) -> OAuth2ClientCredentials:
    return OAuth2ClientCredentials(
        f"{server.url}/token", "client-1", "s3cret-client", scopes=["read", "write"]
    )


async def test_oauth_client_credentials_fetched_lazily_and_cached(
    api: Api, server: LoopbackServer
) -> None:
    endpoint = TokenEndpoint(server)
    auth = client_credentials(server)
    client = api.client(auth=auth)
    assert endpoint.issued == 0
    for _ in range(3):
        assert await api.request(client, ME, cast_to=dict) == {"ok": True}
    assert endpoint.issued == 1
    (form,) = endpoint.forms
    assert form == {"grant_type": "client_credentials", "scope": "read write"}
    basic = server.of("/token")[0].headers["authorization"]
    assert base64.b64decode(basic.split()[1]) == b"client-1:s3cret-client"


async def test_oauth_refreshes_once_on_401_and_replays(api: Api, server: LoopbackServer) -> None:
    endpoint = TokenEndpoint(server)
    client = api.client(auth=client_credentials(server))
    await api.request(client, ME)
    endpoint.issued += 1  # the server revokes tok-1: it now only accepts tok-2 (not issued yet)
    assert await api.request(client, ME, cast_to=dict) == {"ok": True}
    assert server.hits("/token") == 2
    # A server that keeps refusing gets one refresh per call, then the 401 surfaces.
    server.route("/me", lambda request: Reply(401, {"error": "nope"}))
    with pytest.raises(AuthenticationError):
        await api.request(client, ME)
    assert server.hits("/token") == 3


async def test_oauth_token_renewed_before_expiry(api: Api, server: LoopbackServer) -> None:
    endpoint = TokenEndpoint(server, expires_in=20)  # inside the 30 s skew: always stale
    client = api.client(auth=client_credentials(server))
    await api.request(client, ME)
    await api.request(client, ME)
    assert endpoint.issued == 2


async def test_oauth_refresh_token_grant_rotates(api: Api, server: LoopbackServer) -> None:
    endpoint = TokenEndpoint(server)
    auth = OAuth2RefreshToken(
        f"{server.url}/token", "refresh-0", client_id="app", client_secret="sec", client_auth="body"
    )
    client = api.client(auth=auth)
    await api.request(client, ME)
    endpoint.issued += 1
    await api.request(client, ME)
    assert [form["refresh_token"] for form in endpoint.forms] == ["refresh-0", "refresh-1"]
    assert endpoint.forms[0]["client_secret"] == "sec"
    assert endpoint.forms[0]["grant_type"] == "refresh_token"


async def test_oauth_token_endpoint_failure_is_an_api_error(
    api: Api, server: LoopbackServer
) -> None:
    server.script("/token", Reply(401, {"error": "invalid_client"}))
    client = api.client(auth=client_credentials(server), retry=RetryPolicy.disabled())
    with pytest.raises(AuthenticationError, match="invalid_client") as caught:
        await api.request(client, ME)
    assert "s3cret-client" not in repr(caught.value) + str(caught.value.__dict__)


def test_twenty_threads_share_one_token_fetch_and_one_refresh(server: LoopbackServer) -> None:
    endpoint = TokenEndpoint(server, delay=0.2)
    auth = client_credentials(server)
    with Client(base_url=server.url, auth=auth) as client:
        with ThreadPoolExecutor(20) as pool:
            results = list(pool.map(lambda _: client.request(ME, cast_to=dict), range(20)))
        assert results == [{"ok": True}] * 20
        assert server.hits("/token") == 1
        endpoint.issued += 1  # revoke: all 20 get a 401 and must share one refresh
        with ThreadPoolExecutor(20) as pool:
            results = list(pool.map(lambda _: client.request(ME, cast_to=dict), range(20)))
        assert results == [{"ok": True}] * 20
        assert server.hits("/token") == 2


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
async def test_twenty_tasks_share_one_token_fetch_and_one_refresh(
    server: LoopbackServer, transport: str
) -> None:
    endpoint = TokenEndpoint(server, delay=0.2)
    options: dict[str, Any] = {"base_url": server.url, "auth": client_credentials(server)}
    if transport == "httpx":
        import httpx

        options["transport"] = httpx.AsyncClient()
    async with AsyncClient(**options) as client:
        results = await asyncio.gather(*(client.request(ME, cast_to=dict) for _ in range(20)))
        assert results == [{"ok": True}] * 20
        assert server.hits("/token") == 1
        endpoint.issued += 1
        results = await asyncio.gather(*(client.request(ME, cast_to=dict) for _ in range(20)))
        assert results == [{"ok": True}] * 20
        assert server.hits("/token") == 2


def test_token_endpoint_answer_is_validated(server: LoopbackServer) -> None:
    server.script("/token", Reply(200, {"token_type": "bearer"}))
    client = Client(base_url=server.url, auth=client_credentials(server))
    with client, pytest.raises(APIError, match="access_token"):
        client.request(ME)


def test_providers_in_separate_clients_share_one_token_through_redis(
    server: LoopbackServer, redis_url: str, namespace: str
) -> None:
    from apiweld.runtime import RedisTokenCache

    endpoint = TokenEndpoint(server, delay=0.2)

    def provider() -> OAuth2ClientCredentials:  # what each process would build for itself
        cache = RedisTokenCache(redis_url, namespace=namespace)
        return OAuth2ClientCredentials(f"{server.url}/token", "client-1", "s", cache=cache)

    clients = [Client(base_url=server.url, auth=provider()) for _ in range(4)]
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda i: clients[i % 4].request(ME, cast_to=dict), range(20)))
    assert results == [{"ok": True}] * 20
    assert endpoint.issued == 1
    for client in clients:
        client.close()
