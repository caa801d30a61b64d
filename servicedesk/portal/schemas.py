"""The portal's service list as the API answers it (`GET /portal/services`)."""

from __future__ import annotations

import marshmallow as ma

from servicedesk.tickets.schemas import ServiceRef


class RefusalOut(ma.Schema):
    reason = ma.fields.String(
        metadata={"description": "not_owner, shares_not_registered or no_agreement."}
    )
    message = ma.fields.String()
    starts_on = ma.fields.Date(allow_none=True)


class OfferOut(ma.Schema):
    service = ma.fields.Nested(ServiceRef)
    available = ma.fields.Boolean(
        metadata={"description": "Incidents and service requests may be filed for it today."}
    )
    starts_on = ma.fields.Date(
        allow_none=True, metadata={"description": "The agreement starts the service later."}
    )
    reason = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "Why not available: service_not_in_agreement or service_not_started."
        },
    )
    types = ma.fields.List(
        ma.fields.String(),
        metadata={
            "description": "The ticket types accepted for it today (change needs and "
            "feedback for any service)."
        },
    )


class OffersOut(ma.Schema):
    refusal = ma.fields.Nested(RefusalOut, allow_none=True)
    services = ma.fields.List(ma.fields.Nested(OfferOut))
