from __future__ import annotations

import marshmallow as ma

from servicedesk.enums import Provider
from servicedesk.schemas import PageArgs, StrictSchema, UTCDateTimeField
from servicedesk.tickets.lifecycle import Status
from servicedesk.tickets.priority import PRIORITIES, Level

TICKET_TYPES = ("incident", "service_request", "change_need", "feedback")
CHANNELS = ("portal", "api", "email", "phone", "import")
SORTS = (
    "-received_at",
    "received_at",
    "-updated_at",
    "updated_at",
    "priority",
    "-priority",
    "sla_due",
)
SLA_STATES = ("running", "at_risk", "breached", "paused", "met", "was_breached")

_title = ma.validate.Length(1, 200)
_text = ma.validate.Length(1, 20000)


class Named(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class ServiceRef(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name_fi = ma.fields.String()
    name_sv = ma.fields.String()
    name_en = ma.fields.String()


class TicketOut(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.String()
    type = ma.fields.String()
    title = ma.fields.String()
    description = ma.fields.String()
    status = ma.fields.String()
    impact = ma.fields.String()
    urgency = ma.fields.String()
    priority = ma.fields.String()
    priority_overridden = ma.fields.Boolean()
    priority_reason = ma.fields.String(allow_none=True)
    provider = ma.fields.String()
    organisation = ma.fields.Nested(Named)
    requester = ma.fields.Nested(Named)
    service = ma.fields.Nested(ServiceRef, allow_none=True)
    group_id = ma.fields.Integer(allow_none=True)
    assignee = ma.fields.Nested(Named, allow_none=True)
    channel = ma.fields.String()
    received_at = UTCDateTimeField()
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()
    resolved_at = UTCDateTimeField(allow_none=True)
    closed_at = UTCDateTimeField(allow_none=True)
    rating = ma.fields.Integer(
        allow_none=True, metadata={"description": "The requester's rating, 1-5, once resolved."}
    )
    rating_comment = ma.fields.String(allow_none=True)
    rated_at = UTCDateTimeField(allow_none=True)
    version = ma.fields.Integer()
    sla = ma.fields.Nested(lambda: TicketSla())
    allowed_transitions = ma.fields.List(
        ma.fields.String(), metadata={"description": "Statuses the caller may move it to."}
    )


class ClockSummary(ma.Schema):
    kind = ma.fields.String()
    cycle = ma.fields.Integer()
    leg = ma.fields.Integer()
    state = ma.fields.String(
        metadata={
            "description": " | ".join(
                ("running", "at_risk", "paused", "met", "breached", "cancelled")
            )
        }
    )
    target_minutes = ma.fields.Integer()
    elapsed_seconds = ma.fields.Integer()
    remaining_minutes = ma.fields.Integer(metadata={"description": "Business minutes left."})
    due_at = UTCDateTimeField(allow_none=True)
    warning_at = UTCDateTimeField(allow_none=True)
    breach_at = UTCDateTimeField(allow_none=True)
    stopped_at = UTCDateTimeField(allow_none=True)


class TicketSla(ma.Schema):
    no_promise = ma.fields.Boolean(
        metadata={"description": "The agreement has no promise for this service and priority."}
    )
    clocks = ma.fields.List(ma.fields.Nested(ClockSummary))
    time_split = ma.fields.Dict(
        allow_none=True,
        metadata={
            "description": (
                "Single-ticket answers: the resolution clock's business time split into desk, "
                "supplier and customer (see GET /tickets/{id}/sla)."
            )
        },
    )


class TicketCreate(StrictSchema):
    type = ma.fields.String(load_default="incident", validate=ma.validate.OneOf(TICKET_TYPES))
    title = ma.fields.String(required=True, validate=_title)
    description = ma.fields.String(required=True, validate=_text)
    service_id = ma.fields.Integer(load_default=None, allow_none=True)
    provider = ma.fields.Enum(
        Provider,
        by_value=True,
        load_default=None,
        allow_none=True,
        metadata={"description": "For a ticket without a service."},
    )
    impact = ma.fields.Enum(Level, by_value=True, load_default=Level.MEDIUM)
    urgency = ma.fields.Enum(Level, by_value=True, load_default=Level.MEDIUM)
    requester_id = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        metadata={"description": "Desk and customer contacts: file for someone else."},
    )
    channel = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.OneOf(CHANNELS)
    )
    received_at = UTCDateTimeField(
        load_default=None,
        allow_none=True,
        metadata={"description": "Desk only: when a phone call or e-mail really came in."},
    )
    priority = ma.fields.String(validate=ma.validate.OneOf(PRIORITIES))
    priority_reason = ma.fields.String(validate=ma.validate.Length(1, 500))


class TicketPatch(StrictSchema):
    title = ma.fields.String(validate=_title)
    description = ma.fields.String(validate=_text)
    type = ma.fields.String(validate=ma.validate.OneOf(TICKET_TYPES))
    service_id = ma.fields.Integer(allow_none=True)
    impact = ma.fields.Enum(Level, by_value=True)
    urgency = ma.fields.Enum(Level, by_value=True)
    priority = ma.fields.String(validate=ma.validate.OneOf(PRIORITIES))
    priority_reason = ma.fields.String(validate=ma.validate.Length(1, 500))
    status = ma.fields.Enum(Status, by_value=True)
    group_id = ma.fields.Integer(allow_none=True)
    assignee_id = ma.fields.Integer(allow_none=True)


class TicketListArgs(PageArgs):
    status = ma.fields.List(ma.fields.Enum(Status, by_value=True))
    priority = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(PRIORITIES)))
    type = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(TICKET_TYPES)))
    provider = ma.fields.Enum(Provider, by_value=True)
    organisation_id = ma.fields.Integer()
    service_id = ma.fields.Integer()
    group_id = ma.fields.Integer()
    assignee_id = ma.fields.Integer()
    unassigned = ma.fields.Boolean()
    requester_id = ma.fields.Integer()
    q = ma.fields.String(
        validate=ma.validate.Length(1, 200),
        metadata={"description": "Words in the title or the number."},
    )
    received_after = UTCDateTimeField()
    received_before = UTCDateTimeField()
    sla_state = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(SLA_STATES)),
        metadata={
            "description": (
                "Tickets with a clock in any of these states now. breached: open tickets "
                "(not resolved, closed or cancelled) with a breached clock, the queue's "
                "question; was_breached: any ticket whose clock breached, open or not "
                "(the history)."
            )
        },
    )
    sort = ma.fields.String(
        load_default="-received_at",
        validate=ma.validate.OneOf(SORTS),
        metadata={"description": "sla_due: soonest due running clock first (time to breach)."},
    )


class TicketPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(TicketOut))
    next_cursor = ma.fields.String(allow_none=True)


class CommentIn(StrictSchema):
    body = ma.fields.String(required=True, validate=_text)
    internal = ma.fields.Boolean(
        load_default=False, metadata={"description": "An internal note (desk only)."}
    )
    escalation_id = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Desk only: write to that leg's supplier thread (not public). "
            "A supplier agent's comment always goes to its open leg's thread."
        },
    )
    status = ma.fields.Enum(
        Status,
        by_value=True,
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Change the ticket's status with the comment, in one request and "
            "one transaction (reply and resolve; ask and wait for the customer): the same "
            "rules as PATCH's status (who may, which transitions, 409 otherwise), applied "
            "after the comment; a refused status stores no comment. The desk may resolve "
            "with an internal note. Not with escalation_id, not for supplier agents."
        },
    )


class PublishIn(StrictSchema):
    body = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=_text,
        metadata={"description": "The text the customer reads; default: the message as is."},
    )


class CommentOut(ma.Schema):
    id = ma.fields.Integer()
    ticket_id = ma.fields.Integer()
    author = ma.fields.Nested(Named)
    body = ma.fields.String()
    internal = ma.fields.Boolean()
    escalation_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "The supplier leg whose thread it is in."}
    )
    thread = ma.fields.String(metadata={"description": "public | internal | supplier"})
    created_at = UTCDateTimeField()


class EventOut(ma.Schema):
    id = ma.fields.Integer()
    at = UTCDateTimeField()
    kind = ma.fields.String()
    actor = ma.fields.Nested(Named, allow_none=True)
    data = ma.fields.Dict()
