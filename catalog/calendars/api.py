"""Business calendars (admin writes; staff read)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from sqlalchemy import select

from catalog.calendars.models import BusinessCalendar
from servicedesk import access, db
from servicedesk.auth import current_user
from servicedesk.blueprint import Blueprint
from servicedesk.errors import Conflict, NotFound, ValidationFailed
from servicedesk.schemas import StrictSchema
from sla.calendar import Calendar, CalendarError

blp = Blueprint("calendars", __name__, url_prefix="/calendars", description="Business calendars")


class CalendarIn(StrictSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 100))
    spec = ma.fields.Dict(
        required=True,
        metadata={
            "description": (
                '{"timezone": "Europe/Helsinki", "hours": {"mon": [["08:00", "16:00"]]}, '
                '"holidays": "FI", "closed_dates": [], "open_dates": []} or {"always": true}'
            )
        },
    )


class CalendarPatch(StrictSchema):
    name = ma.fields.String(validate=ma.validate.Length(1, 100))
    spec = ma.fields.Dict()


class CalendarOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    spec = ma.fields.Dict()


def normalised_spec(spec: dict[str, Any]) -> dict[str, Any]:
    try:
        return Calendar.from_spec(spec).to_spec()
    except CalendarError as exc:
        raise ValidationFailed(
            f"The calendar is not valid: {exc}", details={"fields": {"spec": [str(exc)]}}
        ) from exc


def calendar_in_frozen_use(cal_id: int) -> bool:
    from catalog.agreements.models import ServicePromise
    from servicedesk.tickets.models import Ticket

    stmt = (
        select(Ticket.id)
        .join(ServicePromise, ServicePromise.agreement_version_id == Ticket.agreement_version_id)
        .where(ServicePromise.calendar_id == cal_id)
        .limit(1)
    )
    return db.session().scalar(stmt) is not None


def _calendar(cal_id: int) -> BusinessCalendar:
    row = db.session().get(BusinessCalendar, cal_id)
    if row is None:
        raise NotFound(f"No calendar {cal_id}.")
    return row


@blp.route("")
class Calendars(MethodView):
    @blp.response(200, CalendarOut(many=True))
    def get(self) -> list[BusinessCalendar]:
        """All calendars (readable by every signed-in user: promises are measured on them)."""
        return list(db.session().scalars(select(BusinessCalendar).order_by(BusinessCalendar.id)))

    @blp.arguments(CalendarIn)
    @blp.response(201, CalendarOut)
    def post(self, data: dict[str, Any]) -> BusinessCalendar:
        """Add a calendar (admin)."""
        access.require_admin(current_user())
        sess = db.session()
        if sess.scalar(select(BusinessCalendar).where(BusinessCalendar.name == data["name"])):
            raise Conflict(f"A calendar named {data['name']} exists.", code="name_taken")
        row = BusinessCalendar(name=data["name"], spec=normalised_spec(data["spec"]))
        sess.add(row)
        sess.flush()
        return row


@blp.route("/<int:cal_id>")
class CalendarById(MethodView):
    @blp.response(200, CalendarOut)
    def get(self, cal_id: int) -> BusinessCalendar:
        """One calendar."""
        return _calendar(cal_id)

    @blp.arguments(CalendarPatch)
    @blp.response(200, CalendarOut)
    def patch(self, data: dict[str, Any], cal_id: int) -> BusinessCalendar:
        """Change a calendar (admin) that no ticket is measured on yet."""
        access.require_admin(current_user())
        row = _calendar(cal_id)
        if "name" in data:
            row.name = data["name"]
        if "spec" in data:
            if calendar_in_frozen_use(row.id):
                raise Conflict(
                    "Tickets are measured on this calendar; changing it would rewrite their "
                    "history. Create a new calendar and a new agreement version.",
                    code="calendar_frozen",
                )
            row.spec = normalised_spec(data["spec"])
        db.session().flush()
        return row
