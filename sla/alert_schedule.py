"""When the sweep next has something to record for a clock, and what it records then.

Pure rules over the clock row's cached evaluation (`sla.models.SlaClock`: state, warning,
due and breach instants) and a small bitmask of the alerts already recorded, so that both the
write path (`sla.tracking._refresh`) and the sweep (`sla.jobs.sweep`) decide from the row
alone, without loading `sla_alerts`. SLA.md, "Warning, breach, met":

- a clock warns at its warning instant: the sweep records the warning with that true instant
  whenever it finds the instant reached in the clock's history, however late (the scheduler
  was down, the clock stopped or was paused before the next tick, it started retroactively);
  but the warning is *told* (`tells`) only while the clock is open and not breached: after a
  breach only the breach notification goes out, and a clock that has ended needs no warning;
- a running clock is breached only *past* its due instant, and its breach carries that instant;
- a clock whose cached state is breached (it stopped, paused or had its target lowered after
  its due instant) is recorded at its true breach instant, however late the sweep comes;
- nothing is recorded after a recorded breach, and nothing for a cancelled clock.

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
    "tells",
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


def _warning_pending(clock: AlertInputs) -> bool:
    """A warning instant the sweep has yet to record (past, or projected while running)."""
    return not clock.warned and clock.state != "cancelled" and clock.warning_at is not None


def next_alert_at(clock: AlertInputs) -> datetime | None:
    """The earliest instant at which the sweep may have something to record; None if never."""
    if clock.breached_recorded:
        return None
    candidates = []
    if _warning_pending(clock):
        assert clock.warning_at is not None
        candidates.append(clock.warning_at)
    if clock.state == "running" and clock.due_at is not None:
        candidates.append(clock.due_at)
    elif clock.state == "breached" and clock.breach_at is not None:
        candidates.append(clock.breach_at)
    return min(candidates, default=None)


def alerts_due(clock: AlertInputs, now: datetime) -> tuple[tuple[str, datetime], ...]:
    """The alerts (kind, true instant) a sweep at `now` records for the clock, in time order
    (a warning missed while the scheduler was down comes with the breach that followed it)."""
    if clock.breached_recorded:
        return ()
    found: list[tuple[str, datetime]] = []
    if _warning_pending(clock) and clock.warning_at is not None and clock.warning_at <= now:
        found.append(("warning", clock.warning_at))
    if clock.state == "running" and clock.due_at is not None and clock.due_at < now:
        found.append(("breach", clock.due_at))  # past the due instant
    elif clock.state == "breached" and clock.breach_at is not None and clock.breach_at <= now:
        found.append(("breach", clock.breach_at))
    return tuple(found)


def tells(clock: AlertInputs, kind: str, now: datetime) -> bool:
    """Whether the sweep at `now` sends the notification of an alert it records (SLA.md): a
    breach always; a warning only while the clock runs (or waits) and has not breached, so a
    warning noticed late, after the breach or after the clock ended, is recorded silently."""
    if kind == "breach":
        return True
    if clock.state == "paused":
        return True
    return clock.state == "running" and clock.due_at is not None and now <= clock.due_at
