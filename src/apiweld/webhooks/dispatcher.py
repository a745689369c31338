"""Dispatcher workers: claim stored events, run their handlers, retry with backoff, dead-letter.

Workers are threads (handlers are usually I/O bound; async handlers run on a per-thread event
loop). Several processes, on several hosts with PostgreSQL, may run workers on one inbox: the
claim protocol (see `inbox._base`) keeps each event with one worker at a time.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
import traceback
from dataclasses import dataclass, field

from pydantic import ValidationError

from apiweld.webhooks._errors import InboxError
from apiweld.webhooks.backoff import Backoff
from apiweld.webhooks.handlers import HandlerRegistry, NonRetryableError, WebhookEvent
from apiweld.webhooks.inbox import Claim, ClaimLost, Inbox

logger = logging.getLogger("apiweld.webhooks")


@dataclass(frozen=True, slots=True)
class DispatchPolicy:
    max_attempts: int = 8
    backoff: Backoff = field(default_factory=Backoff)
    lease_seconds: float = 300.0
    poll_interval: float = 0.25
    """Idle wait between polls; a busy worker claims again at once."""
    retention_seconds: float = 7 * 86_400
    purge_every_seconds: float = 600.0


def _describe(exc: BaseException) -> str:
    # Type and message, and the innermost frame: enough to debug, never the event body.
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


class Dispatcher:
    def __init__(
        self,
        inbox: Inbox,
        registry: HandlerRegistry,
        policy: DispatchPolicy | None = None,
        *,
        name: str | None = None,
        receiver: str | None = None,
    ) -> None:
        """`receiver`: claim only that receiver's events (receivers may share one inbox)."""
        self.inbox = inbox
        self.receiver = receiver
        self.registry = registry
        self.policy = policy or DispatchPolicy()
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._local = threading.local()
        self._last_purge = 0.0
        self._purge_lock = threading.Lock()
        self._in_flight: dict[str, Claim] = {}
        """Claims whose (non-transactional) handler is running, by token: the heartbeat
        extends their leases so a slow handler is not run a second time elsewhere."""

    # -- one step ----------------------------------------------------------------------------
    def run_once(self, worker: str | None = None) -> bool:
        """Claim and handle one due event; False when none was due."""
        claim = self.inbox.claim(
            worker=worker or self.name,
            max_attempts=self.policy.max_attempts,
            lease_seconds=self.policy.lease_seconds,
            receiver=self.receiver,
        )
        if claim is None:
            return False
        self._handle(claim)
        return True

    def _event_for(self, claim: Claim, connection: object = None) -> WebhookEvent:
        stored = claim.event
        handler = self.registry.find(stored.event_type)
        return WebhookEvent(
            pk=stored.id,
            event_id=stored.event_id,
            type=stored.event_type,
            receiver=stored.receiver,
            attempt=claim.attempt,
            received_at=stored.received_at,
            body=stored.body,
            headers=stored.headers,
            model=handler.model if handler else None,
            connection=connection,
        )

    def _handle(self, claim: Claim) -> None:
        handler = self.registry.find(claim.event.event_type)
        try:
            if handler is None:
                # Done, not pending: unhandled types would pile up. `inbox replay --since`
                # runs them once a handler exists.
                note = f"no handler for event type {claim.event.event_type!r}"
                logger.info("event %s: %s; skipped", claim.event.id, note)
                self.inbox.complete(claim, skipped=note)
                return
            if handler.transactional:
                with self.inbox.transaction(claim) as conn:
                    handler.func(self._event_for(claim, conn))
                return
            event = self._event_for(claim)
            self._in_flight[claim.token] = claim
            try:
                if handler.is_async:
                    self._loop().run_until_complete(handler.func(event))
                else:
                    handler.func(event)
            finally:
                self._in_flight.pop(claim.token, None)
        except ClaimLost:
            logger.warning("event %s: claim lost to another worker; result dropped", claim.event.id)
            return
        except Exception as exc:
            self._failed(claim, exc)
            return
        if not handler.transactional and not self.inbox.complete(claim):
            logger.warning("event %s: claim lost before completion", claim.event.id)

    def _failed(self, claim: Claim, exc: Exception) -> None:
        final = isinstance(exc, NonRetryableError | ValidationError) or (
            claim.attempt >= self.policy.max_attempts
        )
        retry_at = None if final else time.time() + self.policy.backoff.delay(claim.attempt)
        logger.warning(
            "event %s (%s) attempt %d failed: %s%s",
            claim.event.id,
            claim.event.event_type,
            claim.attempt,
            type(exc).__name__,
            "; dead-lettered" if final else "",
        )
        try:
            self.inbox.fail(claim, _describe(exc), retry_at=retry_at)
        except InboxError as store_exc:
            # The lease will expire and the event be claimed again: nothing is lost.
            logger.error("event %s: could not record the failure: %s", claim.event.id, store_exc)

    def _loop(self) -> asyncio.AbstractEventLoop:
        loop: asyncio.AbstractEventLoop | None = getattr(self._local, "loop", None)
        if loop is None:
            loop = asyncio.new_event_loop()
            self._local.loop = loop
        return loop

    # -- workers -----------------------------------------------------------------------------
    def _maybe_purge(self) -> None:
        now = time.time()
        if now - self._last_purge < self.policy.purge_every_seconds:
            return
        if not self._purge_lock.acquire(blocking=False):
            return
        try:
            self._last_purge = now
            removed = self.inbox.purge(retention_seconds=self.policy.retention_seconds)
            if removed:
                logger.info("purged %d handled events past the deduplication window", removed)
        finally:
            self._purge_lock.release()

    def work(self, worker: str) -> None:
        """A worker loop; returns when `stop()` is called."""
        while not self._stop.is_set():
            try:
                self._maybe_purge()
                busy = self.run_once(worker)
            except InboxError as exc:
                logger.error("worker %s: inbox unavailable: %s", worker, exc)
                busy = False
                self._stop.wait(min(5.0, self.policy.poll_interval * 8))
            except Exception:
                logger.exception("worker %s: unexpected error", worker)
                busy = False
            if not busy and not self._stop.is_set():
                self.inbox.wait_for_work(self.policy.poll_interval)

    def _heartbeat(self) -> None:
        # Transactional handlers need none: their row lock (PostgreSQL) or write lock (SQLite)
        # already keeps other workers off the event until they commit or roll back.
        lease = self.policy.lease_seconds
        while not self._stop.wait(min(1.0, lease / 3)):
            now = time.time()
            for claim in list(self._in_flight.values()):
                if now - claim.started_at < lease / 3:
                    continue
                try:
                    if not self.inbox.extend(claim, lease):
                        logger.warning("event %s: lease lost while its handler ran", claim.event.id)
                except InboxError as exc:
                    logger.error("event %s: could not extend its lease: %s", claim.event.id, exc)

    def start(self, workers: int = 1) -> None:
        self._stop.clear()
        heartbeat = threading.Thread(
            target=self._heartbeat, name="apiweld-webhook-heartbeat", daemon=True
        )
        heartbeat.start()
        self._threads.append(heartbeat)
        for index in range(workers):
            thread = threading.Thread(
                target=self.work,
                args=(f"{self.name}/{index}",),
                name=f"apiweld-webhook-worker-{index}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self.inbox.notify_new_work()  # idle workers are waiting for work: let them see the stop
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def drain(self, *, timeout: float = 60.0) -> int:
        """Handle due events in this thread until none is left (tests, `inbox replay --now`)."""
        handled = 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.run_once():
            handled += 1
        return handled
