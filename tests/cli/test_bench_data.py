"""`servicedesk bench-data`: generated tickets look like the app's own, and the app works on them.

The generator writes rows in bulk instead of going through the operations, so these tests
hold it to what the operations would have written: the events every ticket has, unique
numbers that later creates continue, clocks whose cached columns are what `sla.clock.evaluate`
says, the queue's `sla_due_at`, and alerts such that a sweep at the same instant finds
nothing left to record. One scenario (the demo's catalogue costs seconds to load).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select, update

from servicedesk import db, migrate
from servicedesk.bench_data import add_ratings, generate
from servicedesk.cli import main
from servicedesk.demo import load_demo
from servicedesk.tickets.models import Comment, Ticket, TicketEvent
from servicedesk.users.models import User
from sla import tracking
from sla.jobs import sweep
from sla.models import SlaAlert, SlaClock

TICKETS = 200


def _check_clocks(sess: Any, now: datetime) -> None:
    clocks = list(sess.scalars(select(SlaClock)))
    assert len(clocks) == 2 * TICKETS  # every demo promise has response and resolution
    states = Counter(c.state for c in clocks)
    assert states["met"] > states["breached"] > 0
    for clock in clocks:
        result = tracking.evaluate_clock(sess, clock, clock.evaluated_at)
        assert clock.state == result.state.value
        assert clock.elapsed_seconds == int(result.elapsed.total_seconds())
        assert (clock.due_at, clock.warning_at, clock.breach_at, clock.stopped_at) == (
            result.due_at,
            result.warning_at,
            result.breach_at,
            result.stopped_at,
        ), clock.events
    for ticket in sess.scalars(select(Ticket)):
        running = [
            c.due_at
            for c in clocks
            if c.ticket_id == ticket.id and tracking.phase(c) == "running" and c.due_at
        ]
        assert ticket.sla_due_at == (min(running) if running else None)
        if ticket.status in ("resolved", "closed", "cancelled"):
            assert ticket.sla_due_at is None
    # The scheduler's history is complete: a tick at the same instant has nothing to record.
    tick = sweep(sess, now)
    assert (tick.warnings, tick.breaches) == (0, 0)
    breached = {c.id for c in clocks if c.state == "breached"}
    alerted = set(sess.scalars(select(SlaAlert.clock_id).where(SlaAlert.kind == "breach")))
    assert breached <= alerted
    sess.rollback()


def _check_events(sess: Any) -> None:
    kinds: dict[int, list[str]] = {}
    for ticket_id, kind in sess.execute(
        select(TicketEvent.ticket_id, TicketEvent.kind).order_by(TicketEvent.id)
    ):
        kinds.setdefault(ticket_id, []).append(kind)
    assert len(kinds) == TICKETS
    assert all(k[:2] == ["created", "routed"] for k in kinds.values())
    closed = sess.scalars(select(Ticket.id).where(Ticket.status == "closed")).all()
    assert closed and all(kinds[t][-1] != "created" for t in closed)
    comments = sess.scalar(select(func.count()).select_from(Comment))
    commented = sum(k.count("commented") for k in kinds.values())
    assert comments == commented > 0


def _check_ratings(sess: Any, now: datetime) -> None:
    """Some resolved tickets are rated, while resolved (before the close), as `rate` allows;
    `add_ratings` gives a database generated without them the same ones."""
    tickets = list(sess.scalars(select(Ticket)))
    rated = [t for t in tickets if t.rating is not None]
    assert 0 < len(rated) < len([t for t in tickets if t.resolved_at])
    for t in rated:
        assert 1 <= t.rating <= 5 and t.resolved_at < t.rated_at <= min(t.closed_at or now, now)
    assert all(t.rated_at is None for t in tickets if t.rating is None)
    assert add_ratings(sess, 7, 0, now) == 0
    # A database generated before the ratings gets the very ratings `generate` writes now.
    want = {t.id: (t.rating, t.rating_comment, t.rated_at) for t in rated}
    sess.execute(update(Ticket).values(rating=None, rating_comment=None, rated_at=None))
    assert add_ratings(sess, 7, 0, now) == len(want)
    sess.expire_all()
    got = {t.id: (t.rating, t.rating_comment, t.rated_at) for t in sess.scalars(select(Ticket))}
    assert {k: v for k, v in got.items() if v[0] is not None} == want
    sess.rollback()


def test_generated_tickets_keep_the_apps_invariants_and_serve_through_the_api(
    app: Flask, client: Any
) -> None:
    load_demo(app, tickets_count=0)  # the catalogue, agreements and people only
    now = datetime.now(UTC).replace(microsecond=0)
    with db.unit_of_work(app) as sess:
        summary = generate(sess, TICKETS, years=2, seed=7, batch=70, now=now, jobs=2)
    assert (summary.tickets, summary.clocks) == (TICKETS, 2 * TICKETS)

    sess = db.new_session(app)
    try:
        numbers = sess.scalars(select(Ticket.number)).all()
        assert len(set(numbers)) == len(numbers) == TICKETS
        statuses = Counter(sess.scalars(select(Ticket.status)))
        assert statuses["closed"] > TICKETS / 2
        _check_events(sess)
        _check_clocks(sess, now)
        _check_ratings(sess, now)
        agent = sess.scalar(select(User).where(User.email == "eero.korhonen@kpk.example"))
        requester = sess.get(User, sess.scalar(select(Ticket.requester_id).limit(1)))
        year_last = max(n for n in numbers if n.startswith(f"KPK-{now.year}-"))
        service_id = sess.scalar(
            select(Ticket.service_id).where(Ticket.requester_id == requester.id).limit(1)
        )
        from servicedesk.auth import issue_token

        _, agent_token = issue_token(sess, agent)
        _, requester_token = issue_token(sess, requester)
        sess.commit()
    finally:
        sess.close()

    created = client.post(
        "/api/v1/tickets",
        json={
            "type": "incident",
            "title": "Tulostin ei tulosta",
            "description": "Kolmannen kerroksen tulostin.",
            "service_id": service_id,
            "impact": "low",
            "urgency": "low",
        },
        headers={"Authorization": f"Bearer {requester_token}"},
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["number"] == f"KPK-{now.year}-{int(year_last[-5:]) + 1:05d}"

    auth = {"Authorization": f"Bearer {agent_token}"}
    page = client.get("/api/v1/tickets?limit=25", headers=auth)
    assert page.status_code == 200
    items = page.get_json()["items"]
    assert len(items) == 25 and page.get_json()["next_cursor"]
    one = client.get(f"/api/v1/tickets/{items[-1]['id']}", headers=auth)
    assert one.status_code == 200 and one.get_json()["number"] == items[-1]["number"]
    at_risk = client.get("/api/v1/tickets?sla_state=breached&sort=sla_due", headers=auth)
    assert at_risk.status_code == 200


def _cli(monkeypatch: pytest.MonkeyPatch, url: str, mode: str, *args: str) -> Any:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SERVICEDESK_MODE", mode)
    monkeypatch.setenv("SECRET_KEY", "x7" * 24)
    return CliRunner().invoke(main, ["bench-data", *args])


def test_bench_data_refuses_production(monkeypatch: pytest.MonkeyPatch) -> None:
    result = _cli(monkeypatch, "postgresql://nobody@127.0.0.1:1/none", "production")
    assert result.exit_code != 0
    assert "production does not load it" in result.output


def test_bench_data_refuses_a_database_without_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "sqlite:///" + str(tmp_path / "empty.sqlite3")
    migrate.upgrade(url)
    result = _cli(monkeypatch, url, "test", "--tickets", "10")
    assert result.exit_code != 0
    assert "load the demo first" in result.output
