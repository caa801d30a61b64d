"""Record time on a ticket: the desk's minutes, expert or not, on a Helsinki day.

Who: agents who may act on the ticket (their provider's, the joint desk's) and admins; the
ticket is first loaded through the caller's scope (a foreign ticket is a 404), then the role
decides (403). Account managers read the entries; the customer side and suppliers do not.

A resolved, closed or cancelled ticket still takes time entries: work is often written down
after the fact, and the statement counts time by the day it was done (`worked_on`), not by
the ticket's state. A day in the future or before the ticket was received is refused (422).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicedesk.db import utcnow
from servicedesk.enums import Role
from servicedesk.errors import Forbidden, ValidationFailed
from servicedesk.tickets.models import Ticket
from servicedesk.tickets.operations import record
from servicedesk.time_entries.models import TimeEntry
from servicedesk.users.models import User

HELSINKI = ZoneInfo("Europe/Helsinki")
#: One entry is at most a day's work; longer work is several entries.
MAX_MINUTES = 24 * 60
NOTE_MAX = 1000
RECORDERS = frozenset({Role.AGENT, Role.ADMIN})
READERS = frozenset({Role.AGENT, Role.ADMIN, Role.ACCOUNT_MANAGER})


@dataclass(frozen=True)
class Totals:
    """A ticket's time: every entry, and the expert minutes that are billed by the hour."""

    entries: list[TimeEntry]
    total_minutes: int
    expert_minutes: int


def helsinki_today() -> date:
    return utcnow().astimezone(HELSINKI).date()


def may_record(user: User) -> bool:
    return user.role_enum in RECORDERS


def may_read(user: User) -> bool:
    return user.role_enum in READERS


def require_recorder(user: User) -> None:
    if user.role_enum not in RECORDERS:
        raise Forbidden("Only the desk records time on tickets.")


def require_reader(user: User) -> None:
    if user.role_enum not in READERS:
        raise Forbidden("Time entries are for the centre's staff.")


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details={"fields": {field: [message]}})


def record_time(
    sess: Session,
    actor: User,
    ticket: Ticket,
    *,
    minutes: int,
    expert: bool,
    worked_on: date | None = None,
    note: str | None = None,
) -> TimeEntry:
    """Add a time entry and an internal `time_recorded` event; flush only."""
    require_recorder(actor)
    if isinstance(minutes, bool) or not 1 <= minutes <= MAX_MINUTES:
        raise _field_error("minutes", f"Minutes are a whole number from 1 to {MAX_MINUTES}.")
    today = helsinki_today()
    day = worked_on or today
    if day > today:
        raise _field_error("worked_on", "Time cannot be recorded for a day in the future.")
    received_on = ticket.received_at.astimezone(HELSINKI).date()
    if day < received_on:
        raise _field_error(
            "worked_on", f"The ticket was received on {received_on.isoformat()}: not before."
        )
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise _field_error("note", f"The note has at most {NOTE_MAX} characters.")
    entry = TimeEntry(
        ticket_id=ticket.id,
        user_id=actor.id,
        minutes=minutes,
        expert=bool(expert),
        worked_on=day,
        note=note,
        created_at=utcnow(),
    )
    sess.add(entry)
    sess.flush()
    record(
        sess,
        ticket,
        actor,
        "time_recorded",
        {
            "time_entry_id": entry.id,
            "minutes": minutes,
            "expert": entry.expert,
            "worked_on": day.isoformat(),
        },
        internal=True,
    )
    sess.flush()
    return entry


def ticket_time(sess: Session, ticket: Ticket) -> Totals:
    """The ticket's entries, oldest first, with their totals."""
    entries = list(
        sess.scalars(
            select(TimeEntry)
            .where(TimeEntry.ticket_id == ticket.id)
            .order_by(TimeEntry.worked_on, TimeEntry.id)
        )
    )
    return Totals(
        entries=entries,
        total_minutes=sum(e.minutes for e in entries),
        expert_minutes=sum(e.minutes for e in entries if e.expert),
    )
