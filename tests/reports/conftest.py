"""The reports' small world (an organisation with two promise lines), for every report test;
the monthly mail's world and a real SMTP server, for the monthly mail's tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.reports.monthly_world import MonthlyWorld, build_world, smtp_server
from tests.reports.world import World


@pytest.fixture
def world(make: Any, desk: dict[str, Any], client: Any) -> World:
    return World(make, desk)


@pytest.fixture
def monthly(make: Any, world: World, client: Any) -> MonthlyWorld:
    return build_world(make, world, client)


@pytest.fixture
def smtp() -> Iterator[Any]:
    with smtp_server() as server:
        yield server
