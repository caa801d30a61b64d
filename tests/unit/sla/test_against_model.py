"""The engine agrees with the slow minute-stepping model (`slow_model`) on generated cases.

Calendars: random weekly hours on whole minutes (often around the DST hours), holiday country
FI, SE or none, random extra closed and open dates near the case, sometimes 24x7. Instants: whole
minutes around both 2026 DST nights, Midsummer, Christmas, New Year and ordinary days, in
Europe/Helsinki, America/New_York and Australia/Lord_Howe (half-hour DST).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sla.calendar import (
    END_OF_DAY,
    Calendar,
    business_time,
    due_instant,
    is_open,
    next_opening,
    open_intervals,
)
from sla.clock import ClockEvent, ClockState, EventType, evaluate
from tests.unit.sla import slow_model

MINUTE = timedelta(minutes=1)
#: Local dates around which cases are generated, per time zone.
BASE_DAYS = {
    "Europe/Helsinki": [
        date(2026, 3, 28),  # DST starts on the 29th
        date(2026, 10, 24),  # DST ends on the 25th
        date(2026, 6, 18),  # Midsummer Eve on the 19th
        date(2026, 12, 23),  # Christmas
        date(2026, 12, 30),  # New Year (and the UTC year boundary)
        date(2026, 11, 23),  # an ordinary Monday
    ],
    "America/New_York": [
        date(2026, 3, 7),  # DST starts on the 8th
        date(2026, 10, 31),  # DST ends on 1 November
        date(2026, 12, 30),
        date(2026, 5, 13),
    ],
    "Australia/Lord_Howe": [  # DST moves the clock by half an hour
        date(2026, 4, 4),  # DST ends on the 5th: 01:30-02:00 happens twice
        date(2026, 10, 3),  # DST starts on the 4th: 02:00-02:30 never happens
    ],
}
PROPERTY = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

boundaries = st.one_of(
    st.sampled_from([0, 120, 180, 210, 240, 300, 480, 720, 960, 1440]),
    st.integers(0, 1440),
)


def as_time(minute: int) -> time:
    return END_OF_DAY if minute == 1440 else time(minute // 60, minute % 60)


@st.composite
def weekly_hours(draw):
    week = []
    for _ in range(7):
        count = draw(st.sampled_from([0, 1, 1, 2]))
        cuts = sorted(draw(st.sets(boundaries, min_size=2 * count, max_size=2 * count)))
        pairs = zip(cuts[::2], cuts[1::2], strict=True)
        week.append(tuple((as_time(a), as_time(b)) for a, b in pairs))
    if not any(week):
        week[0] = ((time(8), time(16)),)
    return tuple(week)


@st.composite
def cases(draw, timezone: str):
    """(calendar, a start instant on a whole minute in UTC, how to show instants)

    The engine takes any aware datetime, so half of the cases show it instants in local time
    (the same instants: only the model steps through UTC).
    """
    base = draw(st.sampled_from(BASE_DAYS[timezone]))
    nearby = st.builds(lambda d: base + timedelta(days=d), st.integers(-2, 12))
    if draw(st.integers(0, 9)) == 0:
        cal = Calendar(timezone=timezone, always=True)
    else:
        cal = Calendar(
            timezone=timezone,
            hours=draw(weekly_hours()),
            holidays=draw(st.sampled_from(["FI", "SE", None])),
            closed_dates=draw(st.frozensets(nearby, max_size=3)),
            open_dates=draw(st.frozensets(nearby, max_size=2)),
        )
    midnight = datetime(base.year, base.month, base.day, tzinfo=ZoneInfo(timezone))
    start = midnight.astimezone(UTC) + draw(st.integers(0, 3 * 1440)) * MINUTE
    shown_in = ZoneInfo(timezone) if draw(st.booleans()) else UTC
    return cal, start, lambda moment: moment.astimezone(shown_in)


def weekly_open_minutes(cal: Calendar) -> int:
    if cal.always:
        return 7 * 1440
    return sum(
        slow_model.minute_of_day(b, end=True) - slow_model.minute_of_day(a)
        for day in cal.hours
        for a, b in day
    )


zones = st.sampled_from(sorted(BASE_DAYS))


@PROPERTY
@given(data=st.data(), timezone=zones, length=st.integers(0, 3 * 1440))
def test_business_time_and_open_intervals_agree_with_the_model(data, timezone, length):
    cal, start, show = data.draw(cases(timezone))
    end = start + length * MINUTE
    expected = slow_model.business_minutes(cal, start, end) * MINUTE
    assert business_time(cal, show(start), show(end)) == expected
    intervals = list(open_intervals(cal, show(start), show(end)))
    assert sum((b - a for a, b in intervals), timedelta(0)) == expected
    for (a, b), (c, _) in pairwise(intervals):
        assert a < b < c  # sorted, disjoint and not touching
    assert all(start <= a and b <= end for a, b in intervals)


@PROPERTY
@given(data=st.data(), timezone=zones)
def test_due_instant_and_next_opening_agree_with_the_model(data, timezone):
    cal, start, show = data.draw(cases(timezone))
    minutes = data.draw(st.integers(0, min(900, weekly_open_minutes(cal))))
    due = due_instant(cal, show(start), minutes * MINUTE)
    assert due == slow_model.due(cal, start, minutes)
    assert due.tzinfo is UTC
    assert next_opening(cal, show(start)) == slow_model.next_opening(cal, start)
    assert is_open(cal, show(start)) == slow_model.is_open(cal, start)


@st.composite
def clock_cases(draw, timezone: str):
    cal, begin, show = draw(cases(timezone))
    limit = max(1, min(900, weekly_open_minutes(cal)))
    events = [ClockEvent(EventType.START, begin)]
    state, moment = "running", begin
    for _ in range(draw(st.one_of(st.integers(0, 7), st.integers(3, 7)))):
        moment += draw(st.one_of(st.integers(0, 120), st.integers(0, 1000))) * MINUTE
        choices = {
            "running": ["pause", "pause", "stop", "stop", "target_change", "cancel"],
            "paused": ["resume", "resume", "stop", "target_change"],
            "stopped": ["resume", "target_change"],
        }[state]
        kind = EventType(draw(st.sampled_from(choices)))
        if kind is EventType.TARGET_CHANGE:
            events.append(ClockEvent(kind, moment, draw(st.integers(0, limit))))
            continue
        events.append(ClockEvent(kind, moment))
        state = {"pause": "paused", "resume": "running", "stop": "stopped"}.get(kind, "cancelled")
        if state == "cancelled":
            break
    span = int((moment - begin) / MINUTE)
    after_all = st.integers(span, span + 600)
    at = begin + draw(st.one_of(st.integers(0, span + 600), after_all, after_all)) * MINUTE
    target = draw(st.integers(0, limit))
    warning_percent = draw(st.sampled_from([80, 100, 50, 1, 33, 75]))
    shown = [ClockEvent(e.type, show(e.at), e.target_minutes) for e in events]
    return cal, target, events, shown, at, warning_percent


@settings(PROPERTY, max_examples=400)
@given(data=st.data(), timezone=zones)
def test_clock_agrees_with_the_model(data, timezone):
    cal, target, events, shown, at, warning_percent = data.draw(clock_cases(timezone))
    result = evaluate(cal, target, shown, at, warning_percent)
    event(f"{result.state}")
    model = slow_model.clock(cal, target, events, at, warning_percent)
    assert result.state == model.state
    assert result.elapsed == model.elapsed_minutes * MINUTE
    assert result.target == model.target_minutes * MINUTE
    assert result.remaining == max(model.target_minutes - model.elapsed_minutes, 0) * MINUTE
    assert result.due_at == model.due_at
    assert result.warning_at == model.warning_at
    assert result.breach_at == model.breach_at
    assert sum((b - a for a, b in result.intervals), timedelta(0)) == result.elapsed


@settings(PROPERTY, max_examples=100)
@given(data=st.data(), timezone=zones)
def test_clock_stopped_at_its_due_instant_is_met_and_a_minute_later_breached(data, timezone):
    cal, start, show = data.draw(cases(timezone))
    target = data.draw(st.integers(0, min(900, weekly_open_minutes(cal))))
    due = slow_model.due(cal, start, target)
    later = due + timedelta(days=30)
    begin = ClockEvent(EventType.START, show(start))
    met = evaluate(cal, target, [begin, ClockEvent(EventType.STOP, show(due))], later)
    assert (met.state, met.due_at, met.breach_at) == (ClockState.MET, due, None)
    late_stop = ClockEvent(EventType.STOP, show(due + MINUTE))
    breached = evaluate(cal, target, [begin, late_stop], later)
    assert (breached.state, breached.due_at) == (ClockState.BREACHED, due)
    assert breached.breach_at == due
