"""Transition plans in and out: a service line's milestones, with their status today."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from catalog.agreements.models import MILESTONE_KINDS
from catalog.agreements.transition_rules import MilestoneStatus
from servicedesk.schemas import StrictSchema


class MilestoneIn(StrictSchema):
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(MILESTONE_KINDS))
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    planned_on = ma.fields.Date(required=True)
    done_on = ma.fields.Date(load_default=None, allow_none=True)


class PlanIn(StrictSchema):
    milestones = ma.fields.List(
        ma.fields.Nested(MilestoneIn),
        required=True,
        validate=ma.validate.Length(max=50),
        metadata={
            "description": "In order; dates never go backwards; exactly one go_live, last: "
            "its planned_on becomes the service's starts_on. [] removes the plan."
        },
    )


class MilestonePatch(StrictSchema):
    planned_on = ma.fields.Date(
        metadata={
            "description": "Move it: a later date moves every later milestone not done by as "
            "many days (and with the go-live the service's start); an earlier one moves it "
            "alone, not before the milestone before it. Never before today."
        }
    )
    done_on = ma.fields.Date(
        allow_none=True,
        metadata={"description": "Done on this day (not later than today); null: not done."},
    )

    @ma.validates_schema
    def _something(self, data: dict[str, Any], **_kw: Any) -> None:
        if not data:
            raise ma.ValidationError("Give planned_on, done_on or both.")


class MilestoneOut(ma.Schema):
    id = ma.fields.Integer()
    position = ma.fields.Integer()
    kind = ma.fields.String()
    name = ma.fields.String()
    planned_on = ma.fields.Date()
    done_on = ma.fields.Date(allow_none=True)
    status = ma.fields.String(
        metadata={"description": "done, late (planned before today, not done) or planned"},
        validate=ma.validate.OneOf([s.value for s in MilestoneStatus]),
    )


class PlanLineOut(ma.Schema):
    service_id = ma.fields.Integer()
    code = ma.fields.String()
    name_fi = ma.fields.String()
    name_sv = ma.fields.String()
    name_en = ma.fields.String()
    starts_on = ma.fields.Date(metadata={"description": "The go-live's planned date, if planned."})
    started = ma.fields.Boolean(metadata={"description": "starts_on is today or past."})
    milestones = ma.fields.List(ma.fields.Nested(MilestoneOut))


class PlanOut(ma.Schema):
    agreement_version_id = ma.fields.Integer()
    organisation_id = ma.fields.Integer()
    state = ma.fields.String()
    today = ma.fields.Date(metadata={"description": "The day (Helsinki) the statuses are for."})
    services = ma.fields.List(ma.fields.Nested(PlanLineOut))
