"""`servicedesk report monthly`: progress on stderr, a summary on stdout, --dry-run writes
nothing, --organisation sends one, a bad month is a usage error (exit 2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from servicedesk import cli
from servicedesk.db import frozen_now
from servicedesk.reports import cli as report_cli
from tests.reports.monthly_world import MonthlyWorld, build_world, deliveries, monthly_rows

HKI = ZoneInfo("Europe/Helsinki")
#: Any day after November: the command is not bound to the first business day.
NOW = datetime(2026, 12, 9, 14, 0, tzinfo=HKI)


@pytest.fixture
def monthly(app: Any, make: Any, world: Any, client: Any, monkeypatch: Any) -> MonthlyWorld:
    monkeypatch.setattr(report_cli, "_app", lambda: app)
    return build_world(make, world, client)


def run(*args: str) -> Any:
    with frozen_now(NOW):
        return CliRunner().invoke(cli.main, ["report", "monthly", *args])


def test_the_command_shows_progress_and_a_summary_and_a_second_run_sends_nothing(app, monthly):
    result = run("--month", "2026-11")
    assert result.exit_code == 0, result.output
    progress = result.stderr.splitlines()
    # One line per organisation with an agreement in force in November, in id order.
    assert progress == [
        "1/4 Raaseporin kaupunki: delivered to 3 recipient(s)",
        "2/4 Oriveden kaupunki: delivered to 2 recipient(s)",
        "3/4 Kukaan ei lue: no recipients (no active account manager or customer contact)",
        "4/4 Uusi asiakas: delivered to 1 recipient(s)",
    ]
    assert result.stdout == (
        "Monthly reports 2026-11: 3 delivered (6 mail(s)), 0 already delivered earlier, "
        "1 without recipients, 0 failed.\n"
    )
    assert deliveries(app) == {monthly.a.id: 3, monthly.b.id: 2, monthly.f.id: 1}

    again = run("--month", "2026-11")
    assert again.exit_code == 0, again.output
    assert again.stderr.splitlines()[0] == "1/4 Raaseporin kaupunki: already delivered earlier"
    assert again.stdout == (
        "Monthly reports 2026-11: 0 delivered (0 mail(s)), 3 already delivered earlier, "
        "1 without recipients, 0 failed.\n"
    )
    assert monthly_rows(app) == 6


def test_a_dry_run_says_what_would_go_out_and_writes_nothing(app, monthly):
    result = run("--month", "2026-11", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "1/4 Raaseporin kaupunki: would be delivered to 3 recipient(s)" in result.stderr
    assert result.stdout == (
        "Monthly reports 2026-11 (dry run, nothing written): 3 would be delivered "
        "(6 mail(s)), 0 already delivered earlier, 1 without recipients.\n"
    )
    assert deliveries(app) == {}
    assert monthly_rows(app) == 0


def test_one_organisation_only(app, monthly):
    result = run("--month", "2026-11", "--organisation", str(monthly.b.id))
    assert result.exit_code == 0, result.output
    assert result.stderr == "1/1 Oriveden kaupunki: delivered to 2 recipient(s)\n"
    assert deliveries(app) == {monthly.b.id: 2}
    # The scheduler's run later sends the others, and B not again.
    rest = run("--month", "2026-11")
    assert "2/4 Oriveden kaupunki: already delivered earlier" in rest.stderr
    assert deliveries(app) == {monthly.a.id: 3, monthly.b.id: 2, monthly.f.id: 1}


def test_a_failed_organisation_is_said_and_the_exit_code_is_one(app, monthly, monkeypatch):
    from servicedesk.reports import exports

    def broken(*args: Any) -> bytes:
        raise RuntimeError("no fonts")

    monkeypatch.setattr(exports, "report_pdf", broken)
    result = run("--month", "2026-11", "--organisation", str(monthly.a.id))
    assert result.exit_code == 1
    assert result.stderr == "1/1 Raaseporin kaupunki: FAILED: RuntimeError: no fonts\n"
    assert "0 delivered (0 mail(s))" in result.stdout and "1 failed." in result.stdout
    assert deliveries(app) == {}
    assert monthly_rows(app) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2026-13"], "no such month"),
        (["--month", "11-2026"], "is not a month: use YYYY-MM"),
        (["--month", "2026-Q4"], "is not a month: use YYYY-MM"),
        (["--month", "2026-1"], "is not a month: use YYYY-MM"),
        (["--month", "1999-12"], "year"),
        (["--month", "2026-12"], "2026-12 has not ended yet"),
        ([], "Missing option '--month'"),
        (["--month", "2026-11", "--organisation", "0"], "--organisation"),
        (["--month", "2026-11", "--organisation", "x"], "--organisation"),
    ],
)
def test_a_bad_month_or_organisation_is_a_usage_error(app, monthly, args, message):
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert monthly_rows(app) == 0


def test_an_organisation_without_a_report_is_a_usage_error(app, monthly):
    for org, why in (
        (monthly.c.id, "had no agreement in force in 2026-11"),
        (monthly.e.id, "had no agreement in force in 2026-11"),
        (987654, "there is no organisation 987654"),
    ):
        result = run("--month", "2026-11", "--organisation", str(org))
        assert result.exit_code == 2, result.output
        assert why in result.stderr
    assert deliveries(app) == {}
