"""Reads on clocks: live summaries for ticket answers, explanations, list filters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, lazyload, selectinload

from catalog.agreements.models import AgreementVersion, ServicePromise
from catalog.calendars.models import BusinessCalendar
from servicedesk.tickets.models import Ticket, TicketEvent
from sla.attribution import split_business_time
from sla.clock import ClockResult, ClockState, is_at_risk
from sla.live import CachedClock, live
from sla.models import SlaClock
from sla.retroactive import CAUSE_NO_PROMISE, CAUSE_RETROACTIVE, CAUSE_WITHDRAWN
from sla.tracking import calendar_for, current_target, evaluate_clock, phase

#: An alert recorded later than this after its true instant was noticed late: the sweep runs
#: every minute (SLA.md: "within a minute"), so only downtime or a late start makes it later.
LATE_AFTER = timedelta(minutes=1)
#: What ended a clock, by the `cause` of its ending event (`sla.retroactive`).
ENDED_BY = {CAUSE_NO_PROMISE: "priority_change", CAUSE_WITHDRAWN: "escalation_withdrawn"}

#: Sorts "no running clock" after every real due instant.
FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)
SLA_STATES = ("running", "at_risk", "breached", "paused", "met")


def live_state(result: ClockResult, at: datetime) -> str:
    if result.state is ClockState.RUNNING and is_at_risk(result, at):
        return "at_risk"
    return result.state.value


def summary(clock: SlaClock, result: ClockResult, at: datetime) -> dict[str, Any]:
    return {
        "kind": clock.kind,
        "cycle": clock.cycle,
        "leg": clock.leg,
        "state": live_state(result, at),
        "target_minutes": int(result.target.total_seconds() // 60),
        "elapsed_seconds": int(result.elapsed.total_seconds()),
        "remaining_minutes": int(result.remaining.total_seconds() // 60),
        "due_at": result.due_at,
        "warning_at": result.warning_at,
        "breach_at": result.breach_at,
        "stopped_at": result.stopped_at,
    }


def clocks_by_ticket(
    sess: Session, tickets: Sequence[Ticket], viewer: Any = None, *, alerts: bool = False
) -> dict[int, list[SlaClock]]:
    """The clocks of a page of tickets in one query; with a `viewer`, only those they may see
    (`servicedesk.access.clock_scope`). Their recorded alerts are loaded (one more query)
    only when asked: a summary does not show them."""
    from servicedesk import access

    found: dict[int, list[SlaClock]] = {t.id: [] for t in tickets}
    if found:
        stmt = select(SlaClock).where(SlaClock.ticket_id.in_(list(found)))
        stmt = stmt.options(selectinload(SlaClock.alerts) if alerts else lazyload(SlaClock.alerts))
        if viewer is not None:
            stmt = stmt.where(access.clock_scope(viewer))
        rows = sess.scalars(stmt.order_by(SlaClock.id))
        for clock in rows:
            found[clock.ticket_id].append(clock)
    return found


def cached_clock(clock: SlaClock) -> CachedClock:
    """The row's cached evaluation, with the two facts `sla.live` needs of its events."""
    return CachedClock(
        phase=phase(clock),
        state=clock.state,
        target_minutes=current_target(clock),
        elapsed_seconds=clock.elapsed_seconds,
        due_at=clock.due_at,
        warning_at=clock.warning_at,
        breach_at=clock.breach_at,
        stopped_at=clock.stopped_at,
        evaluated_at=clock.evaluated_at,
        last_event_at=datetime.fromisoformat(clock.events[-1]["at"]),
    )


def live_summary(sess: Session, clock: SlaClock, at: datetime) -> dict[str, Any]:
    """`summary` of the clock as of `at`: from its cached evaluation (`sla.live`) when that
    tells, else by replaying its events. The two are equal (tests/unit/sla/test_live.py)."""
    calendar = calendar_for(sess, clock.calendar_id)
    found = live(cached_clock(clock), calendar, at) if clock.events else None
    if found is None:
        return summary(clock, evaluate_clock(sess, clock, at), at)
    return {
        "kind": clock.kind,
        "cycle": clock.cycle,
        "leg": clock.leg,
        "state": found.state,
        "target_minutes": found.target_minutes,
        "elapsed_seconds": found.elapsed_seconds,
        "remaining_minutes": found.remaining_minutes,
        "due_at": found.due_at,
        "warning_at": found.warning_at,
        "breach_at": found.breach_at,
        "stopped_at": found.stopped_at,
    }


def ticket_sla(sess: Session, clocks: Sequence[SlaClock], at: datetime) -> dict[str, Any]:
    """What a ticket answer says of its SLA: each clock, or that it has no promise."""
    return {
        "no_promise": not any(c.leg == 0 for c in clocks),
        "clocks": [live_summary(sess, c, at) for c in clocks],
    }


def explain(sess: Session, ticket: Ticket, at: datetime, viewer: Any = None) -> dict[str, Any]:
    """Each clock explained: counted intervals, pauses, targets, the promise line used.

    With a `viewer`, only what that user may see (`servicedesk.access.clock_scope`).
    """
    from servicedesk import access

    clocks = clocks_by_ticket(sess, [ticket], viewer, alerts=True)[ticket.id]
    version = (
        sess.get(AgreementVersion, ticket.agreement_version_id)
        if ticket.agreement_version_id
        else None
    )
    notified = _alerts_notified(sess, ticket) if any(c.alerts for c in clocks) else {}
    out = []
    for clock in clocks:
        result = evaluate_clock(sess, clock, at)
        promise = sess.get(ServicePromise, clock.promise_id) if clock.promise_id else None
        calendar = sess.get(BusinessCalendar, clock.calendar_id)
        out.append(
            {
                **summary(clock, result, at),
                "warning_percent": clock.warning_percent,
                "initial_target_minutes": clock.target_minutes,
                "current_target_minutes": current_target(clock),
                "calendar": {"id": calendar.id, "name": calendar.name} if calendar else None,
                "promise": _contract_line(sess, clock.leg)
                if clock.leg
                else None
                if promise is None
                else {
                    "id": promise.id,
                    "scope": (
                        "service"
                        if promise.service_id
                        else "family"
                        if promise.family
                        else "agreement default"
                    ),
                    "service_id": promise.service_id,
                    "family": promise.family,
                    "priority": promise.priority,
                },
                "events": clock.events,
                "intervals": [{"start": s, "end": e} for s, e in result.intervals],
                "pauses": [{"start": s, "end": e} for s, e in result.pauses],
                "target_changes": [
                    {"at": a, "target_minutes": m} for a, m in result.target_changes
                ],
                **clock_story(clock),
                "alerts": [
                    {
                        "kind": a.kind,
                        "at": a.at,
                        "recorded_at": a.recorded_at,
                        "late": a.recorded_at - a.at > LATE_AFTER,
                        "notified": notified.get((clock.id, a.kind), True),
                    }
                    for a in clock.alerts
                ],
            }
        )
    return {
        "ticket_id": ticket.id,
        "at": at,
        "agreement_version": None
        if version is None
        else {
            "id": version.id,
            "version_no": version.version_no,
            "valid_from": version.valid_from.isoformat(),
            "valid_to": version.valid_to.isoformat() if version.valid_to else None,
        },
        "no_promise": not any(c["leg"] == 0 for c in out),
        "clocks": out,
        "time_split": time_split(sess, ticket, at)
        if viewer is None or access.sees_time_split(viewer)
        else None,
    }


def clock_story(clock: SlaClock) -> dict[str, Any]:
    """How the clock started and ended, in its own events' words: a retroactive start (a
    change from a priority without a promise), and the reason it stopped or was cancelled
    ("no promise for P4", "escalation withdrawn", "ticket resolved", ...)."""
    first = clock.events[0] if clock.events else {}
    last = clock.events[-1] if clock.events else {}
    ended = phase(clock) in ("stopped", "cancelled") and last.get("type") in ("stop", "cancel")
    return {
        "start_reason": first.get("why"),
        "retroactive": first.get("cause") == CAUSE_RETROACTIVE,
        "end_reason": last.get("why") if ended else None,
        "ended_by": ENDED_BY.get(last.get("cause", "")) if ended else None,
    }


def _alerts_notified(sess: Session, ticket: Ticket) -> dict[tuple[int, str], bool]:
    """Whether the sweep told each recorded alert, from the events it wrote with them
    ((clock id, kind) -> notified); an alert recorded before the sweep said so was told."""
    rows = sess.execute(
        select(TicketEvent.kind, TicketEvent.data).where(
            TicketEvent.ticket_id == ticket.id,
            TicketEvent.kind.in_(("sla_warning", "sla_breach")),
        )
    )
    found = {}
    for kind, data in rows:
        if data and "clock_id" in data:
            found[(data["clock_id"], kind.removeprefix("sla_"))] = bool(data.get("notified", True))
    return found


def _contract_line(sess: Session, leg_id: int) -> dict[str, Any] | None:
    """A supplier clock's promise: the underpinning contract line its leg was measured on."""
    from catalog.suppliers.models import ContractPromise, UnderpinningContract
    from servicedesk.escalations.models import Escalation

    leg = sess.get(Escalation, leg_id)
    line = (
        sess.get(ContractPromise, leg.contract_promise_id)
        if leg and leg.contract_promise_id
        else None
    )
    if leg is None or line is None:
        return None
    contract = sess.get(UnderpinningContract, line.contract_id)
    return {
        "id": line.id,
        "scope": "service" if line.service_id else "family" if line.family else "contract default",
        "service_id": line.service_id,
        "family": line.family,
        "priority": line.priority,
        "contract": None
        if contract is None
        else {
            "id": contract.id,
            "name": contract.name,
            "valid_from": contract.valid_from.isoformat(),
        },
        "supplier": {"id": leg.supplier.id, "name": leg.supplier.name},
        "escalation_id": leg.id,
    }


def state_condition(
    state: str, now: datetime, scope: ColumnElement[bool] | None = None
) -> ColumnElement[bool]:
    """Tickets with at least one clock in `state` as of `now` (from the cached columns),
    among the clocks `scope` lets the caller see (`servicedesk.access.clock_scope`)."""
    c = SlaClock
    conditions = {
        # A running clock is breached only past its due instant (as `sla.clock.evaluate`).
        "running": and_(
            c.state == "running", c.due_at >= now, or_(c.warning_at.is_(None), c.warning_at > now)
        ),
        "at_risk": and_(c.state == "running", c.warning_at <= now, c.due_at >= now),
        "breached": or_(c.state == "breached", and_(c.state == "running", c.due_at < now)),
        "paused": c.state == "paused",
        "met": c.state == "met",
    }
    where = [conditions[state]]
    if scope is not None:
        where.append(scope)
    # IN over one uncorrelated subquery, not a correlated EXISTS: SQLite would answer the
    # EXISTS through the (state, warning_at) index, scanning every running clock per ticket.
    return Ticket.id.in_(select(c.ticket_id).where(*where))


def due_order_expression() -> Any:
    return func.coalesce(Ticket.sla_due_at, FAR_FUTURE)


def _by_id(clock: SlaClock) -> int:
    return clock.id or 0


def time_split(
    sess: Session,
    ticket: Ticket,
    at: datetime,
    clocks: Sequence[SlaClock] | None = None,
    legs: Sequence[Any] | None = None,
) -> dict[str, Any] | None:
    """Where the time went (SLA.md): the resolution clock's business time by holder.

    desk + supplier = the clock's elapsed (counted) time, split by whether a supplier
    leg was open; customer = the business time the clock stood paused, waiting for the
    customer (not counted in elapsed, reported beside it so a breach can be attributed).

    `clocks`: the ticket's clocks if the caller has them already (any scope: the customer's
    resolution clock is in every one). `legs`: its supplier legs (`Escalation` rows, by id)
    if the caller knows them already (none, for a ticket never escalated).
    """
    from servicedesk.escalations.models import Escalation

    if clocks is None:
        clocks = clocks_by_ticket(sess, [ticket])[ticket.id]
    # The resolution clock that carries the outcome: the last one not cancelled (a priority
    # change without a promise cancels one, a later one with a promise starts another).
    ordered = sorted((c for c in clocks if c.kind == "resolution" and c.leg == 0), key=_by_id)
    clock = next((c for c in reversed(ordered) if phase(c) != "cancelled"), None) or next(
        reversed(ordered), None
    )
    if clock is None:
        return None
    result = evaluate_clock(sess, clock, at)
    if legs is None:
        legs = list(
            sess.scalars(
                select(Escalation).where(Escalation.ticket_id == ticket.id).order_by(Escalation.id)
            )
        )
    windows = [(leg.escalated_at, leg.ended_at or at, leg) for leg in legs]
    # Whole microseconds (timedelta arithmetic, no floats), floored to seconds once per
    # supplier; the suppliers add up to supplier_seconds and desk takes the rest, exactly.
    one_us = timedelta(microseconds=1)
    by_supplier_us: dict[str, int] = {}
    for start, end in result.intervals if windows else ():  # a ticket never escalated: none
        for w_start, w_end, leg in windows:
            overlap = min(end, w_end) - max(start, w_start)
            if overlap > timedelta(0):
                name = leg.supplier.name
                by_supplier_us[name] = by_supplier_us.get(name, 0) + overlap // one_us
    by_supplier = {name: us // 1_000_000 for name, us in by_supplier_us.items()}
    supplier_seconds = sum(by_supplier.values())
    elapsed_seconds = result.elapsed // timedelta(seconds=1)
    calendar = calendar_for(sess, clock.calendar_id)
    paused = split_business_time(
        calendar, [(s, e or at, "customer") for s, e in result.pauses if (e or at) > s]
    ).get("customer")
    return {
        "clock_state": live_state(result, at),
        "elapsed_seconds": elapsed_seconds,
        "desk_seconds": elapsed_seconds - supplier_seconds,
        "supplier_seconds": supplier_seconds,
        "customer_seconds": int(paused.total_seconds()) if paused else 0,
        "by_supplier": by_supplier,
    }
