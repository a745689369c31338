"""Sign and deliver webhooks like a provider does: for local development, tests and load."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import urllib3

from apiweld.webhooks._errors import WebhookError
from apiweld.webhooks.backoff import Backoff
from apiweld.webhooks.schemes import Scheme

RETRIED_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class DeliveryError(WebhookError):
    """Every attempt failed; `status` is the last HTTP status (None: no response at all)."""

    def __init__(self, message: str, *, status: int | None, attempts: int) -> None:
        self.status = status
        self.attempts = attempts
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class Delivery:
    status: int
    attempts: int
    body: bytes
    event_id: str


class WebhookSender:
    """Signs each attempt afresh (new timestamp, as providers do) and retries with full-jitter
    backoff on connection errors and on 408/425/429/5xx; any other status is final."""

    def __init__(
        self,
        scheme: Scheme,
        *,
        max_attempts: int = 5,
        backoff: Backoff | None = None,
        timeout: float = 10.0,
        pool: urllib3.PoolManager | None = None,
    ) -> None:
        self.scheme = scheme
        self.max_attempts = max_attempts
        self.backoff = backoff or Backoff(initial_seconds=0.25, multiplier=2.0, max_seconds=5.0)
        self.timeout = timeout
        self._pool = pool or urllib3.PoolManager(maxsize=16, retries=False)

    def signed_headers(
        self, url: str, body: bytes, *, event_id: str, content_type: str
    ) -> dict[str, str]:
        headers = {"Content-Type": content_type, "User-Agent": "apiweld-webhook-sender"}
        headers.update(
            self.scheme.sign(body, event_id=event_id, timestamp=int(time.time()), url=url)
        )
        return headers

    def send(
        self,
        url: str,
        body: bytes,
        *,
        event_id: str | None = None,
        content_type: str = "application/json",
        extra_headers: Mapping[str, str] | None = None,
    ) -> Delivery:
        event_id = event_id or f"evt_{uuid.uuid4().hex}"
        status: int | None = None
        last_problem = "no attempt made"
        for attempt in range(1, self.max_attempts + 1):
            headers = self.signed_headers(url, body, event_id=event_id, content_type=content_type)
            headers.update(extra_headers or {})
            try:
                response = self._pool.request(
                    "POST", url, body=body, headers=headers, timeout=self.timeout, retries=False
                )
            except urllib3.exceptions.HTTPError as exc:
                status, last_problem = None, f"{type(exc).__name__}: {exc}"
            else:
                status = response.status
                if status < 300:
                    return Delivery(status, attempt, response.data, event_id)
                last_problem = f"HTTP {status}"
                if status not in RETRIED_STATUSES:
                    break
            if attempt < self.max_attempts:
                time.sleep(self.backoff.delay(attempt))
        raise DeliveryError(
            f"delivery to {url} failed after {attempt} attempt(s): {last_problem}",
            status=status,
            attempts=attempt,
        )

    def close(self) -> None:
        self._pool.clear()
