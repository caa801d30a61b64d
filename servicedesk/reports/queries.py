"""The report's reads: a few flat statements per organisation and period, never one per ticket
(except where the time went, which replays each *breached* ticket's resolution clock)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import and_, case, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, lazyload, load_only

from catalog.agreements.models import ServicePromise
from catalog.services.models import Service
from catalog.suppliers.models import Supplier, UnderpinningContract
from servicedesk.escalations.models import Escalation
from servicedesk.reports.compliance import ClockFact
from servicedesk.tickets.models import Ticket
from sla import queries as sla_queries
from sla.models import SlaClock


@dataclass(frozen=True)
class TicketRow:
    id: int
    number: str
    title: str


@dataclass(frozen=True)
class Received:
    received_at: datetime
    service_id: int | None
    type: str
    channel: str


@dataclass(frozen=True)
class Rated:
    ticket: TicketRow
    score: int
    comment: str | None
    rated_at: datetime


@dataclass(frozen=True)
class Line:
    """A promise line: service (or family, or the agreement's default) x priority."""

    promise_id: int
    service_id: int | None
    service_code: str | None
    family: str | None
    priority: str
    ticket_type: str | None
    compliance_percent: Decimal


@dataclass(frozen=True)
class ContractRow:
    id: int
    name: str
    supplier_id: int
    supplier_name: str


def _counts_in(start: datetime, end: datetime) -> Any:
    """Clocks that may count in ``[start, end)``: `compliance.counted` decides exactly."""
    return or_(
        and_(SlaClock.stopped_at >= start, SlaClock.stopped_at < end),
        and_(SlaClock.breach_at >= start, SlaClock.breach_at < end),
        and_(SlaClock.state == "running", SlaClock.due_at < end),
    )


_FACT_COLUMNS = (
    SlaClock.id,
    SlaClock.ticket_id,
    SlaClock.kind,
    SlaClock.leg,
    SlaClock.promise_id,
    SlaClock.state,
    SlaClock.due_at,
    SlaClock.breach_at,
    SlaClock.stopped_at,
    SlaClock.evaluated_at,
)


def clock_facts(
    sess: Session,
    start: datetime,
    end: datetime,
    *,
    organisation_id: int | None = None,
    contract_id: int | None = None,
    with_tickets: bool = True,
    suppliers_only: bool = False,
) -> tuple[list[ClockFact], dict[int, int | None], dict[int, TicketRow]]:
    """One statement: the clocks of an organisation (or of a contract's legs) that may count
    in the window; with each supplier clock's contract (leg -> contract id) and,
    `with_tickets`, each clock's ticket (id, number, title); `suppliers_only`, the supplier
    legs' clocks alone (of the organisation's escalated tickets). An organisation's clocks
    are ranges of its own indexes (`ix_sla_clocks_org_*`): its tickets are not read unless
    `with_tickets`."""
    ticket_columns = (Ticket.number, Ticket.title) if with_tickets else ()
    stmt = (
        select(*_FACT_COLUMNS, Escalation.contract_id, *ticket_columns)
        .select_from(SlaClock)
        .outerjoin(Escalation, and_(SlaClock.leg != 0, Escalation.id == SlaClock.leg))
        .where(SlaClock.state != "cancelled", _counts_in(start, end))
    )
    if with_tickets:
        stmt = stmt.join(Ticket, Ticket.id == SlaClock.ticket_id)
    if organisation_id is not None:
        stmt = stmt.where(SlaClock.organisation_id == organisation_id)
    if contract_id is not None:
        stmt = stmt.where(SlaClock.leg != 0, Escalation.contract_id == contract_id)
    if suppliers_only:
        # Through the organisation's escalated tickets: a few, where its clocks are many.
        escalated = (
            select(Escalation.ticket_id)
            .join(Ticket, Ticket.id == Escalation.ticket_id)
            .where(Ticket.organisation_id == organisation_id)
        )
        stmt = stmt.where(SlaClock.leg != 0, SlaClock.ticket_id.in_(escalated))
    facts: list[ClockFact] = []
    contracts: dict[int, int | None] = {}
    tickets: dict[int, TicketRow] = {}
    for row in sess.execute(stmt.order_by(SlaClock.id)):
        facts.append(ClockFact(*row[:10]))
        if row.leg:
            contracts[row.leg] = row.contract_id
        if with_tickets:
            tickets[row.ticket_id] = TicketRow(row.ticket_id, row.number, row.title)
    return facts, contracts, tickets


def ticket_rows(sess: Session, ticket_ids: Sequence[int]) -> dict[int, TicketRow]:
    """Id, number and title of the given tickets (the breach list's), one statement."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return {}
    stmt = select(Ticket.id, Ticket.number, Ticket.title).where(Ticket.id.in_(ids))
    return {row[0]: TicketRow(*row) for row in sess.execute(stmt)}


def _bucket(column: Any, bounds: Sequence[tuple[datetime, datetime]]) -> Any:
    """The index of the window in `bounds` (consecutive, oldest first) holding `column`."""
    return case(*[(column < end, i) for i, (_start, end) in enumerate(bounds)])


def _counted(
    organisation_id: int,
    kinds: Sequence[str],
    start: datetime,
    end: datetime,
    now: datetime,
    columns: Sequence[Any] = (),
    *,
    breached_only: bool = False,
) -> Any:
    """An organisation's customer clocks of `kinds` that count in ``[start, end)`` as of
    `now`, as a subquery of (outcome, at, *columns): `compliance.counted` written as three
    disjoint parts, each a range of its own index (`ix_sla_clocks_org_*`): stopped clocks
    at their stop (met only once stopped by `now`; index-only on PostgreSQL for a count),
    breached clocks not stopped at their breach, running clocks past due at max(due,
    evaluated). `breached_only` leaves the met ones out (the breach list)."""
    c = SlaClock
    later = case((c.due_at >= c.evaluated_at, c.due_at), else_=c.evaluated_at)

    def part(outcome: Any, instant: Any, *where: Any) -> Any:
        return (
            select(outcome.label("outcome"), instant.label("at"), *columns)
            .select_from(c)
            .where(
                c.organisation_id == organisation_id,
                c.leg == 0,
                c.kind.in_(kinds),
                instant >= start,
                instant < end,
                *where,
            )
        )

    stopped = (
        part(literal("breached"), c.stopped_at, c.state == "breached")
        if breached_only
        else part(
            case((c.state == "met", literal("met")), else_=literal("breached")),
            c.stopped_at,
            c.state.in_(("met", "breached")),
            or_(c.state == "breached", c.stopped_at <= now),
        )
    )
    return union_all(
        stopped,
        part(literal("breached"), c.breach_at, c.state == "breached", c.stopped_at.is_(None)),
        part(
            literal("breached"),
            later,
            c.state == "running",
            c.due_at.is_not(None),
            c.due_at < end,
            later < now,
        ),
    ).subquery()


def monthly_tallies(
    sess: Session,
    organisation_id: int,
    kinds: Sequence[str],
    months: Sequence[tuple[datetime, datetime]],
    now: datetime,
) -> dict[int, tuple[int, int]]:
    """Met and breached per month (index into `months`) of an organisation's customer clocks
    of `kinds`, counted in SQL: the trend's figures without reading its clocks row by row.
    One statement; the same rule as `compliance.tally_by`."""
    if not months:
        return {}
    inner = _counted(organisation_id, kinds, months[0][0], months[-1][1], now)
    month = _bucket(inner.c.at, months)
    stmt = select(month, inner.c.outcome, func.count()).group_by(month, inner.c.outcome)
    return _met_breached((i, what, n) for i, what, n in sess.execute(stmt))


K = TypeVar("K")


def _met_breached(rows: Iterable[tuple[K, str, int]]) -> dict[K, tuple[int, int]]:
    """(key, outcome, count) rows of a grouped count as met and breached per key."""
    found: dict[K, tuple[int, int]] = {}
    for key, what, n in rows:
        met, breached = found.get(key, (0, 0))
        found[key] = (met + n, breached) if what == "met" else (met, breached + n)
    return found


def period_tallies(
    sess: Session,
    organisation_id: int,
    kinds: Sequence[str],
    start: datetime,
    end: datetime,
    now: datetime,
) -> dict[tuple[int | None, str], tuple[int, int]]:
    """Met and breached per promise line and kind of an organisation's customer clocks that
    count in ``[start, end)``: one grouped statement, whatever the period's length."""
    c = SlaClock
    inner = _counted(organisation_id, kinds, start, end, now, (c.promise_id, c.kind))
    stmt = select(inner.c.promise_id, inner.c.kind, inner.c.outcome, func.count()).group_by(
        inner.c.promise_id, inner.c.kind, inner.c.outcome
    )
    return _met_breached(((pid, kind), what, n) for pid, kind, what, n in sess.execute(stmt))


def breaches(
    sess: Session,
    organisation_id: int,
    kinds: Sequence[str],
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    after: tuple[datetime, int] | None = None,
    limit: int | None = None,
) -> list[tuple[ClockFact, datetime]]:
    """An organisation's customer clocks that count as breached in ``[start, end)``, each
    with the instant it counts at, in (instant, clock id) order: those after `after`, at
    most `limit` (None: all). Two statements: the page's (instant, id) pairs, which the
    database sorts and cuts from its indexes alone, then those clocks' rows; a year's
    40 000 breaches are not read for a page of a hundred."""
    c = SlaClock
    inner = _counted(organisation_id, kinds, start, end, now, (c.id,), breached_only=True)
    stmt = select(inner.c.id, inner.c.at)
    if after is not None:
        at, clock_id = after
        stmt = stmt.where(or_(inner.c.at > at, and_(inner.c.at == at, inner.c.id > clock_id)))
    stmt = stmt.order_by(inner.c.at, inner.c.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    page = sess.execute(stmt).all()
    if not page:
        return []
    rows = {
        row[0]: ClockFact(*row)
        for row in sess.execute(select(*_FACT_COLUMNS).where(c.id.in_([i for i, _ in page])))
    }
    return [(rows[clock_id], at) for clock_id, at in page]


@dataclass(frozen=True)
class ReceivedCount:
    """Tickets received in one trend month, by whether in the period, service, type, channel."""

    month: int | None
    in_period: bool
    service_code: str | None
    type: str
    channel: str
    count: int


def received_counts(
    sess: Session,
    organisation_id: int,
    months: Sequence[tuple[datetime, datetime]],
    start: datetime,
    end: datetime,
) -> list[ReceivedCount]:
    """Tickets received in the trend's months or the period ``[start, end)``, counted per
    month, in-period or not, service, type and channel: the volumes and the trend's received
    counts in one statement (ix_tickets_org_received), not a row per ticket. `months`:
    consecutive, oldest first, at least one."""
    low = min(start, months[0][0])
    high = max(end, months[-1][1])
    month = case(
        (Ticket.received_at < months[0][0], None), else_=_bucket(Ticket.received_at, months)
    )
    inner = (
        select(
            month.label("month"),
            and_(Ticket.received_at >= start, Ticket.received_at < end).label("in_period"),
            Service.code.label("code"),
            Ticket.type.label("type"),
            Ticket.channel.label("channel"),
        )
        .outerjoin(Service, Service.id == Ticket.service_id)
        .where(
            Ticket.organisation_id == organisation_id,
            Ticket.received_at >= low,
            Ticket.received_at < high,
        )
        .subquery()
    )
    stmt = select(
        inner.c.month,
        inner.c.in_period,
        inner.c.code,
        inner.c.type,
        inner.c.channel,
        func.count(),
    ).group_by(inner.c.month, inner.c.in_period, inner.c.code, inner.c.type, inner.c.channel)
    return [
        ReceivedCount(m, bool(p), code, t, ch, n) for m, p, code, t, ch, n in sess.execute(stmt)
    ]


def ended_without_promise(
    sess: Session, organisation_id: int, start: datetime, end: datetime
) -> dict[str, int]:
    """Customer clocks cancelled in the window because the ticket's new priority (or type)
    has no promise: left out of compliance, counted apart (SLA.md). One statement."""
    stmt = select(SlaClock.kind, SlaClock.events).where(
        SlaClock.organisation_id == organisation_id,
        SlaClock.leg == 0,
        SlaClock.state == "cancelled",
        SlaClock.stopped_at >= start,
        SlaClock.stopped_at < end,
    )
    found: dict[str, int] = {}
    for kind, events in sess.execute(stmt):
        last = events[-1] if events else {}
        if last.get("type") == "cancel" and "no promise" in (last.get("why") or ""):
            found[kind] = found.get(kind, 0) + 1
    return found


def lines(sess: Session, promise_ids: Sequence[int]) -> dict[int, Line]:
    if not promise_ids:
        return {}
    stmt = (
        select(ServicePromise, Service.code)
        .outerjoin(Service, Service.id == ServicePromise.service_id)
        .where(ServicePromise.id.in_(sorted(set(promise_ids))))
    )
    return {
        p.id: Line(
            p.id,
            p.service_id,
            code,
            p.family,
            p.priority,
            p.ticket_type,
            Decimal(p.compliance_percent),
        )
        for p, code in sess.execute(stmt)
    }


def contracts(sess: Session, contract_ids: Sequence[int]) -> dict[int, ContractRow]:
    if not contract_ids:
        return {}
    stmt = (
        select(UnderpinningContract.id, UnderpinningContract.name, Supplier.id, Supplier.name)
        .join(Supplier, Supplier.id == UnderpinningContract.supplier_id)
        .where(UnderpinningContract.id.in_(sorted(set(contract_ids))))
    )
    return {row[0]: ContractRow(*row) for row in sess.execute(stmt)}


def received(sess: Session, organisation_id: int, start: datetime, end: datetime) -> list[Received]:
    """Tickets received in the window (ix_tickets_org_received)."""
    stmt = select(Ticket.received_at, Ticket.service_id, Ticket.type, Ticket.channel).where(
        Ticket.organisation_id == organisation_id,
        Ticket.received_at >= start,
        Ticket.received_at < end,
    )
    return [Received(*row) for row in sess.execute(stmt)]


def service_codes(sess: Session, service_ids: Sequence[int]) -> dict[int, str]:
    ids = sorted({i for i in service_ids if i is not None})
    if not ids:
        return {}
    return dict(sess.execute(select(Service.id, Service.code).where(Service.id.in_(ids))).all())


def _rated_in(organisation_id: int, start: datetime, end: datetime) -> tuple[Any, ...]:
    return (
        Ticket.organisation_id == organisation_id,
        Ticket.rated_at >= start,
        Ticket.rated_at < end,
        Ticket.rating.is_not(None),
    )


def rating_totals(
    sess: Session, organisation_id: int, start: datetime, end: datetime
) -> tuple[int, int]:
    """How many of the organisation's tickets were rated in the window, and their scores'
    sum (`ix_tickets_org_rated`): the average without a row per rating."""
    stmt = select(func.count(), func.coalesce(func.sum(Ticket.rating), 0)).where(
        *_rated_in(organisation_id, start, end)
    )
    count, total = sess.execute(stmt).one()
    return int(count), int(total)


def rated(
    sess: Session,
    organisation_id: int,
    start: datetime,
    end: datetime,
    *,
    at_most: int | None = None,
) -> list[Rated]:
    """The ratings of the window in time order; `at_most`: only scores up to it."""
    stmt = (
        select(
            Ticket.id,
            Ticket.number,
            Ticket.title,
            Ticket.rating,
            Ticket.rating_comment,
            Ticket.rated_at,
        )
        .where(*_rated_in(organisation_id, start, end))
        .order_by(Ticket.rated_at, Ticket.id)
    )
    if at_most is not None:
        stmt = stmt.where(Ticket.rating <= at_most)
    return [Rated(TicketRow(r[0], r[1], r[2]), r[3], r[4], r[5]) for r in sess.execute(stmt)]


def time_splits(
    sess: Session, ticket_ids: Sequence[int], at: datetime
) -> tuple[dict[int, TicketRow], dict[int, dict[str, Any] | None]]:
    """Each ticket's id, number and title, and where the time went for it
    (`sla.queries.time_split`): three statements (the tickets, their customer resolution
    clocks - the only clock a split replays - and their supplier legs), then each
    resolution clock replayed."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return {}, {}
    # Bare ticket objects: the split needs their ids, not the eager joins a Ticket brings.
    tickets = list(
        sess.scalars(
            select(Ticket)
            .where(Ticket.id.in_(ids))
            .options(load_only(Ticket.id, Ticket.number, Ticket.title), lazyload("*"))
        )
    )
    clocks: dict[int, list[SlaClock]] = {i: [] for i in ids}
    for clock in sess.scalars(
        select(SlaClock)
        .where(SlaClock.ticket_id.in_(ids), SlaClock.kind == "resolution", SlaClock.leg == 0)
        .options(lazyload(SlaClock.alerts))
    ):
        clocks[clock.ticket_id].append(clock)
    legs: dict[int, list[Escalation]] = {i: [] for i in ids}
    for leg in sess.scalars(
        select(Escalation).where(Escalation.ticket_id.in_(ids)).order_by(Escalation.id)
    ):
        legs[leg.ticket_id].append(leg)
    rows = {t.id: TicketRow(t.id, t.number, t.title) for t in tickets}
    return rows, {
        t.id: sla_queries.time_split(sess, t, at, clocks[t.id], legs[t.id]) for t in tickets
    }
