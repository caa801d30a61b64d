"""The declarative base, the UTC column type and the session of a request.

One engine per application, one session per request (or per CLI command or
scheduler job), one commit point: `commit_request_session` after the view
returned successfully. Operations only add and flush.

SQLite transactions, the rule:
- Every transaction begins `BEGIN IMMEDIATE` (the write lock up front: no lost updates,
  no deadlock on upgrading a read lock), except the one a *read request* starts.
- A read request is a GET, HEAD or OPTIONS (the dispatcher, `ServiceDeskFlask.wsgi_app`,
  marks it in the WSGI environ). Its session's first transaction begins `DEFERRED`: under
  WAL it reads a snapshot while one writer writes, so two workers no longer take turns
  on reads. CLI commands and scheduler jobs (`unit_of_work`) and any other session stay
  IMMEDIATE.
- A read transaction never writes: SQLite would refuse the upgrade ("database is locked")
  whenever another writer committed since its snapshot. A write a read request has to make
  (an API token's `last_used_at`) goes through `write_apart`, its own short IMMEDIATE
  transaction. Any other write statement in a read transaction is stopped before it runs
  (`WriteInReadTransaction`) and the dispatcher handles the whole request again as a
  write: slower, never wrong, never a 500 (it is logged, so that it gets fixed).
PostgreSQL is untouched by all this: its reads never block, and no statement is added.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import DateTime, Executable, MetaData, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
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


#: WSGI environ keys: the dispatcher marks a read request; the guard marks a write in one.
READ_REQUEST = "servicedesk.read_request"
WROTE_IN_READ = "servicedesk.wrote_in_read"
#: Connection execution option: how the SQLite "begin" listener opens the transaction.
_SQLITE_BEGIN = "servicedesk_sqlite_begin"
#: What a read transaction may run; anything else is a write.
_READ_WORDS = frozenset({"SELECT", "WITH", "PRAGMA", "EXPLAIN", "BEGIN", "COMMIT", "ROLLBACK",
                         "SAVEPOINT", "RELEASE"})


class WriteInReadTransaction(Exception):
    """A read request tried to write: the dispatcher runs the request again as a write."""


def make_engine(url: str) -> Engine:
    """Create the engine; SQLite gets foreign keys and a busy timeout like a real database."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS})

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
            # IMMEDIATE unless this is a read request's transaction (see the module docstring).
            if conn.get_execution_options().get(_SQLITE_BEGIN) == "DEFERRED":
                conn.exec_driver_sql("BEGIN DEFERRED")
            else:
                _begin_immediate(conn)

        @event.listens_for(engine, "before_cursor_execute")
        def _no_write_in_read(
            conn: Any, _cur: Any, statement: str, _params: Any, context: Any, _many: bool
        ) -> None:
            if conn.get_execution_options().get(_SQLITE_BEGIN) != "DEFERRED":
                return
            if _is_write(statement, context):
                if has_request_context():
                    request.environ[WROTE_IN_READ] = statement.split(None, 3)[:3]
                raise WriteInReadTransaction(statement)

        return engine
    # No JIT: PostgreSQL switches it on by the planner's cost, and a list whose scope is an OR
    # over a big table (the joint desk's) paid ~150 ms compiling for a 26-row answer.
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        connect_args={"options": "-c jit=off"},
    )


#: How long a writer waits for SQLite's write lock (the connection's busy timeout too).
SQLITE_BUSY_SECONDS = 30
#: How often a waiting writer tries again for the lock (seconds).
_LOCK_POLL = 0.0005


def _begin_immediate(conn: Any) -> None:
    """BEGIN IMMEDIATE, trying again every half millisecond while another writer holds the
    lock, for up to `SQLITE_BUSY_SECONDS`.

    SQLite's own busy handler sleeps 1, 2, 5, 10, 15, 20, 25 ms and more between tries, so
    a waiting worker slept on after the lock came free, and the writer that had it often
    took it again first: under two workers' creates, waits of 300 ms and more, and the
    workers taking turns with gaps between. Trying in short steps takes the lock within
    about half a millisecond of its release. Only the BEGIN waits this way: a statement in
    a transaction keeps the busy timeout (a WAL checkpoint may still make it wait).
    """
    raw = conn.connection.dbapi_connection
    raw.execute("PRAGMA busy_timeout = 0")
    try:
        deadline = time.monotonic() + SQLITE_BUSY_SECONDS
        while True:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as exc:
                busy = getattr(exc.orig, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED")
                if not busy or time.monotonic() >= deadline:
                    raise
            time.sleep(_LOCK_POLL)
    finally:
        raw.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_SECONDS * 1000)}")


def _is_write(statement: str, context: Any) -> bool:
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        return True
    first = statement.lstrip(" \n\t(").split(None, 1)[:1]
    return not first or first[0].upper() not in _READ_WORDS


def upsert_insert(sess: Session) -> Any:
    """The dialect's INSERT with ON CONFLICT (SQLite and PostgreSQL both have it): races on a
    unique key are settled by the database, not by luck."""
    return postgresql.insert if sess.get_bind().dialect.name == "postgresql" else sqlite.insert


def init_app(app: Flask, url: str) -> None:
    engine = make_engine(url)
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)
    app.extensions["db_deferred_reads"] = engine.dialect.name == "sqlite"
    # Per request, not only per app context: a request inside an app context that is
    # already pushed (tests, scripts) shares it, and must still not share its session.
    app.teardown_request(_close_request_session)
    app.teardown_appcontext(_close_request_session)
    # The request is handled again as a write (app.py); this answer is never sent.
    app.register_error_handler(WriteInReadTransaction, lambda _exc: ("", 503))


def defers_reads(app: Flask) -> bool:
    """Whether read requests begin DEFERRED (SQLite) and may need handling again as writes."""
    return bool(app.extensions.get("db_deferred_reads"))


def engine_of(app: Flask | None = None) -> Engine:
    return (app or current_app).extensions["db_engine"]


def new_session(app: Flask | None = None) -> Session:
    return (app or current_app).extensions["db_sessionmaker"]()


def session() -> Session:
    """The session of the current request (or app context), opened on first use.

    In a read request on SQLite its transaction begins DEFERRED (see the module docstring).
    """
    if "db_session" not in g:
        sess = new_session()
        if has_request_context() and request.environ.get(READ_REQUEST):
            sess.connection(execution_options={_SQLITE_BEGIN: "DEFERRED"})
        g.db_session = sess
    return g.db_session


def in_read_transaction(sess: Session) -> bool:
    """Whether `sess` is in a read request's DEFERRED transaction, which must not write."""
    return sess.in_transaction() and (
        sess.connection().get_execution_options().get(_SQLITE_BEGIN) == "DEFERRED"
    )


def write_apart(sess: Session, stmt: Executable) -> None:
    """Run a small write from a read request: in `sess` when it may write, else in its own
    short IMMEDIATE transaction, committed at once (it never waits for the request's)."""
    if not in_read_transaction(sess):
        sess.execute(stmt)
        return
    with unit_of_work() as other:
        other.execute(stmt)


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
