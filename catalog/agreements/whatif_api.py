"""What if an organisation's last months of tickets had run under an agreement version?

`GET /agreements/{version_id}/what-if` replays the organisation's real ticket histories under
the version's promises, calendars and prices, beside what really happened. Read only. Who may
ask: as for the service-level report (`servicedesk.reports.api.reportable_organisation`):
admins, the organisation's account managers and its customer contacts; desk agents 403;
anyone else, or a version that does not exist, 404.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from catalog.agreements.api import sees_drafts
from catalog.agreements.models import AgreementVersion
from catalog.agreements.queries import local_date
from catalog.agreements.whatif_queries import what_if
from catalog.agreements.whatif_schemas import WhatIfArgs, WhatIfOut
from servicedesk import db
from servicedesk.auth import current_user
from servicedesk.blueprint import Blueprint
from servicedesk.enums import Role
from servicedesk.errors import Forbidden, NotFound
from servicedesk.reports.api import reportable_organisation

blp = Blueprint("agreement_what_if", __name__, url_prefix="", description="Service agreements")


@blp.route("/agreements/<int:version_id>/what-if")
class WhatIf(MethodView):
    @blp.arguments(WhatIfArgs, location="query")
    @blp.response(200, WhatIfOut)
    @blp.doc(responses={"403": "FORBIDDEN", "404": "NOT_FOUND"})
    def get(self, args: dict[str, Any], version_id: int) -> dict[str, Any]:
        """Replay the organisation's tickets of the last `months` months under this version.

        Per the version's promise line and clock kind: met, breached and compliance % as they
        really were and as replayed; the tickets whose outcome would change; the charges the
        version's prices would have made for the same volumes beside the real ones. 403 for
        desk agents, 404 for a version the caller may not see, 422 for bad arguments.
        """
        user = current_user()
        if user.role_enum is Role.AGENT:
            raise Forbidden("The what-if is for account managers, customers and admins.")
        sess = db.session()
        version = sess.get(AgreementVersion, version_id)
        if version is None or (version.state == "draft" and not sees_drafts(user)):
            raise NotFound(f"No agreement version {version_id}.")
        try:
            reportable_organisation(user, version.organisation_id)
        except NotFound:
            raise NotFound(f"No agreement version {version_id}.") from None
        now = db.utcnow()
        until = args.get("until") or local_date(now)
        period, result = what_if(sess, version, until, args["months"], now)
        return {
            "agreement_version_id": version.id,
            "organisation_id": version.organisation_id,
            "first_day": period.starts_on,
            "last_day": period.ends_on,
            "tickets": result.tickets,
            "lines": result.lines,
            "changes": result.changes,
            "actual_charges": result.actual_charges,
            "replayed_charges": result.replayed_charges,
            "charges_difference": result.charges_difference,
        }
