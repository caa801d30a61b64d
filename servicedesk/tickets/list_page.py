"""A page of the ticket list, read as plain rows: the tickets, their people, organisation and
service, and the SLA clocks the caller may see, in one statement.

The list answers 25 tickets with their clocks. Loaded as ORM entities that was some 105
objects a page, each with its identity map entry and instance state: a third of the
request. The answer reads only attributes, so plain objects with the same attribute names
(`ListTicket`, `ListClock`) serve `answers.ticket_answer`, `operations.transitions_for`, the
cursor and the SLA engine (`sla.queries.ticket_sla`) alike; nothing here is written back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session, aliased

from catalog.organisations.models import Organisation
from catalog.services.models import Service
from servicedesk import access, statements
from servicedesk.pagination import SortKey, cut, page_params, page_subquery
from servicedesk.tickets import queries
from servicedesk.tickets.models import Ticket
from servicedesk.users.models import User
from sla.models import SlaClock

#: The ticket's own columns an answer, the transitions and the cursor read.
_TICKET_COLUMNS = tuple(
    getattr(Ticket, name)
    for name in (
        "id", "number", "type", "title", "description", "status", "impact", "urgency",
        "priority", "priority_overridden", "priority_reason", "provider", "organisation_id",
        "requester_id", "service_id", "group_id", "assignee_id", "channel", "received_at",
        "created_at", "updated_at", "resolved_at", "closed_at", "rating", "rating_comment",
        "rated_at", "version", "sla_sort_at",
    )
)  # fmt: skip
_TICKET_KEYS = tuple(c.key for c in _TICKET_COLUMNS)
#: The names the page joins in, after the ticket's columns: the people's, the organisation's
#: and the service's (`_statement` selects them in this order).
_JOINED = ("r_name", "a_name", "o_name", "s_code", "s_name_fi", "s_name_sv", "s_name_en")
#: The clock's columns, after those: a row's clock starts at `_CLOCK_AT`.
_CLOCK_NAMES = tuple(c.key for c in SlaClock.__table__.columns)
_CLOCK_AT = len(_TICKET_COLUMNS) + len(_JOINED)


class Named:
    """A person's or an organisation's id and name, as an answer shows them."""

    __slots__ = ("id", "name")

    def __init__(self, id_: int, name: str) -> None:
        self.id, self.name = id_, name


class ListService:
    """A service's code and names, as an answer shows them."""

    __slots__ = ("code", "id", "name_en", "name_fi", "name_sv")

    def __init__(self, row: Any) -> None:
        self.id, self.code = row.service_id, row.s_code
        self.name_fi, self.name_sv, self.name_en = row.s_name_fi, row.s_name_sv, row.s_name_en


class ListTicket:
    """A ticket of a list page: its columns as attributes, and its people, organisation and
    service as `Named` / `ListService` (None where the ticket has none)."""

    def __init__(self, row: Any) -> None:
        self.__dict__.update(zip(_TICKET_KEYS, row[: len(_TICKET_KEYS)], strict=True))
        self.requester = Named(row.requester_id, row.r_name)
        self.assignee = None if row.assignee_id is None else Named(row.assignee_id, row.a_name)
        self.organisation = Named(row.organisation_id, row.o_name)
        self.service = None if row.service_id is None else ListService(row)


class ListClock:
    """An SLA clock of a list page: its columns as attributes (the SLA engine reads those,
    and keeps an evaluation in the object's `__dict__`, as on a mapped clock)."""

    def __init__(self, values: Any) -> None:
        self.__dict__.update(zip(_CLOCK_NAMES, values, strict=True))


def _statement(
    user: User, args: dict[str, Any], key: SortKey, after_cursor: bool, bound: bool
) -> Select[Any]:
    """The page's statement: `ticket_list`'s page of ids, joined to what the answers show."""
    page, order = page_subquery(queries.ticket_list(user, args, bound=bound), key, after_cursor)
    requester, assignee = aliased(User), aliased(User)
    clocks = and_(SlaClock.ticket_id == Ticket.id, access.clock_scope(user, bound))
    joined = (
        requester.name, assignee.name, Organisation.name, Service.code,
        Service.name_fi, Service.name_sv, Service.name_en,
    )  # fmt: skip
    return (
        select(
            *_TICKET_COLUMNS,
            *(column.label(name) for column, name in zip(joined, _JOINED, strict=True)),
            *(column.label(f"c_{column.key}") for column in SlaClock.__table__.columns),
        )
        .select_from(Ticket)
        .join(page, Ticket.id == page.c.id)
        .join(requester, requester.id == Ticket.requester_id)
        .outerjoin(assignee, assignee.id == Ticket.assignee_id)
        .join(Organisation, Organisation.id == Ticket.organisation_id)
        .outerjoin(Service, Service.id == Ticket.service_id)
        .outerjoin(SlaClock, clocks)
        .order_by(*order, SlaClock.id)
    )


def list_page(
    sess: Session, user: User, args: dict[str, Any]
) -> tuple[list[ListTicket], dict[ListTicket, list[ListClock]], str | None]:
    """The page of tickets `user` may see that match `args`, the clocks of each they may see,
    and the cursor of the next page.

    The statement is kept per process (`statements.kept`) by the caller's scope shape and
    the filters, except with `sla_state`, whose conditions hold the instant now; the
    caller's scope values, the cursor and the limit are bind parameters.
    """
    key = queries.sort_key(args["sort"])
    after_cursor = bool(args["cursor"])
    if args.get("sla_state"):
        stmt, params = _statement(user, args, key, after_cursor, False), {}
    else:
        memo = ("list_page", access.scope_shape(user), queries.filters_key(args), after_cursor)
        stmt = statements.kept(memo, lambda: _statement(user, args, key, after_cursor, True))
        params = access.scope_params(user)
    params = {**params, **page_params(key, args["limit"], args["cursor"])}
    tickets: list[ListTicket] = []
    found: dict[ListTicket, list[ListClock]] = {}
    last_id = None
    for row in sess.execute(stmt, params):
        if row.id != last_id:
            last_id = row.id
            ticket = ListTicket(row)
            tickets.append(ticket)
            found[ticket] = []
        if row.c_id is not None:
            found[ticket].append(ListClock(row[_CLOCK_AT:]))
    page, next_cursor = cut(tickets, key, args["limit"])
    return page, found, next_cursor
