"""Answering one matched operation: validation, idempotency, negotiation, state and pages."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import orjson

from apiweld.mock import _paging as paging
from apiweld.mock import _responses as responses
from apiweld.mock._delivery import Reply
from apiweld.mock._params import coerce
from apiweld.mock._state import (
    CollectionBinding,
    CollectionStore,
    IdempotencyStore,
    StoredResponse,
)
from apiweld.mock._validation import (
    DecodedRequest,
    MalformedBody,
    RequestValidator,
    ValidationProblem,
    ValidatorCache,
    body_media,
    form_fields_to_object,
    parse_form,
    parse_json,
)
from apiweld.mock.datagen import DataGenerator
from apiweld.mock.faults import FaultPlan
from apiweld.spec.ir import Api, MediaType, Operation, Response, Schema

if TYPE_CHECKING:
    from apiweld.mock._app import MockSettings

PROBLEM_JSON = "application/problem+json"
REDIRECT_TARGET = "/_apiweld/redirected"
"""Where the mock's redirects point: it answers any method with 200 and no body."""
UNSATISFIED = (
    "response: the mock found no value valid against this operation's response schema "
    "(unsatisfiable, or beyond its generator); it served the closest candidate"
)


@dataclass(slots=True)
class IncomingRequest:
    method: str
    path: str
    query_string: str
    headers: dict[str, str]
    base_url: str
    client: str
    query: dict[str, list[str]] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(slots=True)
class Outcome:
    operation_id: str | None = None
    problems: list[str] = field(default_factory=list)


def problem(
    status: int, title: str, detail: str, errors: list[ValidationProblem] | None = None
) -> Reply:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = [e.as_json() for e in errors]
    return Reply(status=status, body=orjson.dumps(body), content_type=PROBLEM_JSON)


@dataclass(slots=True)
class Handlers:
    api: Api
    settings: MockSettings
    validators: ValidatorCache
    generator: DataGenerator
    collections: dict[str, CollectionBinding]
    store: CollectionStore
    idempotency: IdempotencyStore
    bodies: responses.BodyFactory = field(init=False)
    pools: dict[str, list[Any]] = field(default_factory=dict)
    cursors: dict[str, paging.CursorCodec] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.bodies = responses.BodyFactory(
            self.api, self.validators, self.generator, self.settings.seed
        )

    def injected_status(self, op: Operation, plan: FaultPlan) -> Reply:
        status = plan.status or 500
        reply = self.error(op, status, "injected by the mock's fault plan")
        if plan.retry_after is not None:
            reply.headers.append(("Retry-After", plan.retry_after))
        return reply

    def error(self, op: Operation, status: int, detail: str) -> Reply:
        """An error the operation declares (with a body valid against it), else problem+json."""
        declared = responses.error_response(op, status)
        if declared is not None and declared.content:
            media = declared.content[0]
            value = self.bodies.body(op, declared, media)
            if value is not responses.NO_BODY:
                rendered = responses.render(value, media.media_type)
                return Reply(status, body=rendered.body, content_type=rendered.content_type)
        return problem(status, _reason(status), detail)

    async def answer(
        self,
        op: Operation,
        validator: RequestValidator,
        request: IncomingRequest,
        path_params: Mapping[str, str],
        outcome: Outcome,
    ) -> Reply:
        problems: list[ValidationProblem] = []
        decoded = validator.parameters(
            path_params, request.query, request.headers, request.cookies, problems
        )
        try:
            rejected = await self._body(op, validator, request, decoded, problems)
        except MalformedBody as exc:
            outcome.problems.append(f"/body: {exc}")
            return problem(
                400, "Malformed request", str(exc), [ValidationProblem("body", "/body", str(exc))]
            )
        if rejected is not None:
            outcome.problems.append(rejected.body.decode())
            return rejected
        if problems:
            outcome.problems.extend(f"{p.pointer}: {p.message}" for p in problems)
            return problem(
                422,
                "Request validation failed",
                f"{len(problems)} problem(s) in the request",
                problems,
            )
        key_header = (op.idempotency_header or self.settings.idempotency_header).lower()
        key = request.headers.get(key_header) if not op.idempotent else None
        fingerprint = IdempotencyStore.fingerprint(request.body)
        if key:
            stored = self.idempotency.get(request.method, request.path, key)
            if stored is not None:
                if stored.fingerprint != fingerprint:
                    return problem(
                        422,
                        "Idempotency key reused",
                        f"{key_header} was already used with a different request",
                    )
                # The content type travels in its own field: delivery adds it once.
                return Reply(
                    stored.status,
                    [*stored.headers, ("Idempotent-Replayed", "true")],
                    stored.body,
                    stored.content_type,
                )
        reply = self._success(op, request, decoded, outcome)
        if key and reply.status < 500:
            self.idempotency.put(
                request.method,
                request.path,
                key,
                StoredResponse(
                    fingerprint,
                    reply.status,
                    tuple(reply.headers),
                    reply.body,
                    reply.content_type,
                ),
            )
        return reply

    async def _body(
        self,
        op: Operation,
        validator: RequestValidator,
        request: IncomingRequest,
        decoded: DecodedRequest,
        problems: list[ValidationProblem],
    ) -> Reply | None:
        spec = op.request_body
        if spec is None or not spec.content:
            return None
        if not request.body:
            if spec.required:
                problems.append(ValidationProblem("body", "/body", "request body is required"))
            return None
        content_type = request.headers.get("content-type")
        media = body_media(spec, content_type)
        if media is None:
            accepted = ", ".join(m.media_type for m in spec.content)
            return problem(
                415,
                "Unsupported Media Type",
                f"Content-Type {content_type or '(none)'} is not one of: {accepted}",
            )
        essence = media.media_type.split(";", 1)[0].lower()
        sent = (content_type or "").split(";", 1)[0].strip().lower()
        value: Any
        if "json" in sent or (sent in ("", "*/*") and "json" in essence):
            value = parse_json(request.body)
        elif sent == "application/x-www-form-urlencoded":
            value = parse_form(request.body, media, self.api)
        elif sent.startswith("multipart/"):
            value = await _parse_multipart(request, media, self.api)
            if media.schema is not None and "object" not in _types_of(self.api, media.schema):
                # The whole multipart body described as one (binary) string: the parts have
                # no schema of their own to check.
                decoded.body, decoded.has_body, decoded.media_type = value, True, sent
                return None
        else:
            decoded.body, decoded.has_body, decoded.media_type = request.body, True, sent
            return None
        decoded.body, decoded.has_body, decoded.media_type = value, True, sent
        validator.body_schema_problems(media, value, problems)
        return None

    def _success(
        self,
        op: Operation,
        request: IncomingRequest,
        decoded: DecodedRequest,
        outcome: Outcome,
    ) -> Reply:
        preferred = _preferred_code(request.headers.get("prefer"))
        if preferred is not None and not 200 <= preferred < 300:
            return self.error(op, preferred, "requested with Prefer: code")
        status, response = responses.success_response(op, preferred)
        media: MediaType | None = None
        if response is not None and response.content:
            media = responses.negotiate(request.headers.get("accept"), response.content)
            if media is None:
                offered = ", ".join(m.media_type for m in response.content)
                return problem(
                    406,
                    "Not Acceptable",
                    f"Accept {request.headers.get('accept')!r} matches none of: {offered}",
                )
        binding = self.collections.get(op.id)
        value: Any = responses.NO_BODY
        headers: list[tuple[str, str]] = []
        if binding is not None and binding.id_property is not None:
            stateful = self._stateful(op, binding, request, decoded, status)
            if isinstance(stateful, Reply):
                return stateful
            status, value, headers = stateful
            if (
                value is not responses.NO_BODY
                and response is not None
                and media is not None
                and media.schema is not None
                and not self.bodies.valid(media.schema, value)
            ):
                # The stored item does not fit this operation's own response schema (the
                # description's item and collection shapes differ): answer with valid data.
                value = responses.NO_BODY
        if value is responses.NO_BODY and response is not None and media is not None:
            try:
                value = self._paged_or_static(op, response, media, request, decoded, headers)
            except paging.UnknownCursor as exc:
                outcome.problems.append(str(exc))
                return problem(400, "Bad Request", str(exc))
        if response is not None:
            # Headers the mock sets itself (Location of a new item, paging) win over values
            # generated from the declared schema; paging headers are left out even when the
            # mock sets none (the last page), as a generated `Link` would send a pager astray.
            own = {k.lower() for k, _ in headers} | _paging_headers(op)
            declared = self.bodies.header_values(op, response)
            headers = [*((k, v) for k, v in declared if k.lower() not in own), *headers]
        if _redirects(status):
            # A redirect needs a Location a client can follow. A value generated from the
            # declared header's schema is a random string (a relative one leads back into the
            # API, often to this very operation) or a URL off this host; the mock's landing
            # path is on this origin and answers 200.
            headers = [(k, v) for k, v in headers if k.lower() != "location"]
            headers.append(("Location", f"{request.base_url}{REDIRECT_TARGET}"))
        if self.bodies.unsatisfied(op):
            outcome.problems.append(UNSATISFIED)
        if value is responses.NO_BODY or media is None or status in (204, 304):
            return Reply(status, headers)
        rendered = responses.render(value, media.media_type)
        return Reply(status, headers, rendered.body, rendered.content_type)

    def _paged_or_static(
        self,
        op: Operation,
        response: Response,
        media: MediaType,
        request: IncomingRequest,
        decoded: DecodedRequest,
        headers: list[tuple[str, str]],
    ) -> Any:
        static = self.bodies.body(op, response, media)
        pagination = op.pagination
        if pagination is None or media.schema is None or static is responses.NO_BODY:
            return static
        item_schema = paging.items_schema(
            self.api, self.generator, media.schema, pagination.items_path
        )
        if item_schema is None:
            return static
        pool = self._item_pool(op, item_schema, request)
        try:
            body = self._page(op, media, request, decoded, headers, static, pool)
        except paging.UnknownCursor:
            if isinstance(pool, list):
                raise
            body = responses.NO_BODY  # the cursor may name an item of a fallback pool below
        binding = self.collections.get(op.id)
        if body is responses.NO_BODY and not isinstance(pool, list) and binding is not None:
            # The collection's stored items do not fit this list's schema (its items differ
            # from the item path's, a summary with other required fields): page over them as
            # the list shows them, each carrying its stored id, so every id a client reads
            # from the list names an item the item path holds.
            from apiweld.mock import _stateful

            shown = _stateful.shown_as(self, binding, item_schema, list(pool.values()))
            if len(shown) == len(pool):
                with contextlib.suppress(paging.UnknownCursor):
                    body = self._page(op, media, request, decoded, headers, static, shown)
        if body is responses.NO_BODY and not isinstance(pool, list):
            # Not even that fits: page over generated items, which do, rather than answering
            # every page with the same static body.
            body = self._page(
                op, media, request, decoded, headers, static, self._distinct_pool(op, item_schema)
            )
        return static if body is responses.NO_BODY else body

    def _page(
        self,
        op: Operation,
        media: MediaType,
        request: IncomingRequest,
        decoded: DecodedRequest,
        headers: list[tuple[str, str]],
        static: Any,
        pool: list[Any] | dict[str, Any],
    ) -> Any:
        """One page of `pool` for this request, or NO_BODY when no valid page can be made."""
        pagination = op.pagination
        assert pagination is not None and media.schema is not None
        # The mock's own paging parameters (`cursor` behind a next URL) need not be declared.
        raw: dict[str, Any] = {}
        for key, values in request.query.items():
            number = paging.parse_whole(values[-1])
            raw[key] = values[-1] if number is None else number
        start, size, next_query = paging.page_window(
            pagination,
            raw | decoded.query,
            len(pool),
            self.settings.page_size,
            self._cursor_codec(op),
            pool if isinstance(pool, list) else list(pool.values()),
        )
        stop = min(start + size, len(pool))
        items = (
            pool[start:stop]
            if isinstance(pool, list)
            else list(itertools.islice(pool.values(), start, stop))
        )
        if next_query is not None and not self._accepts(op, next_query):
            # A next page the mock would refuse (a page number past the parameter's maximum)
            # is not linked: the listing ends here rather than at a 422.
            next_query = None
        next_url = None
        next_value: str | None = None
        if next_query is not None:
            merged = {k: list(v) for k, v in request.query.items()}
            merged.update((k, [v]) for k, v in next_query.items())
            next_url = f"{request.base_url}{request.path}?{urlencode(merged, doseq=True)}"
            cursor_key = pagination.cursor_param or ""
            next_value = next_query.get(cursor_key) if pagination.style == "cursor" else next_url
        echoes = {
            name: value
            for name, value in (
                (pagination.size_param or pagination.limit_param, size),
                (pagination.offset_param, start),
            )
            if name
        }
        pagination = paging.refine_paths(self.generator, media.schema, pagination)
        schema = media.schema
        body = paging.paged_body(
            pagination,
            static,
            items,
            next_value,
            len(pool),
            next_query is not None,
            lambda candidate: self.bodies.valid(schema, candidate),
            echoes,
        )
        if body is not responses.NO_BODY:
            if pagination.style == "link" and next_url is not None:
                headers.append(("Link", f'<{next_url}>; rel="next"'))
            if pagination.next_cursor_header and next_value is not None:
                headers.append((pagination.next_cursor_header, next_value))
        return body

    def _query_schemas(self, op: Operation) -> dict[str, Schema]:
        return {p.name: p.schema for p in op.parameters if p.location == "query"}

    def _accepts(self, op: Operation, query: Mapping[str, str]) -> bool:
        """Whether the mock's validation takes these query values for their declared
        parameters (undeclared ones, the mock's own `cursor`, are its to read)."""
        declared = self._query_schemas(op)
        for name, text in query.items():
            schema = declared.get(name)
            if schema is None:
                continue
            value = coerce(text, schema, self.api.resolve)
            if self.validators.get(schema, "request").errors(value):
                return False
        return True

    def _cursor_codec(self, op: Operation) -> paging.CursorCodec:
        """How this operation's next cursors are written: to fit its cursor parameter's
        schema (an integer `after` gets a number, a uuid one a UUID), with every format
        asserted, so what a client sends back is what the parameter takes."""
        codec = self.cursors.get(op.id)
        if codec is None:
            pagination = op.pagination
            schema = self._query_schemas(op).get(
                (pagination.cursor_param if pagination else None) or "cursor"
            )
            codec = paging.OPAQUE_CURSOR
            if schema is not None:

                def accepts(text: str, schema: Schema = schema) -> bool:
                    value = coerce(text, schema, self.api.resolve)
                    return not self.validators.get(schema, "conformance").errors(value)

                field = paging.next_cursor_schema(self.generator, op)

                def fits(text: str, field: Schema | None = field) -> bool:
                    return field is None or any(
                        self.bodies.valid(field, value) for value in paging.spellings(text)
                    )

                codec = paging.cursor_codec(self.api.resolve(schema), accepts, fits)
            self.cursors[op.id] = codec
        return codec

    def _item_pool(
        self, op: Operation, item_schema: Any, request: IncomingRequest
    ) -> list[Any] | dict[str, Any]:
        """The collection a list operation pages over: its stored items (a dict, sliced without
        copying it whole, as it grows with every POST), or a fixed generated pool."""
        binding = self.collections.get(op.id)
        if binding is not None and binding.role == "list" and binding.id_property is not None:
            return self.store.collection(request.path, binding).items
        return self._distinct_pool(op, item_schema)

    def _distinct_pool(self, op: Operation, item_schema: Any) -> list[Any]:
        pool = self.pools.get(op.id)
        if pool is None:
            pool = self._distinct_items(op, item_schema)
            self.pools[op.id] = pool
        return pool

    def _distinct_items(self, op: Operation, item_schema: Any) -> list[Any]:
        """The generated pool a stateless list pages over, its items distinct where the schema
        allows: an example on the item schema would otherwise make every item the same, and a
        client paging through cannot tell a repeated page from a new one."""
        pool: list[Any] = []
        seen: set[bytes] = set()
        for index in range(self.settings.collection_size):
            item = self.bodies.generate_item(item_schema, f"{op.id}:pool:{index}", index)
            for retry in range(_DISTINCT_RETRIES):
                if _fingerprint(item) not in seen:
                    break
                item = self.bodies.generate_valid(
                    item_schema, f"{op.id}:pool:{index}:{retry}", examples=False
                )
            if _fingerprint(item) in seen and isinstance(item, dict):
                # A free-form object (`type: object`, no properties) generates as `{}` every
                # time; where the schema takes other properties, a key of its own tells the
                # items (and so the pages) apart.
                marked = {**item, "apiweld_item": index + 1}
                if self.bodies.valid(item_schema, marked):
                    item = marked
            seen.add(_fingerprint(item))
            pool.append(item)
        return pool

    def _stateful(
        self,
        op: Operation,
        binding: CollectionBinding,
        request: IncomingRequest,
        decoded: DecodedRequest,
        status: int,
    ) -> Reply | tuple[int, Any, list[tuple[str, str]]]:
        from apiweld.mock import _stateful

        return _stateful.handle(self, op, binding, request, decoded, status)


_DISTINCT_RETRIES = 4


def _paging_headers(op: Operation) -> set[str]:
    pagination = op.pagination
    if pagination is None:
        return set()
    names = {"link"} if pagination.style == "link" else set()
    if pagination.next_cursor_header:
        names.add(pagination.next_cursor_header.lower())
    return names


def _redirects(status: int) -> bool:
    """Whether a status sends the client elsewhere (304 and 305/306 point nowhere)."""
    return status in (300, 301, 302, 303, 307, 308)


def _fingerprint(value: Any) -> bytes:
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # a key orjson cannot sort (not a string): order as generated
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


def _types_of(api: Api, schema: Any) -> tuple[str, ...]:
    resolved = api.resolve(schema)
    return resolved.types or (("object",) if resolved.properties else ())


def _preferred_code(prefer: str | None) -> int | None:
    if not prefer:
        return None
    for part in prefer.split(","):
        for item in part.split(";"):
            key, _, value = item.strip().partition("=")
            code = paging.parse_whole(value.strip())
            # Only a status HTTP can carry as a final answer: `code=999` or `code=²` is
            # no request for a status, and must not become a malformed response line.
            if key.strip().lower() == "code" and code is not None and 200 <= code <= 599:
                return code
    return None


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


async def _parse_multipart(request: IncomingRequest, media: MediaType, api: Api) -> Any:
    from starlette.datastructures import Headers, UploadFile
    from starlette.formparsers import MultiPartException, MultiPartParser

    async def stream() -> AsyncGenerator[bytes, None]:
        yield request.body
        yield b""

    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in request.headers.items()]
    try:
        form = await MultiPartParser(Headers(raw=raw), stream()).parse()
    except (MultiPartException, ValueError) as exc:
        raise MalformedBody(f"multipart body does not parse: {exc}") from exc
    fields: dict[str, list[Any]] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            fields.setdefault(key, []).append(value.filename or "upload")
        else:
            fields.setdefault(key, []).append(value)
    return form_fields_to_object(fields, media, api)
