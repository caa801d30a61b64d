"""What each role may see. Every query an end user or supplier can reach goes through here.

A foreign id is a 404: callers load with these scopes and never learn that a
record they may not see exists.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, select, true
from sqlalchemy.orm import Session

from catalog.organisations.models import Organisation, organisation_account_managers
from servicedesk.enums import STAFF_ROLES, Role
from servicedesk.errors import Forbidden, NotFound
from servicedesk.escalations.models import Escalation
from servicedesk.tickets.lifecycle import TERMINAL_STATUSES, Status
from servicedesk.tickets.models import Ticket, TicketEvent
from servicedesk.users.models import JOINT_DESK, User


def managed_organisation_ids(user: User):
    """Subquery of the organisations an account manager looks after."""
    return select(organisation_account_managers.c.organisation_id).where(
        organisation_account_managers.c.user_id == user.id
    )


def is_joint_desk(user: User) -> bool:
    """An agent of the joint first line: works on ICT and THH tickets alike."""
    return user.role_enum is Role.AGENT and user.desk == JOINT_DESK


def joint_desk_scope(user: User) -> ColumnElement[bool]:
    """The joint first line's tickets: its own provider's, either provider's untaken ones
    (new or unassigned, not closed or cancelled), and every ticket it acted on, so that a
    ticket it moved across providers stays in its sight."""
    untaken = (Ticket.status == Status.NEW.value) | Ticket.assignee_id.is_(None)
    acted_on = exists().where(TicketEvent.ticket_id == Ticket.id, TicketEvent.actor_id == user.id)
    return (
        (Ticket.provider == user.provider)
        | (untaken & Ticket.status.not_in([s.value for s in TERMINAL_STATUSES]))
        | acted_on
    )


def ticket_scope(user: User) -> ColumnElement[bool]:
    """The tickets `user` may see, as a WHERE condition."""
    role = user.role_enum
    if role is Role.ADMIN:
        return true()
    if is_joint_desk(user):
        return joint_desk_scope(user)
    if role is Role.AGENT:
        return Ticket.provider == user.provider if user.provider else false()
    if role is Role.CUSTOMER_CONTACT:
        return Ticket.organisation_id == user.organisation_id
    if role is Role.END_USER:
        return (Ticket.requester_id == user.id) & (Ticket.organisation_id == user.organisation_id)
    if role is Role.ACCOUNT_MANAGER:
        return Ticket.organisation_id.in_(managed_organisation_ids(user))
    if role is Role.SUPPLIER_AGENT and user.supplier_id is not None:
        # Only tickets escalated to their supplier (any leg of theirs, open or ended).
        return exists().where(
            Escalation.ticket_id == Ticket.id, Escalation.supplier_id == user.supplier_id
        )
    return false()


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


def clock_scope(user: User) -> ColumnElement[bool]:
    """The SLA clocks `user` may see, as a WHERE condition on SlaClock.

    The supplier leg is between the desk and its supplier: the centre's staff see every
    clock; a supplier agent the customer's clocks and their own supplier's legs, never
    another supplier's; the customer side only the customer's clocks.
    """
    from sla.models import SlaClock

    if can_see_internal(user):
        return true()
    if user.role_enum is not Role.SUPPLIER_AGENT:
        return SlaClock.leg == 0
    own_legs = select(Escalation.id).where(Escalation.supplier_id == user.supplier_id)
    return (SlaClock.leg == 0) | SlaClock.leg.in_(own_legs)


def sees_time_split(user: User) -> bool:
    """Where the time went names every supplier that held the ticket: the centre's staff only."""
    return can_see_internal(user)


def require_admin(user: User) -> None:
    if user.role_enum is not Role.ADMIN:
        raise Forbidden("Only an administrator may do this.")


def visible_ticket(sess: Session, user: User, ticket_id: int) -> Ticket:
    ticket = sess.scalar(select(Ticket).where(Ticket.id == ticket_id, ticket_scope(user)))
    if ticket is None:
        raise NotFound(f"No ticket {ticket_id}.")
    return ticket
