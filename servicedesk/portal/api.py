"""The portal's service picker for API clients: what the caller's organisation may file
today, service by service (the same answer the portal's "New ticket" page shows)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from catalog.gate import ALWAYS_ACCEPTED_TYPES
from servicedesk import db
from servicedesk.auth import current_user
from servicedesk.blueprint import Blueprint
from servicedesk.enums import CUSTOMER_ROLES
from servicedesk.errors import Forbidden
from servicedesk.portal.offers import offers_for
from servicedesk.portal.schemas import OffersOut
from servicedesk.tickets.schemas import TICKET_TYPES

blp = Blueprint("portal", __name__, url_prefix="/portal", description="Portal")


@blp.route("/services")
class PortalServices(MethodView):
    @blp.response(200, OffersOut)
    def get(self) -> dict[str, Any]:
        """The services the caller's organisation may file tickets for today (end users and
        customer contacts): each with whether it is available now, its start date if it
        starts later, and the ticket types it takes. A refused organisation gets the reason
        in `refusal` and no services."""
        user = current_user()
        if user.role_enum not in CUSTOMER_ROLES:
            raise Forbidden("The service list is for the customers' users.")
        offers = offers_for(db.session(), user)
        always = [t for t in TICKET_TYPES if t in ALWAYS_ACCEPTED_TYPES]
        return {
            "refusal": None
            if offers.refusal is None
            else {
                "reason": offers.refusal.reason.value,
                "message": offers.refusal.message,
                "starts_on": offers.refusal.starts_on,
            },
            "services": [
                {
                    "service": o.service,
                    "available": o.available,
                    "starts_on": o.starts_on,
                    "reason": o.reason,
                    "types": list(TICKET_TYPES) if o.available else always,
                }
                for o in offers.services
            ],
        }
