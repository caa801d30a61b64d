"""Reads on tickets, always through the caller's scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session, joinedload, lazyload, load_only

from catalog.organisations.models import Organisation
from catalog.services.models import Service
from servicedesk import access
from servicedesk.db import utcnow
from servicedesk.enums import Role
from servicedesk.errors import NotFound
from servicedesk.escalations.models import Escalation
from servicedesk.pagination import SortKey
from servicedesk.search import contains
from servicedesk.tickets.lifecycle import OPEN_STATUSES
from servicedesk.tickets.models import Comment, Ticket, TicketEvent
from servicedesk.users.models import User
from sla import queries as sla_queries
from sla.models import SlaClock

_SORTS = {
    "received_at": (Ticket.received_at, True),
    "updated_at": (Ticket.updated_at, True),
    "priority": (Ticket.priority, False),
}


def sort_key(sort: str) -> SortKey:
    if sort == "sla_due":
        # A NOT NULL copy of sla_due_at (FAR_FUTURE when no clock runs), so an index serves it.
        return SortKey(Ticket.sla_sort_at, Ticket.id, descending=False, is_datetime=True)
    descending = sort.startswith("-")
    column, is_dt = _SORTS[sort.lstrip("-")]
    return SortKey(column, Ticket.id, descending=descending, is_datetime=is_dt)


#: A ticket answer shows the requester's, assignee's and organisation's id and name and the
#: service's code and names only: not the people's organisations (the models join those for
#: other pages) nor the rest of the rows.
ANSWER_LOAD = (
    *(
        joinedload(person).options(lazyload(User.organisation), load_only(User.id, User.name))
        for person in (Ticket.requester, Ticket.assignee)
    ),
    joinedload(Ticket.organisation).load_only(Organisation.id, Organisation.name),
    joinedload(Ticket.service).load_only(
        Service.id, Service.code, Service.name_fi, Service.name_sv, Service.name_en
    ),
)


def ticket_to_answer(
    sess: Session, user: User, ticket_id: int
) -> tuple[Ticket, list[SlaClock], bool]:
    """The ticket `user` may see (404 otherwise), loaded for its answer, with the SLA clocks
    they may see (`access.clock_scope`, by id) and whether it was ever escalated to a
    supplier (for the time split's legs): all in one query, joined to its clocks."""
    stmt, params = access.scoped_statement("ticket_answer", user, _answer_statement)
    rows = sess.execute(stmt, {**params, "ticket_id": ticket_id}).all()
    if not rows:
        raise NotFound(f"No ticket {ticket_id}.")
    clocks = [row[1] for row in rows if row[1] is not None]
    return rows[0][0], clocks, bool(rows[0][2])


def _answer_statement(user: User) -> Select[Any]:
    escalated = exists().where(Escalation.ticket_id == Ticket.id).label("escalated")
    on = and_(SlaClock.ticket_id == Ticket.id, access.clock_scope(user, bound=True))
    return (
        select(Ticket, SlaClock, escalated)
        .outerjoin(SlaClock, on)
        .where(Ticket.id == bindparam("ticket_id"), access.ticket_scope(user, bound=True))
        .options(*ANSWER_LOAD, lazyload(SlaClock.alerts))
        .order_by(SlaClock.id)
    )


def filters_key(args: dict[str, Any]) -> tuple[Any, ...]:
    """Every input of `ticket_list` and `sort_key` but the page's cursor and limit."""
    return tuple(
        sorted(
            (name, tuple(value) if isinstance(value, list) else value)
            for name, value in args.items()
            if name not in ("cursor", "limit")
        )
    )


def ticket_list(user: User, args: dict[str, Any], *, bound: bool = False) -> Select[Any]:
    """The tickets `user` may see that match `args` (`bound`: as `access.ticket_scope`)."""
    stmt = select(Ticket).where(access.ticket_scope(user, bound))
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
        stmt = stmt.where(or_(*(_sla_state(st, now, scope) for st in args["sla_state"])))
    if "q" in args:
        words = args["q"].split()
        for word in words:
            stmt = stmt.where(or_(contains(Ticket.title, word), contains(Ticket.number, word)))
    return stmt


def _sla_state(state: str, now: Any, scope: Any) -> Any:
    """`sla_state=...`: breached is a queue's question (open tickets with a breached clock);
    was_breached is the history's (any ticket whose clock ever breached)."""
    if state == "was_breached":
        return sla_queries.state_condition("breached", now, scope)
    condition = sla_queries.state_condition(state, now, scope)
    if state == "breached":
        return Ticket.status.in_(OPEN) & condition
    return condition


#: The statuses of a ticket the desk still works on (not resolved, closed or cancelled).
OPEN = sorted(s.value for s in OPEN_STATUSES)


def _own_legs(user: User, ticket: Ticket) -> Select[Any]:
    """The ids of the ticket's legs with the supplier agent's supplier."""
    return select(Escalation.id).where(
        Escalation.ticket_id == ticket.id, Escalation.supplier_id == user.supplier_id
    )


def comments_of(user: User, ticket: Ticket) -> Select[Any]:
    """The comments `user` may read, oldest first.

    The centre's staff read everything. The customer side reads the public conversation
    only: no internal notes, no supplier thread. A supplier agent reads its own legs'
    threads, and the public conversation up to the end of its latest leg (all of it while
    a leg is open): it was brought in for a while, not for good.
    """
    stmt = select(Comment).where(Comment.ticket_id == ticket.id)
    public = Comment.internal.is_(False) & Comment.escalation_id.is_(None)
    if user.role_enum is Role.SUPPLIER_AGENT:
        legs = _own_legs(user, ticket)
        leg_open = exists(legs.where(Escalation.status == "open"))
        last_end = (
            select(func.max(Escalation.ended_at))
            .where(Escalation.ticket_id == ticket.id, Escalation.supplier_id == user.supplier_id)
            .scalar_subquery()
        )
        stmt = stmt.where(
            Comment.escalation_id.in_(legs)
            | (public & (leg_open | (Comment.created_at <= last_end)))
        )
    elif not access.can_see_internal(user):
        stmt = stmt.where(public)
    return stmt.order_by(Comment.created_at, Comment.id)


def events_of(user: User, ticket: Ticket) -> Select[Any]:
    """The history `user` may read, oldest first.

    Supplier-leg events (escalated, withdrawn, done, thread messages, publishing) are
    internal, so the customer side never sees them; a supplier agent sees the ticket's
    public events and the messages of its own legs' threads, never another supplier's.
    """
    stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
    if user.role_enum is Role.SUPPLIER_AGENT:
        own_message = (TicketEvent.kind == "commented") & TicketEvent.data[
            "escalation_id"
        ].as_integer().in_(_own_legs(user, ticket))
        stmt = stmt.where(TicketEvent.internal.is_(False) | own_message)
    elif not access.can_see_internal(user):
        stmt = stmt.where(TicketEvent.internal.is_(False))
    return stmt.order_by(TicketEvent.at, TicketEvent.id)
