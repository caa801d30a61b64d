"""Escalations: preview the hand-off, escalate, mark done, withdraw, list the legs."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from servicedesk import access, db
from servicedesk.auth import current_user
from servicedesk.blueprint import Blueprint
from servicedesk.db import utcnow
from servicedesk.errors import NotFound
from servicedesk.escalations import operations
from servicedesk.escalations.models import Escalation
from servicedesk.schemas import StrictSchema, UTCDateTimeField

blp = Blueprint("escalations", __name__, url_prefix="/tickets", description="Supplier escalation")


class EscalateIn(StrictSchema):
    supplier_id = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        metadata={"description": "Default: the supplier of the ticket's service."},
    )
    note = ma.fields.String(
        required=True,
        validate=ma.validate.Length(1, 20000),
        metadata={
            "description": "The hand-off note for the supplier (never shown to the customer)."
        },
    )


class PreviewIn(StrictSchema):
    supplier_id = ma.fields.Integer(load_default=None, allow_none=True)


class HandOffOut(ma.Schema):
    supplier = ma.fields.Dict()
    contract = ma.fields.Dict(allow_none=True)
    promise = ma.fields.Dict(allow_none=True)
    customer_due_at = UTCDateTimeField(allow_none=True)
    supplier_response_due_at = UTCDateTimeField(allow_none=True)
    supplier_due_at = UTCDateTimeField(allow_none=True)
    slack_seconds = ma.fields.Integer(
        allow_none=True,
        metadata={
            "description": "Customer's resolution due minus the supplier's; negative = flagged."
        },
    )
    negative_slack = ma.fields.Boolean()
    warnings = ma.fields.List(ma.fields.String())


class EscalationOut(ma.Schema):
    id = ma.fields.Integer()
    ticket_id = ma.fields.Integer()
    supplier_id = ma.fields.Integer()
    supplier_name = ma.fields.Function(lambda e: e.supplier.name)
    contract_id = ma.fields.Integer(allow_none=True)
    note = ma.fields.String()
    status = ma.fields.String()
    escalated_at = UTCDateTimeField()
    ended_at = UTCDateTimeField(allow_none=True)
    customer_due_at = UTCDateTimeField(allow_none=True)
    supplier_due_at = UTCDateTimeField(allow_none=True)
    slack_seconds = ma.fields.Integer(allow_none=True)
    negative_slack = ma.fields.Boolean()


class EscalatedOut(ma.Schema):
    escalation = ma.fields.Nested(EscalationOut)
    hand_off = ma.fields.Nested(HandOffOut)


def _leg(ticket_id: int, leg_id: int) -> tuple[Any, Escalation]:
    sess = db.session()
    user = current_user()
    ticket = access.visible_ticket(sess, user, ticket_id)
    leg = next((e for e in operations.legs_for(sess, user, ticket) if e.id == leg_id), None)
    if leg is None:
        raise NotFound(f"No escalation {leg_id} on this ticket.")
    return ticket, leg


@blp.route("/<int:ticket_id>/escalations/preview")
class Preview(MethodView):
    @blp.arguments(PreviewIn)
    @blp.response(200, HandOffOut)
    def post(self, data: dict[str, Any], ticket_id: int) -> dict[str, Any]:
        """The slack before confirming: customer's resolution due minus the supplier's."""
        sess = db.session()
        user = current_user()
        ticket = access.visible_ticket(sess, user, ticket_id)
        operations.require_desk(user)
        return operations.describe(
            operations.plan_hand_off(sess, ticket, data["supplier_id"], utcnow())
        )


@blp.route("/<int:ticket_id>/escalations")
class Escalations(MethodView):
    @blp.response(200, EscalationOut(many=True))
    def get(self, ticket_id: int) -> list[Escalation]:
        """Every leg (a supplier agent sees only their own supplier's)."""
        sess = db.session()
        user = current_user()
        ticket = access.visible_ticket(sess, user, ticket_id)
        return operations.legs_for(sess, user, ticket)

    @blp.arguments(EscalateIn)
    @blp.response(201, EscalatedOut)
    def post(self, data: dict[str, Any], ticket_id: int) -> dict[str, Any]:
        """Escalate to a supplier: supplier clocks start, the customer's keep running."""
        sess = db.session()
        user = current_user()
        ticket = access.visible_ticket(sess, user, ticket_id)
        leg, plan = operations.escalate(sess, user, ticket, data["supplier_id"], data["note"])
        return {"escalation": leg, "hand_off": operations.describe(plan)}


@blp.route("/<int:ticket_id>/escalations/<int:leg_id>/done")
class Done(MethodView):
    @blp.response(200, EscalationOut)
    def post(self, ticket_id: int, leg_id: int) -> Escalation:
        """The supplier's part is done: its clocks stop, the ticket returns to the desk."""
        ticket, leg = _leg(ticket_id, leg_id)
        return operations.mark_done(db.session(), current_user(), ticket, leg)


@blp.route("/<int:ticket_id>/escalations/<int:leg_id>/withdraw")
class Withdraw(MethodView):
    @blp.response(200, EscalationOut)
    def post(self, ticket_id: int, leg_id: int) -> Escalation:
        """Take the ticket back from the supplier (desk): both supplier clocks stop."""
        ticket, leg = _leg(ticket_id, leg_id)
        return operations.withdraw(db.session(), current_user(), ticket, leg)
