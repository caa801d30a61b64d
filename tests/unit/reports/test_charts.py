"""The report charts: deterministic SVG, labels escaped, numbers drawn as the reader writes them."""

from __future__ import annotations

import base64
from decimal import Decimal
from xml.etree import ElementTree

from servicedesk.reports.charts import Bar, TrendPoint, bars_svg, data_uri, trend_svg

HOSTILE = '<script>alert("x")</script> & "quotes"'


def _trend(title: str = "Trend") -> str:
    points = [
        TrendPoint(f"2026-{m:02d}", Decimal("95.5") if m != 3 else None, m) for m in range(1, 13)
    ]
    return trend_svg(points, title=title, percent_label="%", volume_label="n")


def test_same_data_draws_the_same_bytes():
    assert _trend() == _trend()


def test_svg_is_well_formed_with_an_accessible_title_and_escaped_text():
    svg = bars_svg([Bar(HOSTILE, 3)], title=HOSTILE, value_label="n", percent=False)
    root = ElementTree.fromstring(svg)  # noqa: S314 (our own output; raises if malformed)
    assert root.get("role") == "img"
    assert root.get("aria-label") == HOSTILE
    assert "<script>" not in svg
    title = root.find("{http://www.w3.org/2000/svg}title")
    assert title is not None and title.text == HOSTILE


def test_percent_bars_use_the_readers_decimal_separator():
    svg = bars_svg(
        [Bar("WILMA", 88.5, 95.0)], title="t", value_label="%", percent=True, decimal_sep=","
    )
    assert "88,5 %" in svg and "88.5 %" not in svg


def test_trend_months_are_labelled():
    svg = _trend()
    assert "2026-01" in svg and "2026-12" in svg


def test_data_uri_round_trips():
    svg = _trend()
    uri = data_uri(svg)
    assert uri.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]).decode() == svg
