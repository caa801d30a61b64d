from __future__ import annotations

import marshmallow as ma

from catalog.agreements.models import AGREEMENT_STATES, INVOICING_PERIODS, PRICE_MODELS
from catalog.promises import LINE_TICKET_TYPES
from catalog.services.models import SERVICE_FAMILIES
from servicedesk.schemas import QueryArgs, StrictSchema, UTCDateTimeField
from servicedesk.tickets.priority import PRIORITIES


class ServiceLine(StrictSchema):
    service_id = ma.fields.Integer(required=True)
    starts_on = ma.fields.Date(
        required=True,
        metadata={
            "description": "The customer's transition plan: the service is served from this date."
        },
    )
    price_model = ma.fields.String(required=True, validate=ma.validate.OneOf(PRICE_MODELS))
    price = ma.fields.Decimal(
        required=True,
        places=2,
        validate=ma.validate.Range(min=0),
        metadata={"description": "Euros, VAT 0 %."},
    )


class PromiseIn(StrictSchema):
    service_id = ma.fields.Integer(load_default=None, allow_none=True)
    family = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.OneOf(SERVICE_FAMILIES)
    )
    priority = ma.fields.String(required=True, validate=ma.validate.OneOf(PRIORITIES))
    response_minutes = ma.fields.Integer(required=True)
    resolution_minutes = ma.fields.Integer(required=True)
    update_minutes = ma.fields.Integer(load_default=None, allow_none=True)
    calendar_id = ma.fields.Integer(required=True, allow_none=True)
    warning_percent = ma.fields.Integer(load_default=80)
    compliance_percent = ma.fields.Decimal(load_default=95, places=2)
    ticket_type = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.OneOf(LINE_TICKET_TYPES),
        metadata={
            "description": "null: the line serves incidents, service requests and change "
            'needs; "feedback": feedback only (feedback without such a line runs no clocks).'
        },
    )


class VersionIn(StrictSchema):
    valid_from = ma.fields.Date(required=True)
    valid_to = ma.fields.Date(load_default=None, allow_none=True)
    renewal_deadline = ma.fields.Date(load_default=None, allow_none=True)
    invoicing_period = ma.fields.String(
        load_default="monthly", validate=ma.validate.OneOf(INVOICING_PERIODS)
    )
    notes = ma.fields.String(load_default="", validate=ma.validate.Length(0, 2000))
    services = ma.fields.List(ma.fields.Nested(ServiceLine), load_default=list)
    promises = ma.fields.List(ma.fields.Nested(PromiseIn), load_default=list)
    state = ma.fields.String(
        load_default="signed",
        validate=ma.validate.OneOf(("draft", "signed")),
        metadata={
            "description": '"signed" (the default): an administrator types in a version in '
            'force. "draft": the start of a renewal, which the customer\'s account manager may '
            "create too; it reaches the gate only once proposed, accepted and signed."
        },
    )


class VersionPatch(StrictSchema):
    valid_from = ma.fields.Date()
    valid_to = ma.fields.Date(allow_none=True)
    renewal_deadline = ma.fields.Date(allow_none=True)
    invoicing_period = ma.fields.String(validate=ma.validate.OneOf(INVOICING_PERIODS))
    notes = ma.fields.String(validate=ma.validate.Length(0, 2000))
    services = ma.fields.List(ma.fields.Nested(ServiceLine))
    promises = ma.fields.List(ma.fields.Nested(PromiseIn))


class ServiceLineOut(ma.Schema):
    service_id = ma.fields.Integer()
    starts_on = ma.fields.Date()
    price_model = ma.fields.String()
    price = ma.fields.Decimal(as_string=True)


class PromiseOut(ma.Schema):
    id = ma.fields.Integer()
    service_id = ma.fields.Integer(allow_none=True)
    family = ma.fields.String(allow_none=True)
    priority = ma.fields.String()
    response_minutes = ma.fields.Integer()
    resolution_minutes = ma.fields.Integer()
    update_minutes = ma.fields.Integer(allow_none=True)
    calendar_id = ma.fields.Integer()
    warning_percent = ma.fields.Integer()
    # places: the default (95) reads "95.00" on creation as on any later read
    compliance_percent = ma.fields.Decimal(as_string=True, places=2)
    ticket_type = ma.fields.String(
        allow_none=True, metadata={"description": "null: every type but feedback; feedback"}
    )


class LapseOut(ma.Schema):
    ends_on = ma.fields.Date()
    days_left = ma.fields.Integer(metadata={"description": "0 on the last day."})


class SuccessorOut(ma.Schema):
    id = ma.fields.Integer()
    version_no = ma.fields.Integer()
    state = ma.fields.String(metadata={"enum": list(AGREEMENT_STATES)})


class VersionOut(ma.Schema):
    id = ma.fields.Integer()
    organisation_id = ma.fields.Integer()
    version_no = ma.fields.Integer()
    state = ma.fields.String(
        metadata={
            "enum": list(AGREEMENT_STATES),
            "description": "draft -> proposed -> signed (-> superseded); only signed and "
            "superseded versions are in force.",
        }
    )
    valid_from = ma.fields.Date()
    valid_to = ma.fields.Date(allow_none=True)
    renewal_deadline = ma.fields.Date(allow_none=True)
    invoicing_period = ma.fields.String()
    notes = ma.fields.String()
    created_at = UTCDateTimeField()
    frozen = ma.fields.Boolean(metadata={"description": "Tickets were received under it."})
    proposed_at = UTCDateTimeField(allow_none=True)
    accepted_at = UTCDateTimeField(
        allow_none=True,
        metadata={"description": "The customer contact's acceptance; a change clears it."},
    )
    accepted_by = ma.fields.String(allow_none=True, metadata={"description": "A name."})
    signed_at = UTCDateTimeField(allow_none=True)
    signed_by = ma.fields.String(allow_none=True, metadata={"description": "A name."})
    lapse = ma.fields.Nested(
        LapseOut,
        allow_none=True,
        metadata={
            "description": "Set on a version in force that ends within 90 days (Helsinki "
            "dates) with no signed successor: it lapses then."
        },
    )
    successor = ma.fields.Nested(
        SuccessorOut,
        allow_none=True,
        metadata={
            "description": "The next version after this one (being negotiated, or signed); "
            "a customer contact does not see drafts."
        },
    )
    services = ma.fields.List(ma.fields.Nested(ServiceLineOut))
    promises = ma.fields.List(ma.fields.Nested(PromiseOut))


class AgreementEventOut(ma.Schema):
    id = ma.fields.Integer()
    at = UTCDateTimeField()
    kind = ma.fields.String(
        metadata={
            "description": "created, drafted, edited, acceptance_cleared, proposed, "
            "returned_to_draft, accepted, signed, superseded, reminder_sent, ..."
        }
    )
    actor = ma.fields.String(allow_none=True, metadata={"description": "A name; null: the system."})
    data = ma.fields.Dict(keys=ma.fields.String())


class EntitlementArgs(QueryArgs):
    service_id = ma.fields.Integer(load_default=None)
    at = UTCDateTimeField(load_default=None)


class EntitlementOut(ma.Schema):
    entitled = ma.fields.Boolean()
    agreement_version_id = ma.fields.Integer(allow_none=True)
    reason = ma.fields.String(allow_none=True)
    message = ma.fields.String(allow_none=True)
    starts_on = ma.fields.Date(allow_none=True)


class AccountManagersIn(StrictSchema):
    user_ids = ma.fields.List(
        ma.fields.Integer(), required=True, validate=ma.validate.Length(max=20)
    )
