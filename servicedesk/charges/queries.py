"""The statement's I/O: load one organisation's facts for a period, then price them (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.agreements.models import IN_FORCE_STATES, AgreementService, AgreementVersion
from catalog.services.models import Service
from servicedesk.charges.statement import (
    Period,
    PriceLine,
    Statement,
    TicketFact,
    TimeFact,
    UserSpan,
    VersionTerms,
    build_statement,
)
from servicedesk.enums import CUSTOMER_ROLES
from servicedesk.tickets.models import Ticket
from servicedesk.time_entries.models import TimeEntry
from servicedesk.users.models import User

HELSINKI = ZoneInfo("Europe/Helsinki")


def _instant(day: date) -> datetime:
    """The UTC instant at which a Helsinki day begins."""
    return datetime.combine(day, time(0), tzinfo=HELSINKI).astimezone(UTC)


def versions_in(sess: Session, organisation_id: int, period: Period) -> list[VersionTerms]:
    """The organisation's agreement versions in force on some day of the period, with lines."""
    versions = sess.scalars(
        select(AgreementVersion)
        .where(
            AgreementVersion.organisation_id == organisation_id,
            AgreementVersion.state.in_(IN_FORCE_STATES),
            AgreementVersion.valid_from <= period.ends_on,
            (AgreementVersion.valid_to.is_(None)) | (AgreementVersion.valid_to >= period.starts_on),
        )
        .order_by(AgreementVersion.valid_from)
    ).all()
    ids = [v.id for v in versions]
    rows = sess.execute(
        select(AgreementService, Service.code)
        .join(Service, Service.id == AgreementService.service_id)
        .where(AgreementService.agreement_version_id.in_(ids))
        .order_by(AgreementService.id)
    ).all()
    lines: dict[int, list[PriceLine]] = {v.id: [] for v in versions}
    for line, code in rows:
        lines[line.agreement_version_id].append(
            PriceLine(line.service_id, code, line.starts_on, line.price_model, line.price)
        )
    return [
        VersionTerms(
            v.id, v.version_no, v.valid_from, v.valid_to, v.invoicing_period, tuple(lines[v.id])
        )
        for v in versions
    ]


def statement_for(sess: Session, organisation_id: int, period: Period) -> Statement:
    """The itemised statement of one organisation for one period (`statement` has the rules)."""
    start, end = _instant(period.starts_on), _instant(period.ends_on + timedelta(days=1))
    tickets = [
        TicketFact(tid, service_id, received.astimezone(HELSINKI).date(), status)
        for tid, service_id, received, status in sess.execute(
            select(Ticket.id, Ticket.service_id, Ticket.received_at, Ticket.status).where(
                Ticket.organisation_id == organisation_id,
                Ticket.received_at >= start,
                Ticket.received_at < end,
            )
        )
    ]
    users = user_spans(sess, organisation_id)
    entries = expert_time(sess, organisation_id, period)
    versions = versions_in(sess, organisation_id, period)
    return build_statement(organisation_id, period, versions, tickets, users, entries)


def user_spans(sess: Session, organisation_id: int) -> list[UserSpan]:
    """The organisation's end users and customer contacts with their lives in Helsinki days:
    what `per_user_month` counts per month. An account deactivated before deactivations were
    recorded (inactive, no instant) counts in no month, as it did when only the active ones
    were counted."""
    rows = sess.execute(
        select(User.id, User.created_at, User.active, User.deactivated_at).where(
            User.organisation_id == organisation_id,
            User.role.in_([r.value for r in CUSTOMER_ROLES]),
        )
    )
    return [
        UserSpan(
            uid,
            created.astimezone(HELSINKI).date(),
            None if active else ended.astimezone(HELSINKI).date(),
        )
        for uid, created, active, ended in rows
        if active or ended is not None
    ]


def expert_time(sess: Session, organisation_id: int, period: Period) -> list[TimeFact]:
    """The expert time entries on the organisation's tickets worked in the period."""
    return [
        TimeFact(eid, ticket_id, service_id, worked_on, minutes, expert)
        for eid, ticket_id, service_id, worked_on, minutes, expert in sess.execute(
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
                Ticket.organisation_id == organisation_id,
                TimeEntry.expert.is_(True),
                TimeEntry.worked_on >= period.starts_on,
                TimeEntry.worked_on <= period.ends_on,
            )
        )
    ]
