"""How fast is the calendar arithmetic? Run: python bench/bench_calendar.py

Prints microseconds per call of `due_instant` a year ahead and of `business_time` over a year,
on a busy calendar (Mon-Fri 08:00-11:30 and 12:00-16:15, FI holidays, a handful of closed dates),
with the per-year layout cached ("warm", the steady state of a running service) and with every
cache cleared before each call ("cold", the first call for a new calendar and year), plus a
24x7 calendar and a whole clock evaluation for scale.
"""

from __future__ import annotations

import platform
import sys
import timeit
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sla import calendar as calendar_module
from sla.calendar import Calendar, business_time, due_instant
from sla.clock import ClockEvent, EventType, evaluate

HELSINKI = ZoneInfo("Europe/Helsinki")
DAY = ((time(8), time(11, 30)), (time(12), time(16, 15)))
BUSY = Calendar(
    timezone="Europe/Helsinki",
    hours=(DAY, DAY, DAY, DAY, DAY, (), ()),
    holidays="FI",
    closed_dates=frozenset(
        {date(2026, 5, 15), date(2026, 12, 31), date(2027, 1, 5), date(2027, 4, 30)}
    ),
)
ALWAYS = Calendar(always=True)
START = datetime(2026, 3, 2, 9, 17, tzinfo=HELSINKI)
YEAR_OF_BUSINESS = business_time(BUSY, START, START + timedelta(days=365))
YEAR = timedelta(days=365)


def clear_caches() -> None:
    calendar_module._year_table.cache_clear()
    calendar_module._offset_spans.cache_clear()
    calendar_module._holiday_dates.cache_clear()


def per_call_us(function, number: int, cold: bool = False) -> float:
    if cold:
        total = 0.0
        for _ in range(number):
            clear_caches()
            total += timeit.timeit(function, number=1)
        return total / number * 1e6
    function()
    best = min(timeit.repeat(function, number=number, repeat=5))
    return best / number * 1e6


def main() -> None:
    due = due_instant(BUSY, START, YEAR_OF_BUSINESS)
    assert business_time(BUSY, START, due) == YEAR_OF_BUSINESS
    events = [
        ClockEvent(EventType.START, START),
        ClockEvent(EventType.PAUSE, START + timedelta(days=2)),
        ClockEvent(EventType.RESUME, START + timedelta(days=9)),
        ClockEvent(EventType.TARGET_CHANGE, START + timedelta(days=10), 60 * 400),
    ]
    at = START + timedelta(days=20)
    cases = [
        (
            "due_instant, busy calendar, a year ahead",
            lambda: due_instant(BUSY, START, YEAR_OF_BUSINESS),
        ),
        (
            "business_time, busy calendar, over a year",
            lambda: business_time(BUSY, START, START + YEAR),
        ),
        ("due_instant, 24x7, a year ahead", lambda: due_instant(ALWAYS, START, YEAR)),
        ("business_time, 24x7, over a year", lambda: business_time(ALWAYS, START, START + YEAR)),
        ("evaluate, busy calendar, 4 events", lambda: evaluate(BUSY, 60 * 300, events, at)),
    ]
    print(f"Python {platform.python_version()} on {platform.machine()}")
    print(f"busy calendar: {YEAR_OF_BUSINESS} of business time in the year from {START}")
    print(f"due a year ahead: {due.isoformat()}")
    print(f"{'':46} {'warm µs/call':>13} {'cold µs/call':>13}")
    for name, function in cases:
        warm = per_call_us(function, number=2000)
        cold = per_call_us(function, number=20, cold=True)
        print(f"{name:46} {warm:13.1f} {cold:13.1f}")


if __name__ == "__main__":
    main()
