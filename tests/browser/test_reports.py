"""The report page in Chromium: an account manager finds it from the header, downloads the
CSV, XLSX and PDF by clicking their links, and each file read back (csv, openpyxl, pypdf)
says what the JSON API says for the same period; axe finds no serious or critical
violation on the report page, in Finnish and in English."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.browser import scenario as sc
from tests.browser.conftest import NARROW, Contexts, assert_accessible, login

BROWSER_LOCALE = {"fi": "fi-FI", "en": "en-GB"}
LINES_TITLE = {"fi": "Toteuma lupausriveittäin", "en": "Compliance per promise line"}
OVERALL_TITLE = {"fi": "Kokonaistoteuma aikarajoittain", "en": "Overall per clock"}


def _download(page: Any, fmt: str) -> bytes:
    with page.expect_download() as info:
        page.locator(f"a[data-export='{fmt}']").click()
    download = info.value
    assert download.suggested_filename.startswith("palvelutaso-")
    assert download.suggested_filename.endswith(f".{fmt}")
    return Path(download.path()).read_bytes()


def _csv_table(data: bytes, title: str, delimiter: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))
    start = rows.index([title])
    end = rows.index([], start)
    return rows[start + 2 : end]


def _number(text: str) -> Decimal:
    return Decimal(text.replace(",", ".").replace("\u00a0", "").rstrip("%").strip())


def _breach_month(make: Any, ticket: Any) -> str:
    """The Helsinki month in which the ticket's response clock breached (it still runs)."""
    from sqlalchemy import select

    from servicedesk.reports.periods import HELSINKI
    from sla.models import SlaClock

    due = make.sess.scalar(
        select(SlaClock.due_at).where(SlaClock.ticket_id == ticket.id, SlaClock.kind == "response")
    )
    return due.astimezone(HELSINKI).strftime("%Y-%m")


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_the_report_page_downloads_agree_with_the_api_and_pass_axe(
    pages: Contexts, make: Any, app: Any, lang: str
) -> None:
    world = sc.build(make, locale=lang)
    page = pages.new_page(locale=BROWSER_LOCALE[lang])
    login(page, world.manager)
    page.locator("header nav a[href='/desk/reports']").click()
    page.wait_for_url("**/desk/reports")
    assert_accessible(page, f"report list ({lang})")
    page.locator(f"a[href^='/desk/reports/organisations/{world.org.id}?']").click()
    page.wait_for_url(f"**/desk/reports/organisations/{world.org.id}?*")
    assert page.locator("h1").inner_text().endswith(world.org.name)
    month = _breach_month(make, world.late)
    if f"period={month}" not in page.locator("a[data-export='csv']").get_attribute("href"):
        # The page opens on this month in Helsinki; in the first hours of a month the late
        # ticket's breach (an hour ago) still falls in the month before.
        page.goto(f"/desk/reports/organisations/{world.org.id}?period={month}")
    assert page.locator("img.report-chart").count() >= 1
    assert_accessible(page, f"report page ({lang})")

    href = page.locator("a[data-export='csv']").get_attribute("href")
    period = parse_qs(urlparse(href).query)["period"][0]
    api = app.test_client().get(
        "/api/v1/reports/service-level",
        query_string={"organisation_id": world.org.id, "period": period},
        headers=make.auth(world.manager),
    )
    assert api.status_code == 200
    body = api.get_json()
    want_lines = [(c["met"], c["breached"]) for c in body["lines"]]
    want_overall = sorted(
        (v["met"], v["breached"], v["compliance_percent"]) for v in body["overall"].values()
    )
    assert want_lines, "the scenario's late ticket has a breached response clock"

    delimiter = ";" if lang == "fi" else ","
    data = _download(page, "csv")
    lines = _csv_table(data, LINES_TITLE[lang], delimiter)
    assert [(int(r[3]), int(r[4])) for r in lines] == want_lines
    overall = _csv_table(data, OVERALL_TITLE[lang], delimiter)
    assert sorted((int(r[1]), int(r[2]), f"{_number(r[3]):.2f}") for r in overall) == want_overall

    book = load_workbook(io.BytesIO(_download(page, "xlsx")))
    sheet = book[LINES_TITLE[lang]]
    cells = [(row[3].value, row[4].value) for row in sheet.iter_rows(min_row=2)]
    assert cells == want_lines and all(isinstance(v, int) for pair in cells for v in pair)
    assert book[book.sheetnames[0]]["B5"].value == body["received"]

    reader = PdfReader(io.BytesIO(_download(page, "pdf")))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert world.org.name in text
    for _met, _breached, percent in want_overall:
        shown = percent.replace(".", ",") if lang == "fi" else percent
        assert re.search(re.escape(shown) + r"\s?%", text), (shown, text[:2000])

    narrow = pages.new_page(viewport=NARROW, locale=BROWSER_LOCALE[lang])
    login(narrow, world.manager)
    narrow.goto(page.url)
    width = narrow.evaluate("() => document.documentElement.scrollWidth")
    assert width <= NARROW["width"], "the report page scrolls sideways on a phone"
    assert_accessible(narrow, f"report page, narrow ({lang})")


def test_a_customer_contact_finds_the_report_in_the_portal(pages: Contexts, make: Any) -> None:
    world = sc.build(make, locale="fi")
    contact = make.user("customer_contact", org=world.org, locale="fi")
    contact.password_hash = sc.password_hash()
    make.sess.commit()
    page = pages.new_page(locale="fi-FI")
    login(page, contact)
    page.locator("header nav a[href='/portal/report']").click()
    page.wait_for_url("**/portal/report")
    assert world.org.name in page.locator("h1").inner_text()
    assert sc.SUPPLIER_NAME not in page.content()
    assert_accessible(page, "portal report")


def test_a_supplier_agent_reads_their_contract(pages: Contexts, make: Any) -> None:
    world = sc.build(make, locale="en")
    page = pages.new_page(locale="en-GB")
    login(page, world.supplier_agent)
    page.locator("header nav a[href='/desk/reports/contracts']").click()
    page.wait_for_url("**/desk/reports/contracts/*")
    assert sc.SUPPLIER_NAME in page.locator("h1").inner_text()
    assert_accessible(page, "contract compliance")
