"""apiweld.runtime: what generated clients and hand-written integrations import at run time.

Transport, auth, retries, rate limits, pagination, errors, redaction and hooks. Importing it loads
pydantic, orjson and the default transport libraries only (never the spec layer, codegen, jinja2,
typer, rich, starlette, uvicorn or httpx).
"""

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from ._transports._aiohttp import AiohttpTransport
    from ._transports._httpcore import HttpcoreTransport
    from ._transports._httpx import HttpxAsyncTransport, HttpxTransport
    from ._transports._urllib3 import Urllib3Transport

# Transports are imported on first use: each pulls in its HTTP library (httpx is optional).
_LAZY_TRANSPORTS = {
    "HttpcoreTransport": "._transports._httpcore",
    "Urllib3Transport": "._transports._urllib3",
    "AiohttpTransport": "._transports._aiohttp",
    "HttpxTransport": "._transports._httpx",
    "HttpxAsyncTransport": "._transports._httpx",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY_TRANSPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name, __name__), name)


__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APIResponse",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AdaptivePolicy",
    "AiohttpTransport",
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
    "HttpcoreTransport",
    "HttpxAsyncTransport",
    "HttpxTransport",
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
    "Urllib3Transport",
    "parse_link_header",
]
