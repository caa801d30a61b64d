"""Business calendar arithmetic (SLA.md, "Business calendar")."""

from __future__ import annotations

import os
import time as host_time
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from sla import calendar as calendar_module
from sla.calendar import (
    END_OF_DAY,
    Calendar,
    CalendarError,
    business_time,
    due_instant,
    is_open,
    next_opening,
    open_intervals,
)

HELSINKI = ZoneInfo("Europe/Helsinki")
OFFICE = Calendar.office_hours()
ALWAYS = Calendar(always=True)
HOUR = timedelta(hours=1)


def local(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=HELSINKI, fold=fold)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def every_day(start: time, end: time, **kwargs) -> Calendar:
    return Calendar(hours=(((start, end),),) * 7, holidays=None, **kwargs)


OFFICE_SPEC = {
    "timezone": "Europe/Helsinki",
    "hours": {day: [["08:00", "16:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": "FI",
}


# -- the JSON form -----------------------------------------------------------------------------


def test_spec_of_office_hours_builds_the_office_hours_calendar():
    assert Calendar.from_spec(OFFICE_SPEC) == OFFICE
    assert Calendar() == OFFICE


def test_missing_weekdays_are_closed_and_defaults_apply():
    cal = Calendar.from_spec({"hours": {"wed": [["09:00", "10:00"]]}})
    assert cal.timezone == "Europe/Helsinki"
    assert cal.holidays == "FI"
    assert cal.hours[2] == ((time(9), time(10)),)
    assert all(cal.hours[i] == () for i in (0, 1, 3, 4, 5, 6))


def test_always_spec_needs_no_timezone():
    cal = Calendar.from_spec({"always": True})
    assert cal.always
    assert cal.timezone == "Europe/Helsinki"
    assert Calendar.from_spec({"always": True, "timezone": "UTC"}).timezone == "UTC"


@pytest.mark.parametrize(
    "cal",
    [
        OFFICE,
        ALWAYS,
        Calendar(timezone="America/New_York", always=True),
        Calendar(
            timezone="Europe/Stockholm",
            hours=(
                ((time(0), time(2)), (time(8), time(12)), (time(12), time(16))),
                (),
                ((time(22), END_OF_DAY),),
                (),
                (),
                ((time(10), time(14)),),
                (),
            ),
            holidays=None,
            closed_dates=frozenset({date(2026, 12, 31), date(2026, 1, 2)}),
            open_dates=frozenset({date(2026, 12, 24)}),
        ),
    ],
    ids=["office", "always", "always-new-york", "odd-hours"],
)
def test_to_spec_round_trips_through_from_spec(cal):
    spec = cal.to_spec()
    assert Calendar.from_spec(spec) == cal
    assert Calendar.from_spec(spec).to_spec() == spec


def test_to_spec_writes_24_00_and_sorted_iso_dates():
    cal = Calendar.from_spec(
        {
            "hours": {"fri": [["16:00", "24:00"]]},
            "closed_dates": ["2026-12-31", "2026-01-02"],
            "open_dates": [],
            "holidays": None,
        }
    )
    spec = cal.to_spec()
    assert spec["hours"]["fri"] == [["16:00", "24:00"]]
    assert spec["hours"]["sat"] == []
    assert spec["closed_dates"] == ["2026-01-02", "2026-12-31"]
    assert spec["holidays"] is None


def with_hours(**days):
    return {"hours": days}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ([["08:00", "16:00"]], "calendar: must be an object"),
        ({**OFFICE_SPEC, "colour": "red"}, "colour: unknown field"),
        (with_hours(mon=[["25:00", "26:00"]]), "hours.mon[0].start: '25:00' is not a time"),
        (with_hours(mon=[["8am", "16:00"]]), "hours.mon[0].start: '8am' is not a time"),
        (with_hours(mon=[["08:00", "4pm"]]), "hours.mon[0].end: '4pm' is not a time"),
        (with_hours(mon=[["08:00", "16:60"]]), "hours.mon[0].end: '16:60' is not a time"),
        (with_hours(mon=[[8, 16]]), "hours.mon[0].start: 8 is not a time"),
        (with_hours(tue=[["16:00", "08:00"]]), "hours.tue[0]: start must be before end"),
        (with_hours(tue=[["08:00", "08:00"]]), "hours.tue[0]: start must be before end"),
        (with_hours(tue=[["24:00", "24:00"]]), "hours.tue[0]: start must be before end"),
        (
            with_hours(wed=[["08:00", "12:00"], ["11:00", "16:00"]]),
            "hours.wed[1]: overlaps or comes before hours.wed[0]",
        ),
        (
            with_hours(wed=[["12:00", "16:00"], ["08:00", "10:00"]]),
            "hours.wed[1]: overlaps or comes before hours.wed[0]",
        ),
        (with_hours(wed=[["08:00"]]), "hours.wed[0]: must be a [start, end] pair"),
        (with_hours(wed="08:00-16:00"), "hours.wed: must be a list"),
        (with_hours(monday=[["08:00", "16:00"]]), "hours.monday: unknown weekday"),
        ({"hours": [["08:00", "16:00"]]}, "hours: must be an object"),
        ({"hours": {}}, "hours: give opening hours for at least one weekday"),
        ({}, "hours: give opening hours for at least one weekday"),
        ({**OFFICE_SPEC, "timezone": "Mars/Olympus"}, "timezone: unknown time zone 'Mars/Olympus'"),
        ({**OFFICE_SPEC, "timezone": "localtime"}, "timezone: unknown time zone 'localtime'"),
        ({**OFFICE_SPEC, "timezone": 2}, "timezone: must be a time zone name"),
        ({**OFFICE_SPEC, "holidays": "XX"}, "holidays: unknown holiday country 'XX'"),
        ({**OFFICE_SPEC, "holidays": 358}, "holidays: must be a country code"),
        ({**OFFICE_SPEC, "closed_dates": ["2026-13-01"]}, "closed_dates[0]: '2026-13-01' is not"),
        ({**OFFICE_SPEC, "closed_dates": "2026-12-31"}, "closed_dates: must be a list of dates"),
        (
            {**OFFICE_SPEC, "open_dates": ["2026-12-24", "24.12.2026"]},
            "open_dates[1]: '24.12.2026' is not a date",
        ),
        ({"always": True, "hours": {}}, "hours: not allowed with always: true"),
        ({"always": True, "holidays": "FI"}, "holidays: not allowed with always: true"),
        ({"always": "yes"}, "always: must be true or false"),
    ],
)
def test_spec_that_makes_no_calendar_is_refused_naming_the_field(spec, message):
    with pytest.raises(CalendarError) as error:
        Calendar.from_spec(spec)
    assert str(error.value).startswith(message)
    assert isinstance(error.value, ValueError)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hours": ((),) * 6}, "hours: must have 7 entries"),
        ({"hours": (((time(8, 0, 30), time(16)),),) * 7}, "hours.mon[0]: start must be on a whole"),
        ({"hours": (((time(16), time(8)),),) * 7}, "hours.mon[0]: start must be before end"),
        ({"closed_dates": frozenset({"2026-12-31"})}, "closed_dates: '2026-12-31' is not a date"),
        ({"open_dates": [datetime(2026, 12, 24, tzinfo=UTC)]}, "open_dates: datetime."),
        ({"timezone": "Europe/Helsingfors"}, "timezone: unknown time zone"),
        ({"holidays": "XX"}, "holidays: unknown holiday country"),
    ],
)
def test_constructor_refuses_what_from_spec_refuses(kwargs, message):
    with pytest.raises(CalendarError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Calendar(**kwargs)


# -- hours and dates ---------------------------------------------------------------------------


def test_open_hours_are_half_open():
    assert is_open(OFFICE, local(2026, 11, 23, 8))
    assert is_open(OFFICE, local(2026, 11, 23, 15, 59, 59))
    assert not is_open(OFFICE, local(2026, 11, 23, 16))
    assert not is_open(OFFICE, local(2026, 11, 23, 7, 59, 59))
    assert not is_open(OFFICE, local(2026, 11, 28, 12))  # Saturday


def test_interval_may_end_at_24_00_and_joins_the_next_day_opening_at_00_00():
    hours = ((), (), (), (), ((time(16), END_OF_DAY),), ((time(0), time(2)),), ())
    cal = Calendar(hours=hours, holidays=None)
    friday_evening, saturday_night = local(2026, 11, 27, 20), local(2026, 11, 28, 1)
    assert business_time(cal, friday_evening, saturday_night) == 5 * HOUR
    assert is_open(cal, local(2026, 11, 27, 23, 59, 59))
    assert list(open_intervals(cal, local(2026, 11, 27), local(2026, 11, 29))) == [
        (utc(2026, 11, 27, 14), utc(2026, 11, 28, 0)),
    ]
    assert due_instant(cal, friday_evening, 4 * HOUR) == utc(2026, 11, 27, 22)  # 24:00 local


def test_public_holidays_of_finland_include_midsummer_eve_and_christmas_eve():
    for day in (date(2026, 6, 19), date(2026, 12, 24), date(2027, 6, 25), date(2027, 12, 24)):
        assert OFFICE.is_holiday(day), day
        assert not is_open(OFFICE, datetime(day.year, day.month, day.day, 10, tzinfo=HELSINKI))


def test_business_time_skips_holidays_and_weekends():
    # 21-31 Dec 2026: 24th-26th are holidays, 26th-27th a weekend: 7 working days remain
    assert business_time(OFFICE, local(2026, 12, 21), local(2027, 1, 1)) == 7 * 8 * HOUR
    no_holidays = Calendar.office_hours(holidays=None)
    assert business_time(no_holidays, local(2026, 12, 21), local(2027, 1, 1)) == 9 * 8 * HOUR


def test_business_time_is_zero_for_an_empty_or_reversed_range():
    assert business_time(OFFICE, local(2026, 11, 23, 12), local(2026, 11, 23, 12)) == timedelta(0)
    assert business_time(OFFICE, local(2026, 11, 23, 12), local(2026, 11, 23, 9)) == timedelta(0)
    assert business_time(ALWAYS, local(2026, 11, 23, 12), local(2026, 11, 23, 9)) == timedelta(0)


def test_business_time_over_a_year_counts_every_working_day_once():
    # 2026 in Finland: 261 weekdays, 9 of them public holidays (1 and 6 Jan, Good Friday,
    # Easter Monday, May Day, Ascension Day, Midsummer Eve, Christmas Eve and Christmas Day)
    assert business_time(OFFICE, local(2026, 1, 1), local(2027, 1, 1)) == 252 * 8 * HOUR


def test_extra_open_date_beats_a_holiday():
    cal = Calendar.office_hours(open_dates=frozenset({date(2026, 12, 24)}))
    assert business_time(cal, local(2026, 12, 24), local(2026, 12, 25)) == 8 * HOUR
    assert due_instant(cal, local(2026, 12, 23, 12), 8 * HOUR) == utc(2026, 12, 24, 10)


def test_extra_open_date_beats_an_extra_closed_date():
    day = date(2026, 11, 24)
    cal = Calendar.office_hours(closed_dates=frozenset({day}), open_dates=frozenset({day}))
    assert business_time(cal, local(2026, 11, 24), local(2026, 11, 25)) == 8 * HOUR


def test_extra_open_saturday_takes_the_hours_of_the_first_weekday_that_has_any():
    hours = ((), ((time(9), time(11)),), ((time(12), time(13)),), (), (), (), ())
    cal = Calendar(hours=hours, holidays=None, open_dates=frozenset({date(2026, 11, 28)}))
    assert list(open_intervals(cal, local(2026, 11, 28), local(2026, 11, 29))) == [
        (utc(2026, 11, 28, 7), utc(2026, 11, 28, 9)),
    ]


def test_extra_closed_date_is_closed():
    cal = Calendar.office_hours(closed_dates=frozenset({date(2026, 11, 24)}))
    assert business_time(cal, local(2026, 11, 24), local(2026, 11, 25)) == timedelta(0)
    assert due_instant(cal, local(2026, 11, 23, 15), 2 * HOUR) == utc(2026, 11, 25, 7)


def test_due_instant_crosses_new_year_and_its_holiday():
    # Thu 31 Dec 15:00 + 2 h: Fri 1 Jan is New Year's Day, then a weekend
    assert due_instant(OFFICE, local(2026, 12, 31, 15), 2 * HOUR) == utc(2027, 1, 4, 7)


def test_due_instant_of_a_zero_target_is_the_start_itself_in_utc():
    start = local(2026, 11, 28, 10)  # a Saturday: closed, but nothing is owed
    assert due_instant(OFFICE, start, timedelta(0)) == start
    assert due_instant(OFFICE, start, timedelta(0)).tzinfo is UTC


def test_due_instant_refuses_a_negative_target():
    with pytest.raises(ValueError, match="negative"):
        due_instant(OFFICE, local(2026, 11, 23, 9), -HOUR)


def test_due_instant_a_year_ahead_inverts_business_time():
    start = local(2026, 2, 3, 10, 17)
    target = timedelta(hours=2000, seconds=7, microseconds=3)
    due = due_instant(OFFICE, start, target)
    assert business_time(OFFICE, start, due) == target
    assert business_time(OFFICE, start, due - timedelta(microseconds=1)) < target
    assert due.year == 2027


def test_24x7_due_instant_is_plain_real_time():
    assert due_instant(ALWAYS, utc(2026, 5, 5, 5), 100 * HOUR) == utc(2026, 5, 9, 9)


# -- daylight saving time ----------------------------------------------------------------------


def test_24x7_day_of_spring_forward_has_23_hours_and_of_fall_back_25():
    assert business_time(ALWAYS, local(2026, 3, 29), local(2026, 3, 30)) == 23 * HOUR
    assert business_time(ALWAYS, local(2026, 10, 25), local(2026, 10, 26)) == 25 * HOUR
    every_hour = every_day(time(0), END_OF_DAY)
    assert business_time(every_hour, local(2026, 3, 29), local(2026, 3, 30)) == 23 * HOUR
    assert business_time(every_hour, local(2026, 10, 25), local(2026, 10, 26)) == 25 * HOUR


def test_interval_spanning_the_missing_hour_is_an_hour_shorter():
    cal = every_day(time(2), time(5))  # 03:00-04:00 does not exist on 29 March
    assert business_time(cal, local(2026, 3, 29), local(2026, 3, 30)) == 2 * HOUR
    assert list(open_intervals(cal, local(2026, 3, 29), local(2026, 3, 30))) == [
        (utc(2026, 3, 29, 0), utc(2026, 3, 29, 2)),
    ]
    ninety_minutes = timedelta(minutes=90)
    assert due_instant(cal, local(2026, 3, 29), ninety_minutes) == local(2026, 3, 29, 4, 30)


def test_interval_spanning_the_repeated_hour_is_an_hour_longer():
    cal = every_day(time(2), time(5))  # 03:00-04:00 happens twice on 25 October
    assert business_time(cal, local(2026, 10, 25), local(2026, 10, 26)) == 4 * HOUR
    assert list(open_intervals(cal, local(2026, 10, 25), local(2026, 10, 26))) == [
        (utc(2026, 10, 24, 23), utc(2026, 10, 25, 3)),
    ]


def test_interval_inside_the_repeated_hour_counts_twice_and_the_missing_one_never():
    cal = every_day(time(3, 15), time(3, 45))
    assert business_time(cal, local(2026, 3, 29), local(2026, 3, 30)) == timedelta(0)
    assert list(open_intervals(cal, local(2026, 10, 25), local(2026, 10, 26))) == [
        (utc(2026, 10, 25, 0, 15), utc(2026, 10, 25, 0, 45)),  # 03:15-03:45 EEST
        (utc(2026, 10, 25, 1, 15), utc(2026, 10, 25, 1, 45)),  # 03:15-03:45 EET
    ]
    assert is_open(cal, local(2026, 10, 25, 3, 30, fold=0))
    assert is_open(cal, local(2026, 10, 25, 3, 30, fold=1))
    assert not is_open(cal, utc(2026, 10, 25, 1))


def test_new_york_switches_on_its_own_nights():
    cal = Calendar(timezone="America/New_York", always=True)
    eastern = ZoneInfo("America/New_York")
    spring_forward_day = (
        datetime(2026, 3, 8, tzinfo=eastern),
        datetime(2026, 3, 9, tzinfo=eastern),
    )
    assert business_time(cal, *spring_forward_day) == 23 * HOUR
    night = Calendar(timezone="America/New_York", hours=(((time(1), time(3)),),) * 7, holidays=None)
    fall_back_day = (datetime(2026, 11, 1, tzinfo=eastern), datetime(2026, 11, 2, tzinfo=eastern))
    assert business_time(night, *fall_back_day) == 3 * HOUR  # 01:00-02:00 twice, 02:00-03:00


# -- openings ----------------------------------------------------------------------------------


def test_next_opening_is_the_instant_itself_when_open():
    at = local(2026, 11, 23, 9, 30)
    assert next_opening(OFFICE, at) == at
    assert next_opening(OFFICE, at).tzinfo is UTC
    assert next_opening(ALWAYS, at) == at


def test_next_opening_after_closing_is_the_next_working_morning():
    assert next_opening(OFFICE, local(2026, 11, 23, 16)) == local(2026, 11, 24, 8)
    assert next_opening(OFFICE, local(2026, 11, 28, 10)) == local(2026, 11, 30, 8)
    assert next_opening(OFFICE, local(2026, 12, 23, 16, 1)) == local(2026, 12, 28, 8)
    assert next_opening(OFFICE, local(2026, 12, 31, 17)) == local(2027, 1, 4, 8)


def test_open_intervals_are_clipped_to_the_range():
    assert list(open_intervals(OFFICE, local(2026, 11, 23, 12), local(2026, 11, 25, 10))) == [
        (utc(2026, 11, 23, 10), utc(2026, 11, 23, 14)),
        (utc(2026, 11, 24, 6), utc(2026, 11, 24, 14)),
        (utc(2026, 11, 25, 6), utc(2026, 11, 25, 8)),
    ]
    assert list(open_intervals(ALWAYS, utc(2026, 1, 1), utc(2026, 1, 1))) == []


# -- inputs and the host -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda naive: business_time(OFFICE, naive, local(2026, 11, 24)),
        lambda naive: business_time(OFFICE, local(2026, 11, 20), naive),
        lambda naive: due_instant(OFFICE, naive, HOUR),
        lambda naive: next_opening(OFFICE, naive),
        lambda naive: is_open(OFFICE, naive),
        lambda naive: list(open_intervals(OFFICE, naive, local(2026, 11, 24))),
        lambda naive: is_open(ALWAYS, naive),
    ],
)
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call(datetime(2026, 11, 23, 9))


def compute_a_bit_of_everything():
    calendar_module._year_table.cache_clear()
    calendar_module._offset_spans.cache_clear()
    cal = every_day(time(2), time(5), closed_dates=frozenset({date(2026, 3, 30)}))
    return (
        due_instant(OFFICE, local(2026, 12, 23, 12), 8 * HOUR),
        business_time(cal, local(2026, 3, 28), local(2026, 11, 1)),
        list(open_intervals(cal, local(2026, 10, 24), local(2026, 10, 27))),
        next_opening(OFFICE, utc(2026, 11, 28, 23, 30)),
        is_open(OFFICE, utc(2026, 11, 23, 6, 30)),
        due_instant(ALWAYS, utc(2026, 3, 28, 10), 24 * HOUR),
    )


def test_results_are_the_same_whatever_the_host_time_zone():
    if not hasattr(host_time, "tzset"):
        pytest.skip("time.tzset is not available on this platform")
    original = os.environ.get("TZ")
    results = []
    try:
        for zone in ("UTC", "Asia/Tokyo", "America/Los_Angeles", "Europe/Helsinki"):
            os.environ["TZ"] = zone
            host_time.tzset()
            results.append(compute_a_bit_of_everything())
    finally:
        if original is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = original
        host_time.tzset()
    assert all(result == results[0] for result in results)
    assert results[0][0] == utc(2026, 12, 28, 10)


@pytest.mark.parametrize(
    "zone",
    [
        "Europe/Helsinki",
        "America/New_York",
        "Africa/Casablanca",  # DST suspended for Ramadan
        "Asia/Gaza",
        "America/Santiago",
        "Australia/Lord_Howe",  # half-hour DST
        "Antarctica/Troll",  # two-hour DST
        "Europe/Dublin",  # "negative" DST in tzdata
        "Asia/Tehran",
    ],
)
def test_offset_changes_are_found_to_the_second(zone):
    tz = ZoneInfo(zone)

    def offset(second: int) -> int:
        return int(datetime.fromtimestamp(second, tz).utcoffset().total_seconds())

    for year in (2024, 2026, 2027):
        spans = [
            (a // 10**6, b // 10**6, o // 10**6)
            for a, b, o in calendar_module._offset_spans(zone, year)
        ]
        assert spans[0][0] == int(utc(year, 1, 1).timestamp())
        assert spans[-1][1] == int(utc(year + 1, 1, 1).timestamp())
        for (_, end, before), (begin, _, after) in pairwise(spans):
            assert end == begin and before != after
            assert offset(begin - 1) == before and offset(begin) == after
        for start, end, expected in spans:
            assert all(offset(s) == expected for s in range(start, end, 3600))
