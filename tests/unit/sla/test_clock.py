"""The clock as a pure function of its events (SLA.md, "Clock life"; "Warning, breach, met")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla.attribution import split_business_time
from sla.calendar import Calendar
from sla.clock import (
    ClockError,
    ClockEvent,
    ClockResult,
    ClockState,
    EventType,
    evaluate,
    is_at_risk,
)

HELSINKI = ZoneInfo("Europe/Helsinki")
OFFICE = Calendar.office_hours()
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=HELSINKI)


def mon(hour: int, minute: int = 0) -> datetime:
    return local(2026, 11, 23, hour, minute)


def tue(hour: int, minute: int = 0) -> datetime:
    return local(2026, 11, 24, hour, minute)


def wed(hour: int, minute: int = 0) -> datetime:
    return local(2026, 11, 25, hour, minute)


def start(at):
    return ClockEvent(EventType.START, at)


def pause(at):
    return ClockEvent(EventType.PAUSE, at)


def resume(at):
    return ClockEvent(EventType.RESUME, at)


def stop(at):
    return ClockEvent(EventType.STOP, at)


def cancel(at):
    return ClockEvent(EventType.CANCEL, at)


def change(at, minutes):
    return ClockEvent(EventType.TARGET_CHANGE, at, minutes)


def as_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


# -- pauses ------------------------------------------------------------------------------------


def test_waiting_for_the_customer_pauses_the_clock_and_is_explained():
    events = [start(mon(9)), pause(mon(10)), resume(tue(10))]
    result = evaluate(OFFICE, 480, events, tue(12))
    assert result.state is ClockState.RUNNING
    assert result.elapsed == 3 * HOUR
    assert result.remaining == 5 * HOUR
    assert result.target == 8 * HOUR
    assert result.due_at == wed(9)
    assert result.pauses == ((mon(10), tue(10)),)
    assert result.intervals == ((mon(9), mon(10)), (tue(10), tue(12)))
    assert all(moment.tzinfo is UTC for interval in result.intervals for moment in interval)
    assert result.due_at.tzinfo is UTC
    assert result.stopped_at is None
    assert result.breach_at is None


def test_paused_clock_has_no_due_instant_and_an_open_pause():
    result = evaluate(OFFICE, 480, [start(mon(9)), pause(mon(10))], tue(11))
    assert result.state is ClockState.PAUSED
    assert result.due_at is None
    assert result.warning_at is None
    assert result.elapsed == HOUR
    assert result.pauses == ((mon(10), None),)


def test_pause_and_resume_at_the_same_instant_change_nothing():
    plain = evaluate(OFFICE, 120, [start(mon(9))], mon(10))
    blinked = evaluate(OFFICE, 120, [start(mon(9)), pause(mon(9, 30)), resume(mon(9, 30))], mon(10))
    assert (blinked.elapsed, blinked.due_at, blinked.state) == (
        plain.elapsed,
        plain.due_at,
        plain.state,
    )


# -- met and breached --------------------------------------------------------------------------


def test_clock_stopped_exactly_at_its_due_instant_is_met():
    result = evaluate(OFFICE, 240, [start(mon(12)), stop(mon(16))], tue(12))
    assert result.state is ClockState.MET
    assert result.due_at == mon(16)
    assert result.breach_at is None
    assert result.stopped_at == mon(16)
    assert result.intervals == ((mon(12), mon(16)),)


def test_clock_stopped_after_closing_past_its_due_instant_is_breached_at_the_due_instant():
    result = evaluate(OFFICE, 240, [start(mon(12)), stop(mon(16, 30))], tue(12))
    assert result.state is ClockState.BREACHED
    assert result.elapsed == 4 * HOUR
    assert result.breach_at == mon(16)
    assert result.due_at == mon(16)
    assert result.stopped_at == mon(16, 30)


def test_running_clock_is_breached_only_after_its_due_instant():
    events = [start(mon(12))]
    assert evaluate(OFFICE, 240, events, mon(16)).state is ClockState.RUNNING
    late = evaluate(OFFICE, 240, events, mon(16) + timedelta(microseconds=1))
    assert late.state is ClockState.BREACHED
    assert late.breach_at == mon(16)


def test_clock_paused_exactly_at_its_due_instant_is_breached_when_it_resumes():
    events = [start(mon(12)), pause(mon(16)), resume(tue(9))]
    waiting = evaluate(OFFICE, 240, events, mon(17))
    assert waiting.state is ClockState.PAUSED
    assert waiting.due_at is None
    assert is_at_risk(waiting, mon(17))
    resumed = evaluate(OFFICE, 240, events, tue(10))
    assert resumed.state is ClockState.BREACHED
    assert resumed.breach_at == tue(9)
    assert resumed.due_at == mon(16)


def test_met_clock_has_the_due_instant_it_would_have_had():
    result = evaluate(OFFICE, 480, [start(mon(9)), stop(mon(11))], wed(12))
    assert result.state is ClockState.MET
    assert result.elapsed == 2 * HOUR
    assert result.remaining == 6 * HOUR
    assert result.due_at == tue(9)
    assert result.warning_at is None


def test_breach_is_kept_when_the_clock_stops_later():
    events = [start(mon(12)), stop(mon(14)), resume(tue(9)), stop(tue(9, 5))]
    result = evaluate(OFFICE, 60, events, wed(9))
    assert result.state is ClockState.BREACHED
    assert result.breach_at == mon(13)


# -- reopen ------------------------------------------------------------------------------------


def test_reopened_clock_does_not_count_the_time_while_resolved():
    events = [start(mon(9)), stop(mon(11)), resume(wed(10))]
    result = evaluate(OFFICE, 480, events, wed(12))
    assert result.state is ClockState.RUNNING
    assert result.elapsed == 4 * HOUR
    assert result.stopped_at is None
    assert result.pauses == ()
    assert result.intervals == ((mon(9), mon(11)), (wed(10), wed(12)))
    assert result.due_at == wed(16)


def test_reopened_met_clock_that_runs_past_its_due_instant_is_breached():
    events = [start(mon(9)), stop(mon(11)), resume(wed(10))]
    result = evaluate(OFFICE, 480, events, local(2026, 11, 26, 9))
    assert result.state is ClockState.BREACHED
    assert result.breach_at == wed(16)


def test_clock_may_stop_while_paused_which_ends_the_pause():
    events = [start(mon(9)), pause(mon(10)), stop(tue(12))]
    result = evaluate(OFFICE, 480, events, wed(12))
    assert result.state is ClockState.MET
    assert result.elapsed == HOUR
    assert result.pauses == ((mon(10), tue(12)),)
    assert result.stopped_at == tue(12)


# -- target changes ----------------------------------------------------------------------------


def test_raised_target_keeps_the_elapsed_time_and_moves_the_due_instant():
    result = evaluate(OFFICE, 240, [start(mon(9)), change(mon(11), 480)], mon(12))
    assert result.state is ClockState.RUNNING
    assert result.elapsed == 3 * HOUR
    assert result.target == 8 * HOUR
    assert result.due_at == tue(9)
    assert result.target_changes == ((as_utc(mon(11)), 480),)


def test_lowered_target_keeps_the_elapsed_time_and_brings_the_due_instant_forward():
    result = evaluate(OFFICE, 480, [start(mon(9)), change(mon(10), 300)], mon(12))
    assert result.state is ClockState.RUNNING
    assert result.due_at == mon(14)
    assert result.warning_at == mon(13)


def test_lowered_target_already_exceeded_breaches_the_clock_in_the_past():
    result = evaluate(OFFICE, 480, [start(mon(9)), change(mon(13), 120)], mon(13))
    assert result.state is ClockState.BREACHED
    assert result.breach_at == mon(11)
    assert result.due_at == mon(11)
    assert result.elapsed == 4 * HOUR
    assert result.remaining == timedelta(0)


def test_lowered_target_after_the_stop_turns_a_met_clock_breached():
    events = [start(mon(9)), stop(mon(12)), change(mon(13), 120)]
    assert evaluate(OFFICE, 240, events, mon(12, 30)).state is ClockState.MET
    result = evaluate(OFFICE, 240, events, mon(13))
    assert result.state is ClockState.BREACHED
    assert result.breach_at == mon(11)


def test_raised_target_recomputes_a_breach_away():
    # SLA.md: "due, warning and breach instants are recomputed" with the new target
    events = [start(mon(9)), change(mon(11), 240)]
    assert evaluate(OFFICE, 60, events, mon(10, 30)).state is ClockState.BREACHED
    result = evaluate(OFFICE, 60, events, mon(11, 30))
    assert result.state is ClockState.RUNNING
    assert result.breach_at is None
    assert result.due_at == mon(13)


def test_target_of_zero_is_due_at_the_start_and_breached_right_after():
    at_start = evaluate(OFFICE, 0, [start(mon(7))], mon(7))
    assert at_start.state is ClockState.RUNNING
    assert at_start.due_at == mon(7)
    later = evaluate(OFFICE, 0, [start(mon(7))], mon(7, 1))
    assert later.state is ClockState.BREACHED
    assert later.breach_at == mon(7)


# -- cancel ------------------------------------------------------------------------------------


def test_cancelled_clock_is_cancelled_even_when_breached():
    events = [start(mon(9)), cancel(mon(12))]
    result = evaluate(OFFICE, 60, events, tue(9))
    assert result.state is ClockState.CANCELLED
    assert (result.due_at, result.warning_at, result.breach_at) == (None, None, None)
    assert result.elapsed == 3 * HOUR
    assert result.cancelled_at == mon(12)
    assert result.stopped_at == mon(12)


def test_events_after_the_evaluation_instant_are_ignored():
    events = [start(mon(9)), cancel(mon(12))]
    result = evaluate(OFFICE, 60, events, mon(10, 30))
    assert result.state is ClockState.BREACHED
    assert result.breach_at == mon(10)
    assert result.cancelled_at is None
    assert evaluate(OFFICE, 60, [start(mon(9)), stop(mon(9, 30))], mon(9, 10)).stopped_at is None


# -- warning -----------------------------------------------------------------------------------


def test_warning_instant_is_at_80_percent_of_the_target():
    events = [start(mon(9))]
    early = evaluate(OFFICE, 100, events, mon(10))
    assert early.warning_at == mon(10, 20)
    assert not is_at_risk(early, mon(10))
    late = evaluate(OFFICE, 100, events, mon(10, 30))
    assert late.state is ClockState.RUNNING
    assert late.warning_at == mon(10, 20)
    assert late.due_at == mon(10, 40)
    assert is_at_risk(late, mon(10, 30))


def test_warning_instant_follows_the_threshold_to_the_second():
    result = evaluate(OFFICE, 45, [start(mon(9))], mon(9), warning_percent=50)
    assert result.warning_at == mon(9, 22) + timedelta(seconds=30)
    full = evaluate(OFFICE, 45, [start(mon(9))], mon(9), warning_percent=100)
    assert full.warning_at == full.due_at


def test_warning_instant_skips_closed_hours():
    result = evaluate(OFFICE, 600, [start(mon(9))], mon(9))
    assert result.warning_at == tue(9)  # 480 minutes: 7 h on Monday, 1 h on Tuesday
    assert result.due_at == tue(11)


def test_breached_and_finished_clocks_are_not_at_risk():
    breached = evaluate(OFFICE, 60, [start(mon(9))], mon(11))
    assert not is_at_risk(breached, mon(11))
    met = evaluate(OFFICE, 60, [start(mon(9)), stop(mon(9, 55))], mon(11))
    assert met.state is ClockState.MET
    assert not is_at_risk(met, mon(11))


# -- invalid input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "index", "message"),
    [
        ([pause(mon(9))], 0, "events[0]: the first event must be start"),
        ([start(mon(9)), start(mon(10))], 1, "events[1]: a clock has exactly one start"),
        ([start(mon(9)), pause(mon(10)), pause(mon(11))], 2, "events[2]: pause is only allowed"),
        ([start(mon(9)), resume(mon(10))], 1, "events[1]: resume is only allowed"),
        ([start(mon(9)), stop(mon(10)), stop(mon(11))], 2, "events[2]: stop is only allowed"),
        ([start(mon(9)), stop(mon(10)), pause(mon(11))], 2, "events[2]: pause is only allowed"),
        ([start(mon(10)), stop(mon(9))], 1, "events[1]: stop is earlier than the event before"),
        ([start(mon(9)), change(mon(10), None)], 1, "events[1].target_minutes: must be"),
        ([start(mon(9)), change(mon(10), -5)], 1, "events[1].target_minutes: must be"),
        ([start(mon(9)), change(mon(10), 1.5)], 1, "events[1].target_minutes: must be"),
        ([start(mon(9)), ClockEvent(EventType.STOP, mon(10), 60)], 1, "events[1]: only target"),
        ([start(mon(9)), cancel(mon(10)), resume(mon(11))], 2, "events[2]: nothing may follow"),
        ([start(mon(9)), cancel(mon(10)), change(mon(11), 5)], 2, "events[2]: nothing may follow"),
        ([start(mon(9)), pause(datetime(2026, 11, 23, 10))], 1, "events[1].at must be timezone"),
        ([start(mon(9)), ClockEvent("snooze", mon(10))], 1, "events[1]: unknown event type"),
        ([], None, "events: a clock needs a start event"),
    ],
)
def test_events_that_make_no_clock_are_refused_naming_the_event(events, index, message):
    with pytest.raises(ClockError) as error:
        evaluate(OFFICE, 60, events, wed(9))
    assert error.value.index == index
    assert str(error.value).startswith(message)


def test_invalid_events_after_the_evaluation_instant_are_refused_too():
    with pytest.raises(ClockError) as error:
        evaluate(OFFICE, 60, [start(mon(9)), resume(tue(9))], mon(10))
    assert error.value.index == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target_minutes": -1}, "target_minutes: must be"),
        ({"target_minutes": 1.5}, "target_minutes: must be"),
        ({"warning_percent": 0}, "warning_percent: must be"),
        ({"warning_percent": 101}, "warning_percent: must be"),
        ({"warning_percent": True}, "warning_percent: must be"),
        ({"at": datetime(2026, 11, 23, 12)}, "at must be timezone-aware"),
        ({"at": mon(8)}, "at: is before the clock's start"),
    ],
)
def test_parameters_that_make_no_clock_are_refused(kwargs, message):
    arguments = {"target_minutes": 60, "at": mon(12), **kwargs}
    with pytest.raises(ClockError, match=message) as error:
        evaluate(OFFICE, events=[start(mon(9))], **arguments)
    assert isinstance(error.value, ValueError)


def test_result_is_a_frozen_value():
    result = evaluate(OFFICE, 60, [start(mon(9))], mon(9))
    assert isinstance(result, ClockResult)
    with pytest.raises(AttributeError):
        result.state = ClockState.MET  # type: ignore[misc]


def test_event_types_and_states_read_as_their_json_names():
    assert EventType("target_change") is EventType.TARGET_CHANGE
    assert ClockState.BREACHED == "breached"


# -- where the time went -----------------------------------------------------------------------


def test_resolution_time_is_split_by_who_held_the_ticket():
    segments = [
        (tue(12), wed(9), "desk"),
        (mon(9), mon(11), "desk"),
        (mon(11), tue(10), "supplier"),
        (tue(10), tue(12), "customer"),
        (wed(9), wed(9), "nobody"),
    ]
    assert split_business_time(OFFICE, segments) == {
        "desk": 7 * HOUR,
        "supplier": 7 * HOUR,
        "customer": 2 * HOUR,
        "nobody": timedelta(0),
    }


def test_overlapping_holders_are_refused():
    segments = [(mon(9), mon(12), "desk"), (mon(10), mon(10), "x"), (mon(11), mon(13), "supplier")]
    with pytest.raises(ValueError, match=r"segments\[2\]: overlaps segments\[0\]"):
        split_business_time(OFFICE, segments)


def test_reversed_or_naive_segments_are_refused():
    with pytest.raises(ValueError, match=r"segments\[0\]: ends before it starts"):
        split_business_time(OFFICE, [(mon(12), mon(9), "desk")])
    with pytest.raises(ValueError, match="timezone-aware"):
        split_business_time(OFFICE, [(datetime(2026, 11, 23, 9), mon(12), "desk")])
