"""The eight worked examples of SLA.md, through `due_instant` and through `evaluate`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla.calendar import Calendar, business_time, due_instant
from sla.clock import ClockEvent, ClockState, EventType, evaluate

HELSINKI = ZoneInfo("Europe/Helsinki")
OFFICE = Calendar.office_hours()  # Mon-Fri 08:00-16:00 Europe/Helsinki, FI holidays
ALWAYS = Calendar(always=True)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=HELSINKI)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# (calendar, received, target minutes, pauses, due in UTC as SLA.md writes it)
# fmt: off
EXAMPLES = [
    pytest.param(
        OFFICE, local(2026, 11, 23, 15), 120, [], "2026-11-24T07:00Z",
        id="1-received-monday-15-00-is-due-tuesday-09-00",
    ),
    pytest.param(
        OFFICE, local(2026, 11, 28, 10), 240, [], "2026-11-30T10:00Z",
        id="2-received-on-saturday-is-due-monday-noon",
    ),
    pytest.param(
        OFFICE, local(2026, 12, 23, 12), 480, [], "2026-12-28T10:00Z",
        id="3-christmas-24th-to-26th-is-skipped",
    ),
    pytest.param(
        ALWAYS, local(2026, 3, 28, 12), 1440, [], "2026-03-29T10:00Z",
        id="4-24x7-day-of-spring-forward-has-23-hours",
    ),
    pytest.param(
        OFFICE, local(2026, 11, 23, 9), 480,
        [(local(2026, 11, 23, 10), local(2026, 11, 24, 10))], "2026-11-25T07:00Z",
        id="5-a-day-waiting-for-the-customer-is-not-counted",
    ),
    pytest.param(
        OFFICE, local(2026, 11, 23, 12), 240, [], "2026-11-23T14:00Z",
        id="6-target-used-up-at-closing-is-due-at-closing",
    ),
    pytest.param(
        ALWAYS, local(2026, 10, 24, 12), 1440, [], "2026-10-25T09:00Z",
        id="7-24x7-day-of-fall-back-has-25-hours",
    ),
    pytest.param(
        OFFICE, local(2026, 6, 18, 15, 30), 60, [], "2026-06-22T05:30Z",
        id="8-midsummer-eve-is-a-holiday",
    ),
]
# fmt: on


@pytest.mark.parametrize(("cal", "received", "minutes", "pauses", "due"), EXAMPLES)
def test_worked_example_is_due_when_sla_md_says_through_due_instant(
    cal, received, minutes, pauses, due
):
    start, remaining = received, timedelta(minutes=minutes)
    for pause, resume in pauses:
        remaining -= business_time(cal, start, pause)
        start = resume
    result = due_instant(cal, start, remaining)
    assert result == utc(due)
    assert result.tzinfo is UTC


def clock_events(received, pauses):
    events = [ClockEvent(EventType.START, received)]
    for pause, resume in pauses:
        events += [ClockEvent(EventType.PAUSE, pause), ClockEvent(EventType.RESUME, resume)]
    return events


@pytest.mark.parametrize(("cal", "received", "minutes", "pauses", "due"), EXAMPLES)
def test_worked_example_is_due_when_sla_md_says_through_the_clock(
    cal, received, minutes, pauses, due
):
    events = clock_events(received, pauses)
    last = events[-1].at

    projected = evaluate(cal, minutes, events, last)
    assert projected.state is ClockState.RUNNING
    assert projected.due_at == utc(due)

    at_due = evaluate(cal, minutes, events, utc(due))
    assert at_due.state is ClockState.RUNNING
    assert at_due.elapsed == timedelta(minutes=minutes)
    assert at_due.remaining == timedelta(0)
    assert at_due.due_at == utc(due)

    late = evaluate(cal, minutes, events, utc(due) + timedelta(minutes=1))
    assert late.state is ClockState.BREACHED
    assert late.breach_at == utc(due)

    stopped = evaluate(cal, minutes, [*events, ClockEvent(EventType.STOP, utc(due))], utc(due))
    assert stopped.state is ClockState.MET
    assert stopped.due_at == utc(due)
    assert stopped.breach_at is None
