"""The SLA endpoints: evaluate a clock by hand, explain a ticket's clocks."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from catalog.calendars.models import BusinessCalendar
from servicedesk import access, db
from servicedesk.auth import current_user
from servicedesk.blueprint import Blueprint
from servicedesk.db import utcnow
from servicedesk.errors import ValidationFailed
from servicedesk.schemas import StrictSchema, UTCDateTimeField
from sla import queries
from sla.calendar import Calendar, CalendarError
from sla.clock import ClockError, ClockEvent, EventType, evaluate

blp = Blueprint("sla", __name__, url_prefix="", description="SLA clocks")


class EventIn(StrictSchema):
    type = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(["start", "pause", "resume", "stop", "target_change", "cancel"]),
    )
    at = UTCDateTimeField(required=True)
    target_minutes = ma.fields.Integer(
        load_default=None, allow_none=True, validate=ma.validate.Range(min=0, max=10_000_000)
    )


class EvaluateIn(StrictSchema):
    calendar = ma.fields.Dict(
        required=True,
        metadata={
            "description": (
                'Inline {"timezone", "hours": {"mon": [["08:00", "16:00"]], ...}, '
                '"holidays": "FI", "closed_dates": [], "open_dates": []}, '
                'or {"always": true}, or {"id": N}.'
            )
        },
    )
    target_minutes = ma.fields.Integer(
        required=True, validate=ma.validate.Range(min=0, max=10_000_000)
    )
    warning_percent = ma.fields.Integer(load_default=80, validate=ma.validate.Range(1, 100))
    events = ma.fields.List(
        ma.fields.Nested(EventIn), required=True, validate=ma.validate.Length(1, 1000)
    )
    at = UTCDateTimeField(required=True)


class IntervalOut(ma.Schema):
    start = UTCDateTimeField()
    end = UTCDateTimeField(allow_none=True)


class EvaluateOut(ma.Schema):
    state = ma.fields.String()
    elapsed_seconds = ma.fields.Integer()
    remaining_seconds = ma.fields.Integer()
    target_minutes = ma.fields.Integer()
    due_at = UTCDateTimeField(allow_none=True)
    warning_at = UTCDateTimeField(allow_none=True)
    breach_at = UTCDateTimeField(allow_none=True)
    stopped_at = UTCDateTimeField(allow_none=True)
    intervals = ma.fields.List(ma.fields.Nested(IntervalOut))
    pauses = ma.fields.List(ma.fields.Nested(IntervalOut))


def _calendar(spec: dict[str, Any]) -> Calendar:
    if set(spec) == {"id"}:
        row = (
            db.session().get(BusinessCalendar, spec["id"]) if isinstance(spec["id"], int) else None
        )
        if row is None:
            raise ValidationFailed(
                "No such calendar.",
                details={"fields": {"calendar": [f"No calendar {spec['id']}."]}},
            )
        return row.to_calendar()
    try:
        return Calendar.from_spec(spec)
    except CalendarError as exc:
        raise ValidationFailed(
            f"The calendar is not valid: {exc}", details={"fields": {"calendar": [str(exc)]}}
        ) from exc


@blp.route("/sla/evaluate")
class Evaluate(MethodView):
    @blp.arguments(EvaluateIn)
    @blp.response(200, EvaluateOut)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Compute a clock given by hand, storing nothing (agreement planning, disputes)."""
        calendar = _calendar(data["calendar"])
        events = [
            ClockEvent(EventType(e["type"]), e["at"], e["target_minutes"]) for e in data["events"]
        ]
        try:
            result = evaluate(
                calendar, data["target_minutes"], events, data["at"], data["warning_percent"]
            )
        except ClockError as exc:
            field = f"events.{exc.index}" if getattr(exc, "index", None) is not None else "events"
            raise ValidationFailed(
                f"The clock's events are not valid: {exc}", details={"fields": {field: [str(exc)]}}
            ) from exc
        return {
            "state": result.state.value,
            "elapsed_seconds": int(result.elapsed.total_seconds()),
            "remaining_seconds": int(result.remaining.total_seconds()),
            "target_minutes": int(result.target.total_seconds() // 60),
            "due_at": result.due_at,
            "warning_at": result.warning_at,
            "breach_at": result.breach_at,
            "stopped_at": result.stopped_at,
            "intervals": [{"start": s, "end": e} for s, e in result.intervals],
            "pauses": [{"start": s, "end": e} for s, e in result.pauses],
        }


class TargetChangeOut(ma.Schema):
    at = UTCDateTimeField()
    target_minutes = ma.fields.Integer()


class AlertOut(ma.Schema):
    kind = ma.fields.String()
    at = UTCDateTimeField(metadata={"description": "The true instant, from the clock's history."})
    recorded_at = UTCDateTimeField()
    late = ma.fields.Boolean(
        metadata={
            "description": "Recorded more than a minute after its true instant (the scheduler "
            "was down, or the clock started retroactively)."
        }
    )
    notified = ma.fields.Boolean(
        metadata={
            "description": "Whether its notification went out. A warning noticed only after "
            "the clock had breached (or ended) is recorded but not told: after a breach only "
            "the breach notification goes out."
        }
    )


class ExplainedClock(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE

    kind = ma.fields.String()
    cycle = ma.fields.Integer()
    leg = ma.fields.Integer()
    state = ma.fields.String()
    target_minutes = ma.fields.Integer()
    initial_target_minutes = ma.fields.Integer()
    current_target_minutes = ma.fields.Integer()
    warning_percent = ma.fields.Integer()
    elapsed_seconds = ma.fields.Integer()
    remaining_minutes = ma.fields.Integer()
    due_at = UTCDateTimeField(allow_none=True)
    warning_at = UTCDateTimeField(allow_none=True)
    breach_at = UTCDateTimeField(allow_none=True)
    stopped_at = UTCDateTimeField(allow_none=True)
    calendar = ma.fields.Dict(allow_none=True)
    promise = ma.fields.Dict(allow_none=True)
    events = ma.fields.List(ma.fields.Dict())
    intervals = ma.fields.List(ma.fields.Nested(IntervalOut))
    pauses = ma.fields.List(ma.fields.Nested(IntervalOut))
    target_changes = ma.fields.List(ma.fields.Nested(TargetChangeOut))
    alerts = ma.fields.List(ma.fields.Nested(AlertOut))
    start_reason = ma.fields.String(
        allow_none=True,
        metadata={"description": 'Why it started: "ticket received", "the requester wrote", ...'},
    )
    retroactive = ma.fields.Boolean(
        metadata={
            "description": "Started retroactively at the received time: the ticket's priority "
            "changed from one without a promise to one with (its pauses as they happened)."
        }
    )
    end_reason = ma.fields.String(
        allow_none=True,
        metadata={
            "description": 'Why it stopped or was cancelled, e.g. "no promise for P4", '
            '"escalation withdrawn", "ticket resolved"; null while it runs or is paused.'
        },
    )
    ended_by = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "priority_change (the new priority has no promise: cancelled, or "
            "stopped if already breached) | escalation_withdrawn | null (anything else)."
        },
    )


class TimeSplitOut(ma.Schema):
    clock_state = ma.fields.String()
    elapsed_seconds = ma.fields.Integer()
    desk_seconds = ma.fields.Integer()
    supplier_seconds = ma.fields.Integer()
    customer_seconds = ma.fields.Integer(
        metadata={"description": "Business time paused, waiting for the customer (not in elapsed)."}
    )
    by_supplier = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())


class ExplanationOut(ma.Schema):
    ticket_id = ma.fields.Integer()
    at = UTCDateTimeField()
    agreement_version = ma.fields.Dict(allow_none=True)
    no_promise = ma.fields.Boolean()
    clocks = ma.fields.List(ma.fields.Nested(ExplainedClock))
    time_split = ma.fields.Nested(TimeSplitOut, allow_none=True)


@blp.route("/tickets/<int:ticket_id>/sla")
class TicketSla(MethodView):
    @blp.response(200, ExplanationOut)
    def get(self, ticket_id: int) -> dict[str, Any]:
        """Explain each clock: counted intervals, pauses, targets, the promise line used."""
        sess = db.session()
        user = current_user()
        ticket = access.visible_ticket(sess, user, ticket_id)
        return queries.explain(sess, ticket, utcnow(), viewer=user)
