"""Add a file to a ticket: whoever may write in a thread may attach a file there.

The rule follows the comments' (`tickets.operations.add_comment`): the customer side writes
in the public conversation only; the desk (agents, admins, account managers) anywhere, and
may flag a file internal; a supplier agent only in its own open leg's thread, so only to a
message of that thread (`comment_id`). A file on a comment goes with one's own comment. A
closed or cancelled ticket takes no more files (409, as comments). Operations only flush.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from servicedesk.attachments import storage
from servicedesk.attachments.models import Attachment
from servicedesk.db import utcnow
from servicedesk.enums import CUSTOMER_ROLES, Role
from servicedesk.errors import Conflict, Forbidden, ValidationFailed
from servicedesk.escalations.models import Escalation
from servicedesk.tickets import queries
from servicedesk.tickets.lifecycle import TERMINAL_STATUSES, Status
from servicedesk.tickets.models import Comment, Ticket
from servicedesk.tickets.operations import record
from servicedesk.users.models import User

#: Roles that write in a ticket's threads (a supplier agent only in its own leg's).
_WRITERS = frozenset(
    {*CUSTOMER_ROLES, Role.AGENT, Role.ADMIN, Role.ACCOUNT_MANAGER, Role.SUPPLIER_AGENT}
)


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details={"fields": {field: [message]}})


def _comment_for(sess: Session, user: User, ticket: Ticket, comment_id: int) -> Comment:
    """One of the user's own comments on the ticket, that they may still read."""
    stmt = queries.comments_of(user, ticket).where(Comment.id == comment_id)
    comment = sess.scalar(stmt)
    if comment is None:
        raise _field_error("comment_id", f"No comment {comment_id} on this ticket.")
    if comment.author_id != user.id:
        raise Forbidden("A file goes with your own comment, or with the ticket.")
    return comment


def _check_supplier(sess: Session, user: User, comment: Comment | None) -> None:
    """A supplier agent attaches to its message in its open leg's thread, nowhere else."""
    if comment is None:
        raise _field_error(
            "comment_id", "A supplier attaches a file to its message in its leg's thread."
        )
    leg = sess.get(Escalation, comment.escalation_id) if comment.escalation_id else None
    if leg is None or leg.supplier_id != user.supplier_id or leg.status != "open":
        raise Conflict("The ticket is not with your organisation now.", code="escalation_closed")


def add_attachment(
    sess: Session,
    user: User,
    ticket: Ticket,
    *,
    data: bytes,
    filename: str | None,
    comment_id: int | None = None,
    internal: bool = False,
) -> Attachment:
    """Store a file on `ticket` (visible to `user`: the caller loaded it through the scope),
    with an `attachment_added` event that is internal exactly when the file is."""
    role = user.role_enum
    if role not in _WRITERS:
        raise Forbidden("Your role does not add files here.")
    customer = role in CUSTOMER_ROLES
    if internal and (customer or role is Role.SUPPLIER_AGENT):
        raise Forbidden("Internal files are for the desk.")
    if Status(ticket.status) in TERMINAL_STATUSES:
        raise Conflict(
            f"Ticket {ticket.number} is {ticket.status}; it takes no more files.",
            code="ticket_final",
        )
    comment = None if comment_id is None else _comment_for(sess, user, ticket, comment_id)
    if role is Role.SUPPLIER_AGENT:
        _check_supplier(sess, user, comment)
    if not data:
        raise _field_error("file", "The file is empty.")
    attachment = storage.store(
        sess,
        ticket=ticket,
        data=data,
        filename=filename,
        uploader=user,
        comment=comment,
        internal=internal,
    )
    now = utcnow()
    facts = {
        "attachment_id": attachment.id,
        "filename": attachment.filename,
        "size": attachment.size,
        "content_type": attachment.content_type,
        "comment_id": attachment.comment_id,
        "internal": attachment.internal,
    }
    if comment is not None and comment.escalation_id is not None:
        facts["escalation_id"] = comment.escalation_id
    record(sess, ticket, user, "attachment_added", facts, internal=attachment.internal, at=now)
    ticket.updated_at = now
    sess.flush()
    return attachment
