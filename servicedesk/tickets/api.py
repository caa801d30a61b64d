"""Tickets: create, list, read, change (with If-Match), comments and the event timeline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask import current_app, request
from flask.views import MethodView

from servicedesk import access, db
from servicedesk.auth import current_user
from servicedesk.blueprint import Blueprint
from servicedesk.db import utcnow
from servicedesk.enums import Role
from servicedesk.errors import (
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)
from servicedesk.escalations.models import Escalation
from servicedesk.escalations.operations import legs_for
from servicedesk.tickets import operations, queries
from servicedesk.tickets.answers import ticket_answer
from servicedesk.tickets.list_page import ListClock, ListTicket, list_page
from servicedesk.tickets.models import Comment, Ticket
from servicedesk.tickets.schemas import (
    CommentIn,
    CommentOut,
    EventOut,
    PublishIn,
    TicketCreate,
    TicketListArgs,
    TicketOut,
    TicketPage,
    TicketPatch,
)
from servicedesk.users.models import User
from sla import queries as sla_queries
from sla import tracking
from sla.models import SlaClock

blp = Blueprint("tickets", __name__, url_prefix="/tickets", description="Tickets")

_IF_MATCH_DOC = {
    "parameters": [
        {
            "in": "header",
            "name": "If-Match",
            "required": True,
            "schema": {"type": "string"},
            "description": "The ETag of your last read: stale answers 412, missing 428.",
        }
    ]
}
_OPTIONAL_IF_MATCH_DOC = {
    "parameters": [
        {
            "in": "header",
            "name": "If-Match",
            "required": False,
            "schema": {"type": "string"},
            "description": "Optional (a comment never required it): the ETag of your last "
            "read of the ticket, or `*`; a stale one answers 412 and stores nothing.",
        }
    ]
}
_IDEMPOTENCY_DOC = {
    "parameters": [
        {
            "in": "header",
            "name": "Idempotency-Key",
            "required": False,
            "schema": {"type": "string", "maxLength": 200},
            "description": "Retry safely: the same key and body return the first ticket.",
        }
    ]
}


def etag_of(ticket: Ticket) -> str:
    return f'"{ticket.id}-{ticket.version}"'


def _check_if_match(ticket: Ticket, required: bool) -> None:
    """If-Match against the ticket's ETag (`*` matches any): stale is 412, missing 428 where
    `required`."""
    if_match = request.headers.get("If-Match")
    if not if_match:
        if required:
            raise PreconditionRequired("Send If-Match with the ETag of your last read.")
        return
    if if_match.strip() not in (etag_of(ticket), "*"):
        raise PreconditionFailed(
            "The ticket changed since you read it; read it again.",
            details={"current_etag": etag_of(ticket)},
        )


def ticket_out(
    ticket: Ticket,
    clocks: list[SlaClock] | None = None,
    legs: Sequence[Escalation] | None = None,
) -> Ticket:
    """One ticket with what the caller needs beside it (transient attributes): the statuses
    they may move it to, and the SLA clocks they may see (`clocks`: already scoped, else
    read), evaluated now, with where the time went for those who may see it. `legs`: the
    ticket's supplier legs when already known (the time split reads them otherwise). A list
    page's answers are `_page_answers`: one query per page, no time split."""
    sess = db.session()
    now = utcnow()
    user = current_user()
    if clocks is None:
        clocks = sla_queries.clocks_by_ticket(sess, [ticket], user)[ticket.id]
    ticket.allowed_transitions = operations.transitions_for(user, ticket)  # type: ignore[attr-defined]
    sla = sla_queries.ticket_sla(sess, clocks, now)
    # Staff see every clock, so `clocks` are all of them: no second read.
    sla["time_split"] = (
        sla_queries.time_split(sess, ticket, now, clocks, legs)
        if access.sees_time_split(user)
        else None
    )
    ticket.sla = sla  # type: ignore[attr-defined]
    return ticket


def _page_answers(items: list[ListTicket], clocks: dict[ListTicket, list[ListClock]]) -> list[Any]:
    """The answer of each ticket of a list page (no time split), with the request's session,
    instant and caller read once for the page."""
    sess, now, user = db.session(), utcnow(), current_user()
    answers = []
    for ticket in items:
        sla = sla_queries.ticket_sla(sess, clocks[ticket], now)
        sla["time_split"] = None
        answers.append(ticket_answer(ticket, sla, operations.transitions_for(user, ticket)))
    return answers


def _json(ticket: Ticket) -> Any:
    """The JSON of a ticket that `ticket_out` or `written_out` prepared (`answers`: what
    `TicketOut` would dump, without marshmallow)."""
    answer = ticket_answer(ticket, ticket.sla, ticket.allowed_transitions)  # type: ignore[attr-defined]
    return current_app.json.response(answer)


def _with_etag(ticket: Ticket, status: int = 200, extra: dict[str, str] | None = None):
    return _json(ticket_out(ticket)), status, {"ETag": etag_of(ticket), **(extra or {})}


def _answer_clocks(user: User, ticket: Ticket) -> list[SlaClock]:
    """The clocks of a ticket just written that `user` may see, from the write's own list
    (`tracking.ticket_clocks`: no query). The same rule as `access.clock_scope`; a supplier
    agent's scope depends on escalation rows, so theirs is asked of the database."""
    sess = db.session()
    if access.can_see_internal(user):
        return list(tracking.ticket_clocks(sess, ticket))
    if user.role_enum is not Role.SUPPLIER_AGENT:
        return [c for c in tracking.ticket_clocks(sess, ticket) if c.leg == 0]
    return sla_queries.clocks_by_ticket(sess, [ticket], user)[ticket.id]


def written_out(ticket: Ticket, at: datetime) -> Ticket:
    """`ticket_out` for the answer to a write: the SLA as of the write's own instant `at`
    (the view runs the write under `db.frozen_now(at)`), so the evaluations the write just
    made are reused, not repeated."""
    sess = db.session()
    sess.flush()  # the version the ETag names is the one the commit will store
    user = current_user()
    ticket.allowed_transitions = operations.transitions_for(user, ticket)  # type: ignore[attr-defined]
    sla = sla_queries.ticket_sla(sess, _answer_clocks(user, ticket), at)
    sla["time_split"] = (
        sla_queries.time_split(sess, ticket, at) if access.sees_time_split(user) else None
    )
    ticket.sla = sla  # type: ignore[attr-defined]
    return ticket


def _written_with_etag(
    ticket: Ticket, at: datetime, status: int = 200, extra: dict[str, str] | None = None
):
    return _json(written_out(ticket, at)), status, {"ETag": etag_of(ticket), **(extra or {})}


@blp.route("")
class Tickets(MethodView):
    @blp.arguments(TicketListArgs, location="query")
    @blp.response(200, TicketPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Tickets the caller may see, filtered, newest first, a page at a time."""
        items, clocks, cursor = list_page(db.session(), current_user(), args)
        page = {"items": _page_answers(items, clocks), "next_cursor": cursor}
        return current_app.json.response(page)

    @blp.arguments(TicketCreate)
    @blp.response(201, TicketOut)
    @blp.alt_response(
        200,
        schema=TicketOut,
        description="A replay of an earlier request with the same Idempotency-Key.",
    )
    @blp.doc(**_IDEMPOTENCY_DOC)
    def post(self, data: dict[str, Any]):
        """File a ticket. End users file for themselves, in their own organisation."""
        key = request.headers.get("Idempotency-Key")
        if key is not None and not 1 <= len(key) <= 200:
            raise ValidationFailed("Idempotency-Key has 1 to 200 characters.")
        at = utcnow()
        with db.frozen_now(at):
            ticket, created = operations.create_ticket(
                db.session(), current_user(), data, idempotency_key=key
            )
        if created:
            return _written_with_etag(ticket, at, 201, {"Location": f"/api/v1/tickets/{ticket.id}"})
        return _with_etag(ticket, 200, {"Idempotent-Replayed": "true"})


@blp.route("/<int:ticket_id>")
class TicketById(MethodView):
    @blp.response(200, TicketOut)
    def get(self, ticket_id: int):
        """One ticket, with its ETag."""
        ticket, clocks, escalated = queries.ticket_to_answer(
            db.session(), current_user(), ticket_id
        )
        # Never escalated: the time split has no supplier legs to read.
        answer = _json(ticket_out(ticket, clocks, legs=None if escalated else ()))
        return answer, 200, {"ETag": etag_of(ticket)}

    @blp.arguments(TicketPatch)
    @blp.response(200, TicketOut)
    @blp.doc(**_IF_MATCH_DOC)
    def patch(self, data: dict[str, Any], ticket_id: int):
        """Change a ticket (needs If-Match); a forbidden status change answers 409."""
        sess = db.session()
        user = current_user()
        ticket = access.visible_ticket(sess, user, ticket_id)
        _check_if_match(ticket, required=True)
        at = utcnow()
        with db.frozen_now(at):
            operations.update_ticket(sess, user, ticket, data)
        return _written_with_etag(ticket, at)


@blp.route("/<int:ticket_id>/comments")
class TicketComments(MethodView):
    @blp.response(200, CommentOut(many=True))
    def get(self, ticket_id: int) -> list[Comment]:
        """The conversation; internal notes only for the centre's staff."""
        sess = db.session()
        user = current_user()
        ticket = access.visible_ticket(sess, user, ticket_id)
        return list(sess.scalars(queries.comments_of(user, ticket)))

    @blp.arguments(CommentIn)
    @blp.response(201, CommentOut)
    @blp.doc(**_OPTIONAL_IF_MATCH_DOC)
    def post(self, data: dict[str, Any], ticket_id: int):
        """Reply, add an internal note (desk only), or write to a supplier thread
        (`escalation_id`, desk only). A supplier agent writes to its leg's thread.

        With `status`, the reply changes the ticket's status too, in the same transaction
        (reply and resolve in one request): the ticket's status becomes `status` (after a
        customer's answer has taken a waiting ticket back to the desk), with PATCH's rules;
        409 `invalid_transition` / `use_operation` / `ticket_final` as PATCH answers them,
        403 for a role that may not, and nothing is stored then. If-Match is optional: when
        sent, a stale ETag answers 412. The answer is the comment; its `ETag` header is the
        ticket's new ETag, for a following PATCH.
        """
        sess = db.session()
        user = current_user()
        ticket = access.visible_ticket(sess, user, ticket_id)
        _check_if_match(ticket, required=False)
        if data["escalation_id"] is None:
            comment = operations.reply(
                sess, user, ticket, data["body"], data["internal"], data["status"]
            )
            sess.flush()
            return comment, 201, {"ETag": etag_of(ticket)}
        if data["status"] is not None:
            raise ValidationFailed(
                "A supplier thread message does not change the ticket's status.",
                details={"fields": {"status": ["Not with escalation_id."]}},
            )
        if data["internal"]:
            raise ValidationFailed(
                "A supplier thread message is not an internal note.",
                details={"fields": {"internal": ["Not with escalation_id."]}},
            )
        leg = next((e for e in legs_for(sess, user, ticket) if e.id == data["escalation_id"]), None)
        if leg is None:
            message = f"No escalation {data['escalation_id']} on this ticket."
            raise ValidationFailed(message, details={"fields": {"escalation_id": [message]}})
        return operations.add_supplier_message(sess, user, ticket, leg, data["body"])


@blp.route("/<int:ticket_id>/comments/<int:comment_id>/publish")
class PublishComment(MethodView):
    @blp.arguments(PublishIn)
    @blp.response(201, CommentOut)
    def post(self, data: dict[str, Any], ticket_id: int, comment_id: int) -> Comment:
        """Pass a supplier's message on to the customer, as is or quoted (`body`), as the
        desk's public reply (desk only)."""
        sess = db.session()
        user = current_user()
        ticket = access.visible_ticket(sess, user, ticket_id)
        comment = sess.scalar(queries.comments_of(user, ticket).where(Comment.id == comment_id))
        if comment is None:
            raise NotFound(f"No comment {comment_id} on this ticket.")
        return operations.publish_supplier_message(sess, user, ticket, comment, data["body"])


@blp.route("/<int:ticket_id>/events")
class TicketEvents(MethodView):
    @blp.response(200, EventOut(many=True))
    def get(self, ticket_id: int):
        """The append-only history: who, when, what, before and after."""
        sess = db.session()
        user = current_user()
        ticket = access.visible_ticket(sess, user, ticket_id)
        return list(sess.scalars(queries.events_of(user, ticket)))
