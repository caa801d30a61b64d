"""Transition plans: the phased start of an agreement's services, milestone by milestone.

Who reads a plan: whoever reads the agreement (`catalog.agreements.api`): admins, desk
agents, the organisation's account managers and its customer contacts; an end user of the
organisation 403; anyone else 404. Who changes one: admins and the customer's account
manager (`transition.require_plan`), after the same 404.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import select

from catalog.agreements import transition
from catalog.agreements.api import visible_version  # drafts: 404 for the customer
from catalog.agreements.models import AgreementService, TransitionMilestone
from catalog.agreements.transition_rules import status
from catalog.agreements.transition_schemas import MilestonePatch, PlanIn, PlanLineOut, PlanOut
from catalog.services.models import Service
from servicedesk import access, db
from servicedesk.auth import current_user
from servicedesk.blueprint import Blueprint
from servicedesk.errors import NotFound

blp = Blueprint("transition_plans", __name__, url_prefix="", description="Service agreements")


def _line_out(line: AgreementService, service: Service | None) -> dict[str, Any]:
    day = transition.today()
    return {
        "service_id": line.service_id,
        "code": service.code if service else "",
        "name_fi": service.name_fi if service else "",
        "name_sv": service.name_sv if service else "",
        "name_en": service.name_en if service else "",
        "starts_on": line.starts_on,
        "started": line.starts_on <= day,
        "milestones": [
            {
                "id": m.id,
                "position": m.position,
                "kind": m.kind,
                "name": m.name,
                "planned_on": m.planned_on,
                "done_on": m.done_on,
                "status": status(transition.as_rule(m), day).value,
            }
            for m in line.milestones
        ],
    }


@blp.route("/agreements/<int:version_id>/transition-plan")
class TransitionPlan(MethodView):
    @blp.response(200, PlanOut)
    def get(self, version_id: int) -> dict[str, Any]:
        """The version's transition plan: per service line its start and its milestones,
        each done, late or planned as of today (Helsinki). Not for end users (403)."""
        version = visible_version(version_id)
        access.require_commercial_terms(current_user(), "the organisation's agreements")
        sess = db.session()
        ids = [line.service_id for line in version.services]
        services = {s.id: s for s in sess.scalars(select(Service).where(Service.id.in_(ids)))}
        return {
            "agreement_version_id": version.id,
            "organisation_id": version.organisation_id,
            "state": version.state,
            "today": transition.today(),
            "services": [
                _line_out(line, services.get(line.service_id))
                for line in sorted(version.services, key=lambda s: (s.starts_on, s.service_id))
            ],
        }


@blp.route("/agreements/<int:version_id>/services/<int:service_id>/transition-plan")
class ServiceTransitionPlan(MethodView):
    @blp.arguments(PlanIn)
    @blp.response(200, PlanLineOut)
    def put(self, data: dict[str, Any], version_id: int, service_id: int) -> dict[str, Any]:
        """Replace the service's plan (admin, or the customer's account manager); the
        go-live's date becomes the service's start (`start_moved` event when it moves).

        422 for a plan out of order, without one go-live last, or going live after the
        agreement ends; 409 `service_started` when an agreement in force would move the
        start of a service that has started."""
        version = visible_version(version_id)  # 404 before 403
        sess = db.session()
        transition.require_plan(sess, current_user(), version)
        line = sess.scalar(
            select(AgreementService).where(
                AgreementService.agreement_version_id == version.id,
                AgreementService.service_id == service_id,
            )
        )
        if line is None:
            raise NotFound(f"Version {version.version_no} does not include service {service_id}.")
        transition.set_plan(sess, current_user(), line, data["milestones"])
        return _line_out(line, sess.get(Service, line.service_id))


@blp.route("/transition-milestones/<int:milestone_id>")
class MilestoneById(MethodView):
    @blp.arguments(MilestonePatch)
    @blp.response(200, PlanLineOut)
    def patch(self, data: dict[str, Any], milestone_id: int) -> dict[str, Any]:
        """Move a milestone (`planned_on`) and/or mark it done (`done_on`; null: not done).

        A slip moves the later milestones not done by as many days, and with the go-live the
        service's start; answers the service's whole plan. 409 `service_started` when an
        agreement in force would move the start of a service that has started."""
        sess = db.session()
        milestone = sess.get(TransitionMilestone, milestone_id)
        if milestone is None:
            raise NotFound(f"No transition milestone {milestone_id}.")
        line = sess.get_one(AgreementService, milestone.agreement_service_id)
        try:
            version = visible_version(line.agreement_version_id)
        except NotFound:
            raise NotFound(f"No transition milestone {milestone_id}.") from None
        transition.require_plan(sess, current_user(), version)
        if "planned_on" in data:
            transition.move_milestone(sess, current_user(), milestone, data["planned_on"])
        if "done_on" in data:
            transition.complete_milestone(sess, current_user(), milestone, data["done_on"])
        return _line_out(line, sess.get(Service, line.service_id))
