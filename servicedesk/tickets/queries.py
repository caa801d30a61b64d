"""Reads on tickets, always through the caller's scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select

from servicedesk import access
from servicedesk.db import utcnow
from servicedesk.pagination import SortKey
from servicedesk.tickets.models import Comment, Ticket, TicketEvent
from servicedesk.users.models import User
from sla import queries as sla_queries

_SORTS = {
    "received_at": (Ticket.received_at, True),
    "updated_at": (Ticket.updated_at, True),
    "priority": (Ticket.priority, False),
}


def sort_key(sort: str) -> SortKey:
    if sort == "sla_due":
        return SortKey(
            sla_queries.due_order_expression(),
            Ticket.id,
            descending=False,
            is_datetime=True,
            value_of=lambda t: t.sla_due_at or sla_queries.FAR_FUTURE,
        )
    descending = sort.startswith("-")
    column, is_dt = _SORTS[sort.lstrip("-")]
    return SortKey(column, Ticket.id, descending=descending, is_datetime=is_dt)


def ticket_list(user: User, args: dict[str, Any]) -> Select[Any]:
    stmt = select(Ticket).where(access.ticket_scope(user))
    multi = {"status": Ticket.status, "priority": Ticket.priority, "type": Ticket.type}
    for name, column in multi.items():
        if args.get(name):
            stmt = stmt.where(column.in_([getattr(v, "value", v) for v in args[name]]))
    exact = {
        "organisation_id": Ticket.organisation_id,
        "service_id": Ticket.service_id,
        "group_id": Ticket.group_id,
        "assignee_id": Ticket.assignee_id,
        "requester_id": Ticket.requester_id,
    }
    for name, column in exact.items():
        if name in args:
            stmt = stmt.where(column == args[name])
    if "provider" in args:
        stmt = stmt.where(Ticket.provider == args["provider"].value)
    if args.get("unassigned"):
        stmt = stmt.where(Ticket.assignee_id.is_(None))
    if "received_after" in args:
        stmt = stmt.where(Ticket.received_at >= args["received_after"])
    if "received_before" in args:
        stmt = stmt.where(Ticket.received_at < args["received_before"])
    if args.get("sla_state"):
        now = utcnow()
        scope = access.clock_scope(user)  # never another supplier's clocks
        stmt = stmt.where(
            or_(*(sla_queries.state_condition(st, now, scope) for st in args["sla_state"]))
        )
    if "q" in args:
        words = args["q"].split()
        for word in words:
            like = f"%{word}%"
            stmt = stmt.where(or_(Ticket.title.ilike(like), Ticket.number.ilike(like)))
    return stmt


def comments_of(user: User, ticket: Ticket) -> Select[Any]:
    stmt = select(Comment).where(Comment.ticket_id == ticket.id)
    if not access.can_see_internal(user):
        stmt = stmt.where(Comment.internal.is_(False))
    return stmt.order_by(Comment.created_at, Comment.id)


def events_of(user: User, ticket: Ticket) -> Select[Any]:
    stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
    if not access.can_see_internal(user):
        stmt = stmt.where(TicketEvent.internal.is_(False))
    return stmt.order_by(TicketEvent.at, TicketEvent.id)
