"""The SLA sweep costs what is due, not what runs: statement counts, and the schedule column.

A tick with nothing due is one index search, whatever the number of running or once-breached
clocks; a tick with k breaches runs the same few statements for 2 as for 40 (per batch of
`SWEEP_BATCH` clocks, not per clock). Each clock's `next_alert_at` follows its history: a
recorded breach leaves the search for good; a pause, a resume or a target change moves it; a
clock that stopped after its due instant keeps its true breach instant until a sweep records it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from flask import Flask
from sqlalchemy import event, select

from servicedesk import db
from servicedesk.db import frozen_now
from sla import jobs
from sla.jobs import SweepResult, due_clocks, sweep
from sla.models import SlaClock
from tests.sla.conftest import P2, World, clock, hel, z
from tests.sla.conftest import world as world  # the fixture: a clock test world

T = TypeVar("T")


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement the app's engine runs inside the block (executemany counts once)."""
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = db.engine_of(app)
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def counted(app: Flask, work: Callable[[], T]) -> tuple[T, int]:
    with statements(app) as seen:
        result = work()
    return result, len(seen)


def run_sweep(app: Flask, at: datetime) -> SweepResult:
    with frozen_now(at), db.unit_of_work(app) as sess:
        return sweep(sess, at)


def schedule(app: Flask, ticket_id: int) -> dict[str, tuple[str | None, int]]:
    """clock kind -> (next_alert_at, recorded_alerts bits) of one ticket's clocks."""
    with db.unit_of_work(app) as sess:
        rows = sess.execute(
            select(SlaClock.kind, SlaClock.next_alert_at, SlaClock.recorded_alerts).where(
                SlaClock.ticket_id == ticket_id
            )
        ).all()
    return {kind: (z(at) if at else None, bits) for kind, at, bits in rows}


def file_assigned(world: World, at: datetime, count: int) -> list[int]:
    ids = []
    for _ in range(count):
        tid = world.file(at)["id"]
        world.assign(tid, at)
        ids.append(tid)
    return ids


# --- statement counts ------------------------------------------------------------------------


def test_a_tick_with_nothing_due_costs_the_same_for_6_clocks_as_for_200(app, world):
    # Old history: breached, recorded, then resolved (stopped and breached for good).
    old = file_assigned(world, hel(2026, 11, 23, 9), 1)
    # (Each breach comes with its missed warning, recorded and told to nobody.)
    assert run_sweep(app, hel(2026, 11, 24, 12)) == SweepResult(2, 2, silent=2)
    world.patch(old[0], hel(2026, 11, 24, 13), status="resolved")
    file_assigned(world, hel(2026, 11, 25, 9), 2)  # running: response warns at 10:36
    quiet = hel(2026, 11, 25, 9, 30)
    small, few = counted(app, lambda: run_sweep(app, quiet))
    assert small == SweepResult(0, 0)

    more_old = file_assigned(world, hel(2026, 11, 23, 9), 49)
    assert run_sweep(app, hel(2026, 11, 24, 12)) == SweepResult(98, 98, silent=98)
    for tid in more_old:
        world.patch(tid, hel(2026, 11, 24, 13), status="resolved")
    file_assigned(world, hel(2026, 11, 25, 9), 48)
    with db.unit_of_work(app) as sess:
        assert len(list(sess.scalars(select(SlaClock.id)))) == 200
    large, many = counted(app, lambda: run_sweep(app, quiet))
    assert large == SweepResult(0, 0)
    assert many == few <= 2  # the index search (and SQLite's BEGIN), nothing per clock


def test_k_breaches_cost_a_few_statements_per_batch_not_per_clock(app, world):
    file_assigned(world, hel(2026, 11, 25, 9), 2)  # responses due 11:00
    two, for_two = counted(app, lambda: run_sweep(app, hel(2026, 11, 25, 11, 1)))
    assert two == SweepResult(2, 2, silent=2)  # with the warnings missed before them
    file_assigned(world, hel(2026, 11, 26, 9), 40)  # and the first two's resolutions: Thu 09:00
    forty, for_forty = counted(app, lambda: run_sweep(app, hel(2026, 11, 26, 11, 1)))
    assert forty == SweepResult(42, 42, silent=42)
    # Select, alerts, tickets, account managers, events, e-mails, clocks (and SQLite's BEGIN).
    assert for_forty == for_two <= 8


def test_a_backlog_larger_than_a_batch_waits_a_minute_a_batch(app, world, monkeypatch):
    monkeypatch.setattr(jobs, "SWEEP_BATCH", 4)
    file_assigned(world, hel(2026, 11, 25, 9), 5)  # 5 responses due 11:00
    costs = []
    for minute in (1, 2, 3):
        result, cost = counted(app, lambda m=minute: run_sweep(app, hel(2026, 11, 25, 11, m)))
        costs.append((result, cost))
    assert [r for r, _ in costs] == [
        SweepResult(4, 4, silent=4),
        SweepResult(1, 1, silent=1),
        SweepResult(0, 0),
    ]
    assert costs[0][1] == costs[1][1] and costs[2][1] <= 2


# --- the schedule column follows the clock ---------------------------------------------------


def test_a_recorded_breach_is_not_selected_again(app, world):
    tid = file_assigned(world, hel(2026, 11, 23, 9), 1)[0]
    assert run_sweep(app, hel(2026, 11, 24, 12)) == SweepResult(2, 2, silent=2)
    assert schedule(app, tid) == {"response": (None, 3), "resolution": (None, 3)}
    world.patch(tid, hel(2026, 11, 24, 13), status="resolved")  # stopped, breached for good
    assert schedule(app, tid) == {"response": (None, 3), "resolution": (None, 3)}
    with frozen_now(hel(2030, 1, 1)), db.unit_of_work(app) as sess:
        assert due_clocks(sess, hel(2030, 1, 1)) == []


def test_pause_resume_and_a_target_change_move_the_next_alert(app, world):
    tid = file_assigned(world, hel(2026, 11, 23, 9), 1)[0]
    # Response 120 min: warning 10:36, due 11:00; resolution 480 min: warning 15:24 local.
    assert schedule(app, tid) == {
        "response": ("2026-11-23T08:36:00Z", 0),
        "resolution": ("2026-11-23T13:24:00Z", 0),
    }
    world.comment(tid, hel(2026, 11, 23, 9, 30))  # response met: nothing left
    world.patch(tid, hel(2026, 11, 23, 10), status="waiting_for_customer")
    assert schedule(app, tid) == {"response": (None, 0), "resolution": (None, 0)}  # paused
    world.patch(tid, hel(2026, 11, 24, 10), who="requester", status="in_progress")
    # 60 minutes counted Monday; the warning's 384 minutes are reached Tue 15:24.
    assert schedule(app, tid)["resolution"] == ("2026-11-24T13:24:00Z", 0)
    world.patch(tid, hel(2026, 11, 24, 11), **P2)  # resolution 240 min: warning at 192 min
    ticket = world.get(tid, hel(2026, 11, 24, 11))
    # 120 minutes counted by 11:00; 72 more: Tue 12:12 local.
    assert clock(ticket, "resolution")["warning_at"] == "2026-11-24T10:12:00Z"
    assert schedule(app, tid)["resolution"] == ("2026-11-24T10:12:00Z", 0)
    assert run_sweep(app, hel(2026, 11, 24, 12, 11)) == SweepResult(0, 0)
    assert run_sweep(app, hel(2026, 11, 24, 12, 13)) == SweepResult(1, 0)
    assert schedule(app, tid)["resolution"] == (clock(ticket, "resolution")["due_at"], 1)


def test_a_clock_that_stops_after_its_due_instant_unswept_keeps_its_true_breach_instant(
    app, world
):
    tid = file_assigned(world, hel(2026, 11, 23, 9), 1)[0]
    world.comment(tid, hel(2026, 11, 23, 13))  # the response was due at 11:00; no sweep ran
    # First its missed warning (10:36), then its breach: both still to record.
    assert schedule(app, tid)["response"] == ("2026-11-23T08:36:00Z", 0)
    assert run_sweep(app, hel(2026, 11, 23, 13, 1)) == SweepResult(1, 1, silent=1)
    assert schedule(app, tid)["response"] == (None, 3)
    explained = world.explain(tid, hel(2026, 11, 23, 13, 2))
    assert [(a["kind"], a["at"]) for a in clock(explained, "response")["alerts"]] == [
        ("warning", "2026-11-23T08:36:00Z"),
        ("breach", "2026-11-23T09:00:00Z"),
    ]
