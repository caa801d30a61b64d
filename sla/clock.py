"""The SLA clock as a pure function of its events (see SLA.md, "Clock life" and "Warning,
breach, met").

`evaluate` replays a clock's events as of an instant ``at`` and explains the result. The rules:

- Events come in non-decreasing ``at`` order (events at the same instant apply in list order).
  The first is ``start`` (there is exactly one); ``pause`` only while running; ``resume`` while
  paused, or after ``stop`` (a reopen: the clock runs again, the time while stopped is not
  counted); ``stop`` while running or paused; ``target_change`` any time after the start (with
  ``target_minutes >= 0``); ``cancel`` at any time after the start, and nothing may follow it.
  A violation raises `ClockError` naming the event index. The whole list is checked, but events
  after ``at`` are ignored when computing (the clock is evaluated "as of" ``at``).
- **Elapsed** is the business time of the running stretches (start/resume until
  pause/stop/cancel/``at``).
- The **target** is the one in force at ``at``; a target change keeps the elapsed time and
  recomputes due, warning and breach from the whole history with the new target (as SLA.md says
  "recomputed"): lowering it below the elapsed time breaches the clock with a breach instant in
  the past; raising it can lift a breach the old target had.
- **Due instant**: the earliest instant at which the counted elapsed time reaches the target.
  If it has been reached by ``at`` it is that (past) instant; otherwise, for a running clock, the
  projection from ``at``; for a stopped clock, the instant it would have been reached had it kept
  running from its stop; for a paused or cancelled clock, None.
- **Warning instant**: likewise for ``warning_percent`` % of the target; None when not reached
  and not running (and for a cancelled clock).
- **Breach**: the clock was running at some instant strictly after its due instant. So a stop
  exactly at the due instant is met, while a stop at 16:30 after a due instant at the 16:00
  closing is breached although no business time passed. ``breach_at`` is the first instant at or
  after the due instant at which the clock was running: the due instant itself, or the resume
  instant if the clock was paused or stopped exactly at the due instant and resumed later.
  A breach is part of the history: a later stop does not make the clock met.
- **State**: CANCELLED > BREACHED > MET (stopped, not running at ``at``) | PAUSED | RUNNING.
  A running clock past its warning instant is still RUNNING; see `is_at_risk`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cached_property

from sla.calendar import Calendar, _business_us, _due_us, _from_us, _open_us, _to_us

__all__ = [
    "ClockError",
    "ClockEvent",
    "ClockResult",
    "ClockState",
    "EventType",
    "evaluate",
    "is_at_risk",
]

_MINUTE_US = 60_000_000


class ClockError(ValueError):
    """Events or parameters that do not make a clock; the message is fit for a 422.

    ``index`` is the position of the offending event in the list, or None when the problem is
    not one event (e.g. ``at`` or ``warning_percent``).
    """

    def __init__(self, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index


class EventType(StrEnum):
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"
    TARGET_CHANGE = "target_change"
    CANCEL = "cancel"


class ClockState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class ClockEvent:
    """One thing that happened to a clock. ``target_minutes`` only for TARGET_CHANGE."""

    type: EventType
    at: datetime
    target_minutes: int | None = None


@dataclass(frozen=True)
class ClockResult:
    """A clock as of an instant, with its explanation. Instants are aware UTC datetimes."""

    state: ClockState
    #: Business time counted up to min(at, stop/cancel).
    elapsed: timedelta
    #: max(target - elapsed, 0).
    remaining: timedelta
    #: The target in force at `at`.
    target: timedelta
    #: None while paused (state PAUSED) or cancelled; otherwise see the module docstring.
    due_at: datetime | None
    #: When elapsed reaches warning_percent % of the target (past, or projected if running).
    warning_at: datetime | None
    #: Only when breached: the true breach instant.
    breach_at: datetime | None
    #: The stop (or cancel) instant when the clock is stopped at `at`; None if it runs or waits.
    stopped_at: datetime | None
    #: Pauses skipped: (pause, resume or stop); the end is None while still paused.
    pauses: tuple[tuple[datetime, datetime | None], ...]
    #: Target changes up to `at`: (instant, new target in minutes).
    target_changes: tuple[tuple[datetime, int], ...]
    #: The cancel instant of a cancelled clock.
    cancelled_at: datetime | None = None
    #: What `intervals` is made of, on demand: the calendar and the running stretches (us).
    _stretches: tuple[Calendar, tuple[tuple[int, int], ...]] | None = field(
        default=None, repr=False, compare=False
    )

    @cached_property
    def intervals(self) -> tuple[tuple[datetime, datetime], ...]:
        """The open business intervals counted, up to min(at, stop).

        Made on first use: a clock running for weeks has an interval per open day, and most
        readers (the ticket's answer, the tracker, the sweep) never look at them."""
        if self._stretches is None:
            return ()
        calendar, stretches = self._stretches
        return tuple(
            (_from_us(x), _from_us(y)) for a, b in stretches for x, y in _open_us(calendar, a, b)
        )


_ALLOWED: dict[EventType, tuple[frozenset[str], str]] = {
    EventType.PAUSE: (frozenset({"running"}), "while the clock is running"),
    EventType.RESUME: (
        frozenset({"paused", "stopped"}),
        "while the clock is paused or stopped (a reopen)",
    ),
    EventType.STOP: (frozenset({"running", "paused"}), "while the clock is running or paused"),
    EventType.TARGET_CHANGE: (
        frozenset({"running", "paused", "stopped"}),
        "after the start",
    ),
    EventType.CANCEL: (frozenset({"running", "paused", "stopped"}), "after the start"),
}
_NEXT_STATE = {
    EventType.START: "running",
    EventType.PAUSE: "paused",
    EventType.RESUME: "running",
    EventType.STOP: "stopped",
    EventType.CANCEL: "cancelled",
}


def _check_minutes(value: object, field: str, index: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ClockError(f"{field}: must be a whole number of minutes, 0 or more", index)
    return value


def _validated(events: Sequence[ClockEvent]) -> list[tuple[EventType, int, int | None]]:
    """Check the event sequence; return (type, instant in µs, target minutes) triples."""
    result: list[tuple[EventType, int, int | None]] = []
    state = "new"
    previous: int | None = None
    if not events:
        raise ClockError("events: a clock needs a start event")
    for i, event in enumerate(events):
        where = f"events[{i}]"
        if not isinstance(event, ClockEvent):
            raise ClockError(f"{where}: not a clock event", i)
        try:
            kind = EventType(event.type)
        except ValueError:
            raise ClockError(f"{where}: unknown event type", i) from None
        try:
            moment = _to_us(event.at, f"{where}.at")
        except (TypeError, ValueError) as exc:
            raise ClockError(str(exc), i) from None
        if previous is not None and moment < previous:
            raise ClockError(f"{where}: {kind} is earlier than the event before it", i)
        previous = moment
        target = event.target_minutes
        if kind is EventType.TARGET_CHANGE:
            target = _check_minutes(target, f"{where}.target_minutes", i)
        elif target is not None:
            raise ClockError(f"{where}: only target_change takes target_minutes", i)
        if kind is EventType.START:
            if state != "new":
                raise ClockError(f"{where}: a clock has exactly one start", i)
        elif state == "new":
            raise ClockError(f"{where}: the first event must be start", i)
        elif state == "cancelled":
            raise ClockError(f"{where}: nothing may follow cancel", i)
        else:
            allowed, when = _ALLOWED[kind]
            if state not in allowed:
                raise ClockError(f"{where}: {kind} is only allowed {when} (it is {state})", i)
        state = _NEXT_STATE.get(kind, state)
        result.append((kind, moment, target))
    return result


def evaluate(
    calendar: Calendar,
    target_minutes: int,
    events: Sequence[ClockEvent],
    at: datetime,
    warning_percent: int = 80,
) -> ClockResult:
    """Evaluate a clock measured on ``calendar`` as of ``at`` (rules: module docstring).

    ``target_minutes`` is the target at the start; TARGET_CHANGE events replace it.
    ``warning_percent`` (1-100) sets the warning instant.
    """
    _check_minutes(target_minutes, "target_minutes")
    if (
        not isinstance(warning_percent, int)
        or isinstance(warning_percent, bool)
        or not 0 < warning_percent <= 100
    ):
        raise ClockError("warning_percent: must be a whole number from 1 to 100")
    try:
        now = _to_us(at, "at")
    except (TypeError, ValueError) as exc:
        raise ClockError(str(exc)) from None
    replay = _validated(events)
    start = replay[0][1]
    if now < start:
        raise ClockError("at: is before the clock's start", 0)

    target = target_minutes
    stretches: list[tuple[int, int]] = []
    pauses: list[tuple[int, int | None]] = []
    changes: list[tuple[int, int]] = []
    state = "running"
    since = start
    stopped_at: int | None = None
    cancelled_at: int | None = None
    for kind, moment, minutes in replay[1:]:
        if moment > now:
            break
        if kind is EventType.TARGET_CHANGE:
            assert minutes is not None
            target = minutes
            changes.append((moment, minutes))
            continue
        if state == "running":
            stretches.append((since, moment))
        if state == "paused":
            pauses[-1] = (pauses[-1][0], moment)
        if kind is EventType.PAUSE:
            pauses.append((moment, None))
            state = "paused"
        elif kind is EventType.RESUME:
            since, stopped_at, state = moment, None, "running"
        elif kind is EventType.STOP:
            stopped_at, state = moment, "stopped"
        elif kind is EventType.CANCEL:
            stopped_at = cancelled_at = moment
            state = "cancelled"
    if state == "running":
        stretches.append((since, now))
    stretches = [(a, b) for a, b in stretches if a < b]

    lengths = [_business_us(calendar, a, b) for a, b in stretches]
    elapsed = sum(lengths)
    target_us = target * _MINUTE_US
    warning_us = target_us * warning_percent // 100

    def reached(goal: int) -> int | None:
        """The earliest instant the counted elapsed time reaches ``goal``, if it has."""
        if goal == 0:
            return start
        counted = 0
        for (a, _), length in zip(stretches, lengths, strict=True):
            if counted + length >= goal:
                return _due_us(calendar, a, goal - counted)
            counted += length
        return None

    due = reached(target_us)
    breach: int | None = None
    if due is not None:
        breach = next((max(a, due) for a, b in stretches if b > due), None)
    elif state == "running":
        due = _due_us(calendar, now, target_us - elapsed)
    elif state == "stopped":
        assert stopped_at is not None
        due = _due_us(calendar, stopped_at, target_us - elapsed)
    warning = reached(warning_us)
    if warning is None and state == "running":
        warning = _due_us(calendar, now, warning_us - elapsed)

    if state == "cancelled":
        result_state = ClockState.CANCELLED
        due = warning = breach = None
    elif breach is not None:
        result_state = ClockState.BREACHED
    elif state == "paused":
        result_state = ClockState.PAUSED
        due = None
    elif state == "stopped":
        result_state = ClockState.MET
    else:
        result_state = ClockState.RUNNING

    return ClockResult(
        state=result_state,
        elapsed=timedelta(microseconds=elapsed),
        remaining=timedelta(microseconds=max(target_us - elapsed, 0)),
        target=timedelta(minutes=target),
        due_at=_maybe(due),
        warning_at=_maybe(warning),
        breach_at=_maybe(breach),
        stopped_at=_maybe(stopped_at),
        pauses=tuple((_from_us(a), _maybe(b)) for a, b in pauses),
        target_changes=tuple((_from_us(moment), minutes) for moment, minutes in changes),
        cancelled_at=_maybe(cancelled_at),
        _stretches=(calendar, tuple((a, b) for a, b in stretches)),
    )


def is_at_risk(result: ClockResult, at: datetime) -> bool:
    """A running or paused (not breached) clock whose warning instant is at or before ``at``."""
    _to_us(at, "at")
    return (
        result.state in (ClockState.RUNNING, ClockState.PAUSED)
        and result.warning_at is not None
        and result.warning_at <= at
    )


def _maybe(us: int | None) -> datetime | None:
    return None if us is None else _from_us(us)
