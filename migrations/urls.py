"""The database URL for Alembic run from the command line: the same rule as the app's."""

from __future__ import annotations

import os
from pathlib import Path

from servicedesk.config import normalise_database_url


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return normalise_database_url(url)
    instance = Path(__file__).resolve().parent.parent / "instance"
    instance.mkdir(exist_ok=True)
    return "sqlite:///" + str(instance / "servicedesk.sqlite3")
