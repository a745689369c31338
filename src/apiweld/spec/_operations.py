"""Path items and operations (parameters, bodies, responses, security) into the IR.

Operation, resource and method names are not decided here but in `_naming`, once every
operation is known, so collisions are resolved over the whole API.
"""

from __future__ import annotations

import re
from typing import Any, cast

from apiweld.spec._construct import new_media_type, new_operation, new_response
from apiweld.spec._errors import Problems
from apiweld.spec._refs import Location, RefResolver
from apiweld.spec._schemas import Dialect, SchemaBuilder
from apiweld.spec._swagger2 import POINTER_KEY, SCHEMA_AT_OWN_POINTER
from apiweld.spec.ir import (
    ANY_SCHEMA,
    IDEMPOTENT_METHODS,
    Encoding,
    Example,
    Header,
    HttpMethod,
    MediaType,
    Operation,
    Parameter,
    ParameterLocation,
    RequestBody,
    Response,
    Schema,
    SecurityRequirement,
    Server,
    ServerVariable,
)
from apiweld.spec.names import assign_py_names, parameter_name, unique_name

__all__ = ["HTTP_METHODS", "OperationBuilder"]

HTTP_METHODS: tuple[HttpMethod, ...] = (
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "trace",
)
_LOCATIONS: tuple[ParameterLocation, ...] = ("path", "query", "header", "cookie")
_DEFAULT_STYLE = {"path": "simple", "header": "simple", "query": "form", "cookie": "form"}
_STATUS = re.compile(r"^[1-5](?:[0-9]{2}|XX)$")
_IDEMPOTENCY_HEADER = re.compile(r"^(?:x-)?idempotency[-_]?(?:key|token)$", re.IGNORECASE)


# Fields whose values are read only when of the right type; others get a located warning.
_OPERATION_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "summary": (str,),
    "description": (str,),
    "deprecated": (bool,),
    "callbacks": (dict,),
    "externalDocs": (dict,),
}
_PARAMETER_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "description": (str,),
    "required": (bool,),
    "deprecated": (bool,),
    "style": (str,),
    "explode": (bool,),
    "allowReserved": (bool,),
    "allowEmptyValue": (bool,),
    "content": (dict,),
}


def _schema_location(holder: dict[str, Any], location: Location) -> Location:
    """Where the `schema` of a parameter or header is (its own place, if converted Swagger)."""
    return location if holder.get(SCHEMA_AT_OWN_POINTER) is True else location.child("schema")


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class OperationBuilder:
    def __init__(
        self, resolver: RefResolver, problems: Problems, schemas: SchemaBuilder, dialect: Dialect
    ) -> None:
        self._resolver = resolver
        self._dialect = dialect
        self._problems = problems
        self._schemas = schemas
        self.callbacks: list[tuple[str, Any, Location]] = []
        # Built objects by the id of their raw node (kept alive in the value, so ids stay
        # unique): components referenced from hundreds of operations are built once.
        self._response_memo: dict[tuple[int, str, Any], tuple[Any, Response]] = {}
        self._parameter_memo: dict[tuple[int, str], tuple[Any, Parameter]] = {}
        """(operation pointer, raw `callbacks`, its location) for every operation built."""

    # -- helpers ------------------------------------------------------------------------------

    def _warn(self, location: Location, message: str) -> None:
        self._problems.warn(location.pointer, message, self._resolver.file_of(location.doc))

    def _error(self, location: Location, message: str) -> None:
        self._problems.error(location.pointer, message, self._resolver.file_of(location.doc))

    def deref(self, raw: Any, location: Location) -> tuple[Any, Location, dict[str, Any]]:
        """Follow `$ref` chains of a non-schema object; returns (node, where, 3.1 overrides).

        An unresolvable or circular chain yields `None` as the node (already reported).
        """
        overrides: dict[str, Any] = {}
        seen: set[Location] = set()
        while isinstance(raw, dict) and isinstance(raw.get("$ref"), str):
            for key in ("summary", "description"):
                if isinstance(raw.get(key), str) and key not in overrides:
                    overrides[key] = raw[key]
            if location in seen:
                self._warn(location, "circular $ref chain; ignored")
                return None, location, overrides
            seen.add(location)
            resolved = self._resolver.resolve(raw["$ref"], location)
            if resolved is None:
                return None, location, overrides
            location, raw = resolved
        if isinstance(raw, dict) and isinstance(raw.get(POINTER_KEY), str):
            location = Location(location.doc, raw[POINTER_KEY])
        return raw, location, overrides

    def expect_object(self, raw: Any, location: Location, what: str) -> dict[str, Any] | None:
        if isinstance(raw, dict):
            return raw
        if raw is not None:
            self._warn(location, f"{what} must be an object; ignored")
        return None

    def _check_field_types(
        self, raw: dict[str, Any], location: Location, expected: dict[str, tuple[type, ...]]
    ) -> None:
        """Report fields of the wrong JSON type; readers below then ignore those values."""
        for key, types in expected.items():
            if key in raw and not isinstance(raw[key], types):
                self._warn(location.child(key), f"{key} has the wrong type; ignored")

    # -- operations ---------------------------------------------------------------------------

    def path_item(
        self, path: str, raw: Any, location: Location, *, check_path_parameters: bool = True
    ) -> list[Operation]:
        """The operations of one path item, which may be a `$ref` (standard since 3.0).

        Operations keep the pointer of the place that names them (`/paths/~1pets/get`), as in
        the bundled document, even when their text is in another file: that pointer is unique,
        while a shared or external path item's own pointer is not.
        """
        origin = location
        item, location, _ = self.deref(raw, location)
        if item is None and raw is not None:
            self._error(origin, "the path item's $ref cannot be resolved; its operations are lost")
            return []
        item = self.expect_object(item, location, "a path item")
        if item is None:
            return []
        shared = self._parameter_list(item.get("parameters"), location.child("parameters"))
        servers = self.servers(item.get("servers"), location.child("servers"))
        operations = []
        for method in HTTP_METHODS:
            if method in item:
                op = self.operation(
                    path,
                    method,
                    item[method],
                    location.child(method),
                    shared,
                    servers,
                    item,
                    check_path_parameters,
                    named_at=origin.child(method).pointer,
                )
                if op is not None:
                    operations.append(op)
        return operations

    def _operation_object(
        self, method: HttpMethod, raw: Any, location: Location
    ) -> tuple[dict[str, Any], Location] | None:
        """The operation's object and where its text is; None (reported) when it is lost.

        An operation given as `{"$ref": ...}` is not OpenAPI (only path items may be references)
        but is a common multi-file layout (DigitalOcean's), which bundlers accept: it is followed,
        with a warning, rather than read as an operation with no fields.
        """
        what = f"the {method.upper()} operation"
        if raw is None:
            self._warn(location, f"{what} is empty (null); skipped")
            return None
        if isinstance(raw, dict) and "$ref" in raw:
            ref = raw["$ref"]
            if not isinstance(ref, str):
                self._error(location.child("$ref"), f"{what}'s $ref must be a string; it is lost")
                return None
            self._warn(
                location,
                f"{what} is a $ref ({ref!r}): OpenAPI allows $ref on a path item, not on an "
                "operation; followed",
            )
            target, where, overrides = self.deref(raw, location)
            if target is None:
                self._error(location, f"{what}'s $ref {ref!r} cannot be resolved; it is lost")
                return None
            if not isinstance(target, dict):
                self._error(where, f"{what} ($ref {ref!r}) must be an object; it is lost")
                return None
            return ({**target, **overrides} if overrides else target), where
        if not isinstance(raw, dict):
            self._error(location, f"{what} must be an object; it is lost")
            return None
        return raw, location

    def operation(
        self,
        path: str,
        method: HttpMethod,
        raw: Any,
        location: Location,
        shared: list[tuple[dict[str, Any], Location]],
        path_servers: tuple[Server, ...],
        item: dict[str, Any],
        check_path_parameters: bool = True,
        *,
        named_at: str | None = None,
    ) -> Operation | None:
        found = self._operation_object(method, raw, location)
        if found is None:
            return None
        op, location = found
        pointer = location.pointer if named_at is None else named_at
        self._check_field_types(op, location, _OPERATION_FIELD_TYPES)
        own = self._parameter_list(op.get("parameters"), location.child("parameters"))
        merged: dict[tuple[str, str], tuple[dict[str, Any], Location]] = {}
        for param, where in [*shared, *own]:
            merged[(param["name"], param["in"])] = (param, where)
        parameters = self._parameters(
            list(merged.values()), path if check_path_parameters else "", location
        )
        if "callbacks" in op:
            self.callbacks.append((pointer, op["callbacks"], location.child("callbacks")))
        body = self.request_body(op.get("requestBody"), location.child("requestBody"))
        if body is not None:
            taken = {p.py_name for p in parameters}
            if "body" in taken:
                body = _replace_body_name(body, unique_name("body", taken))
        operation_id = op.get("operationId")
        if operation_id is not None and not isinstance(operation_id, str):
            self._warn(location.child("operationId"), "operationId must be a string; ignored")
            operation_id = None
        tags = op.get("tags")
        if tags is not None and not (
            isinstance(tags, list) and all(isinstance(t, str) for t in tags)
        ):
            self._warn(location.child("tags"), "tags must be an array of strings; ignored")
            tags = None
        responses = self.responses(op.get("responses"), location.child("responses"))
        servers = self.servers(op.get("servers"), location.child("servers")) or path_servers
        idempotency_header = next(
            (
                p.name
                for p in parameters
                if p.location == "header" and _IDEMPOTENCY_HEADER.match(p.name)
            ),
            None,
        )
        return new_operation(
            id="",
            method=method,
            path=path,
            operation_id=operation_id,
            summary=_str_or_none(op.get("summary")) or _str_or_none(item.get("summary")),
            description=_str_or_none(op.get("description"))
            or _str_or_none(item.get("description")),
            tags=tuple(tags or ()),
            deprecated=op.get("deprecated") is True,
            parameters=parameters,
            request_body=body,
            responses=responses,
            security=self.security(op.get("security"), location.child("security"))
            if "security" in op
            else None,
            servers=servers,
            idempotent=method in IDEMPOTENT_METHODS,
            idempotency_header=idempotency_header,
            extensions={k: v for k, v in op.items() if k[:2] == "x-"},
            pointer=pointer,
        )

    # -- parameters ---------------------------------------------------------------------------

    def _parameter_list(
        self, raw: Any, location: Location
    ) -> list[tuple[dict[str, Any], Location]]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            self._warn(location, "parameters must be an array; ignored")
            return []
        found = []
        seen: set[tuple[str, str]] = set()
        for index, entry in enumerate(raw):
            param, where, overrides = self.deref(entry, location.child(index))
            if param is None:
                continue
            if not isinstance(param, dict):
                self._warn(where, "a parameter must be an object; ignored")
                continue
            name, place = param.get("name"), param.get("in")
            if not isinstance(name, str) or place not in _LOCATIONS:
                if place in ("body", "formData") and self._dialect == "2.0":
                    # The converter turns these into a request body only in the main document.
                    self._warn(
                        where,
                        f"an `in: {place}` parameter in another file is not converted to a "
                        "request body; ignored (the operation is read without it)",
                    )
                elif place in ("body", "formData"):
                    self._warn(where, f"`in: {place}` is Swagger 2.0, not OpenAPI 3; ignored")
                else:
                    self._warn(
                        where,
                        "a parameter needs a string `name` and `in` one of "
                        "path, query, header, cookie; ignored",
                    )
                continue
            if (name, place) in seen:
                self._warn(
                    location.child(index),
                    f"parameter {name!r} in {place} is declared twice; the last one is used",
                )
            seen.add((name, place))
            if overrides:
                param = {**param, **overrides}
            found.append((param, where))
        return found

    def _parameters(
        self, raw: list[tuple[dict[str, Any], Location]], path: str, location: Location
    ) -> tuple[Parameter, ...]:
        ordered = sorted(raw, key=lambda pw: _LOCATIONS.index(pw[0]["in"]))
        py_names = assign_py_names(
            [f"{p['in']}\0{p['name']}" for p, _ in ordered],
            lambda key: parameter_name(key.split("\0", 1)[1]),
            bare=lambda key: key.split("\0", 1)[1],
        )
        result = []
        for param, where in ordered:
            py_name = py_names[f"{param['in']}\0{param['name']}"]
            # A shared component parameter is built once per Python name it is given.
            memo = self._parameter_memo.get((id(param), py_name))
            if memo is None:
                memo = (param, self._parameter(param, where, py_name))
                self._parameter_memo[(id(param), py_name)] = memo
            result.append(memo[1])
        declared_path = {p.name for p in result if p.location == "path"}
        for template in re.findall(r"{([^{}]+)}", path.split("?", 1)[0]):
            if template not in declared_path:
                self._warn(
                    location,
                    f"path parameter {template!r} is not declared; "
                    "it is treated as a required string",
                )
                result.append(
                    Parameter(
                        name=template,
                        py_name=unique_name(parameter_name(template), {p.py_name for p in result}),
                        location="path",
                        schema=Schema(types=("string",)),
                        required=True,
                        style="simple",
                        explode=False,
                    )
                )
        return tuple(result)

    def _parameter(self, raw: dict[str, Any], location: Location, py_name: str) -> Parameter:
        place = cast(ParameterLocation, raw["in"])
        self._check_field_types(raw, location, _PARAMETER_FIELD_TYPES)
        if "schema" in raw and "content" in raw:
            self._warn(location, "a parameter has either schema or content, not both; using schema")
        style = raw.get("style")
        if not isinstance(style, str):
            style = _DEFAULT_STYLE[place]
        explode = raw.get("explode")
        if not isinstance(explode, bool):
            explode = style == "form"
        required = raw.get("required") is True
        if place == "path" and not required:
            if "required" in raw:
                self._warn(location.child("required"), "a path parameter must be required")
            required = True
        content_media_type = None
        if "schema" in raw:
            schema = self._schemas.build(raw["schema"], _schema_location(raw, location))
        elif isinstance(raw.get("content"), dict) and raw["content"]:
            content_media_type, media = next(iter(raw["content"].items()))
            schema = self._schemas.build(
                media.get("schema") if isinstance(media, dict) else None,
                location.child("content", content_media_type, "schema"),
            )
        elif "type" in raw:  # a Swagger 2.0 parameter reached through an external $ref
            schema = self._schemas.build(
                {k: v for k, v in raw.items() if k not in ("name", "in", "required")}, location
            )
        else:
            schema = ANY_SCHEMA
        return Parameter(
            name=raw["name"],
            py_name=py_name,
            location=place,
            schema=schema,
            required=required,
            style=style,
            explode=explode,
            allow_reserved=raw.get("allowReserved") is True,
            allow_empty_value=raw.get("allowEmptyValue") is True,
            deprecated=raw.get("deprecated") is True,
            description=_str_or_none(raw.get("description")),
            examples=self.examples(raw, location),
            content_media_type=content_media_type,
            pointer=location.pointer,
        )

    # -- bodies and responses -----------------------------------------------------------------

    def request_body(self, raw: Any, location: Location) -> RequestBody | None:
        if raw is None:
            return None
        body, location, overrides = self.deref(raw, location)
        body = self.expect_object(body, location, "requestBody")
        if body is None:
            return None
        if "content" not in body:
            self._warn(location, "a requestBody needs content (a required field)")
        return RequestBody(
            content=self.content(body.get("content"), location.child("content")),
            required=body.get("required") is True,
            description=_str_or_none(overrides.get("description", body.get("description"))),
            pointer=location.pointer,
        )

    def content(self, raw: Any, location: Location) -> tuple[MediaType, ...]:
        content = self.expect_object(raw, location, "content")
        if not content:
            return ()
        media_types = []
        for media_type, entry in content.items():
            here = location.child(media_type)
            if isinstance(entry, dict) and isinstance(entry.get(POINTER_KEY), str):
                here = Location(here.doc, entry[POINTER_KEY])
            entry = self.expect_object(entry, here, "a media type") or {}
            media_types.append(
                new_media_type(
                    media_type=media_type,
                    schema=self._schemas.build(entry["schema"], here.child("schema"))
                    if "schema" in entry
                    else None,
                    examples=self.examples(entry, here),
                    encoding=self._encoding(entry.get("encoding"), here.child("encoding")),
                    pointer=here.pointer,
                )
            )
        return tuple(media_types)

    def _encoding(self, raw: Any, location: Location) -> tuple[Encoding, ...]:
        encodings = self.expect_object(raw, location, "encoding")
        if not encodings:
            return ()
        result = []
        for name, entry in encodings.items():
            if not isinstance(entry, dict):
                continue
            explode = entry.get("explode")
            result.append(
                Encoding(
                    property_name=name,
                    content_type=_str_or_none(entry.get("contentType")),
                    style=_str_or_none(entry.get("style")),
                    explode=explode if isinstance(explode, bool) else None,
                    headers=self.headers(entry.get("headers"), location.child(name, "headers")),
                )
            )
        return tuple(result)

    def examples(self, raw: dict[str, Any], location: Location) -> tuple[Example, ...]:
        found: list[Example] = []
        if "example" in raw:
            found.append(Example(value=raw["example"]))
        examples = raw.get("examples")
        if isinstance(examples, dict):
            for name, entry in examples.items():
                example, _, overrides = self.deref(entry, location.child("examples", name))
                if not isinstance(example, dict):
                    continue
                found.append(
                    Example(
                        value=example.get("value"),
                        summary=_str_or_none(overrides.get("summary", example.get("summary"))),
                        name=name,
                        external_value=_str_or_none(example.get("externalValue")),
                    )
                )
        return tuple(found)

    def responses(self, raw: Any, location: Location) -> tuple[Response, ...]:
        if raw is None:
            if self._dialect != "3.1":  # optional since 3.1
                self._warn(location, "operation has no responses")
            return ()
        responses = self.expect_object(raw, location, "responses")
        if responses is None:
            return ()
        result = []
        for key, entry in responses.items():
            status = str(key).upper() if str(key).lower() != "default" else "default"
            if key[:2] == "x-":
                continue
            if status != "default" and not _STATUS.match(status):
                self._warn(location.child(key), f"{key!r} is not a status code; ignored")
                continue
            response, here, overrides = self.deref(entry, location.child(key))
            response = self.expect_object(response, here, "a response")
            if response is None:
                continue
            memo_key = (id(response), status, overrides.get("description"))
            memo = self._response_memo.get(memo_key)
            if memo is None:
                memo = (response, self._response(response, status, here, overrides))
                self._response_memo[memo_key] = memo
            result.append(memo[1])
        return tuple(result)

    def _response(
        self, response: dict[str, Any], status: str, here: Location, overrides: dict[str, Any]
    ) -> Response:
        if not isinstance(response.get("description"), str) and "description" not in overrides:
            self._warn(here, "a response needs a description (a required field)")
        content = response.get("content")
        if content is None and self._dialect == "2.0" and "schema" in response:
            # A Swagger 2.0 response in another file: the converter saw only the main document,
            # so its body schema is read here (as JSON; `produces` is not known at this point).
            content = {
                "application/json": {"schema": response["schema"], POINTER_KEY: here.pointer}
            }
        return new_response(
            status=status,
            description=_str_or_none(overrides.get("description", response.get("description"))),
            headers=self.headers(response.get("headers"), here.child("headers")),
            content=self.content(content, here.child("content")),
            pointer=here.pointer,
        )

    def headers(self, raw: Any, location: Location) -> tuple[Header, ...]:
        headers = self.expect_object(raw, location, "headers")
        if not headers:
            return ()
        result = []
        for name, entry in headers.items():
            header, here, overrides = self.deref(entry, location.child(name))
            if not isinstance(header, dict):
                continue
            if "schema" in header:
                schema = self._schemas.build(header["schema"], _schema_location(header, here))
            elif isinstance(header.get("content"), dict) and header["content"]:
                media_type, media = next(iter(header["content"].items()))
                schema = self._schemas.build(
                    media.get("schema") if isinstance(media, dict) else None,
                    here.child("content", media_type, "schema"),
                )
            else:
                schema = ANY_SCHEMA
            result.append(
                Header(
                    name=name,
                    schema=schema,
                    required=header.get("required") is True,
                    description=_str_or_none(
                        overrides.get("description", header.get("description"))
                    ),
                    deprecated=header.get("deprecated") is True,
                )
            )
        return tuple(result)

    # -- security and servers -----------------------------------------------------------------

    def security(self, raw: Any, location: Location) -> tuple[SecurityRequirement, ...]:
        if not isinstance(raw, list):
            self._warn(location, "security must be an array; ignored")
            return ()
        requirements: list[SecurityRequirement] = []
        for index, requirement in enumerate(raw):
            if not isinstance(requirement, dict):
                self._warn(location.child(index), "a security requirement must be an object")
                continue
            for name, scopes in requirement.items():
                if not isinstance(scopes, list):
                    self._warn(location.child(index, name), "scopes must be an array; ignored")
            requirements.append(
                tuple(
                    (
                        name,
                        tuple(s for s in scopes if isinstance(s, str))
                        if isinstance(scopes, list)
                        else (),
                    )
                    for name, scopes in requirement.items()
                )
            )
        return tuple(requirements)

    def servers(self, raw: Any, location: Location) -> tuple[Server, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self._warn(location, "servers must be an array; ignored")
            return ()
        servers = []
        for index, entry in enumerate(raw):
            here = location.child(index)
            if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
                self._warn(here, "a server needs a string url; ignored")
                continue
            variables = []
            for name, variable in (
                self.expect_object(entry.get("variables"), here.child("variables"), "variables")
                or {}
            ).items():
                if not isinstance(variable, dict) or "default" not in variable:
                    self._warn(
                        here.child("variables", name), "a server variable needs a default; ignored"
                    )
                    continue
                enum = variable.get("enum")
                variables.append(
                    ServerVariable(
                        name=name,
                        default=str(variable["default"]),
                        enum=tuple(str(v) for v in enum) if isinstance(enum, list) else (),
                        description=_str_or_none(variable.get("description")),
                    )
                )
            servers.append(
                Server(
                    url=entry["url"],
                    description=_str_or_none(entry.get("description")),
                    variables=tuple(variables),
                )
            )
        return tuple(servers)


def _replace_body_name(body: RequestBody, py_name: str) -> RequestBody:
    return RequestBody(
        content=body.content,
        required=body.required,
        description=body.description,
        py_name=py_name,
        pointer=body.pointer,
    )
