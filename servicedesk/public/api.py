"""`GET /api/v1/public/service-level`: the public service-level figures, with no login.

Listed in `servicedesk.auth.PUBLIC_API_PATHS`, so no token is asked for, and marked
`security: []` in the OpenAPI document. The answer is the same for everybody, so shared caches
may keep it for five minutes.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView

from servicedesk import db
from servicedesk.blueprint import Blueprint
from servicedesk.public.report import PublicServiceLevel, kept_build
from servicedesk.public.schemas import PublicServiceLevelArgs, PublicServiceLevelOut

blp = Blueprint(
    "public", __name__, url_prefix="/public", description="Public service-level figures"
)

PATH = "/api/v1/public/service-level"
CACHE_CONTROL = "public, max-age=300"


def cache_seconds() -> float:
    """How long a worker keeps the figures (`PUBLIC_CACHE_SECONDS`, default 60; 0: never).

    The environment sets it (`Settings`); `app.config["PUBLIC_CACHE_SECONDS"]` overrides it."""
    configured = current_app.config.get("PUBLIC_CACHE_SECONDS")
    if configured is None:
        configured = current_app.config["SETTINGS"].public_cache_seconds
    return float(configured)


@blp.route("/service-level")
class PublicServiceLevelView(MethodView):
    @blp.arguments(PublicServiceLevelArgs, location="query", error_status_code=400)
    @blp.response(200, PublicServiceLevelOut)
    @blp.doc(security=[], responses={"400": "BAD_REQUEST"})
    def get(self, args: dict[str, Any]) -> tuple[PublicServiceLevel, int, dict[str, str]]:
        """The catalogue with its price list, and compliance and volumes per service family
        and month across all owners; no login.

        Compliance is met / (met + breached) of the response and resolution clocks (SLA.md).
        A figure resting on fewer than `minimum_count` clocks or tickets is suppressed (null,
        with `suppressed: true`), so that no small owner can be singled out. No organisation,
        person or ticket text appears. 400 for a bad `months`.
        """
        report = kept_build(db.session(), db.utcnow(), args["months"], cache_seconds())
        return report, 200, {"Cache-Control": CACHE_CONTROL}
