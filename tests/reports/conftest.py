"""The reports' small world (an organisation with two promise lines), for every report test."""

from __future__ import annotations

from typing import Any

import pytest

from tests.reports.world import World


@pytest.fixture
def world(make: Any, desk: dict[str, Any], client: Any) -> World:
    return World(make, desk)
