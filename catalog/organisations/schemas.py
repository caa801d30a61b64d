from __future__ import annotations

import marshmallow as ma

from catalog.business_id import BusinessIdError, normalise_business_id
from catalog.organisations.models import ORGANISATION_KINDS
from servicedesk.schemas import PageArgs, StrictSchema, UTCDateTimeField


class BusinessIdField(ma.fields.String):
    """A Finnish business ID, normalised, with its check digit validated."""

    def _deserialize(self, value, attr, data, **kwargs):  # type: ignore[no-untyped-def]
        raw = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalise_business_id(raw)
        except BusinessIdError as exc:
            raise ma.ValidationError(str(exc)) from exc


class OrganisationOut(ma.Schema):
    id = ma.fields.Integer()
    business_id = ma.fields.String()
    name = ma.fields.String()
    name_sv = ma.fields.String(allow_none=True)
    kind = ma.fields.String()
    residents = ma.fields.Integer(allow_none=True)
    created_at = UTCDateTimeField()


class OrganisationCreate(StrictSchema):
    business_id = BusinessIdField(required=True)
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    name_sv = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(1, 200)
    )
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(ORGANISATION_KINDS))
    residents = ma.fields.Integer(
        load_default=None, allow_none=True, validate=ma.validate.Range(min=0)
    )


class OrganisationPatch(StrictSchema):
    name = ma.fields.String(validate=ma.validate.Length(1, 200))
    name_sv = ma.fields.String(allow_none=True, validate=ma.validate.Length(1, 200))
    kind = ma.fields.String(validate=ma.validate.OneOf(ORGANISATION_KINDS))
    residents = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(min=0))


class OrganisationListArgs(PageArgs):
    kind = ma.fields.String(validate=ma.validate.OneOf(ORGANISATION_KINDS))
    q = ma.fields.String(validate=ma.validate.Length(1, 100))


class OrganisationPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(OrganisationOut))
    next_cursor = ma.fields.String(allow_none=True)
