"""The scheduler's jobs: the SLA sweep, auto-close, agreement renewal reminders.

Each job works from the database's state, not from "what happened since my last
run", and records what it did under unique constraints, so a missed run, a restart
or a second scheduler process changes timing only (SLA.md: exactly once).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.orm import Session, aliased

from catalog.agreements.models import AgreementVersion
from catalog.groups.models import ResolverGroup
from catalog.organisations.models import Organisation, organisation_account_managers
from catalog.suppliers.models import Supplier
from servicedesk.db import upsert_insert, utcnow
from servicedesk.escalations.models import Escalation
from servicedesk.notifications.models import OutboxMessage
from servicedesk.notifications.operations import enqueue
from servicedesk.tickets.models import Ticket, TicketEvent
from servicedesk.tickets.operations import system_close
from servicedesk.users.models import User
from sla.alert_schedule import AlertInputs, alert_bit, alerts_due, next_alert_at
from sla.calendar import Calendar, due_instant
from sla.models import SlaAlert, SlaClock

HELSINKI = ZoneInfo("Europe/Helsinki")
#: Days before an agreement's renewal deadline on which the account managers are reminded.
RENEWAL_REMINDER_DAYS = (60, 30, 7)
#: One sweep handles at most this many clocks with something due; the rest wait a minute.
SWEEP_BATCH = 5000
#: What the sweep reads of a clock: its row alone decides (`sla.alert_schedule`).
_SWEPT = (
    SlaClock.id,
    SlaClock.ticket_id,
    SlaClock.kind,
    SlaClock.cycle,
    SlaClock.leg,
    SlaClock.state,
    SlaClock.warning_at,
    SlaClock.due_at,
    SlaClock.breach_at,
    SlaClock.recorded_alerts,
    SlaClock.next_alert_at,
)


@dataclass(frozen=True)
class SweepResult:
    warnings: int
    breaches: int


def due_clocks(sess: Session, now: datetime) -> list[Row[Any]]:
    """The clocks with something to record by `now`, earliest first, through the partial
    index on `next_alert_at`: the cost follows what is due, not what runs or once breached.

    On PostgreSQL the rows are locked (a clock changed meanwhile by a request waits for this
    transaction, so neither overwrites the other's `next_alert_at` with a stale one) and rows
    another scheduler holds are skipped: it records them.
    """
    stmt = (
        select(*_SWEPT)
        .where(SlaClock.next_alert_at <= now)
        .order_by(SlaClock.next_alert_at, SlaClock.id)
        .limit(SWEEP_BATCH)
    )
    if sess.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(sess.execute(stmt).all())


def _insert_alerts(
    sess: Session, wanted: list[tuple[Row[Any], str, datetime]]
) -> set[tuple[int, str]]:
    """Record the alerts in one statement; answer those this transaction inserted (the unique
    constraint keeps the others: recorded by another scheduler, told by it)."""
    recorded_at = utcnow()
    rows = [
        {"clock_id": row.id, "kind": kind, "at": at, "recorded_at": recorded_at}
        for row, kind, at in wanted
    ]
    table = SlaAlert.__table__
    stmt = (
        upsert_insert(sess)(table)
        .on_conflict_do_nothing(index_elements=["clock_id", "kind"])
        .returning(table.c.clock_id, table.c.kind)
    )
    return {(clock_id, kind) for clock_id, kind in sess.execute(stmt, rows)}


@dataclass(frozen=True)
class _TicketFacts:
    number: str
    title: str
    priority: str
    organisation_id: int
    assignee_email: str | None
    group_email: str | None


def _tickets(sess: Session, ids: set[int]) -> dict[int, _TicketFacts]:
    assignee = aliased(User)
    rows = sess.execute(
        select(
            Ticket.id,
            Ticket.number,
            Ticket.title,
            Ticket.priority,
            Ticket.organisation_id,
            assignee.email,
            ResolverGroup.email,
        )
        .outerjoin(assignee, assignee.id == Ticket.assignee_id)
        .outerjoin(ResolverGroup, ResolverGroup.id == Ticket.group_id)
        .where(Ticket.id.in_(ids))
    )
    return {tid: _TicketFacts(*rest) for tid, *rest in rows}


def _account_managers(sess: Session, organisation_ids: set[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    if organisation_ids:
        rows = sess.execute(
            select(organisation_account_managers.c.organisation_id, User.email)
            .join(User, User.id == organisation_account_managers.c.user_id)
            .where(organisation_account_managers.c.organisation_id.in_(organisation_ids))
            .order_by(User.id)
        )
        for org, email in rows:
            found.setdefault(org, []).append(email)
    return found


def _supplier_contacts(sess: Session, legs: set[int]) -> dict[int, str]:
    if not legs:
        return {}
    rows = sess.execute(
        select(Escalation.id, Supplier.contact_email)
        .join(Supplier, Supplier.id == Escalation.supplier_id)
        .where(Escalation.id.in_(legs))
    )
    return {leg: email for leg, email in rows}


def _recipients(
    row: Row[Any],
    ticket: _TicketFacts,
    breach: bool,
    managers: dict[int, list[str]],
    contacts: dict[int, str],
) -> list[str]:
    """Warning: the assigned agent and the group; breach: also the customer's account managers.

    On the supplier leg: the desk group and the supplier's contact, at warning and breach.
    """
    found: list[str] = []
    if row.kind.startswith("supplier_"):
        if ticket.group_email:
            found.append(ticket.group_email)
        if row.leg in contacts:
            found.append(contacts[row.leg])
        return list(dict.fromkeys(found))
    if ticket.assignee_email:
        found.append(ticket.assignee_email)
    if ticket.group_email:
        found.append(ticket.group_email)
    if breach:
        found += managers.get(ticket.organisation_id, [])
    return list(dict.fromkeys(found))


def _tell(sess: Session, told: list[tuple[Row[Any], str, datetime]]) -> None:
    """The ticket events and the e-mails of newly recorded alerts: a few statements per batch
    (the tickets, their account managers and supplier contacts are read once)."""
    tickets = _tickets(sess, {row.ticket_id for row, _, _ in told})
    managers = _account_managers(
        sess,
        {
            tickets[row.ticket_id].organisation_id
            for row, kind, _ in told
            if kind == "breach" and not row.kind.startswith("supplier_")
        },
    )
    contacts = _supplier_contacts(
        sess, {row.leg for row, _, _ in told if row.kind.startswith("supplier_")}
    )
    events: list[dict[str, Any]] = []
    mails: list[dict[str, Any]] = []
    queued = utcnow()
    for row, kind, at in told:
        ticket = tickets[row.ticket_id]
        events.append(
            {
                "ticket_id": row.ticket_id,
                "actor_id": None,
                "kind": f"sla_{kind}",
                "data": {
                    "clock_id": row.id,
                    "clock": row.kind,
                    "cycle": row.cycle,
                    "leg": row.leg,
                    "at": at.isoformat(),
                    "due_at": row.due_at.isoformat() if row.due_at else None,
                },
                "internal": True,
                "at": at,
            }
        )
        what = {"warning": "is close to its", "breach": "missed its"}[kind]
        label = row.kind.replace("_", " ") + (f" (cycle {row.cycle})" if row.cycle else "")
        local = at.astimezone(HELSINKI).strftime("%d.%m.%Y %H:%M")
        subject = f"[{ticket.number}] SLA {kind}: {label} {what} target"
        body = (
            f"Ticket {ticket.number}: {ticket.title}\nPriority {ticket.priority}; "
            f"{label} clock {what} target ({kind} at {local} Helsinki time).\n"
        )
        for recipient in _recipients(row, ticket, kind == "breach", managers, contacts):
            mails.append(
                {
                    "kind": f"sla_{kind}",
                    "recipient": recipient,
                    # As `enqueue` writes it: one header line, within the column.
                    "subject": " ".join(subject.split())[:300],
                    "body": body,
                    "ticket_id": row.ticket_id,
                    "dedup_key": f"sla:{row.id}:{kind}:{recipient}",
                    "status": "pending",
                    "attempts": 0,
                    "created_at": queued,
                    "next_attempt_at": queued,
                }
            )
    sess.execute(insert(TicketEvent.__table__), events)
    if mails:
        outbox = OutboxMessage.__table__
        sess.execute(
            upsert_insert(sess)(outbox).on_conflict_do_nothing(
                index_elements=[outbox.c.dedup_key]
            ),
            mails,
        )


def sweep(sess: Session, now: datetime | None = None) -> SweepResult:
    """Record every due warning and breach once, with its true instant, and escalate it.

    One batch of at most SWEEP_BATCH clocks per run (the rest wait a minute); each clock's
    alerts are decided from its row (`sla.alert_schedule`), and its `next_alert_at` moves on.
    """
    now = now or utcnow()
    rows = due_clocks(sess, now)
    if not rows:
        return SweepResult(0, 0)
    plans = [(row, AlertInputs.of_row(row)) for row in rows]
    wanted = [(row, kind, at) for row, inputs in plans for kind, at in alerts_due(inputs, now)]
    inserted = _insert_alerts(sess, wanted) if wanted else set()
    told = [(row, kind, at) for row, kind, at in wanted if (row.id, kind) in inserted]
    if told:
        _tell(sess, told)
    # Recorded now or before (a conflict): either way the bit is true.
    newly: dict[int, int] = {}
    for row, kind, _ in wanted:
        newly[row.id] = newly.get(row.id, 0) | alert_bit(kind)
    changes = []
    for row, inputs in plans:
        bits = inputs.recorded | newly.get(row.id, 0)
        upcoming = next_alert_at(replace(inputs, recorded=bits))
        if bits != inputs.recorded or upcoming != row.next_alert_at:
            changes.append({"id": row.id, "recorded_alerts": bits, "next_alert_at": upcoming})
    if changes:
        sess.execute(update(SlaClock), changes)
    return SweepResult(
        sum(kind == "warning" for _, kind, _ in told),
        sum(kind == "breach" for _, kind, _ in told),
    )


def sweep_job(app: Flask, sess: Session) -> None:
    sweep(sess)


def auto_close(sess: Session, grace_business_days: int, now: datetime | None = None) -> int:
    """Close tickets resolved longer ago than the grace period (in office-hour days)."""
    now = now or utcnow()
    office = Calendar.office_hours()
    grace = timedelta(hours=8 * grace_business_days)
    count = 0
    candidates = sess.scalars(
        select(Ticket).where(
            Ticket.status == "resolved",
            # Business time never outruns real time: a bound that cannot skip a ticket.
            Ticket.resolved_at <= now - grace,
        )
    )
    for ticket in candidates:
        if ticket.resolved_at is not None and due_instant(office, ticket.resolved_at, grace) <= now:
            system_close(
                sess, ticket, now, f"resolved over {grace_business_days} business days ago"
            )
            count += 1
    return count


def auto_close_job(app: Flask, sess: Session) -> None:
    auto_close(sess, app.config["SETTINGS"].resolved_grace_business_days)


def renewal_reminders(sess: Session, now: datetime | None = None) -> int:
    """Remind account managers of agreements whose renewal deadline draws near."""
    today = (now or utcnow()).astimezone(HELSINKI).date()
    other = aliased(AgreementVersion)
    newer = (
        select(func.max(other.valid_from))
        .where(other.organisation_id == AgreementVersion.organisation_id)
        .scalar_subquery()
    )
    rows = sess.execute(
        select(AgreementVersion, Organisation)
        .join(Organisation, Organisation.id == AgreementVersion.organisation_id)
        .where(
            AgreementVersion.renewal_deadline >= today,
            AgreementVersion.renewal_deadline <= today + timedelta(days=max(RENEWAL_REMINDER_DAYS)),
            AgreementVersion.valid_from == newer,
        )
    ).all()
    sent = 0
    for version, org in rows:
        assert version.renewal_deadline is not None
        days_left = (version.renewal_deadline - today).days
        step = min(d for d in RENEWAL_REMINDER_DAYS if d >= days_left)
        managers = sess.scalars(
            select(User)
            .join(organisation_account_managers, organisation_account_managers.c.user_id == User.id)
            .where(organisation_account_managers.c.organisation_id == org.id)
        )
        for manager in managers:
            msg = enqueue(
                sess,
                kind="renewal_reminder",
                recipient=manager.email,
                subject=f"Palvelusopimuksen uusiminen: {org.name} ({days_left} pv)",
                body=(
                    f"The agreement of {org.name} (version {version.version_no}) must be "
                    f"renewed by {version.renewal_deadline.isoformat()}, before the customer's "
                    f"budgeting: {days_left} days left.\n"
                ),
                dedup_key=f"renewal:{version.id}:{step}:{manager.id}",
            )
            sent += msg is not None
    return sent


def renewal_reminders_job(app: Flask, sess: Session) -> None:
    renewal_reminders(sess)
