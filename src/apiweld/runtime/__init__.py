"""apiweld.runtime: what generated clients and hand-written integrations import at run time.

Transport, auth, retries, rate limits, pagination, errors, redaction and hooks. Importing it loads
pydantic, orjson and the default transport libraries only (never the spec layer, codegen, jinja2,
typer, rich, starlette, uvicorn or httpx).
"""

from ._async_client import AsyncClient
from ._auth import (
    ApiKeyAuth,
    AuthProvider,
    AuthTarget,
    BasicAuth,
    BearerAuth,
    CallableAuth,
    OAuth2ClientCredentials,
    OAuth2RefreshToken,
)
from ._bodies import FileTypes
from ._client import Client
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from ._hooks import Hooks, RateLimitWaitEvent, RequestEvent, ResponseEvent, RetryEvent
from ._models import NOT_GIVEN, Headers, NotGiven, OperationSpec, ParamSpec, RequestOptions, Timeout
from ._response import APIResponse
from ._retry import RetryPolicy
from ._secrets import MissingSecretError, Secret
from ._transports import (
    AsyncByteStream,
    AsyncTransport,
    SyncByteStream,
    Transport,
    TransportRequest,
    TransportResponse,
)

__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APIResponse",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "ApiKeyAuth",
    "AsyncByteStream",
    "AsyncClient",
    "AsyncTransport",
    "AuthProvider",
    "AuthTarget",
    "AuthenticationError",
    "BadRequestError",
    "BasicAuth",
    "BearerAuth",
    "CallableAuth",
    "Client",
    "ConflictError",
    "FileTypes",
    "Headers",
    "Hooks",
    "InternalServerError",
    "MissingSecretError",
    "NotFoundError",
    "NotGiven",
    "OAuth2ClientCredentials",
    "OAuth2RefreshToken",
    "OperationSpec",
    "PaginationError",
    "ParamSpec",
    "PermissionDeniedError",
    "RateLimitError",
    "RateLimitWaitEvent",
    "RequestEvent",
    "RequestOptions",
    "ResponseEvent",
    "RetryEvent",
    "RetryPolicy",
    "Secret",
    "SyncByteStream",
    "Timeout",
    "Transport",
    "TransportRequest",
    "TransportResponse",
    "UnprocessableEntityError",
]
