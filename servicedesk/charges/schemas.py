"""The statement's API shapes: money and quantities as decimal strings ("1234.50")."""

from __future__ import annotations

import re

import marshmallow as ma

from servicedesk.schemas import QueryArgs

PERIOD_PATTERN = r"^[0-9]{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$"


class StatementArgs(QueryArgs):
    period = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(
            re.compile(PERIOD_PATTERN),
            error="A month (2026-11), a quarter (2026-Q4) or a year (2026).",
        ),
        metadata={
            "description": "The invoicing period: a month (2026-11), a quarter (2026-Q4) or "
            "a year (2026), in Helsinki days.",
            "example": "2026-11",
        },
    )


def _money(**kw: object) -> ma.fields.Decimal:
    return ma.fields.Decimal(as_string=True, **kw)


class StatementVersionOut(ma.Schema):
    id = ma.fields.Integer()
    version_no = ma.fields.Integer()
    valid_from = ma.fields.Date()
    valid_to = ma.fields.Date(allow_none=True)
    invoicing_period = ma.fields.String()


class StatementLineOut(ma.Schema):
    agreement_version_id = ma.fields.Integer()
    version_no = ma.fields.Integer()
    service_id = ma.fields.Integer()
    service_code = ma.fields.String()
    price_model = ma.fields.String()
    unit = ma.fields.String(metadata={"description": "ticket, user_month, month or hour"})
    unit_price = _money()
    quantity = _money(
        metadata={"description": "Hours are shown to 4 decimals; priced from `minutes`."}
    )
    amount = _money(metadata={"description": "unit_price x quantity, half-up to cents"})
    covers_from = ma.fields.Date(allow_none=True)
    covers_to = ma.fields.Date(allow_none=True)
    months = ma.fields.List(ma.fields.String(), metadata={"description": "YYYY-MM charged"})
    ticket_ids = ma.fields.List(ma.fields.Integer())
    user_ids = ma.fields.List(
        ma.fields.Integer(),
        metadata={"description": "per_user_month: every account counted in some month"},
    )
    users_per_month = ma.fields.List(
        ma.fields.Integer(),
        metadata={"description": "per_user_month: the accounts counted in each of `months`"},
    )
    time_entry_ids = ma.fields.List(ma.fields.Integer())
    minutes = ma.fields.Integer()


class StatementOut(ma.Schema):
    organisation_id = ma.fields.Integer()
    period = ma.fields.String(attribute="period.label")
    starts_on = ma.fields.Date(attribute="period.starts_on")
    ends_on = ma.fields.Date(attribute="period.ends_on")
    currency = ma.fields.String()
    rounding = ma.fields.String()
    versions = ma.fields.List(ma.fields.Nested(StatementVersionOut))
    lines = ma.fields.List(ma.fields.Nested(StatementLineOut))
    total = _money(metadata={"description": "The exact sum of the lines' amounts."})
