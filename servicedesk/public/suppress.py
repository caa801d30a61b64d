"""Small-cell suppression of the public figures (pure, no I/O).

A cell (family x month x clock kind) with fewer than `MIN_COUNT` clocks shows neither its
counts nor its percent, and a monthly volume under `MIN_COUNT` is not shown either: a small
owner's few tickets must not be picked out of the public page. Zero is under the limit too,
so a reader cannot tell "none" from "one to four". The page shows no total across families,
since a total minus the shown families would give a suppressed one back.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from servicedesk.reports.compliance import Tally

#: The fewest clocks (or tickets) a published figure may rest on.
MIN_COUNT = 5


@dataclass(frozen=True)
class ComplianceCell:
    """What the public sees of one family x month x kind: all four figures, or none."""

    suppressed: bool
    met: int | None = None
    breached: int | None = None
    clocks: int | None = None
    compliance_percent: Decimal | None = None


SUPPRESSED = ComplianceCell(suppressed=True)


def compliance_cell(tally: Tally) -> ComplianceCell:
    if tally.total < MIN_COUNT:
        return SUPPRESSED
    return ComplianceCell(False, tally.met, tally.breached, tally.total, tally.percent)


def volume(count: int) -> int | None:
    """The number of tickets, or None when it is too small to publish."""
    return count if count >= MIN_COUNT else None
