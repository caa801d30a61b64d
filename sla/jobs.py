"""The scheduler's jobs: the SLA sweep, auto-close, agreement renewal reminders.

Each job works from the database's state, not from "what happened since my last
run", and records what it did under unique constraints, so a missed run, a restart
or a second scheduler process changes timing only (SLA.md: exactly once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from catalog.agreements.models import AgreementVersion
from catalog.groups.models import ResolverGroup
from catalog.organisations.models import Organisation, organisation_account_managers
from servicedesk.db import upsert_insert, utcnow
from servicedesk.escalations.models import Escalation
from servicedesk.notifications.operations import enqueue
from servicedesk.tickets.models import Ticket
from servicedesk.tickets.operations import record, system_close
from servicedesk.users.models import User
from sla.calendar import Calendar, due_instant
from sla.models import SlaAlert, SlaClock

HELSINKI = ZoneInfo("Europe/Helsinki")
#: Days before an agreement's renewal deadline on which the account managers are reminded.
RENEWAL_REMINDER_DAYS = (60, 30, 7)
#: One sweep handles at most this many alerts of each kind; the rest wait a minute.
SWEEP_BATCH = 5000


@dataclass(frozen=True)
class SweepResult:
    warnings: int
    breaches: int


def _has_alert(kind: str):  # type: ignore[no-untyped-def]
    return exists().where(SlaAlert.clock_id == SlaClock.id, SlaAlert.kind == kind)


def _insert_alert(sess: Session, clock: SlaClock, kind: str, at: datetime) -> bool:
    """Record the alert unless it exists (the unique constraint decides, not luck)."""
    stmt = (
        upsert_insert(sess)(SlaAlert)
        .values(clock_id=clock.id, kind=kind, at=at, recorded_at=utcnow())
        .on_conflict_do_nothing(index_elements=["clock_id", "kind"])
        .returning(SlaAlert.id)
    )
    return sess.execute(stmt).scalar_one_or_none() is not None


def due_warnings(sess: Session, now: datetime) -> list[SlaClock]:
    stmt = select(SlaClock).where(
        SlaClock.state == "running",
        SlaClock.warning_at <= now,
        # At its due instant a running clock is not breached yet (SLA.md: "past it").
        SlaClock.due_at >= now,
        ~_has_alert("warning"),
    )
    return list(sess.scalars(stmt.order_by(SlaClock.warning_at, SlaClock.id).limit(SWEEP_BATCH)))


def due_breaches(sess: Session, now: datetime) -> list[SlaClock]:
    """Running clocks past their due instant, and clocks breached before they stopped.

    Two index searches, not one OR: SQLite scans the whole table for the OR (the sweep's cost
    must follow the due events, not the open clocks).
    """
    running = select(SlaClock).where(
        # Breached once it runs past the due instant: a stop exactly at it is met.
        SlaClock.state == "running",
        SlaClock.due_at < now,
        ~_has_alert("breach"),
    )
    stopped = select(SlaClock).where(
        SlaClock.state == "breached",
        SlaClock.breach_at <= now,
        ~_has_alert("breach"),
    )
    found = [
        clock
        for stmt in (running, stopped)
        for clock in sess.scalars(stmt.order_by(SlaClock.due_at, SlaClock.id).limit(SWEEP_BATCH))
    ]
    found.sort(key=lambda c: (c.due_at or c.breach_at or now, c.id))
    return found[:SWEEP_BATCH]


def _recipients(sess: Session, ticket: Ticket, clock: SlaClock, breach: bool) -> list[str]:
    """Warning: the assigned agent and the group; breach: also the customer's account managers.

    On the supplier leg: the desk group and the supplier's contact, at warning and breach.
    """
    found: list[str] = []
    if clock.kind.startswith("supplier_"):
        leg = sess.get(Escalation, clock.leg)
        group = sess.get(ResolverGroup, ticket.group_id) if ticket.group_id else None
        if group is not None and group.email:
            found.append(group.email)
        if leg is not None:
            found.append(leg.supplier.contact_email)
        return list(dict.fromkeys(found))
    if ticket.assignee is not None:
        found.append(ticket.assignee.email)
    if ticket.group_id is not None:
        group = sess.get(ResolverGroup, ticket.group_id)
        if group is not None and group.email:
            found.append(group.email)
    if breach:
        found += list(
            sess.scalars(
                select(User.email)
                .join(
                    organisation_account_managers,
                    organisation_account_managers.c.user_id == User.id,
                )
                .where(organisation_account_managers.c.organisation_id == ticket.organisation_id)
            )
        )
    return list(dict.fromkeys(found))


def _alert(sess: Session, clock: SlaClock, kind: str, at: datetime) -> bool:
    if not _insert_alert(sess, clock, kind, at):
        return False
    ticket = sess.get(Ticket, clock.ticket_id)
    assert ticket is not None
    what = {"warning": "is close to its", "breach": "missed its"}[kind]
    label = clock.kind.replace("_", " ") + (f" (cycle {clock.cycle})" if clock.cycle else "")
    record(
        sess,
        ticket,
        None,
        f"sla_{kind}",
        {
            "clock_id": clock.id,
            "clock": clock.kind,
            "cycle": clock.cycle,
            "leg": clock.leg,
            "at": at.isoformat(),
            "due_at": clock.due_at.isoformat() if clock.due_at else None,
        },
        internal=True,
        at=at,
    )
    local = at.astimezone(HELSINKI).strftime("%d.%m.%Y %H:%M")
    subject = f"[{ticket.number}] SLA {kind}: {label} {what} target"
    body = (
        f"Ticket {ticket.number}: {ticket.title}\nPriority {ticket.priority}; "
        f"{label} clock {what} target ({kind} at {local} Helsinki time).\n"
    )
    for recipient in _recipients(sess, ticket, clock, breach=kind == "breach"):
        enqueue(
            sess,
            kind=f"sla_{kind}",
            recipient=recipient,
            subject=subject,
            body=body,
            ticket_id=ticket.id,
            dedup_key=f"sla:{clock.id}:{kind}:{recipient}",
        )
    return True


def sweep(sess: Session, now: datetime | None = None) -> SweepResult:
    """Record every due warning and breach once, with its true instant, and escalate it."""
    now = now or utcnow()
    warnings = sum(
        _alert(sess, c, "warning", c.warning_at)
        for c in due_warnings(sess, now)
        if c.warning_at is not None
    )
    breaches = 0
    for clock in due_breaches(sess, now):
        at = clock.breach_at if clock.state == "breached" and clock.breach_at else clock.due_at
        if at is not None:
            breaches += _alert(sess, clock, "breach", at)
    sess.flush()
    return SweepResult(warnings, breaches)


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
