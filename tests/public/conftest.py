"""The public page's world, for every test of tests/public."""

from __future__ import annotations

from typing import Any

import pytest

from tests.public.world import PublicWorld


@pytest.fixture
def world(make: Any, client: Any) -> PublicWorld:
    return PublicWorld(make)


@pytest.fixture(autouse=True)
def _fresh_figures(app: Any) -> Any:
    """Each test changes the data between requests: no per-process keeping here (the keeping
    itself is tested with it switched on)."""
    before = app.config.get("PUBLIC_CACHE_SECONDS")
    app.config["PUBLIC_CACHE_SECONDS"] = 0
    yield
    app.config["PUBLIC_CACHE_SECONDS"] = before if before is not None else 60
