"""Canned replies administration: admins keep the texts agents start their replies from.

The pages call the same operations as `PATCH/POST /api/v1/canned-replies`; a reply is never
deleted (tickets' replies were written from it), only taken out of use.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from catalog.groups.models import ResolverGroup
from servicedesk import db
from servicedesk.canned import operations, queries
from servicedesk.canned.models import CannedReply
from servicedesk.canned.render import PLACEHOLDERS, render
from servicedesk.enums import Role
from servicedesk.errors import ApiError, NotFound
from servicedesk.web.blueprint import bp
from servicedesk.web.intake_forms import CANNED_LOCALES, CannedReplyForm
from servicedesk.web.session import roles_required

#: What each placeholder becomes, for the help text.
PLACEHOLDER_HELP = {
    "requester_name": _l("the requester's name"),
    "ticket_number": _l("the ticket's number"),
    "ticket_title": _l("the ticket's title"),
    "agent_name": _l("your name (the agent who replies)"),
    "service_name": _l("the ticket's service, in the reply's language"),
}


def sample_values() -> dict[str, str]:
    """Made-up values for the preview: it shows where each placeholder lands."""
    return {
        "requester_name": "Maija Meikäläinen",
        "ticket_number": "KPK-2026-00042",
        "ticket_title": _("The printer on the second floor does not print"),
        "agent_name": current_user.name,
        "service_name": _("Printing services"),
    }


def _groups() -> list[ResolverGroup]:
    return list(
        db.session().scalars(
            select(ResolverGroup).order_by(ResolverGroup.provider, ResolverGroup.name)
        )
    )


def _form(reply: CannedReply | None = None) -> CannedReplyForm:
    if reply is None:
        form = CannedReplyForm()
    else:
        form = CannedReplyForm(
            data={
                "title": reply.title,
                "group_id": str(reply.group_id or ""),
                "locale": reply.locale or "",
                "body": reply.body,
                "active": reply.active,
            }
        )
    form.group_id.choices = [SelectChoice("", _("Every agent"))] + [
        SelectChoice(str(g.id), g.name, optgroup=g.provider) for g in _groups()
    ]
    return form


def _data(form: CannedReplyForm) -> dict[str, Any]:
    return {
        "title": form.title.data.strip(),
        "group_id": int(form.group_id.data) if form.group_id.data else None,
        "locale": form.locale.data or None,
        "body": form.body.data,
        "active": bool(form.active.data),
    }


def _reply(reply_id: int) -> CannedReply:
    reply = db.session().get(CannedReply, reply_id)
    if reply is None:
        raise NotFound(_("No canned reply %(id)s.", id=reply_id))
    return reply


def _render_form(
    form: CannedReplyForm,
    reply: CannedReply | None,
    *,
    status: int = 200,
    preview: str | None = None,
    extra: list[str] | None = None,
) -> Any:
    ctx = {
        "form": form,
        "reply": reply,
        "preview": preview,
        "extra_errors": extra or [],
        "placeholders": [(p, PLACEHOLDER_HELP[p]) for p in PLACEHOLDERS],
    }
    return render_template("web/canned_form.html", **ctx), status


def _refused(form: CannedReplyForm, exc: ApiError) -> list[str]:
    extra: list[str] = []
    for name, messages in (exc.details.get("fields") or {}).items():
        if name in form._fields:
            form[name].errors = [*form[name].errors, *(str(m) for m in messages)]
        else:
            extra.extend(str(m) for m in messages)
    if not extra and not exc.details.get("fields"):
        extra.append(exc.message)
    return extra


def _save(form: CannedReplyForm, reply: CannedReply | None) -> Any:
    """Preview, or save through the operations, from a posted form."""
    if request.form.get("action") == "preview":
        return _render_form(form, reply, preview=render(form.body.data or "", sample_values()))
    if not form.validate():
        return _render_form(form, reply, status=422)
    sess = db.session()
    try:
        if reply is None:
            reply = operations.create_reply(sess, _data(form))
            flash(_("Canned reply “%(title)s” added.", title=reply.title))
        else:
            operations.update_reply(sess, reply, _data(form))
            flash(_("Canned reply “%(title)s” saved.", title=reply.title))
    except ApiError as exc:
        return _render_form(form, reply, status=exc.status, extra=_refused(form, exc))
    return redirect(url_for("web.canned_replies"), code=303)


@bp.get("/desk/admin/canned-replies")
@roles_required(Role.ADMIN)
def canned_replies() -> Any:
    """Every canned reply, in use or not, with whom it is for."""
    replies = queries.all_replies(db.session())
    groups = {g.id: g for g in _groups()}
    return render_template(
        "web/canned_list.html",
        replies=replies,
        groups=groups,
        locale_names=dict(CANNED_LOCALES),
    )


@bp.route("/desk/admin/canned-replies/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def canned_reply_new() -> Any:
    """Add a canned reply."""
    form = _form()
    if request.method == "GET":
        return _render_form(form, None)
    return _save(form, None)


@bp.route("/desk/admin/canned-replies/<int:reply_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def canned_reply_edit(reply_id: int) -> Any:
    """Change a canned reply; the preview shows it filled in with sample values."""
    reply = _reply(reply_id)
    if request.method == "GET":
        form = _form(reply)
        return _render_form(form, reply, preview=render(reply.body, sample_values()))
    form = _form()
    return _save(form, reply)


@bp.post("/desk/admin/canned-replies/<int:reply_id>/active")
@roles_required(Role.ADMIN)
def canned_reply_active(reply_id: int) -> Any:
    """Take a reply out of use (agents stop seeing it), or back into use."""
    reply = _reply(reply_id)
    active = request.form.get("active") == "1"
    operations.update_reply(db.session(), reply, {"active": active})
    if active:
        flash(_("Canned reply “%(title)s” is in use again.", title=reply.title))
    else:
        flash(_("Canned reply “%(title)s” is no longer in use.", title=reply.title))
    return redirect(url_for("web.canned_replies"), code=303)
