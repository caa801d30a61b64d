"""The scheduler's jobs, called directly at pinned instants: sweep and auto-close (the agreement
reminders: tests/scheduler/test_agreement_reminders.py).

The sweep must record each warning and breach once, with the instant the clock's history gives
(not the sweep's), escalate it by e-mail (outbox rows), and catch up after downtime.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import select

from servicedesk import db
from servicedesk.db import frozen_now
from servicedesk.notifications.models import OutboxMessage
from sla.jobs import SweepResult, auto_close, sweep
from sla.models import SlaAlert, SlaClock
from tests.sla.conftest import GROUP_EMAIL, World, clock, hel, z


def run_sweep(app: Flask, at: datetime) -> SweepResult:
    """One scheduler turn at `at`, in its own committed transaction."""
    with frozen_now(at), db.unit_of_work(app) as sess:
        return sweep(sess, at)


def alerts(app: Flask, ticket_id: int) -> dict[tuple[str, int, str], str]:
    """(clock kind, cycle, alert kind) -> the recorded instant, for one ticket."""
    with db.unit_of_work(app) as sess:
        rows = sess.execute(
            select(SlaClock.kind, SlaClock.cycle, SlaAlert.kind, SlaAlert.at)
            .join(SlaAlert, SlaAlert.clock_id == SlaClock.id)
            .where(SlaClock.ticket_id == ticket_id)
        ).all()
    found = {(c, cy, k): z(at) for c, cy, k, at in rows}
    assert len(found) == len(rows)
    return found


def outbox(app: Flask, **where: Any) -> list[OutboxMessage]:
    with db.unit_of_work(app) as sess:
        stmt = select(OutboxMessage).order_by(OutboxMessage.id)
        for name, value in where.items():
            stmt = stmt.where(getattr(OutboxMessage, name) == value)
        return list(sess.scalars(stmt))


def sla_events(world: World, ticket_id: int) -> list[tuple[str, str, str]]:
    resp = world.call("GET", f"/api/v1/tickets/{ticket_id}/events", hel(2027, 1, 1, 12))
    assert resp.status_code == 200
    return [(e["kind"], e["data"]["clock"], e["at"]) for e in resp.get_json()
            if e["kind"].startswith("sla_")]


def assigned_ticket(world: World, received: datetime, **fields: Any) -> dict[str, Any]:
    ticket = world.file(received, **fields)
    world.assign(ticket["id"], received)
    return ticket


# --- exactly once, at the true instants --------------------------------------------------------


def test_sweep_records_one_warning_and_one_breach_per_clock_at_their_true_instants(app, world):
    ticket = assigned_ticket(world, hel(2026, 11, 23, 9))
    tid = ticket["id"]

    assert run_sweep(app, hel(2026, 11, 23, 10, 35)) == SweepResult(0, 0)  # warning at 10:36
    assert run_sweep(app, hel(2026, 11, 23, 10, 37)) == SweepResult(1, 0)
    assert run_sweep(app, hel(2026, 11, 23, 10, 38)) == SweepResult(0, 0)
    assert run_sweep(app, hel(2026, 11, 23, 11, 0)) == SweepResult(0, 0)  # due, not yet past
    assert run_sweep(app, hel(2026, 11, 23, 11, 1)) == SweepResult(0, 1)
    assert run_sweep(app, hel(2026, 11, 23, 11, 2)) == SweepResult(0, 0)
    assert run_sweep(app, hel(2026, 11, 23, 15, 30)) == SweepResult(1, 0)  # resolution 13:24
    # Long after: the resolution's breach carries its due instant (Tue 09:00), not the sweep's.
    assert run_sweep(app, hel(2026, 12, 10, 12)) == SweepResult(0, 1)
    assert run_sweep(app, hel(2026, 12, 11, 12)) == SweepResult(0, 0)

    assert alerts(app, tid) == {
        ("response", 0, "warning"): "2026-11-23T08:36:00Z",
        ("response", 0, "breach"): "2026-11-23T09:00:00Z",
        ("resolution", 0, "warning"): "2026-11-23T13:24:00Z",
        ("resolution", 0, "breach"): "2026-11-24T07:00:00Z",
    }
    assert sla_events(world, tid) == [
        ("sla_warning", "response", "2026-11-23T08:36:00Z"),
        ("sla_breach", "response", "2026-11-23T09:00:00Z"),
        ("sla_warning", "resolution", "2026-11-23T13:24:00Z"),
        ("sla_breach", "resolution", "2026-11-24T07:00:00Z"),
    ]
    # The explanation lists them too, instants in the API's format.
    explained = world.explain(tid, hel(2026, 12, 11, 12))
    assert [(a["kind"], a["at"]) for a in clock(explained, "resolution")["alerts"]] == [
        ("warning", "2026-11-23T13:24:00Z"), ("breach", "2026-11-24T07:00:00Z")
    ]
    assert clock(explained, "resolution")["alerts"][1]["recorded_at"] == "2026-12-10T10:00:00Z"


def test_the_first_sweep_after_downtime_records_breaches_at_their_due_instants(app, world):
    """SLA.md: a warning missed while the scheduler was down is recorded with its true
    instant, but after a breach only the breach notification goes out."""
    tid = assigned_ticket(world, hel(2026, 11, 23, 9))["id"]
    assert run_sweep(app, hel(2026, 11, 30, 12)) == SweepResult(2, 2, silent=2)
    assert alerts(app, tid) == {
        ("response", 0, "warning"): "2026-11-23T08:36:00Z",
        ("response", 0, "breach"): "2026-11-23T09:00:00Z",
        ("resolution", 0, "warning"): "2026-11-23T13:24:00Z",
        ("resolution", 0, "breach"): "2026-11-24T07:00:00Z",
    }
    assert sorted({m.kind for m in outbox(app, ticket_id=tid) if m.kind.startswith("sla_")}) == [
        "sla_breach"
    ]
    assert run_sweep(app, hel(2026, 11, 30, 12, 1)) == SweepResult(0, 0)
    # The explanation says which warning was recorded late and that it was not told.
    explained = world.explain(tid, hel(2026, 11, 30, 12, 1))
    assert [
        (a["kind"], a["at"], a["recorded_at"], a["late"], a["notified"])
        for a in clock(explained, "response")["alerts"]
    ] == [
        ("warning", "2026-11-23T08:36:00Z", "2026-11-30T10:00:00Z", True, False),
        ("breach", "2026-11-23T09:00:00Z", "2026-11-30T10:00:00Z", True, True),
    ]
    events = world.call("GET", f"/api/v1/tickets/{tid}/events", hel(2026, 11, 30, 13)).get_json()
    assert [(e["kind"], e["data"]["clock"], e["data"]["notified"]) for e in events
            if e["kind"].startswith("sla_")] == [
        ("sla_warning", "response", False),
        ("sla_breach", "response", True),
        ("sla_warning", "resolution", False),
        ("sla_breach", "resolution", True),
    ]


def test_a_warning_missed_while_the_scheduler_was_down_is_told_if_the_clock_has_not_breached(
    app, world
):
    """The scheduler was down from 10:30 to 10:50: the response warning (10:36) is recorded at
    its true instant when it comes back, and told, since the clock is due only at 11:00."""
    tid = assigned_ticket(world, hel(2026, 11, 23, 9))["id"]
    assert run_sweep(app, hel(2026, 11, 23, 10, 30)) == SweepResult(0, 0)
    assert run_sweep(app, hel(2026, 11, 23, 10, 50)) == SweepResult(1, 0)
    assert alerts(app, tid) == {("response", 0, "warning"): "2026-11-23T08:36:00Z"}
    told = outbox(app, ticket_id=tid, kind="sla_warning")
    assert {m.recipient for m in told} == {GROUP_EMAIL, world.agent.email}
    warning = clock(world.explain(tid, hel(2026, 11, 23, 10, 51)), "response")["alerts"][0]
    assert (warning["recorded_at"], warning["late"], warning["notified"]) == (
        "2026-11-23T08:50:00Z", True, True
    )


def test_a_warning_of_a_clock_that_ended_before_the_sweep_noticed_is_recorded_untold(app, world):
    """The response warned at 10:36 and the desk replied at 10:40, before the scheduler came
    back: the warning is history (recorded at 10:36), but nobody needs a warning now."""
    tid = assigned_ticket(world, hel(2026, 11, 23, 9))["id"]
    world.comment(tid, hel(2026, 11, 23, 10, 40))
    assert run_sweep(app, hel(2026, 11, 23, 10, 45)) == SweepResult(1, 0, silent=1)
    assert alerts(app, tid) == {("response", 0, "warning"): "2026-11-23T08:36:00Z"}
    assert outbox(app, ticket_id=tid, kind="sla_warning") == []
    # On time: a sweep every minute records and tells it (10:37).
    ontime = assigned_ticket(world, hel(2026, 11, 23, 9))["id"]
    assert run_sweep(app, hel(2026, 11, 23, 10, 37)) == SweepResult(1, 0)
    assert outbox(app, ticket_id=ontime, kind="sla_warning")
    warning = clock(world.explain(ontime, hel(2026, 11, 23, 10, 38)), "response")["alerts"][0]
    assert (warning["late"], warning["notified"]) == (False, True)


def test_a_clock_that_stopped_late_while_no_scheduler_ran_is_breached_at_its_true_instant(
    app, world
):
    tid = assigned_ticket(world, hel(2026, 11, 23, 9))["id"]
    world.comment(tid, hel(2026, 11, 23, 13))  # the response was due at 11:00
    world.patch(tid, hel(2026, 11, 25, 10), status="resolved")  # resolution due Tue 09:00
    ontime = assigned_ticket(world, hel(2026, 11, 23, 9))["id"]
    world.comment(ontime, hel(2026, 11, 23, 10))
    world.patch(ontime, hel(2026, 11, 23, 12), status="resolved")

    # The scheduler comes back on Friday: the warnings are history too, told to nobody.
    assert run_sweep(app, hel(2026, 11, 27, 8)) == SweepResult(2, 2, silent=2)
    assert alerts(app, tid) == {
        ("response", 0, "warning"): "2026-11-23T08:36:00Z",
        ("response", 0, "breach"): "2026-11-23T09:00:00Z",
        ("resolution", 0, "warning"): "2026-11-23T13:24:00Z",
        ("resolution", 0, "breach"): "2026-11-24T07:00:00Z",
    }
    assert alerts(app, ontime) == {}
    stopped = world.get(tid, hel(2026, 11, 27, 8))
    assert clock(stopped, "response")["state"] == "breached"
    assert clock(stopped, "response")["stopped_at"] == "2026-11-23T11:00:00Z"
    assert run_sweep(app, hel(2026, 12, 31, 8)) == SweepResult(0, 0)


def test_paused_met_and_cancelled_clocks_raise_nothing(app, world):
    waiting = assigned_ticket(world, hel(2026, 11, 23, 9))["id"]
    world.comment(waiting, hel(2026, 11, 23, 9, 30))
    world.patch(waiting, hel(2026, 11, 23, 10), status="waiting_for_customer")
    cancelled = assigned_ticket(world, hel(2026, 11, 23, 9))["id"]
    world.patch(cancelled, hel(2026, 11, 23, 9, 30), status="cancelled")
    no_promise = world.file(hel(2026, 11, 23, 9), impact="low", urgency="low")["id"]
    assert run_sweep(app, hel(2026, 12, 31, 12)) == SweepResult(0, 0)
    for tid in (waiting, cancelled, no_promise):
        assert alerts(app, tid) == {}


def test_a_reopened_clock_that_breaches_again_is_not_recorded_twice(app, world):
    tid = assigned_ticket(world, hel(2026, 11, 23, 9))["id"]
    world.comment(tid, hel(2026, 11, 23, 9, 30))
    # The resolution warned Mon 13:24 and breached Tue 09:00; the warning is told to nobody.
    assert run_sweep(app, hel(2026, 11, 24, 12)) == SweepResult(1, 1, silent=1)
    world.patch(tid, hel(2026, 11, 24, 13), status="resolved")
    world.patch(tid, hel(2026, 11, 25, 9), who="requester", status="in_progress")
    assert run_sweep(app, hel(2026, 11, 26, 12)) == SweepResult(0, 0)
    assert alerts(app, tid) == {
        ("resolution", 0, "warning"): "2026-11-23T13:24:00Z",
        ("resolution", 0, "breach"): "2026-11-24T07:00:00Z",
    }


def test_update_cycles_are_swept_each_on_its_own(app, world):
    tid = assigned_ticket(world, hel(2026, 11, 23, 9))["id"]
    world.comment(tid, hel(2026, 11, 23, 9, 5))  # response met
    world.comment(tid, hel(2026, 11, 23, 9, 10), who="requester")  # cycle 1: due 13:10
    world.comment(tid, hel(2026, 11, 23, 14))  # late: cycle 1 breached
    world.comment(tid, hel(2026, 11, 23, 14, 10), who="requester")  # cycle 2: due Tue 10:10
    # Cycle 1 warned at 12:22 and ended late at 14:00: its warning is recorded, untold.
    assert run_sweep(app, hel(2026, 11, 23, 15, 30)) == SweepResult(2, 1, silent=1)
    assert run_sweep(app, hel(2026, 11, 24, 9, 30)) == SweepResult(1, 1)
    assert alerts(app, tid) == {
        ("update", 1, "warning"): "2026-11-23T10:22:00Z",  # 192 minutes from 09:10
        ("update", 1, "breach"): "2026-11-23T11:10:00Z",  # 240 minutes from 09:10
        ("update", 2, "warning"): "2026-11-24T07:22:00Z",  # 192 minutes from 14:10
        ("resolution", 0, "warning"): "2026-11-23T13:24:00Z",
        ("resolution", 0, "breach"): "2026-11-24T07:00:00Z",
    }


def test_at_its_due_instant_a_running_clock_is_not_breached_yet(app, world):
    """A reply exactly at the due instant is met (SLA.md), so a sweep then records nothing."""
    tid = assigned_ticket(world, hel(2026, 11, 23, 9))["id"]
    due = hel(2026, 11, 23, 11)
    assert run_sweep(app, due) == SweepResult(1, 0)  # the warning (10:36), no breach
    assert world.listed(due, "sla_state=breached") == []
    assert world.listed(due, "sla_state=at_risk") == [tid]
    world.comment(tid, due)
    assert clock(world.get(tid, due), "response")["state"] == "met"
    assert run_sweep(app, hel(2026, 11, 23, 11, 1)) == SweepResult(0, 0)
    assert alerts(app, tid) == {("response", 0, "warning"): "2026-11-23T08:36:00Z"}


# --- escalation by e-mail (outbox rows) --------------------------------------------------------


def test_a_warning_notifies_the_assignee_and_the_group_and_a_breach_also_the_account_manager(
    app, world
):
    ticket = assigned_ticket(world, hel(2026, 11, 23, 9))
    run_sweep(app, hel(2026, 11, 23, 10, 40))
    run_sweep(app, hel(2026, 11, 23, 10, 41))
    warnings = outbox(app, kind="sla_warning")
    assert sorted(m.recipient for m in warnings) == sorted([world.agent.email, GROUP_EMAIL])
    assert all(m.ticket_id == ticket["id"] for m in warnings)
    # The number as e-mail-in reads it; the clock in the recipient's words (fi: vasteaika).
    assert all(f"[{ticket['number']}]" in m.subject and "vasteaika" in m.body for m in warnings)
    assert all("10:36" in m.body for m in warnings)  # the true instant, in Helsinki time

    for minute in (1, 2, 3):
        run_sweep(app, hel(2026, 11, 23, 11, minute))
    breaches = outbox(app, kind="sla_breach")
    assert sorted(m.recipient for m in breaches) == sorted(
        [world.agent.email, GROUP_EMAIL, world.account_manager.email]
    )
    assert all("11:00" in m.body for m in breaches)
    # Everything once: one row per clock, alert kind and recipient.
    run_sweep(app, hel(2026, 11, 23, 15, 30))  # the resolution's warning
    run_sweep(app, hel(2026, 11, 23, 15, 31))
    run_sweep(app, hel(2026, 12, 10, 12))
    run_sweep(app, hel(2026, 12, 10, 12, 1))
    counts = Counter(
        (m.kind, m.dedup_key, m.recipient) for m in outbox(app) if m.kind[:4] == "sla_"
    )
    assert set(counts.values()) == {1}
    assert Counter(kind for kind, _, _ in counts) == {"sla_warning": 4, "sla_breach": 6}


def test_an_unassigned_ticket_warns_its_group_only(app, world):
    world.file(hel(2026, 11, 23, 9))
    run_sweep(app, hel(2026, 11, 23, 10, 40))
    assert [m.recipient for m in outbox(app, kind="sla_warning")] == [GROUP_EMAIL]


# --- auto-close ---------------------------------------------------------------------------------


def run_auto_close(app: Flask, at: datetime, days: int = 5) -> int:
    with frozen_now(at), db.unit_of_work(app) as sess:
        return auto_close(sess, days, at)


def test_auto_close_closes_a_resolved_ticket_after_the_grace_business_days_not_before(app, world):
    tid = world.file(hel(2026, 11, 25, 9))["id"]
    world.patch(tid, hel(2026, 11, 25, 12), status="resolved")  # Wed noon
    open_one = world.file(hel(2026, 11, 20, 9))["id"]  # never resolved
    assert run_auto_close(app, hel(2026, 12, 2, 11, 59)) == 0  # 5 x 8 office hours: Wed noon
    assert world.get(tid, hel(2026, 12, 2, 11, 59))["status"] == "resolved"
    assert run_auto_close(app, hel(2026, 12, 2, 12)) == 1
    closed = world.get(tid, hel(2026, 12, 2, 12))
    assert (closed["status"], closed["closed_at"]) == ("closed", "2026-12-02T10:00:00Z")
    assert run_auto_close(app, hel(2026, 12, 3, 12)) == 0
    assert world.get(open_one, hel(2026, 12, 3, 12))["status"] == "new"
    # The closing does not touch the clocks: they stay as the resolution left them.
    assert {c["state"] for c in closed["sla"]["clocks"]} == {"met", "breached"}


def test_auto_close_counts_business_days_from_a_monday_opening_to_friday_closing(app, world):
    tid = world.file(hel(2026, 11, 30, 8))["id"]
    world.patch(tid, hel(2026, 11, 30, 8), status="resolved")  # Mon 08:00
    assert run_auto_close(app, hel(2026, 12, 4, 15, 59)) == 0
    assert run_auto_close(app, hel(2026, 12, 4, 16)) == 1  # 40 office hours: Fri 16:00


def test_auto_close_skips_weekends_and_holidays(app, world):
    tid = world.file(hel(2026, 12, 23, 9))["id"]
    world.patch(tid, hel(2026, 12, 23, 12), status="resolved")  # Wed before Christmas
    # 24.-26.12. and 1.1. are holidays: Wed 4 h, Mon 28.-Thu 31.12. 32 h, Mon 4.1. 4 h.
    assert run_auto_close(app, hel(2026, 12, 31, 11, 59)) == 0
    assert run_auto_close(app, hel(2026, 12, 31, 12)) == 0
    assert run_auto_close(app, hel(2027, 1, 4, 11, 59)) == 0
    assert run_auto_close(app, hel(2027, 1, 4, 12)) == 1


def test_a_reopened_ticket_is_not_auto_closed(app, world):
    tid = world.file(hel(2026, 11, 23, 9))["id"]
    world.patch(tid, hel(2026, 11, 23, 12), status="resolved")
    world.patch(tid, hel(2026, 11, 24, 12), who="requester", status="in_progress")
    assert run_auto_close(app, hel(2026, 12, 31, 12)) == 0
