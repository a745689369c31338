"""`load`: one description (path, URL or mapping) into an `Api`, problems collected on the way.

Structural validation is done by hand while normalising (each reader checks the fields it
reads and reports a located problem) rather than with `jsonschema` and the official OpenAPI
schema: measured on GitHub's description, that validation alone takes 9.3 s, more than ten
times this whole load, and its errors point at schema branches rather than at the field.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import re
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from apiweld.spec._errors import Problems, SpecError
from apiweld.spec._naming import name_operations, tag_py_names
from apiweld.spec._operations import OperationBuilder
from apiweld.spec._pagination import detect_pagination
from apiweld.spec._refs import MAIN_DOCUMENT, Location, RefResolver
from apiweld.spec._schemas import Dialect, SchemaBuilder
from apiweld.spec._security import describe_slot, schemes_sharing_a_slot, security_schemes
from apiweld.spec._source import (
    ParsedDocument,
    as_plain_json,
    fetch_url,
    parse_document,
    read_file,
)
from apiweld.spec._swagger2 import convert_swagger2
from apiweld.spec.ir import Api, Operation, Problem, Server, Tag, Webhook
from apiweld.spec.names import to_snake, unique_name

__all__ = ["INTERNAL_ERROR", "Source", "load", "load_with_problems"]

Source = str | os.PathLike[str] | Mapping[str, Any]
_ROOT = Location(MAIN_DOCUMENT, "")
INTERNAL_ERROR = "internal error in the apiweld loader, please report it"
_TEMPLATE_VARIABLE = re.compile(r"{[^{}]*}")
# (name, operations, location, kind, callback expression, parent operation id)
_EventEntry = tuple[
    str, list[Operation], Location, Literal["webhook", "callback"], str | None, str | None
]


def load(
    source: Source,
    *,
    allow_network: bool = False,
    allow_outside_root: bool = False,
    root: str | os.PathLike[str] | None = None,
) -> Api:
    """Load an OpenAPI 3.0/3.1 or Swagger 2.0 description into the IR.

    `source` is a file path, an http(s) URL, a mapping (as from `json.load`), or the text of
    the description itself (JSON or YAML, recognised by a newline or a leading `{`).

    Survivable problems are in `Api.problems`; a description that cannot be used raises
    `SpecError` naming the place. Remote documents (the source itself or `$ref`s) are fetched only
    with `allow_network`; local `$ref`s may not leave `root` (default: the description's folder)
    unless `allow_outside_root`.
    """
    display = _display_name(source)
    # The loader builds a large acyclic graph of new objects; letting the cyclic collector
    # re-scan the parsed document while it does so costs about a third of the load time.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _load(
            source,
            display,
            allow_network=allow_network,
            allow_outside_root=allow_outside_root,
            root=root,
        )
    except SpecError:
        raise
    except RecursionError:
        raise SpecError(
            Problem("error", "", "description nested too deeply to process"), source=display
        ) from None
    except MemoryError:
        raise SpecError(
            Problem("error", "", "description too large to process"), source=display
        ) from None
    except Exception as exc:
        # The promise is "a SpecError, never a traceback": a loader bug must still reach the
        # user as a located, reportable error. Tests assert this message never appears, so
        # such bugs do not hide.
        raise SpecError(
            Problem("error", "", f"{INTERNAL_ERROR} ({type(exc).__name__}: {exc})"),
            source=display,
        ) from exc
    finally:
        if gc_was_enabled:
            gc.enable()


def load_with_problems(
    source: Source,
    *,
    allow_network: bool = False,
    allow_outside_root: bool = False,
    root: str | os.PathLike[str] | None = None,
) -> tuple[Api | None, tuple[Problem, ...]]:
    """Like `load`, but never raises for a bad description: (api or None, every problem)."""
    try:
        api = load(
            source, allow_network=allow_network, allow_outside_root=allow_outside_root, root=root
        )
    except SpecError as exc:
        return None, exc.problems
    return api, api.problems


def _is_inline_text(source: Source) -> bool:
    """A string that is the description itself (no path or URL holds a newline or starts `{`)."""
    return isinstance(source, str) and ("\n" in source or source.lstrip().startswith("{"))


def _display_name(source: Source) -> str | None:
    if isinstance(source, Mapping) or _is_inline_text(source):
        return None
    return os.fspath(source)


def _read(source: Source, allow_network: bool) -> tuple[ParsedDocument, str | None]:
    """The parsed main document and its address (real path or URL; None for a mapping)."""
    if isinstance(source, Mapping):
        # The caller's objects may be shared between places, like YAML aliases.
        return ParsedDocument(as_plain_json(source), shares_nodes=True), None
    if isinstance(source, str) and _is_inline_text(source):
        return parse_document(source.encode("utf-8", "surrogatepass"), "<text>"), None
    text = os.fspath(source)
    if text.lower().startswith(("http://", "https://")):
        if not allow_network:
            raise SpecError(
                Problem(
                    "error", "", "loading a description from a URL needs allow_network=True", text
                ),
                source=text,
            )
        return parse_document(fetch_url(text), text), text
    path = Path(text)
    return parse_document(read_file(path), text), os.path.realpath(path)


def _dialect(doc: dict[str, Any], problems: Problems) -> Dialect:
    version = doc.get("openapi")
    if isinstance(version, str) and version.startswith("3."):
        if version.startswith("3.0"):
            return "3.0"
        if not version.startswith("3.1"):
            problems.warn("/openapi", f"OpenAPI {version} is newer than 3.1; read as 3.1")
        return "3.1"
    if "openapi" in doc:
        raise SpecError(
            Problem(
                "error", "/openapi", f"unsupported OpenAPI version {version!r} (3.0.x or 3.1.x)"
            )
        )
    if "swagger" in doc:
        if str(doc["swagger"]).strip() in ("2.0", "2"):
            return "2.0"
        raise SpecError(
            Problem(
                "error", "/swagger", f"unsupported Swagger version {doc['swagger']!r} (only 2.0)"
            )
        )
    raise SpecError(
        Problem(
            "error", "", "not an OpenAPI or Swagger description: no `openapi` or `swagger` field"
        )
    )


def _load(
    source: Source,
    display: str | None,
    *,
    allow_network: bool,
    allow_outside_root: bool,
    root: str | os.PathLike[str] | None,
) -> Api:
    parsed, address = _read(source, allow_network)
    raw = parsed.value
    if not isinstance(raw, Mapping):
        raise SpecError(
            Problem("error", "", "the description must be an object at the top level"),
            source=display,
        )
    problems = Problems()
    doc: dict[str, Any] = dict(raw)
    try:
        dialect = _dialect(doc, problems)
    except SpecError as exc:
        raise SpecError(exc.problems, source=display) from None
    source_format = (
        f"swagger {doc.get('swagger')}" if dialect == "2.0" else f"openapi {doc.get('openapi')}"
    )
    if dialect == "2.0":
        source_url = address if address and "://" in address else None
        doc = convert_swagger2(doc, problems, source_url=source_url)
    if root is not None:
        root_path: Path | None = Path(root)
    elif address is not None and "://" not in address:
        root_path = Path(address).parent
    else:
        root_path = None
    resolver = RefResolver(
        doc,
        main_address=address,
        root=root_path,
        allow_network=allow_network,
        allow_outside_root=allow_outside_root,
        problems=problems,
        shares_nodes=parsed.shares_nodes,
    )
    return _Assembler(doc, dialect, resolver, problems).build(source_format, display)


class _Assembler:
    def __init__(
        self, doc: dict[str, Any], dialect: Dialect, resolver: RefResolver, problems: Problems
    ) -> None:
        self.doc = doc
        self.dialect = dialect
        self.resolver = resolver
        self.problems = problems
        self.schemas = SchemaBuilder(resolver, problems, dialect)
        self.operations = OperationBuilder(resolver, problems, self.schemas, dialect)

    def build(self, source_format: str, display: str | None) -> Api:
        doc = self.doc
        components = doc.get("components")
        if components is not None and not isinstance(components, dict):
            self.problems.warn("/components", "components must be an object; ignored")
            components = None
        components = components or {}
        if self.dialect == "2.0":
            self.schemas.register_components(doc.get("definitions"), _ROOT.child("definitions"))
        else:
            self.schemas.register_components(
                components.get("schemas"), _ROOT.child("components", "schemas")
            )
        info = doc.get("info")
        if not isinstance(info, dict):
            self.problems.warn("/info", "info is missing or not an object")
            info = {}
        title, version = info.get("title"), info.get("version")
        if not isinstance(title, str):
            self.problems.warn("/info/title", "info.title is missing or not a string")
        if not isinstance(version, str):
            self.problems.warn("/info/version", "info.version is missing or not a string")
        operations, callbacks = self._operations()
        webhook_entries = self._webhook_entries()
        schemes = security_schemes(
            components.get("securitySchemes"),
            _ROOT.child("components", "securitySchemes"),
            self.problems,
            self.operations.deref,
        )
        security = (
            self.operations.security(doc["security"], _ROOT.child("security"))
            if "security" in doc
            else ()
        )
        tags = self._tags(operations)
        tag_names = {tag.name: tag.py_name for tag in tags}
        self.schemas.drain()
        paginations = [
            detect_pagination(op, self.schemas.schemas, self.problems.warn) for op in operations
        ]
        operations = name_operations(operations, tag_names, paginations)
        webhooks = self._named_webhooks(
            [*webhook_entries, *self._callback_entries(callbacks, operations)], tag_names
        )
        schemas = self.schemas.finish()
        self._check_security(operations, security, schemes)
        return Api(
            title=title if isinstance(title, str) else "Untitled API",
            version=str(version) if isinstance(version, str | int | float) else "0",
            source_format=source_format,
            description=info.get("description")
            if isinstance(info.get("description"), str)
            else None,
            servers=self._servers(display),
            security_schemes=schemes,
            security=security,
            tags=tags,
            operations=tuple(operations),
            schemas=schemas,
            webhooks=tuple(webhooks),
            problems=self.problems.freeze(),
            extensions={k: v for k, v in doc.items() if k[:2] == "x-"},
            source=display,
        )

    def _servers(self, display: str | None) -> tuple[Server, ...]:
        servers = self.operations.servers(self.doc.get("servers"), _ROOT.child("servers"))
        if display is None or "://" not in display:
            return servers
        # Relative server URLs are relative to where the description was fetched from.
        return tuple(
            dataclasses.replace(server, url=urllib.parse.urljoin(display, server.url))
            for server in servers
        )

    def _operations(self) -> tuple[list[Operation], list[tuple[str, Any, Location]]]:
        paths = self.doc.get("paths")
        operations: list[Operation] = []
        callbacks: list[tuple[str, Any, Location]] = []
        if paths is None:
            if self.dialect != "3.1":
                self.problems.warn("/paths", "the description has no paths")
            return operations, callbacks
        if not isinstance(paths, dict):
            self.problems.error("/paths", "paths must be an object; no operations loaded")
            return operations, callbacks
        # (template with anonymous variables, method) -> the first path declaring it
        routes: dict[tuple[str, str], str] = {}
        for path, item in paths.items():
            location = _ROOT.child("paths", path)
            if path[:2] == "x-":
                continue
            if not path.startswith("/"):
                self.problems.warn(location.pointer, "a path must start with '/'")
            found = self.operations.path_item(path, item, location)
            template = _TEMPLATE_VARIABLE.sub("{}", path)
            for op in found:
                other = routes.setdefault((template, op.method), path)
                if other != path:
                    self.problems.warn(
                        op.pointer,
                        f"{op.method.upper()} {other!r} is the same route with other parameter "
                        "names; a server cannot tell the two apart",
                    )
            operations.extend(found)
        callbacks = list(self.operations.callbacks)
        self.operations.callbacks.clear()
        self._check_unique_operation_ids(operations)
        return operations, callbacks

    def _check_unique_operation_ids(self, operations: list[Operation]) -> None:
        first: dict[str, Operation] = {}
        for op in operations:
            if op.operation_id is None:
                continue
            if op.operation_id in first:
                other = first[op.operation_id]
                self.problems.warn(
                    op.pointer + "/operationId",
                    f"operationId {op.operation_id!r} is also used by "
                    f"{other.method.upper()} {other.path}; ids must be unique "
                    "(their Python names are numbered to stay unique)",
                )
            else:
                first[op.operation_id] = op

    def _event_operations(self, name: str, raw: Any, location: Location) -> list[Operation]:
        return self.operations.path_item(name, raw, location, check_path_parameters=False)

    def _webhook_entries(self) -> list[_EventEntry]:
        raw = self.doc.get("webhooks")
        if raw is None:
            return []
        if not isinstance(raw, dict):
            self.problems.warn("/webhooks", "webhooks must be an object; ignored")
            return []
        found = []
        for name, item in raw.items():
            location = _ROOT.child("webhooks", name)
            ops = self._event_operations(name, item, location)
            found.append((name, ops, location))
        return [(name, ops, location, "webhook", None, None) for name, ops, location in found]

    def _callback_entries(
        self, callbacks: list[tuple[str, Any, Location]], operations: list[Operation]
    ) -> list[_EventEntry]:
        by_pointer = {op.pointer: op.id for op in operations}
        entries: list[_EventEntry] = []
        for parent_pointer, raw, location in callbacks:
            callback_map, location, _ = self.operations.deref(raw, location)
            if not isinstance(callback_map, dict):
                continue
            for name, callback in callback_map.items():
                item_map, here, _ = self.operations.deref(callback, location.child(name))
                if not isinstance(item_map, dict):
                    continue
                for expression, item in item_map.items():
                    if expression[:2] == "x-":
                        continue
                    where = here.child(expression)
                    ops = self._event_operations(name, item, where)
                    entries.append(
                        (name, ops, where, "callback", expression, by_pointer.get(parent_pointer))
                    )
        return entries

    def _named_webhooks(
        self, entries: list[_EventEntry], tag_names: dict[str, str]
    ) -> list[Webhook]:
        """Webhooks and callbacks, their names and their operations' ids unique across all."""
        taken: set[str] = set()
        all_ops = name_operations([op for entry in entries for op in entry[1]], tag_names)
        webhooks = []
        for name, ops, location, kind, expression, parent in entries:
            named_ops, all_ops = all_ops[: len(ops)], all_ops[len(ops) :]
            webhooks.append(
                Webhook(
                    name=name,
                    py_name=unique_name(to_snake(name, fallback="webhook"), taken),
                    kind=kind,
                    operations=tuple(named_ops),
                    expression=expression,
                    parent_operation=parent,
                    pointer=location.pointer,
                )
            )
        return webhooks

    def _tags(self, operations: list[Operation]) -> tuple[Tag, ...]:
        declared = self.doc.get("tags")
        described: dict[str, str | None] = {}
        if isinstance(declared, list):
            for index, tag in enumerate(declared):
                if isinstance(tag, dict) and isinstance(tag.get("name"), str):
                    description = tag.get("description")
                    described.setdefault(
                        tag["name"], description if isinstance(description, str) else None
                    )
                else:
                    self.problems.warn(f"/tags/{index}", "a tag needs a string name; ignored")
        elif declared is not None:
            self.problems.warn("/tags", "tags must be an array; ignored")
        used = [t for op in operations for t in op.tags]
        names = tag_py_names([*described, *used])
        ordered = list(dict.fromkeys([*described, *used]))
        return tuple(Tag(name=t, py_name=names[t], description=described.get(t)) for t in ordered)

    def _check_security(
        self, operations: list[Operation], security: Any, schemes: Mapping[str, Any]
    ) -> None:
        def check(requirements: Any, pointer: str) -> None:
            for index, requirement in enumerate(requirements):
                for name, _ in requirement:
                    if name not in schemes:
                        self.problems.warn(
                            f"{pointer}/{index}", f"security scheme {name!r} is not defined"
                        )
                for slot, names in schemes_sharing_a_slot(requirement, schemes):
                    listed = ", ".join(repr(n) for n in names[:-1]) + f" and {names[-1]!r}"
                    both = "both" if len(names) == 2 else "all"
                    self.problems.warn(
                        f"{pointer}/{index}",
                        f"security schemes {listed} are required together but {both} use "
                        f"{describe_slot(slot, schemes, names[0])}, with different "
                        f"credentials: a request carries only one, so they cannot {both} be "
                        "sent (list them as separate requirements if any one of them will do)",
                    )

        check(security, "/security")
        for op in operations:
            if op.security:
                check(op.security, op.pointer + "/security")
