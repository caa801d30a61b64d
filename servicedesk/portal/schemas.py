"""The portal's service list: what an organisation may file today, service by service."""

from __future__ import annotations

import marshmallow as ma

from servicedesk.schemas import QueryArgs


class ServicesArgs(QueryArgs):
    organisation_id = ma.fields.Integer(
        load_default=None,
        metadata={
            "description": "The desk (agents, admins, account managers) asks for this "
            "organisation; the customer side always gets its own."
        },
    )


class PortalService(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name_fi = ma.fields.String()
    name_sv = ma.fields.String()
    name_en = ma.fields.String()
    provider = ma.fields.String(metadata={"description": "ICT | THH"})
    family = ma.fields.String()
    description_fi = ma.fields.String()
    description_sv = ma.fields.String()
    description_en = ma.fields.String()


class OfferOut(ma.Schema):
    service = ma.fields.Nested(PortalService)
    available = ma.fields.Boolean(
        metadata={"description": "Incidents and service requests may be filed now."}
    )
    starts_on = ma.fields.Date(
        allow_none=True, metadata={"description": "The agreement starts the service later."}
    )
    reason = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "Why not available: service_not_in_agreement | service_not_started."
        },
    )
    always_accepted_types = ma.fields.List(
        ma.fields.String(),
        metadata={"description": "Types filed for this service whatever `available` says."},
    )


class RefusalOut(ma.Schema):
    reason = ma.fields.String(
        metadata={"description": "not_owner | shares_not_registered | no_agreement"}
    )
    message = ma.fields.String(metadata={"description": "The reason in words (English)."})


class ServicesOut(ma.Schema):
    refusal = ma.fields.Nested(
        RefusalOut,
        allow_none=True,
        metadata={"description": "Set when the organisation may file nothing at all."},
    )
    items = ma.fields.List(ma.fields.Nested(OfferOut))
