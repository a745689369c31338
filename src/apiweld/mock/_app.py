"""The mock as an ASGI application: match, enforce, validate, answer, misbehave, log.

The order per request mirrors a real API behind a gateway: faults that happen before the API
sees anything (latency, timeout, reset), routing (404/405), authentication (401), rate limit
(429), injected error statuses, request validation (400/415/422), idempotent replay, content
negotiation (406), then the answer, which body faults may still spoil on its way out.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlparse

import orjson

from apiweld.mock import _delivery, _handlers
from apiweld.mock._delivery import Reply
from apiweld.mock._log import REDACTED, RequestRecord
from apiweld.mock._pathkeys import Candidate, bind_parameters, choose, split_path_key
from apiweld.mock._ratelimit import RateLimit, RateLimiter
from apiweld.mock._router import PathRouter
from apiweld.mock._security import CredentialCheck, SecurityEnforcer
from apiweld.mock._state import CollectionStore, IdempotencyStore, find_collections
from apiweld.mock._validation import RequestValidator, ValidationProblem, ValidatorCache
from apiweld.mock.datagen import DataGenerator
from apiweld.mock.faults import CONTROL_HEADER, FaultConfigError, FaultPlan, FaultProfile
from apiweld.mock.faults import draw as draw_faults
from apiweld.spec.ir import Api, Operation

log = logging.getLogger("apiweld.mock")

MAX_BODY_BYTES = 16 * 1024 * 1024
_PATH_PARAM = re.compile(r"\{([^{}]+)\}")
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})


@dataclass(frozen=True, slots=True)
class MockSettings:
    seed: int = 0
    faults: FaultProfile = field(default_factory=FaultProfile)
    credentials: Mapping[str, CredentialCheck] | None = None
    rate_limit: RateLimit | None = None
    collection_size: int = 20
    page_size: int = 10
    control_header: bool = True
    """Whether requests may ask for faults with `X-Apiweld-Fault`."""
    idempotency_header: str = "Idempotency-Key"
    on_request: Callable[[RequestRecord], None] | None = None
    log_limit: int | None = None
    """Keep only the newest records (a long-running server); None keeps them all."""


class MockApp:
    """An ASGI app impersonating `api`. Build once; every request reuses compiled state."""

    def __init__(self, api: Api, settings: MockSettings | None = None) -> None:
        self.api = api
        self.settings = settings or MockSettings()
        self.requests: deque[RequestRecord] = deque(maxlen=self.settings.log_limit)
        self._router: PathRouter[dict[str, list[Candidate]]] = PathRouter()
        by_path: dict[str, dict[str, list[Candidate]]] = {}
        patterns: dict[str, dict[str, str]] = {}
        canonical_of: dict[str, str] = {}
        # Path parameter names of an operation, by the names its route is matched with.
        self._renames: dict[str, dict[str, str]] = {}
        for op in api.operations:
            path, conditions = split_path_key(op.path)
            # The router ignores a trailing slash, so `/x` and `/x/` share one entry; and
            # `/a/{id}` (GET) beside `/a/{name}` (POST) is one route whose operations name the
            # same segment differently.
            path = path.rstrip("/") or "/"
            canonical = canonical_of.setdefault(_PATH_PARAM.sub("{}", path), path)
            names = dict(
                zip(_PATH_PARAM.findall(canonical), _PATH_PARAM.findall(path), strict=True)
            )
            if any(k != v for k, v in names.items()):
                self._renames[op.id] = names
            by_path.setdefault(canonical, {}).setdefault(op.method, []).append((conditions, op))
            inverse = {v: k for k, v in names.items()}
            patterns.setdefault(canonical, {}).update(
                {inverse.get(k, k): v for k, v in _enum_patterns(api, op).items()}
            )
        for template, methods in by_path.items():
            self._router.add(template, methods, patterns.get(template))
        self._prefixes = _server_prefixes(api)
        self.validators = ValidatorCache(api)
        self.generator = DataGenerator(api)
        self._request_validators: dict[str, RequestValidator] = {}
        self._rng = random.Random(f"faults:{self.settings.seed}")
        self._security = SecurityEnforcer(api.security_schemes, self.settings.credentials)
        limit = self.settings.rate_limit or self.settings.faults.rate_limit
        self._limiter = RateLimiter(limit) if limit is not None else None
        self._secret_params = _secret_parameter_names(api)
        self.handlers = _handlers.Handlers(
            api=api,
            settings=self.settings,
            validators=self.validators,
            generator=self.generator,
            collections=find_collections(api),
            store=CollectionStore(
                self.settings.collection_size,
                self.settings.seed,
                lambda schema, rng, examples: self.handlers.bodies.generate_valid(
                    schema, rng, examples=examples
                ),
                lambda schema, rng, index: self.handlers.bodies.generate_item(schema, rng, index),
            ),
            idempotency=IdempotencyStore(),
        )
        self._released: asyncio.Event | None = None

    def release_hung_requests(self) -> None:
        """Let requests held by a `timeout` fault go (call from the server's event loop)."""
        if self._released is not None:
            self._released.set()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if self._released is None:
            self._released = asyncio.Event()
        await self._handle(scope, receive, send)

    async def _handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        started = time.perf_counter()
        headers = _headers(scope)
        request = _handlers.IncomingRequest(
            method=scope["method"].lower(),
            path=_raw_path(scope),
            query_string=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            base_url=_base_url(scope, headers),
            client=(scope.get("client") or ("unknown", 0))[0],
        )
        request.query = parse_qs(request.query_string, keep_blank_values=True)
        request.cookies = _cookies(headers.get("cookie"))
        outcome = _handlers.Outcome()
        reply: Reply | None = None
        try:
            plan = self._plan(headers)
        except FaultConfigError as exc:
            plan = FaultPlan()
            reply = _handlers.problem(400, "Invalid fault control header", str(exc))
        try:
            if reply is None:
                reply = await self._respond(request, receive, send, plan, outcome)
            if reply is not None:
                await _delivery.deliver(reply, plan, send)
        finally:
            sent = None if reply is None or plan.reset == "before-headers" else reply
            self._record(request, outcome, plan, sent, started)

    def _plan(self, headers: Mapping[str, str]) -> FaultPlan:
        control = headers.get(CONTROL_HEADER) if self.settings.control_header else None
        if control is not None:
            return _fault_parse(control)
        return draw_faults(self.settings.faults, self._rng)

    async def _respond(
        self,
        request: _handlers.IncomingRequest,
        receive: Any,
        send: Any,
        plan: FaultPlan,
        outcome: _handlers.Outcome,
    ) -> Reply | None:
        if plan.latency_ms:
            await asyncio.sleep(plan.latency_ms / 1000)
        if plan.timeout:
            assert self._released is not None
            await _delivery.hang(receive, self._released)
            await _delivery.reset_connection(send)
            return None
        if plan.reset == "before-headers":
            await _delivery.reset_connection(send)
            return None
        if request.path == _handlers.REDIRECT_TARGET:
            return Reply(200)
        matched = self._match(request.path)
        if matched is None:
            return _handlers.problem(404, "Not Found", f"no operation matches {request.path}")
        methods, template, path_params = matched
        candidates = methods.get(request.method) or (
            methods.get("get") if request.method == "head" else None
        )
        chosen = None
        if candidates:
            chosen = choose(candidates, request.query, request.headers)
            if len(candidates) > 1 and not chosen[0]:
                chosen = self._by_path_parameters(candidates, path_params) or chosen
        if chosen is None:
            allow = sorted({m.upper() for m in methods} | ({"HEAD"} if "get" in methods else set()))
            reply = _handlers.problem(
                405, "Method Not Allowed", f"{request.method.upper()} is not allowed on {template}"
            )
            reply.headers.append(("Allow", ", ".join(allow)))
            return reply
        conditions, op = chosen
        renames = self._renames.get(op.id)
        if renames:
            path_params = {renames.get(k, k): v for k, v in path_params.items()}
        if conditions:
            declared = {p.name for p in op.parameters if p.location == "query"}
            path_params = {**bind_parameters(conditions, request.query, declared), **path_params}
        outcome.operation_id = op.id
        auth = self._security.check(
            self.api.security_for(op), request.headers, request.query, request.cookies
        )
        if not auth.ok:
            outcome.problems.append(f"unauthorized: {auth.reason}")
            reply = _handlers.problem(401, "Unauthorized", auth.reason)
            reply.headers.extend(("WWW-Authenticate", c) for c in auth.challenges)
            return reply
        limit_headers: list[tuple[str, str]] = []
        if self._limiter is not None:
            decision = self._limiter.hit(auth.key or f"client:{request.client}")
            limit_headers = list(decision.headers)
            if not decision.allowed:
                outcome.problems.append("rate limit exceeded")
                reply = _handlers.problem(
                    429, "Too Many Requests", f"retry after {decision.retry_after} seconds"
                )
                reply.headers.extend(limit_headers)
                return reply
        if plan.status is not None:
            reply = self.handlers.injected_status(op, plan)
        else:
            body = await _read_body(receive)
            if body is None:
                return _handlers.problem(413, "Payload Too Large", "request body is too large")
            request.body = body
            reply = await self.handlers.answer(
                op, self._validator(op), request, path_params, outcome
            )
        # A HEAD answer keeps its body here: its Content-Length is the GET's, and the server
        # (uvicorn, as HTTP requires) sends the headers only.
        reply.headers.extend(limit_headers)
        return reply

    def _by_path_parameters(
        self, candidates: list[Candidate], path_params: Mapping[str, str]
    ) -> Candidate | None:
        """Among operations on one route and method (`/payslips/{year}` beside
        `/payslips/{id}`), the first whose path parameters accept the values."""
        for candidate in sorted(candidates, key=lambda c: -self._path_specificity(c[1])):
            op = candidate[1]
            renames = self._renames.get(op.id) or {}
            params = {renames.get(k, k): v for k, v in path_params.items()}
            problems: list[ValidationProblem] = []
            self._validator(op).parameters(params, {}, {}, {}, problems)
            if not any(p.location == "path" for p in problems):
                return candidate
        return None

    def _path_specificity(self, op: Operation) -> int:
        """How constrained an operation's path parameters are: a typed, enumerated or
        patterned parameter is tried before one that takes any string."""
        score = 0
        for param in op.parameters_in("path"):
            schema = self.api.resolve(param.schema)
            plain = schema.non_null_types in ((), ("string",))
            score += int(not plain) + int(bool(schema.enum or schema.pattern or schema.format))
        return score

    def _validator(self, op: Operation) -> RequestValidator:
        found = self._request_validators.get(op.id)
        if found is None:
            found = RequestValidator(self.api, op, self.validators)
            self._request_validators[op.id] = found
        return found

    def _match(self, path: str) -> tuple[dict[str, list[Candidate]], str, dict[str, str]] | None:
        found = self._router.match(path)
        if found is None:
            for prefix in self._prefixes:
                if path.startswith(prefix + "/"):
                    found = self._router.match(path[len(prefix) :])
                    if found is not None:
                        break
        if found is None:
            return None
        return found.value, found.template, found.params

    def _record(
        self,
        request: _handlers.IncomingRequest,
        outcome: _handlers.Outcome,
        plan: FaultPlan,
        reply: Reply | None,
        started: float,
    ) -> None:
        response_headers: tuple[tuple[str, str], ...] = ()
        if reply is not None:
            response_headers = tuple(reply.headers)
            if reply.content_type:
                response_headers += (("content-type", reply.content_type),)
        record = RequestRecord(
            method=request.method.upper(),
            path=request.path,
            query=_redact_query(request.query_string, self._secret_params),
            headers=tuple(
                (k, REDACTED if k in _SECRET_HEADERS or k in self._secret_params else v)
                for k, v in request.headers.items()
            ),
            body=request.body,
            operation_id=outcome.operation_id,
            status=reply.status if reply is not None else None,
            response_headers=response_headers,
            response_body=reply.body if reply is not None else b"",
            problems=tuple(outcome.problems),
            faults=plan.describe(),
            duration_ms=(time.perf_counter() - started) * 1000,
        )
        self.requests.append(record)
        if self.settings.on_request is not None:
            try:
                self.settings.on_request(record)
            except Exception:  # a printing callback must never break the server
                log.exception("request log callback failed")


def _enum_patterns(api: Api, op: Operation) -> dict[str, str]:
    """Regexes for path parameters with a string enum, so `{id}{ext}` splits `7.json` right."""
    out: dict[str, str] = {}
    for param in op.parameters:
        if param.location != "path":
            continue
        schema = api.resolve(param.schema)
        if schema.enum and all(isinstance(v, str) and v for v in schema.enum):
            out[param.name] = "(?:" + "|".join(re.escape(v) for v in schema.enum) + ")"
    return out


def _fault_parse(value: str) -> FaultPlan:
    from apiweld.mock.faults import parse_control_header

    return parse_control_header(value)


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _read_body(receive: Any) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in scope.get("headers", ()):
        name = key.decode("latin-1").lower()
        text = value.decode("latin-1")
        out[name] = f"{out[name]}, {text}" if name in out and name != "cookie" else text
    return out


def _raw_path(scope: dict[str, Any]) -> str:
    raw = scope.get("raw_path")
    if raw:
        return bytes(raw).decode("latin-1").split("?", 1)[0]
    return str(scope.get("path", "/"))


def _base_url(scope: dict[str, Any], headers: Mapping[str, str]) -> str:
    host = headers.get("host")
    if host is None:
        server = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}"


def _cookies(header: str | None) -> dict[str, str]:
    if not header:
        return {}
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except Exception:
        return {}
    return {k: m.value for k, m in jar.items()}


def _server_prefixes(api: Api) -> tuple[str, ...]:
    """Path prefixes of the declared servers (`/v1`), so requests may include them."""
    prefixes: set[str] = set()
    for server in api.servers:
        url = server.url
        for variable in server.variables:
            url = url.replace("{" + variable.name + "}", variable.default)
        path = urlparse(url if "://" in url else "http://host" + url).path.rstrip("/")
        if path and "{" not in path:
            prefixes.add(path)
    return tuple(sorted(prefixes, key=len, reverse=True))


def _secret_parameter_names(api: Api) -> frozenset[str]:
    return frozenset(
        (s.param_name.lower() if s.location == "header" else s.param_name)
        for s in api.security_schemes.values()
        if s.type == "apiKey" and s.param_name
    )


def _redact_query(query: str, secret: frozenset[str]) -> str:
    if not query or not secret:
        return query
    parts = []
    for part in query.split("&"):
        key, sep, _ = part.partition("=")
        parts.append(f"{key}{sep}{REDACTED}" if key in secret else part)
    return "&".join(parts)


def dumps_problem(status: int, title: str, detail: str, errors: list[dict[str, str]]) -> bytes:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return orjson.dumps(body)
