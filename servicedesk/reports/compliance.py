"""Compliance as SLA.md defines it, from plain clock facts (no I/O).

"Compliance for a period = met / (met + breached) of the clocks that stopped in that period,
with clocks still running and already breached counted as breached in the period of their
breach instant. Cancelled clocks count nowhere."
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal, TypeVar

Outcome = Literal["met", "breached"]
_CENT = Decimal("0.01")
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class ClockFact:
    """What a clock row caches (`sla.models.SlaClock`), as of its last event."""

    clock_id: int
    ticket_id: int
    kind: str
    leg: int
    #: The customer's promise line (None for supplier clocks).
    promise_id: int | None
    state: str  # running | paused | met | breached | cancelled
    due_at: datetime | None
    breach_at: datetime | None
    stopped_at: datetime | None
    #: When the cached state was computed (the clock's last event).
    evaluated_at: datetime


def counted(fact: ClockFact, now: datetime) -> tuple[Outcome, datetime] | None:
    """Whether and where the clock counts as of `now`: (met or breached, the instant that
    places it in a period), or None (cancelled, or running or paused and not breached)."""
    if fact.state == "cancelled":
        return None
    if fact.state == "met" and fact.stopped_at is not None:
        return ("met", fact.stopped_at) if fact.stopped_at <= now else None
    if fact.state == "breached":
        if fact.stopped_at is not None:
            return "breached", fact.stopped_at
        return ("breached", fact.breach_at) if fact.breach_at is not None else None
    if fact.state == "running" and fact.due_at is not None:
        # Cached as running, with nothing since: breached once it runs past its due instant
        # (or past its resume, if it was paused exactly at the due instant; `sla.clock`).
        breach = max(fact.due_at, fact.evaluated_at)
        if now > breach:
            return "breached", breach
    return None


@dataclass(frozen=True)
class Tally:
    met: int = 0
    breached: int = 0

    @property
    def total(self) -> int:
        return self.met + self.breached

    @property
    def percent(self) -> Decimal | None:
        """met / (met + breached) in %, two decimals, half up; None with no clocks."""
        if not self.total:
            return None
        return (Decimal(100 * self.met) / Decimal(self.total)).quantize(_CENT, ROUND_HALF_UP)

    def add(self, outcome: Outcome) -> Tally:
        if outcome == "met":
            return Tally(self.met + 1, self.breached)
        return Tally(self.met, self.breached + 1)


def passed(tally: Tally, target: Decimal | None) -> bool | None:
    """Whether the line met its target share; None with no target or no clocks."""
    percent = tally.percent
    if target is None or percent is None:
        return None
    return Decimal(100 * tally.met) >= target * tally.total  # exact, not the rounded %


def tally_by(
    facts: Iterable[ClockFact],
    key: Callable[[ClockFact], K],
    start: datetime,
    end: datetime,
    now: datetime,
) -> dict[K, Tally]:
    """Met and breached per key of the clocks that count in ``[start, end)``."""
    found: dict[K, Tally] = {}
    for fact in facts:
        hit = counted(fact, now)
        if hit is None or not start <= hit[1] < end:
            continue
        k = key(fact)
        found[k] = found.get(k, Tally()).add(hit[0])
    return found
