"""Operation ids, resources and method names, decided over the whole API at once.

Collisions are resolved in a fixed order that does not depend on where operations sit in the
document: operations with an explicit `operationId` first, then by path and method.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

from apiweld.spec._construct import replace_operation
from apiweld.spec.ir import Operation, Pagination
from apiweld.spec.names import is_valid_identifier, to_snake, unique_name

__all__ = ["name_operations", "tag_py_names"]

_METHOD_ORDER = {
    m: i
    for i, m in enumerate(("get", "put", "post", "delete", "options", "head", "patch", "trace"))
}
_VERSION_SEGMENT = re.compile(r"^(?:v\d+(?:[._]\d+)*|api|rest|\d+(?:\.\d+)*)$", re.IGNORECASE)
# Names a resource object of a generated client already has.
_RESERVED_METHOD_NAMES = frozenset({"with_raw_response", "with_streaming_response"})


def tag_py_names(tags: Iterable[str]) -> dict[str, str]:
    """Tag -> unique snake_case name, assigned in sorted order of the tags."""
    taken: set[str] = set()
    return {tag: unique_name(to_snake(tag, fallback="default"), taken) for tag in sorted(set(tags))}


def _derived_id(operation: Operation) -> str:
    return to_snake(f"{operation.method} {operation.path}", fallback=operation.method)


def _resource_from_path(path: str) -> str:
    for segment in path.split("/"):
        if segment and "{" not in segment and not _VERSION_SEGMENT.match(segment):
            return to_snake(segment, fallback="default")
    return "default"


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _strip_resource(op_id: str, resource: str) -> str:
    """`list_pets` in `pets` -> `list`; `repos_list_for_org` in `repos` -> `list_for_org`."""
    tokens = op_id.split("_")
    words = resource.split("_")
    variants = [words]
    if _singular(words[-1]) != words[-1]:
        variants.append([*words[:-1], _singular(words[-1])])
    for variant in variants:
        size = len(variant)
        for start in range(len(tokens) - size + 1):
            if tokens[start : start + size] == variant:
                rest = [t for t in tokens[:start] + tokens[start + size :] if t]
                candidate = "_".join(rest)
                if candidate and is_valid_identifier(candidate) and not candidate[0].isdigit():
                    return candidate
                if candidate and candidate.isidentifier():
                    return f"{candidate}_"
                return op_id
    return op_id


def name_operations(
    operations: list[Operation],
    tag_names: dict[str, str],
    paginations: Sequence[Pagination | None] | None = None,
) -> list[Operation]:
    """The operations with `id`, `resource` and `method_name` set (unique where required).

    `paginations`, aligned with `operations`, are set in the same copy (operations are frozen,
    and copying 20,000 of them twice shows on large descriptions).
    """
    order = sorted(
        range(len(operations)),
        key=lambda i: (
            operations[i].operation_id is None,
            operations[i].path,
            _METHOD_ORDER.get(operations[i].method, 99),
            i,
        ),
    )
    taken: set[str] = set()
    ids: dict[int, str] = {}
    for index in order:
        op = operations[index]
        base = to_snake(op.operation_id, fallback=op.method) if op.operation_id else _derived_id(op)
        ids[index] = unique_name(base, taken)
    resources = {
        i: tag_names.get(op.tags[0]) or to_snake(op.tags[0], fallback="default")
        if op.tags
        else _resource_from_path(op.path)
        for i, op in enumerate(operations)
    }
    method_names = _method_names(ids, resources, order)
    return [
        replace_operation(
            op,
            id=ids[i],
            resource=resources[i],
            method_name=method_names[i],
            pagination=paginations[i] if paginations is not None else op.pagination,
        )
        for i, op in enumerate(operations)
    ]


def _method_names(
    ids: dict[int, str], resources: dict[int, str], order: list[int]
) -> dict[int, str]:
    by_resource: dict[str, list[int]] = defaultdict(list)
    for index in order:
        by_resource[resources[index]].append(index)
    names: dict[int, str] = {}
    for resource, members in by_resource.items():
        stripped = {i: _strip_resource(ids[i], resource) for i in members}
        counts: dict[str, int] = defaultdict(int)
        for name in stripped.values():
            counts[name] += 1
        # A stripped name two operations share is ambiguous: both keep their full id.
        proposed = {i: stripped[i] if counts[stripped[i]] == 1 else ids[i] for i in members}
        taken: set[str] = set(_RESERVED_METHOD_NAMES)
        for index in members:
            names[index] = unique_name(proposed[index], taken)
    return names
