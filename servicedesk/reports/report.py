"""The service-level report of one organisation and period, as plain dataclasses: the API
writes them as JSON, and the pages, exports and monthly mail (later) read the same."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from servicedesk.reports import queries
from servicedesk.reports.compliance import ClockFact, Tally, passed, tally_by
from servicedesk.reports.periods import Period, months_ending

CUSTOMER_KINDS = ("response", "resolution", "update")
SUPPLIER_KINDS = ("supplier_response", "supplier_resolution")
LOW_RATING = 2


@dataclass(frozen=True)
class LineCompliance:
    line: queries.Line
    kind: str
    met: int
    breached: int
    compliance_percent: Decimal | None
    target_percent: Decimal | None
    passed: bool | None


@dataclass(frozen=True)
class Breach:
    ticket: queries.TicketRow
    clock_id: int
    kind: str
    due_at: datetime | None
    #: The stop instant, or the breach instant of a clock still running or paused.
    counted_at: datetime
    stopped: bool
    desk_seconds: int | None
    supplier_seconds: int | None
    customer_seconds: int | None


@dataclass(frozen=True)
class ContractCompliance:
    contract: queries.ContractRow
    kind: str
    met: int
    breached: int
    compliance_percent: Decimal | None


@dataclass(frozen=True)
class Volume:
    key: str
    count: int


@dataclass(frozen=True)
class Satisfaction:
    rated: int
    average: Decimal | None
    low: list[queries.Rated]


@dataclass(frozen=True)
class TrendMonth:
    month: str
    met: int
    breached: int
    compliance_percent: Decimal | None
    received: int


@dataclass(frozen=True)
class ServiceLevelReport:
    organisation_id: int
    period: Period
    generated_at: datetime
    lines: list[LineCompliance]
    overall: dict[str, Tally]
    breaches: list[Breach]
    supplier_compliance: list[ContractCompliance] | None
    volumes: dict[str, list[Volume]] = field(default_factory=dict)
    received: int = 0
    satisfaction: Satisfaction | None = None
    trend: list[TrendMonth] = field(default_factory=list)
    #: Clocks cancelled by a change to a priority or type without a promise, per kind.
    ended_by_priority_change: dict[str, int] = field(default_factory=dict)
    #: Every breach of the period; `breaches` holds one page of them when paged.
    breach_count: int = 0
    #: Where the next page of breaches starts (`build`'s `breaches_after`), if there is one.
    breaches_next: tuple[datetime, int] | None = None


def _line_order(line: queries.Line) -> tuple:
    return (line.priority, line.service_code or "", line.family or "", line.promise_id)


def contract_compliance(
    facts: list[ClockFact],
    leg_contracts: dict[int, int | None],
    contracts: dict[int, queries.ContractRow],
    period: Period,
    now: datetime,
) -> list[ContractCompliance]:
    """Supplier clocks per underpinning contract and clock kind."""
    supplier = [f for f in facts if f.kind in SUPPLIER_KINDS and leg_contracts.get(f.leg)]
    tallies = tally_by(
        supplier, lambda f: (leg_contracts[f.leg], f.kind), period.start, period.end, now
    )
    return [
        ContractCompliance(contracts[cid], kind, t.met, t.breached, t.percent)
        for (cid, kind), t in sorted(tallies.items(), key=lambda kv: (kv[0][0], kv[0][1]))
        if cid in contracts
    ]


def _volumes(counts: list[queries.ReceivedCount]) -> dict[str, list[Volume]]:
    def count(key: Callable[[queries.ReceivedCount], str]) -> list[Volume]:
        found = Counter[str]()
        for c in counts:
            found[key(c)] += c.count
        return [Volume(k, n) for k, n in sorted(found.items())]

    return {
        "service": count(lambda c: c.service_code or ""),
        "type": count(lambda c: c.type),
        "channel": count(lambda c: c.channel),
    }


def satisfaction(rated: int, total: int, low: list[queries.Rated]) -> Satisfaction:
    """`rated` ratings whose scores sum to `total`; `low`: those of LOW_RATING or less."""
    average = None
    if rated:
        average = (Decimal(total) / rated).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return Satisfaction(rated, average, low)


def build(
    sess: Session,
    organisation_id: int,
    period: Period,
    now: datetime,
    *,
    with_suppliers: bool = True,
    with_time_split: bool = True,
    breaches_limit: int | None = None,
    breaches_after: tuple[datetime, int] | None = None,
) -> ServiceLevelReport:
    """Assemble the report; `now` is the instant the running clocks are judged at.

    The breach list is in (counted instant, clock id) order. `breaches_limit` pages it: only
    that many breaches after `breaches_after` are listed and explained (a large
    organisation's month has thousands; where the time went costs a replay each), while
    `breach_count` and every figure still count them all. None lists every breach (exports,
    the monthly mail)."""
    trend_months = months_ending(period.last)
    bounds = [(m.start, m.end) for m in trend_months]
    # Counted by the database (the same rule as `compliance.counted`): the lines per promise
    # and kind, the trend per month; only the breach list's page is read row by row, so a
    # year costs about what a month does.
    by_line = {
        key: Tally(*counts)
        for key, counts in queries.period_tallies(
            sess, organisation_id, CUSTOMER_KINDS, period.start, period.end, now
        ).items()
    }
    line_rows = queries.lines(sess, [pid for pid, _ in by_line if pid is not None])
    lines = [
        LineCompliance(
            line_rows[pid],
            kind,
            t.met,
            t.breached,
            t.percent,
            line_rows[pid].compliance_percent,
            passed(t, line_rows[pid].compliance_percent),
        )
        for (pid, kind), t in by_line.items()
        if pid in line_rows
    ]
    lines.sort(key=lambda lc: (_line_order(lc.line), CUSTOMER_KINDS.index(lc.kind)))
    overall: dict[str, Tally] = {}
    for (_pid, kind), t in by_line.items():
        so_far = overall.get(kind, Tally())
        overall[kind] = Tally(so_far.met + t.met, so_far.breached + t.breached)
    overall = {kind: overall[kind] for kind in CUSTOMER_KINDS if kind in overall}

    breach_count = sum(t.breached for t in overall.values())
    # One more than the page: whether another page follows.
    breached = queries.breaches(
        sess,
        organisation_id,
        CUSTOMER_KINDS,
        period.start,
        period.end,
        now,
        after=breaches_after,
        limit=None if breaches_limit is None else breaches_limit + 1,
    )
    next_page = None
    if breaches_limit is not None and len(breached) > breaches_limit:
        breached = breached[:breaches_limit]
        next_page = (breached[-1][1], breached[-1][0].clock_id)
    # The listed breaches' tickets (number, title) with their time splits, not every
    # counted clock's ticket row.
    breached_ids = [f.ticket_id for f, _ in breached]
    if with_time_split:
        tickets, splits = queries.time_splits(sess, breached_ids, now)
    else:
        tickets, splits = queries.ticket_rows(sess, breached_ids), {}
    breaches = []
    for fact, at in breached:
        split = splits.get(fact.ticket_id) or {}
        breaches.append(
            Breach(
                tickets[fact.ticket_id],
                fact.clock_id,
                fact.kind,
                fact.due_at,
                at,
                fact.stopped_at is not None and fact.stopped_at == at,
                split.get("desk_seconds"),
                split.get("supplier_seconds"),
                split.get("customer_seconds"),
            )
        )

    suppliers = None
    if with_suppliers:
        facts, leg_contracts, _ = queries.clock_facts(
            sess,
            period.start,
            period.end,
            organisation_id=organisation_id,
            with_tickets=False,
            suppliers_only=True,
        )
        contract_rows = queries.contracts(sess, [c for c in leg_contracts.values() if c])
        suppliers = contract_compliance(facts, leg_contracts, contract_rows, period, now)

    counts = queries.received_counts(sess, organisation_id, bounds, period.start, period.end)
    rated, score_total = queries.rating_totals(sess, organisation_id, period.start, period.end)
    low_ratings = queries.rated(sess, organisation_id, period.start, period.end, at_most=LOW_RATING)

    tallies = queries.monthly_tallies(sess, organisation_id, CUSTOMER_KINDS, bounds, now)
    received_by_month = Counter[int]()
    for c in counts:
        if c.month is not None:
            received_by_month[c.month] += c.count
    trend = []
    for i, m in enumerate(trend_months):
        t = Tally(*tallies.get(i, (0, 0)))
        trend.append(TrendMonth(m.label, t.met, t.breached, t.percent, received_by_month[i]))
    in_period = [c for c in counts if c.in_period]

    return ServiceLevelReport(
        organisation_id=organisation_id,
        period=period,
        generated_at=now,
        lines=lines,
        overall=overall,
        breaches=breaches,
        supplier_compliance=suppliers,
        volumes=_volumes(in_period),
        received=sum(c.count for c in in_period),
        satisfaction=satisfaction(rated, score_total, low_ratings),
        trend=trend,
        ended_by_priority_change=queries.ended_without_promise(
            sess, organisation_id, period.start, period.end
        ),
        breach_count=breach_count,
        breaches_next=next_page,
    )


def build_contract(
    sess: Session, contract: queries.ContractRow, period: Period, now: datetime
) -> list[ContractCompliance]:
    """Supplier compliance of one underpinning contract, across every customer."""
    facts, leg_contracts, _tickets = queries.clock_facts(
        sess, period.start, period.end, contract_id=contract.id
    )
    return contract_compliance(facts, leg_contracts, {contract.id: contract}, period, now)
