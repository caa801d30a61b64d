"""The ticket page: header, SLA panel, timeline, and the desk's actions on one page.

Every action is a POST form that calls the same operation as the API, then redirects back
(303) with a message. A refused operation re-renders the page with the error, the typed
text kept, and the operation's status (so the request's one commit point commits nothing).
A change form whose ticket version moved meanwhile is not applied: 409, with who changed
what since the page was rendered. Replies and notes are applied anyway (they overwrite
nothing) and say what changed meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from catalog.groups.models import ResolverGroup, group_members
from catalog.services.models import Service
from catalog.suppliers.models import Supplier
from servicedesk import access, db
from servicedesk.attachments import serving, storage
from servicedesk.attachments.access import attachment_for, visible_attachments
from servicedesk.attachments.api import FORM_OVERHEAD
from servicedesk.attachments.models import Attachment
from servicedesk.attachments.operations import add_attachment
from servicedesk.canned import queries as canned_queries
from servicedesk.canned.render import render as render_canned
from servicedesk.db import utcnow
from servicedesk.enums import Role
from servicedesk.errors import ApiError, NotFound
from servicedesk.escalations import operations as escalations
from servicedesk.escalations.models import Escalation
from servicedesk.tickets import operations, queries
from servicedesk.tickets.lifecycle import (
    TERMINAL_STATUSES,
    Actor,
    Status,
    allowed_transitions,
)
from servicedesk.tickets.models import Comment, Ticket, TicketEvent
from servicedesk.time_entries import operations as time_entries
from servicedesk.users.models import User
from servicedesk.web import timeline
from servicedesk.web.blueprint import bp
from servicedesk.web.i18n import DEFAULT_LOCALE
from servicedesk.web.labels import (
    CHANNEL_LABELS,
    CLOCK_KIND_LABELS,
    ESCALATION_STATUS_LABELS,
    LEVEL_LABELS,
    PRIORITY_LABELS,
    SLA_STATE_ICONS,
    SLA_STATE_LABELS,
    STATUS_LABELS,
    TYPE_LABELS,
    label,
)
from servicedesk.web.session import desk_required, home_for
from servicedesk.web.ticket_forms import (
    AssignForm,
    EscalateForm,
    PageForm,
    PriorityForm,
    ReclassifyForm,
    ReplyForm,
    StatusForm,
    TakeForm,
    ThreadForm,
    TimeForm,
)
from sla import queries as sla_queries

#: The page's forms by prefix: each action posts one of them.
FORMS: dict[str, type[PageForm]] = {
    "reply": ReplyForm,
    "status": StatusForm,
    "priority": PriorityForm,
    "assign": AssignForm,
    "take": TakeForm,
    "reclassify": ReclassifyForm,
    "escalate": EscalateForm,
    "thread": ThreadForm,
    "time": TimeForm,
}

#: The promise line's scope, in words.
SCOPE_LABELS = {
    "service": _l("service"),
    "family": _l("service family"),
    "agreement default": _l("agreement default"),
    "contract default": _l("contract default"),
}

#: An operation's field names → the form field that shows its error.
_FIELD_OF = {
    "priority_reason": "reason",
    "priority": "priority",
    "assignee_id": "assignee",
    "service_id": "service",
    "type": "type",
    "status": "status",
    "supplier_id": "supplier",
    "body": "body",
}


def _locale() -> str:
    return str(get_locale() or DEFAULT_LOCALE)


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return,attr-defined]


def _ticket(ticket_id: int) -> Ticket:
    """The ticket if the user may see it; a foreign id is a 404 (NotFound's error page)."""
    return access.visible_ticket(db.session(), _user(), ticket_id)


@dataclass(frozen=True)
class Actions:
    """Which actions the page offers: what the operations would allow this user now."""

    reply: bool = False
    status: bool = False
    priority: bool = False
    assign: bool = False
    take: bool = False
    reclassify: bool = False
    escalate: bool = False
    withdraw: bool = False
    publish: bool = False
    thread: bool = False
    done: bool = False

    @property
    def any_change(self) -> bool:
        return any((self.status, self.priority, self.assign, self.take, self.reclassify))


def is_desk(user: User) -> bool:
    return user.role_enum in (Role.AGENT, Role.ADMIN)


def actions_for(user: User, ticket: Ticket, open_leg: Escalation | None) -> Actions:
    desk = is_desk(user)
    live = Status(ticket.status) not in TERMINAL_STATUSES
    own_leg = (
        open_leg is not None
        and user.role_enum is Role.SUPPLIER_AGENT
        and open_leg.supplier_id == user.supplier_id
    )
    can_escalate = Status.ESCALATED_TO_SUPPLIER in allowed_transitions(
        Status(ticket.status), Actor.DESK
    )
    return Actions(
        reply=live and (desk or operations.works_as_account_manager(user, ticket)),
        status=bool(operations.transitions_for(user, ticket)),
        priority=desk and live,
        assign=desk and live,
        take=desk and live and ticket.assignee_id != user.id,
        reclassify=desk and live,
        escalate=desk and live and open_leg is None and can_escalate,
        withdraw=desk and open_leg is not None,
        publish=desk and live,
        thread=live and open_leg is not None and (desk or own_leg),
        # The desk too: a supplier that phones in "done" should not have to log in for it.
        done=own_leg or (desk and open_leg is not None),
    )


# --- the forms' choices ---------------------------------------------------------------------


def _assignee_choices(sess: Session, ticket: Ticket) -> list[tuple[str, str]]:
    """The group's agents (or the provider's, for a ticket without a group)."""
    stmt = select(User).where(User.active.is_(True))
    if ticket.group_id is not None:
        stmt = stmt.join(group_members, group_members.c.user_id == User.id).where(
            group_members.c.group_id == ticket.group_id
        )
    else:
        stmt = stmt.where(
            User.role == Role.AGENT.value,
            (User.provider == ticket.provider) | (User.desk == "joint"),
        )
    people = list(sess.scalars(stmt.order_by(User.name, User.id)))
    if ticket.assignee is not None and all(p.id != ticket.assignee_id for p in people):
        people.insert(0, ticket.assignee)
    return [("", _("nobody"))] + [(str(p.id), p.name) for p in people]


def _service_choices(sess: Session, user: User, ticket: Ticket) -> list[tuple[str, str]]:
    """Services an agent may move the ticket to: their own provider's; the joint first line
    and admins any provider's."""
    stmt = select(Service).where(Service.retired_at.is_(None))
    if user.role_enum is Role.AGENT and not access.is_joint_desk(user):
        stmt = stmt.where(Service.provider == user.provider)
    services = list(sess.scalars(stmt.order_by(Service.code)))
    if ticket.service is not None and all(s.id != ticket.service_id for s in services):
        services.insert(0, ticket.service)
    locale = _locale()
    return [("", _("no service (unclassified)"))] + [
        (str(s.id), f"{timeline.service_name(s, locale)} ({s.provider})") for s in services
    ]


def prepare(form: PageForm, sess: Session, user: User, ticket: Ticket) -> PageForm:
    """Fill a form's choices (needed both to render it and to validate a post)."""
    if isinstance(form, StatusForm):
        form.status.choices = [
            (s, label(STATUS_LABELS, s)) for s in operations.transitions_for(user, ticket)
        ]
    elif isinstance(form, PriorityForm):
        form.priority.choices = [(p, label(PRIORITY_LABELS, p)) for p in PRIORITY_LABELS]
    elif isinstance(form, AssignForm):
        form.assignee.choices = _assignee_choices(sess, ticket) if is_desk(user) else []
    elif isinstance(form, ReclassifyForm):
        form.service.choices = _service_choices(sess, user, ticket) if is_desk(user) else []
        form.type.choices = [(t, label(TYPE_LABELS, t)) for t in TYPE_LABELS]
    elif isinstance(form, EscalateForm):
        suppliers = sess.scalars(select(Supplier).order_by(Supplier.name)) if is_desk(user) else []
        form.supplier.choices = [(str(s.id), s.name) for s in suppliers]
    elif isinstance(form, ReplyForm):
        replies = canned_queries.for_agent(sess, user) if is_desk(user) else []
        form.canned.choices = [("", _("Choose a canned reply"))] + [
            (str(r.id), r.title) for r in replies
        ]
    return form


def _fresh(prefix: str, sess: Session, user: User, ticket: Ticket, seen: int) -> PageForm:
    """A form as a fresh page shows it: today's values, the ticket's version."""
    data: dict[str, Any] = {"version": str(ticket.version), "seen": str(seen)}
    if prefix == "priority":
        data["priority"] = ticket.priority
    elif prefix == "assign":
        data["assignee"] = str(ticket.assignee_id or "")
    elif prefix == "reclassify":
        data["service"] = str(ticket.service_id or "")
        data["type"] = ticket.type
    elif prefix == "escalate":
        supplier_id = ticket.service.supplier_id if ticket.service else None
        data["supplier"] = str(supplier_id or "")
    form = FORMS[prefix](formdata=None, prefix=prefix, data=data)
    return prepare(form, sess, user, ticket)


def _posted(prefix: str, sess: Session, user: User, ticket: Ticket) -> Any:
    """The form this request posted (bound to request.form)."""
    return prepare(FORMS[prefix](prefix=prefix), sess, user, ticket)


def _refusal(form: PageForm, exc: ApiError) -> None:
    """Put an operation's refusal on the form: on its field where one is named."""
    fields = (exc.details or {}).get("fields") or {}
    placed = False
    if isinstance(fields, dict):
        for name in fields:
            target = getattr(form, _FIELD_OF.get(name, name), None)
            if target is not None and hasattr(target, "errors"):
                target.errors = [*list(target.errors or []), exc.message]
                placed = True
                break
    if not placed:
        form.form_errors.append(exc.message)


# --- the page -------------------------------------------------------------------------------


def _clock_rows(
    sla: dict[str, Any], legs: dict[int, Escalation], supplier_view: bool
) -> list[dict[str, Any]]:
    rows = []
    for clock in sla["clocks"]:
        if supplier_view and clock["leg"] == 0:
            continue  # a supplier sees its own legs' clocks (clock_scope filtered the rest)
        leg = legs.get(clock["leg"])
        state = clock["state"]
        rows.append(
            {
                **clock,
                "kind_label": label(CLOCK_KIND_LABELS, clock["kind"]),
                "supplier": leg.supplier.name if leg is not None else None,
                "state_label": label(SLA_STATE_LABELS, state),
                "state_icon": SLA_STATE_ICONS.get(state, ""),
                "state_class": "sla-ok" if state == "running" else f"sla-{state}",
                "scope_label": label(SCOPE_LABELS, (clock.get("promise") or {}).get("scope")),
            }
        )
    return rows


def render_page(
    ticket: Ticket,
    *,
    status: int = 200,
    failed: PageForm | None = None,
    stale: list[str] | None = None,
    errors: list[str] | None = None,
    reply_body: str | None = None,
    quote_of: int | None = None,
    template: str = "web/ticket.html",
) -> tuple[str, int]:
    """The whole page (or one partial), with `failed` shown as posted and its errors."""
    sess = db.session()
    user = _user()
    now = utcnow()
    locale = _locale()
    seen = timeline.last_event_id(sess, ticket)
    supplier_view = user.role_enum is Role.SUPPLIER_AGENT
    try:
        legs = escalations.legs_for(sess, user, ticket)
    except ApiError:
        legs = []
    open_leg = next((leg for leg in legs if leg.status == "open"), None)
    actions = actions_for(user, ticket, open_leg)
    forms = {prefix: _fresh(prefix, sess, user, ticket, seen) for prefix in FORMS}
    if failed is not None:
        # A resend of the kept text applies against today's version.
        failed.version.data, failed.seen.data = str(ticket.version), str(seen)
        forms[str(failed._prefix).rstrip("-")] = failed
    reply = forms["reply"]
    if reply_body is not None:
        reply.body.data = reply_body
    if quote_of is not None:
        reply.quote_of.data = str(quote_of)
    if supplier_view:
        forms["thread"].body.label.text = _("Message to the desk")
    sla = sla_queries.explain(sess, ticket, now, viewer=user)
    context = {
        "ticket": ticket,
        "user": user,
        "now": now,
        "actions": actions,
        "forms": forms,
        "failed": failed._prefix.rstrip("-") if failed is not None else None,
        "stale": stale or [],
        "errors": errors or [],
        "supplier_view": supplier_view,
        "desk": is_desk(user),
        "legs": legs,
        "open_leg": open_leg,
        "items": timeline.build(sess, user, ticket, locale),
        "attachments": [_attachment_row(a) for a in visible_attachments(sess, user, ticket)],
        "attachment_limit": size_words(storage.max_bytes()),
        "sla": sla,
        "clocks": _clock_rows(sla, {leg.id: leg for leg in legs}, supplier_view),
        "time_split": timeline.time_split_words(sla.get("time_split"))
        if access.sees_time_split(user)
        else [],
        "service_label": timeline.service_name(ticket.service, locale),
        "group": sess.get(ResolverGroup, ticket.group_id) if ticket.group_id else None,
        "slack_words": timeline.slack_words,
        "label": label,
        "STATUS_LABELS": STATUS_LABELS,
        "PRIORITY_LABELS": PRIORITY_LABELS,
        "TYPE_LABELS": TYPE_LABELS,
        "CHANNEL_LABELS": CHANNEL_LABELS,
        "LEVEL_LABELS": LEVEL_LABELS,
        "ESCALATION_STATUS_LABELS": ESCALATION_STATUS_LABELS,
        "time": time_entries.ticket_time(sess, ticket) if time_entries.may_read(user) else None,
        "may_record_time": time_entries.may_record(user),
    }
    return render_template(template, **context), status


def size_words(size: int) -> str:
    """A file size for people: bytes, kB or MB (of 1024, as file managers count), in the
    page's language's number format."""
    if size < 1024:
        return _("%(n)s bytes", n=format_decimal(size))
    if size < 1024 * 1024:
        return _("%(n)s kB", n=format_decimal(round(size / 1024, 1)))
    return _("%(n)s MB", n=format_decimal(round(size / 1024 / 1024, 1)))


def _attachment_row(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": size_words(attachment.size),
        "internal": attachment.internal,
        "comment_id": attachment.comment_id,
        "uploaded_by": attachment.uploaded_by.name if attachment.uploaded_by else None,
        "created_at": attachment.created_at,
    }


def _back(ticket: Ticket, anchor: str = "") -> Response:
    url = url_for("web.ticket", ticket_id=ticket.id) + (f"#{anchor}" if anchor else "")
    return redirect(url, code=303)


def _stale(sess: Session, ticket: Ticket, form: PageForm) -> list[str] | None:
    """What changed since the form's page, if the ticket's version moved; else None."""
    if (form.version.data or "") == str(ticket.version):
        return None
    seen = int(form.seen.data) if (form.seen.data or "").isdigit() else 0
    changes = timeline.changes_since(sess, _user(), ticket, seen, _locale())
    return changes or [_("The ticket was changed meanwhile.")]


@bp.get("/desk/tickets/<int:ticket_id>")
@desk_required
def ticket(ticket_id: int) -> Any:
    """The ticket page. `?quote=<comment>` starts a reply that quotes a supplier message."""
    sess = db.session()
    user = _user()
    t = _ticket(ticket_id)
    quote = request.args.get("quote", "")
    if quote.isdigit() and is_desk(user):
        comment = sess.scalar(
            queries.comments_of(user, t).where(
                Comment.id == int(quote), Comment.escalation_id.is_not(None)
            )
        )
        if comment is None:
            raise NotFound(f"No supplier message {quote} on this ticket.")
        quoted = "\n".join(f"> {line}" for line in comment.body.splitlines())
        return render_page(t, reply_body=quoted + "\n\n", quote_of=comment.id)
    return render_page(t)


# --- replies, notes, canned replies, the supplier thread -------------------------------------


#: The forms that may carry a file: their requests may be as large as an attachment.
_UPLOAD_ENDPOINTS = frozenset({"web.ticket_reply", "web.ticket_thread", "web.ticket_canned"})


@bp.before_app_request
def _upload_limit() -> None:
    """Before the CSRF check reads the form: a form with a file may be as large as an
    attachment (not the 1 MiB of other requests); a larger one is refused unread (413)."""
    if request.method != "POST" or request.endpoint not in _UPLOAD_ENDPOINTS:
        return
    limit = storage.max_bytes()
    request.max_content_length = limit + FORM_OVERHEAD
    if request.content_length is not None and request.content_length > limit + FORM_OVERHEAD:
        raise storage.AttachmentTooLarge(
            _("The file is too large: at most %(size)s.", size=size_words(limit)),
            details={"max_bytes": limit},
        )


def _attach(sess: Session, user: User, ticket: Ticket, form: Any, comment: Comment) -> None:
    """The form's file, if one was chosen, on the comment just written (its rules:
    `attachments.operations`); a refusal undoes the comment too (nothing is committed)."""
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        return
    try:
        add_attachment(
            sess, user, ticket, data=upload.read(), filename=upload.filename, comment_id=comment.id
        )
    except storage.AttachmentTooLarge as exc:
        limit = exc.details.get("max_bytes", storage.max_bytes())
        message = _("The file is too large: at most %(size)s.", size=size_words(limit))
        raise storage.AttachmentTooLarge(message, details={"fields": {"file": [message]}}) from exc
    except ApiError as exc:
        if "file" in ((exc.details or {}).get("fields") or {}):
            message = _("The file is empty.")
            raise ApiError(
                message, status=exc.status, details={"fields": {"file": [message]}}
            ) from exc
        raise


@bp.get("/desk/attachments/<int:attachment_id>")
@desk_required
def desk_attachment(attachment_id: int) -> Response:
    """Download a file of a ticket the user may see, by the API's rule and headers."""
    sess = db.session()
    return serving.download_response(sess, attachment_for(sess, _user(), attachment_id))


@bp.post("/desk/tickets/<int:ticket_id>/reply")
@desk_required
def ticket_reply(ticket_id: int) -> Any:
    """A public reply (`action=reply`, publishing a quoted supplier message when the reply
    quotes one) or an internal note (`action=note`)."""
    sess = db.session()
    user = _user()
    t = _ticket(ticket_id)
    form = _posted("reply", sess, user, t)
    if not actions_for(user, t, operations.open_escalation(sess, t)).reply:
        abort(403, description=_("You do not reply on this ticket."))
    if not form.validate():
        return render_page(t, status=422, failed=form)
    stale = _stale(sess, t, form)
    note = request.form.get("action") == "note"
    try:
        quote_of = form.quote_of.data or ""
        if not note and quote_of.isdigit():
            source = sess.scalar(queries.comments_of(user, t).where(Comment.id == int(quote_of)))
            if source is None:
                raise NotFound(f"No supplier message {quote_of} on this ticket.")
            comment = operations.publish_supplier_message(sess, user, t, source, form.body.data)
        else:
            comment = operations.add_comment(sess, user, t, form.body.data, internal=note)
        _attach(sess, user, t, form, comment)
    except ApiError as exc:
        _refusal(form, exc)
        return render_page(t, status=exc.status, failed=form)
    flash(_("Internal note added.") if note else _("Reply sent."))
    if stale:
        flash(_("Meanwhile: %(changes)s", changes="; ".join(stale)), "warning")
    return _back(t, "timeline")


@bp.post("/desk/tickets/<int:ticket_id>/reply/canned")
@desk_required
def ticket_canned(ticket_id: int) -> Any:
    """Insert a canned reply into the reply box: the page again (or, for htmx, the reply
    box alone) with the text filled in after what was typed. Changes nothing."""
    sess = db.session()
    user = _user()
    t = _ticket(ticket_id)
    form = _posted("reply", sess, user, t)
    chosen = form.canned.data or ""
    reply = canned_queries.usable(sess, user, int(chosen)) if chosen.isdigit() else None
    typed = (form.body.data or "").rstrip()
    if reply is None:
        form.canned.errors = [_("Choose a canned reply.")]
        body = typed
    else:
        filled = render_canned(
            reply.body,
            {
                "requester_name": t.requester.name,
                "ticket_number": t.number,
                "ticket_title": t.title,
                "agent_name": user.name,
                "service_name": timeline.service_name(t.service, _locale()),
            },
        )
        body = f"{typed}\n\n{filled}" if typed else filled
    form.body.data = body
    template = "web/_ticket_reply.html" if request.headers.get("HX-Request") else "web/ticket.html"
    return render_page(t, failed=form, template=template)


@bp.post("/desk/tickets/<int:ticket_id>/thread")
@desk_required
def ticket_thread(ticket_id: int) -> Any:
    """A message in the open leg's supplier thread: the desk to the supplier, or the
    supplier to the desk (a supplier's comment always goes to its thread)."""
    sess = db.session()
    user = _user()
    t = _ticket(ticket_id)
    form = _posted("thread", sess, user, t)
    if not form.validate():
        return render_page(t, status=422, failed=form)
    try:
        if user.role_enum is Role.SUPPLIER_AGENT:
            comment = operations.add_comment(sess, user, t, form.body.data, internal=False)
        else:
            leg = operations.open_escalation(sess, t)
            if leg is None:
                abort(409, description=_("The ticket is not with a supplier now."))
            comment = operations.add_supplier_message(sess, user, t, leg, form.body.data)
        _attach(sess, user, t, form, comment)
    except ApiError as exc:
        _refusal(form, exc)
        return render_page(t, status=exc.status, failed=form)
    flash(_("Message sent to the supplier thread."))
    return _back(t, "timeline")


@bp.post("/desk/tickets/<int:ticket_id>/comments/<int:comment_id>/publish")
@desk_required
def ticket_publish(ticket_id: int, comment_id: int) -> Any:
    """Pass a supplier's message on to the customer as it is."""
    sess = db.session()
    user = _user()
    t = _ticket(ticket_id)
    comment = sess.scalar(queries.comments_of(user, t).where(Comment.id == comment_id))
    if comment is None:
        raise NotFound(f"No comment {comment_id} on this ticket.")
    try:
        operations.publish_supplier_message(sess, user, t, comment)
    except ApiError as exc:
        return render_page(t, status=exc.status, errors=[exc.message])
    flash(_("The supplier's message was published to the customer."))
    return _back(t, "timeline")


# --- field changes: status, priority, assignee, service and type ------------------------------


def _change(
    ticket_id: int, prefix: str, changes: Callable[[Any], dict[str, Any]], done: str
) -> Any:
    """Validate the posted form, refuse it if stale, apply `changes(form)`, redirect."""
    sess = db.session()
    user = _user()
    t = _ticket(ticket_id)
    form = _posted(prefix, sess, user, t)
    if not form.validate():
        return render_page(t, status=422, failed=form)
    stale = _stale(sess, t, form)
    if stale is not None:
        return render_page(t, status=409, failed=form, stale=stale)
    try:
        operations.update_ticket(sess, user, t, changes(form))
    except ApiError as exc:
        _refusal(form, exc)
        return render_page(t, status=exc.status, failed=form)
    sess.flush()
    if sess.scalar(select(Ticket.id).where(Ticket.id == t.id, access.ticket_scope(user))) is None:
        # Moved to a provider this agent does not work for: say so, rather than a 404.
        flash(_("Ticket %(number)s moved out of your queues.", number=t.number))
        return redirect(home_for(user), code=303)
    flash(done)
    return _back(t)


@bp.post("/desk/tickets/<int:ticket_id>/status")
@desk_required
def ticket_status(ticket_id: int) -> Any:
    return _change(
        ticket_id,
        "status",
        lambda f: {"status": f.status.data},
        _("Status changed."),
    )


@bp.post("/desk/tickets/<int:ticket_id>/priority")
@desk_required
def ticket_priority(ticket_id: int) -> Any:
    return _change(
        ticket_id,
        "priority",
        lambda f: {"priority": f.priority.data, "priority_reason": f.reason.data.strip()},
        _("Priority changed."),
    )


@bp.post("/desk/tickets/<int:ticket_id>/assign")
@desk_required
def ticket_assign(ticket_id: int) -> Any:
    return _change(
        ticket_id,
        "assign",
        lambda f: {"assignee_id": int(f.assignee.data) if f.assignee.data else None},
        _("Assignee changed."),
    )


@bp.post("/desk/tickets/<int:ticket_id>/take")
@desk_required
def ticket_take(ticket_id: int) -> Any:
    return _change(
        ticket_id, "take", lambda f: {"assignee_id": _user().id}, _("The ticket is yours now.")
    )


def _reclassified(form: Any) -> dict[str, Any]:
    return {
        "service_id": int(form.service.data) if form.service.data else None,
        "type": form.type.data,
    }


@bp.post("/desk/tickets/<int:ticket_id>/reclassify")
@desk_required
def ticket_reclassify(ticket_id: int) -> Any:
    """A new service or type; the ticket is routed again, and the flash says why it went
    where it went (the routing event's reason)."""
    resp = _change(ticket_id, "reclassify", _reclassified, _("Service and type saved."))
    if isinstance(resp, Response) and resp.status_code == 303:
        sess = db.session()
        routed = sess.scalar(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "routed")
            .order_by(TicketEvent.id.desc())
            .limit(1)
        )
        if routed is not None and routed.id > int(request.form.get("reclassify-seen") or 0):
            names = timeline.load_names(sess, [routed], _locale())
            title, lines = timeline.describe_event(routed, names)
            flash(f"{title}: {'; '.join(lines)}")
    return resp


# --- supplier legs: escalate (preview first), withdraw, done ---------------------------------


def _render_preview(
    t: Ticket,
    form: EscalateForm,
    plan: escalations.HandOff,
    status: int = 200,
    stale: list[str] | None = None,
) -> tuple[str, int]:
    sess = db.session()
    form.version.data = str(t.version)
    form.seen.data = str(timeline.last_event_id(sess, t))
    return (
        render_template(
            "web/escalate_preview.html",
            ticket=t,
            form=form,
            plan=escalations.describe(plan),
            slack=timeline.slack_words(plan.slack_seconds),
            stale=stale or [],
        ),
        status,
    )


@bp.post("/desk/tickets/<int:ticket_id>/escalate")
@desk_required
def ticket_escalate(ticket_id: int) -> Any:
    """`step=preview` shows the hand-off (due instants, slack, warnings); `step=confirm`
    escalates. Negative slack needs the explicit confirmation, or the confirm is refused."""
    sess = db.session()
    user = _user()
    t = _ticket(ticket_id)
    form = _posted("escalate", sess, user, t)
    confirm = request.form.get("step") == "confirm"
    if not is_desk(user):
        abort(403, description=_("Only the desk escalates tickets to suppliers."))
    if not form.validate():
        if confirm:
            plan = escalations.plan_hand_off(sess, t, _int(form.supplier.data), utcnow())
            return _render_preview(t, form, plan, 422)
        return render_page(t, status=422, failed=form)
    try:
        plan = escalations.plan_hand_off(sess, t, _int(form.supplier.data), utcnow())
    except ApiError as exc:
        _refusal(form, exc)
        return render_page(t, status=exc.status, failed=form)
    if not confirm:
        return _render_preview(t, form, plan)
    stale = _stale(sess, t, form)
    if stale is not None:
        return _render_preview(t, form, plan, 409, stale)
    if plan.negative_slack and not form.confirm_negative.data:
        form.confirm_negative.errors = [
            _("Negative slack: confirm that you understand, or choose another supplier.")
        ]
        return _render_preview(t, form, plan, 422)
    try:
        leg, _plan = escalations.escalate(sess, user, t, plan.supplier.id, form.note.data)
    except ApiError as exc:
        _refusal(form, exc)
        return _render_preview(t, form, plan, exc.status)
    flash(_("Escalated to %(supplier)s.", supplier=leg.supplier.name))
    return _back(t)


def _int(value: Any) -> int | None:
    return int(value) if str(value or "").isdigit() else None


def _leg_of(t: Ticket, leg_id: int) -> Escalation:
    leg = next((e for e in escalations.legs_for(db.session(), _user(), t) if e.id == leg_id), None)
    if leg is None:
        raise NotFound(f"No escalation {leg_id} on this ticket.")
    return leg


@bp.post("/desk/tickets/<int:ticket_id>/escalations/<int:leg_id>/withdraw")
@desk_required
def ticket_withdraw(ticket_id: int, leg_id: int) -> Any:
    """The desk takes the ticket back from the supplier."""
    t = _ticket(ticket_id)
    try:
        leg = escalations.withdraw(db.session(), _user(), t, _leg_of(t, leg_id))
    except ApiError as exc:
        return render_page(t, status=exc.status, errors=[exc.message])
    flash(_("The escalation to %(supplier)s was withdrawn.", supplier=leg.supplier.name))
    return _back(t)


@bp.post("/desk/tickets/<int:ticket_id>/escalations/<int:leg_id>/done")
@desk_required
def ticket_done(ticket_id: int, leg_id: int) -> Any:
    """The supplier (or the desk on its word) marks its part done: back to the desk."""
    t = _ticket(ticket_id)
    try:
        escalations.mark_done(db.session(), _user(), t, _leg_of(t, leg_id))
    except ApiError as exc:
        return render_page(t, status=exc.status, errors=[exc.message])
    flash(_("Marked done: the ticket is back with the desk."))
    if _user().role_enum is Role.SUPPLIER_AGENT:
        return redirect(url_for("web.supplier_legs"), code=303)
    return _back(t)


# --- time spent ------------------------------------------------------------------------------


@bp.post("/desk/tickets/<int:ticket_id>/time")
@desk_required
def ticket_time(ticket_id: int) -> Any:
    """Record time spent (the API's operation); a time entry does not depend on the ticket's
    version, so a stale page still records it."""
    sess = db.session()
    user = _user()
    t = _ticket(ticket_id)
    form = _posted("time", sess, user, t)
    if not form.validate():
        return render_page(t, status=422, failed=form)
    try:
        time_entries.record_time(
            sess,
            user,
            t,
            minutes=form.minutes.data,
            expert=bool(form.expert.data),
            worked_on=form.worked_on.data,
            note=form.note.data,
        )
    except ApiError as exc:
        _refusal(form, exc)
        return render_page(t, status=exc.status, failed=form)
    flash(_("Time recorded."))
    return _back(t, "time-box")
