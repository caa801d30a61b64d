"""Instants and dates as each language writes them in Finland, always in Helsinki time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask_babel import force_locale

from servicedesk.web.i18n import business_minutes_words, local_date, local_datetime

AUTUMN = datetime(2026, 10, 2, 7, 27, tzinfo=UTC)  # 10.27 in Helsinki (EEST)


@pytest.mark.parametrize(
    ("locale", "shown"),
    [
        ("fi", "2.10.2026 10.27"),
        ("sv", "2.10.2026 10.27"),  # Finland-Swedish, not 2026-10-02 10:27
        ("en", "2 Oct 2026, 10:27"),  # day first and 24 hours, not 10/2/26, 10:27 AM
    ],
)
def test_an_instant_is_shown_in_helsinki_time_as_finland_writes_it(
    app: Any, locale: str, shown: str
) -> None:
    with app.test_request_context("/"), force_locale(locale):
        assert local_datetime(AUTUMN) == shown


def test_a_date_from_the_sla_explanation_is_formatted_not_iso(app: Any) -> None:
    with app.test_request_context("/"), force_locale("fi"):
        assert local_date("2026-01-01") == local_date(date(2026, 1, 1)) == "1.1.2026"


def test_business_time_is_said_in_hours_and_minutes(app: Any) -> None:
    with app.test_request_context("/"), force_locale("en"):
        assert business_minutes_words(135) == "2 h 15 min"
        assert business_minutes_words(1500) == "25 h"  # never "1 d 1 h": a business day is 8 h
        assert business_minutes_words(-5) == "0 min"
