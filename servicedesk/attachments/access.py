"""Who may read which attachment: the one rule for the API, the desk pages and the portal.

An attachment is seen exactly like what it hangs on. The ticket first (`access.ticket_scope`:
a foreign ticket or attachment is a 404), then its thread, as `tickets.queries.comments_of`
reads comments:

- the centre's staff (agents, account managers, admins) see every attachment;
- the customer side (end users, customer contacts) sees the public ones only: never one
  flagged internal, on an internal note, or in a supplier thread;
- a supplier agent sees its own legs' threads, and the public ones up to the end of its
  latest leg (all of them while a leg is open); never another supplier's thread.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, func, select, true
from sqlalchemy.orm import Session

from servicedesk import access
from servicedesk.attachments.models import Attachment
from servicedesk.enums import Role
from servicedesk.errors import NotFound
from servicedesk.escalations.models import Escalation
from servicedesk.tickets.models import Comment, Ticket
from servicedesk.users.models import User


def _public() -> ColumnElement[bool]:
    """Not flagged internal, and not on an internal note or a supplier thread message."""
    hidden_comment = exists().where(
        Comment.id == Attachment.comment_id,
        Comment.internal.is_(True) | Comment.escalation_id.is_not(None),
    )
    return Attachment.internal.is_(False) & ~hidden_comment


def attachment_scope(user: User) -> ColumnElement[bool]:
    """The attachments `user` may read, as a WHERE condition on Attachment (the ticket's
    own scope is applied beside it: see `visible_attachments` and `attachment_for`)."""
    if access.can_see_internal(user):
        return true()
    if user.role_enum is not Role.SUPPLIER_AGENT:
        return _public()
    mine = (Escalation.ticket_id == Attachment.ticket_id) & (
        Escalation.supplier_id == user.supplier_id
    )
    own_thread = exists().where(
        Comment.id == Attachment.comment_id,
        Comment.escalation_id == Escalation.id,
        Escalation.supplier_id == user.supplier_id,
    )
    leg_open = exists().where(mine, Escalation.status == "open")
    last_end = select(func.max(Escalation.ended_at)).where(mine).scalar_subquery()
    return own_thread | (_public() & (leg_open | (Attachment.created_at <= last_end)))


def _visible(user: User):
    return (
        select(Attachment)
        .join(Ticket, Ticket.id == Attachment.ticket_id)
        .where(access.ticket_scope(user), attachment_scope(user))
    )


def visible_attachments(sess: Session, user: User, ticket: Ticket) -> list[Attachment]:
    """The attachments of `ticket` that `user` may read, oldest first (metadata only: the
    bytes stay in `attachment_blobs`). Empty for a ticket the user may not see."""
    stmt = _visible(user).where(Attachment.ticket_id == ticket.id)
    return list(sess.scalars(stmt.order_by(Attachment.created_at, Attachment.id)))


def attachment_for(sess: Session, user: User, attachment_id: int) -> Attachment:
    """The attachment `user` may read; 404 for any other (foreign, internal, another
    supplier's), so its existence is never revealed."""
    attachment = sess.scalar(_visible(user).where(Attachment.id == attachment_id))
    if attachment is None:
        raise NotFound(f"No attachment {attachment_id}.")
    return attachment
