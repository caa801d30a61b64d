"""The report's view model: the one thing the page, CSV, XLSX and PDF render from. Pure: built
here from a hand-made `ServiceLevelReport`, no app and no database."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from servicedesk.reports import periods, queries
from servicedesk.reports.compliance import Tally
from servicedesk.reports.report import (
    Breach,
    ContractCompliance,
    LineCompliance,
    Satisfaction,
    ServiceLevelReport,
    TrendMonth,
    Volume,
)
from servicedesk.reports.view import Duration, build_view, period_words, show, view_charts

NOW = datetime(2026, 12, 1, 6, tzinfo=UTC)
TICKET = queries.TicketRow(7, "KPK-2026-00007", "<script>alert(1)</script>")


def _line(code: str | None, family: str | None = None) -> queries.Line:
    return queries.Line(1, 1 if code else None, code, family, "P1", None, Decimal("90"))


def report(
    *, suppliers: bool = True, ratings: list[queries.Rated] | None = None
) -> ServiceLevelReport:
    ratings = ratings or []
    return ServiceLevelReport(
        organisation_id=3,
        period=periods.parse("2026-11"),
        generated_at=NOW,
        lines=[
            LineCompliance(_line("M365"), "response", 9, 1, Decimal("90.00"), Decimal("90"), True),
            LineCompliance(
                _line(None, "application"),
                "resolution",
                1,
                2,
                Decimal("33.33"),
                Decimal("95"),
                False,
            ),
        ],
        overall={"response": Tally(9, 1), "resolution": Tally(1, 2)},
        breaches=[
            Breach(
                TICKET,
                11,
                "resolution",
                datetime(2026, 11, 30, 21, tzinfo=UTC),  # 23:00 in Helsinki
                datetime(2026, 11, 30, 21, 59, tzinfo=UTC),
                True,
                3 * 3600 + 25 * 60,
                None,
                59,
            )
        ],
        supplier_compliance=[
            ContractCompliance(
                queries.ContractRow(4, "UC 2026", 5, "Kuntasoft Oy"),
                "supplier_resolution",
                1,
                1,
                Decimal("50.00"),
            )
        ]
        if suppliers
        else None,
        volumes={
            "service": [Volume("", 1), Volume("M365", 12)],
            "type": [Volume("incident", 13)],
            "channel": [Volume("portal", 13)],
        },
        received=13,
        satisfaction=Satisfaction(
            len(ratings),
            Decimal("2.50") if ratings else None,
            [r for r in ratings if r.score <= 2],
        ),
        trend=[TrendMonth("2026-11", 10, 3, Decimal("76.92"), 13)],
        ended_by_priority_change={"update": 2, "response": 0},
    )


def test_lines_carry_typed_values_and_translated_words() -> None:
    view = build_view(report(), "Hämeenkyrön kunta", "fi")
    lines = view.table("lines")
    assert lines is not None and lines.title == "Toteuma lupausriveittäin"
    assert [c.kind for c in lines.columns][3:] == [
        "int",
        "int",
        "percent",
        "percent",
        "verdict",
    ]
    first, second = lines.rows
    assert first == ("M365", "P1", "vasteaika", 9, 1, Decimal("90.00"), Decimal("90"), True)
    assert second[0] == "palveluperhe application" and second[-1] is False


def test_breach_instants_are_helsinki_time_and_seconds_are_durations() -> None:
    view = build_view(report(), "Org", "en")
    (row,) = view.table("breaches").rows  # type: ignore[union-attr]
    assert row[0] == "KPK-2026-00007" and row[1] == "<script>alert(1)</script>"
    assert row[3].utcoffset().total_seconds() == 2 * 3600 and row[3].hour == 23
    assert row[5] == "stopped"
    assert row[6:] == (Duration(12300), None, Duration(59))
    assert show(row[6], "duration", "en") == "3:25"
    assert show(row[8], "duration", "en") == "0:00"
    assert show(row[4], "datetime", "fi") == "30.11.2026 23:59"


def test_numbers_are_written_as_the_reader_writes_them() -> None:
    assert show(Decimal("88.5"), "percent", "fi") == "88,50\u00a0%"
    assert show(Decimal("88.5"), "percent", "sv") == "88,50\u00a0%"
    assert show(Decimal("88.5"), "percent", "en") == "88.50\u00a0%"
    assert show(None, "percent", "en") == "\u2013"
    assert show(12345, "int", "en") == "12,345"


def test_supplier_compliance_is_left_out_when_the_report_has_none() -> None:
    staff = build_view(report(), "Org", "en")
    contact = build_view(report(suppliers=False), "Org", "en")
    assert staff.table("suppliers") is not None
    assert staff.table("suppliers").rows[0][:2] == ("Kuntasoft Oy", "UC 2026")  # type: ignore[union-attr]
    assert contact.table("suppliers") is None


def test_no_ratings_is_said_honestly() -> None:
    view = build_view(report(), "Org", "sv")
    satisfaction = view.table("satisfaction")
    assert satisfaction is not None and satisfaction.rows == []
    assert satisfaction.empty == "Inga betyg under perioden."
    headline = {f.label: f.value for f in view.headlines}
    assert headline["Nöjdhet (1\u20135)"] == "inga betyg"


def test_ratings_give_the_average_and_the_low_ones() -> None:
    low = queries.Rated(TICKET, 1, "hidas", NOW)
    high = queries.Rated(queries.TicketRow(8, "KPK-2026-00008", "ok"), 4, None, NOW)
    view = build_view(report(ratings=[low, high]), "Org", "en")
    assert view.table("satisfaction").rows == [(2, Decimal("2.50"))]  # type: ignore[union-attr]
    (row,) = view.table("low_ratings").rows  # type: ignore[union-attr]
    assert row[:4] == ("KPK-2026-00007", "<script>alert(1)</script>", 1, "hidas")


def test_volumes_trend_and_priority_changes() -> None:
    view = build_view(report(), "Org", "en")
    assert view.table("volume_service").rows == [("no service", 1), ("M365", 12)]  # type: ignore[union-attr]
    assert view.table("volume_type").rows == [("incident", 13)]  # type: ignore[union-attr]
    assert view.table("trend").rows == [("2026-11", 10, 3, Decimal("76.92"), 13)]  # type: ignore[union-attr]
    # A kind with no clock left out is not listed.
    assert view.table("priority_change").rows == [("update", 2)]  # type: ignore[union-attr]


def test_unknown_locale_falls_back_to_finnish() -> None:
    view = build_view(report(), "Org", "de")
    assert view.locale == "fi" and view.title == "Palvelutasoraportti"


def test_periods_in_words() -> None:
    assert period_words(periods.parse("2026-11"), "fi") == "marraskuu 2026"
    assert period_words(periods.parse("2026-11"), "en") == "November 2026"
    assert period_words(periods.parse("2026-Q4"), "sv") == "2026-Q4"
    ranged = periods.parse("2026-11-01..2026-11-15")
    assert period_words(ranged, "fi") == "1.11.2026\u201315.11.2026"
    assert build_view(report(), "Org", "en").file_period == "2026-11"


def test_every_chart_names_the_table_that_holds_its_numbers() -> None:
    view = build_view(report(), "Org", "fi")
    found = view_charts(view)
    assert [c.key for c in found] == ["trend", "lines", "services"]
    for chart in found:
        assert view.table(chart.table) is not None
        assert chart.svg.startswith("<svg") and chart.data_uri.startswith("data:image/svg+xml")
    # The percent bars are written with the reader's decimal comma.
    assert "33,3 %" in found[1].svg
