"""The portal's service list as an API: the picker's answer, for the portal and any client."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import select

from catalog.gate import ALWAYS_ACCEPTED_TYPES
from catalog.organisations.models import Organisation
from servicedesk import access, db
from servicedesk.auth import current_user
from servicedesk.blueprint import Blueprint
from servicedesk.enums import CUSTOMER_ROLES, Role
from servicedesk.errors import Forbidden, NotFound, ValidationFailed
from servicedesk.portal.offers import offers_for
from servicedesk.portal.schemas import ServicesArgs, ServicesOut
from servicedesk.users.models import User

blp = Blueprint("portal", __name__, url_prefix="/portal", description="Portal")

#: Change needs and feedback: filed for any service of the catalogue (the gate's rule).
ALWAYS_ACCEPTED = sorted(ALWAYS_ACCEPTED_TYPES)


def _organisation_asked(user: User, organisation_id: int | None) -> int | None:
    """The organisation the answer is about: the customer side's own (asking for another is
    a 404); the one the desk names, if it may see it."""
    role = user.role_enum
    if role is Role.SUPPLIER_AGENT:
        raise Forbidden("The portal's services are for the customers and the desk.")
    if role in CUSTOMER_ROLES:
        if organisation_id not in (None, user.organisation_id):
            raise NotFound(f"No organisation {organisation_id}.")
        return user.organisation_id
    if organisation_id is None:
        if user.organisation_id is not None:
            return user.organisation_id
        message = "Name the organisation whose services you ask about."
        raise ValidationFailed(message, details={"fields": {"organisation_id": [message]}})
    found = db.session().scalar(
        select(Organisation.id).where(
            Organisation.id == organisation_id, access.organisation_scope(user)
        )
    )
    if found is None:
        raise NotFound(f"No organisation {organisation_id}.")
    return found


@blp.route("/services")
class PortalServices(MethodView):
    @blp.arguments(ServicesArgs, location="query")
    @blp.response(200, ServicesOut)
    @blp.doc(responses={"404": "NOT_FOUND"})  # an organisation_id the caller may not see
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The services the caller's organisation may file tickets for today.

        Each service says whether incidents and service requests may be filed now
        (`available`), from when if it starts later (`starts_on`), or why not (`reason`).
        Change needs and feedback are accepted for every service (`always_accepted_types`).
        An organisation that may file nothing at all gets `refusal` (the reason) and no
        items. The desk names an organisation with `organisation_id`.
        """
        user = current_user()
        org_id = _organisation_asked(user, args["organisation_id"])
        offers = offers_for(db.session(), user, organisation_id=org_id)
        refusal = offers.refusal
        return {
            "refusal": None
            if refusal is None
            else {"reason": refusal.reason.value, "message": refusal.message},
            "items": [
                {
                    "service": offer.service,
                    "available": offer.available,
                    "starts_on": offer.starts_on,
                    "reason": offer.reason,
                    "always_accepted_types": ALWAYS_ACCEPTED,
                }
                for offer in offers.services
            ],
        }
