"""Test-run ordering shared by every folder."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `heavy` (minutes each: a whole-corpus walk) go first. pytest-xdist hands
    tests out in collection order, and a heavy test that starts last keeps one worker busy
    long after the other has finished everything else."""
    items.sort(key=lambda item: item.get_closest_marker("heavy") is None)
