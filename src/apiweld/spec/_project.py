"""A project: apiweld.toml plus the description it names (or its declared endpoints) -> one IR.

`load_project` loads the API, then applies the config's endpoint mapping on the IR: include and
exclude, renames of operations and resources, pagination overrides (as `Pagination` with
`source="config"`), and records the retry and rate-limit policy that applies to each operation
so that codegen reads everything from the IR:

- `Api.extensions["x-apiweld-retry"]` / `["x-apiweld-rate-limit"]`: the global policies;
- `Operation.extensions["x-apiweld-retry"]` / `["x-apiweld-rate-limit"]`: the effective policy
  of an operation that a tag or operation table overrides (absent: the global one applies);
- `Api.extensions["x-apiweld-excluded"]`: every operation left out, with its pointer and why;
- `Api.extensions["x-apiweld-auth"]`: per security scheme, the environment variable names.

References the API does not have (an override of an unknown operation, a tag nobody uses) are
warnings in `Api.problems`, located by a JSON pointer into the TOML document.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from apiweld.config import (
    ApiweldConfig,
    ConfigError,
    ConfigProblem,
    KeyPath,
    OperationSelector,
    PaginationOverride,
    RateLimitSettings,
    RetrySettings,
    load_config,
    merge_rate_limit,
    merge_retry,
)
from apiweld.spec.declared import as_problem, load_declared
from apiweld.spec.ir import Api, Operation, Pagination, Tag

_T = TypeVar("_T")


def load_project(config_or_path: ApiweldConfig | str | Path) -> Api:
    """The IR of a project; raises `ConfigError` (bad config) or `SpecError` (bad description)."""
    if isinstance(config_or_path, ApiweldConfig):
        config = config_or_path
    else:
        config = load_config(config_or_path)
    endpoint_of: Mapping[tuple[str, str], int] = {}
    if config.is_declared:
        declared = load_declared(config)
        api, endpoint_of = declared.api, declared.endpoint_of
    else:
        api = load_description(config)
    return apply_config(api, config, endpoint_of=endpoint_of)


def description_location(config: ApiweldConfig) -> str | Path:
    """The description the config names: a URL as is, a path resolved against apiweld.toml."""
    description = config.api.description
    if description is None:
        raise ValueError("the config declares its endpoints; it names no description")
    if "://" in description:
        return description
    return (config.root_dir / description).resolve()


def load_description(config: ApiweldConfig) -> Api:
    from apiweld.spec import load

    location = description_location(config)
    file = str(config.source_path) if config.source_path else None
    if isinstance(location, str) and not config.api.allow_network:
        raise ConfigError(
            [
                ConfigProblem(
                    "error",
                    ("api", "description"),
                    "is a URL, and network access is off: set [api] allow_network = true, or "
                    "download the description and give its path",
                    file,
                )
            ]
        )
    root = location.parent if isinstance(location, Path) else None
    return load(
        location,
        allow_network=config.api.allow_network,
        allow_outside_root=config.api.allow_outside_root,
        root=root,
    )


def apply_config(
    api: Api, config: ApiweldConfig, *, endpoint_of: Mapping[tuple[str, str], int] = {}
) -> Api:
    """`api` with the config's mapping applied (see the module docstring)."""
    file = str(config.source_path) if config.source_path else None
    ctx = _Context(api, config, file)
    ctx.check_references()
    kept = ctx.select()
    kept = [ctx.rename(op) for op in kept]
    ctx.check_unique_method_names(kept)
    kept = [ctx.paginate(op, endpoint_of.get((op.method, op.path))) for op in kept]
    kept = [ctx.record_policies(op) for op in kept]
    if ctx.errors:
        raise ConfigError([*ctx.errors, *ctx.warnings])
    kept_ids = {op.id for op in kept}
    webhooks = tuple(
        w for w in api.webhooks if w.parent_operation is None or w.parent_operation in kept_ids
    )
    if api.operations and not kept:
        ctx.warn(("operations",), "include/exclude leave no operation to generate")
    extensions = dict(api.extensions)
    extensions.update(ctx.api_extensions())
    return dataclasses.replace(
        api,
        operations=tuple(kept),
        tags=ctx.renamed_tags(),
        webhooks=webhooks,
        extensions=extensions,
        problems=api.problems + tuple(as_problem(p) for p in ctx.warnings),
    )


def effective_policy(
    config: ApiweldConfig, operation: Operation, api: Api | None = None
) -> tuple[RetrySettings, RateLimitSettings]:
    """The retry and rate-limit settings of `operation`: global, then its tags, then its own.

    Tag tables apply in reverse tag order, so the first tag (the one that names the
    operation's resource) wins where two tags disagree; with `api` given, a tag table may be
    keyed by the tag's Python name too. `RateLimitSettings.group` is always set: the explicit
    `group`, else the most specific table that sets a rate, else `"default"`.
    """
    retry: RetrySettings = merge_retry(config.retry, RetrySettings())
    limit: RateLimitSettings = merge_rate_limit(config.rate_limit, RateLimitSettings())
    group = "default"
    py_names = _tag_py_names(api)
    for tag in reversed(operation.tags):
        keys = _tag_keys(tag, py_names)
        tag_retry = _lookup(config.retry.tags, keys)
        if tag_retry is not None:
            retry = merge_retry(retry, tag_retry)
        tag_limit = _lookup(config.rate_limit.tags, keys)
        if tag_limit is not None:
            limit = merge_rate_limit(limit, tag_limit)
            if "rate" in tag_limit.model_fields_set:
                group = f"tag:{tag}"
    keys = _operation_keys(operation)
    op_retry = _lookup(config.retry.operations, keys)
    if op_retry is not None:
        retry = merge_retry(retry, op_retry)
    op_limit = _lookup(config.rate_limit.operations, keys)
    if op_limit is not None:
        limit = merge_rate_limit(limit, op_limit)
        if "rate" in op_limit.model_fields_set:
            group = f"operation:{operation.id}"
    if limit.group is None:
        limit = limit.model_copy(update={"group": group})
    return retry, limit


def _tag_py_names(api: Api | None) -> Mapping[str, str]:
    return {tag.name: tag.py_name for tag in api.tags} if api is not None else {}


def _tag_keys(tag: str, py_names: Mapping[str, str]) -> tuple[str, ...]:
    """How a config table may name a tag: as in the description, or by its Python name."""
    py_name = py_names.get(tag)
    return (tag, py_name) if py_name and py_name != tag else (tag,)


def _operation_keys(operation: Operation) -> tuple[str, ...]:
    keys = [operation.id]
    if operation.operation_id and operation.operation_id != operation.id:
        keys.append(operation.operation_id)
    return tuple(keys)


def _lookup(table: Mapping[str, _T], keys: Iterable[str]) -> _T | None:
    for key in keys:
        if key in table:
            return table[key]
    return None


def _path_glob(pattern: str) -> tuple[str | None, re.Pattern[str]]:
    """`'DELETE /pets/*'` -> ("delete", regex); `*` stays in one segment, `**` crosses them.

    Written here because fnmatch's `*` crosses `/`, which makes `/pets/*` match every nested
    path, and `PurePath.full_match` (which has `**`) needs Python 3.13.
    """
    method, _, path = pattern.strip().rpartition(" ")
    regex = ""
    for index, part in enumerate(path.split("**")):
        if index:
            regex += ".*"
        regex += "[^/]*".join(re.escape(piece) for piece in part.split("*"))
    return (method.strip().lower() or None), re.compile(regex)


class _Context:
    def __init__(self, api: Api, config: ApiweldConfig, file: str | None) -> None:
        self.api = api
        self.config = config
        self.file = file
        self.errors: list[ConfigProblem] = []
        self.warnings: list[ConfigProblem] = []
        self.excluded: list[dict[str, str]] = []
        self.tag_names = {tag.name for tag in api.tags} | {
            t for op in api.operations for t in op.tags
        }
        self.tag_py_names = {tag.py_name: tag.name for tag in api.tags}
        self.tag_py = _tag_py_names(api)
        self.op_keys = {key for op in api.operations for key in _operation_keys(op)}
        self.resources = {op.resource for op in api.operations}

    def warn(self, key_path: KeyPath, message: str) -> None:
        self.warnings.append(ConfigProblem("warning", key_path, message, self.file))

    def error(self, key_path: KeyPath, message: str) -> None:
        self.errors.append(ConfigProblem("error", key_path, message, self.file))

    # References --------------------------------------------------------------------------

    def _check_names(self, key_path: KeyPath, names: Iterable[str], *, kind: str) -> None:
        known = self.op_keys if kind == "operation" else self.tag_names | set(self.tag_py_names)
        for name in names:
            if name in known:
                continue
            message = f"no {kind} {name!r} in the API"
            close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
            if close:
                message += f"; did you mean {close[0]!r}?"
            self.warn((*key_path, name), message)

    def check_references(self) -> None:
        config = self.config
        for section in ("include", "exclude"):
            selector: OperationSelector = getattr(config.operations, section)
            for i, tag in enumerate(selector.tags):
                if tag not in self.tag_names and tag not in self.tag_py_names:
                    self.warn(("operations", section, "tags", i), f"no tag {tag!r} in the API")
            for i, op_id in enumerate(selector.ids):
                if op_id not in self.op_keys:
                    self.warn(("operations", section, "ids", i), f"no operation {op_id!r}")
            for i, pattern in enumerate(selector.paths):
                method, regex = _path_glob(pattern)
                if not any(self._path_matches(op, method, regex) for op in self.api.operations):
                    self.warn(("operations", section, "paths", i), f"{pattern!r} matches nothing")
        self._check_names(("operations", "rename"), config.operations.rename, kind="operation")
        for name in config.resources.rename:
            if name not in self.resources and name not in self.tag_names:
                known = ", ".join(sorted(self.resources))
                self.warn(("resources", "rename", name), f"no resource {name!r} ({known})")
        for table, overrides in (
            ("retry", config.retry),
            ("rate_limit", config.rate_limit),
            ("pagination", config.pagination),
        ):
            self._check_names((table, "operations"), overrides.operations, kind="operation")
            self._check_names((table, "tags"), overrides.tags, kind="tag")
        if not config.is_declared:
            self._check_auth()

    def _check_auth(self) -> None:
        schemes = self.api.security_schemes
        expected = {
            "apiKey": {"api_key"},
            "http": {"bearer", "basic"},
            "oauth2": {"oauth2_client_credentials", "oauth2_refresh", "bearer"},
            "openIdConnect": {"oauth2_client_credentials", "oauth2_refresh", "bearer"},
        }
        for name, auth in self.config.auth.items():
            scheme = schemes.get(name)
            if scheme is None:
                close = difflib.get_close_matches(name, sorted(schemes), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                known = ", ".join(sorted(schemes)) or "none"
                self.warn(("auth", name), f"no security scheme {name!r} ({known}){hint}")
                continue
            kinds = expected.get(scheme.type, set())
            if scheme.type == "http" and scheme.scheme in ("bearer", "basic"):
                kinds = {scheme.scheme}
            if kinds and auth.effective_type not in kinds:
                want = " or ".join(sorted(kinds))
                self.warn(
                    ("auth", name),
                    f"scheme {name!r} is {scheme.type}"
                    f"{' ' + scheme.scheme if scheme.scheme else ''}, which takes {want} "
                    f"credentials, but this table gives {auth.effective_type}",
                )
        for name in self.config.mock.credentials:
            if name not in schemes:
                self.warn(("mock", "credentials", name), f"no security scheme {name!r}")

    # Selection ---------------------------------------------------------------------------

    @staticmethod
    def _path_matches(op: Operation, method: str | None, regex: re.Pattern[str]) -> bool:
        return (method is None or method == op.method) and regex.fullmatch(op.path) is not None

    def _selected_by(self, op: Operation, selector: OperationSelector) -> str | None:
        """Why `selector` selects `op` (for the report), or None."""
        tag_names = set(op.tags) | {py for py, name in self.tag_py_names.items() if name in op.tags}
        for tag in selector.tags:
            if tag in tag_names:
                return f"tag {tag!r}"
        for pattern in selector.paths:
            method, regex = _path_glob(pattern)
            if self._path_matches(op, method, regex):
                return f"path {pattern!r}"
        keys = _operation_keys(op)
        for op_id in selector.ids:
            if op_id in keys:
                return f"id {op_id!r}"
        return None

    def select(self) -> list[Operation]:
        include = self.config.operations.include
        exclude = self.config.operations.exclude
        kept = []
        for op in self.api.operations:
            if not include.is_empty and self._selected_by(op, include) is None:
                self._exclude(op, "not selected by [operations.include]")
                continue
            reason = self._selected_by(op, exclude)
            if reason is not None:
                self._exclude(op, f"excluded by [operations.exclude] ({reason})")
                continue
            kept.append(op)
        return kept

    def _exclude(self, op: Operation, reason: str) -> None:
        self.excluded.append({"operation": op.id, "pointer": op.pointer, "reason": reason})

    # Names -------------------------------------------------------------------------------

    def _resource_rename(self, resource: str, tags: tuple[str, ...]) -> str:
        renames = self.config.resources.rename
        if resource in renames:
            return renames[resource]
        if tags and tags[0] in renames:
            return renames[tags[0]]
        return resource

    def rename(self, op: Operation) -> Operation:
        resource = self._resource_rename(op.resource, op.tags)
        method_name = op.method_name
        target = _lookup(self.config.operations.rename, _operation_keys(op))
        if target is not None:
            moved_to, _, method_name = target.rpartition(".")
            if moved_to:
                # "pets.all" names the resource as the API calls it; a resource rename still holds.
                resource = self.config.resources.rename.get(moved_to, moved_to)
        if (resource, method_name) == (op.resource, op.method_name):
            return op
        return dataclasses.replace(op, resource=resource, method_name=method_name)

    def check_unique_method_names(self, operations: list[Operation]) -> None:
        owner: dict[tuple[str, str], Operation] = {}
        for op in operations:
            key = (op.resource, op.method_name)
            other = owner.get(key)
            if other is None:
                owner[key] = op
                continue
            renamed = (
                _lookup_key(self.config.operations.rename, _operation_keys(op))
                or _lookup_key(self.config.operations.rename, _operation_keys(other))
                or op.resource
            )
            where = (
                ("operations", "rename", renamed)
                if renamed in self.config.operations.rename
                else ("resources", "rename")
            )
            self.error(
                where,
                f"{op.id!r} and {other.id!r} would both be {op.resource}.{op.method_name}(); "
                "rename one of them",
            )

    def renamed_tags(self) -> tuple[Tag, ...]:
        renames = self.config.resources.rename
        tags = []
        for tag in self.api.tags:
            new_name = renames.get(tag.py_name) or renames.get(tag.name)
            tags.append(tag if new_name is None else dataclasses.replace(tag, py_name=new_name))
        return tuple(tags)

    # Pagination --------------------------------------------------------------------------

    def paginate(self, op: Operation, endpoint_index: int | None) -> Operation:
        overrides: list[tuple[KeyPath, PaginationOverride]] = []
        by_tag = self.config.pagination.tags
        for tag in op.tags:
            tag_key = _lookup_key(by_tag, _tag_keys(tag, self.tag_py))
            if tag_key is not None and _tag_override_applies(op, by_tag[tag_key]):
                overrides.append((("pagination", "tags", tag_key), by_tag[tag_key]))
                break
        key = _lookup_key(self.config.pagination.operations, _operation_keys(op))
        if key is not None:
            overrides.append(
                (("pagination", "operations", key), self.config.pagination.operations[key])
            )
        if endpoint_index is not None:
            declared = self.config.endpoints[endpoint_index].pagination
            if declared is not None:
                overrides.append((("endpoints", endpoint_index, "pagination"), declared))
        pagination = op.pagination
        for where, override in overrides:
            pagination = self._paginated(op, pagination, override, where)
        if pagination is op.pagination:
            return op
        return dataclasses.replace(op, pagination=pagination)

    def _paginated(
        self,
        op: Operation,
        current: Pagination | None,
        override: PaginationOverride,
        where: KeyPath,
    ) -> Pagination | None:
        if override.style == "none":
            return None
        fields: dict[str, Any] = {}
        if current is not None and override.style in (None, current.style):
            fields = {f.name: getattr(current, f.name) for f in dataclasses.fields(current)}
        for name in override.model_fields_set:
            fields[name] = getattr(override, name)
        fields["source"] = "config"
        if fields.get("style") is None:
            self.error(
                (*where, "style"),
                f"{op.id} has no detected pagination to adjust: give a style "
                "(page, offset, cursor, link, next_url or none)",
            )
            return current
        fields = {k: v for k, v in fields.items() if v is not None}
        pagination = Pagination(**fields)
        for problem in _pagination_problems(op, pagination):
            self.error(where, problem)
        return pagination

    # Policies ----------------------------------------------------------------------------

    def record_policies(self, op: Operation) -> Operation:
        keys = _operation_keys(op)
        config = self.config
        tag_keys = [key for tag in op.tags for key in _tag_keys(tag, self.tag_py)]
        touches_retry = _lookup(config.retry.operations, keys) is not None or any(
            key in config.retry.tags for key in tag_keys
        )
        touches_limit = _lookup(config.rate_limit.operations, keys) is not None or any(
            key in config.rate_limit.tags for key in tag_keys
        )
        if not (touches_retry or touches_limit):
            return op
        try:
            retry, limit = effective_policy(config, op, self.api)
        except ValueError as exc:
            self.error(("retry", "operations", op.id), str(exc))
            return op
        if retry.backoff_base > retry.backoff_cap:
            self.error(
                ("retry",),
                f"{op.id}: its tag and operation tables combine into backoff_base "
                f"{retry.backoff_base} > backoff_cap {retry.backoff_cap}",
            )
        extensions = dict(op.extensions)
        if touches_retry:
            extensions["x-apiweld-retry"] = retry.model_dump(mode="json")
        if touches_limit:
            extensions["x-apiweld-rate-limit"] = limit.model_dump(mode="json")
        return dataclasses.replace(op, extensions=extensions)

    def api_extensions(self) -> dict[str, Any]:
        config = self.config
        retry, limit = merge_retry(config.retry, RetrySettings()), config.rate_limit
        return {
            "x-apiweld-retry": retry.model_dump(mode="json"),
            "x-apiweld-rate-limit": limit.model_dump(mode="json", exclude={"tags", "operations"}),
            "x-apiweld-excluded": list(self.excluded),
            "x-apiweld-auth": {
                name: scheme.model_dump(mode="json", exclude_none=True)
                for name, scheme in config.auth.items()
            },
        }


def _lookup_key(table: Mapping[str, Any], keys: Iterable[str]) -> str | None:
    for key in keys:
        if key in table:
            return key
    return None


def _query_names(op: Operation) -> set[str]:
    return {p.name for p in op.parameters if p.location == "query"}


def _tag_override_applies(op: Operation, override: PaginationOverride) -> bool:
    """A tag-wide convention reaches the operations that page already or take its parameters."""
    if op.pagination is not None:
        return True
    named = [
        getattr(override, name)
        for name in ("page_param", "offset_param", "cursor_param")
        if getattr(override, name) is not None
    ]
    return bool(named) and set(named) <= _query_names(op)


def _pagination_problems(op: Operation, pagination: Pagination) -> list[str]:
    required = {
        "page": ("page_param",),
        "offset": ("offset_param",),
        "cursor": ("cursor_param",),
        "link": (),
        "next_url": ("next_url_path",),
    }[pagination.style]
    problems = [
        f"style {pagination.style!r} needs {name}"
        for name in required
        if not getattr(pagination, name)
    ]
    if pagination.style == "cursor" and not (
        pagination.next_cursor_path or pagination.next_cursor_header
    ):
        problems.append("style 'cursor' needs next_cursor_path or next_cursor_header")
    accepted = _query_names(op)
    for name in ("page_param", "size_param", "offset_param", "limit_param", "cursor_param"):
        value = getattr(pagination, name)
        if value is not None and value not in accepted:
            known = ", ".join(sorted(accepted)) or "none"
            problems.append(
                f"{name} {value!r} is not a query parameter of {op.id} (it has: {known})"
            )
    return problems


__all__ = [
    "apply_config",
    "description_location",
    "effective_policy",
    "load_description",
    "load_project",
]
