"""The desk's queues: which tickets each queue holds, their counts for the header, and the
queue page (filters in the URL, ordered by time to breach, cursor pages, a live refresh of
the rows, and bulk actions that report a result per row).

Every read goes through the same scope and list query as the API (`access.ticket_scope`,
`tickets.queries.ticket_list`), and every write through `tickets.operations.update_ticket`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import marshmallow as ma
from flask import abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict

from catalog.groups.models import ResolverGroup, group_members
from catalog.organisations.models import Organisation
from catalog.routing import ACCOUNT_MANAGER_TYPES
from catalog.services.models import Service
from servicedesk import access, db
from servicedesk.db import utcnow
from servicedesk.enums import Role
from servicedesk.errors import ApiError
from servicedesk.pagination import paginate
from servicedesk.tickets import operations, queries
from servicedesk.tickets.lifecycle import OPEN_STATUSES, Status
from servicedesk.tickets.models import Ticket
from servicedesk.tickets.schemas import TicketListArgs
from servicedesk.users.models import User
from servicedesk.web.blueprint import bp
from servicedesk.web.i18n import DEFAULT_LOCALE
from servicedesk.web.labels import (
    PRIORITY_LABELS,
    SLA_STATE_ICONS,
    SLA_STATE_LABELS,
    STATUS_LABELS,
    label,
)
from servicedesk.web.queue_forms import (
    BULK_ACTIONS,
    SORT_CHOICES,
    BulkForm,
    QueueFilterForm,
    choices,
)
from servicedesk.web.session import desk_required, home_for
from sla import queries as sla_queries

#: Rows per page: the page the benchmark measures.
PAGE_SIZE = 50
_OPEN = [s.value for s in OPEN_STATUSES]


@dataclass(frozen=True)
class Queue:
    name: str
    label: Any  # a lazy string
    #: The queue's tickets among those the user may see, as of `now`.
    condition: Callable[[User, datetime], ColumnElement[bool]]
    empty: Any  # what the page says when the queue is empty


def _open() -> ColumnElement[bool]:
    return Ticket.status.in_(_OPEN)


def _sla(state: str) -> Callable[[User, datetime], ColumnElement[bool]]:
    def condition(user: User, now: datetime) -> ColumnElement[bool]:
        return and_(_open(), sla_queries.state_condition(state, now, access.clock_scope(user)))

    return condition


def _my_groups(user: User) -> Any:
    return select(group_members.c.group_id).where(group_members.c.user_id == user.id)


QUEUES: dict[str, Queue] = {
    q.name: q
    for q in (
        Queue(
            "mine",
            _l("Mine"),
            lambda u, _now: and_(Ticket.assignee_id == u.id, _open()),
            _l("Nothing is assigned to you."),
        ),
        Queue(
            "groups",
            _l("My groups"),
            lambda u, _now: and_(Ticket.group_id.in_(_my_groups(u)), _open()),
            _l("Your groups have no open tickets."),
        ),
        Queue(
            "triage",
            _l("Triage"),
            # Unassigned and open: a change need routed to its account manager is theirs,
            # not the desk's first line's, even while it is new.
            lambda _u, _now: and_(Ticket.assignee_id.is_(None), _open()),
            _l("No open ticket is unassigned."),
        ),
        Queue("at_risk", _l("At risk"), _sla("at_risk"), _l("No ticket is at risk.")),
        Queue("breached", _l("Breached"), _sla("breached"), _l("No open ticket is breached.")),
        Queue(
            "escalated",
            _l("At suppliers"),
            lambda _u, _now: Ticket.status == Status.ESCALATED_TO_SUPPLIER.value,
            _l("No ticket is escalated to a supplier."),
        ),
        Queue(
            "waiting",
            _l("Waiting for customer"),
            lambda _u, _now: Ticket.status == Status.WAITING_FOR_CUSTOMER.value,
            _l("No ticket is waiting for a customer."),
        ),
        Queue(
            "routed",
            _l("Routed to me"),
            lambda u, _now: and_(
                Ticket.assignee_id == u.id,
                Ticket.type.in_(sorted(ACCOUNT_MANAGER_TYPES)),
                _open(),
            ),
            _l("No change needs or feedback are routed to you."),
        ),
        Queue(
            "customers",
            _l("My customers"),
            lambda _u, _now: _open(),
            _l("Your customers have no open tickets."),
        ),
    )
}

_AGENT_QUEUES = ("mine", "groups", "triage", "at_risk", "breached", "escalated", "waiting")
_ROLE_QUEUES: dict[Role, tuple[str, ...]] = {
    Role.AGENT: _AGENT_QUEUES,
    Role.ADMIN: _AGENT_QUEUES,
    Role.ACCOUNT_MANAGER: ("routed", "customers"),
}


def queues_for(user: User) -> tuple[str, ...]:
    """The user's queues, their default first. Supplier agents work on their own page."""
    return _ROLE_QUEUES.get(user.role_enum, ())


def queue_counts(sess: Session, user: User, names: Sequence[str]) -> dict[str, int]:
    """Every queue's count in ONE statement: a filtered count per queue over the user's scope."""
    if not names:
        return {}
    now = utcnow()
    columns = [func.count().filter(QUEUES[n].condition(user, now)).label(n) for n in names]
    row = sess.execute(select(*columns).select_from(Ticket).where(access.ticket_scope(user))).one()
    return {n: int(row._mapping[n] or 0) for n in names}


def nav_entries(user: Any) -> list[dict[str, Any]]:
    """The header's queue links with their counts; the current queue is marked active."""
    names = queues_for(user)
    if not names:
        supplier = user.role_enum is Role.SUPPLIER_AGENT
        if supplier and "web.supplier_legs" in current_app.view_functions:
            return [
                {
                    "label": _("My supplier legs"),
                    "url": url_for("web.supplier_legs"),
                    "count": None,
                    "active": request.endpoint == "web.supplier_legs",
                }
            ]
        return []
    counts = queue_counts(db.session(), user, names)
    current = (request.view_args or {}).get("name") if request.endpoint == "web.queue" else None
    entries = [
        {
            "label": str(QUEUES[n].label),
            "url": url_for("web.queue", name=n),
            "count": counts[n],
            "active": n == current,
        }
        for n in names
    ]
    return entries + _work_links(user)


def _work_links(user: Any) -> list[dict[str, Any]]:
    """Beside the queues: logging a call (the desk) and the canned replies (admins)."""
    links = []
    if user.role_enum in (Role.AGENT, Role.ADMIN):
        links.append(("web.new_ticket", _("Log a call")))
    if user.role_enum is Role.ADMIN:
        links.append(("web.canned_replies", _("Canned replies")))
        links.append(("web.inbound_mail", _("Incoming mail")))
    return [
        {
            "label": label,
            "url": url_for(endpoint),
            "count": None,
            "active": request.endpoint == endpoint,
        }
        for endpoint, label in links
        if endpoint in current_app.view_functions
    ]


# --- the page ----------------------------------------------------------------------------


def _options(sess: Session, user: User) -> dict[str, list[tuple[str, str]]]:
    """The choices of the id filters: what the user may see, by name."""
    locale = _locale()
    orgs = sess.execute(
        select(Organisation.id, Organisation.name)
        .where(access.organisation_scope(user))
        .order_by(Organisation.name, Organisation.id)
    ).all()
    services = sess.execute(
        select(Service.id, getattr(Service, f"name_{locale}"), Service.code).order_by(Service.code)
    ).all()
    people = sess.execute(
        select(User.id, User.name)
        .where(
            User.role.in_([Role.AGENT.value, Role.ACCOUNT_MANAGER.value]),
            User.active.is_(True),
            access.user_scope(user),
        )
        .order_by(User.name, User.id)
    ).all()
    return {
        "group_id": [(str(i), f"{n} ({p})") for i, (n, p) in _groups(sess).items()],
        "organisation_id": [(str(i), n) for i, n in orgs],
        "service_id": [(str(i), f"{n} ({c})") for i, n, c in services],
        "assignee_id": [(str(i), n) for i, n in people],
    }


def _groups(sess: Session) -> dict[int, tuple[str, str]]:
    """Group names and providers (a small table), once per request."""
    if "queue_groups" not in g:
        g.queue_groups = {
            gid: (name, provider)
            for gid, name, provider in sess.execute(
                select(ResolverGroup.id, ResolverGroup.name, ResolverGroup.provider).order_by(
                    ResolverGroup.provider, ResolverGroup.name
                )
            )
        }
    return g.queue_groups


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or DEFAULT_LOCALE)


def _ticket_url() -> Callable[[int], str]:
    """The ticket page's address (another module's view: its literal path until it lands)."""
    if "web.ticket" in current_app.view_functions:
        return lambda ticket_id: url_for("web.ticket", ticket_id=ticket_id)
    return lambda ticket_id: f"/desk/tickets/{ticket_id}"


def _next_clock(summaries: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The clock a queue row shows: the running one due soonest (customer's before a
    supplier's on a tie), else a paused one, else one that was met."""
    running = [
        c
        for c in summaries
        if c["state"] in ("running", "at_risk", "breached") and c["stopped_at"] is None
    ]
    if running:
        return min(running, key=lambda c: (c["due_at"] or sla_queries.FAR_FUTURE, c["leg"]))
    for state in ("breached", "paused", "met"):
        found = [c for c in summaries if c["state"] == state]
        if found:
            return found[0]
    return None


def _sla_cell(sla: dict[str, Any]) -> dict[str, Any]:
    clock = _next_clock(sla["clocks"])
    if clock is None:
        state = "none" if sla["no_promise"] else "met"
        return {
            "state": state,
            "icon": SLA_STATE_ICONS[state],
            "label": label(SLA_STATE_LABELS, state),
            "clock": None,
        }
    state = clock["state"]
    return {
        "state": state,
        "icon": SLA_STATE_ICONS.get(state, ""),
        "label": label(SLA_STATE_LABELS, state),
        "clock": clock,
        "counting": state in ("running", "at_risk") and clock["stopped_at"] is None,
    }


def _rows(sess: Session, user: User, tickets: list[Ticket]) -> list[dict[str, Any]]:
    """What each row shows, with the SLA evaluated as the API list does (one clock query)."""
    now = utcnow()
    clocks = sla_queries.clocks_by_ticket(sess, tickets, user)
    groups = _groups(sess)
    ticket_url = _ticket_url()
    locale = _locale()
    rows = []
    for t in tickets:
        sla = sla_queries.ticket_sla(sess, clocks[t.id], now)
        group = groups.get(t.group_id) if t.group_id else None
        rows.append(
            {
                "id": t.id,
                "number": t.number,
                "url": ticket_url(t.id),
                "title": t.title,
                "organisation": t.organisation.name if t.organisation else "",
                "service": getattr(t.service, f"name_{locale}") if t.service else "",
                "priority": t.priority,
                "priority_label": label(PRIORITY_LABELS, t.priority),
                "status": t.status,
                "status_label": label(STATUS_LABELS, t.status),
                "group": group[0] if group else "",
                "assignee": t.assignee.name if t.assignee else "",
                "provider": t.provider,
                "sla": _sla_cell(sla),
            }
        )
    return rows


def _queue_or_404(user: User, name: str) -> Queue:
    if name not in queues_for(user):
        abort(404)
    return QUEUES[name]


def _filter_form() -> QueueFilterForm:
    # An empty MultiDict, not None: WTForms would otherwise read nothing and keep defaults.
    return QueueFilterForm(formdata=request.args if request.args else MultiDict())


def _list_args(form: QueueFilterForm) -> dict[str, Any]:
    """The filters through the API's own argument schema (same shape, same limits)."""
    return TicketListArgs().load({**form.list_args(), "limit": PAGE_SIZE})


def _page_url(name: str, **extra: Any) -> str:
    """This queue with the current filters (and `extra`, e.g. the next page's cursor)."""
    pairs = [(k, v) for k, v in request.args.items(multi=True) if k != "cursor" and v != ""]
    pairs += [(k, v) for k, v in extra.items() if v]
    query = urlencode(pairs)
    return url_for("web.queue", name=name) + (f"?{query}" if query else "")


def _bulk_form(user: User, assignees: list[tuple[str, str]]) -> BulkForm:
    form = BulkForm(prefix="bulk")  # its fields' ids never clash with the filters'
    if user.role_enum is Role.ACCOUNT_MANAGER:
        # An account manager moves only the status of what is routed to them.
        form.action.choices = choices([c for c in BULK_ACTIONS if c[0] == "status"])
        form.action.default = "status"
        if not request.form.get("bulk-action"):
            form.action.data = "status"
    form.assignee_id.choices = choices([("", _("choose")), *assignees])
    return form


def _agents(sess: Session, user: User) -> list[tuple[str, str]]:
    people = sess.execute(
        select(User.id, User.name, User.provider)
        .where(User.role == Role.AGENT.value, User.active.is_(True), access.user_scope(user))
        .order_by(User.name, User.id)
    ).all()
    return [(str(i), f"{n} ({p})" if p else n) for i, n, p in people]


def _refusal(exc: ApiError) -> str:
    """A refused row's reason, in the page's language where we know the refusal."""
    if exc.code == "invalid_transition":
        return _(
            "A ticket that is %(current)s cannot become %(requested)s.",
            current=label(STATUS_LABELS, exc.details.get("current")),
            requested=label(STATUS_LABELS, exc.details.get("requested")),
        )
    if exc.code == "ticket_final":
        return _("The ticket is closed or cancelled; it does not change any more.")
    if exc.status == 404:
        return _("No such ticket, or not one you may see.")
    if exc.status == 403:
        return _("You may not change this ticket: %(reason)s", reason=exc.message)
    return exc.message


def _apply_bulk(
    sess: Session, user: User, ids: list[int], changes: dict[str, Any]
) -> list[dict[str, Any]]:
    """Each row in a savepoint of its own: a refused row rolls back alone."""
    results = []
    for ticket_id in ids:
        number = None
        try:
            with sess.begin_nested():
                ticket = access.visible_ticket(sess, user, ticket_id)
                number = ticket.number
                operations.update_ticket(sess, user, ticket, dict(changes))
            results.append({"id": ticket_id, "number": number, "ok": True, "reason": ""})
        except ApiError as exc:
            results.append(
                {"id": ticket_id, "number": number, "ok": False, "reason": _refusal(exc)}
            )
        except StaleDataError:
            results.append(
                {
                    "id": ticket_id,
                    "number": number,
                    "ok": False,
                    "reason": _("Someone changed the ticket at the same moment; try again."),
                }
            )
    return results


def _selected_ids() -> list[int]:
    ids = []
    for raw in request.form.getlist("ticket"):
        if raw.isdigit() and len(raw) < 10 and int(raw) not in ids:
            ids.append(int(raw))
    return ids


@bp.route("/desk/queues/<name>", methods=["GET", "POST"])
@desk_required
def queue(name: str) -> Any:
    """One queue: the whole page, or only its rows when htmx polls (HX-Request)."""
    user = current_user._get_current_object()
    if not queues_for(user):
        if name == "default":
            return redirect(home_for(user))
        abort(403, description=_("Your role does not use this page."))
    if name == "default":
        query = urlencode(list(request.args.items(multi=True)))
        target = url_for("web.queue", name=queues_for(user)[0])
        return redirect(target + (f"?{query}" if query else ""))
    q = _queue_or_404(user, name)
    sess = db.session()
    partial = bool(request.headers.get("HX-Request")) and request.method == "GET"

    options = {} if partial else _options(sess, user)
    form = _filter_form()
    form.set_options(options)
    problems: list[str] = []
    args: dict[str, Any] | None = None
    if form.validate():
        try:
            args = _list_args(form)
        except ma.ValidationError:
            problems.append(_("Some filter values are not valid."))
    else:
        problems.append(_("Some filter values are not valid."))

    bulk = None if partial else _bulk_form(user, _agents(sess, user))
    results: list[dict[str, Any]] = []
    status = 200
    if request.method == "POST":
        assert bulk is not None
        ids = _selected_ids()
        ok = bulk.validate_on_submit()
        if not ids:
            bulk.form_errors.append(_("Select at least one ticket."))
            ok = False
        if ok:
            results = _apply_bulk(sess, user, ids, bulk.changes_for(user.id))
            sess.flush()
        else:
            status = 422  # nothing was applied

    items: list[Ticket] = []
    next_cursor = None
    if args is not None:
        stmt = queries.ticket_list(user, args).where(q.condition(user, utcnow()))
        try:
            items, next_cursor = paginate(
                sess,
                stmt,
                queries.sort_key(args["sort"]),
                PAGE_SIZE,
                request.args.get("cursor") or None,
            )
        except ApiError:
            problems.append(_("That page link is no longer valid; start from the first page."))
    if problems and status == 200:
        status = 422

    context = {
        "queue": q,
        "name": name,
        "rows": _rows(sess, user, items),
        "next_url": _page_url(name, cursor=next_cursor) if next_cursor else None,
        "first_url": _page_url(name) if request.args.get("cursor") else None,
        "poll_url": request.full_path if request.method == "GET" else _page_url(name),
        "refreshed_at": utcnow(),
        "problems": problems,
        "filtered": form.active_filters(),
        "order_label": dict(SORT_CHOICES).get(form.sort.data, SORT_CHOICES[0][1]),
    }
    if partial:
        return render_template("web/_queue_rows.html", **context)
    return (
        render_template(
            "web/queue.html",
            form=form,
            bulk=bulk,
            results=results,
            clear_url=url_for("web.queue", name=name),
            action_url=_page_url(name),
            is_account_manager=user.role_enum is Role.ACCOUNT_MANAGER,
            **context,
        ),
        status,
    )
