"""The service catalogue: readable by every signed-in user, written by admins."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import or_, select

from catalog.services import operations
from catalog.services.models import Service
from catalog.services.schemas import (
    ServiceCreate,
    ServiceListArgs,
    ServiceOut,
    ServicePage,
    ServicePatch,
)
from servicedesk import access, db
from servicedesk.auth import current_user
from servicedesk.blueprint import Blueprint
from servicedesk.errors import NotFound
from servicedesk.pagination import SortKey, paginate
from servicedesk.search import contains

blp = Blueprint("services", __name__, url_prefix="/services", description="Service catalogue")


def _service(service_id: int) -> Service:
    service = db.session().get(Service, service_id)
    if service is None:
        raise NotFound(f"No service {service_id}.")
    return service


@blp.route("")
class Services(MethodView):
    @blp.arguments(ServiceListArgs, location="query")
    @blp.response(200, ServicePage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The catalogue, by code; retired services only on request."""
        stmt = select(Service)
        if not args["include_retired"]:
            stmt = stmt.where(Service.retired_at.is_(None))
        if "family" in args:
            stmt = stmt.where(Service.family == args["family"])
        if "provider" in args:
            stmt = stmt.where(Service.provider == args["provider"].value)
        if "q" in args:
            q = args["q"]
            stmt = stmt.where(
                or_(
                    contains(Service.code, q),
                    contains(Service.name_fi, q),
                    contains(Service.name_sv, q),
                    contains(Service.name_en, q),
                )
            )
        items, cursor = paginate(
            db.session(),
            stmt,
            SortKey(Service.code, Service.id, False),
            args["limit"],
            args["cursor"],
        )
        return {"items": items, "next_cursor": cursor}

    @blp.arguments(ServiceCreate)
    @blp.response(201, ServiceOut)
    def post(self, data: dict[str, Any]) -> Service:
        """Add a service (admin)."""
        access.require_admin(current_user())
        return operations.create_service(db.session(), **data)


@blp.route("/<int:service_id>")
class ServiceById(MethodView):
    @blp.response(200, ServiceOut)
    def get(self, service_id: int) -> Service:
        """One service."""
        return _service(service_id)

    @blp.arguments(ServicePatch)
    @blp.response(200, ServiceOut)
    def patch(self, data: dict[str, Any], service_id: int) -> Service:
        """Change or retire a service (admin). Retired services keep their tickets."""
        service = _service(service_id)
        access.require_admin(current_user())
        return operations.update_service(db.session(), service, data)
