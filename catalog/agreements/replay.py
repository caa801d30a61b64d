"""Replay a ticket's real history under another agreement version's promise lines (no I/O).

The what-if question ("had this ticket run under version V") needs the clock events the
tracker *would* have written. `sla.tracking` writes them as the ticket changes; this module
derives them afterwards from the ticket's history, with the same rules (SLA.md "Clock life"),
so the pure `sla.clock.evaluate` can judge them:

- response and resolution clocks start at the ticket's receipt when a line promises them;
- the first public desk reply stops the response clock (only while it runs or waits);
- waiting_for_customer pauses the resolution clock, leaving it resumes it; resolved stops
  both, a reopen (resolved -> anything but closed) resumes the resolution clock and takes the
  current line's targets; cancelled cancels both;
- a priority, service or type change switches open clocks to the new line's targets (a
  target_change); to one with no line it cancels the open clocks, except one already past its
  due instant, which stops and stays breached (this needs the calendars); a priority change
  from no line to a line starts the clocks retroactively at the receipt (`sla.retroactive`;
  a service or type change, from the change), in the next cycle where earlier ones were
  cancelled, and resumes a resolution clock a reopen without a
  line left stopped; a reopen without a line resumes nothing.

Only the customer's response and resolution clocks are replayed: the update cycles and the
supplier legs are not part of the agreement's compliance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, NamedTuple

from catalog.promises import PromiseLine, find_promise
from sla.calendar import Calendar
from sla.clock import ClockEvent, ClockState, EventType, evaluate
from sla.retroactive import StatusChange, retroactive_events

KINDS = ("response", "resolution")
OPEN = ("running", "paused")
_PHASE = {
    EventType.START: "running",
    EventType.RESUME: "running",
    EventType.PAUSE: "paused",
    EventType.STOP: "stopped",
    EventType.CANCEL: "cancelled",
}


class Step(NamedTuple):
    """One thing in a ticket's history that can move its clocks.

    ``reply``: the desk's first public reply. ``update``: a change of the ticket's fields,
    ``changes`` as the "updated" event stores them ({field: {before, after}}). A tuple: a
    replay of a year reads tens of thousands of them.
    """

    at: datetime
    kind: str  # "reply" | "update"
    changes: Mapping[str, Mapping[str, Any]] = MappingProxyType({})


@dataclass(frozen=True)
class History:
    """A ticket as it was received, and what happened to it in time order."""

    ticket_id: int
    received_at: datetime
    priority: str
    service_id: int | None
    type: str
    steps: tuple[Step, ...] = ()


@dataclass
class ReplayedClock:
    """A clock as the tracker would have kept it: its line at the start and its events."""

    kind: str
    line: PromiseLine
    target_minutes: int
    events: list[ClockEvent]
    phase: str = "running"
    target_now: int = 0
    #: 0, or 1, 2, ... for a clock started again after earlier ones were cancelled.
    cycle: int = 0
    #: Ended because a change left the ticket without a line: never resumed.
    ended_without_promise: bool = False

    def add(self, kind: EventType, at: datetime, target: int | None = None) -> None:
        self.events.append(ClockEvent(kind, at, target))
        if kind is EventType.TARGET_CHANGE:
            assert target is not None
            self.target_now = target
        else:
            self.phase = _PHASE[kind]


def _target(line: PromiseLine, kind: str) -> int:
    return line.response_minutes if kind == "response" else line.resolution_minutes


def _started(line: PromiseLine, kind: str, at: datetime) -> ReplayedClock:
    target = _target(line, kind)
    return ReplayedClock(kind, line, target, [ClockEvent(EventType.START, at)], "running", target)


def _status_event(kind: str, now: str, before: str, after: str) -> EventType | None:
    """What a status change does to one customer clock (`sla.tracking`, SLA.md)."""
    if after == "cancelled":
        return EventType.CANCEL if now != "cancelled" else None
    if after == "resolved":
        return EventType.STOP if now in OPEN else None
    if after == "waiting_for_customer":
        return EventType.PAUSE if kind == "resolution" and now == "running" else None
    if before == "waiting_for_customer":
        return EventType.RESUME if now == "paused" else None
    if before == "resolved" and after != "closed" and kind == "resolution" and now == "stopped":
        return EventType.RESUME
    return None


class LineFinder:
    """`find_promise` over one version's lines, remembered per (service, priority, type).

    A year of tickets asks the same few questions tens of thousands of times (every ticket at
    its receipt and at each change of priority, service or type); the answer depends on
    nothing else, so each distinct question is answered once.
    """

    def __init__(self, lines: Iterable[PromiseLine], families: Mapping[int, str]) -> None:
        self.lines, self.families = tuple(lines), families
        self._found: dict[tuple[int | None, str, str], PromiseLine | None] = {}

    def find(self, service_id: int | None, priority: str, ticket_type: str) -> PromiseLine | None:
        key = (service_id, priority, ticket_type)
        try:
            return self._found[key]
        except KeyError:
            found = self._found[key] = find_promise(
                self.lines,
                service_id=service_id,
                family=self.families.get(service_id) if service_id is not None else None,
                priority=priority,
                ticket_type=ticket_type,
            )
            return found


class _Ticket:
    """The replay's state: the ticket's fields as of the step, and its clocks."""

    def __init__(
        self,
        history: History,
        finder: LineFinder,
        calendars: Mapping[int, Calendar] | None = None,
    ) -> None:
        self.finder, self.calendars = finder, calendars
        self.received_at = history.received_at
        self.changes: list[StatusChange] = []
        self.first_reply: datetime | None = None
        self.priority, self.service_id, self.type = (
            history.priority,
            history.service_id,
            history.type,
        )
        self.status = "new"
        line = self.line()
        self.clocks: list[ReplayedClock] = (
            [_started(line, kind, history.received_at) for kind in KINDS] if line else []
        )

    def line(self) -> PromiseLine | None:
        return self.finder.find(self.service_id, self.priority, self.type)

    def reply(self, at: datetime) -> None:
        if self.first_reply is None:
            self.first_reply = at
        for clock in self.clocks:
            if clock.kind == "response" and clock.phase in OPEN:
                clock.add(EventType.STOP, at)

    def update(self, at: datetime, changes: Mapping[str, Mapping[str, Any]]) -> None:
        # The ticket changes first, then its clocks (`update_ticket`): status, then targets.
        for name in ("priority", "service_id", "type"):
            if name in changes:
                setattr(self, name, changes[name].get("after"))
        if "status" in changes:
            before, after = changes["status"].get("before"), changes["status"].get("after")
            self.status = after
            self.changes.append(StatusChange(at, str(before), str(after)))
            self.on_status(at, str(before), str(after))
        if {"priority", "service_id", "type"} & set(changes):
            self.on_targets(at, retroactive="priority" in changes)

    def on_status(self, at: datetime, before: str, after: str) -> None:
        reopened = before == "resolved" and after != "closed"
        line = self.line() if reopened else None
        for clock in self.clocks:
            event = _status_event(clock.kind, clock.phase, before, after)
            if event is None:
                continue
            if (
                event is EventType.RESUME
                and clock.phase == "stopped"
                and (line is None or clock.ended_without_promise)
            ):
                continue  # reopened without a line: nothing resumes
            clock.add(event, at)
        if line is not None:
            self.switch(line, at)

    def on_targets(self, at: datetime, retroactive: bool = True) -> None:
        line = self.line()
        if line is None:
            for clock in self.clocks:
                if clock.phase in OPEN:
                    breached = self._state(clock, at) is ClockState.BREACHED
                    clock.add(EventType.STOP if breached else EventType.CANCEL, at)
                    clock.ended_without_promise = True
            return
        if self.status not in ("resolved", "closed", "cancelled"):
            for clock in self.clocks:
                if (
                    clock.kind == "resolution"
                    and clock.phase == "stopped"
                    and not clock.ended_without_promise
                ):
                    clock.add(EventType.RESUME, at)
        self.switch(line, at)
        late = [
            kind
            for kind in KINDS
            if all(
                c.kind != kind or (c.phase == "cancelled" and c.ended_without_promise)
                for c in self.clocks
            )
        ]
        if late and not retroactive:  # a service or type change: from the change on
            if self.status in ("resolved", "closed", "cancelled"):
                return
            for kind in late:
                clock = _started(line, kind, at)
                clock.cycle = self._next_cycle(kind)
                if kind == "resolution" and self.status == "waiting_for_customer":
                    clock.add(EventType.PAUSE, at)
                self.clocks.append(clock)
            return
        for kind in late:
            self.clocks.append(self._retroactive(line, kind, at))

    def _next_cycle(self, kind: str) -> int:
        return max((c.cycle for c in self.clocks if c.kind == kind), default=-1) + 1

    def _state(self, clock: ReplayedClock, at: datetime) -> ClockState:
        if self.calendars is None:
            raise LookupError("replaying a change to no promise needs the calendars")
        calendar = self.calendars[clock.line.calendar_id]
        return evaluate(calendar, clock.target_minutes, clock.events, at).state

    def _retroactive(self, line: PromiseLine, kind: str, at: datetime) -> ReplayedClock:
        target = _target(line, kind)
        events = retroactive_events(kind, self.received_at, self.changes, self.first_reply, at)
        clock = ReplayedClock(kind, line, target, [], "running", target)
        clock.cycle = self._next_cycle(kind)
        for event, moment, _ in events:
            clock.add(event, moment)
        return clock

    def switch(self, line: PromiseLine, at: datetime) -> None:
        for clock in self.clocks:
            target = _target(line, clock.kind)
            if clock.phase in OPEN and target != clock.target_now:
                clock.add(EventType.TARGET_CHANGE, at, target)


def replay(
    history: History,
    lines: Iterable[PromiseLine],
    families: Mapping[int, str],
    calendars: Mapping[int, Calendar] | None = None,
) -> list[ReplayedClock]:
    """The response and resolution clocks the ticket would have had under ``lines``
    (empty: no promise), in the order the tracker starts them. ``families`` maps service ids
    to their family; ``calendars`` (by id) decide whether a clock a change leaves without a
    line was already past due (needed only when a history has such a change)."""
    return replay_with(history, LineFinder(lines, families), calendars)


def replay_with(
    history: History, finder: LineFinder, calendars: Mapping[int, Calendar] | None = None
) -> list[ReplayedClock]:
    """`replay` with the lines' finder shared over many tickets (a what-if's whole window)."""
    ticket = _Ticket(history, finder, calendars)
    for step in history.steps:
        if step.kind == "reply":
            ticket.reply(step.at)
        else:
            ticket.update(step.at, step.changes)
    return ticket.clocks
