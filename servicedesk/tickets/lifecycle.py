"""The ticket's status as an explicit state machine.

Who may move a ticket is part of the rule: the desk works the whole lifecycle;
the requester's side may only answer, accept, reopen or withdraw. Entering
`escalated_to_supplier` needs a supplier and so has its own operation.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    WAITING_FOR_CUSTOMER = "waiting_for_customer"
    ESCALATED_TO_SUPPLIER = "escalated_to_supplier"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Actor(StrEnum):
    """Which side moves the ticket."""

    DESK = "desk"
    CUSTOMER = "customer"
    SYSTEM = "system"


S = Status

#: Every transition the desk may make.
DESK_TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.NEW: frozenset(
        {
            S.ASSIGNED,
            S.IN_PROGRESS,
            S.WAITING_FOR_CUSTOMER,
            S.ESCALATED_TO_SUPPLIER,
            S.RESOLVED,
            S.CANCELLED,
        }
    ),
    S.ASSIGNED: frozenset(
        {
            S.NEW,
            S.IN_PROGRESS,
            S.WAITING_FOR_CUSTOMER,
            S.ESCALATED_TO_SUPPLIER,
            S.RESOLVED,
            S.CANCELLED,
        }
    ),
    S.IN_PROGRESS: frozenset(
        {S.ASSIGNED, S.WAITING_FOR_CUSTOMER, S.ESCALATED_TO_SUPPLIER, S.RESOLVED, S.CANCELLED}
    ),
    S.WAITING_FOR_CUSTOMER: frozenset(
        {S.IN_PROGRESS, S.ESCALATED_TO_SUPPLIER, S.RESOLVED, S.CANCELLED}
    ),
    S.ESCALATED_TO_SUPPLIER: frozenset(
        {S.IN_PROGRESS, S.WAITING_FOR_CUSTOMER, S.RESOLVED, S.CANCELLED}
    ),
    S.RESOLVED: frozenset({S.IN_PROGRESS, S.CLOSED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

#: The requester's side: answer a question, accept or reopen a resolution, withdraw.
CUSTOMER_TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.NEW: frozenset({S.CANCELLED}),
    S.ASSIGNED: frozenset({S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.CANCELLED}),
    S.WAITING_FOR_CUSTOMER: frozenset({S.IN_PROGRESS, S.CANCELLED}),
    S.ESCALATED_TO_SUPPLIER: frozenset(),
    S.RESOLVED: frozenset({S.IN_PROGRESS, S.CLOSED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

#: The scheduler closes resolved tickets after the grace period.
SYSTEM_TRANSITIONS: dict[Status, frozenset[Status]] = {
    status: frozenset({S.CLOSED}) if status is S.RESOLVED else frozenset() for status in Status
}

_TABLES = {
    Actor.DESK: DESK_TRANSITIONS,
    Actor.CUSTOMER: CUSTOMER_TRANSITIONS,
    Actor.SYSTEM: SYSTEM_TRANSITIONS,
}

#: Statuses entered only through their own operation (they need more than a status).
NEEDS_OPERATION: dict[Status, str] = {
    S.ESCALATED_TO_SUPPLIER: "escalate the ticket to a supplier (POST /tickets/{id}/escalations)",
}

OPEN_STATUSES = frozenset(
    {S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.WAITING_FOR_CUSTOMER, S.ESCALATED_TO_SUPPLIER}
)
TERMINAL_STATUSES = frozenset({S.CLOSED, S.CANCELLED})


class TransitionError(Exception):
    """A status change the machine forbids; carries the allowed targets for the answer."""

    def __init__(self, current: Status, wanted: Status, allowed: frozenset[Status]) -> None:
        self.current, self.wanted = current, wanted
        self.allowed = sorted(allowed, key=list(Status).index)
        super().__init__(
            f"a ticket that is {current.value} cannot become {wanted.value}"
            + (
                f"; allowed: {', '.join(s.value for s in self.allowed)}"
                if self.allowed
                else "; it is final"
            )
        )


def allowed_transitions(current: Status, actor: Actor) -> frozenset[Status]:
    return _TABLES[actor][current]


def check_transition(current: Status, wanted: Status, actor: Actor) -> None:
    """Raise TransitionError unless `actor` may move a ticket from `current` to `wanted`."""
    allowed = allowed_transitions(current, actor)
    if wanted not in allowed:
        raise TransitionError(current, wanted, allowed)
