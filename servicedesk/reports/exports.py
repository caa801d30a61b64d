"""The report's downloads: CSV, XLSX and PDF, each a pure function of the view model
(`servicedesk.reports.view`), so a file says exactly what the page says.

- **CSV**: one table after another, as on the page. First the report's title, organisation,
  period and generation time (one "label, value" row each), then per section a row with its
  title, its header row and its rows, and an empty row. UTF-8 with a BOM (Excel then reads
  ä and ö right). Written as the reader's Excel reads it: Finnish and Swedish with `;` between
  fields and a decimal comma, English with `,` and a decimal point. Percentages are plain
  numbers (the header says %), instants `YYYY-MM-DD HH:MM` in Helsinki time, times h:mm, an
  empty field where a value is missing. A text that a spreadsheet would take for a formula
  (`=`, `+`, `-`, `@` first: ticket titles are hostile input) gets a leading apostrophe.
- **XLSX** (openpyxl): a summary sheet, then one sheet per section; real number cells
  (percent cells hold the fraction, formatted `0.00 %`), date cells (Helsinki local time),
  durations as time cells `[h]:mm`; a bold header row frozen in place; columns sized to
  their text. Text is always stored as text, never as a formula.
- **PDF** (WeasyPrint): the print template `web/report_print.html` with the same charts and
  tables; A4, the organisation and period in every page's header, page numbers in the footer.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from servicedesk.reports.periods import Period
from servicedesk.reports.report import build
from servicedesk.reports.view import (
    Duration,
    Kind,
    ReportView,
    build_view,
    gettext_for,
    show,
    view_charts,
)

TEMPLATES = Path(__file__).resolve().parents[1] / "web" / "templates"
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
FORMATS = tuple(CONTENT_TYPES)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def file_name(view: ReportView, code: str, fmt: str) -> str:
    """`palvelutaso-<organisation code or id>-<period>.<ext>`."""
    return f"palvelutaso-{code}-{view.file_period}.{fmt}"


def _safe_text(text: str) -> str:
    """Text a spreadsheet must not run as a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


# --- CSV ----------------------------------------------------------------------------------


def _csv_value(value: Any, kind: Kind, view: ReportView) -> str:
    if value is None:
        return ""
    comma = view.locale != "en"
    if kind in ("percent", "decimal"):
        text = f"{Decimal(value):.2f}"
        return text.replace(".", ",") if comma else text
    if kind == "int":
        return str(int(value))
    if kind == "datetime":
        return str(value.strftime("%Y-%m-%d %H:%M"))
    if kind == "duration":
        return str(value.hmm())
    if kind == "verdict":
        return show(value, kind, view.locale, view.words)
    return _safe_text(str(value))


def csv_delimiter(locale: str) -> str:
    return "," if locale == "en" else ";"


def to_csv(view: ReportView) -> bytes:
    """The report as CSV: a preamble, then each section's title, header and rows."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=csv_delimiter(view.locale), lineterminator="\r\n")
    writer.writerow([view.title])
    writer.writerow([view.words["organisation"], _safe_text(view.organisation)])
    writer.writerow([view.words["period"], view.period.label])
    writer.writerow([view.words["generated"], view.generated_at.strftime("%Y-%m-%d %H:%M")])
    writer.writerow([])
    for table in view.tables:
        writer.writerow([table.title])
        writer.writerow([c.header for c in table.columns])
        for row in table.rows:
            writer.writerow(
                [_csv_value(v, c.kind, view) for v, c in zip(row, table.columns, strict=True)]
            )
        writer.writerow([])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- XLSX ---------------------------------------------------------------------------------

_NUMBER_FORMATS = {
    "int": "0",
    "percent": "0.00 %",
    "decimal": "0.00",
    "datetime": "d.m.yyyy hh:mm",
    "duration": "[h]:mm",
}


def _xlsx_value(value: Any, kind: Kind, view: ReportView) -> Any:
    if value is None:
        return None
    if kind == "percent":
        return Decimal(value) / 100
    if kind == "decimal":
        return Decimal(value)
    if kind == "int":
        return int(value)
    if kind == "datetime":
        return value.replace(tzinfo=None)  # Excel has no zones: Helsinki local time
    if kind == "duration":
        return timedelta(seconds=value.seconds)
    if kind == "verdict":
        return show(value, kind, view.locale, view.words)
    return str(value)


def _sheet_title(title: str, taken: set[str]) -> str:
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()[:31] or "Sheet"
    name, n = clean, 2
    while name.casefold() in taken:
        suffix = f" {n}"
        name, n = clean[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.casefold())
    return name


def _write_sheet(ws: Any, headers: list[str], rows: list[list[tuple[Any, Kind]]]) -> None:
    bold = Font(bold=True)
    widths = [len(h) for h in headers]
    for col, header in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=col, value=header)
        cell.font = bold
        cell.data_type = "s"
    for r, row in enumerate(rows, start=2):
        for col, (value, kind) in enumerate(row, start=1):
            cell = ws.cell(row=r, column=col, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
                shown = value
            else:
                cell.number_format = _NUMBER_FORMATS.get(kind, "General")
                shown = "00.00.0000 00:00" if kind == "datetime" else str(value)
            widths[col - 1] = max(widths[col - 1], len(shown))
    ws.freeze_panes = "A2"
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = min(max(width + 2, 8), 60)


def to_xlsx(view: ReportView) -> bytes:
    """The report as a workbook: a summary sheet, then one sheet per section."""
    _ = gettext_for(view.locale)
    book = Workbook()
    taken: set[str] = set()
    summary = book.active
    summary.title = _sheet_title(_("Summary"), taken)
    facts: list[list[tuple[Any, Kind]]] = [
        [(view.words["organisation"], "text"), (view.organisation, "text")],
        [(view.words["period"], "text"), (view.period.label, "text")],
        [(view.words["generated"], "text"), (view.generated_at.replace(tzinfo=None), "datetime")],
    ]
    for fig in view.headlines:
        facts.append([(fig.label, "text"), (_xlsx_value(fig.value, fig.kind, view), fig.kind)])
    _write_sheet(summary, [view.title, ""], facts)
    for table in view.tables:
        ws = book.create_sheet(_sheet_title(table.title, taken))
        _write_sheet(
            ws,
            [c.header for c in table.columns],
            [
                [
                    (_xlsx_value(v, c.kind, view), c.kind)
                    for v, c in zip(row, table.columns, strict=True)
                ]
                for row in table.rows
            ],
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- PDF ----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html",), default=True),
        undefined=StrictUndefined,
    )


def print_html(view: ReportView) -> str:
    """The print template filled in (also what the PDF test reads before WeasyPrint)."""

    def cell(value: Any, kind: Kind) -> str:
        return show(value, kind, view.locale, view.words)

    return (
        _environment()
        .get_template("web/report_print.html")
        .render(
            view=view,
            charts=view_charts(view),
            cell=cell,
            _=gettext_for(view.locale),
            is_number=lambda kind: kind in ("int", "percent", "decimal", "duration"),
        )
    )


def to_pdf(view: ReportView) -> bytes:
    """The report as an A4 PDF with the page's charts and tables."""
    from weasyprint import HTML  # heavy: loaded when a PDF is first asked for

    return bytes(HTML(string=print_html(view), base_url=str(TEMPLATES)).write_pdf())


def organisation_name(organisation: Any, locale: str) -> str:
    """The organisation's name in the reader's language (bilingual municipalities)."""
    if locale == "sv" and getattr(organisation, "name_sv", None):
        return str(organisation.name_sv)
    return str(organisation.name)


#: Breaches listed in the monthly mail's PDF: a large organisation has thousands a month,
#: a hundred pages nobody reads in a mail; the figures count them all, and the report
#: page's exports list every one (the PDF says so under the list).
MAIL_BREACHES = 100


def report_pdf(
    sess: Session, organisation: Any, period: Period, now: datetime, locale: str
) -> bytes:
    """The monthly mail's attachment: the organisation's report for `period` as a PDF.

    The mail goes to customer contacts too, so the supplier section (the centre's staff
    only) is left out, as on the portal's page. The first `MAIL_BREACHES` breaches are
    listed."""
    report = build(
        sess, organisation.id, period, now, with_suppliers=False, breaches_limit=MAIL_BREACHES
    )
    return to_pdf(build_view(report, organisation_name(organisation, locale), locale))


__all__ = [
    "CONTENT_TYPES",
    "FORMATS",
    "Duration",
    "file_name",
    "organisation_name",
    "print_html",
    "report_pdf",
    "to_csv",
    "to_pdf",
    "to_xlsx",
]
