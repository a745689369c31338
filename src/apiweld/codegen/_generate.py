"""Generation end to end: IR -> render model -> files in a staging folder -> ruff -> DIR.

The package is written to a staging folder inside DIR, formatted there, then swapped into place,
so an interrupted run never leaves half a package and `--check` can compare a fresh rendering
with what is on disk.
"""

from __future__ import annotations

import contextlib
import filecmp
import gc
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apiweld import __version__
from apiweld.spec.ir import Api, Operation

from ._client_surface import auth_defs, client_defaults, server_defs
from ._layout import model_modules
from ._names import (
    SHADOWED_PACKAGES,
    client_class_name,
    comment_text,
    docstring_body,
    env_prefix,
    file_stem,
    package_name,
    safe_identifier,
)
from ._operations import OperationBuilder, OperationDef, ResourceDef
from ._render import (
    Writer,
    environment,
    from_import,
    markdown_text,
    natural_key,
    render,
    run_ruff,
)
from ._types import ModelDef, TypeBuilder
from ._webhooks import WebhookBuilder, WebhooksDef

Progress = Callable[[str, int, int], None]
"""Called as (stage, done, total) while generating."""


class GenerationError(Exception):
    """Generation could not produce a package (the message says where and why)."""


@dataclass(frozen=True)
class SkippedOperation:
    operation: str
    pointer: str
    reason: str


@dataclass(frozen=True)
class GenerationWarning:
    pointer: str
    message: str


@dataclass
class GenerationReport:
    package: str
    output: str
    operations_total: int = 0
    operations_generated: int = 0
    skipped: list[SkippedOperation] = field(default_factory=list)
    warnings: list[GenerationWarning] = field(default_factory=list)
    models: int = 0
    resources: int = 0
    files: int = 0
    seconds: float = 0.0
    lint: list[str] = field(default_factory=list)
    """What ruff still reports after fixing (empty on a clean run)."""
    excluded: list[Any] = field(default_factory=list)
    """Operations apiweld.toml left out on purpose (not failures)."""
    methods: dict[str, str] = field(default_factory=dict)
    """`Operation.id` -> `resource.method` in the generated client."""
    events: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Webhook event type -> (its constant in `webhooks.py`, its payload class in `models`)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "package": self.package,
            "output": self.output,
            "operations_total": self.operations_total,
            "operations_generated": self.operations_generated,
            "skipped": [
                {"operation": s.operation, "pointer": s.pointer, "reason": s.reason}
                for s in self.skipped
            ],
            "warnings": [{"pointer": w.pointer, "message": w.message} for w in self.warnings],
            "models": self.models,
            "resources": self.resources,
            "files": self.files,
            "seconds": round(self.seconds, 3),
            "lint": self.lint,
            "excluded": self.excluded,
            "methods": self.methods,
            "events": {k: list(v) for k, v in self.events.items()},
        }


_CONTROL_FILES = ("pyproject.toml", "README.md")


def generate(
    api: Api,
    output: Path,
    *,
    package: str | None = None,
    format_code: bool = True,
    include_tests: bool = True,
    progress: Progress | None = None,
) -> GenerationReport:
    """Write the client package for `api` into `output` (created if needed); return the report.

    `include_tests`: also write the package's generated test suite (`<package>/tests`).
    """
    started = time.perf_counter()
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".apiweld-staging-", dir=output))
    try:
        with paused_gc():
            report = _generate_into(api, staging, package, format_code, include_tests, progress)
        _swap_into_place(staging, output, report.package)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    report.output = str(output)
    report.seconds = time.perf_counter() - started
    return report


def check(
    api: Api, output: Path, *, package: str | None = None, include_tests: bool = True
) -> list[str]:
    """The files that differ between `output` and a fresh generation (empty: up to date)."""
    output = Path(output)
    with tempfile.TemporaryDirectory(prefix="apiweld-check-") as scratch:
        fresh = Path(scratch)
        with paused_gc():
            report = _generate_into(api, fresh, package, True, include_tests, None)
        return _differences(fresh, output, report.package)


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside the block.

    Generation allocates millions of short-lived strings and small objects beside a large IR
    that lives throughout; the collector then rescans the IR over and over (measured on
    GitHub's description: 2.8 s of CPU with it, 1.0 s without). What it would free is small.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _generate_into(
    api: Api,
    root: Path,
    package: str | None,
    format_code: bool,
    include_tests: bool,
    progress: Progress | None,
) -> GenerationReport:
    if package is not None and package in SHADOWED_PACKAGES:
        raise GenerationError(f"package name {package!r} would shadow the module of that name")
    package = file_stem(safe_identifier(package or package_name(api.title), "api_client"))
    report = GenerationReport(package=package, output=str(root))

    def warn(pointer: str, message: str) -> None:
        report.warnings.append(GenerationWarning(pointer, message))

    types = TypeBuilder(api, warn)
    types.generate_all_components()
    operations = OperationBuilder(api, types, warn)
    report.operations_total = len(api.operations)
    excluded = api.extensions.get("x-apiweld-excluded")
    report.excluded = list(excluded) if isinstance(excluded, list | tuple) else []
    resources = _build_resources(api, operations, report)
    # Payload types are asked for before the drain, so their classes are built with the rest.
    webhook_builder = WebhookBuilder(api, types)
    has_webhooks = webhook_builder.plan()
    types.drain()
    report.models = len(types.classes)
    report.resources = len(resources)

    writer = Writer(root)
    env = environment()
    context = _context(api, package, resources)
    modules = model_modules(types.classes)
    class_module = {name: module for module, classes in modules for name in classes}
    webhooks: WebhooksDef | None = None
    if has_webhooks:
        taken_modules = {"__init__", *(module for module, _ in modules)}
        webhooks = webhook_builder.finish(
            package, context["env_prefix"], class_module, taken_modules
        )
        report.models += len(webhooks.roots)
        report.events = {
            event.event_type: (event.constant, event.class_name) for event in webhooks.events
        }
    context["webhooks"] = webhooks
    total = len(modules) + len(resources) + 6
    done = 0

    def tick(stage: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(stage, done, total)

    writer.write("pyproject.toml", render(env, "pyproject.toml.jinja", **context))
    writer.write("README.md", render(env, "README.md.jinja", **context))
    writer.write(f"{package}/py.typed", "")
    writer.write(f"{package}/__init__.py", render(env, "package_init.py.jinja", **context))
    writer.write(f"{package}/_base.py", render(env, "base.py.jinja", **context))
    writer.write(f"{package}/_client.py", render(env, "client.py.jinja", **context))
    tick("client")
    writer.write(
        f"{package}/models/__init__.py",
        render(
            env,
            "models_init.py.jinja",
            exports=sorted(((class_module[n], n) for n in class_module), key=_by_module),
            all_names=sorted(class_module),
            **context,
        ),
    )
    for module, classes in modules:
        writer.write(
            f"{package}/models/{module}.py",
            _render_models_module(env, module, classes, types, class_module, context),
        )
        tick("models")
    if webhooks is not None:
        _write_webhooks(env, writer, webhooks, class_module, context)
    writer.write(
        f"{package}/resources/__init__.py", render(env, "resources_init.py.jinja", **context)
    )
    for resource in resources:
        writer.write(
            f"{package}/resources/{resource.module}.py",
            _render_resource(env, resource, class_module, context),
        )
        tick("resources")
    tests: list[Path] = []
    if include_tests:
        tests = _render_tests(api, package, context["client"], root, report)
    report.files = len(writer.files) + len(tests)
    if format_code:
        report.lint = run_ruff(root, root / "pyproject.toml")
    tick("format")
    return report


def _write_webhooks(
    env: Any,
    writer: Writer,
    webhooks: WebhooksDef,
    class_module: dict[str, str],
    context: dict[str, Any],
) -> None:
    """`webhooks.py`, and a module under `models/` for each payload that is not an object."""
    package = context["package"]
    for event in webhooks.roots:
        imports: dict[str, set[str]] = {}
        for ref in event.refs:
            imports.setdefault(class_module[ref], set()).add(ref)
        body = render(
            env,
            "webhook_payload.py.jinja",
            event=event,
            imports=sorted(imports.items(), key=_by_module),
            header_imports="{header}",
            **context,
        )
        body = body.replace("{header}", _header_imports(body, then_local=bool(imports)), 1)
        writer.write(f"{package}/models/{event.module}.py", body)
    writer.write(f"{package}/webhooks.py", render(env, "webhooks.py.jinja", **context))


def _render_tests(
    api: Api, package: str, client: str, root: Path, report: GenerationReport
) -> list[Path]:
    """The package's own test suite, rendered by `apiweld.testing` (see its `render_suite`).

    The client is what this command promises; a failure while rendering its tests is reported
    as a warning and leaves the client in place.
    """
    from apiweld.testing.suite import render_suite

    target = Writer(root).path_for(f"{package}/tests/__init__.py").parent
    try:
        return render_suite(
            api,
            package,
            client,
            f"Async{client}",
            target,
            methods=report.methods,
            events=report.events,
        )
    except Exception as error:  # their failure must not cost the user the client
        report.warnings.append(
            GenerationWarning("", f"test suite not generated: {type(error).__name__}: {error}")
        )
        return []


def _build_resources(
    api: Api, operations: OperationBuilder, report: GenerationReport
) -> list[ResourceDef]:
    def skip(op: Operation, error: Exception) -> None:
        reason = f"{type(error).__name__}: {error}"
        report.skipped.append(SkippedOperation(op.operation_id or op.id, op.pointer, reason))

    resources = operations.resources(api.operations, skip)
    report.operations_generated = len(api.operations) - len(report.skipped)
    for resource in resources:
        for op in resource.operations:
            report.methods[op.operation_key] = f"{resource.attribute}.{op.method_name}"
    return resources


def _context(api: Api, package: str, resources: list[ResourceDef]) -> dict[str, Any]:
    client = client_class_name(api.title)
    prefix = env_prefix(package)
    noop = lambda pointer, message: None  # noqa: E731 - warnings were collected in the first pass
    auth = auth_defs(api, prefix, noop)
    defaults = client_defaults(api)
    servers = server_defs(api)
    title = comment_text(api.title, limit=120) or package
    example = _usage_example(resources)
    return {
        "api_title": docstring_body(title).replace("\n", " "),
        "api_title_doc": docstring_body(title).replace("\n", " "),
        "title_md": markdown_text(api.title) or package,
        "version_md": markdown_text(api.version),
        "package": package,
        "distribution": package.replace("_", "-"),
        "version": _pep440(api.version),
        "description": comment_text(api.title, limit=200),
        "apiweld_version": __version__,
        "client": client,
        "client_doc": _client_doc(api),
        "env_prefix": prefix,
        "auth": [
            {**vars(a), "ways": a.ways, "scheme_md": markdown_text(_unquote(a.scheme))}
            for a in auth
        ],
        "auth_defs": auth,
        "env_names": [env for a in auth for _, env in a.arguments] + [f"{prefix}_BASE_URL"],
        "first_auth": auth[0].arguments[0][0] if auth else "",
        "servers": [
            {**vars(s), "url_md": markdown_text(s.url), "doc_md": markdown_text(s.doc)}
            for s in servers
        ],
        "resources": resources,
        "example": example,
        "client_defaults": defaults,
        "operation_servers": any(o.base_url for r in resources for o in r.operations),
        "client_runtime_names": _client_runtime_names(auth, defaults),
    }


def _unquote(literal: str) -> str:
    return literal[1:-1] if len(literal) >= 2 and literal[0] in "'\"" else literal


def _client_doc(api: Api) -> str:
    head = docstring_body(f"{api.title} {api.version}".strip())
    body = docstring_body(api.description)
    return f"{head}\n\n{body}" if body else head


def _usage_example(resources: list[ResourceDef]) -> dict[str, str] | None:
    """A call to show in the README: one that returns a value (not a pager), few arguments."""
    candidates = [
        (resource, op)
        for resource in resources
        for op in resource.operations
        if op.item_annotation is None and op.return_annotation != "None"
    ] or [(resource, op) for resource in resources for op in resource.operations]
    for resource, op in candidates:
        required = [a for a in op.arguments if a.required]
        if len(required) <= 2:
            arguments = ", ".join(f"{a.py_name}=..." for a in required)
            return {
                "resource": resource.attribute,
                "method": op.method_name,
                "arguments": arguments,
            }
    return None


def _pep440(version: str) -> str:
    parts = [p for p in version.replace("-", ".").split(".") if p.isdigit()]
    return ".".join(str(int(p)) for p in parts[:3]) if parts else "0.0.0"


def _render_models_module(
    env: Any,
    module: str,
    classes: list[str],
    types: TypeBuilder,
    class_module: dict[str, str],
    context: dict[str, Any],
) -> str:
    defs = [types.classes[name] for name in classes]
    local = set(classes)
    imports: dict[str, set[str]] = {}
    for item in defs:
        if isinstance(item, ModelDef):
            for ref in item.refs - local:
                imports.setdefault(class_module[ref], set()).add(ref)
    bases = sorted({"Model" if isinstance(d, ModelDef) else d.base for d in defs})
    body = render(
        env,
        "models_module.py.jinja",
        names=classes,
        classes=defs,
        imports=sorted(imports.items(), key=_by_module),
        bases=bases,
        header_imports="{header}",
        **context,
    )
    return body.replace("{header}", _header_imports(body, then_local=True), 1)


_MODULE_ALIASES = (
    ("builtins", re.compile(r"(?<![\w.])builtins\."), "import builtins"),
    ("datetime", re.compile(r"(?<![\w.])_dt\."), "import datetime as _dt"),
    ("functools", re.compile(r"(?<![\w.])functools\."), "import functools"),
    ("typing", re.compile(r"(?<![\w.])_t\."), "import typing as _t"),
    ("uuid", re.compile(r"(?<![\w.])_uuid\."), "import uuid as _uuid"),
)
_PYDANTIC = re.compile(r"(?<![\w.])_pyd\.")


def _header_imports(body: str, then_local: bool) -> str:
    """The standard-library and pydantic imports `body` uses, grouped as isort groups them.

    `then_local`: the next import is a relative one (a blank line separates the sections);
    otherwise the next one is `from apiweld.runtime import ...`, in pydantic's section.
    """
    stdlib = [line for _, pattern, line in _MODULE_ALIASES if pattern.search(body)]
    pydantic = ["import pydantic as _pyd"] if _PYDANTIC.search(body) else []
    sections = ["\n".join(stdlib)] if stdlib else []
    if pydantic:
        sections.append(pydantic[0])
    if not sections:
        return ""
    text = "\n\n".join(sections) + "\n"
    if then_local or not pydantic:
        text += "\n"
    return text


def _render_resource(
    env: Any, resource: ResourceDef, class_module: dict[str, str], context: dict[str, Any]
) -> str:
    type_imports: dict[str, set[str]] = {}
    for op in resource.operations:
        for ref in op.refs:
            type_imports.setdefault(class_module[ref], set()).add(ref)
        op.cast_imports = _local_imports(op.runtime_refs, class_module)
        op.item_imports = _local_imports(op.item_refs, class_module)
    body = render(
        env,
        "resource.py.jinja",
        resource=resource,
        type_imports=sorted(type_imports.items(), key=_by_module),
        runtime_names=_runtime_names(resource),
        header_imports="{header}",
        **context,
    )
    return body.replace("{header}", _header_imports(body, then_local=False), 1)


def _local_imports(refs: set[str], class_module: dict[str, str]) -> list[str]:
    by_module: dict[str, set[str]] = {}
    for ref in refs:
        by_module.setdefault(class_module[ref], set()).add(ref)
    return [
        from_import(f"..models.{m}", n, 8) for m, n in sorted(by_module.items(), key=_by_module)
    ]


def _by_module(item: tuple[str, object]) -> tuple[object, ...]:
    return natural_key(item[0])


def _client_runtime_names(auth: list[Any], defaults: list[tuple[str, str]]) -> list[str]:
    names = {"AsyncClient", "AuthProvider", "Client"}
    providers = {"ApiKeyAuth", "BasicAuth", "BearerAuth", "OAuth2ClientCredentials"}
    for item in auth:
        for _, provider in item.ways:
            names.update(p for p in providers if provider.startswith(f"{p}("))
    for _, value in defaults:
        for name in ("RetryPolicy", "RateLimiter", "RateLimit"):
            if f"{name}(" in value:
                names.add(name)
    return sorted(names)


def _runtime_names(resource: ResourceDef) -> list[str]:
    names = {"APIResponse", "OperationSpec", "RequestOptions"}
    for op in resource.operations:
        if op.params:
            names.add("ParamSpec")
        if op.body is not None and not op.body.required:
            names.update({"NOT_GIVEN", "NotGiven"})
        if op.item_annotation is not None:
            names.update({"SyncPager", "AsyncPager", "PaginationSpec"})
        if "retry=RetryPolicy(" in op.spec:
            names.add("RetryPolicy")
    return sorted(names, key=lambda n: (not n.isupper(), n))


def _swap_into_place(staging: Path, output: Path, package: str) -> None:
    target = output / package
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise GenerationError(f"{target} exists and is not a folder; refusing to replace it")
    if target.exists():
        shutil.rmtree(target)
    (staging / package).rename(target)
    for name in _CONTROL_FILES:
        destination = output / name
        if destination.is_symlink():
            destination.unlink()
        (staging / name).replace(destination)


def _differences(fresh: Path, output: Path, package: str) -> list[str]:
    differences: list[str] = []
    for name in _CONTROL_FILES:
        if not (output / name).is_file() or not filecmp.cmp(
            fresh / name, output / name, shallow=False
        ):
            differences.append(name)
    fresh_files = _relative_files(fresh / package)
    disk_files = _relative_files(output / package)
    for rel in sorted(fresh_files | disk_files):
        a, b = fresh / package / rel, output / package / rel
        if rel not in fresh_files or rel not in disk_files or not filecmp.cmp(a, b, shallow=False):
            differences.append(f"{package}/{rel}")
    return differences


def _relative_files(folder: Path) -> set[str]:
    if not folder.is_dir():
        return set()
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


__all__ = ["GenerationError", "GenerationReport", "OperationDef", "check", "generate"]
