"""The what-if's I/O: read an organisation's window of tickets in bulk, then compare (pure).

Reads only: a handful of statements for the whole window (tickets, their events, their first
public desk replies, their clocks, calendars, services, users, expert hours), never one per
ticket, and nothing is added or flushed.
"""

from __future__ import annotations

import calendar as months_calendar
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.agreements.models import AgreementService, AgreementVersion
from catalog.agreements.queries import promise_lines
from catalog.agreements.replay import KINDS, History, Step
from catalog.agreements.whatif import TicketCase, WhatIf, charges, compare
from catalog.calendars.models import BusinessCalendar
from catalog.services.models import Service
from servicedesk.charges.queries import versions_in
from servicedesk.charges.statement import Period, PriceLine, TicketFact, TimeFact, VersionTerms
from servicedesk.enums import CUSTOMER_ROLES, STAFF_ROLES
from servicedesk.reports.compliance import ClockFact, counted
from servicedesk.tickets.models import Comment, Ticket, TicketEvent
from servicedesk.time_entries.models import TimeEntry
from servicedesk.users.models import User
from sla.models import SlaClock

HELSINKI = ZoneInfo("Europe/Helsinki")


def window(until: date, months: int) -> Period:
    """The `months` months up to and including `until` (Helsinki days): from the day after
    the same day `months` months earlier (a month's end counts as its end)."""
    month = until.month - months
    year = until.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    last = months_calendar.monthrange(year, month)[1]
    month_end = until.day == months_calendar.monthrange(until.year, until.month)[1]
    day = last if month_end else min(until.day, last)  # to 30.11: from 1.11, not 31.10
    return Period(f"{months} months to {until}", date(year, month, day) + timedelta(1), until)


def _instant(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=HELSINKI).astimezone(UTC)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _actual(row: Any, now: datetime) -> str:
    """What the clock the tracker kept came to, as the service-level report counts it."""
    fact = ClockFact(
        row.id,
        row.ticket_id,
        row.kind,
        0,
        row.promise_id,
        row.state,
        row.due_at,
        row.breach_at,
        row.stopped_at,
        row.evaluated_at,
    )
    found = counted(fact, now)
    if found is not None:
        return found[0]
    return "cancelled" if row.state == "cancelled" else "open"


def _terms(sess: Session, version: AgreementVersion) -> VersionTerms:
    rows = sess.execute(
        select(AgreementService, Service.code)
        .join(Service, Service.id == AgreementService.service_id)
        .where(AgreementService.agreement_version_id == version.id)
        .order_by(AgreementService.id)
    ).all()
    return VersionTerms(
        version.id,
        version.version_no,
        version.valid_from,
        version.valid_to,
        version.invoicing_period,
        tuple(
            PriceLine(s.service_id, code, s.starts_on, s.price_model, s.price) for s, code in rows
        ),
    )


def histories(sess: Session, ticket_ids: Any) -> dict[int, list[Step]]:
    """Every ticket's clock-moving steps in time order: its status and field changes, and
    its first public desk reply. `ticket_ids` is a subquery (one statement each)."""
    first_reply: dict[int, int] = {}
    replies = sess.execute(
        select(Comment.ticket_id, Comment.id)
        .join(User, User.id == Comment.author_id)
        .where(
            Comment.ticket_id.in_(ticket_ids),
            Comment.internal.is_(False),
            Comment.escalation_id.is_(None),
            User.role.in_([r.value for r in STAFF_ROLES]),
        )
        .order_by(Comment.ticket_id, Comment.created_at, Comment.id)
    )
    for ticket_id, comment_id in replies:
        first_reply.setdefault(ticket_id, comment_id)
    replied = set(first_reply.values())
    steps: dict[int, list[Step]] = defaultdict(list)
    events = sess.execute(
        select(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.kind, TicketEvent.data)
        .where(
            TicketEvent.ticket_id.in_(ticket_ids),
            TicketEvent.kind.in_(("updated", "commented")),
        )
        .order_by(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.id)
    )
    for ticket_id, at, kind, data in events:
        if kind == "commented":
            if data.get("comment_id") in replied:
                steps[ticket_id].append(Step(_aware(at), "reply"))
        elif data.get("changes"):
            steps[ticket_id].append(Step(_aware(at), "update", data["changes"]))
    return steps


def what_if(
    sess: Session, version: AgreementVersion, until: date, months: int, now: datetime
) -> tuple[Period, WhatIf]:
    """The comparison for `version`'s organisation over `months` months up to `until`."""
    period = window(until, months)
    org_id = version.organisation_id
    start, end = _instant(period.starts_on), _instant(period.ends_on + timedelta(days=1))
    in_window = (
        Ticket.organisation_id == org_id,
        Ticket.received_at >= start,
        Ticket.received_at < end,
    )
    ids = select(Ticket.id).where(*in_window).scalar_subquery()
    tickets = sess.execute(
        select(
            Ticket.id,
            Ticket.number,
            Ticket.title,
            Ticket.received_at,
            Ticket.status,
            Ticket.service_id,
            Ticket.priority,
            Ticket.type,
        )
        .where(*in_window)
        .order_by(Ticket.received_at, Ticket.id)
    ).all()
    created = dict(
        sess.execute(
            select(TicketEvent.ticket_id, TicketEvent.data).where(
                TicketEvent.ticket_id.in_(ids), TicketEvent.kind == "created"
            )
        ).all()
    )
    steps = histories(sess, ids)
    actual: dict[int, dict[str, str]] = defaultdict(dict)
    for row in sess.execute(
        select(SlaClock).where(
            SlaClock.ticket_id.in_(ids),
            SlaClock.kind.in_(KINDS),
            SlaClock.leg == 0,
            SlaClock.cycle == 0,
        )
    ).scalars():
        actual[row.ticket_id][row.kind] = _actual(row, now)
    lines = promise_lines(sess, version.id)
    calendars = {
        row.id: row.to_calendar()
        for row in sess.scalars(
            select(BusinessCalendar).where(
                BusinessCalendar.id.in_({line.calendar_id for line in lines})
            )
        )
    }
    families = dict(sess.execute(select(Service.id, Service.family)).all())
    cases = []
    for t in tickets:
        first = created.get(t.id) or {}
        history = History(
            t.id,
            _aware(t.received_at),
            first.get("priority", t.priority),
            first.get("service_id", t.service_id),
            first.get("type", t.type),
            tuple(steps.get(t.id, ())),
        )
        cases.append(TicketCase(t.id, t.number, t.title, history, actual.get(t.id, {})))
    facts = [
        TicketFact(t.id, t.service_id, _aware(t.received_at).astimezone(HELSINKI).date(), t.status)
        for t in tickets
    ]
    users = sess.scalars(
        select(User.id).where(
            User.organisation_id == org_id,
            User.active.is_(True),
            User.role.in_([r.value for r in CUSTOMER_ROLES]),
        )
    ).all()
    entries = [
        TimeFact(*row)
        for row in sess.execute(
            select(
                TimeEntry.id,
                TimeEntry.ticket_id,
                Ticket.service_id,
                TimeEntry.worked_on,
                TimeEntry.minutes,
                TimeEntry.expert,
            )
            .join(Ticket, Ticket.id == TimeEntry.ticket_id)
            .where(
                Ticket.organisation_id == org_id,
                TimeEntry.expert.is_(True),
                TimeEntry.worked_on >= period.starts_on,
                TimeEntry.worked_on <= period.ends_on,
            )
        )
    ]
    priced = charges(
        org_id,
        period,
        versions_in(sess, org_id, period),
        _terms(sess, version),
        facts,
        users,
        entries,
    )
    return period, compare(cases, lines, families, calendars, now, priced)


def ticket_count(sess: Session, organisation_id: int) -> int:
    """How many tickets the organisation has (the benchmark picks the busiest)."""
    return int(
        sess.scalar(select(func.count(Ticket.id)).where(Ticket.organisation_id == organisation_id))
        or 0
    )
