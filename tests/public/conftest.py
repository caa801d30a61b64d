"""The public page's world, for every test of tests/public."""

from __future__ import annotations

from typing import Any

import pytest

from tests.public.world import PublicWorld


@pytest.fixture
def world(make: Any, client: Any) -> PublicWorld:
    return PublicWorld(make)
