"""The monthly mail's words: numbers and months as each language writes them, file names
every mail client keeps whole."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from servicedesk.reports.monthly_texts import month_name, pdf_filename, percent_text


@pytest.mark.parametrize(
    ("locale", "value", "text"),
    [
        ("fi", Decimal("95.50"), "95,5\u00a0%"),
        ("sv", Decimal("100.00"), "100,0\u00a0%"),
        ("en", Decimal("66.67"), "66.67%"),
        ("en", None, "\u2013"),
        ("xx", Decimal("0"), "0,0\u00a0%"),  # an unknown language is Finnish
    ],
)
def test_percent_is_written_as_the_recipients_language_writes_it(locale, value, text):
    assert percent_text(value, locale) == text


def test_the_month_is_named_in_the_recipients_language():
    november = date(2026, 11, 1)
    assert [month_name(november, lang) for lang in ("fi", "sv", "en")] == [
        "marraskuu 2026",
        "november 2026",
        "November 2026",
    ]


@pytest.mark.parametrize(
    ("name", "locale", "filename"),
    [
        ("Hämeenkyrön kunta", "fi", "palvelutaso-hameenkyron-kunta-2026-11.pdf"),
        ("Raseborgs stad", "sv", "serviceniva-raseborgs-stad-2026-11.pdf"),
        ("Ylä-Pirkanmaan ky", "en", "service-level-yla-pirkanmaan-ky-2026-11.pdf"),
        ("../../etc/passwd", "fi", "palvelutaso-etc-passwd-2026-11.pdf"),
        ("Åå", "fi", "palvelutaso-aa-2026-11.pdf"),
        ("吉野", "fi", "palvelutaso-organisaatio-2026-11.pdf"),
    ],
)
def test_the_pdf_file_name_is_ascii_and_names_the_organisation(name, locale, filename):
    assert pdf_filename(name, "2026-11", locale) == filename
