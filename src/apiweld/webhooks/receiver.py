"""The receiver: an ASGI app that verifies, stores durably, and only then answers 2xx.

Raw ASGI rather than a Starlette endpoint: the receiver needs the raw body bytes, a streaming
size limit and a handful of headers, nothing of routing or request parsing. Measured by
benchmarks/webhooks.py (same verification, no storage) the raw app answers 1.06-1.19x the
requests of a Starlette route across runs: a small gain, taken because it costs nothing in
clarity and keeps starlette out of the receiver's import. Mount it in FastAPI or Starlette with
`app.mount("/webhooks/stripe", receiver)`.

Durability: every stored request is committed (SQLite `synchronous=FULL`, or a PostgreSQL
commit) before the response starts. Concurrent requests are committed together by one writer
thread (group commit), so the fsync per commit is shared instead of paid per request.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import queue
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

import orjson
from pydantic import BaseModel

from apiweld.webhooks import handshakes
from apiweld.webhooks._errors import InboxError, WebhookVerificationError
from apiweld.webhooks._fields import FieldReader, body_fingerprint, lazy_body
from apiweld.webhooks._request import Headers, WebhookRequest
from apiweld.webhooks.backoff import Backoff
from apiweld.webhooks.dispatcher import Dispatcher, DispatchPolicy
from apiweld.webhooks.factory import build_scheme, read_secret
from apiweld.webhooks.handlers import HandlerRegistry
from apiweld.webhooks.inbox import Inbox, IncomingEvent, open_inbox
from apiweld.webhooks.schemes import Scheme
from apiweld.webhooks.settings import WebhookReceiverSettings

logger = logging.getLogger("apiweld.webhooks")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_NOT_STORED_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
_GROUP_LIMIT = 256


class GroupCommitter:
    """One writer thread; requests queue their event and wait for the commit that holds it."""

    def __init__(self, inbox: Inbox, *, max_pending: int = 10_000) -> None:
        self.inbox = inbox
        self.max_pending = max_pending
        self._queue: queue.Queue[tuple[IncomingEvent, concurrent.futures.Future[bool]] | None]
        self._queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="apiweld-webhook-writer", daemon=True
                )
                self._thread.start()

    def submit(self, event: IncomingEvent) -> concurrent.futures.Future[bool]:
        """Queue one event; refused with `InboxError` when the writer is this far behind."""
        self.start()
        if self._queue.qsize() >= self.max_pending:
            # The database cannot keep up: answering 503 now makes the provider back off and
            # redeliver, instead of holding ever more requests (and memory) open.
            raise InboxError(f"{self.max_pending} events already waiting for the inbox")
        future: concurrent.futures.Future[bool] = concurrent.futures.Future()
        self._queue.put((event, future))
        return future

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < _GROUP_LIMIT:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(more)
            try:
                results = self.inbox.store([event for event, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    future.set_exception(exc)
                continue
            for (_, future), is_new in zip(batch, results, strict=True):
                future.set_result(is_new)

    def stop(self) -> None:
        with self._lock:
            thread = self._thread
            self._thread = None
        if thread is not None:
            self._queue.put(None)
            thread.join(30)


async def _respond(send: Send, status: int, body: bytes, content_type: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _json(send: Send, status: int, payload: Mapping[str, Any]) -> None:
    await _respond(send, status, orjson.dumps(payload), "application/json")


class WebhookReceiver:
    """Verify, persist, deduplicate; then dispatch to handlers registered with `on`.

    `receiver` is itself the ASGI app. Workers run in this process when `workers > 0` (started
    by the ASGI lifespan or `start_workers`), or in other processes on the same inbox.
    """

    def __init__(
        self,
        settings: WebhookReceiverSettings,
        *,
        scheme: Scheme | None = None,
        inbox: Inbox | None = None,
        environ: Mapping[str, str] | None = None,
        models: Mapping[str, type[BaseModel]] | None = None,
        workers: int = 0,
        poll_interval: float = 0.25,
    ) -> None:
        env = os.environ if environ is None else environ
        self.settings = settings
        self.scheme = scheme or build_scheme(settings, env)
        self._secret_for_handshake = (
            read_secret(settings.secret_env, env) if "zoom" in settings.effective_handshakes else ""
        )
        self._verify_token = (
            read_secret(settings.verify_token_env, env) if settings.verify_token_env else None
        )
        self._inbox = inbox
        self._open_lock = threading.Lock()
        self.registry = HandlerRegistry(models)
        self.on = self.registry.on
        for event_type, target in settings.handlers.items():
            self.registry.add_dotted(event_type, target)
        self.workers = workers
        self.policy = DispatchPolicy(
            max_attempts=settings.max_attempts,
            backoff=Backoff.from_settings(settings.backoff),
            lease_seconds=settings.lease_seconds,
            poll_interval=poll_interval,
            retention_seconds=settings.dedup_retention_seconds,
        )
        id_sources = (
            (settings.event_id,)
            if settings.event_id
            else (
                self.scheme.default_event_id or "header:X-Event-Id",
                *self.scheme.alternate_event_ids,
            )
        )
        self._event_ids = [FieldReader(source) for source in id_sources]
        self._event_type = FieldReader(
            settings.event_type or self.scheme.default_event_type or "body:type"
        )
        qualifier = None if settings.event_type else self.scheme.event_type_qualifier
        self._event_qualifier = FieldReader(qualifier) if qualifier else None
        self._committer: GroupCommitter | None = None
        self._dispatcher: Dispatcher | None = None

    def __repr__(self) -> str:
        return f"WebhookReceiver({self.settings.name!r}, scheme={self.settings.scheme!r})"

    @property
    def inbox(self) -> Inbox:
        with self._open_lock:  # the writer thread and a request may both be first
            if self._inbox is None:
                prefix = self.settings.table_prefix
                self._inbox = open_inbox(self.settings.inbox, table_prefix=prefix)
            return self._inbox

    @property
    def committer(self) -> GroupCommitter:
        if self._committer is None:
            self._committer = GroupCommitter(self.inbox)
        return self._committer

    def dispatcher(self) -> Dispatcher:
        if self._dispatcher is None:
            self._dispatcher = Dispatcher(
                self.inbox, self.registry, self.policy, receiver=self.settings.name
            )
        return self._dispatcher

    def start_workers(self, count: int | None = None) -> None:
        workers = self.workers if count is None else count
        if workers > 0:
            self.dispatcher().start(workers)

    def close(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.stop()
        if self._committer is not None:
            self._committer.stop()
        if self._inbox is not None:
            self._inbox.close()

    # -- ASGI --------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self.handle_http(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await asyncio.to_thread(self.startup)
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await asyncio.to_thread(self.close)
                await send({"type": "lifespan.shutdown.complete"})
                return

    def startup(self) -> None:
        """Open the inbox and start the writer (and workers): fail at start, not on a request."""
        self.committer.start()
        self.start_workers()

    def _url(self, scope: Scope, headers: Headers) -> str:
        query = scope.get("query_string", b"").decode("latin-1")
        public = self.settings.public_url
        if public:
            return public if not query or "?" in public else f"{public}?{query}"
        host = headers.get_all("host")
        server = scope.get("server") or ("localhost", None)
        netloc = host[0] if host else f"{server[0]}:{server[1]}" if server[1] else server[0]
        # Behind a proxy that rewrites the host or path, `public_url` is the way to be exact.
        url = f"{scope.get('scheme', 'http')}://{netloc}{scope.get('path', '')}"
        return f"{url}?{query}" if query else url

    async def _read_body(self, scope: Scope, receive: Receive, headers: Headers) -> bytes | None:
        limit = self.settings.max_body_bytes
        declared = headers.get_all("content-length")
        if declared and declared[0].isdigit() and int(declared[0]) > limit:
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ConnectionError("client disconnected")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def handle_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope.get("headers", ()))
        method = scope.get("method", "POST")
        if method not in ("POST", "GET"):
            await _json(send, 405, {"error": "method_not_allowed"})
            return
        try:
            body = await self._read_body(scope, receive, headers)
        except ConnectionError:
            return
        if body is None:
            await _json(send, 413, {"error": "body_too_large"})
            return
        url = self._url(scope, headers)
        request = WebhookRequest(body=body, headers=headers, url=url, method=method)
        kinds = self.settings.effective_handshakes
        answer = handshakes.before_verification(kinds, request, self._verify_token)
        if answer is None and method == "GET":
            await _json(send, 405, {"error": "method_not_allowed"})
            return
        if answer is None:
            try:
                self.scheme.verify(request)
            except WebhookVerificationError as exc:
                logger.info("webhook %s rejected: %s", self.settings.name, exc)
                await _json(send, 401, {"error": exc.reason, "header": exc.header})
                return
            answer = handshakes.after_verification(kinds, request, self._secret_for_handshake)
        if answer is not None:
            await _respond(send, answer.status, answer.body, answer.content_type)
            return
        await self._store_and_ack(request, send)

    def incoming_event(self, request: WebhookRequest) -> IncomingEvent:
        parsed = lazy_body(request)
        event_id = next(
            (found for reader in self._event_ids if (found := reader.read(request, parsed))),
            None,
        ) or body_fingerprint(request.body)
        event_type = self._event_type.read(request, parsed) or "unknown"
        if self._event_qualifier is not None:
            qualifier = self._event_qualifier.read(request, parsed)
            event_type = f"{event_type}.{qualifier}" if qualifier else event_type
        kept = tuple(
            (name, value)
            for name, value in request.headers.items()
            if name not in _NOT_STORED_HEADERS
        )
        return IncomingEvent(
            receiver=self.settings.name,
            event_id=event_id,
            event_type=event_type,
            body=request.body,
            headers=kept,
            url=request.url,
            received_at=time.time(),
        )

    async def _store_and_ack(self, request: WebhookRequest, send: Send) -> None:
        event = self.incoming_event(request)
        try:
            is_new = await asyncio.wrap_future(self.committer.submit(event))  # committed
        except (InboxError, OSError) as exc:
            # Not stored, so not acknowledged: the provider will deliver it again.
            logger.error("webhook %s: inbox write failed: %s", self.settings.name, exc)
            await _json(send, 503, {"error": "inbox_unavailable"})
            return
        await _json(
            send, 200, {"status": "accepted" if is_new else "duplicate", "id": event.event_id}
        )


class WebhookApp:
    """Several receivers in one ASGI app, routed by their configured exact path."""

    def __init__(self, receivers: list[WebhookReceiver]) -> None:
        self.receivers = {r.settings.path.rstrip("/") or "/": r for r in receivers}
        if len(self.receivers) != len(receivers):
            raise ValueError("two webhook receivers share a path")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        receiver = self.receivers.get(scope.get("path", "").rstrip("/") or "/")
        if receiver is None:
            await _json(send, 404, {"error": "not_found"})
            return
        await receiver.handle_http(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    for receiver in self.receivers.values():
                        await asyncio.to_thread(receiver.startup)
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for receiver in self.receivers.values():
                    await asyncio.to_thread(receiver.close)
                await send({"type": "lifespan.shutdown.complete"})
                return
