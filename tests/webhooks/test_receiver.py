"""The receiver over real loopback HTTP: verify, store before 2xx, deduplicate, dispatch."""

from __future__ import annotations

import hashlib
import hmac
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from apiweld.webhooks.handlers import WebhookEvent, transactional
from apiweld.webhooks.receiver import WebhookApp, WebhookReceiver
from apiweld.webhooks.schemes import StandardWebhooks
from apiweld.webhooks.sender import DeliveryError, WebhookSender
from apiweld.webhooks.settings import WebhookReceiverSettings

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
ENV = {"HOOK_SECRET": SECRET, "SLACK_SECRET": "slack-signing", "META_TOKEN": "meta-verify"}


def make_receiver(tmp_path: Path, **overrides: Any) -> WebhookReceiver:
    settings = WebhookReceiverSettings(
        secret_env="HOOK_SECRET", inbox=str(tmp_path / "inbox.sqlite3"), **overrides
    )
    return WebhookReceiver(settings, environ=ENV, poll_interval=0.01)


def signed(body: bytes, event_id: str) -> dict[str, str]:
    headers = StandardWebhooks([SECRET]).sign(body, event_id=event_id, timestamp=int(time.time()))
    return {**headers, "content-type": "application/json"}


class Invoice(BaseModel):
    type: str
    amount: int


def test_verified_events_are_stored_deduplicated_and_dispatched(
    tmp_path: Path, serve_app: Any
) -> None:
    receiver = make_receiver(tmp_path, max_body_bytes=4096)
    seen: list[tuple[str, int]] = []

    @receiver.on("invoice.paid", model=Invoice)
    def paid(event: WebhookEvent) -> None:
        seen.append((event.event_id, event.data.amount))

    body = b'{"type": "invoice.paid", "amount": 42}'
    with serve_app(receiver) as server, httpx.Client(base_url=server.url) as client:
        first = client.post("/", content=body, headers=signed(body, "evt_1"))
        again = client.post("/", content=body, headers=signed(body, "evt_1"))
        assert first.status_code == 200 and first.json() == {"status": "accepted", "id": "evt_1"}
        assert again.json()["status"] == "duplicate"
        # Stored before the answer: it is in the inbox the moment the 200 arrives.
        stored = receiver.inbox.find("default", "evt_1")
        assert stored is not None and stored.body == body and stored.deliveries == 2

        forged = client.post("/", content=body + b" ", headers=signed(body, "evt_2"))
        assert forged.status_code == 401
        assert forged.json() == {"error": "bad_signature", "header": "webhook-signature"}
        unsigned = client.post("/", content=body)
        assert unsigned.status_code == 401 and unsigned.json()["error"] == "missing_header"
        too_big = client.post("/", content=b"x" * 5000, headers=signed(b"x" * 5000, "evt_3"))
        assert too_big.status_code == 413
        assert client.get("/").status_code == 405
        assert receiver.inbox.find("default", "evt_2") is None

        receiver.dispatcher().drain()
    assert seen == [("evt_1", 42)]


def test_chunked_body_over_the_limit_is_refused(tmp_path: Path, serve_app: Any) -> None:
    receiver = make_receiver(tmp_path, max_body_bytes=1000)

    def chunks() -> Any:
        for _ in range(10):
            yield b"y" * 200

    with serve_app(receiver) as server:
        response = httpx.post(server.url, content=chunks(), headers=signed(b"", "evt"))
    assert response.status_code == 413


def test_storage_failure_is_not_acknowledged(tmp_path: Path, serve_app: Any) -> None:
    receiver = make_receiver(tmp_path)
    body = b'{"type": "x"}'
    with serve_app(receiver) as server:
        receiver.inbox.close()
        (tmp_path / "inbox.sqlite3").unlink()
        (tmp_path / "inbox.sqlite3").mkdir()  # the file is gone and cannot be recreated
        response = httpx.post(server.url, content=body, headers=signed(body, "evt_x"))
    assert response.status_code == 503


def test_transactional_handler_and_mounting_in_starlette(tmp_path: Path, serve_app: Any) -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    receiver = make_receiver(tmp_path)
    with receiver.inbox._transaction() as conn:
        conn.execute("CREATE TABLE ledger (event_id TEXT PRIMARY KEY)")

    @receiver.on("*")
    @transactional
    def record(event: WebhookEvent) -> None:
        event.connection.execute("INSERT INTO ledger VALUES (?)", (event.event_id,))

    app = Starlette(routes=[Mount("/hooks/std", app=receiver)])
    body = b'{"type": "anything"}'
    with serve_app(app) as server:
        url = f"{server.url}/hooks/std/"  # Starlette redirects a Mount path without the slash
        response = httpx.post(url, content=body, headers=signed(body, "e9"))
        assert response.status_code == 200
    receiver.startup()
    receiver.dispatcher().drain()
    with receiver.inbox._transaction() as conn:
        assert conn.execute("SELECT event_id FROM ledger").fetchall() == [("e9",)]
    receiver.close()


def test_handshakes(tmp_path: Path, serve_app: Any) -> None:
    slack = WebhookReceiver(
        WebhookReceiverSettings(
            name="slack", path="/slack", scheme="slack", secret_env="SLACK_SECRET",
            inbox=str(tmp_path / "s.db"),
        ),
        environ=ENV,
    )  # fmt: skip
    graph = WebhookReceiver(
        WebhookReceiverSettings(
            name="graph", path="/graph", secret_env="HOOK_SECRET", handshakes=("graph", "meta"),
            verify_token_env="META_TOKEN", inbox=str(tmp_path / "g.db"),
        ),
        environ=ENV,
    )  # fmt: skip
    app = WebhookApp([slack, graph])
    # Slack's documented url_verification example.
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    body = b'{"type": "url_verification", "challenge": "%s"}' % challenge.encode()
    ts = str(int(time.time()))
    sig = (
        "v0=" + hmac.new(b"slack-signing", f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    )
    with serve_app(app) as server, httpx.Client(base_url=server.url) as client:
        ok = client.post(
            "/slack", content=body,
            headers={"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig},
        )  # fmt: skip
        assert ok.status_code == 200 and ok.text == challenge
        forged = client.post(
            "/slack", content=body,
            headers={"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + "0" * 64},
        )  # fmt: skip
        assert forged.status_code == 401
        token = client.post("/graph", params={"validationToken": "Validation: Token 123"})
        assert token.status_code == 200 and token.text == "Validation: Token 123"
        meta = client.get(
            "/graph",
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": "meta-verify",
                "hub.challenge": "1158201444",
            },
        )
        assert meta.status_code == 200 and meta.text == "1158201444"
        wrong = client.get(
            "/graph",
            params={"hub.mode": "subscribe", "hub.verify_token": "x", "hub.challenge": "1"},
        )
        assert wrong.status_code == 403
        assert client.post("/nowhere").status_code == 404
    assert slack.inbox.counts()["pending"] == 0  # handshakes are never stored


def test_sender_retries_until_the_receiver_accepts(tmp_path: Path, serve_app: Any) -> None:
    receiver = make_receiver(tmp_path)
    sender = WebhookSender(StandardWebhooks([SECRET]), max_attempts=3)
    with serve_app(receiver) as server:
        delivery = sender.send(server.url, b'{"type": "a"}', event_id="evt_s")
        assert delivery.status == 200 and delivery.attempts == 1
        with pytest.raises(DeliveryError) as caught:
            WebhookSender(StandardWebhooks(["whsec_" + "QUFB" * 8]), max_attempts=3).send(
                server.url, b"{}"
            )
        assert caught.value.status == 401 and caught.value.attempts == 1  # 401 is final
    with pytest.raises(DeliveryError) as refused:
        sender.send(server.url, b"{}")  # nothing listens any more: retried, then given up
    assert refused.value.status is None and refused.value.attempts == 3


def test_zoom_twitch_handshakes_and_twilio_public_url(tmp_path: Path, serve_app: Any) -> None:
    env = {"ZOOM": "zoom-secret", "TWITCH": "twitch-secret", "TWILIO": "12345"}

    def receiver(name: str, scheme: str, secret: str, **extra: Any) -> WebhookReceiver:
        settings = WebhookReceiverSettings(
            name=name, path=f"/{name}", scheme=scheme, secret_env=secret,  # type: ignore[arg-type]
            inbox=str(tmp_path / "inbox.db"), **extra,
        )  # fmt: skip
        return WebhookReceiver(settings, environ=env)

    zoom = receiver("zoom", "zoom", "ZOOM")
    twitch = receiver("twitch", "twitch", "TWITCH")
    # Twilio signs the URL it called; behind a proxy ours differs, so public_url says it.
    twilio = receiver("twilio", "twilio", "TWILIO", public_url="https://mycompany.com/myapp.php")
    app = WebhookApp([zoom, twitch, twilio])
    now = int(time.time())
    with serve_app(app) as server, httpx.Client(base_url=server.url) as client:
        body = (
            b'{"event": "endpoint.url_validation",'
            b' "payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"}}'
        )
        headers = zoom.scheme.sign(body, event_id="z1", timestamp=now)
        answer = client.post("/zoom", content=body, headers=headers)
        expected = hmac.new(b"zoom-secret", b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256).hexdigest()
        assert answer.json() == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": expected}

        body = b'{"challenge": "pogchamp-kappa-360noscope-vohiyo", "subscription": {}}'
        headers = twitch.scheme.sign(body, event_id="t1", timestamp=now)
        headers["Twitch-Eventsub-Message-Type"] = "webhook_callback_verification"
        answer = client.post("/twitch", content=body, headers=headers)
        assert answer.status_code == 200 and answer.text == "pogchamp-kappa-360noscope-vohiyo"

        form = (
            b"CallSid=CA1234567890ABCDE&Digits=1234&From=%2B14158675309&To=%2B18005551212"
            b"&Caller=%2B14158675309"
        )  # the twilio-python SDK's test vector, as the form body Twilio posts
        headers = {"X-Twilio-Signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
                   "content-type": "application/x-www-form-urlencoded"}  # fmt: skip
        stored = client.post(
            "/twilio", params={"foo": "1", "bar": "2"}, content=form, headers=headers
        )
        assert stored.status_code == 200, stored.text
    assert zoom.inbox.counts()["pending"] == 1  # only the Twilio event; handshakes are not stored
    [event] = twilio.inbox.events(receiver="twilio")
    assert event.url == "https://mycompany.com/myapp.php?foo=1&bar=2"


def test_event_ids_from_older_header_names_or_the_body_hash(tmp_path: Path, serve_app: Any) -> None:
    receiver = make_receiver(tmp_path)
    body = b'{"type": "a"}'
    svix = {k.replace("webhook-", "svix-"): v for k, v in signed(body, "msg_svix").items()}
    with serve_app(receiver) as server:
        assert httpx.post(server.url, content=body, headers=svix).json()["id"] == "msg_svix"
    github = WebhookReceiver(
        WebhookReceiverSettings(
            scheme="github", secret_env="S", inbox=str(tmp_path / "gh.db"), event_id="body:delivery"
        ),
        environ={"S": "gh"},
    )
    sig = "sha256=" + hmac.new(b"gh", body, hashlib.sha256).hexdigest()
    with serve_app(github) as server:
        answer = httpx.post(server.url, content=body, headers={"X-Hub-Signature-256": sig})
    # No id where configured: the body's hash is the id, so identical redeliveries deduplicate.
    assert answer.json()["id"] == "sha256:" + hashlib.sha256(body).hexdigest()


def test_a_backlogged_writer_refuses_instead_of_queueing_forever(tmp_path: Path) -> None:
    import threading

    from apiweld.webhooks._errors import InboxError
    from apiweld.webhooks.inbox import IncomingEvent
    from apiweld.webhooks.inbox.sqlite import SqliteInbox
    from apiweld.webhooks.receiver import GroupCommitter

    release = threading.Event()

    class SlowDisk(SqliteInbox):
        def store(self, events: Any) -> list[bool]:
            release.wait(10)
            return super().store(events)

    committer = GroupCommitter(SlowDisk(tmp_path / "slow.db"), max_pending=2)

    def event(n: int) -> IncomingEvent:
        return IncomingEvent("r", f"e{n}", "t", b"{}", (), None, time.time())

    first = committer.submit(event(1))
    deadline = time.monotonic() + 5
    while committer._queue.qsize() and time.monotonic() < deadline:
        time.sleep(0.01)  # the writer has taken the first event and is stuck storing it
    queued = [committer.submit(event(2)), committer.submit(event(3))]
    with pytest.raises(InboxError, match="already waiting"):
        committer.submit(event(4))
    release.set()
    assert [f.result(10) for f in (first, *queued)] == [True, True, True]
    committer.stop()


def test_any_request_gets_a_clean_answer_never_an_exception(tmp_path: Path) -> None:
    import asyncio

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    receiver = make_receiver(tmp_path, max_body_bytes=512)
    header_names = st.sampled_from(
        [
            b"webhook-id",
            b"webhook-timestamp",
            b"webhook-signature",
            b"content-length",
            b"host",
            b"x",
        ]
    )

    async def call(method: str, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> int:
        messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
                    for i, c in enumerate(chunks or [b""])]  # fmt: skip
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {"type": "http", "method": method, "path": "/", "headers": headers,
                 "query_string": b"", "scheme": "http", "server": ("127.0.0.1", 1)}  # fmt: skip
        await receiver(scope, receive, send)
        starts = [m for m in sent if m["type"] == "http.response.start"]
        assert len(starts) == 1 and sent[-1]["type"] == "http.response.body"
        return int(starts[0]["status"])

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        method=st.sampled_from(["POST", "GET", "PUT"]),
        headers=st.lists(st.tuples(header_names, st.binary(max_size=40)), max_size=6),
        chunks=st.lists(st.binary(max_size=300), max_size=3),
    )
    def check(method: str, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> None:
        status = asyncio.run(call(method, headers, chunks))
        assert status in (200, 401, 405, 413)

    check()
    receiver.close()
