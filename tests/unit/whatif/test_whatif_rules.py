"""The what-if's pure rules: the window, the replay's clocks, the comparison and charges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from catalog.agreements.replay import History, Step, replay
from catalog.agreements.whatif import TicketCase, charges, compare
from catalog.agreements.whatif_queries import window
from catalog.promises import PromiseLine
from servicedesk.charges.statement import Period, PriceLine, TicketFact, VersionTerms
from sla.calendar import Calendar
from sla.clock import EventType

T0 = datetime(2026, 11, 2, 8, tzinfo=UTC)
CALENDARS = {1: Calendar(always=True)}


def line(lid: int, priority: str = "P3", response: int = 60, resolution: int = 240) -> PromiseLine:
    return PromiseLine(
        id=lid,
        priority=priority,
        response_minutes=response,
        resolution_minutes=resolution,
        calendar_id=1,
    )


def status(minutes: int, before: str, after: str) -> Step:
    return Step(
        T0 + timedelta(minutes=minutes), "update", {"status": {"before": before, "after": after}}
    )


@pytest.mark.parametrize(
    ("until", "months", "first"),
    [
        (date(2026, 11, 30), 12, date(2025, 12, 1)),
        (date(2026, 11, 30), 1, date(2026, 11, 1)),
        (date(2026, 11, 15), 1, date(2026, 10, 16)),
        (date(2026, 3, 30), 1, date(2026, 3, 1)),  # 30.3 -> from the day after 28.2
        (date(2026, 2, 28), 24, date(2024, 3, 1)),
    ],
)
def test_window(until: date, months: int, first: date) -> None:
    period = window(until, months)
    assert (period.starts_on, period.ends_on) == (first, until)


def test_replay_pauses_resumes_stops_and_reopens() -> None:
    history = History(
        1,
        T0,
        "P3",
        None,
        "incident",
        (
            Step(T0 + timedelta(minutes=20), "reply"),
            status(20, "assigned", "waiting_for_customer"),
            status(80, "waiting_for_customer", "in_progress"),
            status(100, "in_progress", "resolved"),
            status(130, "resolved", "in_progress"),
            status(150, "in_progress", "resolved"),
        ),
    )
    clocks = {c.kind: c for c in replay(history, [line(7)], {})}
    assert [e.type for e in clocks["response"].events] == [EventType.START, EventType.STOP]
    assert [e.type for e in clocks["resolution"].events] == [
        EventType.START,
        EventType.PAUSE,
        EventType.RESUME,
        EventType.STOP,
        EventType.RESUME,
        EventType.STOP,
    ]
    assert replay(history, [line(7, priority="P2")], {}) == []  # no promise for P3


def test_a_priority_change_switches_targets_or_starts_retroactively() -> None:
    steps = (
        Step(T0 + timedelta(minutes=30), "update", {"priority": {"before": "P4", "after": "P3"}}),
    )
    history = History(1, T0, "P4", None, "incident", steps)
    clocks = replay(history, [line(7)], {})
    assert [c.events[0].at for c in clocks] == [T0] * 2  # from the receipt (SLA.md)
    clocks = replay(history, [line(7), line(8, "P4", 600, 6000)], {})
    assert clocks[1].events[-1].type is EventType.TARGET_CHANGE
    assert clocks[1].events[-1].target_minutes == 240


def test_a_change_to_no_promise_cancels_or_keeps_a_breach_and_back_starts_a_new_cycle() -> None:
    """P3 (24x7: response 60, resolution 240) at T0; P4 (no line) at +90 min: the response
    (due +60) stays breached, the resolution is cancelled; P3 again at +120 min: only the
    resolution starts again, from the receipt, in cycle 1."""

    def priority(minutes: int, before: str, after: str) -> Step:
        change = {"priority": {"before": before, "after": after}}
        return Step(T0 + timedelta(minutes=minutes), "update", change)

    steps = (priority(90, "P3", "P4"), priority(120, "P4", "P3"))
    history = History(1, T0, "P3", None, "incident", steps)
    with pytest.raises(LookupError):
        replay(history, [line(7)], {})  # the past-due question needs the calendars
    clocks = replay(history, [line(7)], {}, CALENDARS)
    assert [(c.kind, c.cycle, c.phase) for c in clocks] == [
        ("response", 0, "stopped"),
        ("resolution", 0, "cancelled"),
        ("resolution", 1, "running"),
    ]
    assert clocks[2].events[0].at == T0


def test_compare_lists_changed_outcomes_and_tallies_per_line() -> None:
    fixed_in_3h = History(1, T0, "P3", None, "incident", (status(180, "assigned", "resolved"),))
    case = TicketCase(
        1, "2026-000001", "<b>Wilma</b>", fixed_in_3h, {"response": "met", "resolution": "met"}
    )
    period = Period("p", date(2026, 11, 1), date(2026, 11, 30))
    money = charges(
        1, period, [], _terms(), [TicketFact(1, 5, date(2026, 11, 2), "resolved")], [], []
    )
    now = T0 + timedelta(days=1)
    result = compare([case], [line(7, resolution=120)], {}, CALENDARS, now, money)
    rows = {r.kind: r for r in result.lines}
    assert (rows["resolution"].actual.met, rows["resolution"].replayed.breached) == (1, 1)
    assert rows["resolution"].replayed.percent == Decimal("0.00")
    # Resolving stops the response clock too: 180 min > 60 is breached as well.
    assert {(c.kind, c.actual, c.replayed) for c in result.changes} == {
        ("response", "met", "breached"),
        ("resolution", "met", "breached"),
    }
    same = compare([case], [line(7, resolution=240, response=200)], {}, CALENDARS, now, money)
    assert same.changes == ()
    assert (money[0].total, money[1].total, result.charges_difference) == (
        Decimal("0.00"),
        Decimal("30.00"),
        Decimal("30.00"),
    )


def _terms() -> VersionTerms:
    """A version dated long after the window whose per-ticket price still counts over it."""
    return VersionTerms(
        9,
        2,
        date(2030, 1, 1),
        None,
        "monthly",
        (PriceLine(5, "S5", date(2030, 1, 1), "per_ticket", Decimal("30.00")),),
    )
