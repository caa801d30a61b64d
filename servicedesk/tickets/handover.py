"""When an organisation's account managers are replaced, the open change needs and feedback
assigned to one who left go to a successor: otherwise the old one would lose sight of them
(404) and the new one could not act on them (403), and the customer's development wishes
would sit with nobody."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.routing import ACCOUNT_MANAGER_TYPES
from servicedesk.tickets.lifecycle import OPEN_STATUSES
from servicedesk.tickets.models import Ticket
from servicedesk.tickets.operations import update_ticket
from servicedesk.users.models import User


def successor(before: Collection[int], after: Collection[int]) -> int | None:
    """Who takes over: the first account manager added, else the first who stays, else none."""
    added = sorted(set(after) - set(before))
    if added:
        return added[0]
    stays = sorted(set(after))
    return stays[0] if stays else None


def hand_over(
    sess: Session,
    actor: User,
    organisation_id: int,
    before: Collection[int],
    after: Collection[int],
) -> list[Ticket]:
    """Reassign the organisation's open account-manager tickets of those who left; each change
    goes through `update_ticket` (the `updated` event, the assignment mail). Call it after the
    new account managers are written (and flushed): the successor must already be one."""
    left = sorted(set(before) - set(after))
    if not left:
        return []
    tickets = list(
        sess.scalars(
            select(Ticket)
            .where(
                Ticket.organisation_id == organisation_id,
                Ticket.type.in_(sorted(ACCOUNT_MANAGER_TYPES)),
                Ticket.status.in_([s.value for s in OPEN_STATUSES]),
                Ticket.assignee_id.in_(left),
            )
            .order_by(Ticket.id)
        )
    )
    heir = successor(before, after)
    for ticket in tickets:
        update_ticket(sess, actor, ticket, {"assignee_id": heir})
    return tickets
