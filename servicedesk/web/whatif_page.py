"""The what-if page: an agreement version (a draft or a proposal, before signing) replayed
over its organisation's last months of tickets, beside what really happened (issue 13).

`/desk/agreements/<version_id>/what-if?months=12`: for admins and the organisation's account
managers (`reportable_organisation`, the API's rule: a version of another organisation is a
404); desk agents get 403, as from the API. The figures are the API's, from the same call
(`whatif_queries.what_if`); this module only puts them in the reader's words: compliance per
promise line (actual vs what-if), the tickets whose outcome would change, and the charges of
the version's prices for the same volumes beside the real ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import render_template, request
from flask_babel import format_currency, format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from catalog.agreements.models import AgreementVersion
from catalog.agreements.queries import local_date
from catalog.agreements.whatif import Change, LineComparison, WhatIf
from catalog.agreements.whatif_queries import what_if
from catalog.organisations.models import Organisation
from catalog.services.models import Service
from servicedesk import db
from servicedesk.charges.statement import Statement, StatementLine
from servicedesk.enums import Role
from servicedesk.errors import NotFound
from servicedesk.reports.api import reportable_organisation
from servicedesk.reports.compliance import Tally, passed
from servicedesk.web.blueprint import bp
from servicedesk.web.i18n import DEFAULT_LOCALE, business_minutes_words
from servicedesk.web.labels import CLOCK_KIND_LABELS, PRIORITY_LABELS, TYPE_LABELS, label
from servicedesk.web.public_page import FAMILY_LABELS, PRICE_MODEL_LABELS
from servicedesk.web.session import roles_required

#: The months the selector offers; any whole number from 1 to 24 is read from the URL.
MONTH_CHOICES = (1, 3, 6, 12, 18, 24)
DEFAULT_MONTHS = 12
MAX_MONTHS = 24
#: The changed outcomes listed on the page; the API lists them all.
MAX_CHANGES_SHOWN = 200

STATE_LABELS = {
    "draft": _l("draft"),
    "proposed": _l("proposed"),
    "signed": _l("signed"),
    "superseded": _l("superseded"),
}
#: What a clock came to (`catalog.agreements.whatif.OUTCOMES`).
OUTCOME_LABELS = {
    "met": _l("met"),
    "breached": _l("breached"),
    "open": _l("still open"),
    "cancelled": _l("cancelled"),
    "no_promise": _l("no promise"),
}


class MonthsError(ValueError):
    """A `months` the page cannot use."""


def picked_months(args: Mapping[str, str]) -> int:
    """The window's length from the query (default 12); raises `MonthsError` unless it is a
    whole number from 1 to 24 (the API's range)."""
    raw = args.get("months", "").strip()
    if not raw:
        return DEFAULT_MONTHS
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_MONTHS:
        raise MonthsError(raw)
    return int(raw)


# --- the view: the comparison in words ------------------------------------------------------


@dataclass(frozen=True)
class LineRow:
    line: str
    kind: str
    target: str
    compliance_target: str
    actual: Tally
    actual_percent: str
    actual_verdict: str
    replayed: Tally
    replayed_percent: str
    replayed_verdict: str
    #: Replayed minus actual compliance in percentage points, with its unit ("" when either
    #: has no clocks).
    difference: str


@dataclass(frozen=True)
class ChangeRow:
    ticket_id: int
    number: str
    title: str
    kind: str
    actual: str
    replayed: str
    #: "better", "worse" or "other": a word is shown with it, never a colour alone.
    direction: str


@dataclass(frozen=True)
class ChargeRow:
    service: str
    price_model: str
    actual_quantity: str
    actual_price: str
    actual_amount: str
    replayed_quantity: str
    replayed_price: str
    replayed_amount: str
    difference: str


def _percent(value: Decimal | None) -> str:
    return "" if value is None else format_decimal(value, "#,##0.00") + "\N{NO-BREAK SPACE}%"


def _money(value: Decimal) -> str:
    return format_currency(value, "EUR")


def _signed(value: Decimal, text: str) -> str:
    return f"+{text}" if value > 0 else text


def _verdict(tally: Tally, target: Decimal | None) -> str:
    verdict = passed(tally, target)
    if verdict is None:
        return ""
    return _("meets the target") if verdict else _("misses the target")


def _service_words(service: Any) -> str:
    locale = str(get_locale() or DEFAULT_LOCALE)
    return f"{service.code} {getattr(service, f'name_{locale}', service.name_fi)}"


def _line_words(row: LineComparison, services: Mapping[int, Any]) -> str:
    line = row.line
    if line is None:
        return _("Tickets this version promises nothing for")
    if line.service_id is not None:
        found = services.get(line.service_id)
        where = _service_words(found) if found else str(line.service_id)
    elif line.family is not None:
        where = str(label(FAMILY_LABELS, line.family))
    else:
        where = _("agreement default")
    words = f"{where}, {label(PRIORITY_LABELS, line.priority)}"
    if line.ticket_type:
        words += f" ({label(TYPE_LABELS, line.ticket_type)})"
    return words


def line_rows(result: WhatIf, services: Mapping[int, Any]) -> list[LineRow]:
    rows = []
    for row in result.lines:
        line = row.line
        target = None if line is None else Decimal(line.compliance_percent)
        minutes = (
            None
            if line is None
            else line.response_minutes
            if row.kind == "response"
            else line.resolution_minutes
        )
        before, after = row.actual.percent, row.replayed.percent
        difference = ""
        if before is not None and after is not None:
            points = after - before
            difference = _(
                "%(points)s pp", points=_signed(points, format_decimal(points, "#,##0.00"))
            )
        rows.append(
            LineRow(
                line=_line_words(row, services),
                kind=str(label(CLOCK_KIND_LABELS, row.kind)),
                target=business_minutes_words(minutes) if minutes is not None else "",
                compliance_target=_percent(target),
                actual=row.actual,
                actual_percent=_percent(before),
                actual_verdict=_verdict(row.actual, target),
                replayed=row.replayed,
                replayed_percent=_percent(after),
                replayed_verdict=_verdict(row.replayed, target),
                difference=difference,
            )
        )
    return rows


def _direction(change: Change) -> str:
    if change.replayed == "breached" or change.actual == "met":
        return "worse"
    if change.replayed == "met" or change.actual == "breached":
        return "better"
    return "other"


def change_rows(changes: Iterable[Change]) -> list[ChangeRow]:
    return [
        ChangeRow(
            c.ticket_id,
            c.number,
            c.title,
            str(label(CLOCK_KIND_LABELS, c.kind)),
            str(label(OUTCOME_LABELS, c.actual)),
            str(label(OUTCOME_LABELS, c.replayed)),
            _direction(c),
        )
        for c in changes
    ]


def _prices(lines: list[StatementLine]) -> str:
    prices = sorted({line.unit_price for line in lines})
    return " / ".join(_money(p) for p in prices)


def _quantity(lines: list[StatementLine]) -> str:
    return format_decimal(sum((line.quantity for line in lines), Decimal(0)), "#,##0.####")


def charge_rows(
    actual: Statement, replayed: Statement, services: Mapping[int, Any]
) -> list[ChargeRow]:
    """The two statements side by side, one row per service and price model (the versions
    in force over the window may be several: their lines are added up)."""
    keys: list[tuple[int, str]] = []
    by_key: dict[tuple[int, str], tuple[list[StatementLine], list[StatementLine]]] = {}
    for side, statement in enumerate((actual, replayed)):
        for line in statement.lines:
            key = (line.service_id, line.price_model)
            if key not in by_key:
                keys.append(key)
                by_key[key] = ([], [])
            by_key[key][side].append(line)
    rows = []
    for key in keys:
        real, proposed = by_key[key]
        real_amount = sum((line.amount for line in real), Decimal("0.00"))
        proposed_amount = sum((line.amount for line in proposed), Decimal("0.00"))
        service = services.get(key[0])
        difference = proposed_amount - real_amount
        rows.append(
            ChargeRow(
                service=_service_words(service) if service else str(key[0]),
                price_model=str(label(PRICE_MODEL_LABELS, key[1])),
                actual_quantity=_quantity(real) if real else "",
                actual_price=_prices(real),
                actual_amount=_money(real_amount) if real else "",
                replayed_quantity=_quantity(proposed) if proposed else "",
                replayed_price=_prices(proposed),
                replayed_amount=_money(proposed_amount) if proposed else "",
                difference=_signed(difference, _money(difference)),
            )
        )
    return rows


# --- the page -------------------------------------------------------------------------------


def _version_and_organisation(version_id: int) -> tuple[AgreementVersion, Organisation]:
    """The version, if the reader may see its organisation; else 404 (desk agents never get
    here: `roles_required` answers them 403, as the API does)."""
    version = db.session().get(AgreementVersion, version_id)
    missing = NotFound(_("No agreement version %(id)s.", id=version_id))
    if version is None:
        raise missing
    try:
        org = reportable_organisation(current_user, version.organisation_id)
    except NotFound:
        raise missing from None
    return version, org


def _services(result: WhatIf) -> dict[int, Any]:
    ids = {row.line.service_id for row in result.lines if row.line and row.line.service_id}
    ids |= {
        line.service_id
        for s in (result.actual_charges, result.replayed_charges)
        for line in s.lines
    }
    if not ids:
        return {}
    return {s.id: s for s in db.session().scalars(select(Service).where(Service.id.in_(ids)))}


@bp.get("/desk/agreements/<int:version_id>/what-if")
@roles_required(Role.ADMIN, Role.ACCOUNT_MANAGER)
def agreement_what_if(version_id: int) -> Any:
    """The what-if of an agreement version over the last `months` months."""
    version, org = _version_and_organisation(version_id)
    context: dict[str, Any] = {
        "version": version,
        "org": org,
        "state": label(STATE_LABELS, version.state),
        "month_options": MONTH_CHOICES,
    }
    try:
        months = picked_months(request.args)
    except MonthsError:
        context.update(
            months=DEFAULT_MONTHS,
            problem=_("Choose how many months to replay: a whole number from 1 to 24."),
            result=None,
        )
        return render_template("web/agreement_whatif.html", **context), 422
    now = db.utcnow()
    period, result = what_if(db.session(), version, local_date(now), months, now)
    services = _services(result)
    changed_tickets = len({c.ticket_id for c in result.changes})
    difference = result.charges_difference
    context.update(
        months=months,
        month_options=sorted({*MONTH_CHOICES, months}),
        problem=None,
        result=result,
        period=period,
        lines=line_rows(result, services),
        changes=change_rows(result.changes[:MAX_CHANGES_SHOWN]),
        changes_total=len(result.changes),
        changes_shown=min(len(result.changes), MAX_CHANGES_SHOWN),
        changed_tickets=changed_tickets,
        worse=sum(1 for c in result.changes if _direction(c) == "worse"),
        better=sum(1 for c in result.changes if _direction(c) == "better"),
        charges=charge_rows(result.actual_charges, result.replayed_charges, services),
        actual_total=_money(result.actual_charges.total),
        replayed_total=_money(result.replayed_charges.total),
        difference=_signed(difference, _money(difference)),
    )
    return render_template("web/agreement_whatif.html", **context)
