"""Agreements per organisation, the yearly cycle (renewal, proposal, acceptance, signature),
the gate as a question, and account managers.

Who sees what: the centre's staff and account managers (of their customers) every version;
the customer contact their organisation's proposals and versions in force, never a draft
(the centre's work in progress: a draft's id is a 404 for them); end users are refused the
commercial terms (403); supplier agents see no organisation (404).
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from sqlalchemy import delete, insert, select

from catalog.agreements import cycle, cycle_rules, operations, queries
from catalog.agreements.models import OPEN_STATES, AgreementEvent, AgreementVersion
from catalog.agreements.schemas import (
    AccountManagersIn,
    AgreementEventOut,
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
from servicedesk.errors import Forbidden, NotFound, ValidationFailed
from servicedesk.tickets.handover import hand_over
from servicedesk.users.models import User
from servicedesk.users.schemas import UserOut

blp = Blueprint("agreements", __name__, url_prefix="", description="Service agreements")


def sees_drafts(user: User) -> bool:
    """Drafts are the centre's work in progress: the customer's people never see them."""
    return user.role_enum not in (Role.CUSTOMER_CONTACT, Role.END_USER)


def _name(user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = db.session().get(User, user_id)
    return user.name if user is not None else None


def _out(version: AgreementVersion) -> AgreementVersion:
    """The version with what the API tells beside its columns (see VersionOut)."""
    sess = db.session()
    today = queries.local_date(utcnow())
    version.frozen = operations.is_frozen(sess, version)  # type: ignore[attr-defined]
    version.accepted_by = _name(version.accepted_by_id)  # type: ignore[attr-defined]
    version.signed_by = _name(version.signed_by_id)  # type: ignore[attr-defined]
    lapse = cycle.lapse(sess, version, today)
    version.lapse = (  # type: ignore[attr-defined]
        None if lapse is None else {"ends_on": lapse.ends_on, "days_left": lapse.days_left}
    )
    successor = _successor(version)
    version.successor = (  # type: ignore[attr-defined]
        None
        if successor is None
        else {"id": successor.id, "version_no": successor.version_no, "state": successor.state}
    )
    return version


def _successor(version: AgreementVersion) -> AgreementVersion | None:
    """The next version after `version` that is not superseded (one the caller may see)."""
    stmt = (
        select(AgreementVersion)
        .where(
            AgreementVersion.organisation_id == version.organisation_id,
            AgreementVersion.valid_from > version.valid_from,
            AgreementVersion.state != "superseded",
        )
        .order_by(AgreementVersion.valid_from, AgreementVersion.version_no)
        .limit(1)
    )
    if not sees_drafts(current_user()):
        stmt = stmt.where(AgreementVersion.state != "draft")
    return db.session().scalar(stmt)


def visible_version(version_id: int) -> AgreementVersion:
    version = db.session().get(AgreementVersion, version_id)
    if version is None or (version.state == "draft" and not sees_drafts(current_user())):
        raise NotFound(f"No agreement version {version_id}.")
    visible_organisation(version.organisation_id)  # 404 unless the caller may see the customer
    return version


def _require_cycle_work(user: User, version: AgreementVersion, what: str) -> None:
    """Renewing, proposing and taking back: an admin, or the customer's account manager.
    (The state each step needs is the operation's 409, not a 403.)"""
    manager = cycle.manages(db.session(), user, version.organisation_id)
    if not cycle_rules.may_edit(user.role_enum, manager, "draft"):
        raise Forbidden(f"Only an administrator or the customer's account manager may {what}.")


@blp.route("/organisations/<int:org_id>/agreements")
class Agreements(MethodView):
    @blp.response(200, VersionOut(many=True))
    def get(self, org_id: int) -> list[AgreementVersion]:
        """The organisation's agreement versions, oldest first (not for end users; a customer
        contact sees proposals and versions in force, not drafts)."""
        org = visible_organisation(org_id)
        user = current_user()
        access.require_commercial_terms(user, "the organisation's agreements")
        stmt = (
            select(AgreementVersion)
            .where(AgreementVersion.organisation_id == org.id)
            .order_by(AgreementVersion.version_no)
        )
        if not sees_drafts(user):
            stmt = stmt.where(AgreementVersion.state != "draft")
        return [_out(v) for v in db.session().scalars(stmt)]

    @blp.arguments(VersionIn)
    @blp.response(201, VersionOut)
    def post(self, data: dict[str, Any], org_id: int) -> AgreementVersion:
        """Add a version: service lines with start dates, promises, prices.

        An admin types in a version in force (`state` "signed", the default) or a draft; the
        customer's account manager may start a draft (`state` "draft") only."""
        org = visible_organisation(org_id)  # 404 before 403: a foreign id stays unknown
        user = current_user()
        sess = db.session()
        state = data.pop("state")
        if user.role_enum is not Role.ADMIN and not (
            state == "draft"
            and cycle_rules.may_edit(user.role_enum, cycle.manages(sess, user, org.id), state)
        ):
            raise Forbidden(
                "Only an administrator may do this; the customer's account manager may "
                'create a draft ("state": "draft").'
            )
        version = operations.create_version(sess, org, data, state=state)
        if state == "signed":  # typed in whole: signed by whoever typed it in
            version.signed_at = utcnow()
            version.signed_by_id = user.id
        cycle.record(sess, version, user, "created", state=state)
        sess.flush()
        return _out(version)


@blp.route("/agreements/<int:version_id>")
class AgreementById(MethodView):
    @blp.response(200, VersionOut)
    def get(self, version_id: int) -> AgreementVersion:
        """One agreement version (not for end users; a draft not for the customer contact)."""
        version = visible_version(version_id)
        access.require_commercial_terms(current_user(), "the organisation's agreements")
        return _out(version)

    @blp.arguments(VersionPatch)
    @blp.response(200, VersionOut)
    def patch(self, data: dict[str, Any], version_id: int) -> AgreementVersion:
        """Change a version: an admin any (once tickets froze it, only its end, deadline and
        notes); the customer's account manager drafts and proposals. A change to a proposal
        clears the customer's acceptance: they accept the changed one again."""
        version = visible_version(version_id)  # 404 before 403
        user = current_user()
        sess = db.session()
        cycle.require_edit(sess, user, version)
        was_open = version.state in OPEN_STATES
        operations.update_version(sess, version, data)
        if was_open:
            cycle.edited(sess, user, version, list(data))
            sess.flush()
        return _out(version)


@blp.route("/agreements/<int:version_id>/events")
class AgreementEvents(MethodView):
    @blp.response(200, AgreementEventOut(many=True))
    def get(self, version_id: int) -> list[dict[str, Any]]:
        """The version's history, oldest first: who did what when (drafted, proposed,
        accepted, signed, reminders sent...)."""
        version = visible_version(version_id)
        access.require_commercial_terms(current_user(), "the organisation's agreements")
        rows = db.session().execute(
            select(AgreementEvent, User.name)
            .outerjoin(User, User.id == AgreementEvent.actor_id)
            .where(AgreementEvent.agreement_version_id == version.id)
            .order_by(AgreementEvent.at, AgreementEvent.id)
        )
        return [
            {"id": e.id, "at": e.at, "kind": e.kind, "actor": name, "data": e.data or {}}
            for e, name in rows
        ]


@blp.route("/agreements/<int:version_id>/renewal")
class Renewal(MethodView):
    @blp.response(201, VersionOut)
    def post(self, version_id: int) -> AgreementVersion:
        """Draft the next period's version from this one (in force, with an end date): its
        service lines, promises, prices and invoicing. An admin or the customer's account
        manager; 409 `successor_exists`, `open_ended` or `wrong_state`."""
        version = visible_version(version_id)
        user = current_user()
        _require_cycle_work(user, version, "draft a renewal")
        return _out(cycle.new_draft(db.session(), user, version))


@blp.route("/agreements/<int:version_id>/proposal")
class Proposal(MethodView):
    @blp.response(200, VersionOut)
    def post(self, version_id: int) -> AgreementVersion:
        """Propose a draft to the customer (an admin or the customer's account manager);
        409 `wrong_state` unless it is a draft."""
        version = visible_version(version_id)
        user = current_user()
        _require_cycle_work(user, version, "propose an agreement")
        return _out(cycle.propose(db.session(), user, version))


@blp.route("/agreements/<int:version_id>/return-to-draft")
class ReturnToDraft(MethodView):
    @blp.response(200, VersionOut)
    def post(self, version_id: int) -> AgreementVersion:
        """Take a proposal back to draft (its acceptance, if any, is dropped); 409
        `wrong_state` unless it is a proposal."""
        version = visible_version(version_id)
        user = current_user()
        _require_cycle_work(user, version, "take a proposal back")
        return _out(cycle.return_to_draft(db.session(), user, version))


@blp.route("/agreements/<int:version_id>/acceptance")
class Acceptance(MethodView):
    @blp.response(200, VersionOut)
    def post(self, version_id: int) -> AgreementVersion:
        """The customer contact accepts the proposal on the organisation's behalf (again: no
        change); 409 `wrong_state` unless it is a proposal."""
        version = visible_version(version_id)
        user = current_user()
        cycle.require_accept(user, version)
        return _out(cycle.accept(db.session(), user, version))


@blp.route("/agreements/<int:version_id>/signature")
class Signature(MethodView):
    @blp.response(200, VersionOut)
    def post(self, version_id: int) -> AgreementVersion:
        """Sign an accepted proposal: it is in force from its start, and the signed versions
        before it are superseded (in force to their own end). An admin, or the customer's
        account manager where ACCOUNT_MANAGERS_SIGN allows; 409 `wrong_state`,
        `not_accepted` or `overlaps`."""
        version = visible_version(version_id)
        user = current_user()
        sess = db.session()
        allowed = current_app.config["SETTINGS"].account_managers_sign
        cycle.require_sign(sess, user, version, allowed)
        return _out(cycle.sign(sess, user, version))


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
