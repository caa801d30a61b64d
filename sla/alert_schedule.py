"""When the sweep next has something to record for a clock, and what it records then.

Pure rules over the clock row's cached evaluation (`sla.models.SlaClock`: state, warning,
due and breach instants) and a small bitmask of the alerts already recorded, so that both the
write path (`sla.tracking._refresh`) and the sweep (`sla.jobs.sweep`) decide from the row
alone, without loading `sla_alerts`. SLA.md, "Warning, breach, met":

- a running clock warns at its warning instant, while the sweep still finds it at or before
  its due instant (a warning noticed only after the breach tells nobody anything: none is
  recorded, and none after a recorded breach, since after a breach only the breach is told);
- a running clock is breached only *past* its due instant, and its breach carries that instant;
- a clock whose cached state is breached (it stopped, paused or had its target lowered after
  its due instant) is recorded at its true breach instant, however late the sweep comes;
- paused, met and cancelled clocks have nothing to record.

`next_alert_at` is never later than the first instant at which `alerts_due` answers something
(the sweep selects `next_alert_at <= now` through an index and must miss nothing), and after the
sweep has recorded what `alerts_due` answered, it moves past `now` (or to None), so a recorded
alert is never looked at again. The sole exception is a running clock swept exactly at its due
instant: it stays selected for one more tick, since it is breached only after that instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "BREACH",
    "WARNING",
    "AlertInputs",
    "alert_bit",
    "alerts_due",
    "next_alert_at",
]

#: Bits of `SlaClock.recorded_alerts`: which of the clock's alerts the sweep has recorded.
WARNING = 1
BREACH = 2
_BITS = {"warning": WARNING, "breach": BREACH}


def alert_bit(kind: str) -> int:
    """The `recorded_alerts` bit of an alert kind ("warning" or "breach")."""
    return _BITS[kind]


@dataclass(frozen=True)
class AlertInputs:
    """What the rules read from a clock row: its cached evaluation and its recorded alerts."""

    state: str
    warning_at: datetime | None
    due_at: datetime | None
    breach_at: datetime | None
    recorded: int = 0

    @classmethod
    def of_row(cls, row: Any) -> AlertInputs:
        """From anything with the clock row's attributes (an `SlaClock`, a selected row)."""
        return cls(row.state, row.warning_at, row.due_at, row.breach_at, row.recorded_alerts or 0)

    @property
    def warned(self) -> bool:
        return bool(self.recorded & WARNING)

    @property
    def breached_recorded(self) -> bool:
        return bool(self.recorded & BREACH)


def next_alert_at(clock: AlertInputs) -> datetime | None:
    """The earliest instant at which the sweep may have something to record; None if never."""
    if clock.breached_recorded:
        return None
    if clock.state == "running":
        if clock.due_at is None:
            return None
        if not clock.warned and clock.warning_at is not None:
            return min(clock.warning_at, clock.due_at)
        return clock.due_at
    if clock.state == "breached":
        return clock.breach_at
    return None


def alerts_due(clock: AlertInputs, now: datetime) -> tuple[tuple[str, datetime], ...]:
    """The alerts (kind, true instant) a sweep at `now` records for the clock."""
    if clock.breached_recorded:
        return ()
    if clock.state == "running" and clock.due_at is not None:
        if clock.due_at < now:  # past the due instant: the breach, and no late warning
            return (("breach", clock.due_at),)
        if not clock.warned and clock.warning_at is not None and clock.warning_at <= now:
            return (("warning", clock.warning_at),)
        return ()
    if clock.state == "breached" and clock.breach_at is not None and clock.breach_at <= now:
        return (("breach", clock.breach_at),)
    return ()
