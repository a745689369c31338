"""Every real description in ../shared/corpus loads into a consistent IR (or a SpecError).

The per-file walk runs in the normal suite (about ten seconds); the YAML round trip of the whole
corpus, which exercises the YAML path on large inputs, is marked `corpus_full`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import yaml
from spec_test_docs import CORPUS, all_schemas, check_consistent, children

from apiweld.spec import SpecError, load
from apiweld.spec._loader import INTERNAL_ERROR
from apiweld.spec.ir import Api, Schema

FILES = sorted(
    p for p in CORPUS.rglob("*") if p.is_file() and p.suffix in (".json", ".yaml", ".yml")
)


@functools.lru_cache(maxsize=3)
def cached_load(path: Path) -> Api:
    return load(path)


def test_the_corpus_is_there() -> None:
    assert len(FILES) > 300, f"expected the shared corpus at {CORPUS}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_corpus_file_loads_into_a_consistent_ir(path: Path) -> None:
    try:
        api = cached_load(path)
    except SpecError as exc:  # allowed only with a located error
        assert exc.problems and exc.problems[0].severity == "error"
        assert INTERNAL_ERROR not in str(exc), str(exc)
        assert exc.pointer == "" or exc.pointer.startswith("/")
        return
    check_consistent(api)


def has_cycle(api: Api) -> bool:
    """Whether some named schema reaches itself through references."""
    edges = {
        name: {s.ref for s in _inline(schema) if s.ref} for name, schema in api.schemas.items()
    }
    for start in edges:
        stack, seen = list(edges[start]), set()
        while stack:
            current = stack.pop()
            if current == start:
                return True
            if current not in seen:
                seen.add(current)
                stack.extend(edges.get(current, ()))
    return False


def _inline(schema: Schema) -> Iterator[Schema]:
    stack = list(children(schema))
    while stack:
        current = stack.pop()
        yield current
        if current.ref is None:
            stack.extend(children(current))


def test_github_rest_api() -> None:
    api = cached_load(CORPUS / "github" / "api.github.com.json")
    assert api.source_format == "openapi 3.0.3"
    assert len(api.operations) == 1223
    assert len(api.schemas) >= 969
    assert api.problems == ()
    listing = api.operation("repos_list_for_org")
    assert (listing.resource, listing.method_name) == ("repos", "list_for_org")
    assert listing.pagination is not None and listing.pagination.style == "link"
    assert listing.pagination.page_param == "page"
    assert sum(op.pagination is not None for op in api.operations) > 200
    assert api.servers[0].url == "https://api.github.com"


def test_github_webhooks_are_webhooks() -> None:
    api = load(CORPUS / "github" / "webhooks.api.github.com.json")
    assert api.operations == ()
    assert len(api.webhooks) == 261
    assert all(hook.kind == "webhook" and hook.operations for hook in api.webhooks)
    check_consistent(api)


def test_kubernetes_swagger2() -> None:
    api = cached_load(CORPUS / "swagger2" / "kubernetes-1.13.json")
    assert api.source_format == "swagger 2.0"
    assert len(api.operations) == 1014
    assert len(api.schemas) == 891
    create = api.operation("create_core_v1_namespaced_pod")
    assert create.request_body is not None
    (body,) = create.request_body.content
    assert body.schema is not None and body.schema.ref == "IoK8sApiCoreV1Pod"
    assert any("x-kubernetes-action" in op.extensions for op in api.operations)
    listing = api.operation("list_core_v1_namespaced_pod")
    assert listing.pagination is not None and listing.pagination.style == "cursor"
    assert listing.pagination.next_cursor_path == ("metadata", "continue")


@pytest.mark.parametrize(
    "name",
    [
        "2.0/schema-circular.json",
        "3.0/circular.json",
        "3.0/schema-circular.json",
        "3.0/circular-request-bodies.json",
        "3.0/circular-paths.json",
    ],
)
def test_readme_circular_schemas_are_cycles_of_names(name: str) -> None:
    api = load(CORPUS / "readme-oas-examples" / name)
    assert has_cycle(api)


def test_readme_webhooks_and_callbacks() -> None:
    hooks = load(CORPUS / "readme-oas-examples" / "3.1" / "webhooks.json")
    assert [(h.name, h.kind) for h in hooks.webhooks] == [("newPet", "webhook")]
    callbacks = load(CORPUS / "readme-oas-examples" / "3.0" / "callbacks.json")
    assert callbacks.webhooks and all(
        h.kind == "callback" and h.expression for h in callbacks.webhooks
    )
    assert all(
        h.parent_operation in {op.id for op in callbacks.operations} for h in callbacks.webhooks
    )


def test_readme_discriminators_resolve_to_schema_names() -> None:
    api = load(CORPUS / "readme-oas-examples" / "3.0" / "discriminators.json")
    mapped = [s for s in all_schemas(api) if s.discriminator and s.discriminator.mapping]
    assert mapped
    for schema in mapped:
        assert schema.discriminator is not None
        assert all(target in api.schemas for _, target in schema.discriminator.mapping)


@pytest.mark.corpus_full
@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_corpus_file_as_yaml_loads_the_same(path: Path, tmp_path: Path) -> None:
    """The same description through the YAML reader gives the same operations and schemas."""
    try:
        from_json = cached_load(path)
    except SpecError:
        return
    as_yaml = tmp_path / (path.stem + ".yaml")
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    as_yaml.write_text(yaml.dump(orjson.loads(path.read_bytes()), Dumper=dumper, sort_keys=False))
    from_yaml = load(as_yaml)
    assert [op.id for op in from_yaml.operations] == [op.id for op in from_json.operations]
    assert list(from_yaml.schemas) == list(from_json.schemas)
    check_consistent(from_yaml)


def test_github_required_only_alternatives_keep_their_names() -> None:
    """GitHub says "at least one of these" as anyOf parts that only list `required`."""
    api = cached_load(CORPUS / "github" / "api.github.com.json")
    update = api.schemas["SecretScanningCustomPatternToUpdate"]
    assert [part.required_extra for part in update.any_of] == [
        ("pattern",),
        ("start_delimiter",),
        ("end_delimiter",),
        ("must_match",),
        ("must_not_match",),
    ]
    assert {p.name for p in update.properties} >= {"pattern", "must_match"}
