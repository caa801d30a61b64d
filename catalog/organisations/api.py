"""Organisations: read by whoever may see them, written by admins."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import or_, select

from catalog.organisations import operations
from catalog.organisations.models import Organisation
from catalog.organisations.schemas import (
    OrganisationCreate,
    OrganisationListArgs,
    OrganisationOut,
    OrganisationPage,
    OrganisationPatch,
)
from servicedesk import access, db
from servicedesk.auth import current_user
from servicedesk.blueprint import Blueprint
from servicedesk.errors import NotFound
from servicedesk.pagination import SortKey, paginate
from servicedesk.search import contains

blp = Blueprint(
    "organisations",
    __name__,
    url_prefix="/organisations",
    description="Owner-customer organisations",
)


def visible_organisation(org_id: int) -> Organisation:
    org = db.session().scalar(
        select(Organisation).where(
            Organisation.id == org_id, access.organisation_scope(current_user())
        )
    )
    if org is None:
        raise NotFound(f"No organisation {org_id}.")
    return org


@blp.route("")
class Organisations(MethodView):
    @blp.arguments(OrganisationListArgs, location="query")
    @blp.response(200, OrganisationPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Organisations the caller may see (a customer sees only their own)."""
        stmt = select(Organisation).where(access.organisation_scope(current_user()))
        if "kind" in args:
            stmt = stmt.where(Organisation.kind == args["kind"])
        if "q" in args:
            q = args["q"]
            stmt = stmt.where(
                or_(contains(Organisation.name, q), contains(Organisation.business_id, q))
            )
        items, cursor = paginate(
            db.session(),
            stmt,
            SortKey(Organisation.id, Organisation.id, descending=False),
            args["limit"],
            args["cursor"],
        )
        return {"items": items, "next_cursor": cursor}

    @blp.arguments(OrganisationCreate)
    @blp.response(201, OrganisationOut)
    def post(self, data: dict[str, Any]) -> Organisation:
        """Add an organisation (admin)."""
        access.require_admin(current_user())
        return operations.create_organisation(db.session(), **data)


@blp.route("/<int:org_id>")
class OrganisationById(MethodView):
    @blp.response(200, OrganisationOut)
    def get(self, org_id: int) -> Organisation:
        """One organisation."""
        return visible_organisation(org_id)

    @blp.arguments(OrganisationPatch)
    @blp.response(200, OrganisationOut)
    def patch(self, data: dict[str, Any], org_id: int) -> Organisation:
        """Change an organisation (admin)."""
        org = visible_organisation(org_id)
        access.require_admin(current_user())
        return operations.update_organisation(db.session(), org, data)
