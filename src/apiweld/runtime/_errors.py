"""The one exception hierarchy every client call raises.

Nothing else escapes a call: transport errors of every backend, JSON decode errors and pydantic
validation errors are all translated here. Every error carries the method, the URL with secrets
redacted, the status, the response headers (sensitive ones redacted), the parsed body and the
server's request id when there was a response.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "REQUEST_ID_HEADERS",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "InternalServerError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnprocessableEntityError",
    "status_error_class",
]

# Looked up in order; the first present names the request in the server's logs.
REQUEST_ID_HEADERS: tuple[str, ...] = (
    "x-request-id",
    "request-id",
    "x-amzn-requestid",
    "x-amz-request-id",
    "x-github-request-id",
    "x-ms-request-id",
    "x-correlation-id",
    "x-trace-id",
    "cf-ray",
)


def find_request_id(headers: Mapping[str, str] | None) -> str | None:
    if not headers:
        return None
    for name in REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value
    return None


class APIError(Exception):
    """Base of every error a client call raises."""

    method: str
    url: str
    status_code: int | None
    headers: Mapping[str, str]
    body: Any
    request_id: str | None

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        url: str = "",
        status_code: int | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.url = url
        self.status_code = status_code
        self.headers = dict(headers) if headers else {}
        self.body = body
        self.request_id = request_id if request_id is not None else find_request_id(self.headers)

    def __str__(self) -> str:
        where = f"{self.method} {self.url}".strip()
        parts = [self.message]
        if where:
            parts.append(f"({where})")
        if self.request_id:
            parts.append(f"[request id {self.request_id}]")
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class APIConnectionError(APIError):
    """The exchange failed below HTTP: DNS, refused/reset connection, TLS, protocol errors.

    `never_sent` is True when the failure proves the request never reached the server (it failed
    while connecting or waiting for a pooled connection); only then may a non-idempotent request
    be retried without an idempotency key.
    """

    def __init__(self, message: str, *, never_sent: bool = False, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.never_sent = never_sent


class APITimeoutError(APIConnectionError):
    """A connect, read, write or pool timeout, or the call's total deadline, ran out."""


class APIStatusError(APIError):
    """The server answered with a status that is not a success."""

    status_code: int

    def __init__(self, message: str, *, status_code: int, **kwargs: Any) -> None:
        super().__init__(message, status_code=status_code, **kwargs)


class BadRequestError(APIStatusError):
    """400"""


class AuthenticationError(APIStatusError):
    """401"""


class PermissionDeniedError(APIStatusError):
    """403"""


class NotFoundError(APIStatusError):
    """404"""


class ConflictError(APIStatusError):
    """409"""


class UnprocessableEntityError(APIStatusError):
    """422"""


class RateLimitError(APIStatusError):
    """429"""


class InternalServerError(APIStatusError):
    """Any status of 500 or above."""


class APIResponseValidationError(APIError):
    """The response body did not parse into the expected type (bad JSON or a schema mismatch)."""


class PaginationError(APIError):
    """Pagination cannot continue safely (a repeated cursor or URL, a malformed page)."""


def state_error(exc: BaseException) -> APIConnectionError:
    """A shared-state backend (Redis for limits or tokens) failed: nothing was sent."""
    kind = APITimeoutError if isinstance(exc, TimeoutError) else APIConnectionError
    error = kind(f"shared state backend: {exc}", never_sent=True)
    error.__cause__ = exc
    return error


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status: int) -> type[APIStatusError]:
    if status >= 500:
        return InternalServerError
    return _STATUS_CLASSES.get(status, APIStatusError)
