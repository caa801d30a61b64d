"""The scheduler's jobs: the SLA sweep and auto-close (the agreement reminders are
`catalog.agreements.reminders`).

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
from sqlalchemy import Row, insert, literal, select, union_all, update
from sqlalchemy.orm import Session, aliased

from catalog.groups.models import ResolverGroup, group_members
from catalog.organisations.models import Organisation, organisation_account_managers
from catalog.suppliers.models import Supplier
from servicedesk.db import upsert_insert, utcnow
from servicedesk.enums import Role
from servicedesk.escalations.models import Escalation
from servicedesk.notifications.messages import Person, Template, sla_recipients
from servicedesk.notifications.operations import enqueue_rows
from servicedesk.notifications.render import clock_label, local_instant, render
from servicedesk.notifications.texts import MailFacts
from servicedesk.notifications.threads import thread_for
from servicedesk.notifications.ticket_mail import HISTORY, mail_settings, outbox_row
from servicedesk.tickets.models import Ticket, TicketEvent
from servicedesk.tickets.operations import system_close
from servicedesk.users.models import User
from sla.alert_schedule import AlertInputs, alert_bit, alerts_due, next_alert_at, tells
from sla.calendar import Calendar, due_instant
from sla.models import SlaAlert, SlaClock

HELSINKI = ZoneInfo("Europe/Helsinki")
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
    """What one sweep recorded: warnings and breaches, and of the warnings those recorded
    without a notification (noticed after the clock breached or ended, SLA.md)."""

    warnings: int
    breaches: int
    silent: int = 0


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
    organisation: str
    organisation_sv: str | None
    group_id: int | None
    group_email: str | None
    mail_message_id: str | None
    assignee: Person | None


def _person(user: User) -> Person:
    return Person(user.id, user.email, user.locale, user.active, user.name)


def _tickets(sess: Session, ids: set[int]) -> dict[int, _TicketFacts]:
    assignee = aliased(User)
    rows = sess.execute(
        select(
            Ticket.id,
            Ticket.number,
            Ticket.title,
            Ticket.priority,
            Ticket.organisation_id,
            Organisation.name,
            Organisation.name_sv,
            Ticket.group_id,
            ResolverGroup.email,
            Ticket.mail_message_id,
            assignee,
        )
        .join(Organisation, Organisation.id == Ticket.organisation_id)
        .outerjoin(assignee, assignee.id == Ticket.assignee_id)
        .outerjoin(ResolverGroup, ResolverGroup.id == Ticket.group_id)
        .where(Ticket.id.in_(ids))
    )
    return {
        tid: _TicketFacts(*rest, _person(user) if user is not None else None)
        for tid, *rest, user in rows
    }


@dataclass(frozen=True)
class _People:
    """Who may hear of the batch's alerts, read in one statement."""

    account_managers: dict[int, tuple[Person, ...]]
    customer_contacts: dict[int, tuple[Person, ...]]
    group_members: dict[int, tuple[Person, ...]]


def _people(sess: Session, breach_orgs: set[int], groups: set[int]) -> _People:
    """Account managers and customer contacts of the organisations with a breach, and the
    members of the groups without an address of their own: one UNION, in user order."""
    parts = []
    if breach_orgs:
        am = organisation_account_managers.c
        parts.append(
            select(literal("am").label("tag"), am.organisation_id.label("key"), User.id)
            .join(User, User.id == am.user_id)
            .where(am.organisation_id.in_(breach_orgs))
        )
        parts.append(
            select(literal("cc").label("tag"), User.organisation_id.label("key"), User.id).where(
                User.organisation_id.in_(breach_orgs),
                User.role == Role.CUSTOMER_CONTACT.value,
            )
        )
    if groups:
        gm = group_members.c
        parts.append(
            select(literal("gm").label("tag"), gm.group_id.label("key"), User.id)
            .join(User, User.id == gm.user_id)
            .where(gm.group_id.in_(groups))
        )
    found: dict[str, dict[int, list[Person]]] = {"am": {}, "cc": {}, "gm": {}}
    if parts:
        union = union_all(*parts).subquery()
        rows = sess.execute(
            select(union.c.tag, union.c.key, User)
            .join(User, User.id == union.c.id)
            .order_by(union.c.tag, union.c.key, User.id)
        )
        for tag, key, user in rows:
            found[tag].setdefault(key, []).append(_person(user))

    def frozen(tag: str) -> dict[int, tuple[Person, ...]]:
        return {k: tuple(v) for k, v in found[tag].items()}

    return _People(frozen("am"), frozen("cc"), frozen("gm"))


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
    people: _People,
    contacts: dict[int, str],
) -> list[tuple[Person, Template]]:
    """`messages.sla_recipients` for one alert: warning to the assignee and the group (its
    address, else its members); breach also to the account managers and the customer
    contacts; on the supplier leg the group and the supplier's contact."""
    if ticket.group_email:
        group: tuple[Person, ...] = (Person(None, ticket.group_email),)
    else:
        group = people.group_members.get(ticket.group_id or 0, ())
    contact = contacts.get(row.leg) if row.leg is not None else None
    return sla_recipients(
        breach=breach,
        supplier_leg=row.kind.startswith("supplier_"),
        assignee=ticket.assignee,
        group=group,
        account_managers=people.account_managers.get(ticket.organisation_id, ()),
        customer_contacts=people.customer_contacts.get(ticket.organisation_id, ()),
        supplier_contact=Person(None, contact) if contact else None,
    )


def _tell(
    sess: Session, told: list[tuple[Row[Any], str, datetime]], silent: set[tuple[int, str]]
) -> None:
    """The ticket events and the e-mails of newly recorded alerts: a few statements per batch
    (the tickets, the people to tell and the supplier contacts are read once). The alerts in
    `silent` ((clock id, kind)) get their event, marked not notified, and no e-mail."""
    tickets = _tickets(sess, {row.ticket_id for row, _, _ in told})
    customer_side = [(row, kind) for row, kind, _ in told if not row.kind.startswith("supplier_")]
    people = _people(
        sess,
        {tickets[row.ticket_id].organisation_id for row, kind in customer_side if kind == "breach"},
        {
            t.group_id
            for t in (tickets[row.ticket_id] for row, _, _ in told)
            if t.group_id is not None and not t.group_email
        },
    )
    contacts = _supplier_contacts(
        sess, {row.leg for row, _, _ in told if row.kind.startswith("supplier_")}
    )
    domain, public_url = mail_settings()
    history = bool(sess.info.get(HISTORY))
    events: list[dict[str, Any]] = []
    mails: list[dict[str, Any]] = []
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
                    "notified": (row.id, kind) not in silent,
                },
                "internal": True,
                "at": at,
            }
        )
        if (row.id, kind) in silent:
            continue
        for person, template in _recipients(row, ticket, kind == "breach", people, contacts):
            lang = person.language
            customer = template is Template.SLA_BREACH_CUSTOMER
            side = "portal" if customer else "desk"
            facts = MailFacts(
                number=ticket.number,
                title=ticket.title,
                recipient_name=person.name,
                priority=ticket.priority,
                organisation=(lang == "sv" and ticket.organisation_sv) or ticket.organisation,
                clock=clock_label(row.kind, lang),
                at=local_instant(at, lang),
                link=f"{public_url}/{side}/tickets/{row.ticket_id}" if person.id else "",
            )
            rendered = render(template, lang, facts)
            thread = thread_for(ticket.number, domain, ticket.mail_message_id)
            mails.append(
                outbox_row(
                    kind=f"sla_{kind}",
                    recipient=person.email,
                    subject=rendered.subject,
                    body=rendered.text,
                    html_body=rendered.html,
                    message_id=thread.message_id,
                    in_reply_to=thread.in_reply_to,
                    references_header=thread.references,
                    ticket_id=row.ticket_id,
                    dedup_key=f"sla:{row.id}:{kind}:{person.email}",
                    at=at,
                    history=history,
                )
            )
    sess.execute(insert(TicketEvent.__table__), events)
    enqueue_rows(sess, mails)


def sweep(sess: Session, now: datetime | None = None) -> SweepResult:
    """Record every due warning and breach once, with its true instant, and escalate it
    (a warning noticed after its clock breached or ended is recorded, not told).

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
    silent = {
        (row.id, kind)
        for (row, kind, _), inputs in ((t, AlertInputs.of_row(t[0])) for t in told)
        if not tells(inputs, kind, now)
    }
    if told:
        _tell(sess, told, silent)
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
        len(silent),
    )


def sweep_job(app: Flask, sess: Session) -> None:
    with app.app_context():  # the mails' settings (MAIL_FROM, PUBLIC_URL) are the app's
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
    with app.app_context():  # the closing mails are written at the job's commit, in it
        auto_close(sess, app.config["SETTINGS"].resolved_grace_business_days)
