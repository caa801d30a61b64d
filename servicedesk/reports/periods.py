"""Report periods: a month, quarter, year or date range in Helsinki local time, as the
half-open UTC interval ``[start, end)`` the report counts in (SLA.md: periods are local)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: A range longer than this is refused: a report is for follow-up, not archaeology.
MAX_DAYS = 366 * 3
MIN_YEAR, MAX_YEAR = 2000, 2999


class PeriodError(ValueError):
    """A period that cannot be read; the message says why, for the person who wrote it."""


@dataclass(frozen=True)
class Period:
    """Local days ``first`` .. ``last`` (inclusive), and their UTC bounds."""

    label: str
    first: date
    last: date

    @property
    def start(self) -> datetime:
        return local_midnight(self.first)

    @property
    def end(self) -> datetime:
        return local_midnight(self.last + timedelta(days=1))

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


def local_midnight(day: date) -> datetime:
    """00:00 Helsinki time on `day`, in UTC (midnight exists on every Finnish day)."""
    return datetime.combine(day, time(0), HELSINKI).astimezone(UTC)


def month(year: int, number: int) -> Period:
    first = date(year, number, 1)
    nxt = date(year + number // 12, number % 12 + 1, 1)
    return Period(f"{year:04d}-{number:02d}", first, nxt - timedelta(days=1))


def months_ending(last: date, count: int = 12) -> list[Period]:
    """The `count` calendar months ending with the month of `last`, oldest first."""
    index = last.year * 12 + last.month - 1
    return [month(i // 12, i % 12 + 1) for i in range(index - count + 1, index + 1)]


def _day(text: str) -> date:
    if not _DAY.match(text):
        raise PeriodError(f"{text!r} is not a date (YYYY-MM-DD).")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise PeriodError(f"{text!r} is not a date: {exc}.") from None


def _check_year(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodError(f"A report's year is {MIN_YEAR}-{MAX_YEAR}.")
    return year


def date_range(first: date, last: date) -> Period:
    _check_year(first.year)
    _check_year(last.year)
    if last < first:
        raise PeriodError("The range ends before it starts.")
    if (last - first).days >= MAX_DAYS:
        raise PeriodError(f"A range may cover at most {MAX_DAYS} days.")
    return Period(f"{first.isoformat()}..{last.isoformat()}", first, last)


def parse(text: str) -> Period:
    """ "2026-11", "2026-Q4", "2026" or "2026-11-01..2026-11-30" (both days included)."""
    text = text.strip()
    if m := _MONTH.match(text):
        year, number = int(m[1]), int(m[2])
        if not 1 <= number <= 12:
            raise PeriodError(f"{text!r}: no such month.")
        _check_year(year)
        return month(year, number)
    if m := _QUARTER.match(text):
        year, q = int(m[1]), int(m[2])
        _check_year(year)
        return Period(text, month(year, 3 * q - 2).first, month(year, 3 * q).last)
    if m := _YEAR.match(text):
        year = _check_year(int(m[1]))
        return Period(text, date(year, 1, 1), date(year, 12, 31))
    if ".." in text:
        first, _, last = text.partition("..")
        return date_range(_day(first), _day(last))
    raise PeriodError(
        f"{text!r} is not a period: use 2026-11, 2026-Q4, 2026 or 2026-11-01..2026-11-30."
    )
