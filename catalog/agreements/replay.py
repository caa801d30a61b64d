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
  target_change), starts the clocks late when the ticket had no line, and cancels the open
  clocks of feedback with no line.

Only the customer clocks of cycle 0 are replayed (response, resolution): the update cycles
and the supplier legs are not part of the agreement's compliance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, NamedTuple

from catalog.promises import PromiseLine, find_promise
from sla.clock import ClockEvent, EventType

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

    def __init__(self, history: History, finder: LineFinder) -> None:
        self.finder = finder
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
            self.on_status(at, str(before), str(after))
        if {"priority", "service_id", "type"} & set(changes):
            self.on_targets(at)

    def on_status(self, at: datetime, before: str, after: str) -> None:
        for clock in self.clocks:
            event = _status_event(clock.kind, clock.phase, before, after)
            if event is not None:
                clock.add(event, at)
        if before == "resolved" and after != "closed":
            line = self.line()
            if line is not None:
                self.switch(line, at)

    def on_targets(self, at: datetime) -> None:
        line = self.line()
        if line is None:
            if self.type == "feedback":
                for clock in self.clocks:
                    if clock.phase in OPEN:
                        clock.add(EventType.CANCEL, at)
            return
        if not self.clocks:
            if self.status in ("resolved", "closed", "cancelled"):
                return
            self.clocks = [_started(line, kind, at) for kind in KINDS]
            if self.status == "waiting_for_customer":
                self.clocks[1].add(EventType.PAUSE, at)
            return
        self.switch(line, at)

    def switch(self, line: PromiseLine, at: datetime) -> None:
        for clock in self.clocks:
            target = _target(line, clock.kind)
            if clock.phase in OPEN and target != clock.target_now:
                clock.add(EventType.TARGET_CHANGE, at, target)


def replay(
    history: History, lines: Iterable[PromiseLine], families: Mapping[int, str]
) -> list[ReplayedClock]:
    """The response and resolution clocks the ticket would have had under ``lines``
    (empty: no promise). ``families`` maps service ids to their family."""
    return replay_with(history, LineFinder(lines, families))


def replay_with(history: History, finder: LineFinder) -> list[ReplayedClock]:
    """`replay` with the lines' finder shared over many tickets (a what-if's whole window)."""
    ticket = _Ticket(history, finder)
    for step in history.steps:
        if step.kind == "reply":
            ticket.reply(step.at)
        else:
            ticket.update(step.at, step.changes)
    return ticket.clocks
