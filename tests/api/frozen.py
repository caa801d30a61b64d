"""Build a test data set once per module, restore it before each test by bulk insert.

The matrix and lifecycle suites run hundreds of tests on the same small world;
building it through the factories costs 25-90 ms a test (SQLite / PostgreSQL),
restoring its rows costs a few. The world is built with the ordinary factories
and operations, captured table by table, and the tables are emptied again (the
suite's autouse fixture empties them after every test anyway).

Objects the build returns are detached ORM instances with their attributes
loaded: read them (`.id`, `.email`, ...), do not lazy-load through them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import Integer, Table, text

from servicedesk import db
from servicedesk.db import Base
from tests.conftest import Factory

Rows = list[tuple[Table, list[dict[str, Any]]]]


def _wipe(app: Flask) -> None:
    """Empty every table, children first (as the suite's cleanup does)."""
    engine = db.engine_of(app)
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


def build_once(app: Flask, build: Callable[[Factory, Any], Any]) -> tuple[Any, Rows]:
    """Run build(make, session) on an empty database; return its value and every row."""
    with app.app_context():
        sess = db.new_session(app)
        try:
            value = build(Factory(app, sess), sess)
            sess.commit()
        finally:
            sess.close()
    with db.engine_of(app).connect() as conn:
        rows = [
            (t, [dict(r) for r in conn.execute(t.select()).mappings()])
            for t in Base.metadata.sorted_tables
        ]
    _wipe(app)
    return value, rows


def restore(app: Flask, built: tuple[Any, Rows]) -> Any:
    """Insert the captured rows again (one transaction) and return the build's value."""
    value, rows = built
    engine = db.engine_of(app)
    with engine.begin() as conn:
        for table, data in rows:
            if data:
                conn.execute(table.insert(), data)
        if engine.dialect.name == "postgresql":
            # the ids were given explicitly: move each serial sequence past them (one query)
            calls = [
                f"setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), {top})"
                for table, data in rows
                if data
                and len(pk := list(table.primary_key.columns)) == 1
                and isinstance(pk[0].type, Integer)
                and (top := max(row[pk[0].name] for row in data)) is not None
            ]
            if calls:
                conn.execute(text("SELECT " + ", ".join(calls)))
    return value
