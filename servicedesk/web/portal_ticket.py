"""The portal's ticket page: the status in words, the public conversation with its
attachments, and what the requester's side may do now (reply with files, answer the desk's
question, confirm or reopen the solution, withdraw, rate).

Each action is a POST that calls the API's operation (`reply`, `update_ticket`, `rate`) and
redirects back (303); a refused one re-renders the page with its status and the reason, so
the request commits nothing. A foreign ticket or attachment is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from servicedesk import access, db
from servicedesk.attachments.access import attachment_for, visible_attachments
from servicedesk.attachments.serving import download_response
from servicedesk.errors import ApiError, NotFound
from servicedesk.ratings.operations import rate, verdict
from servicedesk.tickets import operations
from servicedesk.tickets.lifecycle import Status
from servicedesk.tickets.models import Ticket
from servicedesk.users.models import User
from servicedesk.web import timeline
from servicedesk.web.blueprint import bp
from servicedesk.web.labels import TYPE_LABELS, label
from servicedesk.web.portal import (
    CLOSED,
    CUSTOMER_STATUS_LABELS,
    current_locale,
    current_portal_user,
    upload_all,
)
from servicedesk.web.portal_forms import (
    ConfirmForm,
    RatingForm,
    ReopenForm,
    ReplyForm,
    WithdrawForm,
)
from servicedesk.web.session import portal_required
from servicedesk.web.uploads import read_uploads, size_words

#: The status as the requester reads it, with what happens next.
STATUS_HINTS = {
    "new": _l("The service desk has received your ticket."),
    "assigned": _l("Someone at the service desk is handling your ticket."),
    "in_progress": _l("The service desk is working on your ticket."),
    "waiting_for_customer": _l(
        "The service desk is waiting for your answer: reply below and they continue."
    ),
    "escalated_to_supplier": _l("The service desk is working on your ticket with a specialist."),
    "resolved": _l(
        "The service desk says the matter is solved. Confirm it, or reopen it if it is not."
    ),
    "closed": _l("The ticket is closed."),
    "cancelled": _l("The ticket was withdrawn or cancelled."),
}

#: The history a requester reads beside the conversation: creation, status changes, rating.
PORTAL_EVENTS = frozenset({"created", "updated", "rated"})


@dataclass(frozen=True)
class PortalActions:
    """What the requester's side may do now: what the operations would allow."""

    reply: bool
    confirm: bool
    reopen: bool
    withdraw: bool
    rate: bool
    answering: bool


def portal_actions(user: User, ticket: Ticket) -> PortalActions:
    allowed = set(operations.transitions_for(user, ticket))
    live = ticket.status not in CLOSED
    resolved = ticket.status == Status.RESOLVED.value
    return PortalActions(
        reply=live,
        confirm=resolved and Status.CLOSED.value in allowed,
        reopen=resolved and Status.IN_PROGRESS.value in allowed,
        withdraw=Status.CANCELLED.value in allowed,
        rate=verdict(ticket, user).may_rate,
        answering=ticket.status == Status.WAITING_FOR_CUSTOMER.value,
    )


def _ticket(ticket_id: int) -> Ticket:
    return access.visible_ticket(db.session(), current_portal_user(), ticket_id)


def render_ticket(ticket: Ticket, status: int = 200, **forms: Any) -> tuple[str, int]:
    """The ticket page, with any posted form shown as it was sent and its errors."""
    sess = db.session()
    user = current_portal_user()
    actions = portal_actions(user, ticket)
    reply = forms.get("reply") or ReplyForm(formdata=None)
    if actions.answering:
        reply.body.label.text = _("Your answer")
    page_errors: list[str] = []
    for name in ("confirm", "withdraw", "reopen"):
        posted = forms.get(name)
        if posted is not None and posted.form_errors:
            # Said at the top: the form's own box may be gone (the ticket moved on).
            page_errors += [str(e) for e in posted.form_errors]
            posted.form_errors = []
    attachments = visible_attachments(sess, user, ticket)
    by_comment: dict[int | None, list[Any]] = {}
    for a in attachments:
        by_comment.setdefault(a.comment_id, []).append(a)
    return (
        render_template(
            "web/portal_ticket.html",
            ticket=ticket,
            actions=actions,
            items=[
                i
                for i in timeline.build(sess, user, ticket, current_locale())
                if i.kind == "public" or (i.kind == "event" and i.event_kind in PORTAL_EVENTS)
            ],
            attachments=attachments,
            by_comment=by_comment,
            reply=reply,
            reopen=forms.get("reopen") or ReopenForm(formdata=None),
            confirm=forms.get("confirm") or ConfirmForm(formdata=None),
            withdraw=forms.get("withdraw") or WithdrawForm(formdata=None),
            page_errors=page_errors,
            rating=forms.get("rating") or RatingForm(formdata=None),
            failed=forms.get("failed"),
            status_label=label(CUSTOMER_STATUS_LABELS, ticket.status),
            status_hint=str(STATUS_HINTS.get(ticket.status, "")),
            type_label=label(TYPE_LABELS, ticket.type),
            service_label=timeline.service_name(ticket.service, current_locale()),
            size_words=size_words,
            is_requester=ticket.requester_id == user.id,
        ),
        status,
    )


@bp.get("/portal/tickets/<int:ticket_id>")
@portal_required
def portal_ticket(ticket_id: int) -> Any:
    """One ticket: its status in words, the public conversation, and what may be done now."""
    return render_ticket(_ticket(ticket_id))


def _back(ticket: Ticket, anchor: str = "") -> Response:
    url = url_for("web.portal_ticket", ticket_id=ticket.id) + (f"#{anchor}" if anchor else "")
    return redirect(url, code=303)


def _failed(ticket: Ticket, name: str, form: Any, exc: ApiError) -> tuple[str, int]:
    fields = (exc.details or {}).get("fields") or {}
    target = form._fields.get("body") if "body" in fields else None
    if target is not None:
        target.errors = [*target.errors, exc.message]
    else:
        form.form_errors.append(exc.message)
    return render_ticket(ticket, exc.status, failed=name, **{name: form})


@bp.post("/portal/tickets/<int:ticket_id>/reply")
@portal_required
def portal_reply(ticket_id: int) -> Any:
    """Write to the desk, with files; an answer to a question takes the ticket back to it."""
    sess = db.session()
    user = current_portal_user()
    ticket = _ticket(ticket_id)
    form = ReplyForm()
    valid = form.validate()
    uploads, problems = read_uploads(form.files.data)
    if problems:
        form.files.errors = [*form.files.errors, *problems]
    if not valid or problems:
        return render_ticket(ticket, 422, failed="reply", reply=form)
    answering = ticket.status == Status.WAITING_FOR_CUSTOMER.value
    try:
        comment = operations.reply(sess, user, ticket, form.body.data, False)
        upload_all(sess, user, ticket, uploads, comment)
    except ApiError as exc:
        return _failed(ticket, "reply", form, exc)
    flash(
        _("Thank you for your answer: the service desk continues with your ticket.")
        if answering
        else _("Your message was sent to the service desk.")
    )
    return _back(ticket, "conversation")


def _change_status(ticket_id: int, name: str, form: Any, wanted: Status, done: str) -> Any:
    sess = db.session()
    user = current_portal_user()
    ticket = _ticket(ticket_id)
    if not form.validate():
        return render_ticket(ticket, 422, failed=name, **{name: form})
    if not getattr(portal_actions(user, ticket), name):
        # Already done, or the ticket moved on meanwhile: say so rather than do nothing.
        form.form_errors.append(
            _(
                "This cannot be done any more: the ticket is %(status)s.",
                status=label(CUSTOMER_STATUS_LABELS, ticket.status),
            )
        )
        return render_ticket(ticket, 409, failed=name, **{name: form})
    try:
        if name == "reopen":
            operations.reply(sess, user, ticket, form.body.data, False, wanted)
        else:
            operations.update_ticket(sess, user, ticket, {"status": wanted})
    except ApiError as exc:
        return _failed(ticket, name, form, exc)
    flash(done)
    return _back(ticket)


@bp.post("/portal/tickets/<int:ticket_id>/confirm")
@portal_required
def portal_confirm(ticket_id: int) -> Any:
    """Accept the solution: the ticket closes."""
    return _change_status(
        ticket_id, "confirm", ConfirmForm(), Status.CLOSED, _("Thank you: the ticket is closed.")
    )


@bp.post("/portal/tickets/<int:ticket_id>/reopen")
@portal_required
def portal_reopen(ticket_id: int) -> Any:
    """Not solved after all: back to the desk, with what is still wrong."""
    return _change_status(
        ticket_id,
        "reopen",
        ReopenForm(),
        Status.IN_PROGRESS,
        _("The ticket is open again; the service desk continues with it."),
    )


@bp.post("/portal/tickets/<int:ticket_id>/withdraw")
@portal_required
def portal_withdraw(ticket_id: int) -> Any:
    """No longer needed: the ticket is cancelled."""
    return _change_status(
        ticket_id,
        "withdraw",
        WithdrawForm(),
        Status.CANCELLED,
        _("The ticket was withdrawn."),
    )


@bp.post("/portal/tickets/<int:ticket_id>/rating")
@portal_required
def portal_rate(ticket_id: int) -> Any:
    """The requester's rating from the ticket page (the signed link has its own page)."""
    sess = db.session()
    user = current_portal_user()
    ticket = _ticket(ticket_id)
    form = RatingForm()
    if not form.validate():
        return render_ticket(ticket, 422, failed="rating", rating=form)
    try:
        rate(sess, ticket, int(form.score.data), form.comment.data, user)
    except ApiError as exc:
        form.form_errors.append(rating_refusal(exc))
        return render_ticket(ticket, exc.status, failed="rating", rating=form)
    flash(_("Thank you for your rating."))
    return _back(ticket)


def rating_refusal(exc: ApiError) -> str:
    """A refused rating in the page's language."""
    words = {
        "already_rated": _("This ticket has been rated already. Thank you!"),
        "not_rateable": _("The ticket can be rated once the service desk has solved it."),
        "forbidden": _("Only the person who filed the ticket rates it."),
    }
    return words.get(exc.code, exc.message)


@bp.get("/portal/tickets/<int:ticket_id>/attachments/<int:attachment_id>")
@portal_required
def portal_attachment(ticket_id: int, attachment_id: int) -> Response:
    """An attachment, always as a download (never rendered by the browser)."""
    sess = db.session()
    user = current_portal_user()
    found = attachment_for(sess, user, attachment_id)
    if found.ticket_id != ticket_id:
        raise NotFound(f"No attachment {attachment_id} on this ticket.")
    return download_response(sess, found)
