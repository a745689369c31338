"""Fixtures for the mock's tests; the IR they serve lives in `mock_petstore_ir`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Test modules import the shared IR module by name (importlib mode does not add this folder).
sys.path.insert(0, str(Path(__file__).parent))

from mock_petstore_ir import PETSTORE

from apiweld.spec.ir import Api


@pytest.fixture
def api() -> Api:
    return PETSTORE


@pytest.fixture
def mock_url() -> Iterator[str]:
    from apiweld.mock import MockServer

    with MockServer(PETSTORE, seed=7) as base_url:
        yield base_url
