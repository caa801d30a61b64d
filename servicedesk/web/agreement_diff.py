"""Pure rules the agreement pages show: a transition milestone's status, and what a proposal
changes against the version in force (prices and promises).

No Flask, no database: the pages gather the rows, these compare plain values, and the unit
tests run them by the dozen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Generic, TypeVar

T = TypeVar("T")

#: A milestone's status as the pages show it (never by colour alone).
MILESTONE_STATUSES = ("done", "late", "planned")


def milestone_status(planned_on: date, done_on: date | None, today: date) -> str:
    """Done once it has a done date; late when its planned day has passed without one."""
    if done_on is not None:
        return "done"
    return "late" if planned_on < today else "planned"


@dataclass(frozen=True)
class LineTerms:
    """A service line's terms as the customer reads them."""

    service_id: int
    starts_on: date
    price_model: str
    price: Decimal


@dataclass(frozen=True)
class PromiseTerms:
    """A promise line: its scope (service, family or agreement default, priority, type) and
    its targets."""

    service_id: int | None
    family: str | None
    priority: str
    ticket_type: str | None
    response_minutes: int
    resolution_minutes: int
    update_minutes: int | None
    calendar_id: int
    compliance_percent: Decimal

    @property
    def scope(self) -> tuple[int | None, str | None, str, str | None]:
        return (self.service_id, self.family, self.priority, self.ticket_type)


@dataclass(frozen=True)
class Change(Generic[T]):
    """One difference: `added` (old is None), `removed` (new is None) or `changed`, with the
    names of the fields that differ."""

    kind: str
    old: T | None
    new: T | None
    fields: tuple[str, ...] = ()


_LINE_FIELDS = ("starts_on", "price_model", "price")
_PROMISE_FIELDS = (
    "response_minutes",
    "resolution_minutes",
    "update_minutes",
    "calendar_id",
    "compliance_percent",
)


def line_changes(old: list[LineTerms], new: list[LineTerms]) -> list[Change[LineTerms]]:
    """The service lines a proposal adds, drops or changes (start, price model, price), in
    the proposal's order, dropped ones last."""
    before = {line.service_id: line for line in old}
    after_ids = {line.service_id for line in new}
    out: list[Change[LineTerms]] = []
    for line in new:
        was = before.get(line.service_id)
        if was is None:
            out.append(Change("added", None, line))
            continue
        fields = tuple(f for f in _LINE_FIELDS if getattr(was, f) != getattr(line, f))
        if fields:
            out.append(Change("changed", was, line, fields))
    out.extend(Change("removed", line, None) for line in old if line.service_id not in after_ids)
    return out


def promise_changes(old: list[PromiseTerms], new: list[PromiseTerms]) -> list[Change[PromiseTerms]]:
    """The promise lines a proposal adds, drops or changes, matched by their scope."""
    before = {p.scope: p for p in old}
    after = {p.scope for p in new}
    out: list[Change[PromiseTerms]] = []
    for promise in new:
        was = before.get(promise.scope)
        if was is None:
            out.append(Change("added", None, promise))
            continue
        fields = tuple(f for f in _PROMISE_FIELDS if getattr(was, f) != getattr(promise, f))
        if fields:
            out.append(Change("changed", was, promise, fields))
    out.extend(Change("removed", p, None) for p in old if p.scope not in after)
    return out
