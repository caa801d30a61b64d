"""The what-if API's shapes: its arguments, and the comparison as JSON (percentages and
money as decimal strings)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from servicedesk.schemas import QueryArgs

OUTCOME_HELP = (
    "met, breached, open (running or paused, not breached), cancelled, or no_promise "
    "(no clock of the kind)"
)


class WhatIfArgs(QueryArgs):
    months = ma.fields.Integer(
        load_default=12,
        validate=ma.validate.Range(1, 24),
        metadata={"description": "How many months of tickets to replay (1-24, default 12)."},
    )
    until = ma.fields.Date(
        metadata={"description": "The window's last Helsinki day, included (default today)."}
    )


def _percent(**kw: Any) -> ma.fields.Decimal:
    return ma.fields.Decimal(as_string=True, allow_none=True, **kw)


class TallyOut(ma.Schema):
    met = ma.fields.Integer()
    breached = ma.fields.Integer()
    compliance_percent = _percent(attribute="percent")


class LineOut(ma.Schema):
    line_id = ma.fields.Function(lambda row: row.line.id if row.line else None)
    scope = ma.fields.Function(lambda row: row.line.scope if row.line else "no promise")
    service_id = ma.fields.Function(lambda row: row.line.service_id if row.line else None)
    family = ma.fields.Function(lambda row: row.line.family if row.line else None)
    priority = ma.fields.Function(lambda row: row.line.priority if row.line else None)
    ticket_type = ma.fields.Function(lambda row: row.line.ticket_type if row.line else None)
    kind = ma.fields.String()
    target_minutes = ma.fields.Function(
        lambda row: (
            None
            if row.line is None
            else row.line.response_minutes
            if row.kind == "response"
            else row.line.resolution_minutes
        )
    )
    compliance_target_percent = ma.fields.Function(
        lambda row: None if row.line is None else str(row.line.compliance_percent)
    )
    actual = ma.fields.Nested(TallyOut)
    replayed = ma.fields.Nested(TallyOut)


class ChangeOut(ma.Schema):
    ticket_id = ma.fields.Integer()
    number = ma.fields.String()
    title = ma.fields.String()
    kind = ma.fields.String()
    actual = ma.fields.String(metadata={"description": OUTCOME_HELP})
    replayed = ma.fields.String(metadata={"description": OUTCOME_HELP})


class ChargeLineOut(ma.Schema):
    agreement_version_id = ma.fields.Integer()
    service_id = ma.fields.Integer()
    service_code = ma.fields.String()
    price_model = ma.fields.String()
    unit = ma.fields.String()
    unit_price = ma.fields.Decimal(as_string=True)
    quantity = ma.fields.Decimal(as_string=True)
    amount = ma.fields.Decimal(as_string=True)


class ChargesOut(ma.Schema):
    total = ma.fields.Decimal(as_string=True)
    currency = ma.fields.String()
    lines = ma.fields.List(ma.fields.Nested(ChargeLineOut))


class WhatIfOut(ma.Schema):
    agreement_version_id = ma.fields.Integer()
    organisation_id = ma.fields.Integer()
    first_day = ma.fields.Date()
    last_day = ma.fields.Date()
    tickets = ma.fields.Integer(metadata={"description": "Tickets received in the window"})
    lines = ma.fields.List(ma.fields.Nested(LineOut))
    changes = ma.fields.List(ma.fields.Nested(ChangeOut))
    actual_charges = ma.fields.Nested(ChargesOut)
    replayed_charges = ma.fields.Nested(ChargesOut)
    charges_difference = ma.fields.Decimal(as_string=True)
