"""Agreements per organisation, the gate as a question, and account managers."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import delete, insert, select

from catalog.agreements import operations, queries
from catalog.agreements.models import AgreementVersion
from catalog.agreements.schemas import (
    AccountManagersIn,
    EntitlementArgs,
    EntitlementOut,
    VersionIn,
    VersionOut,
    VersionPatch,
)
from catalog.gate import Refusal
from catalog.organisations.api import visible_organisation
from catalog.organisations.models import organisation_account_managers
from catalog.services.models import Service
from servicedesk import access, db
from servicedesk.auth import current_user
from servicedesk.blueprint import Blueprint
from servicedesk.db import utcnow
from servicedesk.enums import Role
from servicedesk.errors import NotFound, ValidationFailed
from servicedesk.tickets.handover import hand_over
from servicedesk.users.models import User
from servicedesk.users.schemas import UserOut

blp = Blueprint("agreements", __name__, url_prefix="", description="Service agreements")


def _out(version: AgreementVersion) -> AgreementVersion:
    version.frozen = operations.is_frozen(db.session(), version)  # type: ignore[attr-defined]
    return version


def _visible_version(version_id: int) -> AgreementVersion:
    version = db.session().get(AgreementVersion, version_id)
    if version is None:
        raise NotFound(f"No agreement version {version_id}.")
    visible_organisation(version.organisation_id)  # 404 unless the caller may see the customer
    return version


@blp.route("/organisations/<int:org_id>/agreements")
class Agreements(MethodView):
    @blp.response(200, VersionOut(many=True))
    def get(self, org_id: int) -> list[AgreementVersion]:
        """The organisation's agreement versions, oldest first (not for end users)."""
        org = visible_organisation(org_id)
        access.require_commercial_terms(current_user(), "the organisation's agreements")
        rows = db.session().scalars(
            select(AgreementVersion)
            .where(AgreementVersion.organisation_id == org.id)
            .order_by(AgreementVersion.version_no)
        )
        return [_out(v) for v in rows]

    @blp.arguments(VersionIn)
    @blp.response(201, VersionOut)
    def post(self, data: dict[str, Any], org_id: int) -> AgreementVersion:
        """Add a version (admin): service lines with start dates, promises, prices."""
        org = visible_organisation(org_id)  # 404 before 403: a foreign id stays unknown
        access.require_admin(current_user())
        return _out(operations.create_version(db.session(), org, data))


@blp.route("/agreements/<int:version_id>")
class AgreementById(MethodView):
    @blp.response(200, VersionOut)
    def get(self, version_id: int) -> AgreementVersion:
        """One agreement version (not for end users)."""
        version = _visible_version(version_id)
        access.require_commercial_terms(current_user(), "the organisation's agreements")
        return _out(version)

    @blp.arguments(VersionPatch)
    @blp.response(200, VersionOut)
    def patch(self, data: dict[str, Any], version_id: int) -> AgreementVersion:
        """Change a version (admin); once tickets froze it, only its end, deadline and notes."""
        version = _visible_version(version_id)  # 404 before 403
        access.require_admin(current_user())
        return _out(operations.update_version(db.session(), version, data))


@blp.route("/organisations/<int:org_id>/entitlement")
class Entitlement(MethodView):
    @blp.arguments(EntitlementArgs, location="query")
    @blp.response(200, EntitlementOut)
    def get(self, args: dict[str, Any], org_id: int) -> dict[str, Any]:
        """Would a ticket for this service be accepted now (or at `at`)? The in-house gate."""
        org = visible_organisation(org_id)
        service = None
        if args["service_id"] is not None:
            service = db.session().get(Service, args["service_id"])
            if service is None:
                raise NotFound(f"No service {args['service_id']}.")
        result = queries.entitlement_for(db.session(), org.id, service, args["at"] or utcnow())
        if isinstance(result, Refusal):
            return {
                "entitled": False,
                "agreement_version_id": None,
                "reason": result.reason.value,
                "message": result.message,
                "starts_on": result.starts_on,
            }
        return {
            "entitled": True,
            "agreement_version_id": result.id,
            "reason": None,
            "message": None,
            "starts_on": None,
        }


@blp.route("/organisations/<int:org_id>/account-managers")
class AccountManagers(MethodView):
    @blp.response(200, UserOut(many=True))
    def get(self, org_id: int) -> list[User]:
        """The organisation's account managers (asiakasvastaava); an end user gets their names."""
        org = visible_organisation(org_id)
        managers = list(
            db.session().scalars(
                select(User)
                .join(
                    organisation_account_managers,
                    organisation_account_managers.c.user_id == User.id,
                )
                .where(organisation_account_managers.c.organisation_id == org.id)
                .order_by(User.id)
            )
        )
        if not access.reads_account_manager_contact(current_user()):
            return [{"name": m.name} for m in managers]  # type: ignore[return-value]
        return managers

    @blp.arguments(AccountManagersIn)
    @blp.response(200, UserOut(many=True))
    def put(self, data: dict[str, Any], org_id: int) -> list[User]:
        """Replace the organisation's account managers (admin).

        The open change needs and feedback assigned to an account manager who is no longer
        one of them go to the first one added (else the first who stays; else nobody), each
        with an `updated` event and the assignment mail."""
        org = visible_organisation(org_id)  # 404 before 403
        access.require_admin(current_user())
        sess = db.session()
        wanted = sorted(set(data["user_ids"]))
        users = list(sess.scalars(select(User).where(User.id.in_(wanted))))
        if len(users) != len(wanted) or any(u.role != Role.ACCOUNT_MANAGER.value for u in users):
            raise ValidationFailed(
                "Only account managers can be assigned.",
                details={"fields": {"user_ids": ["Not all are account managers."]}},
            )
        before = list(
            sess.scalars(
                select(organisation_account_managers.c.user_id).where(
                    organisation_account_managers.c.organisation_id == org.id
                )
            )
        )
        sess.execute(
            delete(organisation_account_managers).where(
                organisation_account_managers.c.organisation_id == org.id
            )
        )
        if wanted:
            sess.execute(
                insert(organisation_account_managers),
                [{"organisation_id": org.id, "user_id": u} for u in wanted],
            )
        # The open change needs and feedback of one who left go to a successor.
        hand_over(sess, current_user(), org.id, before, wanted)
        return sorted(users, key=lambda u: u.id)
