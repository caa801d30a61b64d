"""The agreement pages of the yearly cycle (issue 13).

- `/desk/agreements`: admins and account managers (their customers only); one row per
  organisation: the version in force, its lapse state, the successor being negotiated; the
  most urgent first.
- `/desk/agreements/<id>`: a version with its lines, transition milestones, promises,
  acceptance, signature and history, and the actions the reader may take (new draft,
  propose, return to draft, sign, edit a draft or proposal).
- `/portal/agreement`: a customer contact's version in force, the proposal with what it
  changes, the acceptance button, and the transition plan. Drafts are never shown there.

The pages call the cycle's operations (`catalog.agreements.cycle`) and check who may act with
the same `require_*` functions the API uses. A foreign version is a 404; a refusal is a
translated flash (a conflict) or a 4xx page (a forbidden step), never a 500.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_currency, format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from catalog.agreements import cycle, cycle_rules, operations
from catalog.agreements.models import (
    IN_FORCE_STATES,
    OPEN_STATES,
    AgreementEvent,
    AgreementService,
    AgreementVersion,
    ServicePromise,
)
from catalog.agreements.queries import local_date
from catalog.calendars.models import BusinessCalendar
from catalog.organisations.models import Organisation
from catalog.services.models import Service
from servicedesk import access, db
from servicedesk.enums import Role
from servicedesk.errors import ApiError, NotFound
from servicedesk.users.models import User
from servicedesk.web.agreement_diff import (
    Change,
    LineTerms,
    PromiseTerms,
    line_changes,
    milestone_status,
    promise_changes,
)
from servicedesk.web.agreement_forms import EditForm, edit_form_for
from servicedesk.web.blueprint import bp
from servicedesk.web.i18n import local_date as date_words
from servicedesk.web.intake import service_name
from servicedesk.web.labels import PRIORITY_LABELS, label
from servicedesk.web.public_page import FAMILY_LABELS, PRICE_MODEL_LABELS
from servicedesk.web.session import portal_required, roles_required

STATE_LABELS = {
    "draft": _l("draft"),
    "proposed": _l("proposed"),
    "accepted": _l("accepted by the customer"),
    "signed": _l("signed"),
    "superseded": _l("superseded"),
}

INVOICING_LABELS = {
    "monthly": _l("monthly"),
    "quarterly": _l("quarterly"),
    "yearly": _l("yearly"),
}

MILESTONE_KIND_LABELS = {
    "data_migration": _l("data migration"),
    "training": _l("training"),
    "go_live": _l("go-live"),
    "other": _l("other"),
}

#: Never by colour alone: each status has its word and an icon.
MILESTONE_STATUS_LABELS = {
    "done": _l("done"),
    "late": _l("late"),
    "planned": _l("planned"),
}
MILESTONE_STATUS_ICONS = {"done": "✔", "late": "⚠", "planned": "○"}

EVENT_LABELS = {
    "created": _l("created"),
    "drafted": _l("drafted"),
    "edited": _l("edited"),
    "acceptance_cleared": _l("acceptance cleared by a change"),
    "proposed": _l("sent to the customer"),
    "returned_to_draft": _l("returned to draft"),
    "accepted": _l("accepted by the customer"),
    "signed": _l("signed"),
    "superseded": _l("superseded"),
    "milestone_moved": _l("milestone moved"),
    "start_moved": _l("service start moved"),
    "reminder_sent": _l("reminder sent"),
    "plan_set": _l("transition plan set"),
    "milestone_done": _l("milestone done"),
    "milestone_undone": _l("milestone no longer done"),
}

#: The edit form's changes by the API's field names, as the history says them.
FIELD_LABELS = {
    "services": _l("service lines"),
    "notes": _l("notes"),
    "renewal_deadline": _l("renewal deadline"),
    "promises": _l("promises"),
    "valid_from": _l("start"),
    "valid_to": _l("end"),
    "invoicing_period": _l("invoicing"),
    "transition_plan": _l("transition plan"),
}

#: An operation's refusal by its code, in the reader's language.
REFUSALS = {
    "wrong_state": _l("The agreement's state has changed meanwhile; look at it again."),
    "successor_exists": _l("A successor of this agreement is already being drafted or signed."),
    "open_ended": _l("This agreement has no end date; give it one before drafting a successor."),
    "not_accepted": _l("The customer has not accepted the proposal yet."),
    "overlaps": _l("The version overlaps the version in force; end that one first."),
    "version_frozen": _l("Tickets were received under this version; it can no longer change."),
    "forbidden": _l("Your role may not do this to this agreement."),
}

#: Messages of `operations._check` for a line, in the reader's language.
_CHECK_MESSAGES = {
    "Starts after the version ends.": _l("Starts after the version ends."),
}


def _today() -> date:
    """Today in Helsinki: agreement dates are the customer's calendar dates."""
    return local_date(db.utcnow())


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return,attr-defined]


def _settings_sign() -> bool:
    return bool(current_app.config["SETTINGS"].account_managers_sign)


# --- words --------------------------------------------------------------------------------


def state_key(version: AgreementVersion) -> str:
    """The state as the pages tell it: a proposal the customer accepted is "accepted"."""
    if version.state == "proposed" and version.accepted_at is not None:
        return "accepted"
    return version.state


def period_words(version: AgreementVersion) -> str:
    end = date_words(version.valid_to) if version.valid_to else _("until further notice")
    return f"{date_words(version.valid_from)} \N{EN DASH} {end}"


def lapse_words(lapse: cycle_rules.Lapse) -> str:
    """The lapse in words ("Lapses in 23 days, no successor") in the reader's language."""
    if lapse.days_left == 0:
        return _("Ends today, no successor")
    return ngettext(
        "Lapses in %(num)d day, no successor",
        "Lapses in %(num)d days, no successor",
        lapse.days_left,
    )


def price_words(price_model: str, price: Decimal) -> str:
    return f"{format_currency(price, 'EUR')} {label(PRICE_MODEL_LABELS, price_model)}"


def minutes_words(minutes: int | None) -> str:
    if minutes is None:
        return "\N{EN DASH}"
    hours, rest = divmod(int(minutes), 60)
    if hours and rest:
        return _("%(hours)d h %(minutes)d min", hours=hours, minutes=rest)
    if hours:
        return _("%(hours)d h", hours=hours)
    return _("%(minutes)d min", minutes=rest)


def percent_words(value: Decimal) -> str:
    return format_decimal(value, format="#,##0.##") + "\N{NO-BREAK SPACE}%"


# --- reading ------------------------------------------------------------------------------


def _visible(version_id: int) -> AgreementVersion:
    """The version if the reader may see it (admins all, account managers their customers');
    any other is a 404."""
    sess = db.session()
    version = sess.get(AgreementVersion, version_id)
    if version is None:
        raise NotFound(_("No such agreement."))
    user = _user()
    if user.role_enum is not Role.ADMIN and not cycle.manages(sess, user, version.organisation_id):
        raise NotFound(_("No such agreement."))
    return version


def in_force_on(sess: Session, organisation_id: int, day: date) -> AgreementVersion | None:
    """The version in force on `day`; else the latest version that ever was in force."""
    versions = sess.scalars(
        select(AgreementVersion)
        .where(
            AgreementVersion.organisation_id == organisation_id,
            AgreementVersion.state.in_(IN_FORCE_STATES),
        )
        .order_by(AgreementVersion.valid_from.desc(), AgreementVersion.id.desc())
    )
    return _in_force_among(list(versions), day)


def _in_force_among(versions: Sequence[AgreementVersion], day: date) -> AgreementVersion | None:
    """`in_force_on` over one organisation's versions in force, latest first."""
    for v in versions:
        if v.valid_from <= day and (v.valid_to is None or day <= v.valid_to):
            return v
    started = [v for v in versions if v.valid_from <= day]
    return started[0] if started else (versions[-1] if versions else None)


def successor_of(sess: Session, version: AgreementVersion) -> AgreementVersion | None:
    """The version after `version`: the one being negotiated, or a signed one."""
    return sess.scalar(
        select(AgreementVersion)
        .where(
            AgreementVersion.organisation_id == version.organisation_id,
            AgreementVersion.valid_from > version.valid_from,
            AgreementVersion.state.in_(("draft", "proposed", "signed")),
        )
        .order_by(AgreementVersion.valid_from, AgreementVersion.id)
        .limit(1)
    )


def _services(sess: Session, ids: set[int]) -> dict[int, Service]:
    if not ids:
        return {}
    return {s.id: s for s in sess.scalars(select(Service).where(Service.id.in_(ids)))}


def _names(sess: Session, version: AgreementVersion) -> dict[int, str]:
    services = _services(sess, {s.service_id for s in version.services})
    return {sid: service_name(s) for sid, s in services.items()}


def _people(sess: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u.name for u in sess.scalars(select(User).where(User.id.in_(wanted)))}


def _calendars(sess: Session) -> dict[int, str]:
    return {c.id: c.name for c in sess.scalars(select(BusinessCalendar))}


# --- the list -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ListRow:
    """An organisation's agreement at a glance."""

    organisation: Organisation
    in_force: AgreementVersion | None
    lapse: cycle_rules.Lapse | None
    ended: bool
    successor: AgreementVersion | None
    #: The first version starts later: the organisation has no agreement in force yet.
    not_started: bool = False
    #: Every version after the one in force: next year's signed one and the renewal being
    #: negotiated for the year after, both at a glance.
    following: tuple[AgreementVersion, ...] = ()

    @property
    def urgency(self) -> tuple[int, int]:
        """Sort key: no agreement in force, then the nearest lapse, then the rest."""
        if self.in_force is None or self.ended:
            return (0, 0)
        if self.lapse is not None and not self.not_started:
            return (1, self.lapse.days_left)
        return (2, 0)

    @property
    def lapse_text(self) -> str:
        if self.in_force is None:
            return _("No agreement in force")
        if self.ended:
            return _("Ended on %(day)s, no successor", day=date_words(self.in_force.valid_to))
        if self.not_started:
            return _("Starts on %(day)s", day=date_words(self.in_force.valid_from))
        return lapse_words(self.lapse) if self.lapse else ""

    @property
    def urgent(self) -> bool:
        if self.in_force is None or self.ended:
            return True
        return not self.not_started and bool(self.lapse and self.lapse.urgent)


def list_rows(sess: Session, user: User, today: date) -> list[ListRow]:
    """One row per organisation with an agreement the reader looks after, the most urgent
    first. Two statements whatever the number of organisations: theirs, and every version
    of theirs (a handful each), sorted out here."""
    stmt = select(Organisation).where(Organisation.id.in_(select(AgreementVersion.organisation_id)))
    if user.role_enum is not Role.ADMIN:
        stmt = stmt.where(Organisation.id.in_(access.managed_organisation_ids(user)))
    orgs = list(sess.scalars(stmt))
    versions: dict[int, list[AgreementVersion]] = {org.id: [] for org in orgs}
    for v in sess.scalars(
        select(AgreementVersion)
        .where(AgreementVersion.organisation_id.in_(list(versions)))
        .order_by(AgreementVersion.valid_from.desc(), AgreementVersion.id.desc())
    ):
        versions[v.organisation_id].append(v)
    rows = []
    for org in orgs:
        mine = versions[org.id]  # latest first
        current = _in_force_among([v for v in mine if v.state in IN_FORCE_STATES], today)
        if current is None:
            negotiated = [v for v in reversed(mine) if v.state in OPEN_STATES]
            rows.append(ListRow(org, None, None, False, negotiated[0] if negotiated else None))
            continue
        later = [v for v in reversed(mine) if v.valid_from > current.valid_from]
        following = tuple(v for v in later if v.state in ("draft", "proposed", "signed"))
        successor = following[0] if following else None
        signed_next = successor is not None and successor.state == "signed"
        ended = current.valid_to is not None and current.valid_to < today and not signed_next
        # `cycle.lapse`, from the versions at hand: followed by a later one in force?
        followed = any(v.state in IN_FORCE_STATES for v in later)
        lapse = cycle_rules.lapse_of(current.valid_to, followed, today)
        rows.append(
            ListRow(org, current, lapse, ended, successor, current.valid_from > today, following)
        )
    rows.sort(key=lambda r: (r.urgency, r.organisation.name.casefold(), r.organisation.id))
    return rows


@bp.get("/desk/agreements")
@roles_required(Role.ADMIN, Role.ACCOUNT_MANAGER)
def agreements() -> Any:
    """The agreements the reader looks after, the most urgent first."""
    rows = list_rows(db.session(), _user(), _today())
    return render_template(
        "web/agreements.html",
        rows=rows,
        period_words=period_words,
        state_of=lambda v: label(STATE_LABELS, state_key(v)),
        state_key=state_key,
    )


# --- one version --------------------------------------------------------------------------


@dataclass
class LineView:
    line: AgreementService
    name: str
    price: str
    milestones: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Permissions:
    """What the page offers this reader on this version: what the operations would allow."""

    draft: bool = False
    propose: bool = False
    back_to_draft: bool = False
    sign: bool = False
    edit: bool = False
    waiting_acceptance: bool = False


def permissions(sess: Session, user: User, version: AgreementVersion) -> Permissions:
    manager = cycle.manages(sess, user, version.organisation_id)
    editor = cycle_rules.may_edit(user.role_enum, manager, version.state)
    # Drafting a successor is editing the draft it makes.
    drafter = cycle_rules.may_edit(user.role_enum, manager, "draft")
    signer = cycle_rules.may_sign(user.role_enum, manager, _settings_sign())
    proposed = version.state == "proposed"
    return Permissions(
        draft=drafter
        and version.state in IN_FORCE_STATES
        and version.valid_to is not None
        and successor_of(sess, version) is None,
        propose=editor and version.state == "draft",
        back_to_draft=editor and proposed,
        sign=signer and proposed and version.accepted_at is not None,
        edit=editor and version.state in OPEN_STATES,
        waiting_acceptance=proposed and version.accepted_at is None,
    )


def _milestone_rows(line: AgreementService, today: date) -> list[dict[str, Any]]:
    rows = []
    for m in line.milestones:
        status = milestone_status(m.planned_on, m.done_on, today)
        rows.append(
            {
                "kind": label(MILESTONE_KIND_LABELS, m.kind),
                "name": m.name,
                "planned_on": date_words(m.planned_on),
                "done_on": date_words(m.done_on),
                "status": status,
                "status_text": label(MILESTONE_STATUS_LABELS, status),
                "icon": MILESTONE_STATUS_ICONS[status],
            }
        )
    return rows


def line_views(sess: Session, version: AgreementVersion, today: date) -> list[LineView]:
    names = _names(sess, version)
    views = [
        LineView(
            line,
            names.get(line.service_id, str(line.service_id)),
            price_words(line.price_model, line.price),
            _milestone_rows(line, today),
        )
        for line in version.services
    ]
    views.sort(key=lambda v: (v.line.starts_on, v.name.casefold()))
    return views


def scope_words(promise: PromiseTerms | ServicePromise, names: dict[int, str]) -> str:
    if promise.service_id is not None:
        scope = names.get(promise.service_id, str(promise.service_id))
    elif promise.family is not None:
        scope = label(FAMILY_LABELS, promise.family)
    else:
        scope = _("agreement default")
    if promise.ticket_type == "feedback":
        scope = _("%(scope)s (feedback)", scope=scope)
    return scope


def promise_rows(
    promises: list[ServicePromise] | list[PromiseTerms],
    names: dict[int, str],
    calendars: dict[int, str],
) -> list[dict[str, Any]]:
    return [
        {
            "scope": scope_words(p, names),
            "priority": label(PRIORITY_LABELS, p.priority),
            "response": minutes_words(p.response_minutes),
            "resolution": minutes_words(p.resolution_minutes),
            "update_every": minutes_words(p.update_minutes),
            "calendar": calendars.get(p.calendar_id, str(p.calendar_id)),
            "target": percent_words(p.compliance_percent),
        }
        for p in promises
    ]


def event_details(event: AgreementEvent) -> str:
    """An event's data in words (the keys the cycle records; others as they are)."""
    data = event.data or {}
    parts = []
    if "from_version" in data:
        parts.append(_("from version %(no)s", no=data["from_version"]))
    if "by_version" in data:
        parts.append(_("by version %(no)s", no=data["by_version"]))
    if "fields" in data and isinstance(data["fields"], list):
        parts.append(", ".join(label(FIELD_LABELS, f) for f in data["fields"]))
    for key, value in data.items():
        if key not in ("from_version", "by_version", "fields"):
            parts.append(f"{key}: {value}")
    return "; ".join(parts)


def _fill_edit_form(form: EditForm, version: AgreementVersion) -> None:
    form.notes.data = version.notes
    form.renewal_deadline.data = version.renewal_deadline
    for line in version.services:
        starts, price = form.line_fields(line.id)
        starts.data = line.starts_on
        price.data = line.price


def render_version(
    version: AgreementVersion, form: EditForm | None = None, status: int = 200
) -> Any:
    sess = db.session()
    user = _user()
    today = _today()
    may = permissions(sess, user, version)
    names = _names(sess, version)
    if may.edit and form is None:
        form = edit_form_for(version, names, prefix="edit", formdata=None)
        _fill_edit_form(form, version)
    events = list(
        sess.scalars(
            select(AgreementEvent)
            .where(AgreementEvent.agreement_version_id == version.id)
            .order_by(AgreementEvent.at, AgreementEvent.id)
        )
    )
    people = _people(
        sess, {e.actor_id for e in events} | {version.accepted_by_id, version.signed_by_id}
    )
    org = sess.get(Organisation, version.organisation_id)
    in_force = in_force_on(sess, version.organisation_id, today)
    successor = successor_of(sess, version)
    return render_template(
        "web/agreements_version.html",
        version=version,
        org=org,
        state=state_key(version),
        state_text=label(STATE_LABELS, state_key(version)),
        period=period_words(version),
        renewal_deadline=date_words(version.renewal_deadline),
        invoicing=label(INVOICING_LABELS, version.invoicing_period),
        lines=line_views(sess, version, today),
        promises=promise_rows(version.promises, names, _calendars(sess)),
        lapse=cycle.lapse(sess, version, today),
        lapse_words=lapse_words,
        events=[
            {
                "at": e.at,
                "kind": label(EVENT_LABELS, e.kind),
                "who": people.get(e.actor_id or 0, _("the system")),
                "details": event_details(e),
            }
            for e in events
        ],
        accepted_by=people.get(version.accepted_by_id or 0, ""),
        signed_by=people.get(version.signed_by_id or 0, ""),
        may=may,
        form=form if may.edit else None,
        in_force=in_force if in_force is not None and in_force.id != version.id else None,
        successor=successor,
        state_of=lambda v: label(STATE_LABELS, state_key(v)),
        what_if_url=f"/desk/agreements/{version.id}/what-if",
    ), status


@bp.get("/desk/agreements/<int:version_id>")
@roles_required(Role.ADMIN, Role.ACCOUNT_MANAGER)
def agreement(version_id: int) -> Any:
    """An agreement version: terms, transition plan, acceptance, signature, history, and the
    steps the reader may take."""
    return render_version(_visible(version_id))


# --- the actions --------------------------------------------------------------------------


def refusal_text(exc: ApiError) -> str:
    """An operation's refusal in the reader's language (its code picks the words)."""
    found = REFUSALS.get(exc.code)
    if found is not None:
        return str(found)
    return _("The agreement could not be changed.")


def _refused(exc: ApiError, version: AgreementVersion) -> Any:
    """A forbidden step is a 403 page; a missing one a 404; a conflict a flash on the page."""
    db.session().rollback()
    if exc.status == 403:
        abort(403, description=refusal_text(exc))
    if exc.status == 404:
        abort(404, description=_("No such agreement."))
    flash(refusal_text(exc), "error")
    return redirect(url_for("web.agreement", version_id=version.id), code=303)


def _back(version: AgreementVersion, message: str) -> Response:
    flash(message)
    return redirect(url_for("web.agreement", version_id=version.id), code=303)


@bp.post("/desk/agreements/<int:version_id>/draft")
@roles_required(Role.ADMIN, Role.ACCOUNT_MANAGER)
def agreement_draft(version_id: int) -> Any:
    """A draft for the next period from this version in force."""
    sess, user = db.session(), _user()
    source = _visible(version_id)
    manager = cycle.manages(sess, user, source.organisation_id)
    try:
        if not cycle_rules.may_edit(user.role_enum, manager, "draft"):
            raise ApiError("", code="forbidden", status=403)
        draft = cycle.new_draft(sess, user, source)
    except ApiError as exc:
        return _refused(exc, source)
    return _back(draft, _("A draft for %(period)s was made.", period=period_words(draft)))


@bp.post("/desk/agreements/<int:version_id>/propose")
@roles_required(Role.ADMIN, Role.ACCOUNT_MANAGER)
def agreement_propose(version_id: int) -> Any:
    """Send the draft to the customer contact to accept."""
    sess, user = db.session(), _user()
    version = _visible(version_id)
    try:
        cycle.require_edit(sess, user, version)
        cycle.propose(sess, user, version)
    except ApiError as exc:
        return _refused(exc, version)
    return _back(version, _("The proposal was sent to the customer."))


@bp.post("/desk/agreements/<int:version_id>/return")
@roles_required(Role.ADMIN, Role.ACCOUNT_MANAGER)
def agreement_return(version_id: int) -> Any:
    """Take a proposal back to draft (its acceptance, if any, is cleared)."""
    sess, user = db.session(), _user()
    version = _visible(version_id)
    try:
        cycle.require_edit(sess, user, version)
        cycle.return_to_draft(sess, user, version)
    except ApiError as exc:
        return _refused(exc, version)
    return _back(version, _("The proposal is a draft again."))


@bp.post("/desk/agreements/<int:version_id>/sign")
@roles_required(Role.ADMIN, Role.ACCOUNT_MANAGER)
def agreement_sign(version_id: int) -> Any:
    """Sign a proposal the customer accepted: it comes in force on its start date."""
    sess, user = db.session(), _user()
    version = _visible(version_id)
    try:
        cycle.require_sign(sess, user, version, _settings_sign())
        cycle.sign(sess, user, version)
    except ApiError as exc:
        return _refused(exc, version)
    return _back(version, _("The agreement was signed."))


def _place_validation(form: EditForm, version: AgreementVersion, exc: ApiError) -> None:
    """`operations.update_version`'s field errors on the edit form's fields."""
    fields = (exc.details or {}).get("fields") or {}
    lines = list(version.services)
    placed = False
    for key, messages in fields.items() if isinstance(fields, dict) else []:
        parts = key.split(".")
        target = None
        if len(parts) == 3 and parts[0] == "services" and parts[1].isdigit():
            i = int(parts[1])
            if i < len(lines):
                starts, price = form.line_fields(lines[i].id)
                target = starts if parts[2] == "starts_on" else price
        elif key in ("notes", "renewal_deadline"):
            target = form[key]
        words = [
            str(_CHECK_MESSAGES.get(str(m), _l("This value is not accepted."))) for m in messages
        ]
        if target is not None:
            target.errors = [*list(target.errors or []), *words]
            placed = True
    if not placed:
        form.form_errors.append(_("The agreement is not valid with these changes."))


@bp.post("/desk/agreements/<int:version_id>/edit")
@roles_required(Role.ADMIN, Role.ACCOUNT_MANAGER)
def agreement_edit(version_id: int) -> Any:
    """Change a draft's or proposal's prices, start dates, notes and renewal deadline; a
    changed proposal needs the customer's acceptance again."""
    sess, user = db.session(), _user()
    version = _visible(version_id)
    try:
        cycle.require_edit(sess, user, version)
        if version.state not in OPEN_STATES:
            raise ApiError("", code="wrong_state", status=409)
    except ApiError as exc:
        return _refused(exc, version)
    form = edit_form_for(version, _names(sess, version), prefix="edit")
    if not form.validate():
        return render_version(version, form, 422)
    changes: dict[str, Any] = {}
    lines = []
    lines_changed = False
    for line in version.services:
        starts, price = form.line_fields(line.id)
        if starts.data < version.valid_from:
            starts.errors = [*starts.errors, _("A service cannot start before the agreement.")]
        lines_changed |= starts.data != line.starts_on or price.data != line.price
        lines.append(
            {
                "service_id": line.service_id,
                "starts_on": starts.data,
                "price_model": line.price_model,
                "price": price.data,
            }
        )
    if any(f.errors for f in form):
        return render_version(version, form, 422)
    if lines_changed:
        changes["services"] = lines
    notes = form.notes.data or ""
    if notes != version.notes:
        changes["notes"] = notes
    if form.renewal_deadline.data != version.renewal_deadline:
        changes["renewal_deadline"] = form.renewal_deadline.data
    if not changes:
        flash(_("Nothing was changed."), "warning")
        return redirect(url_for("web.agreement", version_id=version.id), code=303)
    try:
        operations.update_version(sess, version, changes)
    except ApiError as exc:
        db.session().rollback()
        if exc.status == 422:
            version = _visible(version_id)
            form = edit_form_for(version, _names(sess, version), prefix="edit")
            form.validate()
            _place_validation(form, version, exc)
            return render_version(version, form, 422)
        return _refused(exc, version)
    cycle.edited(sess, user, version, list(changes))
    sess.flush()
    return _back(version, _("The changes were saved."))


# --- the portal ---------------------------------------------------------------------------


@dataclass
class Proposal:
    """A proposal as its customer reads it: the version, and what it changes."""

    version: AgreementVersion
    lines: list[LineView]
    promises: list[dict[str, Any]]
    line_changes: list[dict[str, Any]]
    promise_changes: list[dict[str, Any]]
    accepted_by: str


def _line_terms(version: AgreementVersion, carried_to: date | None = None) -> list[LineTerms]:
    """The version's lines; with `carried_to`, a service already started starts on that day
    (a renewal moves every start to the new period: not a change worth telling)."""
    return [
        LineTerms(
            s.service_id,
            max(s.starts_on, carried_to) if carried_to else s.starts_on,
            s.price_model,
            s.price,
        )
        for s in version.services
    ]


def _promise_terms(version: AgreementVersion) -> list[PromiseTerms]:
    return [
        PromiseTerms(
            p.service_id,
            p.family,
            p.priority,
            p.ticket_type,
            p.response_minutes,
            p.resolution_minutes,
            p.update_minutes,
            p.calendar_id,
            p.compliance_percent,
        )
        for p in version.promises
    ]


def _line_change_row(change: Change[LineTerms], names: dict[int, str]) -> dict[str, Any]:
    either = change.new or change.old
    assert either is not None
    return {
        "kind": change.kind,
        "service": names.get(either.service_id, str(either.service_id)),
        "old": price_words(change.old.price_model, change.old.price) if change.old else "",
        "new": price_words(change.new.price_model, change.new.price) if change.new else "",
        "old_start": date_words(change.old.starts_on) if change.old else "",
        "new_start": date_words(change.new.starts_on) if change.new else "",
        "start_moved": "starts_on" in change.fields,
    }


def _promise_change_row(
    change: Change[PromiseTerms], names: dict[int, str], calendars: dict[int, str]
) -> dict[str, Any]:
    either = change.new or change.old
    assert either is not None
    old = promise_rows([change.old], names, calendars)[0] if change.old else None
    new = promise_rows([change.new], names, calendars)[0] if change.new else None
    return {
        "kind": change.kind,
        "scope": scope_words(either, names),
        "priority": label(PRIORITY_LABELS, either.priority),
        "old": old,
        "new": new,
    }


CHANGE_LABELS = {
    "added": _l("new"),
    "removed": _l("dropped"),
    "changed": _l("changed"),
}


def _own_organisation() -> Organisation:
    """The customer contact's organisation; an end user gets 404 (as `/portal/report`)."""
    user = _user()
    if user.role_enum is not Role.CUSTOMER_CONTACT or user.organisation_id is None:
        abort(404)
    org = db.session().get(Organisation, user.organisation_id)
    if org is None:
        abort(404)
    return org


def _open_proposal(sess: Session, org_id: int) -> AgreementVersion | None:
    """The proposal the customer is asked to accept (drafts are the centre's own)."""
    return sess.scalar(
        select(AgreementVersion)
        .where(AgreementVersion.organisation_id == org_id, AgreementVersion.state == "proposed")
        .order_by(AgreementVersion.valid_from, AgreementVersion.id)
        .limit(1)
    )


def _plan(current: list[LineView], proposal: Proposal | None, today: date) -> list[LineView]:
    """The services not started yet, with their milestones: the version in force's, then the
    proposal's that start after its first day (or have a plan), each service once."""
    plan = [v for v in current if v.line.starts_on > today]
    if proposal is not None:
        first = max(proposal.version.valid_from, today)
        seen = {v.line.service_id for v in plan}
        plan += [
            v
            for v in proposal.lines
            if v.line.service_id not in seen and (v.line.starts_on > first or v.milestones)
        ]
    return plan


@bp.get("/portal/agreement")
@portal_required
def portal_agreement() -> Any:
    """The organisation's agreement in force, the proposal with what it changes, and the
    transition plan."""
    sess = db.session()
    org = _own_organisation()
    today = _today()
    calendars = _calendars(sess)
    current = in_force_on(sess, org.id, today)
    names: dict[int, str] = {}
    current_lines: list[LineView] = []
    if current is not None:
        names.update(_names(sess, current))
        current_lines = line_views(sess, current, today)
    proposal = None
    version = _open_proposal(sess, org.id)
    if version is not None:
        names.update(_names(sess, version))
        lines = line_views(sess, version, today)
        old_lines = _line_terms(current, version.valid_from) if current else []
        old_promises = _promise_terms(current) if current else []
        proposal = Proposal(
            version,
            lines,
            promise_rows(version.promises, names, calendars),
            [_line_change_row(c, names) for c in line_changes(old_lines, _line_terms(version))],
            [
                _promise_change_row(c, names, calendars)
                for c in promise_changes(old_promises, _promise_terms(version))
            ],
            _people(sess, {version.accepted_by_id}).get(version.accepted_by_id or 0, ""),
        )
    signed_next = None
    if current is not None:
        after = successor_of(sess, current)
        signed_next = after if after is not None and after.state == "signed" else None
    plan = _plan(current_lines, proposal, today)
    return render_template(
        "web/portal_agreement.html",
        org=org,
        current=current,
        current_lines=current_lines,
        current_promises=promise_rows(current.promises, names, calendars) if current else [],
        proposal=proposal,
        signed_next=signed_next,
        plan=plan,
        period_words=period_words,
        invoicing=lambda v: label(INVOICING_LABELS, v.invoicing_period),
        change_label=lambda k: label(CHANGE_LABELS, k),
        lapse=cycle.lapse(sess, current, today) if current else None,
        lapse_words=lapse_words,
    )


@bp.post("/portal/agreement/<int:version_id>/accept")
@portal_required
def portal_agreement_accept(version_id: int) -> Any:
    """The customer contact accepts the proposal on the organisation's behalf."""
    sess, user = db.session(), _user()
    org = _own_organisation()
    version = sess.get(AgreementVersion, version_id)
    # Another organisation's version, or one not proposed to the customer: no such thing.
    if version is None or version.organisation_id != org.id or version.state in ("draft",):
        raise NotFound(_("No such agreement."))
    try:
        cycle.require_accept(user, version)
        cycle.accept(sess, user, version)
    except ApiError as exc:
        sess.rollback()
        if exc.status == 403:
            abort(403, description=refusal_text(exc))
        flash(refusal_text(exc), "error")
        return redirect(url_for("web.portal_agreement"), code=303)
    flash(_("Thank you: the proposal is accepted. The centre signs it next."))
    return redirect(url_for("web.portal_agreement"), code=303)


# --- navigation ---------------------------------------------------------------------------


def agreement_links(user: User) -> list[dict[str, Any]]:
    """The header's agreement link: the desk's list for admins and account managers, the
    portal page for customer contacts."""
    role = user.role_enum
    if role in (Role.ADMIN, Role.ACCOUNT_MANAGER):
        endpoint, text = "web.agreements", _("Agreements")
        prefix = "web.agreement"
    elif role is Role.CUSTOMER_CONTACT:
        endpoint, text = "web.portal_agreement", _("Agreement")
        prefix = "web.portal_agreement"
    else:
        return []
    current = request.endpoint or ""
    return [
        {
            "label": text,
            "url": url_for(endpoint),
            "count": None,
            "active": current.startswith(prefix),
        }
    ]
