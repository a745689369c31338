"""Helpers the spec loader's tests import: small documents and the corpus location."""

from __future__ import annotations

from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CORPUS = PROJECT_ROOT.parent / "shared" / "corpus"


def openapi(
    paths: dict[str, Any] | None = None, *, version: str = "3.0.3", **extra: Any
) -> dict[str, Any]:
    """A minimal valid OpenAPI document with the given paths and top-level keys."""
    return {
        "openapi": version,
        "info": {"title": "T", "version": "1"},
        "paths": paths or {},
        **extra,
    }


def get_op(schema: Any = None, **extra: Any) -> dict[str, Any]:
    """An operation answering 200 with a JSON body of `schema`."""
    response: dict[str, Any] = {"description": "ok"}
    if schema is not None:
        response["content"] = {"application/json": {"schema": schema}}
    return {"responses": {"200": response}, **extra}


def with_schemas(schemas: dict[str, Any], *, version: str = "3.0.3") -> dict[str, Any]:
    """A document whose only content is `components.schemas`."""
    return openapi(version=version, components={"schemas": schemas})
