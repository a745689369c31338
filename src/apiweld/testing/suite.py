"""The test suite generated with each client package (`<package>/tests/`).

`render_suite` only renders: it decides, from the IR, which calls to make and with which
arguments, and writes readable pytest modules that run against apiweld's mock (or the live API
with `--apiweld-live`, through the `apiweld` pytest plugin):

- `test_operations.py`: every operation called through the generated client with schema-valid
  arguments, its result checked against the method's declared (typed) return;
- `test_resilience.py`: on one safe operation, wrong credentials raise `AuthenticationError`, a
  429 with `Retry-After` is waited out, a 503 is retried, a 400 is not, a hung server raises
  `APITimeoutError` within the deadline, the async client works too; a create with an
  idempotency key is retried without creating twice; every paginated operation yields each
  item of the mock's collection exactly once.

Names and literals reuse the generator's own helpers (`apiweld.codegen._names`), so argument
names match the generated methods and every string from the description is escaped the same way.
"""

from __future__ import annotations

import datetime
import random
import re
import uuid
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apiweld.spec.ir import Api, Operation, Parameter, Schema

_COLLECTION_SIZE = 12
_VALUE_ATTEMPTS = 12


@dataclass
class KnownId:
    """An item operation's identifier, read from a list call (or a create) made just before."""

    source: str
    """`client.pets.list()`: the call whose result holds the item."""
    property: str
    """The item's identifying property, as on the wire (`id`)."""
    argument: str
    """The item operation's Python argument that takes it (`pet_id`)."""
    creates: bool
    """The source is a create: the test changes data."""
    within: tuple[str, ...] = ()
    """Where the list's answer holds its items (`("data",)`); empty: the answer is the list."""


@dataclass
class CallDef:
    """One call of a generated method, ready to render."""

    test_name: str
    label: str
    """`GET /pets/{petId}`, made safe for a docstring."""
    call: str
    """`client.pets.get(pet_id=7)`: the expression, without the client's name changing."""
    method_ref: str
    """`client.pets.get`: the bound method, for its declared return type."""
    paged: bool
    writes: bool
    may_be_missing: bool
    """An item operation the mock may not hold (the description documents 404)."""
    returns_nothing: bool
    """No success response has a body: the method returns None."""
    op: Operation = field(repr=False)
    arguments: list[tuple[str, str, str]] = field(default_factory=list, repr=False)
    """(`location:name`, Python argument name, literal) of each argument passed."""
    known_id: KnownId | None = None
    """Where an item operation gets an identifier the server really holds."""
    item_call: str = ""
    """With `known_id`: the call passing `known_id` for the item's identifier. The other
    tests keep `call` (they need no item the server holds)."""

    @property
    def reads_first(self) -> bool:
        """The test lists (or creates) first, so a 404 on the item is a failure, not a skip."""
        return self.known_id is not None

    @property
    def invoke(self) -> str:
        """The call, made to reach the server even when the method returns a lazy pager."""
        return f"settle({self.call})" if self.paged else self.call


def _names() -> Any:
    from apiweld.codegen import _names

    return _names


def _safe_label(operation: Operation) -> str:
    # Docstrings and comments get a printable-ASCII rendering with no quotes or backslashes.
    text = f"{operation.method.upper()} {operation.path}"
    cleaned = "".join(c if " " <= c <= "~" and c not in "\"'\\" else "?" for c in text)
    return cleaned[:120]


def _argument_names(operation: Operation) -> tuple[dict[str, str], str | None]:
    """Python argument names of the generated method, as the generator derives them."""
    names = _names()
    taken: set[str] = {"self", "options"}
    by_key: dict[str, str] = {}
    for param in operation.parameters:
        by_key[f"{param.location}:{param.name}"] = names.unique(
            names.safe_identifier(param.py_name, "param"), taken
        )
    body = operation.request_body
    body_name = None
    if body is not None and body.content:
        body_name = names.unique(names.safe_identifier(body.py_name, "body"), taken)
    return by_key, body_name


class _Values:
    """Schema-valid argument values: the mock's data generator, checked by a validator."""

    def __init__(self, api: Api) -> None:
        from apiweld.mock.datagen import DataGenerator, GenerationOptions
        from apiweld.testing._strategies import StrategyBuilder

        self.api = api
        self.generator = DataGenerator(api, GenerationOptions(direction="request"))
        self.validator = StrategyBuilder(api)
        self._server_side: tuple[Any, Any] | None = None

    def value(self, schema: Schema, seed: int, *, non_empty: bool = False) -> Any:
        rng = random.Random(seed)
        for _ in range(_VALUE_ATTEMPTS):
            candidate = self.generator.generate(schema, rng)
            if non_empty and candidate in ("", [], {}, None):
                continue
            if self.validator.is_valid(schema, candidate):
                return candidate
        raise ValueError(f"no valid value found for the schema at {schema.pointer or '?'}")

    def sent_by_server(self, schema: Schema, seed: int) -> Any:
        """A value as the server sends it (a webhook payload): readOnly properties included,
        writeOnly ones left out, valid as the contract checks read responses."""
        from apiweld.mock.datagen import DataGenerator, GenerationOptions
        from apiweld.testing._validate import SchemaValidator, contract_exporter

        if self._server_side is None:
            self._server_side = (
                DataGenerator(self.api, GenerationOptions(direction="response")),
                contract_exporter(self.api, "response"),
            )
        generator, exporter = self._server_side
        validator = SchemaValidator(exporter.export(schema))
        rng = random.Random(seed)
        for _ in range(_VALUE_ATTEMPTS):
            candidate = generator.generate(schema, rng)
            if validator.is_valid(candidate):
                return candidate
        raise ValueError(f"no valid value found for the schema at {schema.pointer or '?'}")


def _media_header_value(operation: Operation, param: Parameter) -> str:
    """A required `Accept`/`Content-Type` header parameter: what the operation really uses."""
    enum = param.schema.enum
    if enum:
        return str(enum[0])
    if param.name.lower() == "content-type" and operation.request_body is not None:
        return min(m.media_type for m in operation.request_body.content)
    kinds = [m.media_type for r in operation.success_responses for m in r.content]
    return kinds[0] if kinds else "application/json"


def _paging_start(operation: Operation, param: Parameter) -> int | None:
    """The first-page value of a required page/offset parameter, so paging starts at the top."""
    paging = operation.pagination
    if paging is None:
        return None
    if param.name == paging.offset_param:
        return 0
    if param.name == paging.page_param:
        return 1
    return None


def _call_arguments(
    api: Api, operation: Operation, values: _Values
) -> list[tuple[str, str, str]] | None:
    """(`location:name`, argument, literal) for the required arguments; None when no valid
    value can be made."""
    names = _names()
    by_key, body_name = _argument_names(operation)
    seed = zlib.crc32(operation.id.encode())
    parts: list[tuple[str, str, str]] = []
    try:
        for index, param in enumerate(operation.parameters):
            if not (param.required or param.location == "path"):
                continue
            value: Any
            if param.location == "header" and param.name.lower() in ("accept", "content-type"):
                value = _media_header_value(operation, param)
            elif (start := _paging_start(operation, param)) is not None:
                value = start
            else:
                value = values.value(param.schema, seed + index, non_empty=True)
            key = f"{param.location}:{param.name}"
            parts.append((key, by_key[key], _typed_literal(api, param.schema, value)))
        body = operation.request_body
        if body is not None and body_name is not None and body.required:
            media = min(body.content, key=lambda m: (_media_rank(m.media_type), m.media_type))
            if _media_rank(media.media_type) > 0 or media.schema is None:
                return None  # only JSON bodies are generated
            value = values.value(media.schema, seed + 1000)
            parts.append(("body:", body_name, names.py_literal(value)))
    except (ValueError, RecursionError):
        return None
    return parts


# String formats the generated methods type as Python objects (see codegen's STRING_FORMATS):
# the argument is written as that object, so the generated tests type-check as the user's would.
_FORMAT_CONSTRUCTORS = {
    "uuid": "uuid.UUID",
    "date-time": "datetime.datetime.fromisoformat",
    "date": "datetime.date.fromisoformat",
}


def _typed_literal(api: Api, schema: Schema, value: Any) -> str:
    names = _names()
    resolved = api.resolve(schema)
    constructor = _FORMAT_CONSTRUCTORS.get(resolved.format or "")
    if constructor is None or not isinstance(value, str) or resolved.enum:
        return str(names.py_literal(value))
    try:  # the value must parse as the type does (fromisoformat is stricter than RFC 3339)
        if resolved.format == "uuid":
            uuid.UUID(value)
        elif resolved.format == "date":
            datetime.date.fromisoformat(value)
        else:
            datetime.datetime.fromisoformat(value)
    except ValueError:
        return str(names.py_literal(value))
    return f"{constructor}({names.py_literal(value)})"


def _render_arguments(
    arguments: list[tuple[str, str, str]], overrides: Mapping[str, str] | None = None
) -> str:
    """`name=literal, ...`; `overrides` maps `location:name` to the expression to pass instead."""
    chosen = overrides or {}
    return ", ".join(f"{name}={chosen.get(key, literal)}" for key, name, literal in arguments)


def _media_rank(media_type: str) -> int:
    essence = media_type.split(";", 1)[0].strip().lower()
    return 0 if essence == "application/json" or essence.endswith("+json") else 1


def _declares(operation: Operation, *statuses: str) -> bool:
    return any(r.status.upper() in statuses for r in operation.responses)


def _calls(
    api: Api, methods: Mapping[str, str] | None, values: _Values, untested: list[str]
) -> list[CallDef]:
    calls: list[CallDef] = []
    for operation in api.operations:
        target = (methods or {}).get(operation.id) if methods is not None else None
        if methods is not None and target is None:
            continue  # the generator skipped it (its report says why)
        target = target or f"{operation.resource}.{operation.method_name or operation.id}"
        arguments = _call_arguments(api, operation, values)
        if arguments is None:
            untested.append(_safe_label(operation))
            continue
        method_ref = f"client.{target}"
        calls.append(
            CallDef(
                test_name=f"test_{operation.id}_returns_its_documented_result",
                label=_safe_label(operation),
                call=f"{method_ref}({_render_arguments(arguments)})",
                method_ref=method_ref,
                paged=operation.pagination is not None,
                writes=operation.method not in ("get", "head", "options"),
                may_be_missing=bool(operation.parameters_in("path"))
                and _declares(operation, "404", "4XX"),
                # Codegen's own rule for a method typed `-> None` (bodiless status, null schema).
                returns_nothing=_names().returns_nothing(operation, api.schemas),
                op=operation,
                arguments=arguments,
            )
        )
    _link_collections(api, calls)
    return calls


def _link_collections(api: Api, calls: list[CallDef]) -> None:
    """Tie item operations to the list (or create) of their collection, as the mock does.

    A generated identifier names no item the server holds (the mock's collections are seeded
    with their own), so an item test that used one could only be skipped on the 404. Instead it
    lists the collection first, with the same parent path arguments, and uses the first item's
    identifier; an API with only a create creates one.
    """
    from apiweld.mock._state import find_collections

    bindings = find_collections(api)
    by_id = {call.op.id: call for call in calls}
    sources: dict[tuple[str, str], CallDef] = {}
    for op_id, bound in bindings.items():
        source = by_id.get(op_id)
        if source is None or bound.role not in ("list", "create"):
            continue
        if bound.role == "create" and not _answers_with(api, source.op, bound.id_property):
            # A POST that answers with something else (a search answering a list) creates
            # no item whose id the test could read.
            continue
        if bound.role == "create" or bound.items_path is not None:
            # A list whose answer has no place for the collection's items (the mock answers
            # it from the schema alone) names no item the server holds.
            sources[(bound.collection_template, bound.role)] = source
    for call in calls:
        binding = bindings.get(call.op.id)
        if binding is None or binding.id_property is None:
            continue
        if binding.role not in ("read", "replace", "update", "delete"):
            continue
        item_key = f"path:{binding.item_param}"
        argument = next((name for key, name, _ in call.arguments if key == item_key), None)
        source = sources.get((binding.collection_template, "list"))
        creates = source is None
        source = source or sources.get((binding.collection_template, "create"))
        if argument is None or source is None:
            continue
        listing = bindings.get(source.op.id)
        within = (listing.items_path or ()) if listing is not None and not source.paged else ()
        # The parent path's arguments are the item's own (same names on both paths), so the
        # list reads the very collection the item call then addresses.
        parent = {key: literal for key, _, literal in call.arguments if key.startswith("path:")}
        parent.pop(item_key, None)
        source_call = f"{source.method_ref}({_render_arguments(source.arguments, parent)})"
        call.known_id = KnownId(source_call, binding.id_property, argument, creates, within)
        arguments = _render_arguments(call.arguments, {item_key: "known_id"})
        call.item_call = f"{call.method_ref}({arguments})"


def _probe(calls: list[CallDef]) -> CallDef | None:
    """The operation the resilience tests lean on: a read with no path parameters."""
    reads = [c for c in calls if not c.writes and not c.may_be_missing and not c.paged]
    reads = reads or [c for c in calls if not c.writes and not c.may_be_missing]
    # One that returns something checks more (its typed result) than one that returns None.
    return min(reads, key=lambda c: (c.returns_nothing, len(c.call), c.test_name), default=None)


def _answers_with(api: Api, operation: Operation, name: str | None) -> bool:
    """Whether the operation's JSON success answer is an object with property `name`."""
    from apiweld.mock.datagen import DataGenerator

    if name is None:
        return False
    generator = DataGenerator(api)
    for response in operation.success_responses:
        for media in response.content:
            if media.schema is not None and _media_rank(media.media_type) == 0:
                shape = generator.flatten(media.schema)
                return any(p.name == name for p in shape.properties)
    return False


def _literal_prefix(path: str) -> str:
    """The part of a path template every request to it starts with: up to the first parameter,
    and never a `#...`/`?...` suffix (AWS writes query keys there; they are sent as a query)."""
    return re.split(r"[{#?]", path, maxsplit=1)[0]


def _create(api: Api, calls: list[CallDef]) -> CallDef | None:
    """A POST the API takes an idempotency key on, for the retry-without-duplicate test."""
    for call in calls:
        if call.op.method == "post" and call.op.idempotency_header and call.op.success_responses:
            return call
    return None


@dataclass
class WebhookDef:
    test_name: str
    constant: str
    """The event type's constant in the package's `webhooks.py`."""
    model: str
    """The payload's class in the package's `models`."""
    label: str
    """The event type, escaped for a docstring."""
    body: str
    """The body as a Python literal."""
    delivery: str = ""
    """`, scheme=..., headers=...` for a provider's own scheme; empty for Standard Webhooks."""


def _routing_property(sources: list[Any]) -> str | None:
    """The body property the generated receiver reads event types from (as its factory
    defaults): the one all events agree on, else the Standard Webhooks `type`."""
    from apiweld.webhooks.models import event_type_field

    field_source = event_type_field(sources)
    if field_source is None:
        return "type"
    name = field_source.removeprefix("body:")
    return None if name.startswith("/") else name


def _webhooks(
    api: Api, values: _Values, events: Mapping[str, tuple[str, str]], skipped: list[str]
) -> list[WebhookDef]:
    """One delivery test per event the package's `webhooks.py` types (3.1 `webhooks`)."""
    if not events:
        return []
    from apiweld.webhooks.models import event_sources, provider_routing

    names = _names()
    provider = provider_routing(api)
    sources = event_sources(api, key=provider.key if provider else None)
    routing = _routing_property(sources)
    taken: set[str] = set()
    defs = []
    for source in sources:
        generated = events.get(source.event_type)
        if generated is None:
            continue
        label = names.comment_text(source.event_type, limit=80)
        made = (
            _provider_delivery(provider, source, values)
            if provider is not None
            else _standard_delivery(routing, source, values)
        )
        if made is None:
            skipped.append(label)
            continue
        body, delivery = made
        defs.append(
            WebhookDef(
                test_name=names.unique(_webhook_test_name(source.event_type), taken),
                constant=generated[0],
                model=generated[1],
                label=names.docstring_body(label),
                body=names.py_literal(body),
                delivery=delivery,
            )
        )
    return defs


def _webhook_test_name(event_type: str) -> str:
    stem = _names().safe_identifier(event_type.replace(".", "_").lower(), "event")
    return f"test_webhook_{stem}_is_signed_delivered_and_parsed"


def _standard_delivery(routing: str | None, source: Any, values: _Values) -> tuple[Any, str] | None:
    """A body for a Standard Webhooks delivery: it must carry its type where the receiver reads
    it. An event whose type is only its webhook's name travels without it and cannot reach a
    typed handler (None: the test file lists it instead)."""
    if routing is None or source.type_property != routing:
        return None
    try:
        body = values.sent_by_server(source.schema, zlib.crc32(source.event_type.encode()))
    except (ValueError, RecursionError):
        return None
    if not isinstance(body, dict) or body.get(routing) != source.event_type:
        return None
    return body, ""


def _provider_delivery(provider: Any, source: Any, values: _Values) -> tuple[Any, str] | None:
    """A body and the delivery arguments for an event a provider's scheme routes (GitHub:
    `X-GitHub-Event: issues` and the body's `action: opened` make `issues.opened`); None when
    no generated body can carry it."""
    names = _names()
    head, _, qualifier = source.event_type.partition(".")
    try:
        body = values.sent_by_server(source.schema, zlib.crc32(source.event_type.encode()))
    except (ValueError, RecursionError):
        return None
    if not isinstance(body, dict) or provider.qualifier is None:
        return None
    if qualifier:
        if body.get(provider.qualifier) != qualifier:
            return None
    elif provider.qualifier in body:
        # No qualifier in the type: a stray `action` would make the receiver read another.
        resolved = values.api.resolve(source.schema)
        if any(p.name == provider.qualifier and p.required for p in resolved.properties):
            return None
        body = {k: v for k, v in body.items() if k != provider.qualifier}
    headers = names.py_literal({provider.event_header: head})
    return body, f", scheme={names.py_literal(provider.scheme)}, headers={headers}"


def _schemes(api: Api) -> list[str]:
    names = _names()
    rows = []
    for scheme in api.security_schemes.values():
        row = (scheme.name, scheme.type, scheme.scheme, scheme.param_name, scheme.location)
        rows.append("(" + ", ".join(names.py_literal(v) for v in row) + ")")
    return rows


def _requires_auth(api: Api, operation: Operation) -> bool:
    requirements = api.security_for(operation)
    return bool(requirements) and all(len(r) > 0 for r in requirements)


# A `$ref` to anything but a fragment of the same document: the file cannot travel alone.
_EXTERNAL_REF = re.compile(rb"""["']?\$ref["']?\s*:\s*["']?(?!#)[^\s"',}]""")


def _description_reference(api: Api, out_dir: Path) -> tuple[str, bytes | None]:
    """Where the tests find the description, and the bytes to copy beside them if any.

    A self-contained local description is copied into the tests folder, so the suite runs
    wherever the package goes and the output does not depend on where it was generated. One
    with references to other files is referred to by its absolute path; a URL stays a URL.
    """
    source = api.source or ""
    if not source or "://" in source:
        return source, None
    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError:
        return path.resolve().as_posix(), None
    if _EXTERNAL_REF.search(data):
        return path.resolve().as_posix(), None
    return f"description{path.suffix.lower() or '.json'}", data


def render_suite(
    api: Api,
    package_name: str,
    client_class: str,
    async_client_class: str,
    out_dir: Path,
    *,
    methods: Mapping[str, str] | None = None,
    events: Mapping[str, tuple[str, str]] | None = None,
) -> list[Path]:
    """Write the generated package's test suite into `out_dir`; return the files written.

    `methods` maps `Operation.id` to `resource.method` as generated (the generator's report);
    operations missing from it were skipped by the generator and get no test. `events` maps
    each webhook event type the package's `webhooks.py` types to (its constant, its payload
    class); each gets a delivery test against the package's own receiver.
    """
    import jinja2

    names = _names()
    values = _Values(api)
    untested: list[str] = []
    calls = _calls(api, methods, values, untested)
    untyped_events: list[str] = []
    webhooks = _webhooks(api, values, events or {}, untyped_events)
    reference, copied = _description_reference(api, out_dir)
    probe = _probe(calls)
    context = {
        # The title sits inside docstrings (never at their end): one line, escaped for them.
        "api_title": names.docstring_body(names.comment_text(api.title, limit=100)) or package_name,
        "package": package_name,
        "client_class": client_class,
        "async_client_class": async_client_class,
        "source": names.py_literal(reference),
        "schemes": _schemes(api),
        "calls": calls,
        "untested": untested,
        "probe": probe,
        "probe_needs_auth": probe is not None and _requires_auth(api, probe.op),
        "probe_prefix": _literal_prefix(probe.op.path) if probe is not None else "",
        "create": _create(api, calls),
        "paged": [c for c in calls if c.paged and not c.may_be_missing],
        "collection_size": _COLLECTION_SIZE,
        "needs_uuid": any("uuid.UUID(" in c.call or "uuid.UUID(" in c.item_call for c in calls),
        "needs_datetime": any("datetime." in c.call or "datetime." in c.item_call for c in calls),
        "webhooks": webhooks,
        "untyped_events": untyped_events,
    }
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("apiweld.testing", "templates/suite"),
        autoescape=False,  # noqa: S701 - Python source; every value is a py_literal or identifier
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["pyrepr"] = names.py_literal
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    if copied is not None:
        (out_dir / reference).write_bytes(copied)
        written.append(out_dir / reference)
    templates = [
        ("init.py.jinja", "__init__.py"),
        ("conftest.py.jinja", "conftest.py"),
        ("test_operations.py.jinja", "test_operations.py"),
        ("test_resilience.py.jinja", "test_resilience.py"),
    ]
    if webhooks:
        templates.append(("test_webhooks.py.jinja", "test_webhooks.py"))
    for template, target in templates:
        path = out_dir / target
        path.write_text(environment.get_template(template).render(**context), encoding="utf-8")
        written.append(path)
    return written
