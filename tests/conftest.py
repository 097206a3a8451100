"""Fixtures shared by all tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import CLI


@pytest.fixture
def cli(tmp_path: Path) -> CLI:
    return CLI(tmp_path)
