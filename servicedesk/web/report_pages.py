"""The service-level report pages and their downloads (CSV, XLSX, PDF).

- `/desk/reports`: admins and account managers pick a period and an organisation they may
  report on (admins all, account managers their customers).
- `/desk/reports/organisations/<id>`: the report; `/portal/report`: a customer contact's own
  organisation's report (no supplier section); `/desk/reports/contracts[/<id>]`: supplier
  compliance of underpinning contracts (supplier agents their own only).

Who sees what is the API's rule (`reportable_organisation`, `reportable_contract`): a foreign
organisation or contract is a 404, a desk agent gets 403. The page, the files and the API
show the same figures: every format renders the one view model (`servicedesk.reports.view`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from catalog.organisations.models import Organisation
from catalog.suppliers.models import Supplier, UnderpinningContract
from servicedesk import access, db
from servicedesk.enums import CUSTOMER_ROLES, Role
from servicedesk.errors import ApiError
from servicedesk.pagination import encode_cursor
from servicedesk.reports import exports, periods
from servicedesk.reports.api import breaches_after, reportable_contract, reportable_organisation
from servicedesk.reports.report import build, build_contract
from servicedesk.reports.view import (
    ReportView,
    build_view,
    contract_table,
    contract_view,
    period_words,
    show,
    view_charts,
)
from servicedesk.web.blueprint import bp
from servicedesk.web.i18n import DEFAULT_LOCALE
from servicedesk.web.session import login_manager, portal_required, roles_required

F = TypeVar("F", bound=Callable[..., Any])
PICKS = ("month", "quarter", "year", "range")


def _locale() -> str:
    return str(get_locale() or DEFAULT_LOCALE)


def reader_required(view: F) -> F:
    """Logged in; the customers' people have their own report in the portal (404 here)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role_enum in CUSTOMER_ROLES:
            abort(404)
        return view(*args, **kwargs)

    return cast(F, wrapper)


# --- the period picker --------------------------------------------------------------------


def default_period(now: datetime) -> periods.Period:
    """This month so far, in Helsinki time."""
    local = now.astimezone(periods.HELSINKI)
    return periods.month(local.year, local.month)


def picked_period(args: Any, now: datetime) -> periods.Period:
    """The period the query asks for: `period=`, `from`+`to`, or the picker's fields
    (`pick=month|quarter|year|range`); this month when it asks for none.
    Raises `periods.PeriodError` for one that cannot be read."""
    if args.get("period"):
        return periods.parse(args["period"])
    pick = args.get("pick")
    if pick == "month" or (pick is None and args.get("month")):
        return periods.parse(args.get("month", ""))
    if pick == "quarter":
        return periods.parse(args.get("quarter", ""))
    if pick == "year":
        return periods.parse(args.get("year", ""))
    if pick == "range" or args.get("from") or args.get("to"):
        return periods.parse(f"{args.get('from', '')}..{args.get('to', '')}")
    if pick is not None and pick not in PICKS:
        raise periods.PeriodError(f"{pick!r} is not a kind of period.")
    return default_period(now)


def picker_choices(now: datetime) -> dict[str, Any]:
    """The picker's options: the last eight quarters and five years."""
    local = now.astimezone(periods.HELSINKI)
    q = (local.month - 1) // 3 + 1
    quarters = []
    year = local.year
    for _i in range(8):
        quarters.append(f"{year}-Q{q}")
        q -= 1
        if q == 0:
            q, year = 4, year - 1
    return {"quarters": quarters, "years": [str(local.year - i) for i in range(5)]}


def picker_state(args: Any, period: periods.Period | None) -> dict[str, str]:
    """What the picker shows as chosen: the query's own fields, else the period's."""
    label = period.label if period else ""
    state = {
        "pick": args.get("pick", ""),
        "month": args.get("month", ""),
        "quarter": args.get("quarter", ""),
        "year": args.get("year", ""),
        "from": args.get("from", ""),
        "to": args.get("to", ""),
    }
    if period and not state["pick"]:
        if "Q" in label:
            state.update(pick="quarter", quarter=label)
        elif len(label) == 7:
            state.update(pick="month", month=label)
        elif len(label) == 4:
            state.update(pick="year", year=label)
        else:
            state.update(pick="range", **{"from": period.first.isoformat()})
            state["to"] = period.last.isoformat()
    return state


def bad_period_text() -> str:
    return _(
        "That period cannot be read. Choose a month (2026-11), a quarter (2026-Q4), a year "
        "(2026) or a range of days whose end is not before its start (at most three years)."
    )


def _now() -> datetime:
    return db.utcnow().astimezone(UTC)


# --- the organisation's report --------------------------------------------------------------


#: Breaches listed on a page (the exports list every one).
BREACHES_PER_PAGE = 100


def _view_of(
    org: Organisation,
    period: periods.Period,
    staff: bool,
    *,
    paged: bool = False,
) -> tuple[ReportView, str | None]:
    """The report's view; `paged`: one page of breaches, from the `breaches` query argument
    (a cursor this page gave out; one it did not starts from the first), and the next
    page's cursor."""
    locale = _locale()
    after = None
    if paged and request.args.get("breaches"):
        try:
            after = breaches_after(request.args["breaches"])
        except ApiError:
            after = None
    report = build(
        db.session(),
        org.id,
        period,
        _now(),
        with_suppliers=staff,
        breaches_limit=BREACHES_PER_PAGE if paged else None,
        breaches_after=after,
    )
    following = encode_cursor(report.breaches_next) if report.breaches_next else None
    return build_view(report, exports.organisation_name(org, locale), locale), following


def _render_report(
    org: Organisation, *, portal: bool, export_endpoint: str, page_endpoint: str, **url_kw: Any
) -> Any:
    now = _now()
    try:
        period = picked_period(request.args, now)
    except periods.PeriodError:
        return _page(
            "web/report.html",
            422,
            org=org,
            view=None,
            problem=bad_period_text(),
            portal=portal,
            picker=picker_state(request.args, None),
            choices=picker_choices(now),
            page_url=url_for(page_endpoint, **url_kw),
        )
    staff = not portal and access.can_see_internal(current_user)
    view, following = _view_of(org, period, staff, paged=True)
    # The period as picked, the path's own arguments over any of the same name.
    picked = {k: v for k, v in request.args.to_dict().items() if k != "breaches"}
    more_breaches = first_breaches = None
    if following:
        params = {**picked, **url_kw, "breaches": following}
        more_breaches = url_for(page_endpoint, **params) + "#table-breaches"
    if request.args.get("breaches"):
        first_breaches = url_for(page_endpoint, **{**picked, **url_kw}) + "#table-breaches"
    exports_urls = {
        fmt: url_for(export_endpoint, fmt=fmt, period=period.label, **url_kw)
        for fmt in exports.FORMATS
    }
    return _page(
        "web/report.html",
        200,
        org=org,
        view=view,
        charts=view_charts(view),
        problem=None,
        portal=portal,
        exports=exports_urls,
        picker=picker_state(request.args, period),
        choices=picker_choices(now),
        page_url=url_for(page_endpoint, **url_kw),
        more_breaches=more_breaches,
        first_breaches=first_breaches,
        ticket_url=lambda ticket_id: url_for(
            "web.portal_ticket" if portal else "web.ticket", ticket_id=ticket_id
        ),
    )


def _page(template: str, status: int, **context: Any) -> Any:
    locale = _locale()

    def cell(value: Any, kind: Any) -> str:
        words = context["view"].words if context.get("view") else {}
        return show(value, kind, locale, words)

    return render_template(
        template,
        cell=cell,
        is_number=lambda kind: kind in ("int", "percent", "decimal", "duration"),
        **context,
    ), status


def _download(org: Organisation, fmt: str, *, staff: bool) -> Any:
    if fmt not in exports.FORMATS:
        abort(404)
    try:
        period = picked_period(request.args, _now())
    except periods.PeriodError:
        abort(422, description=bad_period_text())
    return _file(_view_of(org, period, staff)[0], str(org.id), fmt)


def _file(view: ReportView, code: str, fmt: str) -> Response:
    """A download: never cached, never shown in place, never sniffed."""
    render = {"csv": exports.to_csv, "xlsx": exports.to_xlsx, "pdf": exports.to_pdf}[fmt]
    name = exports.file_name(view, code, fmt)
    return Response(
        render(view),
        headers={
            "Content-Type": exports.CONTENT_TYPES[fmt],
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@bp.get("/desk/reports/organisations/<int:organisation_id>")
@reader_required
def report_organisation(organisation_id: int) -> Any:
    """An organisation's service-level report for a period."""
    org = reportable_organisation(current_user, organisation_id)
    return _render_report(
        org,
        portal=False,
        export_endpoint="web.report_organisation_export",
        page_endpoint="web.report_organisation",
        organisation_id=org.id,
    )


@bp.get("/desk/reports/organisations/<int:organisation_id>/export.<fmt>")
@reader_required
def report_organisation_export(organisation_id: int, fmt: str) -> Any:
    org = reportable_organisation(current_user, organisation_id)
    return _download(org, fmt, staff=access.can_see_internal(current_user))


def _own_organisation() -> Organisation:
    """The customer contact's organisation; any other person of a customer gets 404."""
    if current_user.role_enum is not Role.CUSTOMER_CONTACT:
        abort(404)
    return reportable_organisation(current_user, current_user.organisation_id)


@bp.get("/portal/report")
@portal_required
def portal_report() -> Any:
    """A customer contact's own organisation's report (no supplier section)."""
    org = _own_organisation()
    return _render_report(
        org,
        portal=True,
        export_endpoint="web.portal_report_export",
        page_endpoint="web.portal_report",
    )


@bp.get("/portal/report/export.<fmt>")
@portal_required
def portal_report_export(fmt: str) -> Any:
    return _download(_own_organisation(), fmt, staff=False)


# --- the list of organisations --------------------------------------------------------------


@bp.get("/desk/reports")
@roles_required(Role.ADMIN, Role.ACCOUNT_MANAGER)
def reports() -> Any:
    """The organisations the reader may report on, with the period picker."""
    now = _now()
    stmt = select(Organisation).order_by(Organisation.name, Organisation.id)
    if current_user.role_enum is Role.ACCOUNT_MANAGER:
        stmt = stmt.where(Organisation.id.in_(access.managed_organisation_ids(current_user)))
    orgs = list(db.session().scalars(stmt))
    problem, period = None, None
    try:
        period = picked_period(request.args, now)
    except periods.PeriodError:
        problem = bad_period_text()
    status = 422 if problem else 200
    return render_template(
        "web/report_list.html",
        organisations=orgs,
        period=period,
        problem=problem,
        picker=picker_state(request.args, period),
        choices=picker_choices(now),
        page_url=url_for("web.reports"),
        contracts_url=url_for("web.report_contracts"),
    ), status


# --- supplier compliance of contracts ------------------------------------------------------------


def _contracts_of(user: Any) -> list[Any]:
    stmt = (
        select(UnderpinningContract.id, UnderpinningContract.name, Supplier.name)
        .join(Supplier, Supplier.id == UnderpinningContract.supplier_id)
        .order_by(Supplier.name, UnderpinningContract.name, UnderpinningContract.id)
    )
    if user.role_enum is Role.SUPPLIER_AGENT:
        stmt = stmt.where(UnderpinningContract.supplier_id == user.supplier_id)
    return list(db.session().execute(stmt))


@bp.get("/desk/reports/contracts")
@roles_required(Role.ADMIN, Role.ACCOUNT_MANAGER, Role.SUPPLIER_AGENT)
def report_contracts() -> Any:
    """The contracts whose supplier compliance the reader may see; a supplier agent with one
    contract goes straight to it."""
    rows = _contracts_of(current_user)
    keep = {k: v for k, v in request.args.items() if k in ("period", "from", "to")}
    if len(rows) == 1 and current_user.role_enum is Role.SUPPLIER_AGENT:
        return redirect(url_for("web.report_contract", contract_id=rows[0][0], **keep), 303)
    return render_template("web/report_contracts.html", contracts=rows, query=keep)


@bp.get("/desk/reports/contracts/<int:contract_id>")
@reader_required
def report_contract(contract_id: int) -> Any:
    """An underpinning contract's supplier compliance for a period, across every customer."""
    contract = reportable_contract(current_user, contract_id)
    now = _now()
    context: dict[str, Any] = {
        "contract": contract,
        "picker": picker_state(request.args, None),
        "choices": picker_choices(now),
        "page_url": url_for("web.report_contract", contract_id=contract.id),
        "table": None,
        "problem": None,
        "period_words": "",
    }
    try:
        period = picked_period(request.args, now)
    except periods.PeriodError:
        context["problem"] = bad_period_text()
        return _page("web/report_contract.html", 422, **context)
    locale = _locale()
    rows = build_contract(db.session(), contract, period, now)
    context.update(
        table=contract_table(rows, locale),
        picker=picker_state(request.args, period),
        period_words=period_words(period, locale),
        exports={
            fmt: url_for(
                "web.report_contract_export", contract_id=contract.id, fmt=fmt, period=period.label
            )
            for fmt in exports.FORMATS
        },
    )
    return _page("web/report_contract.html", 200, **context)


@bp.get("/desk/reports/contracts/<int:contract_id>/export.<fmt>")
@reader_required
def report_contract_export(contract_id: int, fmt: str) -> Any:
    """A contract's supplier compliance as CSV, XLSX or PDF."""
    contract = reportable_contract(current_user, contract_id)
    if fmt not in exports.FORMATS:
        abort(404)
    now = _now()
    try:
        period = picked_period(request.args, now)
    except periods.PeriodError:
        abort(422, description=bad_period_text())
    rows = build_contract(db.session(), contract, period, now)
    view = contract_view(contract, rows, period, now, _locale())
    return _file(view, f"sopimus-{contract.id}", fmt)


def report_links(user: Any) -> list[dict[str, Any]]:
    """The header's report link for the roles that read reports."""
    role = user.role_enum
    if role in (Role.ADMIN, Role.ACCOUNT_MANAGER):
        endpoint, text = "web.reports", _("Reports")
    elif role is Role.SUPPLIER_AGENT:
        endpoint, text = "web.report_contracts", _("Contract compliance")
    elif role is Role.CUSTOMER_CONTACT:
        endpoint, text = "web.portal_report", _("Service-level report")
    else:
        return []
    current = request.endpoint or ""
    active = current == endpoint or (
        endpoint != "web.portal_report" and current.startswith("web.report")
    )
    return [{"label": text, "url": url_for(endpoint), "count": None, "active": active}]
