from __future__ import annotations

import marshmallow as ma

from servicedesk.enums import Provider
from servicedesk.schemas import StrictSchema


class GroupOut(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    provider = ma.fields.String()
    is_triage = ma.fields.Boolean()
    email = ma.fields.String(allow_none=True)
    member_ids = ma.fields.List(ma.fields.Integer())


class GroupCreate(StrictSchema):
    code = ma.fields.String(
        required=True, validate=ma.validate.Regexp(r"^[A-Z0-9][A-Z0-9_-]{1,39}$")
    )
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    provider = ma.fields.Enum(Provider, by_value=True, required=True)
    is_triage = ma.fields.Boolean(load_default=False)
    email = ma.fields.Email(load_default=None, allow_none=True)


class GroupPatch(StrictSchema):
    name = ma.fields.String(validate=ma.validate.Length(1, 200))
    is_triage = ma.fields.Boolean()
    email = ma.fields.Email(allow_none=True)


class MembersIn(StrictSchema):
    user_ids = ma.fields.List(
        ma.fields.Integer(), required=True, validate=ma.validate.Length(max=500)
    )
