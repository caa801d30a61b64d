"""Which attachments the portal shows, and one attachment's download.

TEMPORARY: helper H1 writes `servicedesk.attachments.access` (`visible_attachments`,
`attachment_for`), the one rule for the API, the desk and the portal. Until it is merged these
two functions stand in with the same signatures and the customer side's rule (the ticket is
already visible to the user: same ticket, never internal); the lead swaps the import.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicedesk import access
from servicedesk.attachments.models import Attachment
from servicedesk.errors import NotFound
from servicedesk.tickets.models import Ticket
from servicedesk.users.models import User


def visible_attachments(sess: Session, user: User, ticket: Ticket) -> list[Attachment]:
    """The ticket's attachments `user` may see, oldest first (the ticket is visible to them)."""
    stmt = select(Attachment).where(Attachment.ticket_id == ticket.id)
    if not access.can_see_internal(user):
        stmt = stmt.where(Attachment.internal.is_(False))
    return list(sess.scalars(stmt.order_by(Attachment.created_at, Attachment.id)))


def attachment_for(sess: Session, user: User, attachment_id: int) -> Attachment:
    """The attachment if `user` may see it and its ticket; a foreign one is a 404."""
    found = sess.get(Attachment, attachment_id)
    if found is None or (found.internal and not access.can_see_internal(user)):
        raise NotFound(f"No attachment {attachment_id}.")
    access.visible_ticket(sess, user, found.ticket_id)  # 404 unless the ticket is theirs
    return found
