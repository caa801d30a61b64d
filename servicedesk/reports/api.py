"""Service-level reports over the API: an organisation's report, and a contract's supplier
compliance. Who sees what: admins everything; account managers their customers; customer
contacts their own organisation; supplier agents only their own contracts' supplier
compliance; desk agents 403 (the report is the account manager's tool, agents have their
queues); end users 404. An organisation or contract the caller may not see is a 404."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask.views import MethodView
from sqlalchemy import false, select

from catalog.organisations.models import Organisation
from servicedesk import access, db
from servicedesk.auth import current_user
from servicedesk.blueprint import Blueprint
from servicedesk.enums import Role
from servicedesk.errors import Forbidden, NotFound, ValidationFailed
from servicedesk.pagination import SortKey, decode_cursor
from servicedesk.reports import periods, queries
from servicedesk.reports.report import ServiceLevelReport, build, build_contract
from servicedesk.reports.schemas import (
    ServiceLevelArgs,
    ServiceLevelOut,
    SupplierComplianceArgs,
    SupplierComplianceOut,
)
from servicedesk.users.models import User
from sla.models import SlaClock

#: The breach list's order, for reading its cursor: the instant a breach counts at, then the
#: clock's id.
BREACH_ORDER = SortKey(SlaClock.breach_at, SlaClock.id, descending=False, is_datetime=True)

blp = Blueprint("reports", __name__, url_prefix="/reports", description="Service-level reports")


def period_of(args: dict[str, Any]) -> periods.Period:
    try:
        if "period" in args:
            return periods.parse(args["period"])
        return periods.date_range(args["from_"], args["to"])
    except periods.PeriodError as exc:
        raise ValidationFailed(str(exc), details={"fields": {"period": [str(exc)]}}) from None


def _refuse_desk_agents(user: User) -> None:
    if user.role_enum is Role.AGENT:
        raise Forbidden("Service-level reports are for account managers, customers and admins.")


def breaches_after(cursor: str | None) -> tuple[datetime, int] | None:
    """Where a page of the breach list starts: (counted instant, clock id), or 400."""
    if cursor is None:
        return None
    return decode_cursor(cursor, BREACH_ORDER)


def reportable_organisation(user: User, organisation_id: int) -> Organisation:
    """The organisation, if `user` may read its report; else 404 (403 for desk agents)."""
    _refuse_desk_agents(user)
    role = user.role_enum
    stmt = select(Organisation).where(Organisation.id == organisation_id)
    if role is Role.ACCOUNT_MANAGER:
        stmt = stmt.where(Organisation.id.in_(access.managed_organisation_ids(user)))
    elif role is Role.CUSTOMER_CONTACT:
        stmt = stmt.where(Organisation.id == user.organisation_id)
    elif role is not Role.ADMIN:
        stmt = stmt.where(false())
    org = db.session().scalar(stmt)
    if org is None:
        raise NotFound(f"No organisation {organisation_id}.")
    return org


def reportable_contract(user: User, contract_id: int) -> queries.ContractRow:
    _refuse_desk_agents(user)
    found = queries.contracts(db.session(), [contract_id]).get(contract_id)
    role = user.role_enum
    if role is Role.SUPPLIER_AGENT:
        allowed = found is not None and found.supplier_id == user.supplier_id
    else:
        allowed = role in (Role.ADMIN, Role.ACCOUNT_MANAGER)
    if found is None or not allowed:
        raise NotFound(f"No contract {contract_id}.")
    return found


@blp.route("/service-level")
class ServiceLevel(MethodView):
    @blp.arguments(ServiceLevelArgs, location="query")
    @blp.response(200, ServiceLevelOut)
    @blp.doc(responses={"404": "NOT_FOUND"})  # an organisation the caller may not see
    def get(self, args: dict[str, Any]) -> ServiceLevelReport:
        """An organisation's service-level report for a period (Helsinki local time).

        Per promise line and clock kind: met, breached, compliance % (SLA.md: a clock counts
        in the period of its stop, or of its breach while still running; cancelled clocks
        nowhere) against the line's target; the breach list with where the time went, a
        page at a time (`breaches_limit`, earliest first; `breaches_next_cursor` goes into
        `breaches_cursor` for the next page; `breach_count` counts them all);
        supplier compliance per underpinning contract (the centre's staff only); volumes by
        service, type and channel; satisfaction; a 12-month trend ending with the period's
        last month. 404 for an organisation the caller may not see, 422 for a bad period.
        """
        user = current_user()
        org = reportable_organisation(user, args["organisation_id"])
        period = period_of(args)
        staff = access.can_see_internal(user)
        return build(
            db.session(),
            org.id,
            period,
            db.utcnow(),
            with_suppliers=staff,
            breaches_limit=args["breaches_limit"],
            breaches_after=breaches_after(args["breaches_cursor"]),
        )


@blp.route("/supplier-compliance")
class SupplierCompliance(MethodView):
    @blp.arguments(SupplierComplianceArgs, location="query")
    @blp.response(200, SupplierComplianceOut)
    @blp.doc(responses={"404": "NOT_FOUND"})  # a contract the caller may not see
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """An underpinning contract's compliance for a period, across every customer.

        Supplier agents see only their own supplier's contracts; admins and account managers
        every contract. 404 for a contract the caller may not see, 422 for a bad period.
        """
        user = current_user()
        contract = reportable_contract(user, args["contract_id"])
        period = period_of(args)
        now = db.utcnow()
        return {
            "contract": contract,
            "period": period,
            "generated_at": now,
            "kinds": build_contract(db.session(), contract, period, now),
        }
