"""Admin API of incoming mail: the list (quarantine first of all) and re-processing."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from sqlalchemy import select

from servicedesk import access, db
from servicedesk.auth import current_user
from servicedesk.blueprint import Blueprint
from servicedesk.errors import NotFound
from servicedesk.mail.intake import reprocess
from servicedesk.mail.models import OUTCOMES, InboundMail
from servicedesk.pagination import SortKey, paginate
from servicedesk.schemas import PageArgs, UTCDateTimeField

blp = Blueprint(
    "inbound_mail", __name__, url_prefix="/admin/inbound-mail", description="Incoming mail (admin)"
)


class InboundMailOut(ma.Schema):
    id = ma.fields.Integer()
    message_id = ma.fields.String(allow_none=True)
    sender = ma.fields.String()
    subject = ma.fields.String()
    source = ma.fields.String(metadata={"description": "pipe or imap"})
    received_at = UTCDateTimeField()
    processed_at = UTCDateTimeField()
    outcome = ma.fields.String(metadata={"description": ", ".join(OUTCOMES)})
    reason = ma.fields.String()
    ticket_id = ma.fields.Integer(allow_none=True)
    comment_id = ma.fields.Integer(allow_none=True)
    attempts = ma.fields.Integer()
    size = ma.fields.Function(lambda row: len(row.raw), metadata={"description": "bytes"})


class InboundMailPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(InboundMailOut))
    next_cursor = ma.fields.String(allow_none=True)


class InboundMailArgs(PageArgs):
    outcome = ma.fields.String(validate=ma.validate.OneOf(OUTCOMES))
    sender = ma.fields.String(validate=ma.validate.Length(1, 254))


def _row(mail_id: int) -> InboundMail:
    row = db.session().get(InboundMail, mail_id)
    if row is None:
        raise NotFound(f"No incoming mail {mail_id}.")
    return row


@blp.route("")
class InboundMails(MethodView):
    @blp.arguments(InboundMailArgs, location="query")
    @blp.response(200, InboundMailPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Received mail, newest first; `outcome=quarantined` is what waits for an admin."""
        access.require_admin(current_user())
        stmt = select(InboundMail)
        if "outcome" in args:
            stmt = stmt.where(InboundMail.outcome == args["outcome"])
        if "sender" in args:
            stmt = stmt.where(InboundMail.sender == args["sender"].strip().lower())
        items, cursor = paginate(
            db.session(),
            stmt,
            SortKey(InboundMail.id, InboundMail.id, descending=True),
            args["limit"],
            args["cursor"],
        )
        return {"items": items, "next_cursor": cursor}


@blp.route("/<int:mail_id>")
class InboundMailById(MethodView):
    @blp.response(200, InboundMailOut)
    def get(self, mail_id: int) -> InboundMail:
        """One received mail and what became of it."""
        access.require_admin(current_user())
        return _row(mail_id)


@blp.route("/<int:mail_id>/reprocess")
class Reprocess(MethodView):
    @blp.response(200, InboundMailOut)
    def post(self, mail_id: int) -> InboundMail:
        """Place the mail again (e.g. after adding its sender as a user): 409
        `already_placed` for a mail that made a ticket or comment."""
        access.require_admin(current_user())
        return reprocess(db.session(), _row(mail_id), current_app.config["SETTINGS"])
