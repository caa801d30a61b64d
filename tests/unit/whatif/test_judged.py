"""The what-if's quick judgement of a replayed clock gives the engine's answer, always.

`whatif.judged` answers a start-stop clock from the due instant alone and hands every other
clock to `sla.clock.evaluate`; here both judge thousands of generated clocks: office hours and
24x7, DST switch days, holidays, zero and tiny targets, stops exactly at the due instant and at
closing time, stops after "now", and the shapes that must go to the engine."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest

from catalog.agreements.replay import ReplayedClock
from catalog.agreements.whatif import _outcome, judged
from catalog.promises import PromiseLine
from sla.calendar import Calendar, due_instant
from sla.clock import ClockEvent, EventType, evaluate

CALENDARS = (
    Calendar(),  # Mon-Fri 08-16 Helsinki, FI holidays
    Calendar(always=True),
    Calendar(
        timezone="Europe/Stockholm",
        hours=(((time(7), time(11)), (time(12), time(17))),) * 5 + (((time(10), time(14)),), ()),
        holidays="SE",
        closed_dates=frozenset({date(2026, 10, 26)}),
    ),
)
#: Around the DST switches, Midsummer and Christmas 2026, and an ordinary week.
DAYS = (
    datetime(2026, 3, 27, tzinfo=UTC),
    datetime(2026, 6, 17, tzinfo=UTC),
    datetime(2026, 10, 23, tzinfo=UTC),
    datetime(2026, 12, 22, tzinfo=UTC),
    datetime(2026, 11, 16, tzinfo=UTC),
)
NOW = datetime(2027, 1, 20, 12, tzinfo=UTC)


def _line(warning: int = 80) -> PromiseLine:
    return PromiseLine(
        id=1,
        priority="P3",
        response_minutes=60,
        resolution_minutes=240,
        calendar_id=1,
        warning_percent=warning,
    )


def _engine(clock: ReplayedClock, calendar: Calendar, now: datetime) -> str:
    result = evaluate(
        calendar,
        clock.target_minutes,
        clock.events,
        max(now, clock.events[0].at),
        clock.line.warning_percent,
    )
    return _outcome(result.state)


def _clock(target: int, *events: tuple[EventType, datetime]) -> ReplayedClock:
    return ReplayedClock(
        "resolution", _line(), target, [ClockEvent(kind, at) for kind, at in events]
    )


def test_judged_equals_the_engine_on_generated_clocks() -> None:
    rng = random.Random(2026)
    seen: set[str] = set()
    for _ in range(4000):
        calendar = rng.choice(CALENDARS)
        start = rng.choice(DAYS) + timedelta(minutes=rng.randrange(0, 6 * 24 * 60))
        target = rng.choice((0, 1, 15, 60, 240, 480, 1440, 2400, rng.randrange(1, 5000)))
        due = due_instant(calendar, start, timedelta(minutes=target))
        stop = rng.choice(
            (
                due,  # exactly at the due instant: met
                due + timedelta(microseconds=1),
                due - timedelta(minutes=1),
                start,
                start + timedelta(minutes=rng.randrange(0, 20_000)),
            )
        )
        stop = max(stop, start)
        shape = rng.randrange(6)
        if shape <= 2:
            clock = _clock(target, (EventType.START, start), (EventType.STOP, stop))
        elif shape == 3:
            pause = start + (stop - start) / 2
            clock = _clock(
                target,
                (EventType.START, start),
                (EventType.PAUSE, pause),
                (EventType.RESUME, pause + timedelta(hours=rng.randrange(1, 50))),
                (EventType.STOP, max(stop, pause + timedelta(hours=50))),
            )
        elif shape == 4:
            clock = _clock(target, (EventType.START, start), (EventType.CANCEL, stop))
        else:
            clock = _clock(target, (EventType.START, start))
        now = rng.choice((NOW, stop, stop - timedelta(minutes=5), start))
        expected = _engine(clock, calendar, now)
        assert judged(clock, calendar, now) == expected, (calendar, clock, now)
        seen.add(expected)
    assert seen == {"met", "breached", "open", "cancelled"}


def test_a_stop_at_the_due_instant_is_met_and_a_moment_later_breached() -> None:
    calendar = Calendar()
    start = datetime(2026, 11, 23, 13, tzinfo=UTC)  # Mon 15:00 Helsinki
    due = datetime(2026, 11, 24, 7, tzinfo=UTC)  # Tue 09:00 (SLA.md example 1)
    on_time = _clock(120, (EventType.START, start), (EventType.STOP, due))
    late = _clock(120, (EventType.START, start), (EventType.STOP, due + timedelta(seconds=1)))
    assert judged(on_time, calendar, NOW) == _engine(on_time, calendar, NOW) == "met"
    assert judged(late, calendar, NOW) == _engine(late, calendar, NOW) == "breached"


@pytest.mark.parametrize("warning", [0, 101])
def test_a_line_the_engine_refuses_is_refused_alike(warning: int) -> None:
    start = datetime(2026, 11, 23, 8, tzinfo=UTC)
    clock = ReplayedClock(
        "response",
        _line(warning),
        60,
        [ClockEvent(EventType.START, start), ClockEvent(EventType.STOP, start)],
    )
    with pytest.raises(ValueError, match="warning_percent"):
        judged(clock, Calendar(), NOW)
