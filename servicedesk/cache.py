"""Near-static data kept per process: calendars, promise lines, routing rules, the gate's inputs.

Every ticket write and every clock read needs them, and they change a few times a year.
Each process (gunicorn worker, scheduler) keeps what it loaded, keyed by the database's
*cache token*: one row of `cache_generation`.

Invalidation, exactly: a flush that adds, changes or deletes a row of a near-static table
(`NEAR_STATIC_TABLES`) writes a fresh random token in the same transaction. When that
transaction commits, the next request of every worker reads the new token and drops what it
kept; if it rolls back, the token never existed. A session reads the token once per
transaction, at its first cached read. A transaction that changed near-static data itself
reads past the cache until it ends (its own uncommitted rows must never be kept).

Cached values outlive the session, so they must be plain immutable data (dataclasses,
tuples, the pure calendar), never ORM instances.
"""

from __future__ import annotations

import threading
import uuid
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import Integer, String, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from servicedesk.db import Base, upsert_insert

T = TypeVar("T")

#: The tables whose rows the cache keeps, directly or as inputs of what it keeps.
NEAR_STATIC_TABLES = frozenset(
    {
        "services",
        "business_calendars",
        "agreement_versions",
        "agreement_services",
        "service_promises",
        "share_subscriptions",
        "general_meeting_decisions",
        "organisations",
        "organisation_account_managers",
        "routing_rules",
        "resolver_groups",
        "group_members",
        "suppliers",
        "underpinning_contracts",
        "contract_promises",
    }
)

_GENERATION_KEY = "cache_generation"  # sess.info: the token read in this transaction
_BYPASS = "cache_bypass"  # sess.info: this transaction changed near-static data
_SEEN = "cache_seen"  # sess.info: (store, the values this transaction was given)


class CacheGeneration(Base):
    """One row: the token that names the current state of the near-static tables."""

    __tablename__ = "cache_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


class _Store:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.token: str | None = None
        self.values: dict[tuple[str, Hashable], Any] = {}
        self.hits = 0
        self.misses = 0


_stores: weakref.WeakKeyDictionary[Engine, _Store] = weakref.WeakKeyDictionary()
_stores_lock = threading.Lock()


def _store(sess: Session) -> _Store:
    engine = sess.get_bind()
    engine = getattr(engine, "engine", engine)  # a Connection bind: its engine
    with _stores_lock:
        found = _stores.get(engine)
        if found is None:
            found = _stores[engine] = _Store()
        return found


def _token(sess: Session) -> str | None:
    if _GENERATION_KEY not in sess.info:
        sess.info[_GENERATION_KEY] = sess.scalar(
            select(CacheGeneration.token).where(CacheGeneration.id == 1)
        )
    return sess.info[_GENERATION_KEY]


def token_column() -> Any:
    """The cache token as a scalar subquery, to read beside a query the request makes anyway
    (the API token lookup): the token then costs no round trip of its own. Hand the value
    read to `preset_token`."""
    return (
        select(CacheGeneration.token)
        .where(CacheGeneration.id == 1)
        .scalar_subquery()
        .label("cache_token")
    )


def preset_token(sess: Session, token: str | None) -> None:
    """Take `token` (read through `token_column` in this transaction) as the transaction's
    cache token, unless one was read already or this transaction changed near-static data."""
    if not sess.info.get(_BYPASS) and sess.in_transaction():
        sess.info.setdefault(_GENERATION_KEY, token)


def cached(sess: Session, region: str, key: Hashable, load: Callable[[], T]) -> T:
    """The value of (`region`, `key`) as of the current token; `load()` computes it on a miss.

    `load` reads through `sess`; what it returns must be immutable plain data.
    """
    if sess.info.get(_BYPASS):
        return load()
    seen = sess.info.get(_SEEN)
    if seen is not None and (region, key) in seen[1]:
        # Asked before in this transaction (a list page asks a calendar for every clock):
        # no lock, no store lookup.
        seen[0].hits += 1
        return seen[1][(region, key)]  # type: ignore[no-any-return]
    token = _token(sess)
    if token is None:  # no token row (an emptied test database): nothing can be trusted
        return load()
    store = _store(sess)
    with store.lock:
        if store.token != token:
            store.values.clear()
            store.token = token
        if (region, key) in store.values:
            store.hits += 1
            value = store.values[(region, key)]
            sess.info.setdefault(_SEEN, (store, {}))[1][(region, key)] = value
            return value  # type: ignore[no-any-return]
        store.misses += 1
    value = load()
    with store.lock:
        if store.token == token:
            store.values[(region, key)] = value
    sess.info.setdefault(_SEEN, (store, {}))[1][(region, key)] = value
    return value


def stats(sess: Session) -> dict[str, int]:
    """Hits and misses of this process's store for the session's database (for tests, benches)."""
    store = _store(sess)
    return {"hits": store.hits, "misses": store.misses, "entries": len(store.values)}


def bump(sess: Session) -> None:
    """Write a fresh token in the session's transaction: every process drops what it kept
    once this commits. Called by the flush hook; call it after bulk SQL that bypasses the ORM."""
    new = uuid.uuid4().hex
    stmt = (
        upsert_insert(sess)(CacheGeneration)
        .values(id=1, token=new)
        .on_conflict_do_update(index_elements=["id"], set_={"token": new})
    )
    sess.info[_BYPASS] = True
    sess.info.pop(_GENERATION_KEY, None)
    sess.info.pop(_SEEN, None)
    sess.execute(stmt)


def _touches_near_static(objs: Any) -> bool:
    return any(
        getattr(getattr(o, "__table__", None), "name", None) in NEAR_STATIC_TABLES for o in objs
    )


@event.listens_for(Session, "before_flush")
def _changed_in_flush(sess: Session, _ctx: Any, _instances: Any) -> None:
    if sess.info.get(_BYPASS):
        return
    if (
        _touches_near_static(sess.new)
        or _touches_near_static(sess.deleted)
        or any(sess.is_modified(o) for o in sess.dirty if _touches_near_static((o,)))
    ):
        bump(sess)


@event.listens_for(Session, "do_orm_execute")
def _changed_by_statement(state: ORMExecuteState) -> None:
    """Core INSERT/UPDATE/DELETE through the session (association tables, bulk updates)."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    if state.session.info.get(_BYPASS):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in NEAR_STATIC_TABLES:
        bump(state.session)


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(sess: Session, trans: Any) -> None:
    if trans.parent is None:  # the outermost transaction, not a savepoint
        sess.info.pop(_GENERATION_KEY, None)
        sess.info.pop(_BYPASS, None)
        sess.info.pop(_SEEN, None)
