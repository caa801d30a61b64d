"""Priority from the ITIL impact x urgency matrix."""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


PRIORITIES = ("P1", "P2", "P3", "P4")

#: Rows impact, columns urgency: high impact and high urgency is P1; low on both is P4.
MATRIX: dict[tuple[Level, Level], str] = {
    (Level.HIGH, Level.HIGH): "P1",
    (Level.HIGH, Level.MEDIUM): "P2",
    (Level.HIGH, Level.LOW): "P3",
    (Level.MEDIUM, Level.HIGH): "P2",
    (Level.MEDIUM, Level.MEDIUM): "P3",
    (Level.MEDIUM, Level.LOW): "P4",
    (Level.LOW, Level.HIGH): "P3",
    (Level.LOW, Level.MEDIUM): "P4",
    (Level.LOW, Level.LOW): "P4",
}


def priority_for(impact: str, urgency: str) -> str:
    """The matrix priority; raises ValueError for a level outside high/medium/low."""
    return MATRIX[(Level(impact), Level(urgency))]
