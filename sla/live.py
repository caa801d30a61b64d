"""A clock's live summary from its cached evaluation, without replaying its events.

A clock row caches `sla.clock.evaluate` as of its last event (`evaluated_at`). Until the next
event, nothing about a paused, stopped or cancelled clock changes with time, and a running
clock changes only by the business time that passed, which its cached due instant already
measures: remaining = business time from now to due. So a page of clocks needs one calendar
lookup each, not a replay. The answer equals `evaluate`'s (a property test proves it);
where the cached whole seconds cannot say the exact minute left, or a running clock is
already breached (its elapsed time depends on the events), `live` answers None and the caller
replays the events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sla.calendar import Calendar, _business_us, _to_us

_MINUTE_S = 60


@dataclass(frozen=True)
class CachedClock:
    """What a clock row caches, plus two facts of its event list."""

    #: Where the event list leaves the clock: running, paused, stopped or cancelled.
    phase: str
    #: The cached `ClockState` value as of `evaluated_at`.
    state: str
    #: The target in force after the last event.
    target_minutes: int
    elapsed_seconds: int
    due_at: datetime | None
    warning_at: datetime | None
    breach_at: datetime | None
    stopped_at: datetime | None
    evaluated_at: datetime
    #: The instant of the clock's last event (the cache is as of it).
    last_event_at: datetime


@dataclass(frozen=True)
class LiveClock:
    """The summary fields of a clock as of an instant (see `sla.queries.summary`)."""

    state: str  # running | at_risk | paused | met | breached | cancelled
    target_minutes: int
    elapsed_seconds: int
    remaining_minutes: int
    due_at: datetime | None
    warning_at: datetime | None
    breach_at: datetime | None
    stopped_at: datetime | None


def _minutes(us: int) -> int:
    """As `summary` rounds a timedelta: whole minutes, floored."""
    return int(timedelta(microseconds=us).total_seconds() // 60)


def _seconds(us: int) -> int:
    return int(timedelta(microseconds=us).total_seconds())


def live(clock: CachedClock, calendar: Calendar, at: datetime) -> LiveClock | None:
    """The clock as of `at`, or None when only a replay of its events can tell."""
    if not clock.last_event_at <= clock.evaluated_at <= at:
        return None  # a cache not as of the last event, or an instant before it
    target_s = clock.target_minutes * _MINUTE_S
    if clock.phase == "running":
        if clock.state != "running" or clock.due_at is None or clock.due_at < clock.evaluated_at:
            # Breached while running (its elapsed time depends on the whole history), or due
            # already but not yet run past it (its breach instant is the next resume).
            return None
        now_us, due_us = _to_us(at, "at"), _to_us(clock.due_at, "due_at")
        target_us = target_s * 1_000_000
        if now_us <= due_us:
            remaining = _business_us(calendar, now_us, due_us)
            at_risk = clock.warning_at is not None and clock.warning_at <= at
            return LiveClock(
                state="at_risk" if at_risk else "running",
                target_minutes=clock.target_minutes,
                elapsed_seconds=_seconds(target_us - remaining),
                remaining_minutes=_minutes(remaining),
                due_at=clock.due_at,
                warning_at=clock.warning_at,
                breach_at=None,
                stopped_at=None,
            )
        # Past due while running: breached at the due instant, over by the time since.
        return LiveClock(
            state="breached",
            target_minutes=clock.target_minutes,
            elapsed_seconds=_seconds(target_us + _business_us(calendar, due_us, now_us)),
            remaining_minutes=0,
            due_at=clock.due_at,
            warning_at=clock.warning_at,
            breach_at=clock.due_at,
            stopped_at=None,
        )
    # Paused, stopped or cancelled: nothing moves until the next event.
    left = target_s - clock.elapsed_seconds
    if left > 0 and left % _MINUTE_S == 0:
        return None  # a fraction of a second elapsed would make it one minute less
    return LiveClock(
        state=clock.state,
        target_minutes=clock.target_minutes,
        elapsed_seconds=clock.elapsed_seconds,
        remaining_minutes=max(left, 0) // _MINUTE_S,
        due_at=clock.due_at,
        warning_at=clock.warning_at,
        breach_at=clock.breach_at,
        stopped_at=clock.stopped_at,
    )
