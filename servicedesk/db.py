"""The declarative base, the UTC column type and the session of a request.

One engine per application, one session per request (or per CLI command or
scheduler job), one commit point: `commit_request_session` after the view
returned successfully. Operations only add and flush.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: stored in UTC, always returned timezone-aware in UTC.

    SQLite keeps no offset, so naive values read back are UTC by construction;
    naive values are refused on the way in, so local time can never sneak in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


#: Set by `frozen_now`: the demo replays history at past instants, tests pin the clock.
_NOW: ContextVar[datetime | None] = ContextVar("servicedesk_now", default=None)


def utcnow() -> datetime:
    """The current instant in UTC: the one source of "now" for every operation."""
    return _NOW.get() or datetime.now(UTC)


@contextmanager
def frozen_now(at: datetime) -> Iterator[None]:
    """Make `utcnow()` answer `at` inside the block."""
    if at.tzinfo is None:
        raise ValueError("frozen_now needs an aware datetime")
    token = _NOW.set(at.astimezone(UTC))
    try:
        yield
    finally:
        _NOW.reset(token)


def make_engine(url: str) -> Engine:
    """Create the engine; SQLite gets foreign keys and a busy timeout like a real database."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy issue BEGIN itself so that writers serialise properly.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE takes the write lock up front: no lost updates, no upgrade deadlocks.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def upsert_insert(sess: Session) -> Any:
    """The dialect's INSERT with ON CONFLICT (SQLite and PostgreSQL both have it): races on a
    unique key are settled by the database, not by luck."""
    return postgresql.insert if sess.get_bind().dialect.name == "postgresql" else sqlite.insert


def init_app(app: Flask, url: str) -> None:
    engine = make_engine(url)
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)
    # Per request, not only per app context: a request inside an app context that is
    # already pushed (tests, scripts) shares it, and must still not share its session.
    app.teardown_request(_close_request_session)
    app.teardown_appcontext(_close_request_session)


def engine_of(app: Flask | None = None) -> Engine:
    return (app or current_app).extensions["db_engine"]


def new_session(app: Flask | None = None) -> Session:
    return (app or current_app).extensions["db_sessionmaker"]()


def session() -> Session:
    """The session of the current request (or app context), opened on first use."""
    if "db_session" not in g:
        g.db_session = new_session()
    return g.db_session


def commit_request_session() -> None:
    """The one commit point of a request: called once, after the view succeeded."""
    sess = g.get("db_session")
    if sess is not None:
        sess.commit()


def _close_request_session(_exc: BaseException | None) -> None:
    sess = g.pop("db_session", None)
    if sess is not None:
        sess.rollback()
        sess.close()


@contextmanager
def unit_of_work(app: Flask | None = None) -> Iterator[Session]:
    """A session for CLI commands and scheduler jobs: commit on success, roll back otherwise."""
    sess = new_session(app)
    try:
        yield sess
        sess.commit()
    except BaseException:
        sess.rollback()
        raise
    finally:
        sess.close()
