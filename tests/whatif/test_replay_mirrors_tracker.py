"""The replay mirrors the tracker: random real histories, driven through the API, replayed
under their own agreement version give the very clock events the tracker stored, and the
same outcome and due instant through the pure engine."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from catalog.agreements.queries import promise_lines
from catalog.agreements.replay import History, replay
from catalog.agreements.whatif import replayed_outcomes
from catalog.agreements.whatif_queries import histories, received_as
from catalog.calendars.models import BusinessCalendar
from catalog.services.models import Service
from servicedesk.tickets.models import Ticket, TicketEvent
from sla.clock import evaluate
from sla.models import SlaClock
from sla.tracking import clock_events
from tests.sla.conftest import P2, P3, P4, hel

ACTIONS = (
    "reply",
    "note",
    "ask",
    "answer",
    "resolve",
    "reopen",
    "p2",
    "p4",
    "p3",
    "cancel",
    "close",
    "infra",
    "wait",
    "assign",
)


def _act(world: Any, tid: int, action: str, at: datetime) -> None:
    """One step of a history; a step the rules refuse (a 4xx) simply does not happen."""
    url = f"/api/v1/tickets/{tid}"
    comment = f"{url}/comments"
    match_any = {"If-Match": "*"}
    if action == "reply":
        world.call("POST", comment, at, json={"body": "Katsomme.", "internal": False})
    elif action == "note":
        world.call("POST", comment, at, json={"body": "Sisäinen.", "internal": True})
    elif action == "ask":
        world.call(
            "POST",
            comment,
            at,
            json={"body": "Missä kerroksessa?", "status": "waiting_for_customer"},
        )
    elif action == "answer":
        world.call("POST", comment, at, "requester", json={"body": "Kolmas."})
    elif action == "resolve":
        world.call("PATCH", url, at, json={"status": "resolved"}, extra_headers=match_any)
    elif action == "reopen":
        world.call(
            "PATCH", url, at, "requester", json={"status": "in_progress"}, extra_headers=match_any
        )
    elif action == "close":
        world.call(
            "PATCH", url, at, "requester", json={"status": "closed"}, extra_headers=match_any
        )
    elif action == "cancel":
        world.call("PATCH", url, at, json={"status": "cancelled"}, extra_headers=match_any)
    elif action in ("p2", "p3", "p4"):
        world.call(
            "PATCH",
            url,
            at,
            json={"priority": action.upper(), "priority_reason": "testi"},
            extra_headers=match_any,
        )
    elif action == "wait":
        world.call(
            "PATCH", url, at, json={"status": "waiting_for_customer"}, extra_headers=match_any
        )
    elif action == "assign":
        world.call("PATCH", url, at, json={"assignee_id": world.agent.id}, extra_headers=match_any)
    elif action == "infra":
        world.call(
            "PATCH", url, at, json={"service_id": world.infra_service.id}, extra_headers=match_any
        )


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def test_replay_under_own_version_is_what_the_tracker_stored(world: Any, dbs: Any) -> None:
    rng = random.Random(13)
    start = hel(2026, 11, 2, 9)
    ids = []
    for n in range(30):
        received = start + timedelta(hours=rng.randrange(0, 200), minutes=rng.randrange(60))
        fields = rng.choice((P3, P3, P2, P4))
        service = rng.choice((world.app_service, world.infra_service))
        tid = world.file(received, service_id=service.id, **fields)["id"]
        ids.append(tid)
        at = received
        for _ in range(rng.randrange(0, 7)):
            at += timedelta(minutes=rng.choice((5, 30, 90, 400, 2000)))
            _act(world, tid, rng.choice(ACTIONS), at)
        if n == 0:  # at least one ticket with every kind of step
            for action in ("reply", "ask", "answer", "p2", "resolve", "p3", "reopen", "resolve"):
                at += timedelta(minutes=45)
                _act(world, tid, action, at)
    dbs.expire_all()
    version_id = world.version["id"]
    lines = promise_lines(dbs, version_id)
    calendars = {c.id: c.to_calendar() for c in dbs.scalars(select(BusinessCalendar))}
    families = dict(dbs.execute(select(Service.id, Service.family)).all())
    steps = histories(dbs, select(Ticket.id).where(Ticket.id.in_(ids)).scalar_subquery())
    now = hel(2027, 1, 15, 12).astimezone(UTC)
    compared = 0
    kinds_seen: set[str] = set()
    for tid in ids:
        ticket = dbs.get(Ticket, tid)
        created = dbs.scalar(
            select(TicketEvent.data).where(
                TicketEvent.ticket_id == tid, TicketEvent.kind == "created"
            )
        )
        done = steps.get(tid, [])
        as_received = (created["priority"], created["service_id"], created["type"])
        assert received_as(ticket, done) == as_received
        history = History(tid, _aware(ticket.received_at), *as_received, tuple(done))
        replayed = {(c.kind, c.cycle): c for c in replay(history, lines, families, calendars)}
        stored = {
            (c.kind, c.cycle): c
            for c in dbs.scalars(
                select(SlaClock).where(
                    SlaClock.ticket_id == tid,
                    SlaClock.kind.in_(("response", "resolution")),
                    SlaClock.leg == 0,
                )
            )
        }
        assert set(replayed) == set(stored), (tid, set(replayed), set(stored))
        _, outcomes, dues = replayed_outcomes(history, lines, families, calendars, now)
        last = {kind: max(c for k, c in stored if k == kind) for kind, _ in stored}
        for (kind, cycle), row in stored.items():
            clock = replayed[kind, cycle]
            assert clock.events == clock_events(row), (tid, kind)
            assert clock.target_minutes == row.target_minutes
            truth = evaluate(
                calendars[row.calendar_id],
                row.target_minutes,
                clock_events(row),
                now,
                row.warning_percent,
            )
            expected = truth.state.value if truth.state.value in ("met", "breached") else None
            if cycle == last[kind]:  # the kind's outcome is its last clock's
                if expected:
                    assert outcomes[kind] == expected, (tid, kind)
                assert dues[kind] == truth.due_at, (tid, kind)
            if row.state in ("met", "breached", "cancelled"):
                assert row.state == truth.state.value
                assert row.due_at == truth.due_at
            kinds_seen.update(e.type.value for e in clock.events)
            compared += 1
    assert compared >= 20
    assert {"stop", "pause", "resume", "target_change"} <= kinds_seen
