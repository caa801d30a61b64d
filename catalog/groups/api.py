"""Resolver groups: seen by the centre's staff, written by admins."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import select

from catalog.groups import operations
from catalog.groups.models import ResolverGroup
from catalog.groups.schemas import GroupCreate, GroupOut, GroupPatch, MembersIn
from servicedesk import access, db
from servicedesk.auth import current_user
from servicedesk.blueprint import Blueprint
from servicedesk.errors import NotFound

blp = Blueprint("groups", __name__, url_prefix="/groups", description="Resolver groups")


def _visible_group(group_id: int) -> ResolverGroup:
    group = db.session().get(ResolverGroup, group_id)
    if group is None or not access.can_see_internal(current_user()):
        raise NotFound(f"No group {group_id}.")
    return group


def _out(group: ResolverGroup) -> dict[str, Any]:
    return {
        **GroupOut(exclude=("member_ids",)).dump(group),
        "member_ids": operations.member_ids(db.session(), group.id),
    }


@blp.route("")
class Groups(MethodView):
    @blp.response(200, GroupOut(many=True))
    def get(self) -> list[dict[str, Any]]:
        """All resolver groups (the centre's staff only; others get an empty list)."""
        if not access.can_see_internal(current_user()):
            return []
        groups = db.session().scalars(select(ResolverGroup).order_by(ResolverGroup.code))
        return [_out(g) for g in groups]

    @blp.arguments(GroupCreate)
    @blp.response(201, GroupOut)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Create a group (admin)."""
        access.require_admin(current_user())
        return _out(operations.create_group(db.session(), **data))


@blp.route("/<int:group_id>")
class GroupById(MethodView):
    @blp.response(200, GroupOut)
    def get(self, group_id: int) -> dict[str, Any]:
        """One group with its members."""
        return _out(_visible_group(group_id))

    @blp.arguments(GroupPatch)
    @blp.response(200, GroupOut)
    def patch(self, data: dict[str, Any], group_id: int) -> dict[str, Any]:
        """Change a group (admin)."""
        group = _visible_group(group_id)
        access.require_admin(current_user())
        for field, value in data.items():
            setattr(group, field, value)
        db.session().flush()
        return _out(group)


@blp.route("/<int:group_id>/members")
class GroupMembers(MethodView):
    @blp.arguments(MembersIn)
    @blp.response(200, GroupOut)
    def put(self, data: dict[str, Any], group_id: int) -> dict[str, Any]:
        """Replace the group's members (admin): agents of the group's provider."""
        group = _visible_group(group_id)
        access.require_admin(current_user())
        operations.set_members(db.session(), group, data["user_ids"])
        return _out(group)
