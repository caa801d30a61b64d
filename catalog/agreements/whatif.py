"""The what-if comparison as a pure rule: real outcomes and prices beside a replay (no I/O).

For an organisation's tickets of a window and an agreement version V: each ticket is replayed
under V's promise lines (`catalog.agreements.replay`) and its clocks judged by the same pure
engine as the tracker's (`sla.clock.evaluate`, on V's calendars; a clock that only started
and stopped by the engine's due instant, `judged`). Per V's line and clock kind,
the real outcomes and the replayed ones are tallied side by side (compliance as SLA.md and the
service-level report count it: met / (met + breached)); the tickets whose outcome would change
are listed; and the charges of V's prices over the same volumes are priced by the statement's
own rule (`servicedesk.charges.statement`) beside what the versions in force charged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from catalog.agreements.replay import KINDS, History, LineFinder, ReplayedClock, replay, replay_with
from catalog.promises import PromiseLine
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
from servicedesk.reports.compliance import Tally
from sla.calendar import Calendar, due_instant
from sla.clock import ClockState, EventType, evaluate

#: What a clock came to: met, breached, open (running or paused, not breached), cancelled,
#: or no_promise (the ticket had no clock of the kind).
OUTCOMES = ("met", "breached", "open", "cancelled", "no_promise")


@dataclass(frozen=True)
class TicketCase:
    """A ticket of the window: what is shown of it, its history, its real outcomes."""

    id: int
    number: str
    title: str
    history: History
    #: kind -> outcome of the clock the tracker kept (`OUTCOMES`).
    actual: Mapping[str, str]


@dataclass(frozen=True)
class LineComparison:
    """One of V's promise lines and clock kind (None: the tickets V promises nothing for)."""

    line: PromiseLine | None
    kind: str
    actual: Tally
    replayed: Tally


@dataclass(frozen=True)
class Change:
    ticket_id: int
    number: str
    title: str
    kind: str
    actual: str
    replayed: str


@dataclass(frozen=True)
class WhatIf:
    tickets: int
    lines: tuple[LineComparison, ...]
    changes: tuple[Change, ...]
    actual_charges: Statement
    replayed_charges: Statement

    @property
    def charges_difference(self) -> Decimal:
        return self.replayed_charges.total - self.actual_charges.total


def replayed_outcomes(
    history: History,
    lines: Sequence[PromiseLine],
    families: Mapping[int, str],
    calendars: Mapping[int, Calendar],
    now: datetime,
) -> tuple[PromiseLine | None, dict[str, str], dict[str, datetime | None]]:
    """The line the ticket starts on under ``lines``, and per kind its outcome and due
    instant as of ``now`` (a running clock past its due instant is breached, as live). A kind
    started again after a change without a promise: its last clock carries the outcome."""
    clocks = replay(history, lines, families, calendars)
    outcomes = {kind: "no_promise" for kind in KINDS}
    dues: dict[str, datetime | None] = {kind: None for kind in KINDS}
    for clock in clocks:
        start = clock.events[0].at
        result = evaluate(
            calendars[clock.line.calendar_id],
            clock.target_minutes,
            clock.events,
            max(now, start),
            clock.line.warning_percent,
        )
        outcomes[clock.kind] = _outcome(result.state)
        dues[clock.kind] = result.due_at
    return (clocks[0].line if clocks else None), outcomes, dues


def _outcome(state: ClockState) -> str:
    if state in (ClockState.RUNNING, ClockState.PAUSED):
        return "open"
    return state.value


def judged(clock: ReplayedClock, calendar: Calendar, now: datetime) -> str:
    """What ``evaluate`` says of a replayed clock as of ``now`` (an `OUTCOMES` value).

    Nine clocks in ten started once and stopped once. For those SLA.md's rule is the whole
    answer: breached when the stop came after the due instant (the engine's `due_instant`,
    on the same calendar), else met; the engine's explanation (intervals, warning, pauses),
    which costs ten times more, is not needed for a tally. Every other clock, and any event
    list the engine would refuse, goes through ``evaluate`` itself. A property test holds
    the two to the same answers (tests/unit/whatif).
    """
    events = clock.events
    if len(events) == 2:
        start, stop = events
        target = clock.target_minutes
        plain = stop.type is EventType.STOP and start.at <= stop.at <= now
        if plain and target > 0 and 0 < clock.line.warning_percent <= 100:
            due = due_instant(calendar, start.at, timedelta(minutes=target))
            return "breached" if stop.at > due else "met"
    result = evaluate(
        calendar, clock.target_minutes, events, max(now, events[0].at), clock.line.warning_percent
    )
    return _outcome(result.state)


def compare(
    cases: Sequence[TicketCase],
    lines: Sequence[PromiseLine],
    families: Mapping[int, str],
    calendars: Mapping[int, Calendar],
    now: datetime,
    charges: tuple[Statement, Statement],
) -> WhatIf:
    """Tally real and replayed outcomes per V's line and kind; list the changed tickets."""
    #: (line id, kind) -> [actual met, actual breached, replayed met, replayed breached]
    counts: dict[tuple[int | None, str], list[int]] = {}
    by_id = {line.id: line for line in lines}
    finder = LineFinder(lines, families)
    changes: list[Change] = []
    slot = {"met": 0, "breached": 1}
    for case in cases:
        clocks = replay_with(case.history, finder, calendars)
        replayed = dict.fromkeys(KINDS, "no_promise")
        for clock in clocks:
            replayed[clock.kind] = judged(clock, calendars[clock.line.calendar_id], now)
        line_id = clocks[0].line.id if clocks else None
        for kind in KINDS:
            actual = case.actual.get(kind, "no_promise")
            row = counts.get((line_id, kind))
            if row is None:
                row = counts[(line_id, kind)] = [0, 0, 0, 0]
            if actual in slot:
                row[slot[actual]] += 1
            if replayed[kind] in slot:
                row[2 + slot[replayed[kind]]] += 1
            if actual != replayed[kind]:
                changes.append(
                    Change(case.id, case.number, case.title, kind, actual, replayed[kind])
                )
    tallies = {key: (Tally(a, b), Tally(c, d)) for key, (a, b, c, d) in counts.items()}
    order = {line.id: i for i, line in enumerate(lines)}
    rows = [
        LineComparison(by_id.get(line_id) if line_id is not None else None, kind, a, r)
        for (line_id, kind), (a, r) in sorted(
            tallies.items(),
            key=lambda item: (
                order.get(item[0][0], len(order)) if item[0][0] is not None else len(order),
                KINDS.index(item[0][1]),
            ),
        )
    ]
    return WhatIf(len(cases), tuple(rows), tuple(changes), charges[0], charges[1])


def spanning(version: VersionTerms, period: Period) -> VersionTerms:
    """V's prices as if V had been in force over the whole period, every line from its start:
    the same volumes priced by V alone."""
    return VersionTerms(
        version.id,
        version.version_no,
        period.starts_on,
        period.ends_on,
        version.invoicing_period,
        tuple(
            PriceLine(line.service_id, line.service_code, date.min, line.price_model, line.price)
            for line in version.lines
        ),
    )


def charges(
    organisation_id: int,
    period: Period,
    actual_versions: Sequence[VersionTerms],
    version: VersionTerms,
    tickets: Sequence[TicketFact],
    users: Sequence[UserSpan],
    time_entries: Sequence[TimeFact],
) -> tuple[Statement, Statement]:
    """What the versions in force charged for the period, and what V's prices would have."""
    actual = build_statement(organisation_id, period, actual_versions, tickets, users, time_entries)
    replayed = build_statement(
        organisation_id, period, [spanning(version, period)], tickets, users, time_entries
    )
    return actual, replayed
