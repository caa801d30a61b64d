"""Alembic: upgrade head from empty -> downgrade base -> upgrade head, then `alembic check`.

Always on a separate temporary SQLite file; also on PostgreSQL when the suite runs on it
(DATABASE_URL), in a separate database `migtest` so the suite's own schema is untouched.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

import servicedesk.models  # noqa: F401  (every table on the metadata)
from servicedesk import migrate
from servicedesk.config import normalise_database_url
from servicedesk.db import Base
from tests.conftest import on_postgres


def tables_of(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def round_trip(url: str) -> None:
    assert tables_of(url) == set()
    migrate.upgrade(url)
    every_table = {t.name for t in Base.metadata.sorted_tables}
    assert tables_of(url) == every_table | {"alembic_version"}
    migrate.downgrade(url, "base")
    assert tables_of(url) == {"alembic_version"}
    migrate.upgrade(url)
    assert tables_of(url) == every_table | {"alembic_version"}
    migrate.check(url)  # raises if the models and the revisions disagree


def test_migrations_round_trip_and_check_on_sqlite(tmp_path: Path):
    round_trip("sqlite:///" + str(tmp_path / "migrations.sqlite3"))


@pytest.fixture
def migtest_url() -> str:
    """An empty PostgreSQL database `migtest` next to the suite's one."""
    import psycopg

    suite = make_url(normalise_database_url(os.environ["DATABASE_URL"]))
    admin = suite.set(drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = 'migtest'").fetchone() is None:
            conn.execute("CREATE DATABASE migtest")
    url = suite.set(database="migtest").render_as_string(hide_password=False)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.mark.skipif(not on_postgres(), reason="needs PostgreSQL: set DATABASE_URL=postgresql://...")
def test_migrations_round_trip_and_check_on_postgresql(migtest_url: str):
    round_trip(migtest_url)


def _clock_organisations(url: str) -> dict[int, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT c.id, c.organisation_id, t.organisation_id FROM sla_clocks c"
                    " JOIN tickets t ON t.id = c.ticket_id"
                )
            ).all()
    finally:
        engine.dispose()
    assert all(mine == theirs for _, mine, theirs in rows), rows
    return {clock: org for clock, org, _ in rows}


def test_0017_copies_each_clocks_organisation_from_its_ticket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clocks written before 0017 get their ticket's organisation; the demo's clocks (several
    organisations) come out of a downgrade and upgrade as the tracker wrote them."""
    from argon2 import PasswordHasher

    from servicedesk.app import create_app
    from servicedesk.demo import load_demo
    from servicedesk.users import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=64))
    url = "sqlite:///" + str(tmp_path / "backfill.sqlite3")
    migrate.upgrade(url)
    env = {"SERVICEDESK_MODE": "test", "DATABASE_URL": url, "MAIL_FILE": str(tmp_path / "m")}
    load_demo(create_app(overrides={"TESTING": True, "DATABASE_URL": url}, env=env), 30)
    written = _clock_organisations(url)
    assert len(written) > 20 and len(set(written.values())) > 3
    migrate.downgrade(url, "0016")
    migrate.upgrade(url)
    assert _clock_organisations(url) == written
