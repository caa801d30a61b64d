from __future__ import annotations

import marshmallow as ma

from servicedesk.enums import Locale
from servicedesk.schemas import StrictSchema, UTCDateTimeField

_title = ma.validate.Length(1, 200)
_body = ma.validate.Length(1, 20000)


class CannedReplyOut(ma.Schema):
    id = ma.fields.Integer()
    group_id = ma.fields.Integer(allow_none=True)
    title = ma.fields.String()
    body = ma.fields.String()
    locale = ma.fields.String(allow_none=True)
    active = ma.fields.Boolean()
    created_at = UTCDateTimeField()


class CannedReplyCreate(StrictSchema):
    group_id = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        metadata={"description": "The resolver group whose agents use it; null: everyone."},
    )
    title = ma.fields.String(required=True, validate=_title)
    body = ma.fields.String(
        required=True,
        validate=_body,
        metadata={
            "description": "Placeholders: {requester_name}, {ticket_number}, {ticket_title}, "
            "{agent_name}, {service_name}."
        },
    )
    locale = ma.fields.Enum(Locale, by_value=True, load_default=None, allow_none=True)
    active = ma.fields.Boolean(load_default=True)


class CannedReplyPatch(StrictSchema):
    group_id = ma.fields.Integer(allow_none=True)
    title = ma.fields.String(validate=_title)
    body = ma.fields.String(validate=_body)
    locale = ma.fields.Enum(Locale, by_value=True, allow_none=True)
    active = ma.fields.Boolean()


class RenderedOut(ma.Schema):
    body = ma.fields.String()
