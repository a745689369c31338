"""The raw response surface (status, headers, body) and parsing into `cast_to`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, Self, cast

import orjson
from pydantic import BaseModel, TypeAdapter, ValidationError

from ._errors import APIConnectionError, APIResponseValidationError
from ._models import Headers

if TYPE_CHECKING:
    from ._redact import Redactor
    from ._transports._base import AsyncByteStream, SyncByteStream

__all__ = ["APIResponse", "parse_content"]

_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def type_adapter(cast_to: Any) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(cast_to)
    if adapter is None:
        adapter = _ADAPTERS[cast_to] = TypeAdapter(cast_to)
    return adapter


_JSON_MEDIA_CACHE: dict[str, bool] = {}


def _is_json(content_type: str) -> bool:
    known = _JSON_MEDIA_CACHE.get(content_type)
    if known is not None:
        return known
    result = _media_is_json(content_type)
    if len(_JSON_MEDIA_CACHE) < 256:  # bounded: servers may put anything in Content-Type
        _JSON_MEDIA_CACHE[content_type] = result
    return result


def _media_is_json(content_type: str) -> bool:
    if not content_type:
        return True  # many APIs omit it on JSON bodies; a wrong guess fails validation clearly
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json") or media == "text/json"


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip('"')
    return "utf-8"


def parse_content(content: bytes, content_type: str, cast_to: Any) -> Any:
    """Raises pydantic `ValidationError` or `ValueError`; callers translate them."""
    if cast_to is None or cast_to is type(None):
        return None
    if cast_to is bytes:
        return content
    if cast_to is str:
        return content.decode(_charset(content_type), "replace")
    if not content:
        return type_adapter(cast_to).validate_python(None)
    if _is_json(content_type):
        if isinstance(cast_to, type) and issubclass(cast_to, BaseModel):
            return cast_to.model_validate_json(content)
        return type_adapter(cast_to).validate_json(content)
    return type_adapter(cast_to).validate_python(content.decode(_charset(content_type), "replace"))


def decode_error_body(content: bytes, content_type: str) -> Any:
    """Best-effort parse of an error body: JSON when it is JSON, else text."""
    if not content:
        return None
    if _is_json(content_type):
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError:
            pass
    return content.decode(_charset(content_type), "replace")[:10_000]


class APIResponse:
    """Status, headers and body of the final attempt, beside the parsed value (`parse()`).

    A streamed response (`stream=True`) has no `content` until read; iterate `iter_bytes()` /
    `aiter_bytes()` and close it (or use it as a context manager).
    """

    __slots__ = (
        "_cast_to",
        "_content",
        "_raw_url",
        "_redactor",
        "_stream",
        "elapsed",
        "headers",
        "http_version",
        "method",
        "operation_id",
        "status_code",
    )

    def __init__(
        self,
        *,
        status_code: int,
        headers: Headers,
        content: bytes | None,
        method: str,
        url: str,
        redactor: Redactor,
        operation_id: str = "",
        elapsed: float = 0.0,
        http_version: str = "HTTP/1.1",
        cast_to: Any = None,
        stream: SyncByteStream | AsyncByteStream | None = None,
    ) -> None:
        self.status_code = status_code
        self.headers = headers
        self._content = content
        self.method = method
        self._raw_url = url
        self._redactor = redactor
        self.operation_id = operation_id
        self.elapsed = elapsed
        self.http_version = http_version
        self._cast_to = cast_to
        self._stream = stream

    @property
    def url(self) -> str:
        """The request URL with secrets redacted."""
        return self._redactor.url(self._raw_url)

    @property
    def request_id(self) -> str | None:
        from ._errors import find_request_id

        return find_request_id(self.headers)

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def content(self) -> bytes:
        if self._content is None:
            raise RuntimeError("streamed response: read it with iter_bytes()/read() first")
        return self._content

    @property
    def text(self) -> str:
        return self.content.decode(_charset(self.headers.get("content-type", "")), "replace")

    def json(self) -> Any:
        try:
            return orjson.loads(self.content)
        except orjson.JSONDecodeError as exc:
            raise APIResponseValidationError(
                f"response body is not valid JSON: {exc}",
                method=self.method,
                url=self.url,
                status_code=self.status_code,
                headers=self._redactor.headers_dict(self.headers),
            ) from None

    def parse(self, cast_to: Any = None) -> Any:
        """The body parsed into `cast_to` (default: the operation's declared type)."""
        target = self._cast_to if cast_to is None else cast_to
        content_type = self.headers.get("content-type", "")
        try:
            return parse_content(self.content, content_type, target)
        except (ValidationError, ValueError) as exc:
            raise APIResponseValidationError(
                f"response body does not match {_type_name(target)}: {_summary(exc)}",
                method=self.method,
                url=self.url,
                status_code=self.status_code,
                headers=self._redactor.headers_dict(self.headers),
                body=self._redactor.body(decode_error_body(self.content, content_type)),
            ) from None

    # -- streaming ---------------------------------------------------------------------------
    def iter_bytes(self) -> Iterator[bytes]:
        if self._stream is None:
            yield self.content
            return
        stream = cast("SyncByteStream", self._stream)
        try:
            yield from stream
        except APIConnectionError as exc:
            exc.method, exc.url = self.method, self.url
            raise
        finally:
            stream.close()
            self._stream = None

    def read(self) -> bytes:
        if self._content is None:
            self._content = b"".join(self.iter_bytes())
        return self._content

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            cast("SyncByteStream", stream).close()

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        if self._stream is None:
            yield self.content
            return
        stream = cast("AsyncByteStream", self._stream)
        try:
            async for chunk in stream:
                yield chunk
        except APIConnectionError as exc:
            exc.method, exc.url = self.method, self.url
            raise
        finally:
            await stream.aclose()
            self._stream = None

    async def aread(self) -> bytes:
        if self._content is None:
            self._content = b"".join([chunk async for chunk in self.aiter_bytes()])
        return self._content

    async def aclose(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            await cast("AsyncByteStream", stream).aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<APIResponse {self.method} {self.url} -> {self.status_code}>"


def _type_name(cast_to: Any) -> str:
    return getattr(cast_to, "__name__", None) or repr(cast_to)


def _summary(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        errors = exc.errors(include_url=False, include_input=False)
        shown = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(body)'}: {err['msg']}"
            for err in errors[:5]
        )
        more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
        return shown + more
    return str(exc)
