"""The public page's reads: compliance and volumes per service family and Helsinki month
across all owners, aggregated in SQL (GROUP BY), never row by row.

The counting rule is `servicedesk.reports.compliance.counted`, written as SQL: a stopped clock
counts at its stop instant (met or breached); a breached clock still running or paused counts
at its breach instant; a clock cached as running counts breached at max(due_at, evaluated_at)
once `now` is past it; cancelled clocks and supplier legs (leg != 0) count nowhere. Months are
Helsinki months whose UTC bounds Python computes (`servicedesk.reports.periods`); the database
only compares instants with them (one CASE sum per month), so SQLite and PostgreSQL bucket
alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from catalog.agreements.models import IN_FORCE_STATES, AgreementService, AgreementVersion
from catalog.services.models import Service
from servicedesk.db import UTCDateTime
from servicedesk.reports.compliance import Tally
from servicedesk.reports.periods import Period
from servicedesk.tickets.models import Ticket
from sla.models import SlaClock

#: The customer's clocks the page shows (update cycles are an agreement detail).
PUBLIC_KINDS = ("response", "resolution")
#: The family of tickets filed without a service.
NO_FAMILY = ""

#: (family, month label, kind) -> met and breached.
ClockTallies = dict[tuple[str, str, str], Tally]


def _at(value: datetime) -> Any:
    """An instant as a bound value of the column type (SQLite compares the stored text)."""
    return literal(value, UTCDateTime)


def clock_tallies(sess: Session, months: Sequence[Period], now: datetime) -> ClockTallies:
    """Met and breached clocks per family, month and kind, as of `now`. One statement, one
    scan: per month a sum of the met and a sum of the breached, grouped by family and kind
    only (a handful of groups, which PostgreSQL aggregates in its parallel workers). Each
    sum tests the state first, then plain columns, so a clock costs a few comparisons."""
    c = SlaClock
    start, end = months[0].start, months[-1].end
    breached_at = func.coalesce(c.stopped_at, c.breach_at)
    running_breach = case((c.due_at > c.evaluated_at, c.due_at), else_=c.evaluated_at)

    def met_in(m: Period) -> Any:
        return and_(
            c.state == "met",
            c.stopped_at >= _at(m.start),
            c.stopped_at < _at(m.end),
            c.stopped_at <= _at(now),
        )

    def breached_in(m: Period) -> Any:
        return or_(
            and_(c.state == "breached", breached_at >= _at(m.start), breached_at < _at(m.end)),
            and_(
                c.state == "running",
                c.due_at < _at(m.end),
                running_breach >= _at(m.start),
                running_breach < _at(m.end),
                running_breach < _at(now),
            ),
        )

    sums = []
    for i, m in enumerate(months):
        sums.append(func.sum(case((met_in(m), 1), else_=0)).label(f"met_{i}"))
        sums.append(func.sum(case((breached_in(m), 1), else_=0)).label(f"breached_{i}"))
    stmt = (
        select(Service.family, c.kind, *sums)
        .select_from(c)
        .join(Ticket, Ticket.id == c.ticket_id)
        .outerjoin(Service, Service.id == Ticket.service_id)
        .where(
            c.leg == 0,
            c.kind.in_(PUBLIC_KINDS),
            c.state.in_(("met", "breached", "running")),
            # A superset of the clocks that can count in the window; the sums decide exactly.
            or_(
                c.stopped_at >= _at(start),
                c.breach_at >= _at(start),
                and_(c.state == "running", c.due_at < _at(end)),
            ),
        )
        .group_by(Service.family, c.kind)
    )
    found: ClockTallies = {}
    for row in sess.execute(stmt):
        family = row[0] or NO_FAMILY
        for i, m in enumerate(months):
            met, breached = int(row[2 + 2 * i] or 0), int(row[3 + 2 * i] or 0)
            if met or breached:
                found[(family, m.label, row[1])] = Tally(met, breached)
    return found


def received(sess: Session, months: Sequence[Period]) -> dict[tuple[str, str], int]:
    """Tickets received per family and month (ix_tickets_received). One statement."""
    start, end = months[0].start, months[-1].end
    sums = [
        func.sum(
            case(
                (and_(Ticket.received_at >= _at(m.start), Ticket.received_at < _at(m.end)), 1),
                else_=0,
            )
        ).label(f"n_{i}")
        for i, m in enumerate(months)
    ]
    stmt = (
        select(Service.family, *sums)
        .select_from(Ticket)
        .outerjoin(Service, Service.id == Ticket.service_id)
        .where(Ticket.received_at >= _at(start), Ticket.received_at < _at(end))
        .group_by(Service.family)
    )
    found: dict[tuple[str, str], int] = {}
    for row in sess.execute(stmt):
        for i, m in enumerate(months):
            if n := int(row[1 + i] or 0):
                found[(row[0] or NO_FAMILY, m.label)] = n
    return found


def offered_services(sess: Session, now: datetime) -> list[Service]:
    """The catalogue's services that take tickets today (retired ones stay out)."""
    stmt = (
        select(Service)
        .where(or_(Service.retired_at.is_(None), Service.retired_at > _at(now)))
        .order_by(Service.family, Service.subfamily, Service.code)
    )
    return list(sess.scalars(stmt))


def price_ranges(sess: Session, today: date) -> dict[int, list[tuple[str, Any, Any]]]:
    """Per service: (price model, lowest, highest price) over the agreement versions in force
    on `today` (Helsinki). Aggregated in SQL: no row names its organisation."""
    stmt = (
        select(
            AgreementService.service_id,
            AgreementService.price_model,
            func.min(AgreementService.price),
            func.max(AgreementService.price),
        )
        .join(AgreementVersion, AgreementVersion.id == AgreementService.agreement_version_id)
        .where(
            AgreementVersion.state.in_(IN_FORCE_STATES),
            AgreementVersion.valid_from <= today,
            or_(AgreementVersion.valid_to.is_(None), AgreementVersion.valid_to >= today),
        )
        .group_by(AgreementService.service_id, AgreementService.price_model)
        .order_by(AgreementService.service_id, AgreementService.price_model)
    )
    found: dict[int, list[tuple[str, Any, Any]]] = {}
    for service_id, model, low, high in sess.execute(stmt):
        found.setdefault(service_id, []).append((model, low, high))
    return found
