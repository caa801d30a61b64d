"""Escalation on the supplier leg: the scheduler's sweep (`sla.jobs.sweep`) records each
supplier warning and breach exactly once, at its true instant, and notifies the desk group and
the supplier's contact (one outbox row each), never the customer's account manager.

Worked case (P3, escalated to A "Kuntasoft Oy" at Mon 2026-11-23 10:00 local = 08:00Z, A's
office calendar 08:00-16:00 local = 06:00-14:00Z, warning at 80 %):
| clock | target | warning (UTC) | due / breach (UTC) |
|---|---|---|---|
| supplier_response | 60 min | 2026-11-23T08:48Z (48 min) | 2026-11-23T09:00Z |
| supplier_resolution | 480 min | 2026-11-24T06:24Z (360 min Mon + 24 min Tue) | 2026-11-24T08:00Z |
The ticket was received Mon 09:00 local (07:00Z); its own response clock (120 min) warns at
08:36Z and is due at 09:00Z, and goes to the group and (at breach) the account manager.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from servicedesk import db
from servicedesk.db import frozen_now
from servicedesk.notifications.models import OutboxMessage
from sla.jobs import sweep
from sla.models import SlaAlert, SlaClock
from tests.escalations.conftest import A_CONTACT, B_CONTACT, GROUP_EMAIL, local, z


def run_sweep(app: Any, now: datetime) -> tuple[int, int]:
    with app.app_context(), frozen_now(now):
        sess = db.new_session(app)
        try:
            result = sweep(sess, now)
            sess.commit()
        finally:
            sess.close()
    return result.warnings, result.breaches


def alerts(app: Any, tid: int) -> list[tuple[str, int, str, str]]:
    """(clock kind, leg, alert kind, true instant) of every alert of the ticket."""
    with app.app_context():
        sess = db.new_session(app)
        rows = sess.execute(
            select(SlaClock.kind, SlaClock.leg, SlaAlert.kind, SlaAlert.at)
            .join(SlaAlert, SlaAlert.clock_id == SlaClock.id)
            .where(SlaClock.ticket_id == tid)
            .order_by(SlaAlert.at, SlaClock.id)
        ).all()
        sess.close()
    return [(k, leg, a, at.strftime("%Y-%m-%dT%H:%MZ")) for k, leg, a, at in rows]


def mails(app: Any, tid: int, clock_kind: str | None = None) -> list[tuple[str, str]]:
    """(outbox kind, recipient) of the SLA mails of the ticket, optionally of one clock kind."""
    with app.app_context():
        sess = db.new_session(app)
        clock_ids = {
            c.id: c.kind for c in sess.scalars(select(SlaClock).where(SlaClock.ticket_id == tid))
        }
        rows = sess.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.ticket_id == tid, OutboxMessage.kind.like("sla_%"))
            .order_by(OutboxMessage.id)
        ).all()
        sess.close()
    out = []
    for m in rows:
        clock_id = int((m.dedup_key or "").split(":")[1])
        if clock_kind is None or clock_ids[clock_id] == clock_kind:
            out.append((m.kind, m.recipient))
    return out


def test_supplier_warning_and_breach_are_recorded_once_and_told_to_desk_and_supplier(
    api, world, app
):
    w = world
    tid = api.file(local("2026-11-23 09:00"), w.requester, w.service)["id"]
    leg = api.escalate(local("2026-11-23 10:00"), tid, w.agent)["escalation"]["id"]
    # The escalation itself told A once (not an SLA mail).
    assert mails(app, tid) == []

    assert run_sweep(app, local("2026-11-23 10:40")) == (1, 0)  # the customer's response
    assert alerts(app, tid) == [("response", 0, "warning", "2026-11-23T08:36Z")]

    assert run_sweep(app, local("2026-11-23 10:50")) == (1, 0)
    assert run_sweep(app, local("2026-11-23 10:55")) == (0, 0)  # nothing twice
    assert alerts(app, tid)[1:] == [("supplier_response", leg, "warning", "2026-11-23T08:48Z")]
    assert mails(app, tid, "supplier_response") == [
        ("sla_warning", GROUP_EMAIL),
        ("sla_warning", A_CONTACT),
    ]

    assert run_sweep(app, local("2026-11-23 11:01")) == (0, 2)
    assert run_sweep(app, local("2026-11-23 11:02")) == (0, 0)
    assert alerts(app, tid)[2:] == [
        ("response", 0, "breach", "2026-11-23T09:00Z"),
        ("supplier_response", leg, "breach", "2026-11-23T09:00Z"),
    ]
    assert mails(app, tid, "supplier_response") == [
        ("sla_warning", GROUP_EMAIL),
        ("sla_warning", A_CONTACT),
        ("sla_breach", GROUP_EMAIL),
        ("sla_breach", A_CONTACT),
    ]
    # The customer's breach goes to the account manager; the supplier's does not.
    assert ("sla_breach", w.manager.email) in mails(app, tid, "response")
    assert all(r != w.manager.email for _, r in mails(app, tid, "supplier_response"))

    # A answers late: still one breach, no new mail.
    assert api.comment(local("2026-11-23 11:30"), tid, w.agent_a, "Nyt.").status_code == 201
    # Next morning the supplier's resolution clock warns, then breaches.
    assert run_sweep(app, local("2026-11-24 08:25")) == (1, 0)
    assert run_sweep(app, local("2026-11-24 10:00")) == (0, 0)  # due, not yet past it
    assert run_sweep(app, local("2026-11-24 10:01")) == (0, 1)
    assert run_sweep(app, local("2026-11-24 10:02")) == (0, 0)
    assert alerts(app, tid)[4:] == [
        ("supplier_resolution", leg, "warning", "2026-11-24T06:24Z"),
        ("supplier_resolution", leg, "breach", "2026-11-24T08:00Z"),
    ]
    assert mails(app, tid, "supplier_resolution") == [
        ("sla_warning", GROUP_EMAIL),
        ("sla_warning", A_CONTACT),
        ("sla_breach", GROUP_EMAIL),
        ("sla_breach", A_CONTACT),
    ]
    # Unique outbox rows, and the alerts are internal events of the ticket.
    with app.app_context():
        sess = db.new_session(app)
        keys = sess.scalars(
            select(OutboxMessage.dedup_key).where(OutboxMessage.ticket_id == tid)
        ).all()
        sess.close()
    assert len(keys) == len(set(keys))
    events = api.ok("GET", local("2026-11-24 10:05"), f"/tickets/{tid}/events", w.agent)
    supplier_alerts = [
        (e["kind"], e["data"]["clock"])
        for e in events
        if e["kind"].startswith("sla_") and e["data"]["leg"] == leg
    ]
    assert supplier_alerts == [
        ("sla_warning", "supplier_response"),
        ("sla_breach", "supplier_response"),
        ("sla_warning", "supplier_resolution"),
        ("sla_breach", "supplier_resolution"),
    ]
    seen_by_a = api.ok("GET", local("2026-11-24 10:05"), f"/tickets/{tid}/events", w.agent_a)
    assert not [e for e in seen_by_a if e["kind"].startswith("sla_")]


def test_a_scheduler_that_was_down_records_the_true_breach_instant_once(api, world, app):
    """Nobody swept on Monday; A answered at 11:30 local (30 min late) and is still working
    on Tuesday noon: each supplier breach is recorded once with the instant it happened."""
    w = world
    tid = api.file(local("2026-11-23 09:00"), w.requester, w.service)["id"]
    leg = api.escalate(local("2026-11-23 10:00"), tid, w.agent)["escalation"]["id"]
    assert api.comment(local("2026-11-23 11:30"), tid, w.agent_a, "Nyt.").status_code == 201
    _, breaches = run_sweep(app, local("2026-11-24 12:00"))
    assert breaches == 3  # customer response, supplier response, supplier resolution
    assert run_sweep(app, local("2026-11-24 12:01")) == (0, 0)
    supplier = [a for a in alerts(app, tid) if a[1] == leg]
    # The missed warnings are recorded with their true instants too, but told to nobody:
    # after a breach only the breach goes out (SLA.md).
    assert supplier == [
        ("supplier_response", leg, "warning", "2026-11-23T08:48Z"),
        ("supplier_response", leg, "breach", "2026-11-23T09:00Z"),
        ("supplier_resolution", leg, "warning", "2026-11-24T06:24Z"),
        ("supplier_resolution", leg, "breach", "2026-11-24T08:00Z"),
    ]
    assert sorted(mails(app, tid, "supplier_resolution")) == [
        ("sla_breach", A_CONTACT),
        ("sla_breach", GROUP_EMAIL),
    ]
    assert not [m for m in mails(app, tid) if m[0] == "sla_warning"]


def test_ended_legs_raise_nothing_and_the_next_supplier_gets_its_own_mail(api, world, app):
    """A's leg is withdrawn at 10:30 (before any warning); B (24x7: response 30 min, warning
    at 24 min) takes over at 10:30 local: B warns at 08:54Z and breaches at 09:00Z."""
    w = world
    tid = api.file(local("2026-11-23 09:00"), w.requester, w.service)["id"]
    leg_a = api.escalate(local("2026-11-23 10:00"), tid, w.agent)["escalation"]["id"]
    at = local("2026-11-23 10:30")
    api.ok("POST", at, f"/tickets/{tid}/escalations/{leg_a}/withdraw", w.agent)
    leg_b = api.escalate(at, tid, w.agent, w.supplier_b)["escalation"]["id"]
    run_sweep(app, local("2026-11-23 10:55"))
    run_sweep(app, local("2026-11-23 11:05"))
    supplier = [a for a in alerts(app, tid) if a[1] != 0]
    assert supplier == [
        ("supplier_response", leg_b, "warning", "2026-11-23T08:54Z"),
        ("supplier_response", leg_b, "breach", "2026-11-23T09:00Z"),
    ]
    assert mails(app, tid, "supplier_response") == [
        ("sla_warning", GROUP_EMAIL),
        ("sla_warning", B_CONTACT),
        ("sla_breach", GROUP_EMAIL),
        ("sla_breach", B_CONTACT),
    ]
    assert A_CONTACT not in {r for _, r in mails(app, tid)}
    legs = api.ok("GET", at, f"/tickets/{tid}/escalations", w.agent)
    assert [x["supplier_due_at"] for x in legs] == [z("2026-11-24T08:00Z"), z("2026-11-23T12:30Z")]
