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

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from catalog.agreements.models import AgreementService, AgreementVersion
from catalog.agreements.queries import promise_lines
from catalog.agreements.replay import KINDS, History, Step
from catalog.agreements.whatif import TicketCase, WhatIf, charges, compare
from catalog.services.models import Service
from servicedesk.charges.queries import expert_time, user_spans, versions_in
from servicedesk.charges.statement import Period, PriceLine, TicketFact, VersionTerms
from servicedesk.enums import STAFF_ROLES
from servicedesk.reports.compliance import ClockFact, counted
from servicedesk.tickets.models import Comment, Ticket, TicketEvent
from servicedesk.users.models import User
from sla.models import SlaClock
from sla.tracking import calendar_for

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


def _actual(
    kind: str,
    state: str,
    stopped_at: datetime | None,
    breach_at: datetime | None,
    due_at: datetime | None,
    evaluated_at: datetime | None,
    now: datetime,
) -> str:
    """What the clock the tracker kept came to, as the service-level report counts it
    (`counted`); `_CLOCK_COLUMNS` reads only the instants it looks at for the state."""
    fact = ClockFact(0, 0, kind, 0, None, state, due_at, breach_at, stopped_at, evaluated_at or now)
    found = counted(fact, now)
    if found is not None:
        return found[0]
    return "cancelled" if state == "cancelled" else "open"


#: A clock row as `_actual` reads it. `counted` looks at the stop of a met or breached clock,
#: at the breach instant of a breached one without a stop, and at the due and evaluation
#: instants of a running one only: the others are left NULL (twenty thousand rows, four
#: instants each, were a tenth of the what-if's time).
_RUNNING = SlaClock.state == "running"
_CLOCK_COLUMNS = (
    SlaClock.ticket_id,
    SlaClock.kind,
    SlaClock.state,
    SlaClock.stopped_at,
    case((SlaClock.stopped_at.is_(None), SlaClock.breach_at)),
    case((_RUNNING, SlaClock.due_at)),
    case((_RUNNING, SlaClock.evaluated_at)),
)


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


#: The fields whose changes move clocks (`catalog.agreements.replay`); the "updated" events'
#: other changes (assignee, group, ...) move none.
CLOCK_FIELDS = ("status", "priority", "service_id", "type")


def _change_columns() -> list[Any]:
    """Each clock field's before and after, read out of the event's JSON by the database:
    a year's events are tens of thousands of documents, and decoding them whole in Python
    was the slowest read of the what-if. A field absent from the changes reads as two NULLs
    (a change never has both sides null)."""
    columns = []
    for name in CLOCK_FIELDS:
        for side in ("before", "after"):
            value = TicketEvent.data[("changes", name, side)]
            columns.append(value.as_integer() if name == "service_id" else value.as_string())
    return columns


def _changes(
    status_before: Any,
    status_after: Any,
    priority_before: Any,
    priority_after: Any,
    service_before: Any,
    service_after: Any,
    type_before: Any,
    type_after: Any,
) -> dict[str, dict[str, Any]]:
    """The clock fields an event changed, as the event stores them ({field: {before, after}}).
    Spelled out, not looped: it runs once per event, tens of thousands of times."""
    changes = {}
    if status_before is not None or status_after is not None:
        changes["status"] = {"before": status_before, "after": status_after}
    if priority_before is not None or priority_after is not None:
        changes["priority"] = {"before": priority_before, "after": priority_after}
    if service_before is not None or service_after is not None:
        changes["service_id"] = {"before": service_before, "after": service_after}
    if type_before is not None or type_after is not None:
        changes["type"] = {"before": type_before, "after": type_after}
    return changes


def histories(sess: Session, ticket_ids: Any) -> dict[int, list[Step]]:
    """Every ticket's clock-moving steps in time order: its field changes ("updated" events
    that change a clock field) and its first public desk reply. `ticket_ids` is a subquery
    (one statement each).

    A reply and a change at the same instant: the reply first, as `reply` writes them (the
    comment, then the status change it goes with)."""
    steps: dict[int, list[Step]] = defaultdict(list)
    rows = sess.connection().execute  # plain rows (see `what_if`)
    replies = rows(
        select(Comment.ticket_id, func.min(Comment.created_at))
        .join(User, User.id == Comment.author_id)
        .where(
            Comment.ticket_id.in_(ticket_ids),
            Comment.internal.is_(False),
            Comment.escalation_id.is_(None),
            User.role.in_([r.value for r in STAFF_ROLES]),
        )
        .group_by(Comment.ticket_id)
    )
    first_reply = {ticket_id: _aware(at) for ticket_id, at in replies}
    events = rows(
        select(TicketEvent.ticket_id, TicketEvent.at, *_change_columns())
        .where(TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.kind == "updated")
        .order_by(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.id)
    )
    for ticket_id, at, *sides in events:
        changes = _changes(*sides)
        if not changes:
            continue
        mine = steps[ticket_id]
        if ticket_id in first_reply and first_reply[ticket_id] <= at:
            mine.append(Step(first_reply.pop(ticket_id), "reply"))
        mine.append(Step(at, "update", changes))
    for ticket_id, replied in first_reply.items():
        steps[ticket_id].append(Step(replied, "reply"))
    return steps


def received_as(ticket: Any, steps: list[Step]) -> tuple[str, int | None, str]:
    """The priority, service and type the ticket was received with: the first change's
    "before" of each, else what it has now."""
    found: dict[str, Any] = {}
    for step in steps:
        for name, change in step.changes.items():
            if name in ("priority", "service_id", "type") and name not in found:
                found[name] = change.get("before")
    return (
        found.get("priority", ticket.priority),
        found.get("service_id", ticket.service_id),
        found.get("type", ticket.type),
    )


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
    # Plain rows through the connection: the ORM's row processing would cost as much as
    # the statements for tens of thousands of rows, and nothing here is an entity.
    rows = sess.connection().execute
    tickets = rows(
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
    steps = histories(sess, ids)
    actual: dict[int, dict[str, str]] = defaultdict(dict)
    # A kind whose clocks were cancelled (a priority without a promise) and started again
    # has later cycles: the last one carries its outcome, as in the replay.
    clocks = (
        select(*_CLOCK_COLUMNS)
        .where(SlaClock.ticket_id.in_(ids), SlaClock.kind.in_(KINDS), SlaClock.leg == 0)
        .order_by(SlaClock.cycle)
    )
    for ticket_id, kind, *clock in rows(clocks):
        actual[ticket_id][kind] = _actual(kind, *clock, now)
    lines = promise_lines(sess, version.id)
    # The process's calendars (`calendar_for`): their year tables are built already.
    calendars = {cid: calendar_for(sess, cid) for cid in {line.calendar_id for line in lines}}
    families = dict(sess.execute(select(Service.id, Service.family)).all())
    cases = []
    for t in tickets:
        done = steps.get(t.id, [])
        history = History(t.id, _aware(t.received_at), *received_as(t, done), tuple(done))
        cases.append(TicketCase(t.id, t.number, t.title, history, actual.get(t.id, {})))
    facts = [
        TicketFact(t.id, t.service_id, _aware(t.received_at).astimezone(HELSINKI).date(), t.status)
        for t in tickets
    ]
    users = user_spans(sess, org_id)
    entries = expert_time(sess, org_id, period)
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
