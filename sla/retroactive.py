"""What a status change does to a customer clock, and the events a clock started late
would have had from the ticket's receipt (pure rules, no I/O).

SLA.md: "A priority change **from** a priority without a promise to one with a promise starts
the clocks retroactively: measured from the received time, with the pauses as they happened, as
if the ticket had had that priority from the start. If that puts the due instant in the past,
the clock is breached at that due instant." So the clock's events are those the tracker would
have written had the promise applied from the receipt: the start at the received time, every
status change as it happened (`status_event`, the same rule the tracker applies live) and, for
the response clock, the desk's first public reply. The pure `sla.clock.evaluate` then judges
them like any other clock's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sla.clock import EventType

__all__ = [
    "CAUSE_NO_PROMISE",
    "CAUSE_RETROACTIVE",
    "CAUSE_WITHDRAWN",
    "OPEN_PHASES",
    "RETROACTIVE_WHY",
    "StatusChange",
    "no_promise_reason",
    "retroactive_events",
    "status_event",
]

OPEN_PHASES = ("running", "paused")
#: The `cause` a clock event may carry (in the clock's JSON event list) besides its `why`:
#: what the explanation, the reports and the reopen rule read instead of parsing the text.
CAUSE_NO_PROMISE = "no_promise"
CAUSE_WITHDRAWN = "escalation_withdrawn"
CAUSE_RETROACTIVE = "retroactive"
RETROACTIVE_WHY = "started retroactively at the received time"

_PHASE_AFTER = {
    EventType.START: "running",
    EventType.RESUME: "running",
    EventType.PAUSE: "paused",
    EventType.STOP: "stopped",
    EventType.CANCEL: "cancelled",
}


def no_promise_reason(priority: str, changed: str = "priority") -> str:
    """The reason a clock ends when the ticket's new priority (or service, or type) has no
    promise: "no promise for P4" (SLA.md's words; the reports count "no promise")."""
    if changed == "priority":
        return f"no promise for {priority}"
    return f"no promise for {priority} after the {changed} change"


@dataclass(frozen=True)
class StatusChange:
    """One status change of a ticket, as its "updated" event recorded it."""

    at: datetime
    before: str
    after: str


def status_event(kind: str, now: str, before: str, after: str) -> tuple[EventType, str] | None:
    """What a status change does to one customer clock in phase `now` (SLA.md, "Clock life")."""
    if after == "cancelled":
        return (EventType.CANCEL, "ticket cancelled") if now != "cancelled" else None
    if after == "resolved":
        return (EventType.STOP, "ticket resolved") if now in OPEN_PHASES else None
    if after == "waiting_for_customer":
        if kind in ("resolution", "update") and now == "running":
            return EventType.PAUSE, "waiting for the customer"
        return None
    if before == "waiting_for_customer":
        return (EventType.RESUME, "no longer waiting for the customer") if now == "paused" else None
    if before == "resolved" and after != "closed" and kind == "resolution" and now == "stopped":
        return EventType.RESUME, "ticket reopened"
    return None


def retroactive_events(
    kind: str,
    received_at: datetime,
    changes: Iterable[StatusChange],
    first_desk_reply_at: datetime | None,
    until: datetime,
) -> list[tuple[EventType, datetime, str]]:
    """The (type, instant, why) events of a `kind` clock ("response" or "resolution") had it
    run from `received_at`: what happened up to `until`, in time order.

    A desk reply and a status change at the same instant: the reply first, as `reply` writes
    them (the comment, then the status change that goes with it).
    """
    steps: list[tuple[datetime, int, StatusChange | None]] = [
        (c.at, 1, c) for c in changes if c.at <= until
    ]
    if kind == "response" and first_desk_reply_at is not None and first_desk_reply_at <= until:
        steps.append((first_desk_reply_at, 0, None))
    steps.sort(key=lambda s: (s[0], s[1]))
    events = [(EventType.START, received_at, RETROACTIVE_WHY)]
    phase = "running"
    for at, _, change in steps:
        at = max(at, received_at)
        if change is None:
            found = (EventType.STOP, "public reply by the desk") if phase in OPEN_PHASES else None
        else:
            found = status_event(kind, phase, change.before, change.after)
        if found is not None:
            events.append((found[0], at, found[1]))
            phase = _PHASE_AFTER[found[0]]
    return events
