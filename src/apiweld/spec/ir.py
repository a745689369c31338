"""The intermediate representation: what every layer downstream of the loader reads.

Plain frozen dataclasses, no I/O. The IR is the contract between layers: codegen, mock and
testing read only this, never the raw JSON of a description.

Schemas form a graph through names, not object cycles: a component (or any schema reached by a
`$ref` that is worth naming) lives once in `Api.schemas` under its unique Python class name, and
every use of it is a `Schema` with `ref` set to that name. A recursive schema is therefore a cycle
of names, which every consumer can walk with a visited-set and which never recurses forever.

Python names (`py_name`, `Operation.id`, `Api.schemas` keys, `Property.py_name`, `Tag.py_name`,
`Operation.resource`) are decided here once, unique and valid, so every later layer uses the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

JsonValue = Any
"""Any JSON value (dict, list, str, int, float, bool, None) as parsed from the description."""

JsonType = Literal["string", "number", "integer", "boolean", "array", "object", "null"]
Severity = Literal["error", "warning"]
ParameterLocation = Literal["path", "query", "header", "cookie"]
HttpMethod = Literal["get", "put", "post", "delete", "options", "head", "patch", "trace"]

IDEMPOTENT_METHODS: frozenset[str] = frozenset({"get", "head", "put", "delete", "options", "trace"})


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong or dubious in the description, located by a JSON pointer."""

    severity: Severity
    pointer: str
    message: str
    file: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}#{self.pointer}" if self.file else f"#{self.pointer}"
        return f"{self.severity}: {where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Discriminator:
    property_name: str
    mapping: tuple[tuple[str, str], ...] = ()
    """(value on the wire, schema name in `Api.schemas`) pairs, in document order."""


@dataclass(frozen=True, slots=True)
class Property:
    name: str
    """The name on the wire, exactly as in the description."""
    py_name: str
    """A valid, unique (within its object) Python identifier for the property."""
    schema: Schema
    required: bool = False


@dataclass(frozen=True, slots=True)
class Schema:
    """A normalised JSON Schema (OpenAPI 3.0, 3.1 and Swagger 2.0 all land here).

    `types` empty means any type. Nullability is `"null" in types` in both 3.0
    (`nullable: true`) and 3.1 (`type: [..., "null"]`) forms. A schema with `ref` set is a use
    of the named schema `Api.schemas[ref]`; its other fields are only the siblings that 3.1
    allows beside a `$ref` (description, default, examples, deprecated, read/write only).
    """

    pointer: str = ""
    ref: str | None = None
    name: str | None = None
    """For a schema in `Api.schemas`: its Python class name (the key there)."""
    source_name: str | None = None
    """For a named schema: its name in the description (e.g. the components key)."""
    title: str | None = None
    description: str | None = None
    types: tuple[JsonType, ...] = ()
    format: str | None = None
    enum: tuple[JsonValue, ...] | None = None
    has_const: bool = False
    const: JsonValue = None
    properties: tuple[Property, ...] = ()
    required_extra: tuple[str, ...] = ()
    """Names in `required` with no entry in `properties` here, in `required` order: defined in
    another `allOf` part, or required without saying what they hold. An object valid for this
    schema has them too. (A required name with a property here is `Property.required`.)"""
    additional_properties: Schema | bool | None = None
    """None: not stated (extra keys allowed, untyped); False: forbidden; a Schema: typed extras."""
    pattern_properties: tuple[tuple[str, Schema], ...] = ()
    items: Schema | None = None
    prefix_items: tuple[Schema, ...] = ()
    all_of: tuple[Schema, ...] = ()
    one_of: tuple[Schema, ...] = ()
    any_of: tuple[Schema, ...] = ()
    not_: Schema | None = None
    discriminator: Discriminator | None = None
    read_only: bool = False
    write_only: bool = False
    deprecated: bool = False
    has_default: bool = False
    default: JsonValue = None
    examples: tuple[JsonValue, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    """The bound itself (3.0's boolean form is normalised into this number form)."""
    exclusive_maximum: float | None = None
    multiple_of: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    min_items: int | None = None
    max_items: int | None = None
    unique_items: bool = False
    min_properties: int | None = None
    max_properties: int | None = None
    content_media_type: str | None = None
    content_encoding: str | None = None
    extensions: Mapping[str, JsonValue] = field(default_factory=dict)

    @property
    def nullable(self) -> bool:
        return "null" in self.types

    @property
    def is_ref(self) -> bool:
        return self.ref is not None

    @property
    def non_null_types(self) -> tuple[JsonType, ...]:
        return tuple(t for t in self.types if t != "null")


ANY_SCHEMA = Schema()


@dataclass(frozen=True, slots=True)
class Example:
    value: JsonValue = None
    summary: str | None = None
    name: str | None = None
    external_value: str | None = None


@dataclass(frozen=True, slots=True)
class Encoding:
    """Per-property encoding of a form or multipart body."""

    property_name: str
    content_type: str | None = None
    style: str | None = None
    explode: bool | None = None
    headers: tuple[Header, ...] = ()


@dataclass(frozen=True, slots=True)
class MediaType:
    media_type: str
    schema: Schema | None = None
    examples: tuple[Example, ...] = ()
    encoding: tuple[Encoding, ...] = ()
    pointer: str = ""


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    py_name: str
    """Unique among all parameters (and the body argument) of its operation."""
    location: ParameterLocation
    schema: Schema
    required: bool = False
    style: str = "form"
    """Defaults per location: path/header `simple`, query/cookie `form`."""
    explode: bool = True
    allow_reserved: bool = False
    allow_empty_value: bool = False
    deprecated: bool = False
    description: str | None = None
    examples: tuple[Example, ...] = ()
    content_media_type: str | None = None
    """Set when the parameter uses `content` instead of `schema` (the value is serialised so)."""
    pointer: str = ""


@dataclass(frozen=True, slots=True)
class Header:
    name: str
    schema: Schema
    required: bool = False
    description: str | None = None
    deprecated: bool = False


@dataclass(frozen=True, slots=True)
class RequestBody:
    content: tuple[MediaType, ...]
    required: bool = False
    description: str | None = None
    py_name: str = "body"
    """The keyword argument the body is passed as; unique beside the parameters."""
    pointer: str = ""


@dataclass(frozen=True, slots=True)
class Response:
    status: str
    """`"200"`, `"2XX"` (upper-cased range) or `"default"`."""
    description: str | None = None
    headers: tuple[Header, ...] = ()
    content: tuple[MediaType, ...] = ()
    pointer: str = ""

    @property
    def is_success(self) -> bool:
        return self.status.startswith("2")


SecurityRequirement = tuple[tuple[str, tuple[str, ...]], ...]
"""Schemes that must ALL be satisfied: (scheme name, scopes) pairs. A list of requirements is OR."""


@dataclass(frozen=True, slots=True)
class OAuthFlow:
    kind: Literal["clientCredentials", "authorizationCode", "implicit", "password"]
    token_url: str | None = None
    authorization_url: str | None = None
    refresh_url: str | None = None
    scopes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class SecurityScheme:
    name: str
    """The key in `components.securitySchemes` (or `securityDefinitions`)."""
    py_name: str
    type: Literal["apiKey", "http", "oauth2", "openIdConnect", "mutualTLS"]
    scheme: str | None = None
    """For `http`: lower-cased `basic`, `bearer`, `digest`, ..."""
    bearer_format: str | None = None
    param_name: str | None = None
    """For `apiKey`: the header, query or cookie name."""
    location: Literal["header", "query", "cookie"] | None = None
    flows: tuple[OAuthFlow, ...] = ()
    openid_connect_url: str | None = None
    description: str | None = None
    pointer: str = ""

    @property
    def credential_slot(self) -> tuple[str, str]:
        """Where the credential travels: (location, name). HTTP, OAuth2 and OpenID Connect
        credentials all go in the `Authorization` header; header names are case-insensitive,
        query and cookie names not; a TLS client certificate is its own slot."""
        if self.type == "apiKey":
            where = self.location or "header"
            name = self.param_name or ""
            return where, name.lower() if where == "header" else name
        if self.type == "mutualTLS":
            return "tls", self.name
        return "header", "authorization"


@dataclass(frozen=True, slots=True)
class ServerVariable:
    name: str
    default: str
    enum: tuple[str, ...] = ()
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Server:
    url: str
    description: str | None = None
    variables: tuple[ServerVariable, ...] = ()


@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    py_name: str
    description: str | None = None


PaginationStyle = Literal["page", "offset", "cursor", "link", "next_url"]


@dataclass(frozen=True, slots=True)
class Pagination:
    """How an operation pages, detected from its parameters and response (or configured).

    Paths into the response body are tuples of keys, e.g. `("data",)` or `("meta", "next")`.
    """

    style: PaginationStyle
    items_path: tuple[str, ...] = ()
    """Where the list of items is in the response body; () means the body is the list."""
    page_param: str | None = None
    size_param: str | None = None
    offset_param: str | None = None
    limit_param: str | None = None
    cursor_param: str | None = None
    next_cursor_path: tuple[str, ...] = ()
    next_cursor_header: str | None = None
    next_url_path: tuple[str, ...] = ()
    has_more_path: tuple[str, ...] = ()
    total_path: tuple[str, ...] = ()
    source: Literal["detected", "config", "extension"] = "detected"
    cursor_item_field: str | None = None
    """Cursor style: the item field whose value, on the last item of a page, is the next cursor
    (`after=<last id>`, Slack's `ts`). Set only when the item schema has the field; the next
    cursor path or header, when there is one, wins over it."""


@dataclass(frozen=True, slots=True)
class Operation:
    id: str
    """Unique, valid Python identifier (snake_case) for the operation across the API."""
    method: HttpMethod
    path: str
    operation_id: str | None = None
    """As in the description, or None when it had none."""
    resource: str = "default"
    """Python name of the resource group (from the first tag, else the first path segment)."""
    method_name: str = ""
    """Python method name within its resource (unique within the resource)."""
    summary: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    deprecated: bool = False
    parameters: tuple[Parameter, ...] = ()
    request_body: RequestBody | None = None
    responses: tuple[Response, ...] = ()
    security: tuple[SecurityRequirement, ...] | None = None
    """None: the API's global security applies; (): explicitly none."""
    servers: tuple[Server, ...] = ()
    pagination: Pagination | None = None
    idempotent: bool = False
    """True for methods idempotent by HTTP semantics (GET, HEAD, PUT, DELETE, OPTIONS, TRACE)."""
    idempotency_header: str | None = None
    """The header the API reads an idempotency key from, where the description declares one."""
    extensions: Mapping[str, JsonValue] = field(default_factory=dict)
    pointer: str = ""

    def parameters_in(self, location: ParameterLocation) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location == location)

    @property
    def success_responses(self) -> tuple[Response, ...]:
        return tuple(r for r in self.responses if r.is_success)


@dataclass(frozen=True, slots=True)
class Webhook:
    """An incoming request the API sends: a 3.1 `webhooks` entry or a 3.0 `callbacks` entry."""

    name: str
    py_name: str
    kind: Literal["webhook", "callback"]
    operations: tuple[Operation, ...]
    expression: str | None = None
    """For a callback: the runtime expression of its URL, e.g. `{$request.body#/callbackUrl}`."""
    parent_operation: str | None = None
    """For a callback: the `Operation.id` that registers it."""
    pointer: str = ""


@dataclass(frozen=True, slots=True)
class Api:
    title: str
    version: str
    source_format: str
    """What the description was: `"openapi 3.0.3"`, `"openapi 3.1.0"`, `"swagger 2.0"`,
    `"apiweld.toml"`."""
    description: str | None = None
    servers: tuple[Server, ...] = ()
    security_schemes: Mapping[str, SecurityScheme] = field(default_factory=dict)
    security: tuple[SecurityRequirement, ...] = ()
    tags: tuple[Tag, ...] = ()
    operations: tuple[Operation, ...] = ()
    schemas: Mapping[str, Schema] = field(default_factory=dict)
    """Named schemas by their unique Python class name."""
    webhooks: tuple[Webhook, ...] = ()
    problems: tuple[Problem, ...] = ()
    """Warnings (and errors that were survivable) found while loading, with JSON pointers."""
    extensions: Mapping[str, JsonValue] = field(default_factory=dict)
    source: str | None = None
    """Where the description came from (a path or URL), for messages."""

    def operation(self, op_id: str) -> Operation:
        for op in self.operations:
            if op.id == op_id:
                return op
        raise KeyError(op_id)

    def resolve(self, schema: Schema) -> Schema:
        """Follow `ref` (through chains of refs) to the named schema; others are returned as is."""
        return resolve_ref(schema, self.schemas)

    def security_for(self, operation: Operation) -> tuple[SecurityRequirement, ...]:
        return self.security if operation.security is None else operation.security


def resolve_ref(schema: Schema, schemas: Mapping[str, Schema]) -> Schema:
    """`Api.resolve` for code that holds only the named schemas: follows `ref` through chains
    of refs (stopping at a dangling or circular one); other schemas are returned as is."""
    seen: set[str] = set()
    while schema.ref is not None and schema.ref not in seen:
        seen.add(schema.ref)
        target = schemas.get(schema.ref)
        if target is None:
            break
        schema = target
    return schema
