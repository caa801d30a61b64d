"""Incoming mail administration: the quarantine, each mail's raw bytes, and re-processing.

The page calls the same operation as `POST /api/v1/admin/inbound-mail/{id}/reprocess`.
Mail text is hostile input: the page shows only the stored sender, subject and reason,
autoescaped; the raw message is a download, never rendered.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from servicedesk import db
from servicedesk.enums import Role
from servicedesk.errors import ApiError, NotFound
from servicedesk.mail.intake import REPROCESSABLE, reprocess
from servicedesk.mail.models import OUTCOMES, InboundMail
from servicedesk.web.blueprint import bp
from servicedesk.web.session import roles_required

#: The outcomes as the page names them.
OUTCOME_LABELS = {
    "ticket": _l("new ticket"),
    "comment": _l("comment"),
    "auto_answer": _l("automatic answer"),
    "ignored": _l("ignored"),
    "quarantined": _l("quarantined"),
}
PAGE_SIZE = 100


def _row(mail_id: int) -> InboundMail:
    row = db.session().get(InboundMail, mail_id)
    if row is None:
        raise NotFound(_("No incoming mail %(id)s.", id=mail_id))
    return row


@bp.get("/desk/admin/inbound-mail")
@roles_required(Role.ADMIN)
def inbound_mail() -> Any:
    """The newest received mail of one outcome (the quarantine first of all)."""
    outcome = request.args.get("outcome", "quarantined")
    if outcome not in OUTCOMES:
        outcome = "quarantined"
    rows = db.session().scalars(
        select(InboundMail)
        .where(InboundMail.outcome == outcome)
        .order_by(InboundMail.id.desc())
        .limit(PAGE_SIZE)
    )
    return render_template(
        "web/mail_admin.html",
        rows=list(rows),
        outcome=outcome,
        outcomes=[(o, OUTCOME_LABELS[o]) for o in OUTCOMES],
        reprocessable=REPROCESSABLE,
    )


@bp.get("/desk/admin/inbound-mail/<int:mail_id>/raw")
@roles_required(Role.ADMIN)
def inbound_mail_raw(mail_id: int) -> Response:
    """The message as it was received, as a download (never shown in the page)."""
    row = _row(mail_id)
    return Response(
        row.raw,
        mimetype="message/rfc822",
        headers={
            "Content-Disposition": f'attachment; filename="mail-{row.id}.eml"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@bp.post("/desk/admin/inbound-mail/<int:mail_id>/reprocess")
@roles_required(Role.ADMIN)
def inbound_mail_reprocess(mail_id: int) -> Any:
    """Place a mail again, e.g. after its sender was added as a user."""
    row = _row(mail_id)
    before = row.outcome
    try:
        reprocess(db.session(), row, current_app.config["SETTINGS"])
    except ApiError as exc:
        flash(exc.message)
        return redirect(url_for("web.inbound_mail", outcome=before), code=303)
    flash(
        _(
            "Mail %(id)s was processed again: %(outcome)s.",
            id=row.id,
            outcome=OUTCOME_LABELS[row.outcome],
        )
    )
    return redirect(url_for("web.inbound_mail", outcome=before), code=303)
