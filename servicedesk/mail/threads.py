"""Which ticket a reply belongs to: its threading headers first, then the subject's number.

Finding the ticket is not permission to write on it: the intake checks that the sender
may see the ticket (`servicedesk.access.ticket_scope`) before a comment is added.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicedesk.mail.models import InboundMail
from servicedesk.notifications.models import OutboxMessage
from servicedesk.tickets.models import Ticket
from servicedesk.tickets.numbers import PREFIX

#: The Message-ID the outbox sender derives for a row without one
#: (`servicedesk.notifications.sender.message_id`): outbox-<id>.<created, UTC>@domain.
DERIVED_ID = re.compile(r"^outbox-(\d{1,12})\.(\d{14})@")
#: KPK-2026-00042, bare or in brackets ("[KPK-2026-00042]"), any case.
NUMBER = re.compile(rf"\b{PREFIX}-(\d{{4}})-(\d{{5,}})\b", re.I)


def numbers_in(subject: str) -> list[str]:
    """Ticket numbers named in a subject, in order (pure)."""
    return [f"{PREFIX}-{y}-{n}" for y, n in NUMBER.findall(subject)]


def ticket_by_headers(sess: Session, message_ids: Sequence[str]) -> Ticket | None:
    """The ticket of the nearest message this one answers: our outgoing mail, the mail a
    ticket was filed from, or an earlier incoming reply placed on a ticket."""
    ids = [m for m in message_ids if m][:50]
    if not ids:
        return None
    # Stored with or without the angle brackets, depending on who wrote them.
    keys = ids + [f"<{m}>" for m in ids]
    found: dict[str, int] = {}
    for mid, tid in sess.execute(
        select(OutboxMessage.message_id, OutboxMessage.ticket_id).where(
            OutboxMessage.message_id.in_(keys), OutboxMessage.ticket_id.is_not(None)
        )
    ):
        found.setdefault(mid.strip("<>"), tid)
    for mid, tid in sess.execute(
        select(Ticket.mail_message_id, Ticket.id).where(Ticket.mail_message_id.in_(keys))
    ):
        found.setdefault(str(mid).strip("<>"), tid)
    for mid, tid in sess.execute(
        select(InboundMail.message_id, InboundMail.ticket_id).where(
            InboundMail.message_id.in_(keys), InboundMail.ticket_id.is_not(None)
        )
    ):
        found.setdefault(str(mid).strip("<>"), tid)
    for mid in ids:
        derived = DERIVED_ID.match(mid)
        if derived and mid not in found:
            row = sess.get(OutboxMessage, int(derived.group(1)))
            stamp = f"{row.created_at:%Y%m%d%H%M%S}" if row is not None else None
            if row is not None and row.ticket_id is not None and stamp == derived.group(2):
                found[mid] = row.ticket_id
        if mid in found:
            return sess.get(Ticket, found[mid])
    return None


def ticket_by_subject(sess: Session, subject: str) -> Ticket | None:
    for number in numbers_in(subject):
        ticket = sess.scalar(select(Ticket).where(Ticket.number == number.upper()))
        if ticket is not None:
            return ticket
    return None


def find_ticket(sess: Session, message_ids: Sequence[str], subject: str) -> Ticket | None:
    return ticket_by_headers(sess, message_ids) or ticket_by_subject(sess, subject)
