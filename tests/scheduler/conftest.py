"""Fixtures of the scheduler tests."""

from __future__ import annotations

import os

import pytest

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql"))
#: Advisory locks exist on PostgreSQL only; on SQLite jobs just run.
needs_postgres = pytest.mark.skipif(
    not ON_POSTGRES, reason="needs PostgreSQL: DATABASE_URL=postgresql://..."
)
