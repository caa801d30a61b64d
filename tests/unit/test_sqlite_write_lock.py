"""SQLite's write lock: a writer waits for another writer's commit in short steps and then
writes; past the deadline it gets the database's busy error; the connection's busy timeout
is the same after the wait as before it."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from servicedesk import db


def _engine(path: Path) -> Any:
    engine = db.make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    return engine


def _hold_lock(path: Path, seconds: float) -> threading.Thread:
    """Another writer: takes the write lock now, writes 1 and commits after `seconds`."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")

    def release() -> None:
        time.sleep(seconds)
        other.execute("INSERT INTO t VALUES (1)")
        other.execute("COMMIT")
        other.close()

    thread = threading.Thread(target=release)
    thread.start()
    return thread


def test_a_writer_waits_for_the_other_writers_commit_then_writes(tmp_path: Path) -> None:
    engine = _engine(tmp_path / "lock.sqlite")
    holder = _hold_lock(tmp_path / "lock.sqlite", 0.3)
    started = time.monotonic()
    with engine.begin() as conn:
        waited = time.monotonic() - started
        conn.exec_driver_sql("INSERT INTO t VALUES (2)")
    holder.join()
    assert waited >= 0.3  # it did wait for the commit, it did not write beside it
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT x FROM t ORDER BY x").scalars().all() == [1, 2]
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1000 * db.SQLITE_BUSY_SECONDS


def test_past_the_deadline_the_writer_gets_the_busy_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = _engine(tmp_path / "lock.sqlite")
    monkeypatch.setattr(db, "SQLITE_BUSY_SECONDS", 0.2)
    holder = _hold_lock(tmp_path / "lock.sqlite", 1.0)
    try:
        with pytest.raises(OperationalError, match="locked"), engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (2)")
    finally:
        holder.join()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT x FROM t").scalars().all() == [1]
