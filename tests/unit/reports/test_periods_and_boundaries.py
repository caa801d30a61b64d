"""Periods in Helsinki time and the month-end boundaries of compliance."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from servicedesk.reports.compliance import ClockFact, Tally, counted, passed, tally_by
from servicedesk.reports.periods import PeriodError, months_ending, parse

HKI = ZoneInfo("Europe/Helsinki")
NOW = datetime(2027, 6, 1, tzinfo=UTC)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=HKI).astimezone(UTC)


def fact(
    state: str,
    *,
    stopped: datetime | None = None,
    breach: datetime | None = None,
    due: datetime | None = None,
    evaluated: datetime | None = None,
) -> ClockFact:
    return ClockFact(
        1,
        1,
        "resolution",
        0,
        7,
        state,
        due,
        breach,
        stopped,
        evaluated or datetime(2026, 1, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("text", "first", "last", "start", "end"),
    [
        ("2026-11", date(2026, 11, 1), date(2026, 11, 30), "2026-10-31T22:00", "2026-11-30T22:00"),
        # DST starts on 29 March (+02 -> +03), ends on 25 October (+03 -> +02).
        ("2026-03", date(2026, 3, 1), date(2026, 3, 31), "2026-02-28T22:00", "2026-03-31T21:00"),
        ("2026-10", date(2026, 10, 1), date(2026, 10, 31), "2026-09-30T21:00", "2026-10-31T22:00"),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31), "2026-09-30T21:00", "2026-12-31T22:00"),
        ("2026", date(2026, 1, 1), date(2026, 12, 31), "2025-12-31T22:00", "2026-12-31T22:00"),
        (
            "2026-11-05..2026-11-05",
            date(2026, 11, 5),
            date(2026, 11, 5),
            "2026-11-04T22:00",
            "2026-11-05T22:00",
        ),
    ],
)
def test_periods_are_local_days_as_utc_bounds(text, first, last, start, end) -> None:
    p = parse(text)
    assert (p.first, p.last) == (first, last)
    assert p.start == datetime.fromisoformat(start + "+00:00")
    assert p.end == datetime.fromisoformat(end + "+00:00")


@pytest.mark.parametrize(
    "text",
    [
        "2026-13",
        "2026-00",
        "2026-Q5",
        "26",
        "2026-11-31..2026-12-01",
        "nov",
        "2026-12-01..2026-11-01",
        "1999",
        "2020-01-01..2026-01-01",
        "",
        "2026-1",
    ],
)
def test_bad_periods_are_refused(text: str) -> None:
    with pytest.raises(PeriodError):
        parse(text)


def test_the_trend_is_twelve_months_across_a_year_end() -> None:
    labels = [m.label for m in months_ending(date(2026, 2, 28))]
    assert labels[0] == "2025-03" and labels[-1] == "2026-02" and len(labels) == 12


@pytest.mark.parametrize("month", [3, 10, 11])
def test_a_stop_at_235959_is_in_the_month_and_at_midnight_in_the_next(month: int) -> None:
    last_day = parse(f"2026-{month:02d}").last
    this, nxt = parse(f"2026-{month:02d}"), parse(f"2026-{month + 1:02d}")
    late = fact("met", stopped=local(2026, month, last_day.day, 23, 59, 59))
    midnight = fact(
        "breached", stopped=local(2026, month + 1, 1, 0, 0, 0), breach=local(2026, month, 20)
    )
    for period, want in ((this, Tally(1, 0)), (nxt, Tally(0, 1))):
        got = tally_by([late, midnight], lambda f: 0, period.start, period.end, NOW)
        assert got[0] == want


def test_running_clocks_breach_in_the_month_of_their_breach_instant() -> None:
    due = local(2026, 10, 31, 23, 30)
    running = fact("running", due=due, evaluated=local(2026, 10, 20))
    assert counted(running, NOW) == ("breached", due)
    assert counted(running, due) is None  # not yet run strictly past it
    cached_breach = fact("breached", breach=local(2026, 11, 1, 0, 0))
    oct_, nov = parse("2026-10"), parse("2026-11")
    got_oct = tally_by([running, cached_breach], lambda f: 0, oct_.start, oct_.end, NOW)
    got_nov = tally_by([running, cached_breach], lambda f: 0, nov.start, nov.end, NOW)
    assert got_oct[0] == Tally(0, 1) and got_nov[0] == Tally(0, 1)


def test_cancelled_paused_and_not_yet_due_clocks_count_nowhere() -> None:
    year = parse("2026")
    clocks = [
        fact("cancelled", stopped=local(2026, 5, 5)),
        fact("paused"),
        fact("running", due=datetime(2027, 9, 1, tzinfo=UTC)),
    ]
    assert tally_by(clocks, lambda f: 0, year.start, year.end, NOW) == {}


def test_percent_and_pass_are_exact() -> None:
    assert Tally(19, 1).percent == 95 and passed(Tally(19, 1), 95) is True
    assert Tally(2, 1).percent == parse_decimal("66.67")
    assert passed(Tally(189, 10), 95) is False  # 94.97 %, not rounded up to a pass
    assert Tally().percent is None and passed(Tally(), 95) is None


def parse_decimal(text: str):
    from decimal import Decimal

    return Decimal(text)
