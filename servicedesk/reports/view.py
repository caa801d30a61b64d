"""The report as the reader sees it: ONE view model that the page, the CSV, the XLSX and the
PDF all render from, so the four can never disagree.

Pure: a `ServiceLevelReport`, the organisation's name and the reader's locale in; translated
titles, column headers and rows of *typed* values out (Decimal percent, int counts, aware
datetimes in Helsinki time, `Duration` for seconds). Each format decides how to write a
type (`show` for text; the XLSX writes real number and date cells). No request, no database:
the translations are read from the project's catalogues, as the mails do, so the monthly job
can build it without an app context.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from babel import dates as babel_dates
from babel import numbers as babel_numbers

from servicedesk.notifications.render import translations
from servicedesk.reports import charts
from servicedesk.reports.periods import HELSINKI, Period
from servicedesk.reports.report import (
    CUSTOMER_KINDS,
    LOW_RATING,
    ContractCompliance,
    ServiceLevelReport,
)

Gettext = Callable[[str], str]
Kind = Literal["text", "int", "percent", "decimal", "datetime", "duration", "verdict"]
LOCALES = ("fi", "sv", "en")
#: Babel's locale per page language (dates take an explicit Finnish pattern anyway); English
#: with a decimal point, as the English pages write numbers.
BABEL_LOCALE = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_GB"}
DASH = "\u2013"


@dataclass(frozen=True)
class Duration:
    """Business or wall-clock seconds, written as hours and minutes (h:mm)."""

    seconds: int

    def hmm(self) -> str:
        minutes = max(0, self.seconds) // 60
        return f"{minutes // 60}:{minutes % 60:02d}"


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind


@dataclass(frozen=True)
class Table:
    """One section: a title, typed columns, rows, and what to say when there are no rows."""

    key: str
    title: str
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]]
    empty: str = ""
    #: Said under the rows (e.g. that they are one page of more).
    note: str = ""
    #: Each row's ticket (id), where the first column names one: pages link it.
    tickets: tuple[int, ...] = ()


@dataclass(frozen=True)
class Figure:
    """A headline number."""

    label: str
    value: Any
    kind: Kind


@dataclass(frozen=True)
class Chart:
    """A chart (SVG text from `charts`) and the key of the table that holds its data."""

    key: str
    title: str
    svg: str
    table: str

    @property
    def data_uri(self) -> str:
        return charts.data_uri(self.svg)


@dataclass(frozen=True)
class ReportView:
    locale: str
    title: str
    organisation: str
    period: Period
    period_words: str
    generated_at: datetime
    headlines: list[Figure]
    tables: list[Table]
    #: Plain data for the charts (drawn on demand: CSV and XLSX need no pictures).
    trend_points: list[charts.TrendPoint] = field(default_factory=list)
    line_bars: list[charts.Bar] = field(default_factory=list)
    service_bars: list[charts.Bar] = field(default_factory=list)
    words: dict[str, str] = field(default_factory=dict)

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)

    @property
    def file_period(self) -> str:
        """The period as it goes into a file name ("2026-11", "2026-11-01_2026-11-30")."""
        return self.period.label.replace("..", "_")


# --- words ------------------------------------------------------------------------------


def gettext_for(locale: str) -> Gettext:
    return translations(locale if locale in LOCALES else "fi").gettext


def kind_words(_: Gettext) -> dict[str, str]:
    return {
        "response": _("response"),
        "resolution": _("resolution"),
        "update": _("update"),
        "supplier_response": _("supplier response"),
        "supplier_resolution": _("supplier resolution"),
    }


def type_words(_: Gettext) -> dict[str, str]:
    return {
        "incident": _("incident"),
        "service_request": _("service request"),
        "change_need": _("change need"),
        "feedback": _("feedback"),
    }


def channel_words(_: Gettext) -> dict[str, str]:
    return {
        "portal": _("portal"),
        "api": _("API"),
        "email": _("e-mail"),
        "phone": _("phone"),
        "import": _("import"),
    }


def _word(words: dict[str, str], key: str) -> str:
    return words.get(key, key)


def period_words(period: Period, locale: str) -> str:
    """The period in words: "marraskuu 2026", "2026-Q4", "2026" or a range of days."""
    loc = BABEL_LOCALE.get(locale, "fi_FI")
    label = period.label
    if "Q" in label or len(label) == 4:
        return label
    if len(label) == 7:
        return babel_dates.format_date(period.first, "LLLL yyyy", locale=loc)
    first = babel_dates.format_date(period.first, "d.M.yyyy", locale=loc)
    last = babel_dates.format_date(period.last, "d.M.yyyy", locale=loc)
    return f"{first}{DASH}{last}"


def show(value: Any, kind: Kind, locale: str, words: dict[str, str] | None = None) -> str:
    """A typed value as text in the reader's language (pages and PDF)."""
    loc = BABEL_LOCALE.get(locale, "fi_FI")
    if value is None:
        return DASH
    if kind == "int":
        return babel_numbers.format_decimal(value, locale=loc)
    if kind == "percent":
        return babel_numbers.format_decimal(value, "#,##0.00", locale=loc) + "\u00a0%"
    if kind == "decimal":
        return babel_numbers.format_decimal(value, "#,##0.00", locale=loc)
    if kind == "datetime":
        return babel_dates.format_datetime(value, "d.M.yyyy HH:mm", tzinfo=HELSINKI, locale=loc)
    if kind == "duration":
        return str(value.hmm())
    if kind == "verdict":
        words = words or {}
        return words.get("pass", "pass") if value else words.get("fail", "fail")
    return str(value)


# --- the view -----------------------------------------------------------------------------


def line_label(line: Any, _: Gettext) -> str:
    """A promise line in words: its service, its family, or the agreement's default."""
    if line.service_code:
        name = line.service_code
    elif line.family:
        name = _("family %(name)s") % {"name": line.family}
    else:
        name = _("agreement default")
    if line.ticket_type:
        name = f"{name} ({_word(type_words(_), line.ticket_type)})"
    return name


def _capital(text: str) -> str:
    """A label that starts with a word of the vocabulary ("vasteaika: toteuma")."""
    return text[:1].upper() + text[1:]


def _helsinki(at: datetime | None) -> datetime | None:
    return None if at is None else at.astimezone(HELSINKI)


def _seconds(value: int | None) -> Duration | None:
    return None if value is None else Duration(value)


def _supplier_table(rows: Sequence[ContractCompliance], _: Gettext) -> Table:
    kinds = kind_words(_)
    return Table(
        "suppliers",
        _("Supplier compliance"),
        (
            Column(_("Supplier"), "text"),
            Column(_("Contract"), "text"),
            Column(_("Clock"), "text"),
            Column(_("Met"), "int"),
            Column(_("Breached"), "int"),
            Column(_("Compliance %"), "percent"),
        ),
        [
            (
                c.contract.supplier_name,
                c.contract.name,
                _word(kinds, c.kind),
                c.met,
                c.breached,
                c.compliance_percent,
            )
            for c in rows
        ],
        _("No supplier clock counted in this period."),
    )


def _common_words(_: Gettext) -> dict[str, str]:
    return {
        "pass": "\u2714 " + _("passed"),
        "fail": "\u2716 " + _("failed"),
        "generated": _("Generated"),
        "helsinki": _("Times are Helsinki time."),
        "organisation": _("Organisation"),
        "period": _("Period"),
        "data": _("The chart's numbers"),
        "page": _("Page"),
    }


def build_view(report: ServiceLevelReport, organisation: str, locale: str) -> ReportView:
    """The report in the reader's words; supplier compliance only where the report has it."""
    locale = locale if locale in LOCALES else "fi"
    _ = gettext_for(locale)
    kinds, types, channels = kind_words(_), type_words(_), channel_words(_)
    words = _common_words(_)

    lines = Table(
        "lines",
        _("Compliance per promise line"),
        (
            Column(_("Promise line"), "text"),
            Column(_("Priority"), "text"),
            Column(_("Clock"), "text"),
            Column(_("Met"), "int"),
            Column(_("Breached"), "int"),
            Column(_("Compliance %"), "percent"),
            Column(_("Target %"), "percent"),
            Column(_("Result"), "verdict"),
        ),
        [
            (
                line_label(lc.line, _),
                lc.line.priority,
                _word(kinds, lc.kind),
                lc.met,
                lc.breached,
                lc.compliance_percent,
                lc.target_percent,
                lc.passed,
            )
            for lc in report.lines
        ],
        _("No clock counted in this period."),
    )
    overall_kinds = [k for k in CUSTOMER_KINDS if k in report.overall]
    overall = Table(
        "overall",
        _("Overall per clock"),
        (
            Column(_("Clock"), "text"),
            Column(_("Met"), "int"),
            Column(_("Breached"), "int"),
            Column(_("Compliance %"), "percent"),
        ),
        [
            (
                _word(kinds, k),
                report.overall[k].met,
                report.overall[k].breached,
                report.overall[k].percent,
            )
            for k in overall_kinds
        ],
        _("No clock counted in this period."),
    )
    breaches = Table(
        "breaches",
        _("Breaches and where the time went"),
        (
            Column(_("Ticket"), "text"),
            Column(_("Title"), "text"),
            Column(_("Clock"), "text"),
            Column(_("Due"), "datetime"),
            Column(_("Counted at"), "datetime"),
            Column(_("State"), "text"),
            Column(_("Desk time (h:mm)"), "duration"),
            Column(_("Supplier time (h:mm)"), "duration"),
            Column(_("Customer time (h:mm)"), "duration"),
        ),
        [
            (
                b.ticket.number,
                b.ticket.title,
                _word(kinds, b.kind),
                _helsinki(b.due_at),
                _helsinki(b.counted_at),
                _("stopped") if b.stopped else _("still running"),
                _seconds(b.desk_seconds),
                _seconds(b.supplier_seconds),
                _seconds(b.customer_seconds),
            )
            for b in report.breaches
        ],
        _("No breaches in this period."),
        _(
            "%(shown)s of the period's %(count)s breaches, earliest first. The CSV, XLSX and"
            " PDF exports list every breach."
        )
        % {
            "shown": show(len(report.breaches), "int", locale),
            "count": show(report.breach_count, "int", locale),
        }
        if report.breach_count > len(report.breaches)
        else "",
        tuple(b.ticket.id for b in report.breaches),
    )
    tables = [lines, overall, breaches]
    if report.supplier_compliance is not None:
        tables.append(_supplier_table(report.supplier_compliance, _))

    no_service = _("no service")
    volume_titles = {
        "service": (_("Tickets by service"), _("Service"), lambda k: k or no_service),
        "type": (_("Tickets by type"), _("Type"), lambda k: _word(types, k)),
        "channel": (_("Tickets by channel"), _("Channel"), lambda k: _word(channels, k)),
    }
    for key, (title, header, name) in volume_titles.items():
        rows = [(name(v.key), v.count) for v in report.volumes.get(key, [])]
        tables.append(
            Table(
                f"volume_{key}",
                title,
                (Column(header, "text"), Column(_("Tickets"), "int")),
                rows,
                _("No tickets received in this period."),
            )
        )

    sat = report.satisfaction
    rated = sat.rated if sat else 0
    no_ratings = _("No ratings in this period.")
    tables.append(
        Table(
            "satisfaction",
            _("Satisfaction"),
            (Column(_("Ratings"), "int"), Column(_("Average (1-5)"), "decimal")),
            [(rated, sat.average)] if sat and rated else [],
            no_ratings,
        )
    )
    tables.append(
        Table(
            "low_ratings",
            _("Low ratings (%(low)s or less)") % {"low": LOW_RATING},
            (
                Column(_("Ticket"), "text"),
                Column(_("Title"), "text"),
                Column(_("Score"), "int"),
                Column(_("Comment"), "text"),
                Column(_("Rated at"), "datetime"),
            ),
            [
                (r.ticket.number, r.ticket.title, r.score, r.comment or "", _helsinki(r.rated_at))
                for r in (sat.low if sat else [])
            ],
            no_ratings if not rated else _("No low ratings."),
            tickets=tuple(r.ticket.id for r in (sat.low if sat else [])),
        )
    )
    tables.append(
        Table(
            "trend",
            _("12-month trend"),
            (
                Column(_("Month"), "text"),
                Column(_("Met"), "int"),
                Column(_("Breached"), "int"),
                Column(_("Compliance %"), "percent"),
                Column(_("Tickets received"), "int"),
            ),
            [(m.month, m.met, m.breached, m.compliance_percent, m.received) for m in report.trend],
        )
    )
    tables.append(
        Table(
            "priority_change",
            _("Ended by a priority change"),
            (Column(_("Clock"), "text"), Column(_("Clocks left out"), "int")),
            [(_word(kinds, k), n) for k, n in sorted(report.ended_by_priority_change.items()) if n],
            _("No clock ended by a priority change."),
        )
    )

    breached_total = sum(t.breached for t in report.overall.values())
    headlines = [Figure(_("Tickets received"), report.received, "int")]
    for k in overall_kinds:
        headlines.append(
            Figure(
                _capital(_("%(clock)s compliance") % {"clock": _word(kinds, k)}),
                report.overall[k].percent,
                "percent",
            )
        )
    headlines.append(Figure(_("Breached clocks"), breached_total, "int"))
    if rated:
        headlines.append(Figure(_("Satisfaction (1-5)"), sat.average if sat else None, "decimal"))
    else:
        headlines.append(Figure(_("Satisfaction (1-5)"), _("no ratings"), "text"))

    return ReportView(
        locale=locale,
        title=_("Service-level report"),
        organisation=organisation,
        period=report.period,
        period_words=period_words(report.period, locale),
        generated_at=report.generated_at.astimezone(HELSINKI),
        headlines=headlines,
        tables=tables,
        trend_points=[
            charts.TrendPoint(m.month, m.compliance_percent, m.received) for m in report.trend
        ],
        line_bars=[
            charts.Bar(
                f"{lc.line.priority} {line_label(lc.line, _)} · {_word(kinds, lc.kind)}",
                float(lc.compliance_percent),
                None if lc.target_percent is None else float(lc.target_percent),
            )
            for lc in report.lines
            if lc.compliance_percent is not None
        ],
        service_bars=[
            charts.Bar(v.key or no_service, float(v.count))
            for v in report.volumes.get("service", [])
        ],
        words=words,
    )


def view_charts(view: ReportView) -> list[Chart]:
    """The page's and the PDF's charts, each tied to the table that holds its numbers."""
    _ = gettext_for(view.locale)
    sep = "." if view.locale == "en" else ","
    found = []
    if view.trend_points:
        found.append(
            Chart(
                "trend",
                _("Compliance and tickets received, 12 months"),
                charts.trend_svg(
                    view.trend_points,
                    title=_("Compliance and tickets received, 12 months"),
                    percent_label=_("Compliance %"),
                    volume_label=_("Tickets received"),
                ),
                "trend",
            )
        )
    if view.line_bars:
        found.append(
            Chart(
                "lines",
                _("Compliance per promise line against its target"),
                charts.bars_svg(
                    view.line_bars,
                    title=_("Compliance per promise line against its target"),
                    value_label=_("Compliance %"),
                    percent=True,
                    decimal_sep=sep,
                ),
                "lines",
            )
        )
    if view.service_bars:
        found.append(
            Chart(
                "services",
                _("Tickets by service"),
                charts.bars_svg(
                    view.service_bars,
                    title=_("Tickets by service"),
                    value_label=_("Tickets"),
                    percent=False,
                ),
                "volume_service",
            )
        )
    return found


def contract_table(rows: Sequence[ContractCompliance], locale: str) -> Table:
    """A contract's supplier compliance (the supplier agents' page)."""
    return _supplier_table(rows, gettext_for(locale))


def contract_view(
    contract: Any,
    rows: Sequence[ContractCompliance],
    period: Period,
    generated_at: datetime,
    locale: str,
) -> ReportView:
    """A contract's supplier compliance as a view of its own (its page's downloads)."""
    locale = locale if locale in LOCALES else "fi"
    _ = gettext_for(locale)
    return ReportView(
        locale=locale,
        title=_("Supplier compliance"),
        organisation=f"{contract.supplier_name} \u00b7 {contract.name}",
        period=period,
        period_words=period_words(period, locale),
        generated_at=generated_at.astimezone(HELSINKI),
        headlines=[],
        tables=[_supplier_table(rows, _)],
        words=_common_words(_),
    )
