"""When the monthly report is due: 07:00 Helsinki on the first business day (weekends and
Finnish public holidays excluded), catching up on the next two business days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from servicedesk.reports.monthly_schedule import due_month, first_business_day

HKI = ZoneInfo("Europe/Helsinki")


def hki(*args: int) -> datetime:
    return datetime(*args, tzinfo=HKI)


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        (2026, 1, date(2026, 1, 2)),  # New Year's Day is a Thursday
        (2027, 1, date(2027, 1, 4)),  # New Year's Day on a Friday, then a weekend
        (2028, 1, date(2028, 1, 3)),  # the 1st a Saturday, the 2nd a Sunday
        (2025, 5, date(2025, 5, 2)),  # May Day on a Thursday
        (2026, 5, date(2026, 5, 4)),  # May Day on a Friday, then a weekend
        (2027, 5, date(2027, 5, 3)),  # May Day on a Saturday
        (2029, 4, date(2029, 4, 3)),  # Easter Monday on the 2nd (Easter Sunday the 1st)
        (2067, 4, date(2067, 4, 5)),  # Good Friday on the 1st, Easter Monday on the 4th
        (2026, 8, date(2026, 8, 3)),  # a weekend
        (2026, 11, date(2026, 11, 2)),  # the 1st a Sunday
        (2026, 12, date(2026, 12, 1)),  # a plain Tuesday
        (2026, 6, date(2026, 6, 1)),  # Midsummer is later in the month
    ],
)
def test_the_first_business_day_skips_weekends_and_finnish_holidays(year, month, expected):
    assert first_business_day(year, month) == expected


def test_every_month_of_a_century_agrees_with_the_holidays_package_counted_by_hand():
    """Brute force with no shared code: the first weekday of the month that the `holidays`
    package does not list for Finland (Midsummer Eve and Christmas Eve, which SLA.md adds,
    never fall on days 1-7)."""
    for year in range(2000, 2100):
        finnish = holidays.country_holidays("FI", years=year)
        for month in range(1, 13):
            day = date(year, month, 1)
            while day.weekday() >= 5 or day in finnish:
                day += timedelta(days=1)
            assert first_business_day(year, month) == day, (year, month)
            assert day.day <= 5  # 2067-04-05: Good Friday on the 1st, Easter Monday the 4th


def test_the_report_is_due_from_seven_on_the_first_business_day_for_the_month_before():
    assert due_month(hki(2026, 12, 1, 6, 59)) is None
    assert due_month(hki(2026, 12, 1, 7, 0)) == "2026-11"
    assert due_month(hki(2026, 12, 1, 23, 30)) == "2026-11"
    # The same instant in UTC (05:00Z is 07:00 in Helsinki in winter).
    assert due_month(datetime(2026, 12, 1, 4, 59, tzinfo=UTC)) is None
    assert due_month(datetime(2026, 12, 1, 5, 0, tzinfo=UTC)) == "2026-11"
    # Summer time: 07:00 EEST is 04:00Z.
    assert due_month(datetime(2026, 6, 1, 4, 0, tzinfo=UTC)) == "2026-05"
    assert due_month(datetime(2026, 6, 1, 3, 59, tzinfo=UTC)) is None


def test_january_waits_for_the_first_business_day_after_new_year():
    assert due_month(hki(2027, 1, 1, 7)) is None  # New Year's Day (a Friday)
    assert due_month(hki(2027, 1, 2, 12)) is None  # Saturday
    assert due_month(hki(2027, 1, 3, 12)) is None  # Sunday
    assert due_month(hki(2027, 1, 4, 7)) == "2026-12"  # Monday
    assert due_month(hki(2026, 1, 2, 7)) == "2025-12"  # a Friday after a Thursday New Year


def test_a_missed_run_catches_up_on_the_next_two_business_days_and_not_later():
    # First business day Mon 4 Jan 2027; Epiphany (Wed 6 Jan) is a holiday, not counted.
    assert due_month(hki(2027, 1, 5, 7)) == "2026-12"
    assert due_month(hki(2027, 1, 6, 12)) is None
    assert due_month(hki(2027, 1, 7, 7)) == "2026-12"
    assert due_month(hki(2027, 1, 8, 7)) is None
    assert due_month(hki(2027, 1, 15, 7)) is None
    # Early on a catch-up day is fine: the day's 07:00 is not waited for again.
    assert due_month(hki(2026, 12, 2, 0, 30)) == "2026-11"


def test_any_other_day_is_not_due():
    for day in range(4, 32):
        assert due_month(hki(2026, 12, day, 12)) is None, day
    assert due_month(hki(2026, 5, 1, 12)) is None  # May Day
    assert due_month(hki(2026, 5, 2, 12)) is None  # Saturday


def test_a_naive_instant_is_refused():
    with pytest.raises(ValueError, match="aware"):
        due_month(datetime(2026, 12, 1, 7))
