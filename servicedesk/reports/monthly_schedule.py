"""When the monthly report goes out: 07:00 Helsinki on the first business day of the month
(weekends and Finnish public holidays excluded), for the month before. Pure: dates in,
answers out.

A scheduler that was down at 07:00 catches up: the report is due from 07:00 on the first
business day through the end of the `CATCH_UP_BUSINESS_DAYS` business days after it, and
only for the previous month. Delivery is exactly once per organisation and month
(`servicedesk.reports.monthly`), so running on each of those days is safe; a later outage
is the operator's: `servicedesk report monthly --month YYYY-MM`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sla.calendar import Calendar

HELSINKI = ZoneInfo("Europe/Helsinki")
#: The hour (Helsinki time) the report goes out on its day.
SEND_AT = time(7, 0)
#: After the first business day, on how many more business days a missed run still sends.
CATCH_UP_BUSINESS_DAYS = 2


@lru_cache(maxsize=1)
def _office() -> Calendar:
    # The office calendar knows the Finnish public holidays as SLA.md defines them
    # (the `holidays` package plus Midsummer Eve and Christmas Eve).
    return Calendar.office_hours()


def is_business_day(day: date) -> bool:
    """Monday to Friday and not a Finnish public holiday."""
    return day.weekday() < 5 and not _office().is_holiday(day)


def first_business_day(year: int, month: int) -> date:
    """The first business day of the month (1 January is a holiday: never the 1st)."""
    day = date(year, month, 1)
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def previous_month(day: date) -> str:
    """ "YYYY-MM" of the month before `day`'s month."""
    last = day.replace(day=1) - timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


def is_first_business_day(day: date) -> bool:
    return day == first_business_day(day.year, day.month)


def due_month(now: datetime) -> str | None:
    """The month whose reports are due at `now` (aware), or None: from 07:00 Helsinki on the
    month's first business day through its `CATCH_UP_BUSINESS_DAYS` next business days."""
    if now.tzinfo is None:
        raise ValueError("due_month needs an aware datetime")
    local = now.astimezone(HELSINKI)
    today = local.date()
    first = first_business_day(today.year, today.month)
    if today < first or (today == first and local.time() < SEND_AT):
        return None
    if not is_business_day(today):
        return None
    later = sum(
        1 for n in range(1, (today - first).days + 1) if is_business_day(first + timedelta(n))
    )
    return previous_month(today) if later <= CATCH_UP_BUSINESS_DAYS else None
