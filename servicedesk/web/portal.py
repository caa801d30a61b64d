"""The portal: where the customers' people file tickets and follow them (the ticket page
and its actions are `portal_ticket`; the e-mail's rating link is `portal_rate`).

Every page calls the same operations as the API (`create_ticket`, `reply`,
`update_ticket`, `rate`) and reads through the same scopes (`access.ticket_scope`,
`queries.ticket_list`, `queries.comments_of` / `events_of` via the timeline): an end user
sees their own tickets, a customer contact their organisation's, and a foreign id is a
404. The conversation is the public one only. Forms post, then redirect (303); a refused
post re-renders the page with its status, so the request commits nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from servicedesk import access, db
from servicedesk.attachments.operations import add_attachment
from servicedesk.attachments.storage import max_bytes
from servicedesk.enums import CUSTOMER_ROLES, Role
from servicedesk.errors import ApiError, NotFound
from servicedesk.pagination import paginate
from servicedesk.portal.offers import Offer, offers_for
from servicedesk.tickets import operations, queries
from servicedesk.tickets.lifecycle import Status
from servicedesk.tickets.models import Comment, Ticket
from servicedesk.users.models import User
from servicedesk.web.blueprint import bp
from servicedesk.web.i18n import DEFAULT_LOCALE
from servicedesk.web.intake import refusal_text, service_name
from servicedesk.web.labels import STATUS_LABELS, TYPE_LABELS, label
from servicedesk.web.portal_forms import (
    ALL_TYPES,
    ALWAYS_TYPES,
    FilterForm,
    PortalTicketForm,
)
from servicedesk.web.session import portal_required
from servicedesk.web.uploads import Upload, read_uploads, size_words

PAGE_SIZE = 20

#: The customer side sees a supplier's part as work in progress: suppliers are never named.
CUSTOMER_STATUS_LABELS = {**STATUS_LABELS, "escalated_to_supplier": _l("in progress")}

#: The ticket list's status filter as statuses.
CLOSED = [Status.CLOSED.value, Status.CANCELLED.value]
NOT_CLOSED = [s.value for s in Status if s.value not in CLOSED]


def current_portal_user() -> User:
    """The logged-in customer's person (the portal's views are behind `portal_required`)."""
    return current_user._get_current_object()  # type: ignore[no-any-return,attr-defined]


def current_locale() -> str:
    """The page's language."""
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


def upload_all(
    sess: Session,
    user: User,
    ticket: Ticket,
    uploads: list[Upload],
    comment: Comment | None = None,
) -> None:
    """Keep the posted files on the ticket (and the comment they came with)."""
    for upload in uploads:
        # The API's rules and its `attachment_added` event, as for an upload there.
        add_attachment(
            sess,
            user,
            ticket,
            data=upload.data,
            filename=upload.filename,
            comment_id=None if comment is None else comment.id,
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
    user = current_portal_user()
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
            upload_all(sess, user, ticket, uploads)
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
        args["status"] = NOT_CLOSED
    elif form.status.data == "closed":
        args["status"] = CLOSED
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
    user = current_portal_user()
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
