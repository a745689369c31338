"""The sync client: the send loop (auth, rate limit, retries, hooks, logging) over a `Transport`."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from typing import Any, Self

from ._auth import AuthProvider, AuthTarget
from ._base import REPORTED_WAIT, BaseClient, PreparedCall
from ._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    state_error,
)
from ._hooks import Hooks, RateLimitWaitEvent, RequestEvent, ResponseEvent, RetryEvent, run_sync
from ._models import NOT_GIVEN, Headers, OperationSpec, RequestOptions, Timeout
from ._pagination import SyncPager
from ._ratelimit import BaseRateLimiter
from ._response import APIResponse
from ._retry import RetryPolicy
from ._state import LockTimeout, StateBackendError
from ._transports._base import Transport, TransportRequest

__all__ = ["Client"]

_EMPTY: Mapping[str, Any] = {}


class Client(BaseClient):
    """Sync client. Generated clients subclass it; hand-written integrations use it directly."""

    def __init__(
        self,
        *,
        base_url: str,
        auth: Mapping[str, AuthProvider] | AuthProvider | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        rate_limiter: BaseRateLimiter | None = None,
        transport: Transport | Any | None = None,
        hooks: Hooks | None = None,
        idempotency_header: str | None = "Idempotency-Key",
        redact: Iterable[str] = (),
        proxy: str | None = None,
        logger: logging.Logger | None = None,
        follow_redirects: bool = True,
    ) -> None:
        super().__init__(
            base_url=base_url,
            auth=auth,
            headers=headers,
            timeout=timeout,
            retry=retry,
            rate_limiter=rate_limiter,
            hooks=hooks,
            idempotency_header=idempotency_header,
            redact=redact,
            proxy=proxy,
            logger=logger,
            follow_redirects=follow_redirects,
        )
        self.hooks.check_sync()
        if transport is not None and self.proxy is not None:
            raise ValueError(
                "proxy= configures the default transport; set it on your transport instead"
            )
        if transport is None:
            from ._transports._httpcore import HttpcoreTransport

            transport = HttpcoreTransport(proxy=self.proxy)
        elif not isinstance(transport, Transport):
            transport = _adapt_sync(transport)
        self.transport = transport

    # -- public surface ---------------------------------------------------------------------
    def request(
        self,
        op: OperationSpec,
        *,
        path: Mapping[str, Any] = _EMPTY,
        query: Mapping[str, Any] = _EMPTY,
        headers: Mapping[str, Any] = _EMPTY,
        cookies: Mapping[str, Any] = _EMPTY,
        body: Any = NOT_GIVEN,
        content_type: str | None = None,
        cast_to: Any = None,
        options: RequestOptions | None = None,
    ) -> Any:
        call = self._prepare(
            op, path, query, headers, cookies, body, content_type, cast_to, options
        )
        response = self._send(call)
        if cast_to is None:
            return None
        return response.parse()

    def request_raw(
        self,
        op: OperationSpec,
        *,
        path: Mapping[str, Any] = _EMPTY,
        query: Mapping[str, Any] = _EMPTY,
        headers: Mapping[str, Any] = _EMPTY,
        cookies: Mapping[str, Any] = _EMPTY,
        body: Any = NOT_GIVEN,
        content_type: str | None = None,
        cast_to: Any = None,
        options: RequestOptions | None = None,
        stream: bool = False,
    ) -> APIResponse:
        """The final response (status, headers, body); `.parse()` gives the value.

        With `stream=True` the body is not read: iterate `iter_bytes()` and `close()` it.
        """
        call = self._prepare(
            op, path, query, headers, cookies, body, content_type, cast_to, options, stream
        )
        return self._send(call)

    @contextmanager
    def stream(
        self,
        op: OperationSpec,
        *,
        path: Mapping[str, Any] = _EMPTY,
        query: Mapping[str, Any] = _EMPTY,
        headers: Mapping[str, Any] = _EMPTY,
        cookies: Mapping[str, Any] = _EMPTY,
        body: Any = NOT_GIVEN,
        content_type: str | None = None,
        options: RequestOptions | None = None,
    ) -> Iterator[APIResponse]:
        """`with client.stream(op) as response: for chunk in response.iter_bytes(): ...`"""
        response = self.request_raw(
            op,
            path=path,
            query=query,
            headers=headers,
            cookies=cookies,
            body=body,
            content_type=content_type,
            options=options,
            stream=True,
        )
        try:
            yield response
        finally:
            response.close()

    def paginate(
        self,
        op: OperationSpec,
        *,
        path: Mapping[str, Any] = _EMPTY,
        query: Mapping[str, Any] = _EMPTY,
        headers: Mapping[str, Any] = _EMPTY,
        cookies: Mapping[str, Any] = _EMPTY,
        body: Any = NOT_GIVEN,
        content_type: str | None = None,
        item_type: Any = None,
        options: RequestOptions | None = None,
    ) -> SyncPager[Any]:
        """Items across pages (`op.pagination` says how); `.pages()` for whole pages.

        Nothing is sent until iteration starts; each iteration starts from the first page.
        """
        from ._paging_bridge import sync_pager

        return sync_pager(
            self, op, path, query, headers, cookies, body, content_type, item_type, options
        )

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _set_hooks(self, hooks: Hooks) -> None:
        hooks.check_sync()
        self.hooks = hooks

    # -- the send loop ----------------------------------------------------------------------
    def _token_http(
        self,
        call: PreparedCall,
        url: str,
        form: Mapping[str, str],
        headers: Mapping[str, str],
    ) -> tuple[int, Headers, bytes]:
        """What OAuth2 providers fetch tokens through: see `BaseClient._token_call`."""
        try:
            response = self._send(self._token_call(call, url, form, headers))
        except APIStatusError as error:
            raise self._token_refused(error) from None
        return response.status_code, response.headers, response.content

    def _send(self, call: PreparedCall) -> APIResponse:
        op = call.op
        logger = self.logger
        hooks = self.hooks
        limiter = self.rate_limiter
        policy = call.retry
        target: AuthTarget | None = None
        if call.providers:
            target = AuthTarget()
            token_http = partial(self._token_http, call)
            try:
                for provider in call.providers:
                    provider.apply(target, token_http)
            except (StateBackendError, LockTimeout) as exc:
                raise self._fill(state_error(exc), call, call.url) from exc
            except APIError as error:
                raise self._scrub(error) from None
        replayed_unauthorized = False
        attempt = 0
        while True:
            attempt += 1
            url, header_list = self._wire_headers(call, target)
            remaining = self._remaining(call)
            if remaining is not None and remaining <= 0:
                raise self._fill(APITimeoutError("the call's deadline passed"), call, url)
            if limiter is not None:
                if remaining is None and not hooks.on_rate_limit_wait:
                    # Hot path: nothing needs to know how long the limiter made us wait.
                    try:
                        limiter.acquire(op.group, 1.0, None)
                    except StateBackendError as exc:
                        raise self._fill(state_error(exc), call, url) from exc
                else:
                    remaining = self._acquire(call, url, remaining)
            if remaining is not None and remaining <= 0:
                # The limiter's wait used up what was left: a negative socket timeout is no answer.
                raise self._fill(APITimeoutError("the call's deadline passed"), call, url)
            timeout = call.timeout if remaining is None else call.timeout.capped(remaining)
            if hooks.before_request:
                header_list = self._before_request(call, url, header_list, attempt)
            debug = logger.isEnabledFor(logging.DEBUG)
            if debug:
                logger.debug("%s %s (attempt %d)", call.method, self.redactor.url(url), attempt)
            started = time.perf_counter()
            try:
                raw = self.transport.handle(
                    TransportRequest(
                        call.method, url, header_list, call.content, timeout, call.stream
                    )
                )
            except APIConnectionError as error:
                self._fill(error, call, url)
                policy = policy.increment(error=type(error).__name__)
                decision = policy.decide(
                    may_resend=call.may_resend,
                    connection_error=True,
                    timeout_error=isinstance(error, APITimeoutError),
                    never_sent=error.never_sent,
                    remaining=self._remaining(call),
                )
                if not decision.retry:
                    raise
                self._on_retry(call, url, attempt, decision.delay, None, str(error))
                time.sleep(decision.delay)
                continue
            elapsed = time.perf_counter() - started
            response = self._response(call, url, raw, elapsed)
            status = raw.status
            if debug:
                logger.debug(
                    "%s %s -> %d in %.1f ms", call.method, response.url, status, elapsed * 1000
                )
            if limiter is not None:
                try:
                    limiter.observe(op.group, status, raw.headers)
                except StateBackendError as exc:
                    # The response is here: failing (or retrying) the call over it would be worse.
                    logger.warning("rate limiter could not record a response: %s", exc)
            if hooks.after_response:
                run_sync(
                    hooks.after_response,
                    ResponseEvent(
                        op.id,
                        call.method,
                        response.url,
                        status,
                        self.redactor.headers_dict(raw.headers),
                        elapsed,
                        attempt,
                    ),
                )
            if self._is_success(call, status):
                return response
            if 300 <= status < 400:
                redirected = self._redirect(call, target, response)
                if redirected is None:
                    return response
                response.close()
                call, target = redirected
                continue
            if call.stream:
                response.read()
            if status == 401 and target is not None and not replayed_unauthorized:
                replayed_unauthorized = True
                token_http = partial(self._token_http, call)
                try:
                    refreshed = [
                        provider.refresh_after_unauthorized(target, token_http)
                        for provider in call.providers
                    ]
                except (StateBackendError, LockTimeout) as exc:
                    raise self._fill(state_error(exc), call, url) from exc
                except APIError as error:
                    raise self._scrub(error) from None
                if any(refreshed):
                    continue
            policy = policy.increment(status=status)
            decision = policy.decide(
                may_resend=call.may_resend,
                status=status,
                headers=raw.headers,
                remaining=self._remaining(call),
            )
            if not decision.retry:
                raise self._status_error(call, response)
            self._on_retry(call, url, attempt, decision.delay, status, None)
            time.sleep(decision.delay)

    def _acquire(self, call: PreparedCall, url: str, remaining: float | None) -> float | None:
        limiter = self.rate_limiter
        assert limiter is not None  # only called with a limiter configured
        started = time.monotonic()
        try:
            limiter.acquire(call.op.group, 1.0, remaining)
        except StateBackendError as exc:
            raise self._fill(state_error(exc), call, url) from exc
        except TimeoutError:
            raise self._fill(
                APITimeoutError(
                    f"rate limiter for group {call.op.group!r} could not admit the call in time"
                ),
                call,
                url,
            ) from None
        waited = time.monotonic() - started
        if waited >= REPORTED_WAIT and self.hooks.on_rate_limit_wait:
            run_sync(
                self.hooks.on_rate_limit_wait,
                RateLimitWaitEvent(call.op.id, call.op.group, waited),
            )
        return remaining if remaining is None else remaining - waited

    def _before_request(
        self, call: PreparedCall, url: str, header_list: list[tuple[str, str]], attempt: int
    ) -> list[tuple[str, str]]:
        visible = {
            name: value for name, value in header_list if name.lower() not in self.redactor.headers
        }
        event = RequestEvent(
            call.op.id, call.method, self.redactor.url(url), dict(visible), attempt
        )
        run_sync(self.hooks.before_request, event)
        if event.headers != visible:
            merged = dict(header_list)
            merged.update(event.headers)
            return list(merged.items())
        return header_list

    def _on_retry(
        self,
        call: PreparedCall,
        url: str,
        attempt: int,
        delay: float,
        status: int | None,
        error: str | None,
    ) -> None:
        redacted = self.redactor.url(url)
        if self.logger.isEnabledFor(logging.INFO):
            self.logger.info(
                "retrying %s %s in %.2fs after attempt %d (%s)",
                call.method,
                redacted,
                delay,
                attempt,
                f"status {status}" if status is not None else error,
            )
        if self.hooks.on_retry:
            run_sync(
                self.hooks.on_retry,
                RetryEvent(call.op.id, call.method, redacted, attempt, delay, status, error),
            )


def _adapt_sync(transport: Any) -> Transport:
    module = type(transport).__module__.split(".")[0]
    if module in ("httpx", "httpx2") and hasattr(transport, "send"):
        from ._transports._httpx import HttpxTransport

        return HttpxTransport(transport)
    raise TypeError(
        "transport must implement apiweld.runtime.Transport or be an httpx.Client, "
        f"not {transport!r}"
    )
