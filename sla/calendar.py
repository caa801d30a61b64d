"""Business calendar arithmetic: the pure rules behind every SLA figure (see SLA.md).

Business time is real time. An instant is open when its *local wall-clock* time (in the
calendar's time zone) falls inside that local date's opening hours; business time is the number
of real (UTC) seconds that are open. So on the spring-forward night a missing local hour counts
not at all and on the fall-back night a repeated local hour counts twice (a 24x7 day has 23 or 25
hours).

The arithmetic walks whole open intervals, never minutes: for each UTC calendar year the open
intervals are laid out once (as integer microseconds since the epoch, with running sums) and
cached, so `business_time` is two binary searches per year touched and `due_instant` a binary
search in the year where the target runs out.

All functions take timezone-aware datetimes (a naive one raises `ValueError`) and return aware
datetimes in UTC. Nothing here depends on the host's time zone.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import chain
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import holidays as holidays_package

__all__ = [
    "WEEKDAYS",
    "Calendar",
    "CalendarError",
    "business_time",
    "due_instant",
    "is_open",
    "next_opening",
    "open_intervals",
]

#: Weekday keys of the JSON form, index 0 = Monday (as `date.weekday()`).
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: The end of a local day ("24:00") in `Calendar.hours`: `time.max` stands for midnight at the
#: end of the day, so an interval may be ``(time(16), time.max)``.
END_OF_DAY = time.max

_US = 1_000_000
_DAY_US = 86_400 * _US
_ONE_US = timedelta(microseconds=1)
_ONE_SECOND = timedelta(seconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_TIME_RE = re.compile(r"^(?:([01]\d|2[0-3]):([0-5]\d)|24:00)$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SPEC_KEYS = frozenset({"timezone", "hours", "holidays", "closed_dates", "open_dates", "always"})
#: Names `zoneinfo` knows that would make results depend on the host or mean nothing.
_REJECTED_ZONES = frozenset({"localtime", "posixrules", "Factory"})
#: How often the UTC offset is sampled when looking for offset changes, each of which is then
#: found to the second by bisection. Real zones never change their offset and change it back
#: within a day (DST periods last weeks); tests check this against hourly sampling for zones
#: with odd rules.
_OFFSET_SAMPLE_S = 86_400
#: A due instant that needs more than this many consecutive years without open hours is refused.
_MAX_EMPTY_YEARS = 8

_OFFICE_HOURS: tuple[tuple[tuple[time, time], ...], ...] = (
    *(((time(8), time(16)),),) * 5,
    (),
    (),
)


class CalendarError(ValueError):
    """A calendar that cannot be used, with a message naming the offending field.

    The message is fit for an API user, e.g. ``"hours.mon[0]: start must be before end"``.
    """


@dataclass(frozen=True)
class Calendar:
    """A business calendar: when the clock of a service promise counts.

    - ``timezone``: IANA name; openness is decided by local wall-clock time there.
    - ``hours``: 7 entries, index 0 = Monday; each a tuple of ``(start, end)`` local wall-clock
      intervals, half open ``[start, end)``, sorted and non-overlapping, on whole minutes.
      ``END_OF_DAY`` (``time.max``) as an end means 24:00. At least one weekday must have hours.
    - ``holidays``: a country code of the ``holidays`` package (public holidays are closed;
      for ``"FI"`` Midsummer Eve and Christmas Eve are always included), or None for none.
    - ``closed_dates``: extra closed local dates.
    - ``open_dates``: extra open local dates. An open date beats a holiday and a closed date. It
      is open with its own weekday's hours or, when that weekday has no hours (e.g. a Saturday),
      with the hours of the first weekday (Monday first) that has any.
    - ``always``: 24x7; every real second counts, and ``hours``, ``holidays`` and the dates are
      ignored.

    The constructor validates (raising `CalendarError`); `from_spec` / `to_spec` convert from and
    to the JSON form stored in the database and used by the API.
    """

    timezone: str = "Europe/Helsinki"
    hours: tuple[tuple[tuple[time, time], ...], ...] = _OFFICE_HOURS
    holidays: str | None = "FI"
    closed_dates: frozenset[date] = frozenset()
    open_dates: frozenset[date] = frozenset()
    always: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.always, bool):
            raise CalendarError("always: must be true or false")
        _check_timezone(self.timezone)
        _check_country(self.holidays)
        hours = _normalise_hours(self.hours)
        object.__setattr__(self, "hours", hours)
        for name in ("closed_dates", "open_dates"):
            object.__setattr__(self, name, _normalise_dates(getattr(self, name), name))
        week = tuple(
            tuple((_time_us(start), _time_us(end, end=True)) for start, end in day) for day in hours
        )
        week = tuple(_merge_touching(day) for day in week)
        if not self.always and not any(week):
            raise CalendarError(
                "hours: give opening hours for at least one weekday (or use always: true)"
            )
        object.__setattr__(self, "_week", week)
        object.__setattr__(self, "_first_hours", next((day for day in week if day), ()))

    # -- JSON form -------------------------------------------------------------------------

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Calendar:
        """Build a calendar from its JSON form.

        ``{"timezone": "Europe/Helsinki", "hours": {"mon": [["08:00", "16:00"]], ...},
        "holidays": "FI" | null, "closed_dates": ["2026-12-31"], "open_dates": []}``, or
        ``{"always": true}`` (``timezone`` optional). A missing weekday is closed; "24:00" may
        end an interval. Any problem raises `CalendarError` naming the field.
        """
        if not isinstance(spec, Mapping):
            raise CalendarError("calendar: must be an object")
        unknown = sorted(str(key) for key in spec if key not in _SPEC_KEYS)
        if unknown:
            raise CalendarError(f"{unknown[0]}: unknown field")
        timezone = spec.get("timezone", "Europe/Helsinki")
        if not isinstance(timezone, str):
            raise CalendarError("timezone: must be a time zone name such as 'Europe/Helsinki'")
        always = spec.get("always", False)
        if not isinstance(always, bool):
            raise CalendarError("always: must be true or false")
        if always:
            for key in ("hours", "holidays", "closed_dates", "open_dates"):
                if key in spec:
                    raise CalendarError(f"{key}: not allowed with always: true")
            return cls(timezone=timezone, always=True)
        country = spec.get("holidays", "FI")
        if country is not None and not isinstance(country, str):
            raise CalendarError("holidays: must be a country code such as 'FI', or null")
        return cls(
            timezone=timezone,
            hours=_parse_hours(spec.get("hours", {})),
            holidays=country,
            closed_dates=_parse_dates(spec.get("closed_dates", []), "closed_dates"),
            open_dates=_parse_dates(spec.get("open_dates", []), "open_dates"),
        )

    def to_spec(self) -> dict[str, Any]:
        """The JSON form (`from_spec` inverts it); all seven weekdays are listed."""
        if self.always:
            return {"timezone": self.timezone, "always": True}
        return {
            "timezone": self.timezone,
            "hours": {
                WEEKDAYS[i]: [[_format_time(s), _format_time(e)] for s, e in day]
                for i, day in enumerate(self.hours)
            },
            "holidays": self.holidays,
            "closed_dates": sorted(d.isoformat() for d in self.closed_dates),
            "open_dates": sorted(d.isoformat() for d in self.open_dates),
        }

    @classmethod
    def office_hours(
        cls,
        start: time = time(8),
        end: time = time(16),
        *,
        timezone: str = "Europe/Helsinki",
        holidays: str | None = "FI",
        closed_dates: frozenset[date] = frozenset(),
        open_dates: frozenset[date] = frozenset(),
    ) -> Calendar:
        """Monday to Friday ``start``-``end`` (default 08:00-16:00 Europe/Helsinki, FI)."""
        day = ((start, end),)
        return cls(
            timezone=timezone,
            hours=(day, day, day, day, day, (), ()),
            holidays=holidays,
            closed_dates=frozenset(closed_dates),
            open_dates=frozenset(open_dates),
        )

    @classmethod
    def twenty_four_seven(cls, timezone: str = "Europe/Helsinki") -> Calendar:
        """A 24x7 calendar: every real second counts."""
        return cls(timezone=timezone, always=True)

    # -- rules ---------------------------------------------------------------------------------

    def is_holiday(self, day: date) -> bool:
        """Whether ``day`` is a public holiday of the calendar's country."""
        return self.holidays is not None and day in _holiday_dates(self.holidays, day.year)

    def _day_hours(self, day: date) -> tuple[tuple[int, int], ...]:
        """Open intervals of the local date ``day`` as microseconds since local midnight."""
        week: tuple[tuple[tuple[int, int], ...], ...] = self._week  # type: ignore[attr-defined]
        if day in self.open_dates:
            return week[day.weekday()] or self._first_hours  # type: ignore[attr-defined]
        if day in self.closed_dates or self.is_holiday(day):
            return ()
        return week[day.weekday()]


# -- public functions --------------------------------------------------------------------------


def open_intervals(
    cal: Calendar, start: datetime, end: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """The open intervals intersecting ``[start, end)``, clipped to it, in UTC.

    Touching intervals (e.g. 24:00 and the next day's 00:00) come out as one.
    """
    s, e = _to_us(start, "start"), _to_us(end, "end")
    for a, b in _open_us(cal, s, e):
        yield _from_us(a), _from_us(b)


def business_time(cal: Calendar, start: datetime, end: datetime) -> timedelta:
    """Real time inside open hours in ``[start, end)``; zero when ``end <= start``."""
    return timedelta(microseconds=_business_us(cal, _to_us(start, "start"), _to_us(end, "end")))


def due_instant(cal: Calendar, start: datetime, target: timedelta) -> datetime:
    """The earliest instant U with ``business_time(cal, start, U) == target``.

    A zero target is due at ``start`` itself; a target used up exactly at closing time is due at
    the closing time, not at the next opening.
    """
    if not isinstance(target, timedelta):
        raise TypeError("target must be a timedelta")
    if target < timedelta(0):
        raise ValueError("target must not be negative")
    return _from_us(_due_us(cal, _to_us(start, "start"), target // _ONE_US))


def next_opening(cal: Calendar, at: datetime) -> datetime:
    """``at`` itself (in UTC) when open then, otherwise the start of the next open interval."""
    return _from_us(_next_opening_us(cal, _to_us(at, "at")))


def is_open(cal: Calendar, at: datetime) -> bool:
    """Whether the calendar is open at the instant ``at``."""
    x = _to_us(at, "at")
    if cal.always:
        return True
    table = _year_table(cal, _utc_year(x))
    k = bisect_right(table.starts, x) - 1
    return k >= 0 and x < table.ends[k]


# -- microsecond arithmetic (used by sla.clock too) -------------------------------------------


def _to_us(value: datetime, name: str) -> int:
    """Microseconds since the epoch of an aware datetime; naive ones are refused."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware: {value.isoformat()}")
    return (value - _EPOCH) // _ONE_US


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _utc_year(us: int) -> int:
    return _from_us(us).year


def _year_start_us(year: int) -> int:
    return (date(year, 1, 1).toordinal() - _EPOCH_ORDINAL) * _DAY_US


def _business_us(cal: Calendar, s: int, e: int) -> int:
    if e <= s:
        return 0
    if cal.always:
        return e - s
    total = 0
    year = _utc_year(s)
    while True:
        table = _year_table(cal, year)
        hi = _year_start_us(year + 1)
        total += table.before(min(e, hi)) - table.before(s)
        if e <= hi:
            return total
        year += 1


def _due_us(cal: Calendar, s: int, target: int) -> int:
    if target <= 0:
        return s
    if cal.always:
        return s + target
    need, pos, year, empty = target, s, _utc_year(s), 0
    while True:
        table = _year_table(cal, year)
        base = table.before(pos)
        available = table.total - base
        if available >= need:
            goal = base + need
            k = bisect_left(table.cum, goal) - 1
            return table.starts[k] + goal - table.cum[k]
        need -= available
        empty = empty + 1 if not table.starts else 0
        if empty > _MAX_EMPTY_YEARS:
            raise CalendarError("calendar: no open hours in sight; the target can never be met")
        year += 1
        pos = _year_start_us(year)


def _next_opening_us(cal: Calendar, x: int) -> int:
    if cal.always:
        return x
    year, empty = _utc_year(x), 0
    while True:
        table = _year_table(cal, year)
        k = bisect_right(table.ends, x)
        if k < len(table.starts):
            return max(x, table.starts[k])
        empty = empty + 1 if not table.starts else 0
        if empty > _MAX_EMPTY_YEARS:
            raise CalendarError("calendar: no open hours in sight")
        year += 1


def _open_us(cal: Calendar, s: int, e: int) -> Iterator[tuple[int, int]]:
    if e <= s:
        return
    if cal.always:
        yield s, e
        return
    pending: tuple[int, int] | None = None
    year = _utc_year(s)
    while True:
        table = _year_table(cal, year)
        k = bisect_right(table.ends, s)
        while k < len(table.starts) and table.starts[k] < e:
            a, b = max(s, table.starts[k]), min(e, table.ends[k])
            if pending is not None and pending[1] == a:
                pending = (pending[0], b)
            else:
                if pending is not None:
                    yield pending
                pending = (a, b)
            k += 1
        if e <= _year_start_us(year + 1):
            break
        year += 1
    if pending is not None:
        yield pending


class _YearTable:
    """The open intervals of one UTC year (microseconds), with running sums."""

    __slots__ = ("cum", "ends", "starts", "total")

    def __init__(self, intervals: list[tuple[int, int]]) -> None:
        self.starts = [a for a, _ in intervals]
        self.ends = [b for _, b in intervals]
        cum = [0]
        for a, b in intervals:
            cum.append(cum[-1] + b - a)
        self.cum = cum
        self.total = cum[-1]

    def before(self, x: int) -> int:
        """Open microseconds of the year before the instant ``x``."""
        k = bisect_right(self.ends, x)
        result = self.cum[k]
        if k < len(self.starts) and self.starts[k] < x:
            result += x - self.starts[k]
        return result


@lru_cache(maxsize=256)
def _year_table(cal: Calendar, year: int) -> _YearTable:
    """Lay out the open intervals of the UTC year ``year``.

    The year is cut into spans of constant UTC offset; in each span, wall time = UTC + offset
    is monotonic, so a local interval maps back to UTC by subtracting the offset, clipped to the
    span. A repeated local hour thus appears in two spans (counted twice), a skipped one in none.
    """
    week: tuple[tuple[tuple[int, int], ...], ...] = cal._week  # type: ignore[attr-defined]
    special = {  # days since the epoch whose hours are not simply their weekday's
        d.toordinal() - _EPOCH_ORDINAL
        for d in chain(
            cal.closed_dates,
            cal.open_dates,
            *(
                _holiday_dates(cal.holidays, y)
                for y in (year - 1, year, year + 1)
                if cal.holidays is not None
            ),
        )
    }
    intervals: list[tuple[int, int]] = []
    append = intervals.append
    for t0, t1, offset in _offset_spans(cal.timezone, year):
        w0, w1 = t0 + offset, t1 + offset
        day = w0 // _DAY_US
        while day * _DAY_US < w1:
            midnight = day * _DAY_US
            if day in special:
                hours = cal._day_hours(date.fromordinal(day + _EPOCH_ORDINAL))
            else:
                hours = week[(day + 3) % 7]  # 1970-01-01 was a Thursday
            if w0 <= midnight and midnight + _DAY_US <= w1:
                for a, b in hours:
                    append((midnight + a - offset, midnight + b - offset))
            else:
                for a, b in hours:
                    x, y = max(midnight + a, w0), min(midnight + b, w1)
                    if x < y:
                        append((x - offset, y - offset))
            day += 1
    intervals.sort()
    merged: list[tuple[int, int]] = []
    for a, b in intervals:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return _YearTable(merged)


@lru_cache(maxsize=256)
def _offset_spans(timezone: str, year: int) -> tuple[tuple[int, int, int], ...]:
    """Spans ``(start_us, end_us, offset_us)`` of constant UTC offset covering the UTC year."""
    tz = ZoneInfo(timezone)

    def offset(second: int) -> int:
        return datetime.fromtimestamp(second, tz).utcoffset() // _ONE_SECOND  # type: ignore[operator]

    lo, hi = _year_start_us(year) // _US, _year_start_us(year + 1) // _US
    spans: list[tuple[int, int, int]] = []
    span_start, span_offset = lo, offset(lo)
    probe = lo
    while probe < hi - 1:
        following = min(probe + _OFFSET_SAMPLE_S, hi - 1)
        while offset(following) != span_offset:
            # binary search the first second whose offset differs from span_offset
            left, right = max(probe, span_start), following
            while right - left > 1:
                mid = (left + right) // 2
                if offset(mid) == span_offset:
                    left = mid
                else:
                    right = mid
            spans.append((span_start, right, span_offset))
            span_start, span_offset = right, offset(right)
        probe = following
    spans.append((span_start, hi, span_offset))
    return tuple((a * _US, b * _US, o * _US) for a, b, o in spans)


@lru_cache(maxsize=1024)
def _holiday_dates(country: str, year: int) -> frozenset[date]:
    """The public holidays of ``country`` in ``year`` (cached per country and year)."""
    found = set(holidays_package.country_holidays(country, years=year))
    if country == "FI":
        # SLA.md: the Finnish set includes Midsummer Eve (the Friday of 19-25 June) and
        # Christmas Eve; older `holidays` releases keep them out of the public category.
        june_19 = date(year, 6, 19)
        found.add(june_19 + timedelta(days=(4 - june_19.weekday()) % 7))
        found.add(date(year, 12, 24))
    return frozenset(d for d in found if d.year == year)


# -- validation and parsing -------------------------------------------------------------------


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones()) - _REJECTED_ZONES


@lru_cache(maxsize=1)
def _known_countries() -> frozenset[str]:
    return frozenset(holidays_package.list_supported_countries())


def _check_timezone(name: object) -> None:
    if not isinstance(name, str):
        raise CalendarError("timezone: must be a time zone name such as 'Europe/Helsinki'")
    if name not in _known_zones():
        raise CalendarError(f"timezone: unknown time zone {name!r}")


def _check_country(code: object) -> None:
    if code is None:
        return
    if not isinstance(code, str) or code not in _known_countries():
        raise CalendarError(
            f"holidays: unknown holiday country {code!r} (use a code such as 'FI', or null)"
        )


def _normalise_hours(hours: object) -> tuple[tuple[tuple[time, time], ...], ...]:
    if not isinstance(hours, tuple | list) or len(hours) != 7:
        raise CalendarError("hours: must have 7 entries, Monday first")
    week = []
    for i, day in enumerate(hours):
        if not isinstance(day, tuple | list):
            raise CalendarError(f"hours.{WEEKDAYS[i]}: must be a list of [start, end] intervals")
        intervals = []
        for j, interval in enumerate(day):
            field = f"hours.{WEEKDAYS[i]}[{j}]"
            if not isinstance(interval, tuple | list) or len(interval) != 2:
                raise CalendarError(f"{field}: must be a [start, end] pair")
            start, end = interval
            for part, value in (("start", start), ("end", end)):
                if not isinstance(value, time) or value.tzinfo is not None:
                    raise CalendarError(f"{field}: {part} must be a local time of day")
                if value != END_OF_DAY and (value.second or value.microsecond):
                    raise CalendarError(f"{field}: {part} must be on a whole minute")
            if start == END_OF_DAY or (end != END_OF_DAY and start >= end):
                raise CalendarError(f"{field}: start must be before end")
            if intervals and start < intervals[-1][1]:
                raise CalendarError(
                    f"{field}: overlaps or comes before hours.{WEEKDAYS[i]}[{j - 1}] "
                    "(intervals must be in order and must not overlap)"
                )
            intervals.append((start, end))
        week.append(tuple(intervals))
    return tuple(week)


def _normalise_dates(values: object, name: str) -> frozenset[date]:
    if not isinstance(values, frozenset | set | tuple | list):
        raise CalendarError(f"{name}: must be a list of dates")
    for value in values:
        if not isinstance(value, date) or isinstance(value, datetime):
            raise CalendarError(f"{name}: {value!r} is not a date")
    return frozenset(values)


def _parse_time(value: object, field: str) -> time:
    if not isinstance(value, str) or not _TIME_RE.match(value):
        raise CalendarError(f"{field}: {value!r} is not a time of day (HH:MM, 00:00-24:00)")
    if value == "24:00":
        return END_OF_DAY
    return time(int(value[:2]), int(value[3:]))


def _parse_hours(spec: object) -> tuple[tuple[tuple[time, time], ...], ...]:
    if not isinstance(spec, Mapping):
        raise CalendarError('hours: must be an object such as {"mon": [["08:00", "16:00"]]}')
    for key in spec:
        if key not in WEEKDAYS:
            raise CalendarError(f"hours.{key}: unknown weekday (use {', '.join(WEEKDAYS)})")
    week = []
    for name in WEEKDAYS:
        day = spec.get(name, [])
        if not isinstance(day, list | tuple):
            raise CalendarError(f"hours.{name}: must be a list of [start, end] intervals")
        intervals = []
        for j, interval in enumerate(day):
            field = f"hours.{name}[{j}]"
            if not isinstance(interval, list | tuple) or len(interval) != 2:
                raise CalendarError(f'{field}: must be a [start, end] pair like ["08:00", "16:00"]')
            start = _parse_time(interval[0], f"{field}.start")
            if start == END_OF_DAY:
                raise CalendarError(f"{field}: start must be before end")
            intervals.append((start, _parse_time(interval[1], f"{field}.end")))
        week.append(tuple(intervals))
    return tuple(week)


def _parse_dates(values: object, name: str) -> frozenset[date]:
    if not isinstance(values, list | tuple):
        raise CalendarError(f"{name}: must be a list of dates (YYYY-MM-DD)")
    result = set()
    for i, value in enumerate(values):
        if not isinstance(value, str) or not _DATE_RE.match(value):
            raise CalendarError(f"{name}[{i}]: {value!r} is not a date (YYYY-MM-DD)")
        try:
            result.add(date.fromisoformat(value))
        except ValueError:
            raise CalendarError(f"{name}[{i}]: {value!r} is not a date (YYYY-MM-DD)") from None
    return frozenset(result)


def _time_us(value: time, *, end: bool = False) -> int:
    if end and value == END_OF_DAY:
        return _DAY_US
    return (value.hour * 3600 + value.minute * 60 + value.second) * _US + value.microsecond


def _format_time(value: time) -> str:
    return "24:00" if value == END_OF_DAY else f"{value.hour:02d}:{value.minute:02d}"


def _merge_touching(day: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for a, b in day:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return tuple(merged)
