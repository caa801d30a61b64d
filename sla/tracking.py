"""Keep a ticket's clocks up to date, in the same transaction as the change that moves them.

SLA.md "Clock life" is the contract. Each hook appends events to the affected clocks and
re-evaluates them with the pure `sla.clock.evaluate`; nothing here decides time arithmetic.

A transaction loads a ticket's clocks once (`ticket_clocks`) and every hook works on that
list: clocks it starts join it, so nothing is selected again, and the ticket's next due
instant comes from it without a query. Each clock keeps its last evaluation (`evaluate_clock`),
so an answer given as of the change does not evaluate it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, lazyload

from catalog.agreements.queries import promise_for
from catalog.calendars.models import BusinessCalendar
from catalog.promises import PromiseLine
from servicedesk.cache import cached
from servicedesk.tickets.models import SLA_SORT_NONE, Ticket
from sla.alert_schedule import AlertInputs, next_alert_at
from sla.calendar import Calendar
from sla.clock import ClockEvent, ClockResult, EventType, evaluate
from sla.models import SlaClock

CUSTOMER_KINDS = ("response", "resolution", "update")
SUPPLIER_KINDS = ("supplier_response", "supplier_resolution")
OPEN_PHASES = ("running", "paused")


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def calendar_for(sess: Session, calendar_id: int) -> Calendar:
    """The pure calendar of a row, kept per process (`servicedesk.cache`): its year tables
    are built once, not per request."""

    def load() -> Calendar:
        row = sess.get(BusinessCalendar, calendar_id)
        if row is None:
            raise LookupError(f"no calendar {calendar_id}")
        return row.to_calendar()

    return cached(sess, "calendar", calendar_id, load)


def clock_events(clock: SlaClock) -> list[ClockEvent]:
    return [
        ClockEvent(
            EventType(e["type"]),
            datetime.fromisoformat(e["at"].replace("Z", "+00:00")),
            e.get("target_minutes"),
        )
        for e in clock.events
    ]


_LAST_EVALUATION = "_sd_last_evaluation"  # on the clock instance: (inputs, result)


def evaluate_clock(sess: Session, clock: SlaClock, at: datetime) -> ClockResult:
    """The clock as of `at` (live: a running clock past its due instant is breached).

    The last result is kept on the instance with its inputs: the event list is replaced
    (never changed in place) on every append, so the same list object, target, calendar,
    warning percent and instant give the same answer without evaluating again.
    """
    at = max(at, datetime.fromisoformat(clock.events[0]["at"].replace("Z", "+00:00")))
    events = clock.events
    inputs = (at, clock.calendar_id, clock.target_minutes, clock.warning_percent)
    last = clock.__dict__.get(_LAST_EVALUATION)
    if last is not None and last[0] is events and last[1] == inputs:
        return last[2]  # type: ignore[no-any-return]
    result = evaluate(
        calendar_for(sess, clock.calendar_id),
        clock.target_minutes,
        clock_events(clock),
        at,
        clock.warning_percent,
    )
    clock.__dict__[_LAST_EVALUATION] = (events, inputs, result)
    return result


def phase(clock: SlaClock) -> str:
    """Where the clock's own event list leaves it: running, paused, stopped or cancelled."""
    current = "running"
    for e in clock.events:
        current = {
            "start": "running",
            "resume": "running",
            "pause": "paused",
            "stop": "stopped",
            "cancel": "cancelled",
        }.get(e["type"], current)
    return current


def current_target(clock: SlaClock) -> int:
    changes = [e["target_minutes"] for e in clock.events if e["type"] == "target_change"]
    return changes[-1] if changes else clock.target_minutes


def _refresh(sess: Session, clock: SlaClock, at: datetime) -> None:
    result = evaluate_clock(sess, clock, at)
    clock.state = result.state.value
    clock.elapsed_seconds = int(result.elapsed.total_seconds())
    clock.due_at = result.due_at
    clock.warning_at = result.warning_at
    clock.breach_at = result.breach_at
    clock.stopped_at = result.stopped_at
    clock.evaluated_at = at
    clock.next_alert_at = next_alert_at(AlertInputs.of_row(clock))


def append(
    sess: Session,
    clock: SlaClock,
    kind: EventType,
    at: datetime,
    why: str,
    target_minutes: int | None = None,
) -> None:
    event: dict[str, Any] = {"type": kind.value, "at": iso(at), "why": why}
    if target_minutes is not None:
        event["target_minutes"] = target_minutes
    clock.events = [*clock.events, event]  # a new list, so the JSON column sees the change
    with sess.no_autoflush:  # a calendar read must not write the events apart from the result
        _refresh(sess, clock, at)


_KNOWN = "sla_ticket_clocks"  # sess.info: ticket id -> every clock of it, this transaction


def ticket_clocks(sess: Session, ticket: Ticket) -> list[SlaClock]:
    """Every clock of the ticket, in id order (new ones last), loaded once per transaction."""
    known: dict[int, list[SlaClock]] = sess.info.setdefault(_KNOWN, {})
    if ticket.id not in known:
        stmt = (
            select(SlaClock)
            .where(SlaClock.ticket_id == ticket.id)
            .options(lazyload(SlaClock.alerts))
            .order_by(SlaClock.id)
        )
        known[ticket.id] = list(sess.scalars(stmt))
    return known[ticket.id]


def prepare(sess: Session, ticket: Ticket) -> None:
    """Read what the hooks will need before a change makes anything dirty: the ticket's
    clocks, their calendars and its promise (which also reads the cache token). The hooks
    then only compute, and the change is written in one flush: a read after the first
    change would autoflush it and write the ticket twice."""
    for clock in ticket_clocks(sess, ticket):
        calendar_for(sess, clock.calendar_id)
    current_promise(sess, ticket)


def _started(sess: Session, ticket: Ticket, clock: SlaClock) -> None:
    """A clock started in this transaction joins the ticket's known clocks."""
    known: dict[int, list[SlaClock]] = sess.info.setdefault(_KNOWN, {})
    if ticket.id in known:
        known[ticket.id].append(clock)


@event.listens_for(Session, "after_transaction_end")
def _forget_clocks(sess: Session, trans: object) -> None:
    # Another transaction may have started clocks, a rolled back savepoint dropped some:
    # the next hook loads them again. (A flush's own subtransaction ends nothing.)
    if trans.parent is None or trans.nested:  # type: ignore[attr-defined]
        sess.info.pop(_KNOWN, None)


def clocks_of(
    sess: Session, ticket: Ticket, kinds: Iterable[str] = CUSTOMER_KINDS, leg: int | None = 0
) -> list[SlaClock]:
    wanted = set(kinds)
    return [
        c for c in ticket_clocks(sess, ticket) if c.kind in wanted and (leg is None or c.leg == leg)
    ]


def _target(promise: PromiseLine, kind: str) -> int | None:
    return {
        "response": promise.response_minutes,
        "resolution": promise.resolution_minutes,
        "update": promise.update_minutes,
    }[kind]


def _started_clock(
    sess: Session, promise: PromiseLine, kind: str, at: datetime, why: str, cycle: int = 0
) -> SlaClock:
    """A customer clock started on `promise`, evaluated, not yet in the session."""
    target = _target(promise, kind)
    assert target is not None  # callers start only clocks the promise has a target for
    clock = SlaClock(
        kind=kind,
        cycle=cycle,
        leg=0,
        promise_id=promise.id,
        calendar_id=promise.calendar_id,
        target_minutes=target,
        warning_percent=promise.warning_percent,
        events=[],
    )
    append(sess, clock, EventType.START, at, why)
    return clock


def _new_clock(
    sess: Session,
    ticket: Ticket,
    promise: PromiseLine,
    kind: str,
    at: datetime,
    why: str,
    cycle: int = 0,
) -> SlaClock:
    clock = _started_clock(sess, promise, kind, at, why, cycle)
    clock.ticket_id = ticket.id
    sess.add(clock)
    _started(sess, ticket, clock)
    return clock


def current_promise(sess: Session, ticket: Ticket) -> PromiseLine | None:
    """The ticket's promise line: for its service, priority and type (feedback has one only
    where the agreement promises something for feedback)."""
    return promise_for(
        sess, ticket.agreement_version_id, ticket.service, ticket.priority, ticket.type
    )


def next_due(clocks: Iterable[SlaClock]) -> datetime | None:
    """The earliest due instant of the running clocks: the queue's order (`sla_due_at`)."""
    dues = [c.due_at for c in clocks if phase(c) == "running" and c.due_at is not None]
    return min(dues) if dues else None


def update_next_due(sess: Session, ticket: Ticket) -> None:
    """Denormalise the earliest due instant of the ticket's running clocks (queue order)."""
    set_due(ticket, next_due(ticket_clocks(sess, ticket)))


def set_due(ticket: Ticket, due: datetime | None) -> None:
    """The queue's due instant and its indexed, never-NULL sort key, always together."""
    if ticket.sla_due_at != due:
        ticket.sla_due_at = due
    sort_at = due or SLA_SORT_NONE
    if ticket.sla_sort_at != sort_at:
        ticket.sla_sort_at = sort_at


# --- hooks called by the ticket operations -------------------------------------------------


def clocks_at_receipt(
    sess: Session, promise: PromiseLine | None, received_at: datetime
) -> list[SlaClock]:
    """The response and resolution clocks a new ticket starts with (SLA.md), evaluated
    before the ticket is stored: its next due instant goes into the ticket's own INSERT.
    None for "no promise": the ticket has no clock, and says so."""
    if promise is None:
        return []
    return [
        _started_clock(sess, promise, kind, received_at, "ticket received")
        for kind in ("response", "resolution")
    ]


def on_received(sess: Session, ticket: Ticket, clocks: list[SlaClock]) -> None:
    """The new ticket (just inserted) takes the clocks of `clocks_at_receipt`."""
    for clock in clocks:
        clock.ticket_id = ticket.id
    sess.add_all(clocks)
    sess.info.setdefault(_KNOWN, {})[ticket.id] = list(clocks)


def on_desk_public_reply(sess: Session, ticket: Ticket, at: datetime) -> None:
    """The first public reply of the desk stops the response clock; any ends an update cycle."""
    for clock in clocks_of(sess, ticket, ("response", "update")):
        if phase(clock) in OPEN_PHASES:
            append(sess, clock, EventType.STOP, at, "public reply by the desk")
    update_next_due(sess, ticket)


def on_requester_comment(sess: Session, ticket: Ticket, at: datetime) -> None:
    """A public comment of the requester starts an update cycle, if none is running.

    Only while the ticket is open (SLA.md): a comment on a resolved ticket starts nothing.
    """
    if ticket.status in ("resolved", "closed", "cancelled"):
        return
    promise = current_promise(sess, ticket)
    if promise is None or promise.update_minutes is None:
        return
    cycles = clocks_of(sess, ticket, ("update",))
    if any(phase(c) in OPEN_PHASES for c in cycles):
        return
    clock = _new_clock(
        sess, ticket, promise, "update", at, "the requester wrote", cycle=len(cycles) + 1
    )
    if ticket.status == "waiting_for_customer":
        append(sess, clock, EventType.PAUSE, at, "waiting for the customer")
    update_next_due(sess, ticket)


def _customer_clock_event(
    kind: str, now: str, before: str, after: str
) -> tuple[EventType, str] | None:
    """What a status change does to one customer clock (SLA.md, "Clock life")."""
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


def on_status_change(sess: Session, ticket: Ticket, before: str, after: str, at: datetime) -> None:
    if after in ("cancelled", "resolved"):
        # Supplier clocks end with the ticket too (SLA.md: resolved stops them, cancel cancels).
        for clock in clocks_of(sess, ticket, SUPPLIER_KINDS, leg=None):
            if after == "cancelled" and phase(clock) != "cancelled":
                append(sess, clock, EventType.CANCEL, at, "ticket cancelled")
            elif after == "resolved" and phase(clock) in OPEN_PHASES:
                append(sess, clock, EventType.STOP, at, "ticket resolved")
    clocks = clocks_of(sess, ticket)
    for clock in clocks:
        now = phase(clock)
        event = _customer_clock_event(clock.kind, now, before, after)
        if event is not None:
            append(sess, clock, event[0], at, event[1])
    if before == "resolved" and after != "closed":
        # Reopened: a priority changed while it was resolved applies from the reopening.
        promise = current_promise(sess, ticket)
        if promise is not None:
            _switch_targets(sess, clocks, promise, at, f"reopened as {ticket.priority}")
    update_next_due(sess, ticket)


def on_targets_changed(sess: Session, ticket: Ticket, at: datetime, why: str) -> None:
    """Priority, service or type changed: open clocks switch to the new promise's targets.

    Elapsed time is kept; due, warning and breach instants are recomputed (SLA.md).
    A clock whose new promise line has no such target keeps its old one. A ticket made
    feedback with no promise for feedback runs no clocks: its open ones are cancelled.
    """
    promise = current_promise(sess, ticket)
    existing = clocks_of(sess, ticket)
    if promise is None:
        if ticket.type == "feedback":
            for clock in existing:
                if phase(clock) in OPEN_PHASES:
                    append(sess, clock, EventType.CANCEL, at, "feedback: no promise for it")
            update_next_due(sess, ticket)
        return
    if not existing:
        on_received_late(sess, ticket, promise, at)
        return
    _switch_targets(sess, existing, promise, at, why)
    update_next_due(sess, ticket)


def _switch_targets(
    sess: Session, clocks: Iterable[SlaClock], promise: PromiseLine, at: datetime, why: str
) -> None:
    """Open clocks take the promise's targets (a stopped clock's outcome is history)."""
    for clock in clocks:
        if phase(clock) not in OPEN_PHASES:
            continue
        target = _target(promise, clock.kind)
        if target is not None and target != current_target(clock):
            clock.promise_id = promise.id
            append(sess, clock, EventType.TARGET_CHANGE, at, why, target_minutes=target)


def on_received_late(sess: Session, ticket: Ticket, promise: PromiseLine, at: datetime) -> None:
    """A ticket that had no promise gets one (its priority changed): clocks start now."""
    if ticket.status in ("resolved", "closed", "cancelled"):
        return
    for kind in ("response", "resolution"):
        clock = _new_clock(sess, ticket, promise, kind, at, "a promise applies from now")
        if kind == "resolution" and ticket.status == "waiting_for_customer":
            append(sess, clock, EventType.PAUSE, at, "waiting for the customer")
    update_next_due(sess, ticket)


# --- the supplier leg ----------------------------------------------------------------------


def start_supplier_clocks(
    sess: Session,
    ticket: Ticket,
    leg: int,
    calendar_id: int,
    response_minutes: int,
    resolution_minutes: int,
    warning_percent: int,
    at: datetime,
) -> list[SlaClock]:
    """Escalated: the supplier's clocks start on the supplier's contract and calendar."""
    clocks = []
    for kind, target in (
        ("supplier_response", response_minutes),
        ("supplier_resolution", resolution_minutes),
    ):
        clock = SlaClock(
            ticket_id=ticket.id,
            kind=kind,
            cycle=0,
            leg=leg,
            promise_id=None,
            calendar_id=calendar_id,
            target_minutes=target,
            warning_percent=warning_percent,
            events=[],
        )
        sess.add(clock)
        append(sess, clock, EventType.START, at, "escalated to the supplier")
        _started(sess, ticket, clock)
        clocks.append(clock)
    update_next_due(sess, ticket)
    return clocks


def on_supplier_public_reply(sess: Session, ticket: Ticket, leg: int, at: datetime) -> None:
    """The supplier's first public reply stops only the supplier response clock."""
    for clock in clocks_of(sess, ticket, ("supplier_response",), leg=leg):
        if phase(clock) in OPEN_PHASES:
            append(sess, clock, EventType.STOP, at, "public reply by the supplier")
    update_next_due(sess, ticket)


def stop_supplier_clocks(sess: Session, ticket: Ticket, leg: int, at: datetime, why: str) -> None:
    """Supplier marks done, or the escalation is withdrawn: both supplier clocks stop."""
    for clock in clocks_of(sess, ticket, SUPPLIER_KINDS, leg=leg):
        if phase(clock) in OPEN_PHASES:
            append(sess, clock, EventType.STOP, at, why)
    update_next_due(sess, ticket)
