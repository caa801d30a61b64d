"""Suppliers and underpinning contracts (admin writes; the desk reads)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from sqlalchemy import select

from catalog.calendars.models import BusinessCalendar
from catalog.promises import PromiseLine, validate_lines
from catalog.services.models import SERVICE_FAMILIES
from catalog.suppliers.models import ContractPromise, Supplier, UnderpinningContract
from servicedesk import access, db
from servicedesk.auth import current_user
from servicedesk.blueprint import Blueprint
from servicedesk.enums import Role
from servicedesk.errors import Conflict, NotFound, ValidationFailed
from servicedesk.escalations.models import Escalation
from servicedesk.schemas import StrictSchema
from servicedesk.tickets.priority import PRIORITIES

blp = Blueprint("suppliers", __name__, url_prefix="", description="Suppliers and contracts")


class SupplierIn(StrictSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    business_id = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(1, 9)
    )
    contact_email = ma.fields.Email(required=True)
    contact_phone = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(1, 40)
    )


class SupplierOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    business_id = ma.fields.String(allow_none=True)
    contact_email = ma.fields.String()
    contact_phone = ma.fields.String(allow_none=True)


class ContractPromiseIn(StrictSchema):
    service_id = ma.fields.Integer(load_default=None, allow_none=True)
    family = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.OneOf(SERVICE_FAMILIES)
    )
    priority = ma.fields.String(required=True, validate=ma.validate.OneOf(PRIORITIES))
    response_minutes = ma.fields.Integer(required=True)
    resolution_minutes = ma.fields.Integer(required=True)
    warning_percent = ma.fields.Integer(load_default=80)


class ContractIn(StrictSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    valid_from = ma.fields.Date(required=True)
    valid_to = ma.fields.Date(load_default=None, allow_none=True)
    calendar_id = ma.fields.Integer(required=True)
    promises = ma.fields.List(ma.fields.Nested(ContractPromiseIn), load_default=list)


class SupplierPatch(StrictSchema):
    name = ma.fields.String(validate=ma.validate.Length(1, 200))
    business_id = ma.fields.String(allow_none=True, validate=ma.validate.Length(1, 9))
    contact_email = ma.fields.Email()
    contact_phone = ma.fields.String(allow_none=True, validate=ma.validate.Length(1, 40))


class ContractPatch(StrictSchema):
    name = ma.fields.String(validate=ma.validate.Length(1, 200))
    valid_from = ma.fields.Date()
    valid_to = ma.fields.Date(allow_none=True)
    calendar_id = ma.fields.Integer()
    promises = ma.fields.List(ma.fields.Nested(ContractPromiseIn))


#: What stays editable once an escalation was measured on the contract.
CONTRACT_ALWAYS_EDITABLE = frozenset({"name", "valid_to"})


class ContractOut(ma.Schema):
    id = ma.fields.Integer()
    supplier_id = ma.fields.Integer()
    name = ma.fields.String()
    valid_from = ma.fields.Date()
    valid_to = ma.fields.Date(allow_none=True)
    calendar_id = ma.fields.Integer()
    promises = ma.fields.List(ma.fields.Nested(ContractPromiseIn))


def _supplier(supplier_id: int) -> Supplier:
    user = current_user()
    row = db.session().get(Supplier, supplier_id)
    visible = access.can_see_internal(user) or (
        user.role_enum is Role.SUPPLIER_AGENT and user.supplier_id == supplier_id
    )
    if row is None or not visible:
        raise NotFound(f"No supplier {supplier_id}.")
    return row


def _contract(contract_id: int) -> UnderpinningContract:
    row = db.session().get(UnderpinningContract, contract_id)
    if row is None:
        raise NotFound(f"No contract {contract_id}.")
    _supplier(row.supplier_id)  # 404 unless the caller may see the supplier
    return row


def _check_contract(data: dict[str, Any]) -> None:
    problems: dict[str, list[str]] = {}
    if db.session().get(BusinessCalendar, data["calendar_id"]) is None:
        problems["calendar_id"] = [f"No calendar {data['calendar_id']}."]
    if data.get("valid_to") is not None and data["valid_to"] < data["valid_from"]:
        problems["valid_to"] = ["The contract ends before it starts."]
    lines = [
        PromiseLine(id=i, calendar_id=data["calendar_id"], **p)
        for i, p in enumerate(data.get("promises", []))
    ]
    rule_problems = validate_lines(lines)
    if rule_problems:
        problems["promises"] = rule_problems
    if problems:
        raise ValidationFailed(
            "The contract is not valid; see details.fields.", details={"fields": problems}
        )


@blp.route("/suppliers")
class Suppliers(MethodView):
    @blp.response(200, SupplierOut(many=True))
    def get(self) -> list[Supplier]:
        """Suppliers (the centre's staff; a supplier agent sees their own)."""
        user = current_user()
        stmt = select(Supplier).order_by(Supplier.name)
        if user.role_enum is Role.SUPPLIER_AGENT:
            stmt = stmt.where(Supplier.id == user.supplier_id)
        elif not access.can_see_internal(user):
            return []
        return list(db.session().scalars(stmt))

    @blp.arguments(SupplierIn)
    @blp.response(201, SupplierOut)
    def post(self, data: dict[str, Any]) -> Supplier:
        """Add a supplier (admin)."""
        access.require_admin(current_user())
        sess = db.session()
        if sess.scalar(select(Supplier).where(Supplier.name == data["name"])):
            raise Conflict(f"A supplier named {data['name']} exists.", code="name_taken")
        row = Supplier(**data)
        sess.add(row)
        sess.flush()
        return row


@blp.route("/suppliers/<int:supplier_id>")
class SupplierById(MethodView):
    @blp.response(200, SupplierOut)
    def get(self, supplier_id: int) -> Supplier:
        """One supplier."""
        return _supplier(supplier_id)

    @blp.arguments(SupplierPatch)
    @blp.response(200, SupplierOut)
    def patch(self, data: dict[str, Any], supplier_id: int) -> Supplier:
        """Change a supplier's name or contacts (admin)."""
        row = _supplier(supplier_id)  # 404 before 403: a foreign id stays unknown
        access.require_admin(current_user())
        sess = db.session()
        if "name" in data and sess.scalar(
            select(Supplier).where(Supplier.name == data["name"], Supplier.id != row.id)
        ):
            raise Conflict(f"A supplier named {data['name']} exists.", code="name_taken")
        for field, value in data.items():
            setattr(row, field, value)
        sess.flush()
        return row


@blp.route("/contracts/<int:contract_id>")
class ContractById(MethodView):
    @blp.response(200, ContractOut)
    def get(self, contract_id: int) -> UnderpinningContract:
        """One underpinning contract."""
        return _contract(contract_id)

    @blp.arguments(ContractPatch)
    @blp.response(200, ContractOut)
    def patch(self, data: dict[str, Any], contract_id: int) -> UnderpinningContract:
        """Change a contract (admin); once an escalation was measured on it, only its name and
        end: the supplier's history is not rewritten."""
        row = _contract(contract_id)  # 404 before 403: a foreign id stays unknown
        access.require_admin(current_user())
        sess = db.session()
        substantive = set(data) - CONTRACT_ALWAYS_EDITABLE
        used = sess.scalar(select(Escalation.id).where(Escalation.contract_id == row.id).limit(1))
        if substantive and used is not None:
            raise Conflict(
                f"Escalations were measured on this contract; its {', '.join(sorted(substantive))} "
                "cannot change. Add a new contract instead.",
                code="contract_frozen",
            )
        merged = {
            "calendar_id": data.get("calendar_id", row.calendar_id),
            "valid_from": data.get("valid_from", row.valid_from),
            "valid_to": data.get("valid_to", row.valid_to),
            "promises": data.get(
                "promises",
                [
                    {
                        c: getattr(p, c)
                        for c in (
                            "service_id",
                            "family",
                            "priority",
                            "response_minutes",
                            "resolution_minutes",
                            "warning_percent",
                        )
                    }
                    for p in row.promises
                ],
            ),
        }
        _check_contract(merged)
        promises = data.pop("promises", None)
        for field, value in data.items():
            setattr(row, field, value)
        if promises is not None:
            row.promises = [ContractPromise(**p) for p in promises]
        sess.flush()
        return row


@blp.route("/suppliers/<int:supplier_id>/contracts")
class Contracts(MethodView):
    @blp.response(200, ContractOut(many=True))
    def get(self, supplier_id: int) -> list[UnderpinningContract]:
        """The supplier's underpinning contracts."""
        _supplier(supplier_id)
        return list(
            db.session().scalars(
                select(UnderpinningContract)
                .where(UnderpinningContract.supplier_id == supplier_id)
                .order_by(UnderpinningContract.valid_from)
            )
        )

    @blp.arguments(ContractIn)
    @blp.response(201, ContractOut)
    def post(self, data: dict[str, Any], supplier_id: int) -> UnderpinningContract:
        """Add a contract with its promises (admin), on the supplier's calendar."""
        _supplier(supplier_id)  # 404 before 403: a foreign id stays unknown
        access.require_admin(current_user())
        _check_contract(data)
        promises = data.pop("promises")
        row = UnderpinningContract(supplier_id=supplier_id, **data)
        row.promises = [ContractPromise(**p) for p in promises]
        db.session().add(row)
        db.session().flush()
        return row
