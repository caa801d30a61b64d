"""The public answer as JSON: percentages and prices as decimal strings, instants in UTC,
suppressed figures as null beside `suppressed: true`."""

from __future__ import annotations

import marshmallow as ma

from servicedesk.public.report import DEFAULT_MONTHS, MAX_MONTHS
from servicedesk.schemas import QueryArgs, UTCDateTimeField


class PublicServiceLevelArgs(QueryArgs):
    months = ma.fields.Integer(
        load_default=DEFAULT_MONTHS,
        validate=ma.validate.Range(1, MAX_MONTHS),
        metadata={
            "description": (
                f"How many whole Helsinki months before the current one to show (1-{MAX_MONTHS},"
                f" default {DEFAULT_MONTHS}); the current month is always shown too."
            )
        },
    )


class PublicPriceOut(ma.Schema):
    price_model = ma.fields.String(
        metadata={"description": "per_ticket, per_user_month, fixed_month or per_expert_hour"}
    )
    low = ma.fields.Decimal(as_string=True, metadata={"description": "Lowest price in force"})
    high = ma.fields.Decimal(as_string=True, metadata={"description": "Highest price in force"})


class PublicServiceOut(ma.Schema):
    code = ma.fields.String()
    name_fi = ma.fields.String()
    name_sv = ma.fields.String()
    name_en = ma.fields.String()
    family = ma.fields.String()
    subfamily = ma.fields.String(allow_none=True)
    provider = ma.fields.String()
    prices = ma.fields.List(ma.fields.Nested(PublicPriceOut))


class PublicCellOut(ma.Schema):
    suppressed = ma.fields.Boolean(
        metadata={"description": "Fewer than `minimum_count` clocks: no figures are shown."}
    )
    met = ma.fields.Integer(allow_none=True)
    breached = ma.fields.Integer(allow_none=True)
    clocks = ma.fields.Integer(allow_none=True)
    compliance_percent = ma.fields.Decimal(as_string=True, allow_none=True)


class PublicMonthOut(ma.Schema):
    month = ma.fields.String(metadata={"description": "YYYY-MM, Helsinki time"})
    partial = ma.fields.Boolean(metadata={"description": "The current, unfinished month"})
    received = ma.fields.Integer(
        allow_none=True, metadata={"description": "Tickets received; null when under the minimum"}
    )
    response = ma.fields.Nested(PublicCellOut)
    resolution = ma.fields.Nested(PublicCellOut)


class PublicFamilyOut(ma.Schema):
    family = ma.fields.String(
        metadata={"description": "expert, application, infrastructure; empty: no service"}
    )
    months = ma.fields.List(ma.fields.Nested(PublicMonthOut))


class PublicServiceLevelOut(ma.Schema):
    generated_at = UTCDateTimeField(metadata={"description": "When this answer was made"})
    figures_as_of = UTCDateTimeField(
        metadata={
            "description": (
                "The instant the compliance and volume figures were counted as of: the last"
                " refresh of the stored figures (every few minutes), or `generated_at` when"
                " they were counted for this answer"
            )
        }
    )
    minimum_count = ma.fields.Integer(
        metadata={"description": "Cells resting on fewer clocks or tickets are suppressed"}
    )
    months = ma.fields.Method("_months", metadata={"description": "The months shown, oldest first"})
    catalogue = ma.fields.List(ma.fields.Nested(PublicServiceOut))
    families = ma.fields.List(ma.fields.Nested(PublicFamilyOut))

    def _months(self, obj: object) -> list[str]:
        return [m.label for m in obj.months]  # type: ignore[attr-defined]
