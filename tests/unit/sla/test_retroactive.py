"""`sla.retroactive`: the events a clock started late would have had from the ticket's receipt.

Checked against the pure engine too: a clock built from the history equals, as of any instant,
the clock the tracker would have kept live had the promise applied from the start.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sla.calendar import Calendar
from sla.clock import ClockEvent, EventType, evaluate
from sla.retroactive import (
    RETROACTIVE_WHY,
    StatusChange,
    no_promise_reason,
    retroactive_events,
    status_event,
)

T0 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # Mon 09:00 Helsinki
OFFICE = Calendar.office_hours()


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def types(events: list[tuple[EventType, datetime, str]]) -> list[tuple[str, datetime]]:
    return [(kind.value, moment) for kind, moment, _ in events]


HISTORY = [
    StatusChange(at(30), "new", "in_progress"),
    StatusChange(at(60), "in_progress", "waiting_for_customer"),
    StatusChange(at(24 * 60), "waiting_for_customer", "in_progress"),
    StatusChange(at(25 * 60), "in_progress", "resolved"),
    StatusChange(at(26 * 60), "resolved", "in_progress"),
]


def test_the_resolution_clock_pauses_stops_and_resumes_as_the_ticket_did():
    events = retroactive_events("resolution", T0, HISTORY, at(20), at(27 * 60))
    assert types(events) == [
        ("start", T0),
        ("pause", at(60)),
        ("resume", at(24 * 60)),
        ("stop", at(25 * 60)),
        ("resume", at(26 * 60)),
    ]
    assert events[0][2] == RETROACTIVE_WHY


def test_the_response_clock_stops_at_the_first_desk_reply_and_ignores_waiting():
    events = retroactive_events("response", T0, HISTORY, at(20), at(27 * 60))
    assert types(events) == [("start", T0), ("stop", at(20))]
    # With no reply the resolution stops it; a reopen does not resume a response.
    events = retroactive_events("response", T0, HISTORY, None, at(27 * 60))
    assert types(events) == [("start", T0), ("stop", at(25 * 60))]


def test_only_what_happened_up_to_the_change_counts():
    events = retroactive_events("resolution", T0, HISTORY, None, at(120))
    assert types(events) == [("start", T0), ("pause", at(60))]
    assert types(retroactive_events("response", T0, [], at(200), at(120))) == [("start", T0)]


def test_a_reply_and_a_status_change_at_the_same_instant_apply_reply_first():
    resolved = [StatusChange(at(30), "in_progress", "resolved")]
    events = retroactive_events("response", T0, resolved, at(30), at(60))
    assert [e[2] for e in events] == [RETROACTIVE_WHY, "public reply by the desk"]


def test_the_events_make_the_clock_the_tracker_would_have_kept():
    """Due instant from the receipt, pauses skipped: the engine replays the derived events."""
    events = retroactive_events("resolution", T0, HISTORY[:3], None, at(24 * 60 + 10))
    clock = [ClockEvent(kind, moment) for kind, moment, _ in events]
    result = evaluate(OFFICE, 240, clock, at(24 * 60 + 10))
    assert result.elapsed == timedelta(minutes=70)  # 09:00-10:00 Mon, 09:00-09:10 Tue
    assert result.due_at == at(24 * 60 + 180)  # Tue 12:00 Helsinki
    assert result.pauses == ((at(60), at(24 * 60)),)


def test_status_event_is_the_tracker_rule():
    assert status_event("resolution", "running", "new", "waiting_for_customer") == (
        EventType.PAUSE,
        "waiting for the customer",
    )
    assert status_event("response", "running", "new", "waiting_for_customer") is None
    assert status_event("response", "stopped", "resolved", "in_progress") is None
    assert status_event("resolution", "stopped", "resolved", "closed") is None
    assert status_event("update", "paused", "x", "cancelled") == (
        EventType.CANCEL,
        "ticket cancelled",
    )


def test_the_no_promise_reason_names_the_priority():
    assert no_promise_reason("P4") == "no promise for P4"
    assert no_promise_reason("P4", "service") == "no promise for P4 after the service change"
