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
from ._oauth import OAuth2ClientCredentials, OAuth2RefreshToken
from ._pagination import (
    AsyncPager,
    FetchedPage,
    Page,
    PageRequest,
    PaginationSpec,
    PaginationStyle,
    Paginator,
    SyncPager,
    parse_link_header,
)
from ._ratelimit import (
    AdaptivePolicy,
    BaseRateLimiter,
    RateLimit,
    RateLimiter,
    RateLimitTimeout,
    RedisRateLimiter,
)
from ._response import APIResponse
from ._retry import RetryPolicy
from ._secrets import MissingSecretError, Secret
from ._state import (
    LockTimeout,
    MemoryTokenCache,
    RedisTokenCache,
    StateBackendError,
    Token,
    TokenCache,
    TokenResponseError,
)
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
    "AdaptivePolicy",
    "ApiKeyAuth",
    "AsyncByteStream",
    "AsyncClient",
    "AsyncPager",
    "AsyncTransport",
    "AuthProvider",
    "AuthTarget",
    "AuthenticationError",
    "BadRequestError",
    "BaseRateLimiter",
    "BasicAuth",
    "BearerAuth",
    "CallableAuth",
    "Client",
    "ConflictError",
    "FetchedPage",
    "FileTypes",
    "Headers",
    "Hooks",
    "InternalServerError",
    "LockTimeout",
    "MemoryTokenCache",
    "MissingSecretError",
    "NotFoundError",
    "NotGiven",
    "OAuth2ClientCredentials",
    "OAuth2RefreshToken",
    "OperationSpec",
    "Page",
    "PageRequest",
    "PaginationError",
    "PaginationSpec",
    "PaginationStyle",
    "Paginator",
    "ParamSpec",
    "PermissionDeniedError",
    "RateLimit",
    "RateLimitError",
    "RateLimitTimeout",
    "RateLimitWaitEvent",
    "RateLimiter",
    "RedisRateLimiter",
    "RedisTokenCache",
    "RequestEvent",
    "RequestOptions",
    "ResponseEvent",
    "RetryEvent",
    "RetryPolicy",
    "Secret",
    "StateBackendError",
    "SyncByteStream",
    "SyncPager",
    "Timeout",
    "Token",
    "TokenCache",
    "TokenResponseError",
    "Transport",
    "TransportRequest",
    "TransportResponse",
    "UnprocessableEntityError",
    "parse_link_header",
]
