"""What `Client` and `AsyncClient` share: configuration, request preparation, error building.

The sync and async send loops live in `_client.py` and `_async_client.py`; everything that does not
wait on I/O is here so both behave identically.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import sys
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final, Self
from urllib.parse import urljoin, urlsplit

from pydantic import ValidationError

from .. import __version__
from . import __name__ as _package_name
from ._auth import AuthProvider, AuthTarget, encode_form, missing_credentials
from ._bodies import encode_body
from ._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    AuthenticationError,
    status_error_class,
)
from ._hooks import Hooks
from ._models import NOT_GIVEN, OperationSpec, RequestOptions, Timeout, default_param
from ._params import (
    encode_extra_query,
    serialize_content,
    serialize_cookie,
    serialize_header,
    serialize_path,
    serialize_query,
)
from ._ratelimit import BaseRateLimiter
from ._redact import Redactor, scrub_exception_chain
from ._response import APIResponse, decode_error_body, type_adapter
from ._retry import RetryPolicy
from ._transports._base import TransportResponse

_DEFAULT_LOGGER: Final = logging.getLogger(_package_name)
_USER_AGENT: Final = f"apiweld/{__version__} python/{sys.version_info[0]}.{sys.version_info[1]}"
_EMPTY: Final[Mapping[str, Any]] = {}
REPORTED_WAIT: Final = 0.02
"""Rate-limiter waits shorter than this are not reported to hooks: the limiter's own bookkeeping
and thread scheduling take that long on a busy machine, so shorter "waits" are noise."""

TOKEN_OPERATION: Final = OperationSpec(
    id="oauth2.token",
    method="POST",
    path="/",  # unused: a token call carries its absolute URL
    idempotent=True,
    rate_limit_group="oauth2.token",
    # A 3xx is handed back, never followed: a grant's form (client secret, refresh token) must
    # not be re-posted to wherever a redirect points. The provider reports it as an error.
    success_statuses=frozenset(range(200, 400)),
)
"""What OAuth2 token requests are to hooks, logs and the rate limiter (their endpoint group)."""
_TOKEN_TIMEOUT_CAP: Final = 60.0


@dataclass(slots=True)
class PreparedCall:
    """One logical call: everything fixed before the first attempt."""

    op: OperationSpec
    method: str
    url: str
    """Absolute, encoded, without auth query parameters."""
    headers: dict[str, str]
    cookies: list[tuple[str, str]]
    content: bytes | None
    timeout: Timeout
    deadline: float | None
    """Monotonic time by which the call must end, or None."""
    retry: RetryPolicy
    may_resend: bool
    providers: tuple[AuthProvider, ...]
    cast_to: Any
    stream: bool
    redirects: int = 0


class BaseClient:
    operation_servers: bool = True
    """Whether an operation's own server (`OperationSpec.base_url`) replaces `base_url` for it.
    Generated clients clear it when built with a base URL other than the description's default
    (a mock, a staging host): that host must then serve every operation, or those calls would
    leave for the production server the description names."""

    def __init__(
        self,
        *,
        base_url: str,
        auth: Mapping[str, AuthProvider] | AuthProvider | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        rate_limiter: BaseRateLimiter | None = None,
        hooks: Hooks | None = None,
        idempotency_header: str | None = "Idempotency-Key",
        redact: Iterable[str] = (),
        proxy: str | None = None,
        logger: logging.Logger | None = None,
        follow_redirects: bool = True,
    ) -> None:
        if not base_url or "://" not in base_url:
            raise ValueError(f"base_url must be an absolute http(s) URL, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        if isinstance(auth, AuthProvider):
            self._auth: dict[str, AuthProvider] = {"default": auth}
        elif auth is None:
            self._auth = {}
        else:
            for name, provider in auth.items():
                if not isinstance(provider, AuthProvider):
                    raise TypeError(f"auth[{name!r}] must be an AuthProvider, not {provider!r}")
            self._auth = dict(auth)
        # application/json, as Stainless-generated SDKs (openai-python) send: an operation whose
        # success responses are something else says so in `OperationSpec.accept`. A wildcard
        # fallback (`*/*;q=0.1`) would invite HTML error pages from proxies in place of a 406.
        self._default_headers = _merged_headers(
            {"Accept": "application/json", "User-Agent": _USER_AGENT}, headers
        )
        self.timeout = Timeout.coerce(timeout) if timeout is not None else Timeout()
        self.retry = retry if retry is not None else RetryPolicy()
        self.rate_limiter = rate_limiter
        self.hooks = hooks if hooks is not None else Hooks()
        self.idempotency_header = idempotency_header
        sensitive: set[str] = set(redact)
        for provider in self._auth.values():
            sensitive.update(provider.sensitive_names)
        self.redactor = Redactor(sensitive, self._secret_values)
        self.proxy = proxy
        self.logger = logger if logger is not None else _DEFAULT_LOGGER
        self.follow_redirects = follow_redirects
        self._security_cache: dict[Any, tuple[AuthProvider, ...]] = {}

    def _secret_values(self) -> list[str]:
        return [value for provider in self._auth.values() for value in provider.secret_values()]

    # -- auth -----------------------------------------------------------------------------
    def _providers_for(self, op: OperationSpec) -> tuple[AuthProvider, ...]:
        security = op.security
        cached = self._security_cache.get(security)
        if cached is not None:
            return cached
        if security is None:
            chosen = tuple(self._auth.values())
        elif not security:
            chosen = ()
        else:
            for requirement in security:
                if all(name in self._auth for name in requirement):
                    chosen = tuple(self._auth[name] for name in requirement)
                    break
            else:
                raise missing_credentials(op.id, security)
        self._security_cache[security] = chosen
        return chosen

    # -- building the call ------------------------------------------------------------------
    def _prepare(
        self,
        op: OperationSpec,
        path: Mapping[str, Any],
        query: Mapping[str, Any],
        headers: Mapping[str, Any],
        cookies: Mapping[str, Any],
        body: Any,
        content_type: str | None,
        cast_to: Any,
        options: RequestOptions | None,
        stream: bool = False,
        absolute_url: str | None = None,
    ) -> PreparedCall:
        """`absolute_url` (a next-page link) replaces the operation's path and query."""
        template, compiled = op._compiled
        base_url = self.base_url
        if op.base_url is not None and self.operation_servers:
            base_url = op.base_url
        if absolute_url is not None:
            url = absolute_url
        elif template.fields:
            pieces = [template.pieces[0]]
            for index, (arg, spec) in enumerate(template.fields):
                value = path.get(arg)
                if value is None:
                    value = path.get(spec.wire_name)
                    if value is None:
                        raise ValueError(f"{op.id}: missing path parameter {arg!r}")
                kind = type(value)
                if kind is int and spec.style == "simple":
                    pieces.append(str(value))  # the common case, nothing to encode
                elif kind is str and spec.style == "simple":
                    pieces.append(spec.encode(value))
                elif spec.is_content:
                    pieces.append(spec.encode(serialize_content(value)))
                else:
                    pieces.append(
                        serialize_path(spec.wire_name, value, spec.style, spec.explode, spec.encode)
                    )
                pieces.append(template.pieces[index + 1])
            url = base_url + "".join(pieces)
        else:
            url = base_url + template.pieces[0]

        query_parts: list[str] = []
        for arg, value in query.items() if query and absolute_url is None else ():
            if value is None:
                continue
            spec = compiled.get(arg) or default_param(arg, "query")
            if spec.is_content:
                query_parts.append(
                    f"{spec.encode(spec.wire_name)}={spec.encode(serialize_content(value))}"
                )
            else:
                serialize_query(
                    spec.wire_name, value, spec.style, spec.explode, spec.encode, query_parts
                )
        if options is not None and options.extra_query:
            encode_extra_query(options.extra_query, query_parts)
        if query_parts:
            url = f"{url}{'&' if '?' in url else '?'}{'&'.join(query_parts)}"

        call_headers = dict(self._default_headers)
        if op.accept is not None:
            _put_header(call_headers, "Accept", op.accept)
        for arg, value in headers.items() if headers else ():
            if value is None:
                continue
            spec = compiled.get(arg) or default_param(arg, "header")
            text = (
                serialize_content(value)
                if spec.is_content
                else serialize_header(value, spec.explode)
            )
            _put_header(call_headers, spec.wire_name, _checked_header(op, spec.wire_name, text))
        cookie_pairs: list[tuple[str, str]] = []
        for arg, value in cookies.items() if cookies else ():
            if value is None:
                continue
            spec = compiled.get(arg) or default_param(arg, "cookie")
            cookie_pairs.extend(serialize_cookie(spec.wire_name, value, spec.explode))

        content: bytes | None = None
        if body is not NOT_GIVEN or (options is not None and options.extra_body):
            content, body_type = encode_body(
                body, content_type, options.extra_body if options else None
            )
            if body_type is not None:
                call_headers["Content-Type"] = body_type

        retry = op.retry if op.retry is not None else self.retry
        timeout = self.timeout
        deadline_seconds = retry.total_deadline
        idempotency_key: str | None = None
        if options is not None:
            if options.extra_headers:
                for name, text in options.extra_headers.items():
                    _put_header(call_headers, name, _checked_header(op, name, text))
            if options.timeout is not None:
                timeout = Timeout.coerce(options.timeout)
            if options.max_retries is not None:
                retry = retry.with_max_retries(options.max_retries)
            if options.deadline is not None:
                deadline_seconds = _min_or(options.deadline, deadline_seconds)
            idempotency_key = options.idempotency_key
        if timeout.total is not None:
            deadline_seconds = _min_or(timeout.total, deadline_seconds)

        may_resend = op.is_idempotent
        header_name = op.idempotency_header or self.idempotency_header
        if header_name is not None and not op.is_idempotent:
            if idempotency_key is None:
                # A key the caller passed as an ordinary header parameter is the call's key.
                wanted = header_name.lower()
                for name, value in call_headers.items():
                    if name.lower() == wanted:
                        idempotency_key = value
                        del call_headers[name]
                        break
            if idempotency_key is None and retry.max_attempts > 1:
                idempotency_key = str(uuid.uuid4())
            if idempotency_key is not None:
                call_headers[header_name] = idempotency_key
                may_resend = True

        return PreparedCall(
            op=op,
            method=op.method,
            url=url,
            headers=call_headers,
            cookies=cookie_pairs,
            content=content,
            timeout=timeout,
            deadline=None if deadline_seconds is None else time.monotonic() + deadline_seconds,
            retry=retry,
            may_resend=may_resend,
            providers=self._providers_for(op),
            cast_to=cast_to,
            stream=stream,
        )

    def _wire_headers(
        self, call: PreparedCall, target: AuthTarget | None
    ) -> tuple[str, list[tuple[str, str]]]:
        """(URL with auth query, header list) for one attempt."""
        url = call.url
        headers = call.headers
        cookies = call.cookies
        if target is not None:
            if target.headers:
                headers = {**headers, **target.headers}
            if target.query:
                extra: list[str] = []
                encode_extra_query(target.query, extra)
                url = f"{url}{'&' if '?' in url else '?'}{'&'.join(extra)}"
            if target.cookies:
                cookies = [*cookies, *target.cookies.items()]
        header_list = list(headers.items())
        if cookies:
            header_list.append(("Cookie", "; ".join(f"{name}={value}" for name, value in cookies)))
        return url, header_list

    # -- results ----------------------------------------------------------------------------
    def _response(
        self, call: PreparedCall, url: str, response: TransportResponse, elapsed: float
    ) -> APIResponse:
        return APIResponse(
            status_code=response.status,
            headers=response.headers,
            content=response.content,
            method=call.method,
            url=url,
            redactor=self.redactor,
            operation_id=call.op.id,
            elapsed=elapsed,
            http_version=response.http_version,
            cast_to=call.cast_to,
            stream=response.stream,
        )

    def _is_success(self, call: PreparedCall, status: int) -> bool:
        accepted = call.op.success_statuses
        if accepted is not None:
            return status in accepted
        return 200 <= status < 300

    def _redirect(
        self, call: PreparedCall, target: AuthTarget | None, response: APIResponse
    ) -> tuple[PreparedCall, AuthTarget | None] | None:
        """The call to make next for a 3xx, or None when the 3xx is the answer (e.g. 304).

        Credentials never follow a redirect to another origin: auth is dropped, and so are the
        headers and cookies the redactor knows as sensitive.
        """
        status = response.status_code
        location = response.headers.get("location")
        if status not in _REDIRECT_STATUSES or not self.follow_redirects or not location:
            return None
        if call.redirects >= _MAX_REDIRECTS:
            raise self._status_error(call, response, f"stopped after {_MAX_REDIRECTS} redirects")
        new_url = urljoin(call.url, location)
        if not new_url.startswith(("http://", "https://")):
            return None
        method, content, headers, cookies = call.method, call.content, call.headers, call.cookies
        if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
            method, content = "GET", None  # what every client does; 307/308 keep method and body
            headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        if _origin(new_url) != _origin(call.url):
            sensitive = self.redactor.headers
            headers = {k: v for k, v in headers.items() if k.lower() not in sensitive}
            cookies, target = [], None
        redirected = replace(
            call,
            method=method,
            url=new_url,
            content=content,
            headers=headers,
            cookies=cookies,
            redirects=call.redirects + 1,
        )
        return redirected, target

    def _status_error(
        self, call: PreparedCall, response: APIResponse, note: str = ""
    ) -> APIStatusError:
        status = response.status_code
        content = response.content
        content_type = response.headers.get("content-type", "")
        body = self.redactor.body(decode_error_body(content, content_type))
        model = call.op.error_models.get(status)
        if model is not None and content:
            # An error model is best effort: when it does not fit, the plain JSON body is kept.
            with contextlib.suppress(ValidationError, ValueError):
                body = type_adapter(model).validate_python(body)
        detail = _error_detail(body)
        message = f"{status} {_REASONS.get(status, 'error')}" + (f": {detail}" if detail else "")
        if note:
            message = f"{message} ({note})"
        return status_error_class(status)(
            message,
            status_code=status,
            method=call.method,
            url=response.url,
            headers=self.redactor.headers_dict(response.headers),
            body=body,
        )

    def _fill(self, error: APIConnectionError, call: PreparedCall, url: str) -> APIConnectionError:
        error.method = call.method
        error.url = self.redactor.url(url)
        error.message = self.redactor.text(error.message)
        error.args = (error.message,)
        scrub_exception_chain(error, self.redactor)
        return error

    def _scrub(self, error: APIError) -> APIError:
        """`error` (raised by an auth provider) with secrets masked in its URL and message."""
        error.url = self.redactor.url(error.url)
        error.message = self.redactor.text(error.message)
        error.args = (error.message,)
        scrub_exception_chain(error, self.redactor)
        return error

    # -- OAuth2 token requests ----------------------------------------------------------------
    def _token_call(
        self,
        call: PreparedCall,
        url: str,
        form: Mapping[str, str],
        headers: Mapping[str, str],
    ) -> PreparedCall:
        """A token request made on behalf of `call`: sent by the same loop as API calls, so it
        gets the call's retry policy (back-off with full jitter, `Retry-After` honoured and
        capped), the rate limiter (group `oauth2.token`), hooks and redacted logs, all within
        what is left of the call's deadline.

        `may_resend=True`: a token POST is safe to repeat. A client-credentials grant creates
        nothing on the server (a repeat at worst issues a second token, and the first expires
        unused). A refresh grant whose answer was lost may have rotated the refresh token; the
        old one is then spent whether or not this call retries (the next call would send it
        again), so a retry adds no risk, and within a server's rotation grace period it
        recovers. A 5xx or 429 means the grant was not processed at all.
        """
        return PreparedCall(
            op=TOKEN_OPERATION,
            method="POST",
            url=url,
            headers={"User-Agent": _USER_AGENT, **headers},
            cookies=[],
            content=encode_form(form),
            timeout=call.timeout.capped(_TOKEN_TIMEOUT_CAP),
            deadline=call.deadline,
            retry=call.retry,
            may_resend=True,
            providers=(),
            cast_to=None,
            stream=False,
        )

    @staticmethod
    def _token_refused(error: APIStatusError) -> APIStatusError:
        """A 400/401 from a token endpoint (RFC 6749 5.2: `invalid_client`, `invalid_grant`,
        ...) is a credentials problem, never retried: `AuthenticationError` naming the OAuth
        error code and description. The body was redacted when the error was built."""
        if error.status_code not in (400, 401):
            return error
        body = error.body
        code = description = None
        if isinstance(body, Mapping):
            code = body.get("error") if isinstance(body.get("error"), str) else None
            text = body.get("error_description")
            description = text[:300] if isinstance(text, str) else None
        message = f"token endpoint refused the request ({error.status_code})"
        if code:
            message += f": {code}"
        if description:
            message += f": {description}"
        return AuthenticationError(
            message,
            status_code=error.status_code,
            method=error.method,
            url=error.url,
            headers=error.headers,
            body=body,
        )

    def _remaining(self, call: PreparedCall) -> float | None:
        if call.deadline is None:
            return None
        return call.deadline - time.monotonic()

    def with_options(
        self,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        rate_limiter: BaseRateLimiter | None = None,
        hooks: Hooks | None = None,
    ) -> Self:
        """A copy with some settings changed, sharing this client's transport, pool and auth.

        Closing either closes the shared transport; close the original when done with both.
        """
        clone = copy.copy(self)
        if headers:
            clone._default_headers = _merged_headers(self._default_headers, headers)
        if timeout is not None:
            clone.timeout = Timeout.coerce(timeout)
        if retry is not None:
            clone.retry = retry
        if rate_limiter is not None:
            clone._set_rate_limiter(rate_limiter)
        if hooks is not None:
            clone._set_hooks(hooks)
        return clone

    def _set_rate_limiter(self, rate_limiter: BaseRateLimiter) -> None:
        self.rate_limiter = rate_limiter

    def _set_hooks(self, hooks: Hooks) -> None:
        self.hooks = hooks

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.redactor.url(self.base_url)!r})"


_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS: Final = 5


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _put_header(headers: dict[str, str], name: str, value: str) -> None:
    """Set a header replacing any spelling of its name: `accept` must not ride beside `Accept`.

    The exact-name lookup comes first so the usual case costs one dict probe, not a scan.
    """
    if name not in headers:
        lowered = name.lower()
        for existing in headers:
            if existing.lower() == lowered:
                del headers[existing]
                break
    headers[name] = value


def _merged_headers(base: Mapping[str, str], extra: Mapping[str, str] | None) -> dict[str, str]:
    merged = dict(base)
    for name, value in (extra or {}).items():
        _put_header(merged, name, value)
    return merged


def _checked_header(op: OperationSpec, name: str, value: str) -> str:
    """Refuse header injection here, with a clear message, before any HTTP library sees it."""
    if "\r" in value or "\n" in value or "\x00" in value:
        raise ValueError(f"{op.id}: header {name!r} contains a line break or NUL character")
    return value


def _min_or(value: float, other: float | None) -> float:
    return value if other is None else min(value, other)


def _error_detail(body: Any) -> str:
    if isinstance(body, str):
        return body[:200]
    if isinstance(body, Mapping):
        for key in ("message", "error_description", "detail", "title", "error"):
            value = body.get(key)
            if isinstance(value, str):
                return value[:200]
            if isinstance(value, Mapping) and isinstance(value.get("message"), str):
                return str(value["message"])[:200]
    return ""


_REASONS: Final = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
