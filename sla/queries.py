"""Reads on clocks: live summaries for ticket answers, explanations, list filters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from catalog.agreements.models import AgreementVersion, ServicePromise
from catalog.calendars.models import BusinessCalendar
from servicedesk.tickets.models import Ticket
from sla.attribution import split_business_time
from sla.clock import ClockResult, ClockState, is_at_risk
from sla.models import SlaClock
from sla.tracking import calendar_for, current_target, evaluate_clock

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


def clocks_by_ticket(sess: Session, tickets: Sequence[Ticket]) -> dict[int, list[SlaClock]]:
    """Every clock of a page of tickets, in one query."""
    found: dict[int, list[SlaClock]] = {t.id: [] for t in tickets}
    if found:
        rows = sess.scalars(
            select(SlaClock).where(SlaClock.ticket_id.in_(list(found))).order_by(SlaClock.id)
        )
        for clock in rows:
            found[clock.ticket_id].append(clock)
    return found


def ticket_sla(sess: Session, clocks: Sequence[SlaClock], at: datetime) -> dict[str, Any]:
    """What a ticket answer says of its SLA: each clock, or that it has no promise."""
    return {
        "no_promise": not any(c.leg == 0 for c in clocks),
        "clocks": [summary(c, evaluate_clock(sess, c, at), at) for c in clocks],
    }


def explain(sess: Session, ticket: Ticket, at: datetime) -> dict[str, Any]:
    """Each clock explained: counted intervals, pauses, targets, the promise line used."""
    version = (
        sess.get(AgreementVersion, ticket.agreement_version_id)
        if ticket.agreement_version_id
        else None
    )
    out = []
    for clock in clocks_by_ticket(sess, [ticket])[ticket.id]:
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
                "promise": None
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
                "alerts": [
                    {"kind": a.kind, "at": a.at, "recorded_at": a.recorded_at} for a in clock.alerts
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
        "time_split": time_split(sess, ticket, at),
    }


def state_condition(state: str, now: datetime) -> ColumnElement[bool]:
    """Tickets with at least one clock in `state` as of `now` (from the cached columns)."""
    c = SlaClock
    conditions = {
        "running": and_(
            c.state == "running", c.due_at > now, or_(c.warning_at.is_(None), c.warning_at > now)
        ),
        "at_risk": and_(c.state == "running", c.warning_at <= now, c.due_at > now),
        "breached": or_(c.state == "breached", and_(c.state == "running", c.due_at <= now)),
        "paused": c.state == "paused",
        "met": c.state == "met",
    }
    return exists().where(c.ticket_id == Ticket.id, conditions[state])


def due_order_expression() -> Any:
    return func.coalesce(Ticket.sla_due_at, FAR_FUTURE)


def time_split(sess: Session, ticket: Ticket, at: datetime) -> dict[str, Any] | None:
    """Where the time went (SLA.md): the resolution clock's business time by holder.

    desk + supplier = the clock's elapsed (counted) time, split by whether a supplier
    leg was open; customer = the business time the clock stood paused, waiting for the
    customer (not counted in elapsed, reported beside it so a breach can be attributed).
    """
    from servicedesk.escalations.models import Escalation

    clock = next((c for c in clocks_by_ticket(sess, [ticket])[ticket.id]
                  if c.kind == "resolution" and c.leg == 0), None)
    if clock is None:
        return None
    result = evaluate_clock(sess, clock, at)
    legs = list(sess.scalars(select(Escalation).where(Escalation.ticket_id == ticket.id)
                             .order_by(Escalation.id)))
    windows = [(leg.escalated_at, leg.ended_at or at, leg) for leg in legs]
    by_supplier: dict[str, int] = {}
    supplier_us = 0
    for start, end in result.intervals:
        for w_start, w_end, leg in windows:
            overlap = (min(end, w_end) - max(start, w_start)).total_seconds()
            if overlap > 0:
                supplier_us += int(overlap * 1_000_000)
                name = leg.supplier.name
                by_supplier[name] = by_supplier.get(name, 0) + int(overlap)
    elapsed_us = int(result.elapsed.total_seconds() * 1_000_000)
    calendar = calendar_for(sess, clock.calendar_id)
    paused = split_business_time(
        calendar, [(s, e or at, "customer") for s, e in result.pauses if (e or at) > s]
    ).get("customer")
    return {
        "clock_state": live_state(result, at),
        "elapsed_seconds": elapsed_us // 1_000_000,
        "desk_seconds": elapsed_us // 1_000_000 - supplier_us // 1_000_000,
        "supplier_seconds": supplier_us // 1_000_000,
        "customer_seconds": int(paused.total_seconds()) if paused else 0,
        "by_supplier": by_supplier,
    }
