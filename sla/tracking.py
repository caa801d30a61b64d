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

from sqlalchemy import bindparam, event, func, select
from sqlalchemy.orm import Session, lazyload

from catalog.agreements.queries import promise_for
from catalog.calendars.models import BusinessCalendar
from catalog.promises import PromiseLine
from servicedesk import statements
from servicedesk.cache import cached
from servicedesk.enums import STAFF_ROLES
from servicedesk.tickets.models import SLA_SORT_NONE, Comment, Ticket, TicketEvent
from servicedesk.users.models import User
from sla.alert_schedule import AlertInputs, next_alert_at
from sla.calendar import Calendar
from sla.clock import ClockEvent, ClockResult, ClockState, EventType, evaluate
from sla.models import SlaClock
from sla.retroactive import (
    CAUSE_NO_PROMISE,
    CAUSE_RETROACTIVE,
    CAUSE_WITHDRAWN,
    StatusChange,
    no_promise_reason,
    retroactive_events,
    status_event,
)

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
    cause: str | None = None,
) -> None:
    """Add an event and re-evaluate. `cause` (`sla.retroactive.CAUSE_*`) marks the events
    the rules read back: a clock ended for "no promise", by a withdrawal, started late."""
    event: dict[str, Any] = {"type": kind.value, "at": iso(at), "why": why}
    if target_minutes is not None:
        event["target_minutes"] = target_minutes
    if cause is not None:
        event["cause"] = cause
    clock.events = [*clock.events, event]  # a new list, so the JSON column sees the change
    with sess.no_autoflush:  # a calendar read must not write the events apart from the result
        _refresh(sess, clock, at)


_KNOWN = "sla_ticket_clocks"  # sess.info: ticket id -> every clock of it, this transaction


def ticket_clocks(sess: Session, ticket: Ticket) -> list[SlaClock]:
    """Every clock of the ticket, in id order (new ones last), loaded once per transaction."""
    known: dict[int, list[SlaClock]] = sess.info.setdefault(_KNOWN, {})
    if ticket.id not in known:
        stmt = statements.kept("ticket_clocks", _ticket_clocks_statement)
        known[ticket.id] = list(sess.scalars(stmt, {"ticket_id": ticket.id}))
    return known[ticket.id]


def _ticket_clocks_statement() -> Any:
    return (
        select(SlaClock)
        .where(SlaClock.ticket_id == bindparam("ticket_id"))
        .options(lazyload(SlaClock.alerts))
        .order_by(SlaClock.id)
    )


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
    clock.ticket_id, clock.organisation_id = ticket.id, ticket.organisation_id
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
        clock.ticket_id, clock.organisation_id = ticket.id, ticket.organisation_id
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


def ended_without_promise(clock: SlaClock) -> bool:
    """The clock ended because a change left the ticket without a promise (cancelled, or
    stopped already breached): the change's outcome, never resumed by a reopen."""
    last = clock.events[-1] if clock.events else {}
    return last.get("type") in ("stop", "cancel") and last.get("cause") == CAUSE_NO_PROMISE


def on_status_change(sess: Session, ticket: Ticket, before: str, after: str, at: datetime) -> None:
    if after in ("cancelled", "resolved"):
        # Supplier clocks end with the ticket too (SLA.md: resolved stops them, cancel cancels).
        for clock in clocks_of(sess, ticket, SUPPLIER_KINDS, leg=None):
            if after == "cancelled" and phase(clock) != "cancelled":
                append(sess, clock, EventType.CANCEL, at, "ticket cancelled")
            elif after == "resolved" and phase(clock) in OPEN_PHASES:
                append(sess, clock, EventType.STOP, at, "ticket resolved")
    reopened = before == "resolved" and after != "closed"
    # Reopened without a promise (its priority changed to one without while it was
    # resolved): nothing resumes; a clock runs only where a promise applies (SLA.md).
    promise = current_promise(sess, ticket) if reopened else None
    clocks = clocks_of(sess, ticket)
    for clock in clocks:
        now = phase(clock)
        event = status_event(clock.kind, now, before, after)
        if event is None:
            continue
        if (
            event[0] is EventType.RESUME
            and now == "stopped"
            and (promise is None or ended_without_promise(clock))
        ):
            continue
        append(sess, clock, event[0], at, event[1])
    if reopened and promise is not None:
        # Reopened: a priority changed while it was resolved applies from the reopening.
        _switch_targets(sess, clocks, promise, at, f"reopened as {ticket.priority}")
    update_next_due(sess, ticket)


def on_targets_changed(sess: Session, ticket: Ticket, at: datetime, why: str) -> None:
    """Priority, service or type changed: open clocks switch to the new promise's targets.

    Elapsed time is kept; due, warning and breach instants are recomputed (SLA.md).
    A clock whose new promise line has no such target keeps its old one.

    To a priority (service, type) without a promise: the open clocks are cancelled ("no
    promise for P4"), except one already past its due instant, which stops and stays
    breached. From a priority without a promise to one with: the response and resolution
    clocks start retroactively at the received time (`start_retroactively`, SLA.md). A
    service or type change that brings a promise (feedback made an incident) starts them
    from the change: SLA.md makes only the priority retroactive.
    """
    promise = current_promise(sess, ticket)
    existing = clocks_of(sess, ticket)
    if promise is None:
        if ticket.type == "feedback" and why == "type changed":
            reason = "feedback: no promise for it"
        else:
            reason = no_promise_reason(ticket.priority, why.removesuffix(" changed"))
        end_without_promise(sess, existing, at, reason)
        update_next_due(sess, ticket)
        return
    if ticket.status not in ("resolved", "closed", "cancelled"):
        # Reopened while it had no promise, its resolution clock stayed stopped: it runs
        # again from now that a promise applies (the time without one is not counted).
        for clock in existing:
            if (
                clock.kind == "resolution"
                and phase(clock) == "stopped"
                and not ended_without_promise(clock)
            ):
                append(sess, clock, EventType.RESUME, at, f"a promise applies again ({why})")
    _switch_targets(sess, existing, promise, at, why)
    late = [
        kind
        for kind in ("response", "resolution")
        if all(c.kind != kind or _cancelled_for_no_promise(c) for c in existing)
    ]
    if late and why == "priority changed":
        start_retroactively(sess, ticket, promise, late, at)
    elif late:
        start_from_now(sess, ticket, promise, late, at)
    update_next_due(sess, ticket)


def _cancelled_for_no_promise(clock: SlaClock) -> bool:
    return phase(clock) == "cancelled" and ended_without_promise(clock)


def end_without_promise(
    sess: Session, clocks: Iterable[SlaClock], at: datetime, reason: str
) -> None:
    """End the open clocks because no promise applies any more: cancelled (left out of
    compliance, counted apart as "ended by a priority change"), or, if already past the due
    instant, stopped: that one stays breached, since history is not rewritten (SLA.md).

    "Running clocks" in SLA.md are the clocks not ended yet: a paused one is cancelled too
    (or stopped, if it was paused after its due instant). Ended clocks keep their outcome.
    """
    for clock in clocks:
        if phase(clock) not in OPEN_PHASES:
            continue
        if evaluate_clock(sess, clock, at).state is ClockState.BREACHED:
            append(sess, clock, EventType.STOP, at, reason, cause=CAUSE_NO_PROMISE)
        else:
            append(sess, clock, EventType.CANCEL, at, reason, cause=CAUSE_NO_PROMISE)


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


def ticket_history(sess: Session, ticket: Ticket) -> tuple[list[StatusChange], datetime | None]:
    """The ticket's status changes (its "updated" events) and its first public desk reply:
    what moves a customer clock (`sla.retroactive.retroactive_events`)."""
    rows = sess.execute(
        select(TicketEvent.at, TicketEvent.data)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "updated")
        .order_by(TicketEvent.at, TicketEvent.id)
    )
    changes = []
    for at, data in rows:
        status = ((data or {}).get("changes") or {}).get("status")
        if status:
            changes.append(StatusChange(_aware(at), str(status["before"]), str(status["after"])))
    first_reply = sess.scalar(
        select(func.min(Comment.created_at))
        .join(User, User.id == Comment.author_id)
        .where(
            Comment.ticket_id == ticket.id,
            Comment.internal.is_(False),
            Comment.escalation_id.is_(None),
            User.role.in_([r.value for r in STAFF_ROLES]),
        )
    )
    return changes, _aware(first_reply) if first_reply is not None else None


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def start_from_now(
    sess: Session, ticket: Ticket, promise: PromiseLine, kinds: Iterable[str], at: datetime
) -> None:
    """A service or type change gave the ticket a promise: its clocks of `kinds` start now
    (in the next cycle where earlier ones were cancelled), unless it is resolved already."""
    if ticket.status in ("resolved", "closed", "cancelled"):
        return
    for kind in kinds:
        cycle = max((c.cycle for c in clocks_of(sess, ticket, (kind,))), default=-1) + 1
        clock = _new_clock(sess, ticket, promise, kind, at, "a promise applies from now", cycle)
        if kind == "resolution" and ticket.status == "waiting_for_customer":
            append(sess, clock, EventType.PAUSE, at, "waiting for the customer")


def start_retroactively(
    sess: Session, ticket: Ticket, promise: PromiseLine, kinds: Iterable[str], at: datetime
) -> None:
    """The ticket gets a promise it did not have: its clocks of `kinds` start at the received
    time, with its pauses, resolutions and reopenings as they happened and the desk's first
    public reply stopping the response clock (SLA.md). A due instant already past makes the
    clock breached at it (the sweep records the breach at that instant, and the warning
    before it without telling anyone, `sla.alert_schedule`).

    Clock rows are unique per (ticket, kind, leg, cycle): a cancelled clock is final, so a
    kind whose clocks were all cancelled for "no promise" starts again in the next cycle.
    The update clock is not started late: its next cycle starts at the requester's next
    comment, as always.
    """
    changes, first_reply = ticket_history(sess, ticket)
    received = _aware(ticket.received_at)
    for kind in kinds:
        target = _target(promise, kind)
        assert target is not None  # a line always promises a response and a resolution
        events: list[dict[str, Any]] = []
        for step, moment, why in retroactive_events(kind, received, changes, first_reply, at):
            events.append({"type": step.value, "at": iso(moment), "why": why})
        events[0]["cause"] = CAUSE_RETROACTIVE
        clock = SlaClock(
            ticket_id=ticket.id,
            organisation_id=ticket.organisation_id,
            kind=kind,
            cycle=max((c.cycle for c in clocks_of(sess, ticket, (kind,))), default=-1) + 1,
            leg=0,
            promise_id=promise.id,
            calendar_id=promise.calendar_id,
            target_minutes=target,
            warning_percent=promise.warning_percent,
            events=events,
        )
        with sess.no_autoflush:
            _refresh(sess, clock, at)
        sess.add(clock)
        _started(sess, ticket, clock)


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
            organisation_id=ticket.organisation_id,
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
    """The supplier marks its part done: both supplier clocks stop (met or breached)."""
    for clock in clocks_of(sess, ticket, SUPPLIER_KINDS, leg=leg):
        if phase(clock) in OPEN_PHASES:
            append(sess, clock, EventType.STOP, at, why)
    update_next_due(sess, ticket)


def withdraw_supplier_clocks(sess: Session, ticket: Ticket, leg: int, at: datetime) -> None:
    """The desk withdrew the escalation: the leg's open supplier clocks are cancelled (left
    out of supplier compliance), except one already past its due instant, which stops and
    stays breached (SLA.md). A clock that ended before (the supplier's response) keeps its
    outcome."""
    for clock in clocks_of(sess, ticket, SUPPLIER_KINDS, leg=leg):
        if phase(clock) not in OPEN_PHASES:
            continue
        kind = (
            EventType.STOP
            if evaluate_clock(sess, clock, at).state is ClockState.BREACHED
            else EventType.CANCEL
        )
        append(sess, clock, kind, at, "escalation withdrawn", cause=CAUSE_WITHDRAWN)
    update_next_due(sess, ticket)
