"""Canned replies: listed for the centre's staff, kept by admins, rendered for a ticket."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from servicedesk import access, db
from servicedesk.auth import current_user
from servicedesk.blueprint import Blueprint
from servicedesk.canned import operations, queries
from servicedesk.canned.models import CannedReply
from servicedesk.canned.schemas import (
    CannedReplyCreate,
    CannedReplyOut,
    CannedReplyPatch,
    RenderedOut,
)
from servicedesk.enums import Role
from servicedesk.errors import Forbidden, NotFound
from servicedesk.users.models import User

blp = Blueprint("canned", __name__, url_prefix="", description="Canned replies")


def _require_staff(user: User) -> None:
    if not access.can_see_internal(user):
        raise Forbidden("Canned replies are for the centre's staff.")


@blp.route("/canned-replies")
class CannedReplies(MethodView):
    @blp.response(200, CannedReplyOut(many=True))
    def get(self) -> list[CannedReply]:
        """An agent's replies (their groups' and the global ones); every reply for an admin."""
        user = current_user()
        _require_staff(user)
        if user.role_enum is Role.ADMIN:
            return queries.all_replies(db.session())
        return queries.for_agent(db.session(), user)

    @blp.arguments(CannedReplyCreate)
    @blp.response(201, CannedReplyOut)
    def post(self, data: dict[str, Any]) -> CannedReply:
        """Add a canned reply (admin)."""
        access.require_admin(current_user())
        return operations.create_reply(db.session(), data)


@blp.route("/canned-replies/<int:reply_id>")
class CannedReplyById(MethodView):
    @blp.arguments(CannedReplyPatch)
    @blp.response(200, CannedReplyOut)
    def patch(self, data: dict[str, Any], reply_id: int) -> CannedReply:
        """Change a canned reply (admin); `active: false` retires it."""
        access.require_admin(current_user())
        reply = db.session().get(CannedReply, reply_id)
        if reply is None:
            raise NotFound(f"No canned reply {reply_id}.")
        return operations.update_reply(db.session(), reply, data)


@blp.route("/tickets/<int:ticket_id>/canned-replies/<int:reply_id>/render")
class RenderCanned(MethodView):
    @blp.response(200, RenderedOut)
    def get(self, ticket_id: int, reply_id: int) -> dict[str, str]:
        """The reply filled in for this ticket, for the agent to edit and send."""
        sess = db.session()
        user = current_user()
        ticket = access.visible_ticket(sess, user, ticket_id)
        _require_staff(user)
        reply = queries.usable(sess, user, reply_id)
        if reply is None:
            raise NotFound(f"No canned reply {reply_id} for you.")
        return {"body": operations.render_for(reply, ticket, user)}
