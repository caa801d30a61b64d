"""The report's downloads read back (csv, openpyxl, pypdf): their numbers are the JSON API's
for the same organisation and period; XLSX cells are numbers and dates, not text; a hostile
ticket title is text in the PDF; the monthly mail's `report_pdf` in the reader's language."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import update

from servicedesk import db
from servicedesk.reports import exports, periods
from servicedesk.reports.exports import report_pdf
from servicedesk.users.models import User
from tests.reports.test_pages import HOSTILE, NOW, SECOND_BREACH, November, get, org_url
from tests.reports.test_pages import login as login
from tests.reports.test_pages import november as november


def api_report(client: Any, make: Any, user: Any, org_id: int) -> dict[str, Any]:
    with db.frozen_now(NOW):
        resp = client.get(
            "/api/v1/reports/service-level",
            query_string={"organisation_id": org_id, "period": "2026-11"},
            headers=make.auth(user),
        )
    assert resp.status_code == 200
    return resp.get_json()  # type: ignore[no-any-return]


def csv_sections(data: bytes, delimiter: str) -> dict[str, list[list[str]]]:
    """Title → [header, rows...] of a CSV written one table after another."""
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel wants
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))
    blocks: list[list[list[str]]] = [[]]
    for row in rows:
        if row:
            blocks[-1].append(row)
        else:
            blocks.append([])
    return {b[0][0]: b[1:] for b in blocks[1:] if b}


def number(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


@pytest.mark.parametrize(("lang", "delimiter"), [("fi", ";"), ("en", ",")])
def test_the_csv_says_what_the_api_says(
    november: November, login: Any, client: Any, make: Any, lang: str, delimiter: str
) -> None:
    sess = november.world.sess
    sess.execute(update(User).where(User.id == november.manager.id).values(locale=lang))
    sess.commit()
    body = api_report(client, make, november.manager, november.org.id)
    resp = get(login(november.manager), org_url(november.org.id) + "/export.csv", period="2026-11")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Content-Disposition"] == (
        f'attachment; filename="palvelutaso-{november.org.id}-2026-11.csv"'
    )
    sections = csv_sections(resp.data, delimiter)
    title = {"fi": "Toteuma lupausriveittäin", "en": "Compliance per promise line"}[lang]
    header, *rows = sections[title]
    assert len(header) == 8
    got = [(int(r[3]), int(r[4]), number(r[5]), number(r[6])) for r in rows]
    want = [
        (
            c["met"],
            c["breached"],
            Decimal(c["compliance_percent"]),
            Decimal(c["target_percent"]),
        )
        for c in body["lines"]
    ]
    assert got == want and len(got) == 4
    if lang == "fi":
        assert any("," in r[5] for r in rows)  # the decimal comma
    overall_title = {"fi": "Kokonaistoteuma aikarajoittain", "en": "Overall per clock"}[lang]
    overall = [(int(r[1]), int(r[2]), number(r[3])) for r in sections[overall_title][1:]]
    assert sorted(overall) == sorted(
        (v["met"], v["breached"], Decimal(v["compliance_percent"]))
        for v in body["overall"].values()
    )
    breaches_title = {
        "fi": "Ylitykset ja mihin aika kului",
        "en": "Breaches and where the time went",
    }
    (breach,) = sections[breaches_title[lang]][1:]
    assert breach[0] == body["breaches"][0]["ticket"]["number"]
    assert breach[1] == HOSTILE
    trend_title = {"fi": "12 kuukauden kehitys", "en": "12-month trend"}[lang]
    trend = {r[0]: (int(r[1]), int(r[2]), int(r[4])) for r in sections[trend_title][1:]}
    assert trend == {m["month"]: (m["met"], m["breached"], m["received"]) for m in body["trend"]}


def test_a_formula_in_a_title_stays_text_in_csv_and_xlsx(november: November, login: Any) -> None:
    from servicedesk.tickets.models import Ticket

    sess = november.world.sess
    sess.execute(
        update(Ticket).where(Ticket.id == november.hostile).values(title='=HYPERLINK("x")')
    )
    sess.commit()
    manager = login(november.manager)
    data = get(manager, org_url(november.org.id) + "/export.csv", period="2026-11").data
    assert '\'=HYPERLINK(""x"")' in data.decode("utf-8-sig")
    book = load_workbook(
        io.BytesIO(get(manager, org_url(november.org.id) + "/export.xlsx", period="2026-11").data)
    )
    breaches = book["Ylitykset ja mihin aika kului"]
    assert breaches["B2"].value == '=HYPERLINK("x")' and breaches["B2"].data_type == "s"


def test_the_xlsx_has_number_and_date_cells_with_the_api_figures(
    november: November, login: Any, client: Any, make: Any
) -> None:
    body = api_report(client, make, november.manager, november.org.id)
    resp = get(login(november.manager), org_url(november.org.id) + "/export.xlsx", period="2026-11")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert resp.headers["Content-Disposition"].endswith('-2026-11.xlsx"')
    book = load_workbook(io.BytesIO(resp.data))
    assert book.sheetnames[0] == "Yhteenveto"
    lines = book["Toteuma lupausriveittäin"]
    assert lines.freeze_panes == "A2" and lines["A1"].font.bold
    got = []
    for row in lines.iter_rows(min_row=2):
        met, breached, percent, target = (c.value for c in row[3:7])
        assert isinstance(met, int) and isinstance(breached, int)
        assert isinstance(percent, int | float) and row[5].number_format == "0.00 %"
        got.append(
            (
                met,
                breached,
                round(Decimal(str(percent)) * 100, 2),
                round(Decimal(str(target)) * 100, 2),
            )
        )
    assert got == [
        (c["met"], c["breached"], Decimal(c["compliance_percent"]), Decimal(c["target_percent"]))
        for c in body["lines"]
    ]
    breaches = book["Ylitykset ja mihin aika kului"]
    due = breaches["D2"].value
    assert isinstance(due, datetime)
    api_due = datetime.fromisoformat(body["breaches"][0]["due_at"].replace("Z", "+00:00"))
    assert due == api_due.astimezone(periods.HELSINKI).replace(tzinfo=None)
    assert breaches["G2"].number_format == "[h]:mm"
    assert breaches["G2"].value.total_seconds() == body["breaches"][0]["desk_seconds"]
    trend = book["12 kuukauden kehitys"]
    assert [trend.cell(row=r, column=5).value for r in range(2, 14)] == [
        m["received"] for m in body["trend"]
    ]
    assert book["Yhteenveto"]["B5"].value == body["received"]


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_carries_the_figures_and_the_hostile_title_as_text(
    november: November, login: Any, client: Any, make: Any
) -> None:
    body = api_report(client, make, november.manager, november.org.id)
    resp = get(login(november.manager), org_url(november.org.id) + "/export.pdf", period="2026-11")
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/pdf"
    assert resp.data.startswith(b"%PDF")
    text = _pdf_text(resp.data)
    flat = re.sub(r"\s+", "", text)
    assert "<script>window.__pwned=1</script>" in flat  # shown, not parsed as markup
    assert november.org.name in text and "marraskuu 2026" in text
    assert re.search(r"Sivu 1 / \d", text)  # the page numbers in the footer
    for value in body["overall"].values():
        shown = value["compliance_percent"].replace(".", ",")
        assert f"{shown}\u00a0%" in text or f"{shown} %" in text
    assert "Kuntasoft Oy" in text


def test_report_pdf_is_the_monthly_mails_attachment_in_the_readers_language(
    november: November, app: Any
) -> None:
    sess = db.new_session(app)
    try:
        org = sess.get(type(november.org), november.org.id)
        data = report_pdf(sess, org, periods.parse("2026-11"), NOW, "sv")
    finally:
        sess.close()
    text = _pdf_text(data)
    assert "Servicenivårapport" in text and "november 2026" in text
    assert "Kuntasoft Oy" not in text  # customer contacts get the mail too


def test_the_mails_pdf_lists_the_first_breaches_and_says_how_many_there_are(
    november: November, app: Any, client: Any, monkeypatch: Any, login: Any
) -> None:
    """One breach listed of two (the limit lowered to 1): the PDF says so, in the reader's
    language; the page's export.pdf still lists both."""
    november.second_breach(client)
    monkeypatch.setattr(exports, "MAIL_BREACHES", 1)
    sess = db.new_session(app)
    try:
        org = sess.get(type(november.org), november.org.id)
        with db.frozen_now(NOW):
            text = _pdf_text(report_pdf(sess, org, periods.parse("2026-11"), NOW, "sv"))
    finally:
        sess.close()
    flat = re.sub(r"\s+", " ", text)
    assert "Här visas 1 av periodens 2 överskridanden" in flat
    assert SECOND_BREACH not in flat
    page = get(login(november.manager), org_url(november.org.id) + "/export.pdf", period="2026-11")
    assert SECOND_BREACH in _pdf_text(page.data)
