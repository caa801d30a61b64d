"""Routing rules (admin): which group gets which tickets, before the service default."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from sqlalchemy import select

from catalog.groups.models import ResolverGroup
from catalog.routing import RoutingRule
from catalog.routing_rules.models import RoutingRuleRow
from catalog.services.models import SERVICE_FAMILIES
from servicedesk import access, db
from servicedesk.auth import current_user
from servicedesk.blueprint import Blueprint
from servicedesk.enums import Provider
from servicedesk.errors import NotFound, ValidationFailed
from servicedesk.schemas import StrictSchema
from servicedesk.tickets.schemas import TICKET_TYPES

blp = Blueprint("routing_rules", __name__, url_prefix="/routing-rules", description="Routing rules")


class RuleIn(StrictSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    precedence = ma.fields.Integer(load_default=100, validate=ma.validate.Range(0, 100000))
    target_group_id = ma.fields.Integer(required=True)
    organisation_id = ma.fields.Integer(load_default=None, allow_none=True)
    service_id = ma.fields.Integer(load_default=None, allow_none=True)
    family = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.OneOf(SERVICE_FAMILIES)
    )
    provider = ma.fields.Enum(Provider, by_value=True, load_default=None, allow_none=True)
    ticket_type = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.OneOf(TICKET_TYPES)
    )
    keywords = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(1, 60)),
        load_default=list,
        validate=ma.validate.Length(max=50),
    )
    active = ma.fields.Boolean(load_default=True)


class RulePatch(RuleIn):
    def __init__(self, **kw: Any) -> None:
        super().__init__(partial=True, **kw)


class RuleOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    precedence = ma.fields.Integer()
    target_group_id = ma.fields.Integer()
    organisation_id = ma.fields.Integer(allow_none=True)
    service_id = ma.fields.Integer(allow_none=True)
    family = ma.fields.String(allow_none=True)
    provider = ma.fields.String(allow_none=True)
    ticket_type = ma.fields.String(allow_none=True)
    keywords = ma.fields.List(ma.fields.String())
    active = ma.fields.Boolean()


def _apply(row: RoutingRuleRow, data: dict[str, Any]) -> None:
    # The group is checked before the row changes: looking it up autoflushes the session, and
    # a rule already stored would be flushed with the unknown group (a foreign key error, 409).
    target = data.get("target_group_id", row.target_group_id)
    if db.session().get(ResolverGroup, target) is None:
        raise ValidationFailed(
            "No such group.",
            details={"fields": {"target_group_id": [f"No group {target}."]}},
        )
    for field, value in data.items():
        setattr(row, field, str(value) if field == "provider" and value else value)
    try:  # the pure rule checks what the schema cannot (e.g. blank keywords)
        RoutingRule(
            id=row.id or 0,
            name=row.name,
            precedence=row.precedence,
            target_group_id=row.target_group_id,
            keywords=tuple(row.keywords or ()),
        )
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(f"The rule is not valid: {exc}.") from exc


def _rule(rule_id: int) -> RoutingRuleRow:
    row = db.session().get(RoutingRuleRow, rule_id)
    if row is None or not access.can_see_internal(current_user()):
        raise NotFound(f"No routing rule {rule_id}.")
    return row


@blp.route("")
class Rules(MethodView):
    @blp.response(200, RuleOut(many=True))
    def get(self) -> list[RoutingRuleRow]:
        """All rules in the order they are tried (staff)."""
        if not access.can_see_internal(current_user()):
            return []
        return list(
            db.session().scalars(
                select(RoutingRuleRow).order_by(RoutingRuleRow.precedence, RoutingRuleRow.id)
            )
        )

    @blp.arguments(RuleIn)
    @blp.response(201, RuleOut)
    def post(self, data: dict[str, Any]) -> RoutingRuleRow:
        """Add a rule (admin)."""
        access.require_admin(current_user())
        row = RoutingRuleRow()
        _apply(row, data)
        db.session().add(row)
        db.session().flush()
        return row


@blp.route("/<int:rule_id>")
class RuleById(MethodView):
    @blp.response(200, RuleOut)
    def get(self, rule_id: int) -> RoutingRuleRow:
        """One rule."""
        return _rule(rule_id)

    @blp.arguments(RulePatch)
    @blp.response(200, RuleOut)
    def patch(self, data: dict[str, Any], rule_id: int) -> RoutingRuleRow:
        """Change or deactivate a rule (admin)."""
        access.require_admin(current_user())
        row = _rule(rule_id)
        _apply(row, data)
        db.session().flush()
        return row
