"""Fixtures for the spec loader's tests; helper documents live in `spec_test_docs`."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Test modules import the helpers by name (importlib mode does not add this folder).
sys.path.insert(0, str(Path(__file__).parent))

from spec_test_docs import CORPUS


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"the shared corpus is missing at {CORPUS}")
    return CORPUS
