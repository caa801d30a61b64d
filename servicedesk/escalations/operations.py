"""Escalate a ticket to a supplier, let the supplier answer and finish, withdraw.

The centre stays accountable: the customer's clocks keep running throughout; the
supplier's clocks measure the supplier leg on its own contract and calendar. The
slack at hand-off (customer's resolution due minus the supplier's) is shown before
confirming and recorded with the leg.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.agreements.queries import local_date
from catalog.suppliers.models import ContractPromise, Supplier, UnderpinningContract
from catalog.suppliers.queries import contract_in_force, supplier_promise
from servicedesk.db import utcnow
from servicedesk.enums import Role
from servicedesk.errors import Conflict, Forbidden, ValidationFailed
from servicedesk.escalations.models import Escalation
from servicedesk.notifications.operations import enqueue
from servicedesk.notifications.ticket_mail import supplier_thread
from servicedesk.tickets.lifecycle import Actor, Status, TransitionError, check_transition
from servicedesk.tickets.models import Ticket
from servicedesk.tickets.operations import TicketConflict, open_escalation, record
from servicedesk.users.models import User
from sla import tracking
from sla.calendar import due_instant
from sla.clock import ClockEvent, EventType, evaluate


@dataclass(frozen=True)
class HandOff:
    """What the desk sees before confirming an escalation."""

    supplier: Supplier
    contract: UnderpinningContract | None
    promise: ContractPromise | None
    customer_due_at: datetime | None
    supplier_response_due_at: datetime | None
    supplier_due_at: datetime | None
    slack_seconds: int | None
    negative_slack: bool
    warnings: tuple[str, ...]


def require_desk(actor: User) -> None:
    if actor.role_enum not in (Role.AGENT, Role.ADMIN):
        raise Forbidden("Only the desk escalates tickets to suppliers.")


def plan_hand_off(sess: Session, ticket: Ticket, supplier_id: int | None, at: datetime) -> HandOff:
    """The slack and the supplier's due instants if the ticket were escalated at `at`."""
    supplier_id = supplier_id or (ticket.service.supplier_id if ticket.service else None)
    if supplier_id is None:
        raise ValidationFailed(
            "Name the supplier: the ticket's service has no default supplier.",
            details={"fields": {"supplier_id": ["Required here."]}},
        )
    supplier = sess.get(Supplier, supplier_id)
    if supplier is None:
        raise ValidationFailed(
            f"No supplier {supplier_id}.",
            details={"fields": {"supplier_id": [f"No supplier {supplier_id}."]}},
        )
    warnings: list[str] = []
    contract = contract_in_force(sess, supplier.id, local_date(at))
    promise = supplier_promise(contract, ticket.service, ticket.priority) if contract else None
    if contract is None:
        warnings.append(
            f"{supplier.name} has no underpinning contract in force: "
            "the supplier leg has no promise to measure."
        )
    elif promise is None:
        warnings.append(
            f"The contract {contract.name} has no promise for {ticket.priority} on this service."
        )
    customer_due = _customer_resolution_due(sess, ticket, at)
    response_due = supplier_due = None
    if contract is not None and promise is not None:
        cal = tracking.calendar_for(sess, contract.calendar_id)
        response_due = due_instant(cal, at, timedelta(minutes=promise.response_minutes))
        supplier_due = due_instant(cal, at, timedelta(minutes=promise.resolution_minutes))
    slack = None
    if customer_due is not None and supplier_due is not None:
        slack = int((customer_due - supplier_due).total_seconds())
    if slack is not None and slack < 0:
        warnings.append(
            "Negative slack: the supplier's contractual due instant is after the "
            "customer's; the customer's promise will be missed unless the supplier "
            "beats its contract."
        )
    elif customer_due is None:
        warnings.append("The customer's resolution clock is not running: no slack to compute.")
    return HandOff(
        supplier,
        contract,
        promise,
        customer_due,
        response_due,
        supplier_due,
        slack,
        slack is not None and slack < 0,
        tuple(warnings),
    )


def _customer_resolution_due(sess: Session, ticket: Ticket, at: datetime) -> datetime | None:
    for clock in tracking.clocks_of(sess, ticket, ("resolution",)):
        current = tracking.phase(clock)
        if current == "paused" and ticket.status == Status.WAITING_FOR_CUSTOMER.value:
            # Escalating leaves waiting for customer, which resumes the clock (SLA.md):
            # the slack is against the due instant the clock will have from `at`.
            events = [*tracking.clock_events(clock), ClockEvent(EventType.RESUME, at)]
            return evaluate(
                tracking.calendar_for(sess, clock.calendar_id),
                clock.target_minutes,
                events,
                at,
                clock.warning_percent,
            ).due_at
        if current in tracking.OPEN_PHASES:
            return tracking.evaluate_clock(sess, clock, at).due_at
    return None


def escalate(
    sess: Session, actor: User, ticket: Ticket, supplier_id: int | None, note: str
) -> tuple[Escalation, HandOff]:
    require_desk(actor)
    if open_escalation(sess, ticket) is not None:
        raise Conflict(
            "The ticket is already with a supplier; withdraw that escalation first.",
            code="already_escalated",
        )
    before = ticket.status
    try:
        check_transition(Status(before), Status.ESCALATED_TO_SUPPLIER, Actor.DESK)
    except TransitionError as exc:
        raise TicketConflict(exc) from exc
    now = utcnow()
    plan = plan_hand_off(sess, ticket, supplier_id, now)
    leg = Escalation(
        ticket_id=ticket.id,
        supplier_id=plan.supplier.id,
        contract_id=plan.contract.id if plan.contract else None,
        contract_promise_id=plan.promise.id if plan.promise else None,
        note=note,
        escalated_by_id=actor.id,
        escalated_at=now,
        status="open",
        customer_due_at=plan.customer_due_at,
        supplier_due_at=plan.supplier_due_at,
        slack_seconds=plan.slack_seconds,
        negative_slack=plan.negative_slack,
    )
    sess.add(leg)
    ticket.status = Status.ESCALATED_TO_SUPPLIER.value
    ticket.updated_at = now
    sess.flush()
    record(
        sess,
        ticket,
        actor,
        "updated",
        {"changes": {"status": {"before": before, "after": ticket.status}}},
        at=now,
    )
    record(
        sess,
        ticket,
        actor,
        "escalated",
        {
            "escalation_id": leg.id,
            "supplier_id": plan.supplier.id,
            "supplier": plan.supplier.name,
            "slack_seconds": plan.slack_seconds,
            "negative_slack": plan.negative_slack,
            "warnings": list(plan.warnings),
        },
        internal=True,
        at=now,
    )
    tracking.on_status_change(sess, ticket, before, ticket.status, now)
    if plan.contract is not None and plan.promise is not None:
        tracking.start_supplier_clocks(
            sess,
            ticket,
            leg.id,
            plan.contract.calendar_id,
            plan.promise.response_minutes,
            plan.promise.resolution_minutes,
            plan.promise.warning_percent,
            now,
        )
    enqueue(
        sess,
        kind="escalation",
        recipient=plan.supplier.contact_email,
        subject=f"[{ticket.number}] Eskalointi / escalation: {ticket.title}",
        body=(
            f"KPK Service Desk escalated ticket {ticket.number} (priority "
            f"{ticket.priority}) to {plan.supplier.name}.\n\n{note}\n\n"
            + (
                f"Your contractual resolution due: {plan.supplier_due_at.isoformat()}\n"
                if plan.supplier_due_at
                else ""
            )
        ),
        ticket_id=ticket.id,
        dedup_key=f"escalation:{leg.id}",
        **supplier_thread(ticket.number),
    )
    return leg, plan


def _end_leg(
    sess: Session, actor: User, ticket: Ticket, leg: Escalation, status: str, why: str
) -> Escalation:
    if leg.status != "open":
        raise Conflict(f"That escalation is {leg.status} already.", code="escalation_closed")
    now = utcnow()
    leg.status, leg.ended_at = status, now
    if status == "withdrawn":
        # Not the supplier's doing: its clocks are cancelled unless already breached.
        tracking.withdraw_supplier_clocks(sess, ticket, leg.id, now)
    else:
        tracking.stop_supplier_clocks(sess, ticket, leg.id, now, why)
    before = ticket.status
    if before == Status.ESCALATED_TO_SUPPLIER.value:
        ticket.status = Status.IN_PROGRESS.value  # back to the desk group
        ticket.updated_at = now
        sess.flush()
        # The customer sees the status come back, not why: the supplier leg is the desk's.
        record(
            sess,
            ticket,
            actor,
            "updated",
            {
                "changes": {"status": {"before": before, "after": ticket.status}},
                "reason": "back with the desk",
            },
            at=now,
        )
        tracking.on_status_change(sess, ticket, before, ticket.status, now)
    record(
        sess,
        ticket,
        actor,
        f"escalation_{status}",
        {"escalation_id": leg.id, "supplier_id": leg.supplier_id, "reason": why},
        internal=True,
        at=now,
    )
    sess.flush()
    return leg


def mark_done(sess: Session, actor: User, ticket: Ticket, leg: Escalation) -> Escalation:
    """The supplier (or the desk for it) marks its part done: the ticket returns to the desk."""
    if actor.role_enum is Role.SUPPLIER_AGENT:
        if actor.supplier_id != leg.supplier_id:
            raise Forbidden("Another supplier's escalation.")
    elif actor.role_enum not in (Role.AGENT, Role.ADMIN):
        raise Forbidden("Only the supplier or the desk marks an escalation done.")
    return _end_leg(sess, actor, ticket, leg, "done", "the supplier marked its part done")


def withdraw(sess: Session, actor: User, ticket: Ticket, leg: Escalation) -> Escalation:
    require_desk(actor)
    return _end_leg(sess, actor, ticket, leg, "withdrawn", "the escalation was withdrawn")


def legs_for(sess: Session, actor: User, ticket: Ticket) -> list[Escalation]:
    """Every leg for the desk; only their own supplier's legs for a supplier agent."""
    stmt = select(Escalation).where(Escalation.ticket_id == ticket.id)
    if actor.role_enum is Role.SUPPLIER_AGENT:
        stmt = stmt.where(Escalation.supplier_id == actor.supplier_id)
    elif actor.role_enum not in (Role.AGENT, Role.ADMIN, Role.ACCOUNT_MANAGER):
        raise Forbidden("Escalations are between the desk and its suppliers.")
    return list(sess.scalars(stmt.order_by(Escalation.id)))


def describe(plan: HandOff) -> dict[str, Any]:
    return {
        "supplier": {"id": plan.supplier.id, "name": plan.supplier.name},
        "contract": None
        if plan.contract is None
        else {
            "id": plan.contract.id,
            "name": plan.contract.name,
            "calendar_id": plan.contract.calendar_id,
        },
        "promise": None
        if plan.promise is None
        else {
            "id": plan.promise.id,
            "priority": plan.promise.priority,
            "response_minutes": plan.promise.response_minutes,
            "resolution_minutes": plan.promise.resolution_minutes,
        },
        "customer_due_at": plan.customer_due_at,
        "supplier_response_due_at": plan.supplier_response_due_at,
        "supplier_due_at": plan.supplier_due_at,
        "slack_seconds": plan.slack_seconds,
        "negative_slack": plan.negative_slack,
        "warnings": list(plan.warnings),
    }
