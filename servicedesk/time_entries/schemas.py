"""The time entry's API shapes."""

from __future__ import annotations

import marshmallow as ma

from servicedesk.schemas import StrictSchema, UTCDateTimeField
from servicedesk.time_entries.operations import MAX_MINUTES, NOTE_MAX


class TimeEntryIn(StrictSchema):
    minutes = ma.fields.Integer(
        required=True,
        validate=ma.validate.Range(1, MAX_MINUTES),
        metadata={"description": "Whole minutes of work, 1 to 1440."},
    )
    expert = ma.fields.Boolean(
        required=True,
        metadata={"description": "Expert work: billed by the hour where the agreement says so."},
    )
    worked_on = ma.fields.Date(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "The Helsinki day of the work (default today); not in the future, "
            "not before the ticket was received."
        },
    )
    note = ma.fields.String(
        load_default="",
        allow_none=True,
        validate=ma.validate.Length(max=NOTE_MAX),
        metadata={"description": "What was done (internal: the desk's eyes only)."},
    )


class TimeEntryOut(ma.Schema):
    id = ma.fields.Integer()
    ticket_id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    minutes = ma.fields.Integer()
    expert = ma.fields.Boolean()
    worked_on = ma.fields.Date()
    note = ma.fields.String()
    created_at = UTCDateTimeField()


class TicketTimeOut(ma.Schema):
    entries = ma.fields.List(ma.fields.Nested(TimeEntryOut))
    total_minutes = ma.fields.Integer()
    expert_minutes = ma.fields.Integer(
        metadata={"description": "The minutes flagged as expert work (billed by the hour)."}
    )
