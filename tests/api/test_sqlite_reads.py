"""SQLite: read requests begin DEFERRED, everything else IMMEDIATE; a read that writes is
handled again as a write, never a "database is locked" or a 500.

The statements are watched on the app's engine (`before_cursor_execute`); PostgreSQL gets
no BEGIN statement of ours at all.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, text

from servicedesk import db
from servicedesk.app import create_app
from tests.api.helpers import file_ticket

BODY = {"title": "Tulostin jumissa", "description": "Kolmannen kerroksen tulostin."}


@contextmanager
def begins(app: Flask) -> Iterator[list[str]]:
    """The BEGIN statements sent on the app's engine inside the block."""
    seen: list[str] = []

    def watch(_conn: Any, _cur: Any, statement: str, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("BEGIN"):
            seen.append(statement.strip().upper())

    engine = db.engine_of(app)
    event.listen(engine, "before_cursor_execute", watch)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", watch)


def is_sqlite(app: Flask) -> bool:
    return db.engine_of(app).dialect.name == "sqlite"


def test_a_get_reads_in_a_deferred_transaction_and_a_write_takes_the_lock(
    app, client, make, desk
):
    agent = make.auth(desk["agent"])
    client.get("/api/v1/tickets", headers=agent)  # the token's first use is refreshed apart
    with begins(app) as created:
        resp = file_ticket(
            client, agent, service_id=desk["service"].id, requester_id=desk["requester"].id,
            **BODY,
        )
    assert resp.status_code == 201
    with begins(app) as read:
        url = f"/api/v1/tickets/{resp.get_json()['id']}"
        assert client.get(url, headers=agent).status_code == 200
        assert client.get("/api/v1/tickets", headers=agent).status_code == 200
        assert client.head("/healthz").status_code == 200
    if is_sqlite(app):
        assert created == ["BEGIN IMMEDIATE"]
        assert read == ["BEGIN DEFERRED"] * 3
    else:  # PostgreSQL: the driver begins; no statement of ours is added
        assert created == read == []


def test_a_tokens_first_use_on_a_get_is_recorded_without_handling_the_get_twice(
    app, client, make, desk, caplog
):
    agent = make.auth(desk["agent"])
    with caplog.at_level(logging.WARNING, logger="servicedesk.app"), begins(app) as seen:
        listed = client.get("/api/v1/auth/tokens", headers=agent)
    assert listed.status_code == 200
    (mine,) = [t for t in listed.get_json() if t["current"]]
    assert mine["last_used_at"] is not None
    assert "handled again" not in caplog.text
    if is_sqlite(app):  # the read, and the refresh in its own short write transaction
        assert sorted(seen) == ["BEGIN DEFERRED", "BEGIN IMMEDIATE"]
    again = client.get("/api/v1/auth/tokens", headers=agent).get_json()
    assert [t["last_used_at"] for t in again if t["current"]] == [mine["last_used_at"]]


@pytest.fixture(scope="module")
def probe_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app of its own on a SQLite file, with a GET that writes (none of ours should)."""
    url = "sqlite:///" + str(tmp_path_factory.mktemp("probe") / "probe.sqlite3")
    app = create_app(
        overrides={"TESTING": True, "DATABASE_URL": url},
        env={"SERVICEDESK_MODE": "test", "DATABASE_URL": url},
    )
    with db.engine_of(app).begin() as conn:
        conn.execute(text("CREATE TABLE probe (id INTEGER PRIMARY KEY, kind TEXT)"))

    def count() -> int:
        return int(db.session().execute(text("SELECT count(*) FROM probe")).scalar_one())

    @app.get("/_probe/read-then-write")
    def read_then_write() -> dict[str, int]:
        before = count()
        db.session().execute(text("INSERT INTO probe (kind) VALUES ('get')"))
        return {"before": before}

    @app.get("/_probe/read")
    def read() -> dict[str, int]:
        return {"count": count()}

    @app.post("/_probe/write")
    def write() -> tuple[dict[str, int], int]:
        before = count()
        db.session().execute(text("INSERT INTO probe (kind) VALUES ('post')"))
        return {"before": before}, 201

    yield app
    db.engine_of(app).dispose()


def test_a_get_that_writes_is_handled_again_as_a_write(probe_app, caplog):
    client = probe_app.test_client()
    with caplog.at_level(logging.WARNING, logger="servicedesk.app"), begins(probe_app) as seen:
        resp = client.get("/_probe/read-then-write")
    assert resp.status_code == 200
    assert seen == ["BEGIN DEFERRED", "BEGIN IMMEDIATE"]
    assert "a read request wrote (GET /_probe/read-then-write: INSERT INTO probe)" in caplog.text
    assert client.get("/_probe/read").get_json()["count"] >= 1


def test_concurrent_reads_writes_and_writing_gets_on_one_sqlite_file_all_succeed(probe_app):
    """Writers commit between the snapshot and the write of the writing GETs: SQLite would
    refuse their upgrade ("database is locked"); they are handled again, never a 5xx."""
    before = probe_app.test_client().get("/_probe/read").get_json()["count"]
    kinds = ["/_probe/read-then-write", "/_probe/write", "/_probe/read"] * 8
    barrier = threading.Barrier(len(kinds))

    def work(i: int) -> list[int]:
        client = probe_app.test_client()
        barrier.wait(timeout=30)
        statuses = []
        for _ in range(5):
            if kinds[i] == "/_probe/write":
                statuses.append(client.post(kinds[i]).status_code)
            else:
                statuses.append(client.get(kinds[i]).status_code)
        return statuses

    with ThreadPoolExecutor(max_workers=len(kinds)) as pool:
        statuses = [s for got in pool.map(work, range(len(kinds))) for s in got]
    assert sorted(set(statuses)) == [200, 201]
    after = probe_app.test_client().get("/_probe/read").get_json()["count"]
    assert after - before == 8 * 5 * 2  # every writing GET and every POST wrote exactly once
