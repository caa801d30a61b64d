"""Schemathesis against the OpenAPI document, through WSGI (no server).

The fuzz run takes a minute or two and does not depend on the database engine, so it runs once
per CI run, on PostgreSQL (or anywhere with FUZZ_TESTS=1), like the browser tests.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import on_postgres

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark this package's tests `fuzz`; skip them on SQLite unless FUZZ_TESTS=1."""
    ours = [item for item in items if HERE in Path(str(item.path)).parents]
    for item in ours:
        item.add_marker(pytest.mark.fuzz)
    if not ours or on_postgres() or os.environ.get("FUZZ_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="fuzz tests run once, on PostgreSQL (or set FUZZ_TESTS=1)")
    for item in ours:
        item.add_marker(skip)
