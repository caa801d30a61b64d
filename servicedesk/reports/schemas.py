"""The report API's shapes: the period arguments and the report as JSON (percentages and
averages as decimal strings, instants in UTC)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from servicedesk.pagination import encode_cursor
from servicedesk.schemas import QueryArgs, UTCDateTimeField

_PERIOD_HELP = (
    "A month (2026-11), quarter (2026-Q4), year (2026) or range (2026-11-01..2026-11-30) in "
    "Helsinki local time; or give `from` and `to` instead."
)


class PeriodArgs(QueryArgs):
    period = ma.fields.String(
        validate=ma.validate.Length(1, 40), metadata={"description": _PERIOD_HELP}
    )
    from_ = ma.fields.Date(
        data_key="from", metadata={"description": "First local day (with `to`)."}
    )
    to = ma.fields.Date(metadata={"description": "Last local day, included (with `from`)."})

    @ma.validates_schema
    def _one_period(self, data: dict[str, Any], **_kw: Any) -> None:
        has_range = "from_" in data or "to" in data
        if "period" in data and has_range:
            raise ma.ValidationError("Give `period` or `from` and `to`, not both.", "period")
        if "period" not in data and not ("from_" in data and "to" in data):
            raise ma.ValidationError("Give `period`, or both `from` and `to`.", "period")


class ServiceLevelArgs(PeriodArgs):
    organisation_id = ma.fields.Integer(required=True, validate=ma.validate.Range(1))
    breaches_limit = ma.fields.Integer(
        load_default=100,
        validate=ma.validate.Range(1, 1000),
        metadata={"description": "Breaches listed (and explained) per page; the figures count all"},
    )
    breaches_cursor = ma.fields.String(
        load_default=None,
        metadata={"description": "`breaches_next_cursor` of the previous page"},
    )


class SupplierComplianceArgs(PeriodArgs):
    contract_id = ma.fields.Integer(required=True, validate=ma.validate.Range(1))


def _percent(**kw: Any) -> ma.fields.Decimal:
    return ma.fields.Decimal(as_string=True, allow_none=True, **kw)


class ReportPeriodOut(ma.Schema):
    label = ma.fields.String()
    first_day = ma.fields.Date(attribute="first")
    last_day = ma.fields.Date(attribute="last")
    start = UTCDateTimeField(metadata={"description": "00:00 Helsinki on the first day, in UTC"})
    end = UTCDateTimeField(metadata={"description": "00:00 Helsinki after the last day (excluded)"})


class ReportTicketRefOut(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.String()
    title = ma.fields.String()


class ReportLineOut(ma.Schema):
    promise_id = ma.fields.Integer()
    service_id = ma.fields.Integer(allow_none=True)
    service_code = ma.fields.String(allow_none=True)
    family = ma.fields.String(allow_none=True)
    priority = ma.fields.String()
    ticket_type = ma.fields.String(allow_none=True)


class ReportLineComplianceOut(ma.Schema):
    line = ma.fields.Nested(ReportLineOut)
    kind = ma.fields.String(metadata={"description": "response, resolution or update"})
    met = ma.fields.Integer()
    breached = ma.fields.Integer()
    compliance_percent = _percent(metadata={"description": "met / (met + breached), %"})
    target_percent = _percent()
    passed = ma.fields.Boolean(allow_none=True)


class ReportTallyOut(ma.Schema):
    met = ma.fields.Integer()
    breached = ma.fields.Integer()
    compliance_percent = _percent(attribute="percent")


class ReportBreachOut(ma.Schema):
    ticket = ma.fields.Nested(ReportTicketRefOut)
    clock_id = ma.fields.Integer()
    kind = ma.fields.String()
    due_at = UTCDateTimeField(allow_none=True)
    counted_at = UTCDateTimeField(
        metadata={"description": "The stop instant, or the breach instant of a running clock"}
    )
    stopped = ma.fields.Boolean()
    desk_seconds = ma.fields.Integer(allow_none=True)
    supplier_seconds = ma.fields.Integer(allow_none=True)
    customer_seconds = ma.fields.Integer(allow_none=True)


class ReportContractOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    supplier_id = ma.fields.Integer()
    supplier_name = ma.fields.String()


class ReportContractComplianceOut(ma.Schema):
    contract = ma.fields.Nested(ReportContractOut)
    kind = ma.fields.String(metadata={"description": "supplier_response or supplier_resolution"})
    met = ma.fields.Integer()
    breached = ma.fields.Integer()
    compliance_percent = _percent()


class ReportVolumeOut(ma.Schema):
    key = ma.fields.String()
    count = ma.fields.Integer()


class ReportRatedOut(ma.Schema):
    ticket = ma.fields.Nested(ReportTicketRefOut)
    score = ma.fields.Integer()
    comment = ma.fields.String(allow_none=True)
    rated_at = UTCDateTimeField()


class ReportSatisfactionOut(ma.Schema):
    rated = ma.fields.Integer()
    average = _percent(metadata={"description": "Mean score 1-5, two decimals"})
    low = ma.fields.List(ma.fields.Nested(ReportRatedOut), metadata={"description": "Scores <= 2"})


class ReportTrendMonthOut(ma.Schema):
    month = ma.fields.String()
    met = ma.fields.Integer()
    breached = ma.fields.Integer()
    compliance_percent = _percent()
    received = ma.fields.Integer()


class ServiceLevelOut(ma.Schema):
    organisation_id = ma.fields.Integer()
    period = ma.fields.Nested(ReportPeriodOut)
    generated_at = UTCDateTimeField()
    lines = ma.fields.List(ma.fields.Nested(ReportLineComplianceOut))
    overall = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(ReportTallyOut))
    breaches = ma.fields.List(
        ma.fields.Nested(ReportBreachOut),
        metadata={"description": "One page, earliest first (`breaches_limit`)"},
    )
    breach_count = ma.fields.Integer(metadata={"description": "Every breach of the period"})
    breaches_next_cursor = ma.fields.Function(
        lambda report: encode_cursor(report.breaches_next) if report.breaches_next else None,
        allow_none=True,
        metadata={"description": "Pass as `breaches_cursor` for the next page; null at the end"},
    )
    supplier_compliance = ma.fields.List(
        ma.fields.Nested(ReportContractComplianceOut),
        allow_none=True,
        metadata={"description": "For the centre's staff only; null for customer contacts"},
    )
    volumes = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.List(ma.fields.Nested(ReportVolumeOut))
    )
    received = ma.fields.Integer()
    satisfaction = ma.fields.Nested(ReportSatisfactionOut)
    trend = ma.fields.List(ma.fields.Nested(ReportTrendMonthOut))
    ended_by_priority_change = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(),
        metadata={
            "description": "Clocks cancelled as 'no promise' after a priority or type change, "
            "per kind: left out of compliance (SLA.md)"
        },
    )


class SupplierComplianceOut(ma.Schema):
    contract = ma.fields.Nested(ReportContractOut)
    period = ma.fields.Nested(ReportPeriodOut)
    generated_at = UTCDateTimeField()
    kinds = ma.fields.List(ma.fields.Nested(ReportContractComplianceOut))
