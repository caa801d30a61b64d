"""The portal: where the customers' people file tickets, follow them, answer, accept or
reopen a solution, and rate it.

Every page calls the same operations as the API (`create_ticket`, `reply`,
`update_ticket`, `rate`) and reads through the same scopes (`access.ticket_scope`,
`queries.ticket_list`, `queries.comments_of` / `events_of` via the timeline): an end user
sees their own tickets, a customer contact their organisation's, and a foreign id is a
404. The conversation is the public one only. Forms post, then redirect (303); a refused
post re-renders the page with its status, so the request commits nothing.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.http import dump_options_header
from werkzeug.wrappers import Response

from servicedesk import access, db
from servicedesk.attachments.storage import content, max_bytes, store
from servicedesk.enums import CUSTOMER_ROLES, Role
from servicedesk.errors import ApiError, NotFound
from servicedesk.pagination import paginate
from servicedesk.portal.offers import Offer, offers_for
from servicedesk.ratings.operations import rate, verdict
from servicedesk.tickets import operations, queries
from servicedesk.tickets.lifecycle import Status
from servicedesk.tickets.models import Comment, Ticket
from servicedesk.users.models import User
from servicedesk.web import timeline
from servicedesk.web.blueprint import bp
from servicedesk.web.i18n import DEFAULT_LOCALE
from servicedesk.web.intake import refusal_text, service_name
from servicedesk.web.labels import STATUS_LABELS, TYPE_LABELS, label
from servicedesk.web.portal_attachments import attachment_for, visible_attachments
from servicedesk.web.portal_forms import (
    ALL_TYPES,
    ALWAYS_TYPES,
    ConfirmForm,
    FilterForm,
    PortalTicketForm,
    RatingForm,
    ReopenForm,
    ReplyForm,
    WithdrawForm,
)
from servicedesk.web.session import portal_required
from servicedesk.web.uploads import Upload, read_uploads, size_words

PAGE_SIZE = 20

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

#: The customer side sees a supplier's part as work in progress: suppliers are never named.
CUSTOMER_STATUS_LABELS = {**STATUS_LABELS, "escalated_to_supplier": _l("in progress")}

#: The ticket list's status filter as statuses.
_CLOSED = [Status.CLOSED.value, Status.CANCELLED.value]
_NOT_CLOSED = [s.value for s in Status if s.value not in _CLOSED]


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return,attr-defined]


def _locale() -> str:
    return str(get_locale() or DEFAULT_LOCALE)


def nav_entries(user: User) -> list[dict[str, Any]]:
    """The portal's header links."""
    contact = user.role_enum is Role.CUSTOMER_CONTACT
    links = [
        ("web.portal_tickets", _("Organisation's tickets") if contact else _("My tickets")),
        ("web.portal_new", _("New ticket")),
    ]
    current = request.endpoint or ""
    return [
        {
            "label": text,
            "url": url_for(endpoint),
            "count": None,
            "active": current == endpoint
            or (endpoint == "web.portal_tickets" and current.startswith("web.portal_ticket")),
        }
        for endpoint, text in links
    ]


@bp.context_processor
def _upload_limit() -> dict[str, Any]:
    """The attachment limit in words, for the file inputs' help text."""
    return {"limit_words": size_words(max_bytes())}


#: The history a requester reads beside the conversation: creation, status changes, rating.
PORTAL_EVENTS = frozenset({"created", "updated", "rated"})


# --- file a ticket ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """A service in the picker: what may be filed for it now, and why not the rest."""

    offer: Offer
    name: str

    @property
    def types(self) -> tuple[str, ...]:
        return ALL_TYPES if self.offer.available else ALWAYS_TYPES

    @property
    def why_not(self) -> str:
        if self.offer.available:
            return ""
        if self.offer.starts_on is not None:
            return _("Available from %(day)s.", day=format_date(self.offer.starts_on, "medium"))
        return _("Not in your organisation's agreement.")


def _choices(offers: list[Offer]) -> list[Choice]:
    rows = [Choice(o, service_name(o.service)) for o in offers]
    rows.sort(key=lambda c: (not c.offer.available, c.name.casefold()))
    return rows


def _upload_all(
    sess: Session,
    user: User,
    ticket: Ticket,
    uploads: list[Upload],
    comment: Comment | None = None,
) -> None:
    """Keep the posted files on the ticket (and the comment they came with)."""
    for upload in uploads:
        store(
            sess,
            ticket=ticket,
            data=upload.data,
            filename=upload.filename,
            uploader=user,
            comment=comment,
        )


def _place_refusal(form: Any, exc: ApiError) -> list[str]:
    """An operation's refusal by its field where the form has one; the rest in words."""
    if exc.code == "not_entitled":
        return [refusal_text(exc.details.get("reason", ""), exc.details.get("starts_on"))]
    extra: list[str] = []
    fields = exc.details.get("fields") or {}
    for name, messages in fields.items() if isinstance(fields, dict) else []:
        target = form._fields.get(name)
        if target is None or name == "idempotency_key":
            extra.extend(str(m) for m in messages)
        else:
            target.errors = [*target.errors, *(str(m) for m in messages)]
    if not fields:
        extra.append(exc.message)
    return extra


@bp.route("/portal/new", methods=["GET", "POST"])
@portal_required
def portal_new() -> Any:
    """File a ticket: choose the service (only what the organisation may use today), then
    say what is wrong. Change needs and feedback are accepted for any service."""
    sess = db.session()
    user = _user()
    offers = offers_for(sess, user)
    if offers.refusal is not None:
        reason = refusal_text(offers.refusal.reason.value, offers.refusal.starts_on)
        return render_template("web/portal_new.html", refusal=reason, choices=[], form=None)
    chosen_arg = request.args.get("service", "")
    if not chosen_arg:
        if request.method == "POST":
            return redirect(url_for("web.portal_new"), code=303)
        return render_template(
            "web/portal_new.html", refusal=None, choices=_choices(offers.services), form=None
        )
    chosen: Choice | None = None
    if chosen_arg != "none":
        offer = next(
            (
                o
                for o in offers.services
                if chosen_arg.isdigit() and o.service.id == int(chosen_arg)
            ),
            None,
        )
        if offer is None:
            raise NotFound(_("No such service to choose."))
        chosen = Choice(offer, service_name(offer.service))
    form = PortalTicketForm()
    form.set_types(chosen.types if chosen else ALL_TYPES)
    ctx: dict[str, Any] = {"refusal": None, "choices": [], "chosen": chosen, "form": form}
    if request.method == "GET":
        form.idempotency_key.data = secrets.token_urlsafe(24)
        if chosen is not None and not chosen.offer.available:
            form.type.data = "change_need"
        return render_template("web/portal_new.html", **ctx)

    valid = form.validate()
    uploads, problems = read_uploads(form.files.data)
    if problems:
        form.files.errors = [*form.files.errors, *problems]
    if not valid or problems:
        extra = []
        if form.idempotency_key.errors:
            extra.append(_("The form had expired; check it and send it again."))
            form.idempotency_key.data = secrets.token_urlsafe(24)
        return render_template("web/portal_new.html", extra_errors=extra, **ctx), 422
    data = {
        "type": form.type.data,
        "service_id": chosen.offer.service.id if chosen else None,
        "title": form.title.data.strip(),
        "description": form.description.data,
        "impact": form.impact.data,
        "urgency": form.urgency.data,
        "channel": "portal",
    }
    try:
        ticket, created = operations.create_ticket(
            sess, user, data, idempotency_key=form.idempotency_key.data
        )
        if created:
            _upload_all(sess, user, ticket, uploads)
    except ApiError as exc:
        extra = _place_refusal(form, exc)
        return render_template("web/portal_new.html", extra_errors=extra, **ctx), exc.status
    if created:
        flash(_("Thank you. Your ticket %(number)s has been filed.", number=ticket.number))
    else:
        flash(_("Ticket %(number)s was already filed from this form.", number=ticket.number))
    return redirect(url_for("web.portal_ticket", ticket_id=ticket.id), code=303)


# --- the list ---------------------------------------------------------------------------------


def _requester_choices(sess: Session, user: User) -> list[tuple[str, str]]:
    """A customer contact filters by the organisation's people; an end user is the one."""
    if user.role_enum is not Role.CUSTOMER_CONTACT:
        return [("", _("Anyone"))]
    people = sess.scalars(
        select(User)
        .where(access.user_scope(user), User.role.in_([r.value for r in CUSTOMER_ROLES]))
        .order_by(User.name, User.id)
    )
    return [("", _("Anyone"))] + [(str(p.id), p.name) for p in people]


def _list_args(form: FilterForm) -> dict[str, Any]:
    args: dict[str, Any] = {}
    if form.status.data == "open":
        args["status"] = _NOT_CLOSED
    elif form.status.data == "closed":
        args["status"] = _CLOSED
    if form.type.data:
        args["type"] = [form.type.data]
    q = (form.q.data or "").strip()[:200]
    if q:
        args["q"] = q
    if form.requester.data:
        args["requester_id"] = int(form.requester.data)
    return args


def _page_url(**extra: Any) -> str:
    pairs = {k: v for k, v in request.args.items() if k != "cursor" and v != ""}
    pairs.update({k: v for k, v in extra.items() if v})
    return url_for("web.portal_tickets", **pairs)


@bp.get("/portal/tickets")
@portal_required
def portal_tickets() -> Any:
    """The user's tickets (a customer contact's: the organisation's), newest first, filtered
    in the URL, a page at a time."""
    sess = db.session()
    user = _user()
    form = FilterForm(request.args)
    form.type.choices = [("", _("Any type"))] + [(t, label(TYPE_LABELS, t)) for t in ALL_TYPES]
    form.requester.choices = _requester_choices(sess, user)
    if not request.args.get("status"):
        form.status.data = "open"
    problems: list[str] = []
    items: list[Ticket] = []
    next_cursor = None
    status = 200
    if form.validate():
        try:
            items, next_cursor = paginate(
                sess,
                queries.ticket_list(user, _list_args(form)),
                queries.sort_key("-received_at"),
                PAGE_SIZE,
                request.args.get("cursor") or None,
                queries.ANSWER_LOAD,
            )
        except ApiError:
            problems.append(_("That page link is no longer valid; start from the first page."))
            status = 400
    else:
        status = 422
    return (
        render_template(
            "web/portal_tickets.html",
            form=form,
            items=items,
            problems=problems,
            contact=user.role_enum is Role.CUSTOMER_CONTACT,
            next_url=_page_url(cursor=next_cursor) if next_cursor else None,
            first_url=_page_url() if request.args.get("cursor") else None,
            status_label=lambda s: label(CUSTOMER_STATUS_LABELS, s),
            type_label=lambda t: label(TYPE_LABELS, t),
            format_date=format_date,
        ),
        status,
    )


@bp.get("/portal")
@portal_required
def portal_home() -> Response:
    return redirect(url_for("web.portal_tickets"))


# --- one ticket -------------------------------------------------------------------------------


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
    live = ticket.status not in _CLOSED
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
    return access.visible_ticket(db.session(), _user(), ticket_id)


def render_ticket(ticket: Ticket, status: int = 200, **forms: Any) -> tuple[str, int]:
    """The ticket page, with any posted form shown as it was sent and its errors."""
    sess = db.session()
    user = _user()
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
                for i in timeline.build(sess, user, ticket, _locale())
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
            service_label=timeline.service_name(ticket.service, _locale()),
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
    user = _user()
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
        _upload_all(sess, user, ticket, uploads, comment)
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
    user = _user()
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
    user = _user()
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
    user = _user()
    found = attachment_for(sess, user, attachment_id)
    if found.ticket_id != ticket_id:
        raise NotFound(f"No attachment {attachment_id} on this ticket.")
    return download(found.filename, content(sess, found), found.content_type)


def download(filename: str, data: bytes, content_type: str) -> Response:
    """Bytes as a file to save: `attachment`, nosniff, no caching, and no script ever."""
    resp = Response(data, mimetype=content_type or "application/octet-stream")
    try:
        names = {"filename": filename.encode("ascii").decode()}
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
        names = {"filename": simple or "attachment", "filename*": "UTF-8''" + quote(filename)}
    resp.headers["Content-Disposition"] = dump_options_header("attachment", names)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, no-store"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp
