"""Log a call: a desk agent files a ticket for a customer's user (phone, e-mail).

The agent finds the requester first; the page then shows the organisation's entitlement
(the in-house gate's answer) before anything is typed, and offers only the services the
operation `create_ticket` would accept from this agent. The ticket is filed by that same
operation, with an idempotency key carried in the form so a double submit files one ticket.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from wtforms.fields.choices import SelectChoice

from catalog.agreements.queries import entitlement_for, local_date
from catalog.gate import Refusal, RefusalReason
from catalog.groups.models import ResolverGroup
from catalog.services.models import Service
from servicedesk import access, db, search
from servicedesk.db import utcnow
from servicedesk.enums import CUSTOMER_ROLES, Role
from servicedesk.errors import ApiError, NotFound
from servicedesk.tickets.models import Ticket
from servicedesk.tickets.operations import create_ticket
from servicedesk.tickets.priority import MATRIX, priority_for
from servicedesk.users.models import User
from servicedesk.web.blueprint import bp
from servicedesk.web.intake_forms import LEVELS, NewTicketForm
from servicedesk.web.labels import LEVEL_LABELS, PRIORITY_LABELS, label
from servicedesk.web.nav import ROLE_LABELS
from servicedesk.web.session import roles_required

#: The people one search shows; more would not help a person choose.
SEARCH_LIMIT = 20
#: Shorter searches match half the register.
SEARCH_MIN_CHARS = 2
PAGE_TZ = ZoneInfo("Europe/Helsinki")

#: The in-house gate's refusals in words (the gate's own messages are English only).
REFUSAL_LABELS = {
    RefusalReason.NOT_OWNER: _l(
        "The organisation is not an owner of the service centre; the centre serves only its "
        "owners."
    ),
    RefusalReason.SHARES_NOT_REGISTERED: _l(
        "The organisation's shares are not registered (paid) yet."
    ),
    RefusalReason.NO_AGREEMENT: _l("The organisation has no service agreement in force."),
    RefusalReason.SERVICE_NOT_IN_AGREEMENT: _l(
        "The organisation's agreement does not cover this service."
    ),
    RefusalReason.SERVICE_NOT_STARTED: _l(
        "This service has not started for the organisation yet."
    ),
}


@dataclass(frozen=True)
class EntitledService:
    """One service line of the agreement in force, as the agent may use it now."""

    service: Service
    starts_on: date
    started: bool
    #: The operation would accept it from this agent (own provider, or the joint desk).
    selectable: bool

    @property
    def name(self) -> str:
        return service_name(self.service)


@dataclass(frozen=True)
class Entitlement:
    """The gate's answer for an organisation today: a refusal, or its services."""

    refusal: str | None
    valid_from: date | None = None
    services: tuple[EntitledService, ...] = ()

    @property
    def selectable(self) -> list[EntitledService]:
        return [s for s in self.services if s.selectable]


def service_name(service: Service) -> str:
    lang = str(get_locale() or "fi")
    return str(getattr(service, f"name_{lang}", None) or service.name_fi)


def refusal_text(reason: str, starts_on: Any = None) -> str:
    """A gate refusal (a `RefusalReason` value) in the page's language."""
    try:
        text = str(REFUSAL_LABELS[RefusalReason(reason)])
    except ValueError:
        return _("The organisation is not entitled to the centre's services.")
    if starts_on:
        day = starts_on if isinstance(starts_on, date) else date.fromisoformat(str(starts_on))
        text += " " + _("It starts on %(day)s.", day=format_date(day, "medium"))
    return text


def may_file_for_provider(user: User, provider: str) -> bool:
    """What `create_ticket` lets an agent file: its own centre's services, or both centres'
    for the joint first line; an admin files for either."""
    if user.role_enum is Role.ADMIN:
        return True
    return provider == user.provider or access.is_joint_desk(user)


def entitlement_of(sess: Session, user: User, organisation_id: int, now: datetime) -> Entitlement:
    """The same answer as GET /organisations/{id}/entitlement, with the agreement's services."""
    result = entitlement_for(sess, organisation_id, None, now)
    if isinstance(result, Refusal):
        return Entitlement(refusal=refusal_text(result.reason.value, result.starts_on))
    today = local_date(now)
    services = sess.scalars(
        select(Service).where(
            Service.id.in_(list(result.service_starts)), Service.retired_at.is_(None)
        )
    ).all()
    rows = [
        EntitledService(
            service=s,
            starts_on=result.service_starts[s.id],
            started=result.service_starts[s.id] <= today,
            selectable=result.service_starts[s.id] <= today
            and may_file_for_provider(user, s.provider),
        )
        for s in services
    ]
    rows.sort(key=lambda r: (not r.started, r.service.provider, r.service.code))
    return Entitlement(refusal=None, valid_from=result.valid_from, services=tuple(rows))


def find_requesters(sess: Session, user: User, q: str) -> list[User]:
    """Active customer-side people whose name or e-mail contains `q` (any case), in the
    searcher's user scope, as the users API finds them."""
    stmt = (
        select(User)
        .where(
            access.user_scope(user),
            User.role.in_([r.value for r in CUSTOMER_ROLES]),
            User.active.is_(True),
            or_(search.contains(User.name, q), search.contains(User.email, q)),
        )
        .order_by(User.name, User.id)
        .limit(SEARCH_LIMIT)
    )
    return list(sess.scalars(stmt))


def chosen_requester(sess: Session, user: User, requester_id: int) -> User:
    """The requester picked from the results; any other id is unknown (404)."""
    found = sess.scalar(
        select(User).where(
            User.id == requester_id,
            access.user_scope(user),
            User.role.in_([r.value for r in CUSTOMER_ROLES]),
            User.active.is_(True),
        )
    )
    if found is None:
        raise NotFound(_("No customer user %(id)s to file for.", id=requester_id))
    return found


def _search_context(sess: Session, user: User, q: str) -> dict[str, Any]:
    q = q.strip()[:200]
    searched = len(q) >= SEARCH_MIN_CHARS
    results = find_requesters(sess, user, q) if searched else []
    return {
        "q": q,
        "searched": searched,
        "results": results,
        "limit": SEARCH_LIMIT,
        "min_chars": SEARCH_MIN_CHARS,
        "role_labels": ROLE_LABELS,
    }


def _service_choices(entitlement: Entitlement) -> list[SelectChoice]:
    """The services the agent may log now, grouped by centre."""
    out = [SelectChoice("", _("Not known yet: the triage group classifies it"))]
    out += [
        SelectChoice(
            str(s.service.id), f"{s.service.code} · {s.name}", optgroup=s.service.provider
        )
        for s in entitlement.selectable
    ]
    return out


def _received_utc(value: datetime | None) -> datetime | None:
    """The form's Helsinki wall-clock time as a UTC instant."""
    if value is None:
        return None
    return value.replace(tzinfo=PAGE_TZ).astimezone(UTC)


def _ticket_data(form: NewTicketForm, requester: User) -> dict[str, Any]:
    data: dict[str, Any] = {
        "requester_id": requester.id,
        "type": form.type.data,
        "service_id": int(form.service_id.data) if form.service_id.data else None,
        "title": form.title.data.strip(),
        "description": form.description.data,
        "impact": form.impact.data,
        "urgency": form.urgency.data,
        "channel": form.channel.data,
        "received_at": _received_utc(form.received_at.data),
    }
    if form.priority.data:
        data["priority"] = form.priority.data
        data["priority_reason"] = (form.priority_reason.data or "").strip()
    return data


def _refused(form: NewTicketForm, exc: ApiError) -> list[str]:
    """Put a refused create's messages by their fields; the rest go to the summary."""
    extra: list[str] = []
    if exc.code == "not_entitled":
        extra.append(refusal_text(exc.details.get("reason", ""), exc.details.get("starts_on")))
        return extra
    fields = exc.details.get("fields") or {}
    for name, messages in fields.items():
        target = getattr(form, name, None) if name in form._fields else None
        if target is None or name in ("requester_id", "idempotency_key"):
            extra.extend(str(m) for m in messages)
        else:
            target.errors = [*target.errors, *(str(m) for m in messages)]
    if not fields:
        extra.append(exc.message)
    return extra


def _routed_to(sess: Session, ticket: Ticket) -> str:
    if ticket.group_id is not None:
        group = sess.get(ResolverGroup, ticket.group_id)
        if group is not None:
            return group.name
    if ticket.assignee_id is not None:
        assignee = sess.get(User, ticket.assignee_id)
        if assignee is not None:
            return assignee.name
    return _("nobody yet")


def _matrix_rows() -> list[tuple[str, list[str]]]:
    return [
        (label(LEVEL_LABELS, i), [label(PRIORITY_LABELS, MATRIX[(i, u)]) for u in LEVELS])
        for i in LEVELS
    ]


def _render_page(status: int = 200, **ctx: Any) -> Any:
    ctx.setdefault("q", "")
    ctx.setdefault("searched", False)
    ctx.setdefault("results", [])
    ctx.setdefault("requester", None)
    ctx.setdefault("entitlement", None)
    ctx.setdefault("form", None)
    ctx.setdefault("extra_errors", [])
    ctx.update(
        role_labels=ROLE_LABELS,
        limit=SEARCH_LIMIT,
        min_chars=SEARCH_MIN_CHARS,
        level_labels=[label(LEVEL_LABELS, u) for u in LEVELS],
        matrix_rows=_matrix_rows(),
        format_date=format_date,
    )
    return render_template("web/intake.html", **ctx), status


@bp.route("/desk/new", methods=["GET", "POST"])
@roles_required(Role.AGENT, Role.ADMIN)
def new_ticket() -> Any:
    """Log a call: find the requester, see the entitlement, file the ticket."""
    sess = db.session()
    user: User = current_user._get_current_object()
    requester_id = request.values.get("requester_id", type=int)
    if requester_id is None:
        if request.method == "POST":
            return redirect(url_for("web.new_ticket"), code=303)
        return _render_page(**_search_context(sess, user, request.args.get("q", "")))

    requester = chosen_requester(sess, user, requester_id)
    now = utcnow()
    entitlement = entitlement_of(sess, user, requester.organisation_id, now)
    ctx: dict[str, Any] = {"requester": requester, "entitlement": entitlement}
    if entitlement.refusal is not None:
        return _render_page(**ctx)

    form = NewTicketForm()
    form.service_id.choices = _service_choices(entitlement)
    form.requester_id.data = str(requester.id)
    if request.method == "GET":
        form.idempotency_key.data = secrets.token_urlsafe(24)
        return _render_page(form=form, matrix=_matrix_priority(form), **ctx)

    if not form.validate():
        extra = []
        if form.idempotency_key.errors:  # a hidden field: say it in the summary, and renew it
            extra.append(_("The form had expired; check it and file it again."))
            form.idempotency_key.data = secrets.token_urlsafe(24)
        return _render_page(
            422, form=form, matrix=_matrix_priority(form), extra_errors=extra, **ctx
        )
    try:
        ticket, created = create_ticket(
            sess, user, _ticket_data(form, requester), idempotency_key=form.idempotency_key.data
        )
    except ApiError as exc:
        extra = _refused(form, exc)
        return _render_page(
            exc.status, form=form, matrix=_matrix_priority(form), extra_errors=extra, **ctx
        )
    if created:
        flash(
            _(
                "Ticket %(number)s filed for %(requester)s and routed to %(target)s.",
                number=ticket.number,
                requester=requester.name,
                target=_routed_to(sess, ticket),
            )
        )
    else:
        flash(_("Ticket %(number)s was already filed from this form.", number=ticket.number))
    return redirect(url_for("web.ticket", ticket_id=ticket.id), code=303)


def _matrix_priority(form: NewTicketForm) -> str:
    try:
        return label(PRIORITY_LABELS, priority_for(form.impact.data, form.urgency.data))
    except (KeyError, ValueError):
        return ""


@bp.get("/desk/new/requesters")
@roles_required(Role.AGENT, Role.ADMIN)
def new_ticket_requesters() -> Any:
    """The live search: htmx gets only the result list; a plain request the whole page."""
    q = request.args.get("q", "")
    if "HX-Request" not in request.headers:
        return redirect(url_for("web.new_ticket", q=q.strip()[:200] or None))
    ctx = _search_context(db.session(), current_user._get_current_object(), q)
    return render_template("web/_intake_requesters.html", **ctx)


@bp.get("/desk/new/priority")
@roles_required(Role.AGENT, Role.ADMIN)
def new_ticket_priority() -> Any:
    """The matrix priority for the chosen impact and urgency (htmx); the page has the table."""
    impact, urgency = request.args.get("impact", ""), request.args.get("urgency", "")
    try:
        matrix = label(PRIORITY_LABELS, priority_for(impact, urgency))
    except (KeyError, ValueError):
        matrix = ""
    if "HX-Request" not in request.headers:
        return redirect(url_for("web.new_ticket"))
    return render_template("web/_intake_priority.html", matrix=matrix)
