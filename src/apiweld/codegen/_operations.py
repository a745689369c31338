"""From IR operations to the render model of resources, methods and the client's auth.

Each operation becomes one method on its resource (`client.pets.list(...)`) plus a module-level
`OperationSpec` that the runtime executes; the method only forwards typed arguments.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from apiweld.spec.ir import Api, MediaType, Operation, Pagination, Response, Server

from ._client_surface import client_attributes, retry_policy_expression
from ._names import (
    ANNOTATION_BUILTINS,
    docstring_body,
    file_stem,
    pascal_case,
    py_literal,
    safe_identifier,
    snake_case,
    tuple_literal,
    unique,
    upper_snake,
)
from ._responses import body_content, returns_body
from ._schema_rules import ANY
from ._types import TypeBuilder

_JSON_TYPES = ("application/json",)
_CALL_KEYWORDS = (
    ("path", "path"),
    ("query", "query"),
    ("header", "headers"),
    ("cookie", "cookies"),
)
_RESERVED_ARGUMENTS = frozenset({"self", "options"})
# Names every resource class defines itself; an operation method must not replace them.
_RESOURCE_ATTRIBUTES = frozenset({"with_raw_response", "_client"})


@dataclass
class ParamDef:
    py_name: str
    wire_name: str
    location: str
    annotation: str
    required: bool
    spec: str
    """The `ParamSpec(...)` expression."""
    doc: str


@dataclass
class BodyDef:
    py_name: str
    annotation: str
    required: bool
    content_type: str
    doc: str


@dataclass
class OperationDef:
    method_name: str
    const_name: str
    spec: str
    """The `OperationSpec(...)` expression."""
    params: list[ParamDef]
    body: BodyDef | None
    return_annotation: str
    cast_expr: str
    item_annotation: str | None
    """Set when the method pages: the element type of its pager."""
    doc: str
    deprecated: bool
    operation_key: str = ""
    """`Operation.id` of the IR operation this method calls."""
    refs: set[str] = field(default_factory=set)
    """Classes the method signatures name (imported for type checkers only)."""
    runtime_refs: set[str] = field(default_factory=set)
    """Classes the `cast_to` of the plain and raw methods needs at run time."""
    item_refs: set[str] = field(default_factory=set)
    """Classes the pager's `item_type` needs at run time (paged operations)."""
    cast_imports: list[str] = field(default_factory=list)
    item_imports: list[str] = field(default_factory=list)
    base_url: str | None = None
    """The operation's own server, when it differs from the API's first one."""

    @functools.cached_property
    def signature_lines(self) -> str:
        """The keyword parameters of the method, one per line, indented for the template."""
        lines = []
        for arg in self.arguments:
            if arg.required:
                lines.append(f"        {arg.py_name}: {arg.annotation},\n")
            elif isinstance(arg, BodyDef):
                lines.append(f"        {arg.py_name}: {arg.annotation} | NotGiven = NOT_GIVEN,\n")
            else:
                lines.append(f"        {arg.py_name}: {arg.annotation} = None,\n")
        return "".join(lines)

    def call_block(self, indent: int) -> str:
        """The keyword arguments passed to the runtime, `options` last, one per line.

        Exploded with trailing commas, as ruff format writes (and keeps) them.
        """
        pad = " " * indent
        lines = []
        for location, keyword in _CALL_KEYWORDS:
            located = [p for p in self.params if p.location == location]
            if located:
                lines.append(f"{pad}{keyword}={{\n")
                lines.extend(f"{pad}    {py_literal(p.py_name)}: {p.py_name},\n" for p in located)
                lines.append(f"{pad}}},\n")
        if self.body is not None:
            lines.append(f"{pad}body={self.body.py_name},\n")
            lines.append(f"{pad}content_type={py_literal(self.body.content_type)},\n")
        lines.append(f"{pad}options=options,\n")
        return "".join(lines)

    @property
    def arguments(self) -> list[ParamDef | BodyDef]:
        ordered: list[ParamDef | BodyDef] = [p for p in self.params if p.required]
        if self.body is not None and self.body.required:
            ordered.append(self.body)
        ordered.extend(p for p in self.params if not p.required)
        if self.body is not None and not self.body.required:
            ordered.append(self.body)
        return ordered


@dataclass
class ResourceDef:
    attribute: str
    module: str
    class_name: str
    operations: list[OperationDef]
    doc: str
    shadow: frozenset[str]


def _media_rank(media: MediaType) -> int:
    kind = media.media_type.lower().split(";")[0].strip()
    if kind in _JSON_TYPES or kind.endswith("+json"):
        return 0
    if kind == "application/x-www-form-urlencoded":
        return 1
    if kind == "multipart/form-data":
        return 2
    if kind.startswith("text/"):
        return 3
    return 4


# A media type as RFC 9110 writes one (type/subtype, optional parameters): some descriptions put
# property names under `content`, and those must not reach an Accept header.
_TCHARS = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MEDIA_TYPE = re.compile(rf"^{_TCHARS}/{_TCHARS}(\s*;[^\r\n]*)?$")


def _accept_header(op: Operation) -> str | None:
    """What the operation's client asks for: its success responses' media types, JSON first.

    None when JSON alone is documented (the runtime's default Accept). When JSON and other types
    are documented, the others get q=0.9: the method's return type is the JSON model, and list
    order alone expresses no preference (RFC 9110), so a server could otherwise pick YAML.
    """
    written: dict[str, str] = {}
    for response in op.success_responses:
        for media in body_content(response):
            kind = media.media_type.strip()
            if _MEDIA_TYPE.match(kind):
                written.setdefault(kind.lower(), kind)
    json_kinds = [k for k in written.values() if _media_rank_of(k) == 0]
    other_kinds = [k for k in written.values() if _media_rank_of(k) != 0]
    if not other_kinds and [_bare(k) for k in json_kinds] in ([], ["application/json"]):
        return None
    if json_kinds:
        other_kinds = [k if ";" in k else f"{k};q={_lower_q(k)}" for k in other_kinds]
    return ", ".join(json_kinds + other_kinds)


def _lower_q(kind: str) -> str:
    return "0.1" if _bare(kind) == "*/*" else "0.9"


def _bare(kind: str) -> str:
    return kind.split(";", 1)[0].strip().lower()


def _media_rank_of(kind: str) -> int:
    return _media_rank(MediaType(kind))


def _is_json(media_type: str) -> bool:
    kind = media_type.lower().split(";")[0].strip()
    return kind in _JSON_TYPES or kind.endswith("+json") or kind == "*/*"


def _status_rank(response: Response) -> tuple[int, str]:
    return (0 if response.status[1:].isdigit() else 1, response.status)


class OperationBuilder:
    def __init__(self, api: Api, types: TypeBuilder, warn: Callable[[str, str], None]) -> None:
        self.api = api
        self.types = types
        self._warn = warn
        self._const_names: set[str] = set()

    def resources(
        self, operations: tuple[Operation, ...], on_skip: Callable[[Operation, Exception], None]
    ) -> list[ResourceDef]:
        """Resources with their methods; an operation that cannot be built goes to `on_skip`."""
        grouped: dict[str, list[Operation]] = {}
        for op in operations:
            grouped.setdefault(op.resource, []).append(op)
        modules: set[str] = {"__init__"}
        attributes: set[str] = set(client_attributes())
        classes: set[str] = set()
        resources: list[ResourceDef] = []
        for resource in sorted(grouped):
            attribute = unique(safe_identifier(snake_case(resource), "default"), attributes)
            module = unique(file_stem(attribute), modules)
            class_name = unique(pascal_case(resource, "Default") + "Resource", classes)
            taken_methods: set[str] = set(_RESOURCE_ATTRIBUTES)
            ops = sorted(grouped[resource], key=lambda o: (o.path, o.method, o.id))
            method_names = [
                unique(safe_identifier(op.method_name or op.id, "call"), taken_methods)
                for op in ops
            ]
            shadow = frozenset(set(method_names) & ANNOTATION_BUILTINS)
            defs: list[OperationDef] = []
            for op, name in zip(ops, method_names, strict=True):
                try:
                    defs.append(self.operation(op, name, shadow))
                except Exception as error:  # reported as a skip, with its reason
                    on_skip(op, error)
            if not defs:
                continue
            tag = next(
                (t for t in self.api.tags if t.name == resource or t.py_name == resource), None
            )
            resources.append(
                ResourceDef(
                    attribute=attribute,
                    module=module,
                    class_name=class_name,
                    operations=defs,
                    doc=docstring_body(tag.description if tag else None),
                    shadow=shadow,
                )
            )
        return resources

    def operation(self, op: Operation, method_name: str, shadow: frozenset[str]) -> OperationDef:
        hint = pascal_case(op.id, "Operation")
        refs: set[str] = set()
        taken_args: set[str] = set(_RESERVED_ARGUMENTS)
        params: list[ParamDef] = []
        for param in op.parameters:
            py_name = unique(safe_identifier(param.py_name, "param"), taken_args)
            annotation = self.types.type_of(
                param.schema,
                f"{hint}{pascal_case(param.name, 'Param')}",
                "input",
                refs,
                shadow,
                constraints=False,
            )
            annotation = _widen_enum_class(annotation, self.types, param.schema.ref, shadow)
            if _names_a_class(annotation, self.types):
                # As for bodies: the runtime encodes a mapping exactly as it encodes a model.
                annotation = _with_dict(annotation, shadow)
            spec_args = [py_literal(param.name), py_literal(param.location)]
            if param.style and param.style != _default_style(param.location):
                spec_args.append(f"style={py_literal(param.style)}")
            if param.explode != (_effective_style(param) == "form"):
                spec_args.append(f"explode={param.explode!r}")
            if param.allow_reserved:
                spec_args.append("allow_reserved=True")
            if param.content_media_type:
                spec_args.append(f"content_type={py_literal(param.content_media_type)}")
            required = param.required or param.location == "path"
            if not required and not annotation.endswith("| None") and annotation != ANY:
                annotation = f"{annotation} | None"
            params.append(
                ParamDef(
                    py_name=py_name,
                    wire_name=param.name,
                    location=param.location,
                    annotation=annotation,
                    required=required,
                    spec=f"ParamSpec({', '.join(spec_args)})",
                    doc=docstring_body(param.description),
                )
            )
        body = self._body(op, hint, refs, shadow, taken_args)
        return_annotation, cast_expr, runtime_refs = self._returns(op, hint, shadow)
        item_annotation: str | None = None
        item_refs: set[str] = set()
        if op.pagination is not None:
            # The paged method's annotations name the item type; the page type is only the
            # raw method's runtime `cast_to`.
            item_annotation = self._page_item(op, hint, item_refs)
            refs.update(item_refs)
        else:
            refs.update(runtime_refs)
        const_name = unique("_" + upper_snake(op.id, "OPERATION"), self._const_names)
        base_url = self._own_server(op)
        return OperationDef(
            method_name=method_name,
            const_name=const_name,
            spec=self._spec_expression(op, params, base_url),
            params=params,
            body=body,
            return_annotation=return_annotation,
            cast_expr=cast_expr,
            item_annotation=item_annotation,
            doc=_operation_doc(op, params, body),
            deprecated=op.deprecated,
            operation_key=op.id,
            refs=refs,
            runtime_refs=runtime_refs,
            item_refs=item_refs,
            base_url=base_url,
        )

    def _body(
        self,
        op: Operation,
        hint: str,
        refs: set[str],
        shadow: frozenset[str],
        taken_args: set[str],
    ) -> BodyDef | None:
        request_body = op.request_body
        if request_body is None or not request_body.content:
            return None
        media = min(request_body.content, key=lambda m: (_media_rank(m), m.media_type))
        rank = _media_rank(media)
        dict_any = f"{_b('dict', shadow)}[{_b('str', shadow)}, _t.Any]"
        if rank in (0, 1):
            # A form body is typed as a JSON one: the runtime encodes a model or a mapping to
            # `key=value` pairs (lists repeated, objects as JSON text).
            annotation = self.types.type_of(media.schema, f"{hint}Body", "input", refs, shadow)
            if annotation != ANY and _names_a_class(annotation, self.types):
                annotation = f"{annotation} | {dict_any}"
            else:
                annotation = self._list_of_models(media, hint, refs, shadow) or annotation
        elif rank == 2:
            parts = self.types.multipart_parts(media.schema, f"{hint}Body", media.encoding, refs)
            annotation = parts or dict_any
        elif rank == 3:
            annotation = _b("str", shadow)
        else:
            annotation = _b("bytes", shadow)
        py_name = unique(safe_identifier(request_body.py_name, "body"), taken_args)
        return BodyDef(
            py_name=py_name,
            annotation=annotation,
            required=request_body.required,
            content_type=media.media_type,
            doc=docstring_body(request_body.description),
        )

    def _list_of_models(
        self, media: MediaType, hint: str, refs: set[str], shadow: frozenset[str]
    ) -> str | None:
        """`list[Model | dict[str, Any]]` for a body that is an array of models, else None.

        As a single-model body takes a plain mapping, so does each element: the runtime dumps
        models and mappings alike. Length bounds are left out: the method does not enforce
        its annotations (the server does).
        """
        if media.schema is None:
            return None
        array = self.types.api.resolve(media.schema)
        if (
            "array" not in array.types
            or not set(array.types) <= {"array", "null"}
            or array.items is None
            or array.one_of
            or array.any_of
            or array.all_of
        ):
            return None
        item = self.types.type_of(array.items, f"{hint}BodyItem", "input", refs, shadow)
        if item == ANY or not _names_a_class(item, self.types):
            return None
        dict_any = f"{_b('dict', shadow)}[{_b('str', shadow)}, _t.Any]"
        annotation = f"{_b('list', shadow)}[{item} | {dict_any}]"
        return f"{annotation} | None" if "null" in array.types else annotation

    def _returns(
        self, op: Operation, hint: str, shadow: frozenset[str]
    ) -> tuple[str, str, set[str]]:
        runtime_refs: set[str] = set()
        parts: list[str] = []
        for response in sorted(op.success_responses, key=_status_rank):
            content = body_content(response)
            if not returns_body(response, self.api.schemas):
                # With a body-carrying success beside it, `Model | None`: the runtime casts an
                # empty body to None when the type admits it.
                parts.append("None")
                continue
            json_media = sorted(
                (m for m in content if _is_json(m.media_type)),
                # On a tie pydantic's smart union keeps the first member: plain JSON's goes first.
                key=lambda m: (m.media_type.lower() != "application/json", m.media_type),
            )
            if json_media:
                # Each JSON media type may have its own schema (GitHub's `application/sarif+json`
                # beside `application/json`): the server picks one, so the value is any of them.
                base = (
                    "Response"
                    if response.status in ("200", "2XX")
                    else f"Response{response.status}"
                )
                for index, media in enumerate(json_media):
                    suffix = base if index == 0 else f"{base}{index + 1}"
                    parts.append(
                        self.types.type_of(
                            media.schema, f"{hint}{suffix}", "output", runtime_refs, shadow, False
                        )
                    )
                continue
            media = min(content, key=lambda m: (_media_rank(m), m.media_type))
            if _media_rank(media) == 3:
                parts.append(_b("str", shadow))
            else:
                parts.append(_b("bytes", shadow))
        if not parts:
            return "None", "None", runtime_refs
        annotation = _join(parts)
        return annotation, annotation, runtime_refs

    def _page_item(self, op: Operation, hint: str, refs: set[str]) -> str:
        pagination = op.pagination
        assert pagination is not None
        for response in sorted(op.success_responses, key=_status_rank):
            for media in body_content(response):
                if not _is_json(media.media_type):
                    continue
                item = self.types.item_type_at(
                    media.schema, pagination.items_path, f"{hint}Item", refs
                )
                if item is not None:
                    return item
        self._warn(op.pointer, "pagination items could not be typed; items are Any")
        return ANY

    def _own_server(self, op: Operation) -> str | None:
        """The URL of the operation's first server (its own or its path's), variables at their
        defaults and a relative one resolved against the API's first server; None when it is the
        API's own or cannot be made absolute (then the client's base URL serves it)."""
        if not op.servers:
            return None
        api_url = _filled(self.api.servers[0]) if self.api.servers else None
        own = _filled(op.servers[0])
        if api_url is not None and _is_absolute(api_url):
            own = urljoin(api_url, own)
        if not _is_absolute(own):
            self._warn(
                op.pointer,
                f"server {op.servers[0].url!r} is not an absolute http(s) URL; "
                "the client's base URL serves this operation",
            )
            return None
        own = own.rstrip("/")
        if api_url is not None and own == api_url.rstrip("/"):
            return None
        return own

    def _spec_expression(
        self, op: Operation, params: list[ParamDef], base_url: str | None = None
    ) -> str:
        args = [
            f"id={py_literal(op.operation_id or op.id)}",
            f"method={py_literal(op.method.upper())}",
            f"path={py_literal(op.path)}",
        ]
        if base_url is not None:
            args.append(f"base_url={py_literal(base_url)}")
        if params:
            table = "".join(f"        {py_literal(p.py_name)}: {p.spec},\n" for p in params)
            args.append(f"params={{\n{table}    }}")
        if op.security is not None:
            requirements = tuple_literal(
                tuple_literal(py_literal(name) for name, _ in req) for req in op.security
            )
            args.append(f"security={requirements}")
        if op.idempotency_header:
            args.append(f"idempotency_header={py_literal(op.idempotency_header)}")
        if op.pagination is not None:
            args.append(f"pagination={_pagination_expression(op.pagination)}")
        retry = op.extensions.get("x-apiweld-retry")
        if isinstance(retry, dict):
            args.append(f"retry={retry_policy_expression(retry)}")
        limit = op.extensions.get("x-apiweld-rate-limit")
        if isinstance(limit, dict):
            group = limit.get("group") or op.operation_id or op.id
            args.append(f"rate_limit_group={py_literal(str(group))}")
        accept = _accept_header(op)
        if accept is not None:
            args.append(f"accept={py_literal(accept)}")
        # Exploded with trailing commas: the layout ruff format gives (and keeps).
        return "OperationSpec(\n" + "".join(f"    {arg},\n" for arg in args) + ")"


def _filled(server: Server) -> str:
    """A server's URL with each variable at its default."""
    url = server.url
    for variable in server.variables:
        url = url.replace("{" + variable.name + "}", variable.default)
    return url


def _is_absolute(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc) and "{" not in url


def _b(name: str, shadow: frozenset[str]) -> str:
    return f"builtins.{name}" if name in shadow else name


def _join(parts: list[str]) -> str:
    flat: list[str] = []
    for part in parts:
        for piece in _split_top_level(part):
            if piece not in flat:
                flat.append(piece)
    if ANY in flat:
        return ANY
    if "None" in flat and len(flat) > 1:
        flat = [p for p in flat if p != "None"] + ["None"]
    return " | ".join(flat)


def _split_top_level(expression: str) -> list[str]:
    pieces: list[str] = []
    depth = 0
    start = 0
    in_string: str | None = None
    index = 0
    while index < len(expression):
        char = expression[index]
        if in_string:
            if char == "\\":
                index += 1
            elif char == in_string:
                in_string = None
        elif char in "'\"":
            in_string = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "|" and depth == 0:
            pieces.append(expression[start:index].strip())
            start = index + 1
        index += 1
    pieces.append(expression[start:].strip())
    return pieces


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _names_a_class(annotation: str, types: TypeBuilder) -> bool:
    """Whether the annotation is a model (or a union with one, tagged or not) at its top level."""
    for piece in _split_top_level(annotation):
        if piece in types.class_names:
            return True
        if piece.startswith("_t.Annotated[") and "_pyd.Discriminator(" in piece:
            words = _IDENTIFIER.findall(piece.split("_pyd.Discriminator(", 1)[0])
            if any(word in types.class_names for word in words):
                return True
    return False


def _with_dict(annotation: str, shadow: frozenset[str]) -> str:
    """`annotation` that also takes a plain `dict[str, Any]` (kept before a final `| None`)."""
    dict_any = f"{_b('dict', shadow)}[{_b('str', shadow)}, _t.Any]"
    head, nullable = annotation.removesuffix(" | None"), annotation.endswith(" | None")
    return f"{head} | {dict_any}" + (" | None" if nullable else "")


def _widen_enum_class(
    annotation: str, types: TypeBuilder, ref: str | None, shadow: frozenset[str]
) -> str:
    """Let callers pass a plain value where a parameter is typed by an open enum class."""
    if ref is None or ref not in types.api.schemas:
        return annotation
    schema = types.api.schemas[ref]
    if schema.enum is None:
        return annotation
    pieces = _split_top_level(annotation)
    scalar = "str" if all(isinstance(v, str) for v in schema.enum if v is not None) else "int"
    if len(pieces) >= 1 and pieces[0] != ANY:
        pieces.insert(1, _b(scalar, shadow))
    return " | ".join(pieces)


def _default_style(location: str) -> str:
    return "simple" if location in ("path", "header") else "form"


def _effective_style(param: object) -> str:
    style = getattr(param, "style", None)
    location = getattr(param, "location", "query")
    return str(style) if style else _default_style(str(location))


def _pagination_expression(pagination: Pagination) -> str:
    args = [f"style={py_literal(pagination.style)}"]
    for name in (
        "items_path",
        "page_param",
        "size_param",
        "offset_param",
        "limit_param",
        "cursor_param",
        "next_cursor_path",
        "next_cursor_header",
        "next_url_path",
        "has_more_path",
        "total_path",
        "cursor_item_field",
    ):
        value = getattr(pagination, name)
        if value in (None, ()):
            continue
        if isinstance(value, tuple):
            literal = tuple_literal(py_literal(v) for v in value)
        else:
            literal = py_literal(value)
        args.append(f"{name}={literal}")
    return "PaginationSpec(\n" + "".join(f"        {arg},\n" for arg in args) + "    )"


def _operation_doc(op: Operation, params: list[ParamDef], body: BodyDef | None) -> str:
    lines: list[str] = []
    summary = docstring_body(op.summary)
    description = docstring_body(op.description)
    if summary:
        lines.append(summary)
    if description and description != summary:
        if lines:
            lines.append("")
        lines.append(description)
    if not lines:
        lines.append(f"{op.method.upper()} {docstring_body(op.path)}")
    documented = [p for p in params if p.doc]
    if documented or (body is not None and body.doc):
        lines.extend(["", "Args:"])
        for p in documented:
            text = p.doc.replace("\n", "\n        ")
            lines.append(f"    {p.py_name}: {text}")
        if body is not None and body.doc:
            lines.append(f"    {body.py_name}: {body.doc.replace(chr(10), chr(10) + '        ')}")
    if op.deprecated:
        lines.extend(["", "Deprecated."])
    return "\n".join(line.rstrip() for line in "\n".join(lines).splitlines())
