from __future__ import annotations

import marshmallow as ma

from catalog.services.models import SERVICE_FAMILIES, SERVICE_SUBFAMILIES
from servicedesk.enums import Provider
from servicedesk.schemas import PageArgs, StrictSchema, UTCDateTimeField

_ALL_SUBFAMILIES = sorted({s for subs in SERVICE_SUBFAMILIES.values() for s in subs})


class ServiceOut(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    family = ma.fields.String()
    subfamily = ma.fields.String(allow_none=True)
    provider = ma.fields.String()
    name_fi = ma.fields.String()
    name_sv = ma.fields.String()
    name_en = ma.fields.String()
    description_fi = ma.fields.String()
    description_sv = ma.fields.String()
    description_en = ma.fields.String()
    default_group_id = ma.fields.Integer(allow_none=True)
    supplier_id = ma.fields.Integer(allow_none=True)
    retired_at = UTCDateTimeField(allow_none=True)


class _ServiceFields(StrictSchema):
    supplier_id = ma.fields.Integer(allow_none=True)
    name_fi = ma.fields.String(validate=ma.validate.Length(1, 200))
    name_sv = ma.fields.String(validate=ma.validate.Length(1, 200))
    name_en = ma.fields.String(validate=ma.validate.Length(1, 200))
    description_fi = ma.fields.String(validate=ma.validate.Length(0, 5000))
    description_sv = ma.fields.String(validate=ma.validate.Length(0, 5000))
    description_en = ma.fields.String(validate=ma.validate.Length(0, 5000))
    default_group_id = ma.fields.Integer(allow_none=True)
    subfamily = ma.fields.String(allow_none=True, validate=ma.validate.OneOf(_ALL_SUBFAMILIES))


class ServiceCreate(_ServiceFields):
    code = ma.fields.String(
        required=True, validate=ma.validate.Regexp(r"^[A-Z0-9][A-Z0-9_-]{1,39}$")
    )
    family = ma.fields.String(required=True, validate=ma.validate.OneOf(SERVICE_FAMILIES))
    provider = ma.fields.Enum(Provider, by_value=True, required=True)
    name_fi = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    name_sv = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    name_en = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))


class ServicePatch(_ServiceFields):
    retired = ma.fields.Boolean(metadata={"description": "Retire (true) or bring back (false)."})


class ServiceListArgs(PageArgs):
    family = ma.fields.String(validate=ma.validate.OneOf(SERVICE_FAMILIES))
    provider = ma.fields.Enum(Provider, by_value=True)
    include_retired = ma.fields.Boolean(load_default=False)
    q = ma.fields.String(validate=ma.validate.Length(1, 100))


class ServicePage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ServiceOut))
    next_cursor = ma.fields.String(allow_none=True)
