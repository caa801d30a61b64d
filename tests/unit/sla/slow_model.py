"""An obviously-correct, slow model of SLA.md, to check `sla.calendar` and `sla.clock` against.

It steps one minute at a time through real (UTC) time and asks, for each minute, whether its
local wall-clock time is open. It shares no code with the engine: it reads only the public
fields of a `Calendar` and asks the `holidays` package itself. It is exact when every instant,
opening hour and UTC offset lies on a whole minute, which the generated cases ensure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from functools import cache
from zoneinfo import ZoneInfo

import holidays

from sla.calendar import Calendar
from sla.clock import ClockEvent, ClockState, EventType

MINUTE = timedelta(minutes=1)
#: The model gives up (a test failure) rather than step for ever.
MAX_STEPS = 200_000


@cache
def holiday_set(country: str, year: int) -> frozenset[date]:
    days = set(holidays.country_holidays(country, years=year))
    if country == "FI":  # SLA.md: Midsummer Eve (Friday of 19-25 June) and Christmas Eve
        days |= {date(year, 6, d) for d in range(19, 26) if date(year, 6, d).weekday() == 4}
        days.add(date(year, 12, 24))
    return frozenset(days)


def minutes_delta(minutes: Fraction | int) -> timedelta:
    microseconds = Fraction(minutes) * 60_000_000
    assert microseconds.denominator == 1
    return timedelta(microseconds=int(microseconds))


def minute_of_day(value: time, *, end: bool = False) -> int:
    if end and value == time.max:
        return 24 * 60
    return value.hour * 60 + value.minute


def hours_of(cal: Calendar, day: date) -> tuple[tuple[time, time], ...]:
    weekly = cal.hours[day.weekday()]
    if day in cal.open_dates:
        return weekly or next(h for h in cal.hours if h)
    if day in cal.closed_dates:
        return ()
    if cal.holidays is not None and day in holiday_set(cal.holidays, day.year):
        return ()
    return weekly


def is_open(cal: Calendar, moment: datetime) -> bool:
    """Is the minute starting at ``moment`` open?"""
    if cal.always:
        return True
    local = moment.astimezone(ZoneInfo(cal.timezone))
    minute = local.hour * 60 + local.minute
    return any(
        minute_of_day(start) <= minute < minute_of_day(end, end=True)
        for start, end in hours_of(cal, local.date())
    )


def business_minutes(cal: Calendar, start: datetime, end: datetime) -> int:
    count, moment = 0, start.astimezone(UTC)  # step real time: UTC, not wall time
    while moment < end:
        count += is_open(cal, moment)
        moment += MINUTE
    return count


def due(cal: Calendar, start: datetime, minutes: Fraction | int) -> datetime:
    """Earliest instant where the open minutes counted from ``start`` reach ``minutes``."""
    if minutes == 0:
        return start.astimezone(UTC)
    counted, moment = 0, start.astimezone(UTC)
    for _ in range(MAX_STEPS):
        if is_open(cal, moment):
            if counted + 1 >= minutes:
                return (moment + minutes_delta(minutes - counted)).astimezone(UTC)
            counted += 1
        moment += MINUTE
    raise AssertionError("model: due instant too far away")


def next_opening(cal: Calendar, at: datetime) -> datetime:
    moment = at.astimezone(UTC)
    for _ in range(MAX_STEPS):
        if is_open(cal, moment):
            return moment.astimezone(UTC)
        moment += MINUTE
    raise AssertionError("model: no opening in sight")


@dataclass
class ModelClock:
    state: ClockState
    elapsed_minutes: int
    target_minutes: int
    due_at: datetime | None
    warning_at: datetime | None
    breach_at: datetime | None


def clock(
    cal: Calendar,
    target_minutes: int,
    events: list[ClockEvent],
    at: datetime,
    warning_percent: int = 80,
) -> ModelClock:
    """Replay valid events minute by minute up to ``at`` (SLA.md "Clock life")."""
    events = [e for e in events if e.at <= at]
    start = events[0].at.astimezone(UTC)  # step real time: UTC, not wall time
    state, target, stop_at = "new", target_minutes, None
    running: list[tuple[datetime, bool]] = []  # each running minute: (its start, open?)
    moment, index = start, 0
    while True:
        while index < len(events) and events[index].at == moment:
            event = events[index]
            index += 1
            if event.type is EventType.TARGET_CHANGE:
                assert event.target_minutes is not None
                target = event.target_minutes
            elif event.type in (EventType.START, EventType.RESUME):
                state = "running"
            elif event.type is EventType.PAUSE:
                state = "paused"
            elif event.type is EventType.STOP:
                state, stop_at = "stopped", moment
            elif event.type is EventType.CANCEL:
                state = "cancelled"
        if moment >= at:
            break
        if state == "running":
            running.append((moment, is_open(cal, moment)))
        moment += MINUTE

    elapsed = sum(1 for _, open_ in running if open_)

    def reached(goal: Fraction) -> datetime | None:
        if goal == 0:
            return start.astimezone(UTC)
        counted = 0
        for minute, open_ in running:
            if open_:
                if counted + 1 >= goal:
                    return (minute + minutes_delta(goal - counted)).astimezone(UTC)
                counted += 1
        return None

    due_at = reached(Fraction(target))
    breach_at = None
    if due_at is not None:
        breach_at = next((m.astimezone(UTC) for m, _ in running if m >= due_at), None)
    elif state == "running":
        due_at = due(cal, at, target - elapsed)
    elif state == "stopped":
        assert stop_at is not None
        due_at = due(cal, stop_at, target - elapsed)
    warning_goal = Fraction(target * warning_percent, 100)
    warning_at = reached(warning_goal)
    if warning_at is None and state == "running":
        warning_at = due(cal, at, warning_goal - elapsed)

    if state == "cancelled":
        result, due_at, warning_at, breach_at = ClockState.CANCELLED, None, None, None
    elif breach_at is not None:
        result = ClockState.BREACHED
    elif state == "paused":
        result, due_at = ClockState.PAUSED, None
    elif state == "stopped":
        result = ClockState.MET
    else:
        result = ClockState.RUNNING
    return ModelClock(result, elapsed, target, due_at, warning_at, breach_at)
