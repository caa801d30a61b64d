"""Production mode refuses what is only safe locally, and says why in one line.

The CLI and `wsgi.py` build the app from the environment, so each test sets it; none
of them needs the suite's database.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from servicedesk.cli import main

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "k" * 48
#: A PostgreSQL URL nobody listens on: the refusals must come before any connection.
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/servicedesk_nowhere"


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SERVICEDESK_MODE", "production")
    monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
    monkeypatch.setenv("DATABASE_URL", UNREACHABLE)
    monkeypatch.setenv("MAIL_FILE", str(tmp_path / "mail.log"))


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def one_line_error(result: Any) -> str:
    """The error as the operator sees it: a non-zero exit, one line, no traceback."""
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_run_in_production_refuses_the_development_server(production):
    line = one_line_error(run("run"))
    assert "gunicorn wsgi:app" in line


def test_demo_in_production_refuses_without_i_know(production):
    line = one_line_error(run("demo"))
    assert "--i-know" in line and "passwords are published" in line


def test_production_refuses_a_sqlite_url(production, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/prod.sqlite3")
    line = one_line_error(run("db", "upgrade"))
    assert "PostgreSQL" in line and "not SQLite" in line
    assert not (tmp_path / "prod.sqlite3").exists()


@pytest.mark.parametrize("key", ["", "short", "changeme"])
def test_production_refuses_a_missing_or_short_secret_key_in_one_line(production, monkeypatch, key):
    monkeypatch.setenv("SECRET_KEY", key)
    assert "SECRET_KEY" in one_line_error(run("db", "upgrade"))


def test_a_database_that_is_down_is_one_line(production):
    line = one_line_error(run("db", "upgrade"))
    assert line.startswith("Error: Cannot start: the database cannot be reached")


def test_a_missing_driver_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("SERVICEDESK_MODE", "test")
    monkeypatch.setenv("DATABASE_URL", "mysql://desk@127.0.0.1/servicedesk")
    line = one_line_error(run("db", "upgrade"))
    assert "the database driver is missing" in line


def test_a_url_that_is_no_url_is_one_line(monkeypatch):
    monkeypatch.setenv("SERVICEDESK_MODE", "test")
    monkeypatch.setenv("DATABASE_URL", "servicedesk.sqlite3")
    assert "DATABASE_URL is not a database URL" in one_line_error(run("db", "upgrade"))


def test_gunicorns_entry_point_says_one_line_and_stops_the_master(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "SERVICEDESK_MODE": "production",
        "SECRET_KEY": STRONG_KEY,
        "DATABASE_URL": UNREACHABLE,
        "MAIL_FILE": str(tmp_path / "mail.log"),
    }
    done = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3  # gunicorn's "worker failed to boot": the master halts
    assert done.stderr.strip().splitlines() == [
        line for line in done.stderr.strip().splitlines() if line.startswith("Cannot start:")
    ]
    assert "Traceback" not in done.stderr
