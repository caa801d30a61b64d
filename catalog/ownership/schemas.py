from __future__ import annotations

import marshmallow as ma

from servicedesk.schemas import QueryArgs, StrictSchema


class SubscriptionOut(ma.Schema):
    id = ma.fields.Integer()
    organisation_id = ma.fields.Integer()
    subscribed_on = ma.fields.Date()
    shares = ma.fields.Integer()
    price_per_share = ma.fields.Decimal(as_string=True)
    amount = ma.fields.Decimal(as_string=True)
    decision_id = ma.fields.Integer(allow_none=True)
    paid_on = ma.fields.Date(allow_none=True)
    registered_on = ma.fields.Date(allow_none=True)
    redeemed_on = ma.fields.Date(allow_none=True)
    note = ma.fields.String()


class SubscriptionCreate(StrictSchema):
    subscribed_on = ma.fields.Date(required=True)
    shares = ma.fields.Integer(
        load_default=None, allow_none=True, metadata={"description": "Checked: residents, or 1."}
    )
    note = ma.fields.String(load_default="", validate=ma.validate.Length(0, 500))


class SubscriptionPatch(StrictSchema):
    paid_on = ma.fields.Date(allow_none=True)
    registered_on = ma.fields.Date(allow_none=True)
    redeemed_on = ma.fields.Date(allow_none=True)
    note = ma.fields.String(validate=ma.validate.Length(0, 500))


class OwnershipOut(ma.Schema):
    organisation_id = ma.fields.Integer()
    on = ma.fields.Date()
    status = ma.fields.String()
    votes = ma.fields.Integer()
    subscriptions = ma.fields.List(ma.fields.Nested(SubscriptionOut))


class OwnershipArgs(QueryArgs):
    on = ma.fields.Date()


class DecisionIn(StrictSchema):
    decided_on = ma.fields.Date(required=True)
    price_per_share = ma.fields.Decimal(required=True, places=2, validate=ma.validate.Range(min=0))
    votes_for = ma.fields.Integer(required=True, validate=ma.validate.Range(min=0))
    votes_cast = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1))
    applies_from = ma.fields.Date(required=True)
    applies_to = ma.fields.Date(load_default=None, allow_none=True)
    description = ma.fields.String(load_default="", validate=ma.validate.Length(0, 500))


class DecisionOut(DecisionIn):
    class Meta:
        unknown = ma.EXCLUDE

    id = ma.fields.Integer()
    price_per_share = ma.fields.Decimal(as_string=True)
    carried = ma.fields.Boolean()


class RedemptionIn(StrictSchema):
    redeemed_on = ma.fields.Date(
        required=True, metadata={"description": "Votes and entitlement end on this date."}
    )
    reason = ma.fields.String(
        required=True,
        validate=ma.validate.Length(1, 200),
        metadata={"description": "Why it is no longer a municipal actor (kept in the notes)."},
    )
