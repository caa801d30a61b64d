"""Rate a resolved ticket: once, by its requester; a low rating goes to the account managers.

The rating lives on the ticket (`rating`, `rating_comment`, `rated_at`) with a `rated`
event. Operations only flush: the request (or the rating link's page) commits, and the
account managers' mail is an outbox row in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.organisations.models import organisation_account_managers
from servicedesk.db import utcnow
from servicedesk.errors import Conflict, Forbidden, ValidationFailed
from servicedesk.notifications.operations import enqueue
from servicedesk.tickets.lifecycle import Status
from servicedesk.tickets.models import Ticket
from servicedesk.tickets.operations import record
from servicedesk.users.models import User

#: The scale: 1 (poor) to 5 (excellent).
SCORES = (1, 2, 3, 4, 5)
#: A rating at or below this is routed to the organisation's account managers.
LOW_RATING = 2
COMMENT_MAX = 2000
#: The statuses a ticket can be rated in: the desk has said it is solved.
RATEABLE = frozenset({Status.RESOLVED.value, Status.CLOSED.value})


class AlreadyRated(Conflict):
    code = "already_rated"


class NotRateable(Conflict):
    code = "not_rateable"


@dataclass(frozen=True)
class Verdict:
    """Why a ticket can or cannot be rated by someone now (for pages and the API alike)."""

    may_rate: bool
    reason: str | None = None  # "not_requester", "not_rateable", "already_rated"


def verdict(ticket: Ticket, by: User) -> Verdict:
    """The pure rule: the requester rates a resolved or closed ticket, once."""
    if by.id != ticket.requester_id:
        return Verdict(False, "not_requester")
    if ticket.rating is not None:
        return Verdict(False, "already_rated")
    if ticket.status not in RATEABLE:
        return Verdict(False, "not_rateable")
    return Verdict(True)


def is_low(score: int) -> bool:
    return score <= LOW_RATING


def rate(sess: Session, ticket: Ticket, score: int, comment: str | None, by: User) -> Ticket:
    """Store the requester's rating on the ticket; a low one is mailed to the account managers.

    403 for anyone but the requester, 409 `not_rateable` before the desk has resolved it,
    409 `already_rated` the second time (also when two arrive at once: the ticket's row is
    locked while it is rated), 422 for a score outside 1-5.
    """
    if isinstance(score, bool) or score not in SCORES:
        message = "The rating is a whole number from 1 to 5."
        raise ValidationFailed(message, details={"fields": {"score": [message]}})
    comment = (comment or "").strip() or None
    if comment is not None and len(comment) > COMMENT_MAX:
        message = f"The comment has at most {COMMENT_MAX} characters."
        raise ValidationFailed(message, details={"fields": {"comment": [message]}})
    # The row lock makes a concurrent second rating wait, then see the first one (409).
    sess.execute(select(Ticket.id).where(Ticket.id == ticket.id).with_for_update())
    sess.refresh(ticket, ["rating", "rating_comment", "rated_at", "status", "version"])
    found = verdict(ticket, by)
    if found.reason == "not_requester":
        raise Forbidden("Only the ticket's requester rates it.")
    if found.reason == "already_rated":
        raise AlreadyRated(f"Ticket {ticket.number} has been rated already.")
    if found.reason == "not_rateable":
        raise NotRateable(
            f"Ticket {ticket.number} is {ticket.status}: it can be rated once it is resolved."
        )
    now = utcnow()
    ticket.rating, ticket.rating_comment, ticket.rated_at = score, comment, now
    ticket.updated_at = now
    sess.flush()
    told = _tell_account_managers(sess, ticket, by) if is_low(score) else []
    record(
        sess,
        ticket,
        by,
        "rated",
        {"score": score, "commented": comment is not None, "low_rating_to": len(told)},
        at=now,
    )
    sess.flush()
    return ticket


def account_managers(sess: Session, organisation_id: int) -> list[User]:
    """The active account managers of the organisation, in a stable order."""
    return list(
        sess.scalars(
            select(User)
            .join(
                organisation_account_managers,
                organisation_account_managers.c.user_id == User.id,
            )
            .where(
                organisation_account_managers.c.organisation_id == organisation_id,
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    )


def _desk_url(ticket: Ticket) -> str:
    settings = current_app.config.get("SETTINGS") if has_app_context() else None
    base = settings.public_url if settings else ""
    return f"{base}/desk/tickets/{ticket.id}"


def _tell_account_managers(sess: Session, ticket: Ticket, by: User) -> list[str]:
    """One mail per account manager, in their language, at most once per ticket."""
    told = []
    for manager in account_managers(sess, ticket.organisation_id):
        with force_locale(manager.locale or "fi"):
            subject = _(
                "[%(number)s] Low rating %(score)s/5: %(title)s",
                number=ticket.number,
                score=ticket.rating,
                title=ticket.title,
            )
            intro = _(
                "%(requester)s (%(organisation)s) rated ticket %(number)s %(score)s/5.",
                requester=by.name,
                organisation=ticket.organisation.name if ticket.organisation else "",
                number=ticket.number,
                score=ticket.rating,
            )
            comment_head = _("Their comment:")
            no_comment = _("They left no comment.")
            link_text = _("The ticket in the desk:")
        url = _desk_url(ticket)
        comment = ticket.rating_comment
        text = [intro, "", f"{ticket.number}: {ticket.title}", ""]
        text += [comment_head, comment, ""] if comment else [no_comment, ""]
        text += [link_text, url]
        html = (
            f"<p>{escape(intro)}</p><p><strong>{escape(ticket.number)}</strong>: "
            f"{escape(ticket.title)}</p>"
            + (
                f"<p>{escape(comment_head)}</p><blockquote>"
                f"{'<br>'.join(str(escape(line)) for line in comment.splitlines())}</blockquote>"
                if comment
                else f"<p>{escape(no_comment)}</p>"
            )
            + f'<p>{escape(link_text)} <a href="{escape(url)}">{escape(url)}</a></p>'
        )
        message = enqueue(
            sess,
            kind="low_rating",
            recipient=manager.email,
            subject=subject,
            body="\n".join(text),
            ticket_id=ticket.id,
            dedup_key=f"low_rating:ticket:{ticket.id}:{manager.email}",
        )
        if message is not None:
            message.html_body = html
            message.auto_submitted = "auto-generated"
        told.append(manager.email)
    return told
