"""What each role may see. Every query an end user or supplier can reach goes through here.

A foreign id is a 404: callers load with these scopes and never learn that a
record they may not see exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Integer, bindparam, exists, false, select, true
from sqlalchemy.orm import Session

from catalog.organisations.models import Organisation, organisation_account_managers
from servicedesk import statements
from servicedesk.enums import STAFF_ROLES, Role
from servicedesk.errors import Forbidden, NotFound
from servicedesk.escalations.models import Escalation
from servicedesk.tickets.lifecycle import TERMINAL_STATUSES, Status
from servicedesk.tickets.models import Ticket, TicketEvent
from servicedesk.users.models import JOINT_DESK, User

S = TypeVar("S")


def managed_organisation_ids(user: User, bound: bool = False):
    """Subquery of the organisations an account manager looks after (`bound`: as in
    `ticket_scope`)."""
    return select(organisation_account_managers.c.organisation_id).where(
        organisation_account_managers.c.user_id == _value(_USER, user.id, bound)
    )


def is_joint_desk(user: User) -> bool:
    """An agent of the joint first line: works on ICT and THH tickets alike."""
    return user.role_enum is Role.AGENT and user.desk == JOINT_DESK


def joint_desk_scope(user: User, bound: bool = False) -> ColumnElement[bool]:
    """The joint first line's tickets: its own provider's, either provider's untaken ones
    (new or unassigned, not closed or cancelled), and every ticket it acted on, so that a
    ticket it moved across providers stays in its sight."""
    untaken = (Ticket.status == Status.NEW.value) | Ticket.assignee_id.is_(None)
    actor = _value(_USER, user.id, bound)
    acted_on = exists().where(TicketEvent.ticket_id == Ticket.id, TicketEvent.actor_id == actor)
    return (
        (Ticket.provider == user.provider)
        | (untaken & Ticket.status.not_in([s.value for s in TERMINAL_STATUSES]))
        | acted_on
    )


def ticket_scope(user: User, bound: bool = False) -> ColumnElement[bool]:
    """The tickets `user` may see, as a WHERE condition.

    `bound`: the user's id, organisation and supplier as required bind parameters, to be
    given by `scope_params(user)`, so that one statement serves every user of a shape
    (`scoped_statement`)."""
    role = user.role_enum
    if role is Role.ADMIN:
        return true()
    if is_joint_desk(user):
        return joint_desk_scope(user, bound)
    if role is Role.AGENT:
        return Ticket.provider == user.provider if user.provider else false()
    organisation = _value(_ORGANISATION, user.organisation_id, bound)
    if role is Role.CUSTOMER_CONTACT:
        return Ticket.organisation_id == organisation
    if role is Role.END_USER:
        requester = _value(_USER, user.id, bound)
        return (Ticket.requester_id == requester) & (Ticket.organisation_id == organisation)
    if role is Role.ACCOUNT_MANAGER:
        return Ticket.organisation_id.in_(managed_organisation_ids(user, bound))
    if role is Role.SUPPLIER_AGENT and user.supplier_id is not None:
        # Only tickets escalated to their supplier (any leg of theirs, open or ended).
        supplier = _value(_SUPPLIER, user.supplier_id, bound)
        return exists().where(Escalation.ticket_id == Ticket.id, Escalation.supplier_id == supplier)
    return false()


#: The bind parameters of a bound scope (`scope_params`).
_USER, _ORGANISATION, _SUPPLIER = "scope_user_id", "scope_organisation_id", "scope_supplier_id"


def _value(name: str, value: Any, bound: bool) -> Any:
    """`value`, or a required bind parameter `name` (never a default: a statement run
    without `scope_params` fails instead of running with another user's values). None stays
    itself (`IS NULL`, as unbound): `scope_shape` tells a missing organisation or supplier
    apart, so such a statement is never kept for a user who has one."""
    return bindparam(name, type_=Integer, required=True) if bound and value is not None else value


def scope_params(user: User) -> dict[str, Any]:
    """The values of a bound scope's parameters for `user`."""
    return {_USER: user.id, _ORGANISATION: user.organisation_id, _SUPPLIER: user.supplier_id}


def scope_shape(user: User) -> tuple[Any, ...]:
    """What decides the form of `user`'s bound scopes (the values are parameters): users of
    one shape share the statements `scoped_statement` keeps."""
    return (
        user.role,
        user.desk,
        user.provider,
        user.organisation_id is None,
        user.supplier_id is None,
    )


def scoped_statement(name: str, user: User, build: Callable[[User], S]) -> tuple[S, dict[str, Any]]:
    """The statement `build(user)` makes with bound scopes (`ticket_scope(user, bound=True)`,
    `clock_scope(user, bound=True)`), kept per process by `name` and the user's scope shape
    (`statements.kept`), and the parameters that give it `user`'s values. Its other inputs
    must be bind parameters too."""
    stmt = statements.kept((name, scope_shape(user)), lambda: build(user))
    return stmt, scope_params(user)


def organisation_scope(user: User) -> ColumnElement[bool]:
    role = user.role_enum
    if role in (Role.ADMIN, Role.AGENT):
        return true()
    if role is Role.ACCOUNT_MANAGER:
        return Organisation.id.in_(managed_organisation_ids(user)) | (
            Organisation.id == user.organisation_id
        )
    if user.organisation_id is None:
        return false()
    return Organisation.id == user.organisation_id


def user_scope(user: User) -> ColumnElement[bool]:
    role = user.role_enum
    if role in (Role.ADMIN, Role.AGENT):
        return true()
    if role is Role.ACCOUNT_MANAGER:
        # Their customers' people and the centre's own staff; not other customers' people.
        return (
            User.organisation_id.in_(managed_organisation_ids(user))
            | User.organisation_id.is_(None)
            | (User.id == user.id)
        )
    if role is Role.CUSTOMER_CONTACT:
        return User.organisation_id == user.organisation_id
    return User.id == user.id


def reads_commercial_terms(user: User) -> bool:
    """An organisation's agreements (with prices) and its share register are for the centre,
    its account managers and the customer contact; an end user's portal needs only the
    services they may use, which the entitlement question answers."""
    return user.role_enum is not Role.END_USER


def require_commercial_terms(user: User, what: str) -> None:
    """403 for an end user asking for `what` (an organisation they do see: not a 404)."""
    if not reads_commercial_terms(user):
        raise Forbidden(f"An end user may not read {what}; the customer contact may.")


def reads_account_manager_contact(user: User) -> bool:
    """An end user learns their account manager's name; the rest (e-mail, role, ids) is for
    the customer contact and the centre."""
    return user.role_enum is not Role.END_USER


def can_see_internal(user: User) -> bool:
    """Internal notes and events are for the centre's own staff only."""
    return user.role_enum in STAFF_ROLES


def clock_scope(user: User, bound: bool = False) -> ColumnElement[bool]:
    """The SLA clocks `user` may see, as a WHERE condition on SlaClock (`bound`: as in
    `ticket_scope`).

    The supplier leg is between the desk and its supplier: the centre's staff see every
    clock; a supplier agent the customer's clocks and their own supplier's legs, never
    another supplier's; the customer side only the customer's clocks.
    """
    from sla.models import SlaClock

    if can_see_internal(user):
        return true()
    if user.role_enum is not Role.SUPPLIER_AGENT:
        return SlaClock.leg == 0
    supplier = _value(_SUPPLIER, user.supplier_id, bound)
    own_legs = select(Escalation.id).where(Escalation.supplier_id == supplier)
    return (SlaClock.leg == 0) | SlaClock.leg.in_(own_legs)


def sees_time_split(user: User) -> bool:
    """Where the time went names every supplier that held the ticket: the centre's staff only."""
    return can_see_internal(user)


def require_admin(user: User) -> None:
    if user.role_enum is not Role.ADMIN:
        raise Forbidden("Only an administrator may do this.")


def _visible_ticket_statement(user: User) -> Any:
    return select(Ticket).where(Ticket.id == bindparam("ticket_id"), ticket_scope(user, True))


def visible_ticket(sess: Session, user: User, ticket_id: int) -> Ticket:
    stmt, params = scoped_statement("visible_ticket", user, _visible_ticket_statement)
    ticket = sess.scalar(stmt, {**params, "ticket_id": ticket_id})
    if ticket is None:
        raise NotFound(f"No ticket {ticket_id}.")
    return ticket
