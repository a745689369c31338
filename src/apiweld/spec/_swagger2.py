"""Swagger 2.0 into the OpenAPI 3.0 shape the rest of the loader reads.

The conversion is shallow: schemas are shared with the original document, not copied, and
`definitions` stays in place so `#/definitions/...` references keep resolving. Converted objects
carry a `$$pointer` key naming where they came from in the Swagger document, so problems found
later point at the original text, not at the converted shape.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from apiweld.spec._errors import Problems, join_pointer

__all__ = ["POINTER_KEY", "SCHEMA_AT_OWN_POINTER", "convert_swagger2"]

POINTER_KEY = "$$pointer"
# Set on a converted parameter or header whose `schema` is made of its own fields (Swagger 2.0
# puts `type`, `format`... on the parameter itself): that schema's pointer is the object's.
SCHEMA_AT_OWN_POINTER = "$$schema_at_own_pointer"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
_PARAMETER_SCHEMA_KEYS = (
    "type",
    "format",
    "items",
    "enum",
    "default",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "multipleOf",
    "x-nullable",
)
_FLOWS = {
    "implicit": "implicit",
    "password": "password",
    "application": "clientCredentials",
    "accessCode": "authorizationCode",
}


def _extensions(node: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if k[:2] == "x-"}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _name_of(parameter: dict[str, Any] | None) -> str | None:
    name = parameter.get("name") if parameter is not None else None
    return name if isinstance(name, str) else None


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class _Converter:
    def __init__(self, doc: dict[str, Any], problems: Problems, source_url: str | None) -> None:
        self.doc = doc
        self.problems = problems
        # Swagger 2.0: a missing scheme or host means those of the URL the description came from.
        parts = urllib.parse.urlsplit(source_url) if source_url else None
        self.default_scheme = parts.scheme if parts else "https"
        self.default_host = parts.netloc if parts else None
        self.consumes = [m for m in _as_list(doc.get("consumes")) if isinstance(m, str)]
        self.produces = [m for m in _as_list(doc.get("produces")) if isinstance(m, str)]
        self._responses: dict[str, dict[str, Any]] = {}

    def convert(self) -> dict[str, Any]:
        doc = self.doc
        out: dict[str, Any] = {
            "openapi": "3.0.3",
            "info": doc.get("info"),
            "paths": self._paths(doc.get("paths")),
            "components": {
                "schemas": doc.get("definitions", {}),
                "securitySchemes": self._security_schemes(doc.get("securityDefinitions")),
            },
            # Kept so `#/definitions/X` and `#/parameters/X` references still resolve.
            "definitions": doc.get("definitions", {}),
            "parameters": doc.get("parameters", {}),
            "responses": doc.get("responses", {}),
            **_extensions(doc),
        }
        servers = self._servers()
        if servers:
            out["servers"] = servers
        for key in ("security", "tags", "externalDocs"):
            if key in doc:
                out[key] = doc[key]
        return out

    def _servers(self) -> list[dict[str, Any]]:
        host = self.doc.get("host") or self.default_host
        base_path = self.doc.get("basePath")
        base_path = base_path if isinstance(base_path, str) else ""
        if base_path and not base_path.startswith("/"):
            base_path = "/" + base_path
        if not isinstance(host, str) or not host:
            return [{"url": base_path}] if base_path else []
        schemes = [s for s in _as_list(self.doc.get("schemes")) if isinstance(s, str)]
        return [
            {"url": f"{scheme.lower()}://{host.rstrip('/')}{base_path}"}
            for scheme in (schemes or [self.default_scheme])
        ]

    def _security_schemes(self, definitions: Any) -> dict[str, Any]:
        schemes: dict[str, Any] = {}
        for name, raw in _as_dict(definitions).items():
            pointer = join_pointer("/securityDefinitions", name)
            if not isinstance(raw, dict):
                schemes[name] = raw
                continue
            kind = raw.get("type")
            scheme: dict[str, Any] = {"description": raw.get("description"), POINTER_KEY: pointer}
            if kind == "basic":
                scheme |= {"type": "http", "scheme": "basic"}
            elif kind == "apiKey":
                scheme |= {"type": "apiKey", "name": raw.get("name"), "in": raw.get("in")}
            elif kind == "oauth2":
                flow_name = _FLOWS.get(str(raw.get("flow")))
                if flow_name is None:
                    self.problems.warn(
                        pointer + "/flow", f"unknown OAuth2 flow {raw.get('flow')!r}"
                    )
                    flows: dict[str, Any] = {}
                else:
                    flow = {"scopes": _as_dict(raw.get("scopes"))}
                    for key in ("authorizationUrl", "tokenUrl"):
                        if key in raw:
                            flow[key] = raw[key]
                    flows = {flow_name: flow}
                scheme |= {"type": "oauth2", "flows": flows}
            else:
                scheme["type"] = kind
            schemes[name] = scheme | _extensions(raw)
        return schemes

    def _paths(self, paths: Any) -> Any:
        if not isinstance(paths, dict):
            return paths
        out: dict[str, Any] = {}
        for path, item in paths.items():
            pointer = join_pointer("/paths", path)
            if not isinstance(item, dict) or "$ref" in item:
                out[path] = item
                continue
            converted: dict[str, Any] = {
                k: v for k, v in item.items() if k not in _METHODS and k != "parameters"
            }
            shared = _as_list(item.get("parameters"))
            shared_plain = [
                self._parameter(p, f"{pointer}/parameters/{i}")
                for i, p in enumerate(shared)
                if self._location_of(p) not in ("body", "formData")
            ]
            if shared_plain:
                converted["parameters"] = shared_plain
            for method in _METHODS:
                if method in item:
                    converted[method] = self._operation(
                        item[method], shared, f"{pointer}/{method}", pointer
                    )
            out[path] = converted
        return out

    def _resolve_parameter(self, raw: Any) -> tuple[Any, str | None]:
        ref = raw.get("$ref") if isinstance(raw, dict) else None
        if isinstance(ref, str) and ref.startswith("#/parameters/"):
            name = ref[len("#/parameters/") :].replace("~1", "/").replace("~0", "~")
            target = _as_dict(self.doc.get("parameters")).get(name)
            if isinstance(target, dict):
                return target, join_pointer("/parameters", name)
        return raw, None

    def _location_of(self, raw: Any) -> Any:
        resolved, _ = self._resolve_parameter(raw)
        return resolved.get("in") if isinstance(resolved, dict) else None

    def _operation(self, raw: Any, shared: list[Any], pointer: str, path_pointer: str) -> Any:
        if not isinstance(raw, dict):
            return raw
        op = {
            k: v
            for k, v in raw.items()
            if k not in ("parameters", "responses", "consumes", "produces")
        }
        consumes = [m for m in _as_list(raw.get("consumes")) if isinstance(m, str)]
        consumes = consumes or self.consumes
        produces = [m for m in _as_list(raw.get("produces")) if isinstance(m, str)]
        produces = produces or self.produces or ["application/json"]
        own = _as_list(raw.get("parameters"))
        own_names = {_name_of(self._first(p)) for p in own} - {None}
        # Path-level body/formData parameters apply unless the operation redefines them.
        inherited = [
            (p, f"{path_pointer}/parameters/{i}")
            for i, p in enumerate(shared)
            if self._location_of(p) in ("body", "formData")
            and _name_of(self._first(p)) not in own_names
        ]
        parameters: list[Any] = []
        body: tuple[Any, str] | None = None
        form: list[tuple[dict[str, Any], str]] = []
        for param, param_pointer in [
            *inherited,
            *((p, f"{pointer}/parameters/{i}") for i, p in enumerate(own)),
        ]:
            resolved, ref_pointer = self._resolve_parameter(param)
            location = resolved.get("in") if isinstance(resolved, dict) else None
            if location == "body":
                body = (resolved, ref_pointer or param_pointer)
            elif location == "formData":
                form.append((resolved, ref_pointer or param_pointer))
            else:
                parameters.append(self._parameter(param, param_pointer))
        if parameters:
            op["parameters"] = parameters
        if body is not None:
            op["requestBody"] = self._body(body[0], body[1], consumes or ["application/json"])
        elif form:
            op["requestBody"] = self._form(form, consumes, pointer)
        op["responses"] = self._responses_of(raw.get("responses"), produces, pointer)
        return op

    def _first(self, raw: Any) -> dict[str, Any] | None:
        resolved, _ = self._resolve_parameter(raw)
        return resolved if isinstance(resolved, dict) else None

    def _parameter(self, raw: Any, pointer: str) -> Any:
        resolved, ref_pointer = self._resolve_parameter(raw)
        if not isinstance(resolved, dict) or "$ref" in resolved:
            return raw
        pointer = ref_pointer or pointer
        schema = {k: resolved[k] for k in _PARAMETER_SCHEMA_KEYS if k in resolved}
        param: dict[str, Any] = {
            k: resolved[k]
            for k in ("name", "in", "description", "required", "allowEmptyValue")
            if k in resolved
        }
        param["schema"] = schema
        param[POINTER_KEY] = pointer
        param[SCHEMA_AT_OWN_POINTER] = True
        style = self._collection_style(resolved, pointer)
        if style is not None:
            param["style"], param["explode"] = style
        return param | _extensions(resolved)

    def _collection_style(self, raw: dict[str, Any], pointer: str) -> tuple[str, bool] | None:
        if raw.get("type") != "array":
            return None
        fmt = raw.get("collectionFormat", "csv")
        location = raw.get("in")
        if fmt == "multi":
            return "form", True
        if fmt == "ssv":
            return "spaceDelimited", False
        if fmt == "pipes":
            return "pipeDelimited", False
        if fmt == "tsv":
            self.problems.warn(
                pointer + "/collectionFormat",
                "collectionFormat tsv has no OpenAPI 3 equivalent; using csv",
            )
        elif fmt != "csv":
            self.problems.warn(pointer + "/collectionFormat", f"unknown collectionFormat {fmt!r}")
        return ("simple", False) if location in ("path", "header") else ("form", False)

    def _body(self, raw: dict[str, Any], pointer: str, consumes: list[str]) -> dict[str, Any]:
        schema = raw.get("schema", {})
        body: dict[str, Any] = {
            "content": {m: {"schema": schema, POINTER_KEY: pointer} for m in consumes},
            "required": raw.get("required") is True,
            POINTER_KEY: pointer,
        }
        if isinstance(raw.get("description"), str):
            body["description"] = raw["description"]
        return body | _extensions(raw)

    def _form(
        self, fields: list[tuple[dict[str, Any], str]], consumes: list[str], pointer: str
    ) -> dict[str, Any]:
        has_file = any(f.get("type") == "file" for f, _ in fields)
        media_types = [m for m in consumes if "form" in m] or (
            ["multipart/form-data"] if has_file else ["application/x-www-form-urlencoded"]
        )
        properties: dict[str, Any] = {}
        required: list[str] = []
        for field, _ in fields:
            name = field.get("name")
            if not isinstance(name, str):
                continue
            schema = {k: field[k] for k in _PARAMETER_SCHEMA_KEYS if k in field}
            if isinstance(field.get("description"), str):
                schema["description"] = field["description"]
            properties[name] = schema
            if field.get("required") is True:
                required.append(name)
        schema = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        first_pointer = fields[0][1] if fields else pointer
        return {
            "content": {m: {"schema": schema, POINTER_KEY: first_pointer} for m in media_types},
            "required": bool(required),
            POINTER_KEY: first_pointer,
        }

    def _responses_of(self, raw: Any, produces: list[str], pointer: str) -> Any:
        if not isinstance(raw, dict):
            return raw
        out: dict[str, Any] = {}
        for status, response in raw.items():
            here = join_pointer(pointer + "/responses", str(status))
            ref = response.get("$ref") if isinstance(response, dict) else None
            if isinstance(ref, str) and ref.startswith("#/responses/"):
                name = ref[len("#/responses/") :].replace("~1", "/").replace("~0", "~")
                target = _as_dict(self.doc.get("responses")).get(name)
                if isinstance(target, dict):
                    out[status] = self._response(target, produces, join_pointer("/responses", name))
                    continue
            out[status] = self._response(response, produces, here)
        return out

    def _response(self, raw: Any, produces: list[str], pointer: str) -> Any:
        if not isinstance(raw, dict) or "$ref" in raw:
            return raw
        response: dict[str, Any] = {
            "description": raw.get("description"),
            POINTER_KEY: pointer,
            **_extensions(raw),
        }
        examples = _as_dict(raw.get("examples"))
        if "schema" in raw or examples:
            content: dict[str, Any] = {}
            for media_type in produces:
                entry: dict[str, Any] = {POINTER_KEY: pointer}
                if "schema" in raw:
                    entry["schema"] = raw["schema"]
                if media_type in examples:
                    entry["example"] = examples[media_type]
                content[media_type] = entry
            response["content"] = content
        headers = _as_dict(raw.get("headers"))
        if headers:
            response["headers"] = {
                name: {
                    "schema": header,
                    "description": header.get("description") if isinstance(header, dict) else None,
                    POINTER_KEY: join_pointer(pointer + "/headers", name),
                    SCHEMA_AT_OWN_POINTER: True,
                }
                for name, header in headers.items()
            }
        return response


def convert_swagger2(
    doc: dict[str, Any], problems: Problems, source_url: str | None = None
) -> dict[str, Any]:
    """A Swagger 2.0 document in OpenAPI 3.0 shape (sharing the original's schema objects)."""
    return _Converter(doc, problems, source_url).convert()
