"""Declarative request shapes shared by generated code and hand-written integrations."""

from __future__ import annotations

import re
from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import urlsplit

from ._params import Encoder, check_style, default_style, encoder

if TYPE_CHECKING:
    from ._pagination import PaginationSpec
    from ._retry import RetryPolicy

__all__ = [
    "NOT_GIVEN",
    "Headers",
    "NotGiven",
    "OperationSpec",
    "ParamSpec",
    "RequestOptions",
    "Timeout",
]


class NotGiven:
    """Marks an argument that was not passed (distinct from an explicit None)."""

    __slots__ = ()
    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()


@dataclass(frozen=True, slots=True)
class Timeout:
    """Per-attempt timeouts in seconds, plus an optional total deadline for the whole call.

    `total` covers every attempt, the back-off sleeps between them and rate-limiter waits.
    """

    connect: float | None = 5.0
    read: float | None = 60.0
    write: float | None = 60.0
    pool: float | None = 10.0
    total: float | None = None

    @classmethod
    def coerce(cls, value: Timeout | float | None) -> Timeout:
        if isinstance(value, Timeout):
            return value
        if value is None:
            return cls(None, None, None, None, None)
        seconds = float(value)
        return cls(seconds, seconds, seconds, seconds, None)

    def capped(self, remaining: float) -> Timeout:
        """These timeouts, none longer than `remaining` seconds (what is left of the deadline)."""

        def cap(value: float | None) -> float:
            return remaining if value is None else min(value, remaining)

        # `total` becomes the attempt's own ceiling, for transports that can enforce one.
        return Timeout(
            cap(self.connect), cap(self.read), cap(self.write), cap(self.pool), remaining
        )


@dataclass(frozen=True, slots=True)
class RequestOptions:
    """Per-request overrides; every generated method takes `options=` as its last argument."""

    extra_headers: Mapping[str, str] | None = None
    extra_query: Mapping[str, Any] | None = None
    extra_body: Mapping[str, Any] | None = None
    timeout: Timeout | float | None = None
    max_retries: int | None = None
    """Retries after the first attempt (0 disables retrying for this call)."""
    idempotency_key: str | None = None
    """Sent in the idempotency header instead of a generated key; reused across retries."""
    deadline: float | None = None
    """Total seconds for the call, including retries and rate-limit waits."""


@dataclass(frozen=True, slots=True)
class ParamSpec:
    name: str
    """As on the wire."""
    location: Literal["path", "query", "header", "cookie"]
    style: str | None = None
    """None: the location's default (simple for path and header, form for query and cookie)."""
    explode: bool | None = None
    """None: True for form style, False otherwise (the OpenAPI default)."""
    allow_reserved: bool = False
    content_type: str | None = None
    """Set for a parameter declared with `content`; its value is serialised as JSON."""

    @property
    def effective_style(self) -> str:
        return self.style or default_style(self.location)

    @property
    def effective_explode(self) -> bool:
        if self.explode is not None:
            return self.explode
        return self.effective_style == "form"


_IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
_PATH_FIELD = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True, slots=True)
class _CompiledParam:
    """A ParamSpec with everything the hot path needs decided once."""

    wire_name: str
    location: str
    style: str
    explode: bool
    is_content: bool
    encode: Encoder


@dataclass(frozen=True, slots=True)
class _PathTemplate:
    """`/pets/{petId}/toys` split once: literal pieces and, between them, for each field the
    Python argument name that supplies it and how it is serialised."""

    pieces: tuple[str, ...]
    fields: tuple[tuple[str, _CompiledParam], ...]


@dataclass(frozen=True, slots=True)
class OperationSpec:
    """One endpoint, built once at import time by generated code (or by hand)."""

    id: str
    """Names the endpoint in logs and, unless `rate_limit_group` is set, nothing else."""
    method: str
    path: str
    params: Mapping[str, ParamSpec] = field(default_factory=dict)
    """By Python argument name."""
    security: tuple[tuple[str, ...], ...] | None = None
    """OR of AND-sets of scheme names; None: the client's default (all configured schemes)."""
    idempotent: bool | None = None
    """None: decided by the HTTP method (GET, HEAD, OPTIONS, PUT, DELETE, TRACE are idempotent)."""
    idempotency_header: str | None = None
    pagination: PaginationSpec | None = None
    rate_limit_group: str | None = None
    retry: RetryPolicy | None = None
    success_statuses: frozenset[int] | None = None
    """None: any 2xx (and 3xx that is not followed) is a success."""
    error_models: Mapping[int, Any] = field(default_factory=dict)
    """Status -> type the error body is parsed into (best effort; falls back to plain JSON)."""
    accept: str | None = None
    """The `Accept` header this operation sends, e.g. `"application/pdf"` or
    `"application/json, text/csv"`: the media types its success responses declare. None: the
    client's default (`application/json`). A per-request `extra_headers` Accept still wins."""
    base_url: str | None = None
    """The operation's own server (its `servers` in the description, when they differ from the
    API's), used instead of the client's `base_url` while `BaseClient.operation_servers` is set."""
    _compiled: tuple[_PathTemplate, dict[str, _CompiledParam]] = field(
        init=False, repr=False, compare=False
    )
    """Decided once here so the per-call path does no parsing."""

    def __post_init__(self) -> None:
        method = self.method.upper()
        if method != self.method:
            object.__setattr__(self, "method", method)
        if self.idempotent is None:
            object.__setattr__(self, "idempotent", method in _IDEMPOTENT_METHODS)
        where = f"operation {self.id!r}"
        if self.accept is not None:
            accept = self.accept.strip()
            if not accept or "\r" in accept or "\n" in accept or "\x00" in accept:
                raise ValueError(
                    f"{where}: accept must be a non-empty header value on one line, "
                    f"got {self.accept!r}"
                )
            if accept != self.accept:
                object.__setattr__(self, "accept", accept)
        if self.base_url is not None:
            object.__setattr__(self, "base_url", _absolute_url(self.base_url, where))
        compiled = {
            arg: _compile_param(spec, f"{where}, parameter {arg!r}")
            for arg, spec in self.params.items()
        }
        object.__setattr__(self, "_compiled", (_compile_path(self.path, compiled), compiled))

    @property
    def group(self) -> str:
        return self.rate_limit_group or "default"

    @property
    def is_idempotent(self) -> bool:
        return bool(self.idempotent)


def _compile_param(spec: ParamSpec, where: str) -> _CompiledParam:
    style = spec.effective_style
    check_style(spec.location, style, where)
    return _CompiledParam(
        wire_name=spec.name,
        location=spec.location,
        style=style,
        explode=spec.effective_explode,
        is_content=spec.content_type is not None,
        encode=encoder(spec.allow_reserved),
    )


def path_without_fragment(template: str, declared: Iterable[str]) -> str:
    """The path key as it is sent: AWS descriptions tell operations on one path apart by a
    `#key` or `#key=value` suffix (`/tags/{resourceArn}#tagKeys`, `/{Bucket}#uploads`). A
    fragment is never sent, so the suffix must not reach the URL as one: keys in `declared`
    (the wire names of the operation's query and header parameters, any case) travel as those;
    any other key is the operation's literal query (`?uploads`). A `?k=v` already in the key
    stays, and the literal query joins it. Public for the contract checks, which must send
    what a generated client sends."""
    base, _, fragment = template.partition("#")
    lowered = {name.lower() for name in declared}
    literal = [
        item
        for item in fragment.split("&")
        if item and item.partition("=")[0].lower() not in lowered
    ]
    if not literal:
        return base
    return f"{base}{'&' if '?' in base else '?'}{'&'.join(literal)}"


def _compile_path(template: str, compiled: Mapping[str, _CompiledParam]) -> _PathTemplate:
    if "#" in template:
        declared = [s.wire_name for s in compiled.values() if s.location in ("query", "header")]
        template = path_without_fragment(template, declared)
    by_wire = {
        spec.wire_name: (arg, spec) for arg, spec in compiled.items() if spec.location == "path"
    }
    pieces: list[str] = []
    fields: list[tuple[str, _CompiledParam]] = []
    last = 0
    for match in _PATH_FIELD.finditer(template):
        pieces.append(template[last : match.start()])
        wire = match.group(1)
        fields.append(by_wire.get(wire) or (wire, default_param(wire, "path")))
        last = match.end()
    pieces.append(template[last:])
    return _PathTemplate(tuple(pieces), tuple(fields))


def default_param(name: str, location: str) -> _CompiledParam:
    style = default_style(location)
    return _CompiledParam(name, location, style, style == "form", False, encoder(False))


class Headers(Mapping[str, str]):
    """Case-insensitive, read-only view of response headers; repeated fields joined by ", ".

    The lower-cased index is built on first lookup, so a response nobody inspects costs one list.
    """

    __slots__ = ("_index", "raw")

    def __init__(self, raw: Iterable[tuple[str, str]] = ()) -> None:
        self.raw: list[tuple[str, str]] = list(raw)
        self._index: dict[str, str] | None = None

    def _build(self) -> dict[str, str]:
        index: dict[str, str] = {}
        for name, value in self.raw:
            key = name.lower()
            previous = index.get(key)
            index[key] = value if previous is None else f"{previous}, {value}"
        self._index = index
        return index

    def __getitem__(self, name: str) -> str:
        index = self._index if self._index is not None else self._build()
        return index[name.lower()]

    def get(self, name: str, default: Any = None) -> Any:
        index = self._index if self._index is not None else self._build()
        return index.get(name.lower(), default)

    def get_list(self, name: str) -> list[str]:
        key = name.lower()
        return [value for field_name, value in self.raw if field_name.lower() == key]

    def __contains__(self, name: object) -> bool:
        index = self._index if self._index is not None else self._build()
        return isinstance(name, str) and name.lower() in index

    def __iter__(self) -> Iterator[str]:
        index = self._index if self._index is not None else self._build()
        return iter(index)

    def __len__(self) -> int:
        index = self._index if self._index is not None else self._build()
        return len(index)

    # Views straight from the index: the Mapping mixins would go through __getitem__ per key,
    # and the rate limiter reads every response's headers this way.
    def items(self) -> ItemsView[str, str]:
        index = self._index if self._index is not None else self._build()
        return index.items()

    def keys(self) -> KeysView[str]:
        index = self._index if self._index is not None else self._build()
        return index.keys()

    def values(self) -> ValuesView[str]:
        index = self._index if self._index is not None else self._build()
        return index.values()

    def __repr__(self) -> str:
        return f"Headers({len(self.raw)} fields)"


def _absolute_url(url: str, where: str) -> str:
    """An absolute http(s) URL with no trailing `/` (paths are appended to it)."""
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
    except ValueError:  # a malformed netloc, such as an unclosed IPv6 bracket
        parts = None
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not parts.netloc
        or any(c in url for c in "\r\n\x00 ")
    ):
        raise ValueError(f"{where}: base_url must be an absolute http(s) URL, got {url!r}")
    return url.rstrip("/")
