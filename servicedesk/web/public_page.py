"""`/palvelutaso`: the public service-level page, for residents and council members, with no
login. The same figures as `GET /api/v1/public/service-level` (`servicedesk.public.report`):
the catalogue with its price list, then per service family a chart and a table of months.
No organisation, person or ticket text is on it, and small cells say "fewer than 5"."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask import render_template
from flask_babel import format_currency, format_date, format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from servicedesk import db
from servicedesk.public.api import cache_seconds
from servicedesk.public.catalogue import CatalogueEntry, Price
from servicedesk.public.report import FamilyFigures, PublicServiceLevel, kept_build
from servicedesk.public.suppress import MIN_COUNT, ComplianceCell
from servicedesk.reports.charts import TrendPoint, data_uri, trend_svg
from servicedesk.web.blueprint import bp
from servicedesk.web.i18n import DEFAULT_LOCALE

FAMILY_LABELS = {
    "expert": _l("Expert services"),
    "application": _l("Application services"),
    "infrastructure": _l("Infrastructure services"),
    "": _l("Tickets without a service"),
}
SUBFAMILY_LABELS = {
    "sector": _l("sector applications"),
    "enabling": _l("enabling applications"),
    "user": _l("user services"),
    "capacity": _l("capacity services"),
    "network": _l("network services"),
    "office": _l("office services"),
}
PRICE_MODEL_LABELS = {
    "per_ticket": _l("per ticket"),
    "per_user_month": _l("per user per month"),
    "fixed_month": _l("fixed per month"),
    "per_expert_hour": _l("per expert hour"),
}


@dataclass(frozen=True)
class ServiceRow:
    code: str
    name: str
    family: str
    subfamily: str
    provider: str
    prices: list[str]


@dataclass(frozen=True)
class MonthRow:
    label: str
    #: For narrow screens: "loka 2026".
    short_label: str
    partial: bool
    received: str | None
    response: ComplianceCell
    resolution: ComplianceCell


@dataclass(frozen=True)
class FamilySection:
    key: str
    label: str
    chart_uri: str
    chart_alt: str
    rows: list[MonthRow]


def _locale() -> str:
    return str(get_locale() or DEFAULT_LOCALE)


def percent_text(value: Decimal | None) -> str:
    """A compliance share in the reader's notation: 86,7 % (fi, sv), 86.7 % (en)."""
    if value is None:
        return ""
    return format_decimal(value, format="#,##0.0") + "\N{NO-BREAK SPACE}%"


def _price_text(price: Price) -> str:
    low = format_currency(price.low, "EUR")
    shown = low if price.uniform else f"{low}\N{EN DASH}{format_currency(price.high, 'EUR')}"
    return f"{shown} {PRICE_MODEL_LABELS.get(price.price_model, price.price_model)}"


def _service_row(entry: CatalogueEntry, locale: str) -> ServiceRow:
    return ServiceRow(
        entry.code,
        entry.name(locale),
        str(FAMILY_LABELS.get(entry.family, entry.family)),
        str(SUBFAMILY_LABELS.get(entry.subfamily or "", "")),
        entry.provider,
        [_price_text(p) for p in entry.prices],
    )


def _month_label(label: str, fmt: str) -> str:
    return format_date(date(int(label[:4]), int(label[5:]), 1), fmt)


def _section(family: FamilyFigures) -> FamilySection:
    name = str(FAMILY_LABELS.get(family.family, family.family))
    title = _("%(family)s: resolution promises kept, and tickets received", family=name)
    points = [
        TrendPoint(
            _month_label(m.month, "LLL yyyy"), m.resolution.compliance_percent, m.received or 0
        )
        for m in family.months
    ]
    svg = trend_svg(
        points,
        title=title,
        percent_label=_("Resolution promises kept"),
        volume_label=_("Tickets received"),
    )
    alt = _(
        "%(title)s, month by month. The line is the share of resolution promises kept, the "
        "bars the tickets received; months with fewer than %(min)d have no point or bar. The "
        "same figures are in the table below.",
        title=title,
        min=MIN_COUNT,
    )
    rows = [
        MonthRow(
            _month_label(m.month, "LLLL yyyy"),
            _month_label(m.month, "LLL yyyy"),
            m.partial,
            None if m.received is None else format_decimal(m.received),
            m.response,
            m.resolution,
        )
        for m in family.months
    ]
    return FamilySection(family.family or "none", name, data_uri(svg), alt, rows)


#: Per process and language: the charts drawn for the answer `kept_build` keeps. Drawing
#: three charts costs far more than reading the kept figures, so they are kept with them.
_drawn: dict[str, tuple[PublicServiceLevel, list[FamilySection]]] = {}
_drawn_lock = threading.Lock()


def sections_of(report: PublicServiceLevel, locale: str) -> list[FamilySection]:
    """The families' charts and tables, drawn once per kept answer and language."""
    with _drawn_lock:
        found = _drawn.get(locale)
    if found is not None and found[0] is report:
        return found[1]
    sections = [_section(f) for f in report.families]
    with _drawn_lock:
        _drawn[locale] = (report, sections)
    return sections


@bp.get("/palvelutaso")
def public_service_level() -> Any:
    """The public service-level page: no login, the same for everybody."""
    report = kept_build(db.session(), db.utcnow(), seconds=cache_seconds())
    locale = _locale()
    return render_template(
        "web/public_service_level.html",
        services=[_service_row(e, locale) for e in report.catalogue],
        sections=sections_of(report, locale),
        minimum=report.minimum_count,
        first_month=_month_label(report.months[0].label, "LLLL yyyy"),
        figures_as_of=report.figures_as_of,
        percent_text=percent_text,
    )
