"""Writes on tickets: create, change, comment. Each change is an event in the same flush.

Operations only add and flush; the request (or CLI command, or scheduler job)
commits once. Pure rules (lifecycle, priority, routing) decide; this module
applies their decisions and records them.
"""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session

from catalog.agreements.queries import entitlement_for, promise_for
from catalog.gate import Refusal
from catalog.groups.models import ResolverGroup, group_members
from catalog.routing import RoutingDecision
from catalog.services.models import Service
from servicedesk.access import is_joint_desk
from servicedesk.db import upsert_insert, utcnow
from servicedesk.enums import CUSTOMER_ROLES, Role
from servicedesk.errors import ApiError, Conflict, Forbidden, ValidationFailed
from servicedesk.escalations.models import Escalation
from servicedesk.notifications import ticket_mail
from servicedesk.tickets import routing
from servicedesk.tickets.lifecycle import (
    NEEDS_OPERATION,
    TERMINAL_STATUSES,
    Actor,
    Status,
    TransitionError,
    allowed_transitions,
    check_transition,
)
from servicedesk.tickets.models import Comment, IdempotencyKey, Ticket, TicketEvent
from servicedesk.tickets.numbers import next_ticket_number
from servicedesk.tickets.priority import priority_for
from servicedesk.users.models import User
from sla import tracking

#: A desk agent may back-date a ticket (a phone call logged later) by at most this much.
MAX_BACKDATE = timedelta(days=30)
#: Fields only the desk may change.
DESK_FIELDS = frozenset(
    {
        "title",
        "description",
        "type",
        "service_id",
        "impact",
        "urgency",
        "priority",
        "priority_reason",
        "group_id",
        "assignee_id",
    }
)


class NotEntitled(Forbidden):
    """The in-house gate refused: 403 `not_entitled` with the reason."""

    code = "not_entitled"

    def __init__(self, refusal: Refusal) -> None:
        details: dict[str, Any] = {"reason": refusal.reason.value}
        if refusal.starts_on is not None:
            details["starts_on"] = refusal.starts_on.isoformat()
        super().__init__(refusal.message, details=details)


def entitled_version(
    sess: Session,
    organisation_id: int,
    service: Service | None,
    received: datetime,
    ticket_type: str | None = None,
) -> int:
    """Run the in-house gate; the id of the agreement version the ticket freezes."""
    result = entitlement_for(sess, organisation_id, service, received, ticket_type)
    if isinstance(result, Refusal):
        raise NotEntitled(result)
    return result.id


class TicketConflict(Conflict):
    """A forbidden status transition: 409 with the allowed statuses."""

    def __init__(self, err: TransitionError) -> None:
        super().__init__(
            str(err)[0].upper() + str(err)[1:] + ".",
            code="invalid_transition",
            details={
                "current": err.current.value,
                "requested": err.wanted.value,
                "allowed": [s.value for s in err.allowed],
            },
        )


@event.listens_for(Session, "before_flush")
def _events_are_append_only(sess: Session, _ctx: Any, _instances: Any) -> None:
    for obj in list(sess.dirty) + list(sess.deleted):
        if isinstance(obj, TicketEvent) and (obj in sess.deleted or sess.is_modified(obj)):
            raise RuntimeError("ticket events are append-only")


def actor_side(user: User) -> Actor:
    return Actor.CUSTOMER if user.role_enum in CUSTOMER_ROLES else Actor.DESK


#: The only ways out of `escalated_to_supplier` by PATCH; the others go through the
#: escalation legs (withdraw, done).
PATCH_OUT_OF_ESCALATION = frozenset({Status.RESOLVED, Status.CANCELLED})


def works_as_account_manager(user: User, ticket: Ticket) -> bool:
    """The account manager a change need or feedback was routed to works it like the desk."""
    return user.role_enum is Role.ACCOUNT_MANAGER and ticket.assignee_id == user.id


def transitions_for(user: User, ticket: Ticket) -> list[str]:
    """Statuses `user` may move the ticket to, in lifecycle order (for the UI)."""
    if user.role_enum not in (*CUSTOMER_ROLES, Role.AGENT, Role.ADMIN) and not (
        works_as_account_manager(user, ticket)
    ):
        return []
    return list(_transitions(ticket.status, actor_side(user)))


@functools.cache
def _transitions(status: str, side: Actor) -> tuple[str, ...]:
    """`transitions_for`'s statuses: a pure function of the status and the side (a list page
    asks it for every row)."""
    allowed = allowed_transitions(Status(status), side)
    if status == Status.ESCALATED_TO_SUPPLIER.value:
        allowed = allowed & PATCH_OUT_OF_ESCALATION  # the rest goes through the legs
    return tuple(s.value for s in Status if s in allowed and s not in NEEDS_OPERATION)


def record(
    sess: Session,
    ticket: Ticket,
    actor: User | None,
    kind: str,
    data: dict[str, Any],
    *,
    internal: bool = False,
    at: datetime | None = None,
) -> TicketEvent:
    ev = TicketEvent(
        ticket_id=ticket.id,
        actor_id=actor.id if actor else None,
        kind=kind,
        data=data,
        internal=internal,
        at=at or utcnow(),
    )
    sess.add(ev)
    return ev


def fingerprint(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details={"fields": {field: [message]}})


def _usable_service(sess: Session, service_id: int) -> Service:
    service = sess.get(Service, service_id)
    if service is None:
        raise _field_error("service_id", f"No service {service_id}.")
    if service.retired_at is not None:
        raise _field_error("service_id", f"Service {service.code} is retired and takes no tickets.")
    return service


def _requester_for(sess: Session, actor: User, requester_id: int | None) -> User:
    role = actor.role_enum
    if role is Role.END_USER:
        if requester_id not in (None, actor.id):
            raise _field_error("requester_id", "You file tickets for yourself.")
        return actor
    if requester_id is None:
        if role is Role.CUSTOMER_CONTACT:
            return actor
        raise _field_error("requester_id", "Say whom the ticket is for (a customer's user).")
    requester = sess.get(User, requester_id)
    ok = (
        requester is not None
        and requester.active
        and requester.role_enum in CUSTOMER_ROLES
        and (
            role is not Role.CUSTOMER_CONTACT or requester.organisation_id == actor.organisation_id
        )
    )
    if not ok or requester is None:
        raise _field_error("requester_id", f"No customer user {requester_id} you may file for.")
    return requester


def create_ticket(
    sess: Session,
    actor: User,
    data: dict[str, Any],
    *,
    idempotency_key: str | None = None,
    via: str | None = None,
) -> tuple[Ticket, bool]:
    """Create a ticket; with an idempotency key a retry returns the first ticket.

    `via` is the channel of an intake path that is not the API (e-mail), set by that
    code path, never by a request body. Returns (ticket, created): created is False for
    a replayed request.
    """
    if actor.role_enum not in (*CUSTOMER_ROLES, Role.AGENT, Role.ADMIN):
        raise Forbidden("Your role does not file tickets.")
    key_id = None
    if idempotency_key is not None:
        key_id = _claim_key(sess, actor, idempotency_key, data)
        if key_id is None:
            found = _replay(sess, actor, idempotency_key, data)
            if found is None:
                raise Conflict(
                    "A request with this Idempotency-Key is still being processed; retry.",
                    code="idempotency_key_in_use",
                )
            return found, False

    ticket = _new_ticket(sess, actor, data, via)
    if key_id is not None:
        sess.execute(
            update(IdempotencyKey).where(IdempotencyKey.id == key_id).values(ticket_id=ticket.id)
        )
    return ticket, True


def _claim_key(sess: Session, actor: User, key: str, data: dict[str, Any]) -> int | None:
    """Take the key for this request; None if it was taken (a retry, or a concurrent request,
    which the database makes this one wait for: its answer is then the first ticket).

    One statement that is both the check and the claim (ON CONFLICT DO NOTHING), so no
    savepoint is needed and a first request pays no extra read.
    """
    stmt = (
        upsert_insert(sess)(IdempotencyKey)
        .values(user_id=actor.id, key=key, fingerprint=fingerprint(data), created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(IdempotencyKey.id)
    )
    return sess.execute(stmt).scalar()


def _replay(sess: Session, actor: User, key: str, data: dict[str, Any]) -> Ticket | None:
    row = sess.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == actor.id, IdempotencyKey.key == key)
    )
    if row is None:
        return None
    if row.fingerprint != fingerprint(data):
        raise ApiError(
            "This Idempotency-Key was used with another request body.",
            status=422,
            code="idempotency_key_reused",
        )
    return sess.get(Ticket, row.ticket_id) if row.ticket_id else None


def _new_ticket(sess: Session, actor: User, data: dict[str, Any], via: str | None = None) -> Ticket:
    desk = actor_side(actor) is Actor.DESK
    requester = _requester_for(sess, actor, data.get("requester_id"))
    service = _usable_service(sess, data["service_id"]) if data.get("service_id") else None
    provider = (
        service.provider
        if service
        else str(data.get("provider") or (actor.provider if desk and actor.provider else "ICT"))
    )
    if actor.role_enum is Role.AGENT and provider != actor.provider and not is_joint_desk(actor):
        raise _field_error(
            "service_id", f"That service belongs to {provider}, not {actor.provider}."
        )
    now = utcnow()
    received = now
    if data.get("received_at") is not None:
        if not desk:
            raise Forbidden("Only the desk records when a ticket really came in.")
        received = data["received_at"]
        if received > now or received < now - MAX_BACKDATE:
            raise _field_error("received_at", "Must lie within the last 30 days and not ahead.")
    version_id = entitled_version(
        sess, requester.organisation_id, service, received, str(data.get("type") or "")
    )
    impact, urgency = str(data["impact"]), str(data["urgency"])
    priority, overridden, reason = priority_for(impact, urgency), False, None
    if "priority" in data:
        if not desk:
            raise Forbidden("Priority comes from impact and urgency; only the desk overrides it.")
        if not data.get("priority_reason"):
            raise _field_error("priority_reason", "Say why the priority differs from the matrix.")
        priority, overridden, reason = data["priority"], True, data["priority_reason"]
    channel = data.get("channel") or "api"
    if not desk and channel not in ("api", "portal"):
        channel = "api"
    if via is not None:
        channel = via
    # Everything is decided before the ticket is written (route, clocks, next due instant),
    # from near-static facts: one INSERT for the ticket, one for its events, one for its clocks.
    ticket = Ticket(
        type=data["type"],
        title=data["title"],
        description=data["description"],
        status=Status.NEW.value,
        impact=impact,
        urgency=urgency,
        priority=priority,
        priority_overridden=overridden,
        priority_reason=reason,
        provider=provider,
        organisation_id=requester.organisation_id,
        requester_id=requester.id,
        service_id=service.id if service else None,
        channel=channel,
        received_at=received,
        created_at=now,
        updated_at=now,
        agreement_version_id=version_id,
    )
    ticket.service = service
    # The answer names them: set, not loaded again after the INSERT.
    ticket.requester = requester
    ticket.organisation = requester.organisation
    decision = _decide(sess, ticket)
    routing.apply_decision(ticket, decision)
    clocks = tracking.clocks_at_receipt(
        sess, promise_for(sess, version_id, service, priority, ticket.type), received
    )
    tracking.set_due(ticket, tracking.next_due(clocks))
    ticket.number = next_ticket_number(sess, received.year)
    sess.add(ticket)
    sess.flush()
    created = {
        "number": ticket.number,
        "type": ticket.type,
        "priority": priority,
        "impact": impact,
        "urgency": urgency,
        "service_id": ticket.service_id,
        "channel": channel,
        "received_at": received.isoformat(),
    }
    # Both events in one statement (an ORM bulk INSERT: nothing reads them back here).
    sess.execute(
        insert(TicketEvent).execution_options(render_nulls=True),
        [
            _event_row(ticket, actor, "created", created, now),
            _event_row(ticket, None, "routed", _route_data(ticket, decision, _UNROUTED), now, True),
        ],
    )
    tracking.on_received(sess, ticket, clocks)
    sess.flush()
    ticket_mail.created(sess, ticket, actor)
    return ticket


#: Where a ticket stands before its first routing decision.
_UNROUTED: dict[str, int | None] = {"group_id": None, "assignee_id": None}


def _event_row(
    ticket: Ticket,
    actor: User | None,
    kind: str,
    data: dict[str, Any],
    at: datetime,
    internal: bool = False,
) -> dict[str, Any]:
    """One event as a row for a bulk INSERT (what `record` adds as an object)."""
    return {
        "ticket_id": ticket.id,
        "actor_id": actor.id if actor else None,
        "kind": kind,
        "data": data,
        "internal": internal,
        "at": at,
    }


def _route_data(
    ticket: Ticket, decision: RoutingDecision, before: dict[str, int | None]
) -> dict[str, Any]:
    """The "routed" event: the decision, the rule that made it, and what it changed."""
    return {
        "route": decision.kind.value,
        "rule_id": decision.rule_id,
        "reason": decision.reason,
        "changes": {k: {"before": v, "after": getattr(ticket, k)} for k, v in before.items()},
    }


def _decide(sess: Session, ticket: Ticket) -> RoutingDecision:
    try:
        return routing.decide_for(sess, ticket)
    except ValueError as exc:
        raise Conflict(f"The ticket cannot be routed: {exc}", code="no_route") from exc


def _route(sess: Session, ticket: Ticket, actor: User | None) -> None:
    decision = _decide(sess, ticket)
    before = {"group_id": ticket.group_id, "assignee_id": ticket.assignee_id}
    routing.apply_decision(ticket, decision)
    record(sess, ticket, actor, "routed", _route_data(ticket, decision, before), internal=True)


def _may_change(actor: User, ticket: Ticket, changes: dict[str, Any]) -> None:
    """Who may change what (PATCH and a reply with a status)."""
    side = actor_side(actor)
    if works_as_account_manager(actor, ticket):
        # A change need or feedback routed to its account manager: they move its status.
        if set(changes) - {"status"}:
            raise Forbidden("An account manager changes only the status of the tickets they own.")
    elif actor.role_enum not in (*CUSTOMER_ROLES, Role.AGENT, Role.ADMIN):
        raise Forbidden("Your role does not change tickets here.")
    if side is Actor.CUSTOMER:
        desk_only = sorted(set(changes) & DESK_FIELDS)
        if desk_only:
            raise Forbidden(
                f"Only the desk changes: {', '.join(desk_only)}.", details={"fields": desk_only}
            )
    if Status(ticket.status) in TERMINAL_STATUSES and set(changes) - {"status"}:
        raise Conflict(
            f"Ticket {ticket.number} is {ticket.status}; it does not change any more.",
            code="ticket_final",
        )


def update_ticket(sess: Session, actor: User, ticket: Ticket, changes: dict[str, Any]) -> Ticket:
    """Apply a PATCH: the desk changes anything, the customer side only the status."""
    side = actor_side(actor)
    _may_change(actor, ticket, changes)
    # Reads first (clocks, cached facts, the open leg), so the change is one flush.
    if set(changes) & _MOVES_CLOCKS:
        tracking.prepare(sess, ticket)
    ends_leg = changes.get("status") in (Status.RESOLVED, Status.CANCELLED)
    leg = open_escalation(sess, ticket) if ends_leg else None
    before = {f: _plain(getattr(ticket, f)) for f in _TRACKED}
    now = utcnow()
    reroute = False
    new_type = str(getattr(changes.get("type"), "value", changes.get("type")) or ticket.type)
    if "service_id" in changes and changes["service_id"] != ticket.service_id:
        service = _usable_service(sess, changes["service_id"]) if changes["service_id"] else None
        entitled_version(sess, ticket.organisation_id, service, ticket.received_at, new_type)
        ticket.service_id = service.id if service else None
        ticket.service = service
        if service is not None:
            ticket.provider = service.provider
        reroute = True
    elif new_type != ticket.type and ticket.service_id is not None:
        # A change need made an incident (say) must pass the gate as one: the service must
        # be in the agreement and started, as for a new incident.
        entitled_version(sess, ticket.organisation_id, ticket.service, ticket.received_at, new_type)
    for field in ("title", "description", "type"):
        if field in changes:
            setattr(ticket, field, changes[field])
    if "type" in changes and changes["type"] != before["type"]:
        reroute = True
    _apply_priority(ticket, changes)
    if "group_id" in changes:
        ticket.group_id = _usable_group(sess, ticket, changes["group_id"])
    if "assignee_id" in changes:
        ticket.assignee_id = _usable_assignee(sess, ticket, changes["assignee_id"])
    if reroute and not ({"group_id", "assignee_id"} & set(changes)):
        _route(sess, ticket, actor)
    wanted = changes.get("status")
    if (
        wanted is None
        and "assignee_id" in changes
        and ticket.assignee_id
        and ticket.status == "new"
    ):
        wanted = Status.ASSIGNED
    if wanted is not None and Status(wanted).value != ticket.status:
        _change_status(ticket, Status(wanted), side, now)

    after = {f: _plain(getattr(ticket, f)) for f in _TRACKED}
    diff = {f: {"before": before[f], "after": after[f]} for f in _TRACKED if before[f] != after[f]}
    if not diff:
        return ticket
    ticket.updated_at = now
    if "assignee_id" in diff:
        sess.flush()
        sess.expire(ticket, ["assignee"])  # the loaded relationship must follow the new id
    record(sess, ticket, actor, "updated", {"changes": diff}, at=now)
    ticket_mail.updated(sess, ticket, actor, diff)
    if "status" in diff:
        if leg is not None and after["status"] in (Status.RESOLVED.value, Status.CANCELLED.value):
            leg.status, leg.ended_at = "closed", now  # the open leg ends with the ticket
        tracking.on_status_change(sess, ticket, before["status"], after["status"], now)
    if {"priority", "service_id", "type"} & set(diff):
        what = next(f for f in ("priority", "service_id", "type") if f in diff)
        why = {"priority": "priority", "service_id": "service", "type": "type"}[what]
        tracking.on_targets_changed(sess, ticket, now, f"{why} changed")
    return ticket


#: The PATCH fields whose change may move the ticket's clocks.
_MOVES_CLOCKS = frozenset(
    {"status", "priority", "impact", "urgency", "service_id", "assignee_id", "type"}
)

_TRACKED = (
    "title",
    "description",
    "type",
    "service_id",
    "provider",
    "impact",
    "urgency",
    "priority",
    "priority_overridden",
    "priority_reason",
    "status",
    "group_id",
    "assignee_id",
)


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def _apply_priority(ticket: Ticket, changes: dict[str, Any]) -> None:
    if "impact" in changes:
        ticket.impact = str(changes["impact"])
    if "urgency" in changes:
        ticket.urgency = str(changes["urgency"])
    if "priority" in changes:
        if not changes.get("priority_reason"):
            raise _field_error("priority_reason", "Say why the priority differs from the matrix.")
        ticket.priority = changes["priority"]
        ticket.priority_overridden = True
        ticket.priority_reason = changes["priority_reason"]
    elif "priority_reason" in changes:
        raise _field_error("priority", "A priority_reason goes with a priority.")
    elif not ticket.priority_overridden:
        ticket.priority = priority_for(ticket.impact, ticket.urgency)


def _usable_group(sess: Session, ticket: Ticket, group_id: int | None) -> int | None:
    if group_id is None:
        return None
    group = sess.get(ResolverGroup, group_id)
    if group is None:
        raise _field_error("group_id", f"No group {group_id}.")
    if group.provider != ticket.provider:
        raise _field_error(
            "group_id",
            f"Group {group.code} works for {group.provider}, the ticket for {ticket.provider}.",
        )
    return group.id


def _usable_assignee(sess: Session, ticket: Ticket, user_id: int | None) -> int | None:
    if user_id is None:
        return None
    user = sess.get(User, user_id)
    ok = (
        user is not None
        and user.active
        and (
            (
                user.role_enum is Role.AGENT
                and (user.provider == ticket.provider or is_joint_desk(user))
            )
            or user.role_enum is Role.ADMIN
            or (
                user.role_enum is Role.ACCOUNT_MANAGER
                and ticket.type in ("change_need", "feedback")
            )
        )
    )
    if not ok or user is None:
        raise _field_error(
            "assignee_id", f"User {user_id} cannot work on {ticket.provider} tickets."
        )
    if ticket.group_id is not None and user.role_enum is Role.AGENT:
        member = sess.scalar(
            select(group_members.c.user_id).where(
                group_members.c.group_id == ticket.group_id, group_members.c.user_id == user.id
            )
        )
        if member is None:
            raise _field_error("assignee_id", f"User {user_id} is not in the ticket's group.")
    return user.id


def _check_status_change(current: Status, wanted: Status, side: Actor) -> None:
    """Refuse a status change the lifecycle, or an operation of its own, must make instead."""
    try:
        check_transition(current, wanted, side)
    except TransitionError as exc:
        raise TicketConflict(exc) from exc
    if current is Status.ESCALATED_TO_SUPPLIER and wanted not in PATCH_OUT_OF_ESCALATION:
        raise Conflict(
            "The ticket is with a supplier: withdraw the escalation, or have the supplier mark "
            "its part done (POST /tickets/{id}/escalations/{leg}/withdraw or /done).",
            code="use_operation",
            details={"requested": wanted.value},
        )
    if wanted in NEEDS_OPERATION:
        raise Conflict(
            f"To make a ticket {wanted.value}, {NEEDS_OPERATION[wanted]}.",
            code="use_operation",
            details={"requested": wanted.value},
        )


def _change_status(ticket: Ticket, wanted: Status, side: Actor, now: datetime) -> None:
    current = Status(ticket.status)
    _check_status_change(current, wanted, side)
    ticket.status = wanted.value
    if wanted is Status.RESOLVED:
        ticket.resolved_at = now
    elif current is Status.RESOLVED and wanted is not Status.CLOSED:
        ticket.resolved_at = None  # reopened
    if wanted in TERMINAL_STATUSES:
        ticket.closed_at = now


def _takes_comments(ticket: Ticket) -> None:
    if Status(ticket.status) in TERMINAL_STATUSES:
        raise Conflict(
            f"Ticket {ticket.number} is {ticket.status}; it takes no more comments.",
            code="ticket_final",
        )


def _is_desk(user: User) -> bool:
    return user.role_enum in (Role.AGENT, Role.ADMIN)


def add_supplier_message(
    sess: Session, actor: User, ticket: Ticket, leg: Escalation, body: str
) -> Comment:
    """A message in `leg`'s supplier thread: between the desk and that supplier only.

    The customer never reads it (the desk may publish it); it is not a public reply, so
    it stops no customer clock. The supplier's message stops its leg's response clock.
    """
    supplier = actor.role_enum is Role.SUPPLIER_AGENT
    if not supplier and not _is_desk(actor):
        raise Forbidden("The supplier thread is between the desk and the supplier.")
    if leg.ticket_id != ticket.id:
        raise _field_error("escalation_id", f"No escalation {leg.id} on this ticket.")
    _takes_comments(ticket)
    now = utcnow()
    if supplier:
        if leg.supplier_id != actor.supplier_id or leg.status != "open":
            raise Conflict(
                "The ticket is not with your organisation now.", code="escalation_closed"
            )
        tracking.on_supplier_public_reply(sess, ticket, leg.id, now)
    comment = Comment(
        ticket_id=ticket.id,
        author_id=actor.id,
        body=body,
        internal=False,
        escalation_id=leg.id,
        created_at=now,
    )
    comment.author = actor
    sess.add(comment)
    sess.flush()
    # Internal: the customer side must not even learn that the supplier wrote.
    record(
        sess,
        ticket,
        actor,
        "commented",
        {"comment_id": comment.id, "internal": False, "escalation_id": leg.id},
        internal=True,
        at=now,
    )
    ticket.updated_at = now
    sess.flush()
    return comment


def publish_supplier_message(
    sess: Session, actor: User, ticket: Ticket, comment: Comment, body: str | None = None
) -> Comment:
    """The desk passes a supplier's message on to the customer: as is, or quoted in its own
    words (`body`). The result is the desk's public reply, so it stops the response clock."""
    if not _is_desk(actor):
        raise Forbidden("Only the desk decides what the customer reads.")
    if comment.ticket_id != ticket.id:
        raise Conflict("That comment is not on this ticket.", code="not_supplier_message")
    if comment.escalation_id is None:
        raise Conflict(
            "Only a message of a supplier thread is published; this one is "
            + ("an internal note." if comment.internal else "public already."),
            code="not_supplier_message",
        )
    published = add_comment(sess, actor, ticket, comment.body if body is None else body, False)
    record(
        sess,
        ticket,
        actor,
        "published",
        {
            "comment_id": published.id,
            "source_comment_id": comment.id,
            "escalation_id": comment.escalation_id,
            "edited": body is not None and body != comment.body,
        },
        internal=True,
        at=published.created_at,
    )
    sess.flush()
    return published


def reply(
    sess: Session,
    actor: User,
    ticket: Ticket,
    body: str,
    internal: bool,
    status: Status | None = None,
) -> Comment:
    """A comment and, with `status`, the status change it goes with ("here is the fix:
    resolved", "which floor are you on? waiting for the customer"), in one transaction.

    The comment is `add_comment`'s, the status change `update_ticket`'s: the same rules
    (who may, which transitions, which need their own operation), clocks and events, in
    that order (a customer's answer first takes a waiting ticket back to the desk). The
    status change is checked before anything is written, so a refused one writes nothing.
    An internal note may carry a status change: the desk resolves with a note of its own.
    """
    if status is None:
        return add_comment(sess, actor, ticket, body, internal)
    if actor.role_enum is Role.SUPPLIER_AGENT:
        raise Forbidden("A supplier works through its leg (done), not the ticket's status.")
    _takes_comments(ticket)
    _may_change(actor, ticket, {"status": status})
    current = Status(ticket.status)
    if _answers_the_question(actor, ticket):
        current = Status.IN_PROGRESS
    if status is not current:
        _check_status_change(current, status, actor_side(actor))
    comment = add_comment(sess, actor, ticket, body, internal)
    # The comment is stored (it has its id); what the status change reads (the open leg)
    # does not depend on the comment's pending changes, so both are written in one flush.
    with sess.no_autoflush:
        update_ticket(sess, actor, ticket, {"status": status})
    sess.flush()
    return comment


def _answers_the_question(actor: User, ticket: Ticket) -> bool:
    """The customer side writes to a ticket waiting for it: the ticket goes back to the desk."""
    return (
        actor_side(actor) is Actor.CUSTOMER and ticket.status == Status.WAITING_FOR_CUSTOMER.value
    )


def add_comment(sess: Session, actor: User, ticket: Ticket, body: str, internal: bool) -> Comment:
    """Comment on a ticket; the requester's answer takes a waiting ticket back to the desk.

    A supplier agent's comment goes to the thread of its open leg, never to the customer.
    """
    side = actor_side(actor)
    supplier = actor.role_enum is Role.SUPPLIER_AGENT
    if not supplier and actor.role_enum not in (
        *CUSTOMER_ROLES,
        Role.AGENT,
        Role.ADMIN,
        Role.ACCOUNT_MANAGER,
    ):
        raise Forbidden("Your role does not comment here.")
    if internal and (side is Actor.CUSTOMER or supplier):
        raise Forbidden("Internal notes are for the desk.")
    _takes_comments(ticket)
    if supplier:
        leg = open_escalation(sess, ticket)
        if leg is None or leg.supplier_id != actor.supplier_id:
            raise Conflict(
                "The ticket is not with your organisation now.", code="escalation_closed"
            )
        return add_supplier_message(sess, actor, ticket, leg, body)
    tracking.prepare(sess, ticket)  # reads first: the comment's changes are one flush
    now = utcnow()
    comment = Comment(
        ticket_id=ticket.id, author_id=actor.id, body=body, internal=internal, created_at=now
    )
    comment.author = actor
    sess.add(comment)
    sess.flush()
    record(
        sess,
        ticket,
        actor,
        "commented",
        {"comment_id": comment.id, "internal": internal},
        internal=internal,
        at=now,
    )
    if _answers_the_question(actor, ticket):
        ticket.status = Status.IN_PROGRESS.value
        record(
            sess,
            ticket,
            actor,
            "updated",
            {
                "changes": {
                    "status": {
                        "before": Status.WAITING_FOR_CUSTOMER.value,
                        "after": Status.IN_PROGRESS.value,
                    }
                },
                "reason": "the customer answered",
            },
            at=now,
        )
        tracking.on_status_change(
            sess, ticket, Status.WAITING_FOR_CUSTOMER.value, Status.IN_PROGRESS.value, now
        )
    if not internal:
        if actor.role_enum in (Role.AGENT, Role.ADMIN, Role.ACCOUNT_MANAGER):
            tracking.on_desk_public_reply(sess, ticket, now)
        elif actor.id == ticket.requester_id or side is Actor.CUSTOMER:
            tracking.on_requester_comment(sess, ticket, now)
    ticket.updated_at = now
    ticket_mail.commented(sess, ticket, comment, actor)
    return comment


def system_close(sess: Session, ticket: Ticket, now: datetime, reason: str) -> None:
    """The scheduler closes a resolved ticket after its grace period."""
    before = ticket.status
    try:
        check_transition(Status(before), Status.CLOSED, Actor.SYSTEM)
    except TransitionError as exc:
        raise TicketConflict(exc) from exc
    ticket.status = Status.CLOSED.value
    ticket.closed_at = now
    ticket.updated_at = now
    sess.flush()
    record(
        sess,
        ticket,
        None,
        "updated",
        {"changes": {"status": {"before": before, "after": Status.CLOSED.value}}, "reason": reason},
        at=now,
    )
    tracking.on_status_change(sess, ticket, before, Status.CLOSED.value, now)
    ticket_mail.updated(sess, ticket, None, {"status": {"before": before, "after": "closed"}})


def open_escalation(sess: Session, ticket: Ticket) -> Escalation | None:
    return sess.scalar(
        select(Escalation).where(Escalation.ticket_id == ticket.id, Escalation.status == "open")
    )
