from __future__ import annotations

import marshmallow as ma

from servicedesk.enums import Locale, Provider, Role
from servicedesk.schemas import PageArgs, StrictSchema, UTCDateTimeField
from servicedesk.users.models import JOINT_DESK
from servicedesk.users.passwords import MIN_PASSWORD_LENGTH

_desk = ma.validate.OneOf([JOINT_DESK])


class TokenRequest(StrictSchema):
    email = ma.fields.Email(required=True)
    password = ma.fields.String(required=True, validate=ma.validate.Length(1, 1000))
    name = ma.fields.String(load_default="", validate=ma.validate.Length(0, 100))


class TokenCreated(ma.Schema):
    id = ma.fields.Integer()
    token = ma.fields.String(metadata={"description": "Shown once; store it safely."})
    prefix = ma.fields.String()
    expires_at = UTCDateTimeField(allow_none=True)


class TokenInfo(ma.Schema):
    id = ma.fields.Integer()
    prefix = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String(metadata={"description": "personal or service"})
    created_at = UTCDateTimeField()
    last_used_at = UTCDateTimeField(allow_none=True)
    expires_at = UTCDateTimeField(allow_none=True)
    current = ma.fields.Boolean()


class UserOut(ma.Schema):
    id = ma.fields.Integer()
    email = ma.fields.String()
    name = ma.fields.String()
    role = ma.fields.String()
    organisation_id = ma.fields.Integer(allow_none=True)
    provider = ma.fields.String(allow_none=True)
    supplier_id = ma.fields.Integer(allow_none=True)
    desk = ma.fields.String(
        allow_none=True, metadata={"description": "'joint': the joint first line of ICT and THH."}
    )
    locale = ma.fields.String()
    active = ma.fields.Boolean()


class MeOut(UserOut):
    group_ids = ma.fields.List(ma.fields.Integer())
    managed_organisation_ids = ma.fields.List(ma.fields.Integer())


class UserCreate(StrictSchema):
    email = ma.fields.Email(required=True)
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    role = ma.fields.Enum(Role, by_value=True, required=True)
    organisation_id = ma.fields.Integer(load_default=None, allow_none=True)
    provider = ma.fields.Enum(Provider, by_value=True, load_default=None, allow_none=True)
    supplier_id = ma.fields.Integer(load_default=None, allow_none=True)
    desk = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=_desk,
        metadata={"description": "Agents only: 'joint' works on both providers' tickets."},
    )
    locale = ma.fields.Enum(Locale, by_value=True, load_default=Locale.FI)
    password = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(MIN_PASSWORD_LENGTH, 1000),
    )


class UserPatch(StrictSchema):
    name = ma.fields.String(validate=ma.validate.Length(1, 200))
    role = ma.fields.Enum(Role, by_value=True)
    organisation_id = ma.fields.Integer(allow_none=True)
    provider = ma.fields.Enum(Provider, by_value=True, allow_none=True)
    supplier_id = ma.fields.Integer(allow_none=True)
    desk = ma.fields.String(allow_none=True, validate=_desk)
    locale = ma.fields.Enum(Locale, by_value=True)
    active = ma.fields.Boolean()
    password = ma.fields.String(validate=ma.validate.Length(MIN_PASSWORD_LENGTH, 1000))


class UserListArgs(PageArgs):
    role = ma.fields.Enum(Role, by_value=True)
    organisation_id = ma.fields.Integer()
    q = ma.fields.String(validate=ma.validate.Length(1, 100))


class UserPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(UserOut))
    next_cursor = ma.fields.String(allow_none=True)
