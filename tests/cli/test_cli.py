"""The `servicedesk` command, run with click's CliRunner against a temporary SQLite file.

The CLI builds its own app from the environment (create_app()), so each test
points DATABASE_URL at its own file. These tests do not use the suite's shared
database, so they run the same whatever DATABASE_URL the suite was given.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from servicedesk.cli import main
from tests.conftest import valid_business_id


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = "sqlite:///" + str(tmp_path / "cli.sqlite3")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SERVICEDESK_MODE", "test")
    monkeypatch.setenv("MAIL_FILE", str(tmp_path / "mail.log"))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    return url


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def query(url: str, sql: str) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql)))
    finally:
        engine.dispose()


@pytest.fixture
def upgraded(cli_db: str) -> str:
    result = run("db", "upgrade")
    assert result.exit_code == 0, result.output
    return cli_db


@pytest.fixture
def org(upgraded: str) -> str:
    """An organisation in the CLI's database (there is no CLI command to add one)."""
    from catalog.organisations.operations import create_organisation
    from servicedesk import db
    from servicedesk.app import create_app

    app = create_app()
    business_id = valid_business_id(4242)
    with db.unit_of_work(app) as sess:
        create_organisation(
            sess,
            business_id=business_id,
            name="Oriveden kaupunki",
            kind="municipality",
            residents=9024,
        )
    db.engine_of(app).dispose()
    return business_id


def test_db_upgrade_creates_the_schema_at_head(upgraded):
    tables = {r[0] for r in query(upgraded, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"tickets", "users", "organisations", "ticket_events", "alembic_version"} <= tables
    assert run("db", "upgrade").exit_code == 0  # idempotent


def test_user_add_creates_a_user_who_can_log_in(upgraded, org):
    result = run(
        "user",
        "add",
        "Aino.Virtanen@Orivesi.example",
        "--role",
        "end_user",
        "--password",
        "Salasana-2026",
        "--org",
        org,
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("aino.virtanen@orivesi.example (end_user)")
    from servicedesk.app import create_app

    client = create_app().test_client()
    resp = client.post(
        "/api/v1/auth/tokens",
        json={"email": "aino.virtanen@orivesi.example", "password": "Salasana-2026"},
    )
    assert resp.status_code == 201


def test_user_add_makes_an_agent_of_a_provider(upgraded):
    result = run(
        "user",
        "add",
        "lauri@kpk.example",
        "--role",
        "agent",
        "--provider",
        "THH",
        "--password",
        "Salasana-2026",
    )
    assert result.exit_code == 0, result.output


def test_user_add_puts_an_agent_on_the_joint_desk(upgraded):
    args = ["user", "add", "ensi@kpk.example", "--role", "agent", "--provider", "ICT"]
    result = run(*args, "--desk", "joint", "--password", "Salasana-2026")
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("ensi@kpk.example (agent, joint desk)")
    assert query(upgraded, "SELECT desk FROM users") == [("joint",)]
    result = run(
        "user",
        "add",
        "x@kpk.example",
        "--role",
        "admin",
        "--desk",
        "joint",
        "--password",
        "Salasana-2026",
    )
    assert result.exit_code != 0
    assert "Only an agent may be on the joint desk" in result.output
    result = run(*args, "--desk", "both", "--password", "Salasana-2026")
    assert "Invalid value for '--desk'" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "superuser"], "Invalid value for '--role'"),
        (["--role", "end_user", "--org", "1234567-8"], "wrong check digit"),
        (["--role", "end_user", "--org", "12345678"], "not in the format"),
        (
            ["--role", "end_user", "--org", "0201256-6"],
            "No organisation with business ID 0201256-6",
        ),
        (["--role", "end_user"], "belongs to a customer organisation"),
        (["--role", "agent"], "works for a provider"),
        (["--role", "admin", "--password", "short"], "at least 10 characters"),
    ],
    ids=[
        "bad_role",
        "bad_check_digit",
        "bad_format",
        "unknown_org",
        "customer_without_org",
        "agent_without_provider",
        "short_password",
    ],
)
def test_user_add_refuses_bad_input_with_a_message(upgraded, args, message):
    if "--password" not in args:
        args = [*args, "--password", "Salasana-2026"]
    result = run("user", "add", "x@example.fi", *args)
    assert result.exit_code in (1, 2)
    assert message in result.output
    assert "Traceback" not in result.output
    assert query(upgraded, "SELECT count(*) FROM users") == [(0,)]


def test_user_add_refuses_a_taken_email(upgraded):
    args = ["user", "add", "sama@kpk.example", "--role", "admin", "--password", "Salasana-2026"]
    assert run(*args).exit_code == 0
    result = run(*args)
    assert result.exit_code == 1
    assert "exists already" in result.output


def test_token_create_prints_only_a_token_that_works(upgraded):
    assert (
        run(
            "user", "add", "admin@kpk.example", "--role", "admin", "--password", "Salasana-2026"
        ).exit_code
        == 0
    )
    result = run("token", "create", "ADMIN@kpk.example")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    token = lines[0]
    assert token.startswith("sdt_") and token == token.strip()
    from servicedesk.app import create_app

    client = create_app().test_client()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.get_json()["email"] == "admin@kpk.example"


def test_token_create_for_an_unknown_user_fails(upgraded):
    result = run("token", "create", "ei.ole@kpk.example")
    assert result.exit_code == 1
    assert "No active user ei.ole@kpk.example" in result.output


def test_demo_loads_a_realistic_data_set_once(cli_db, monkeypatch):
    from argon2 import PasswordHasher

    from servicedesk.users import passwords

    # the demo hashes some forty passwords: cheap parameters keep this test quick
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=64))
    result = run("demo")
    assert result.exit_code == 0, result.output
    assert "admin@kpk.example" in result.output  # the credentials are printed
    statuses = Counter(r[0] for r in query(cli_db, ("SELECT status FROM tickets")))
    assert sum(statuses.values()) >= 300
    every_but_escalation = {
        "new",
        "assigned",
        "in_progress",
        "waiting_for_customer",
        "resolved",
        "closed",
        "cancelled",
    }
    assert every_but_escalation <= set(statuses), statuses
    roles = {r[0] for r in query(cli_db, ("SELECT DISTINCT role FROM users"))}
    assert roles == {
        "end_user",
        "customer_contact",
        "agent",
        "supplier_agent",
        "account_manager",
        "admin",
    }
    providers = {r[0] for r in query(cli_db, ("SELECT DISTINCT provider FROM services"))}
    families = {r[0] for r in query(cli_db, ("SELECT DISTINCT family FROM services"))}
    kinds = {r[0] for r in query(cli_db, ("SELECT DISTINCT kind FROM organisations"))}
    assert providers == {"ICT", "THH"}
    assert families == {"expert", "application", "infrastructure"}
    assert {"municipality", "joint_authority"} <= kinds
    numbers = [r[0] for r in query(cli_db, ("SELECT number FROM tickets"))]
    assert len(set(numbers)) == len(numbers)
    # The joint first line, canned replies, and suppliers who write only to the desk.
    assert "(joint desk)" in result.output
    assert query(cli_db, "SELECT count(*) FROM users WHERE desk = 'joint'") == [(1,)]
    locales = {r[0] for r in query(cli_db, "SELECT locale FROM canned_replies")}
    assert {"fi", "en"} <= locales
    scopes = {r[0] is None for r in query(cli_db, "SELECT group_id FROM canned_replies")}
    assert scopes == {True, False}
    supplier_comments = query(
        cli_db,
        "SELECT c.escalation_id FROM ticket_comments c JOIN users u ON u.id = c.author_id "
        "WHERE u.role = 'supplier_agent'",
    )
    assert supplier_comments
    assert all(leg is not None for (leg,) in supplier_comments)
    assert query(cli_db, "SELECT count(*) FROM ticket_events WHERE kind = 'published'")[0][0]
    # History, delivered when it happened: the first run sends nothing old, and the
    # scheduler's share (breaches up to now) is in it.
    outbox = dict(query(cli_db, "SELECT status, count(*) FROM outbox GROUP BY status"))
    assert set(outbox) == {"sent"}, outbox
    kinds = {r[0] for r in query(cli_db, "SELECT DISTINCT kind FROM outbox")}
    assert {"requester", "desk", "sla_breach"} <= kinds
    assert query(cli_db, "SELECT count(*) FROM outbox WHERE sent_at > created_at") == [(0,)]

    again = run("demo")
    assert again.exit_code == 1
    assert "use --force" in again.output
    count = query(cli_db, ("SELECT count(*) FROM tickets"))[0][0]
    assert count == sum(statuses.values())


def test_demo_shows_counted_steps_and_hashes_its_one_password_once(cli_db, monkeypatch):
    from servicedesk.users import passwords

    hashed: list[str] = []
    real = passwords.hash_password
    monkeypatch.setattr(passwords, "hash_password", lambda p: hashed.append(p) or real(p))
    import servicedesk.demo

    monkeypatch.setattr(servicedesk.demo, "hash_password", passwords.hash_password)
    result = run("demo")
    assert result.exit_code == 0, result.output
    steps = [line.strip() for line in result.output.splitlines() if line.strip().startswith("[")]
    assert steps[0].startswith("[1/5] organisations")
    assert steps[-1].startswith("[5/5] tickets")
    assert len(steps) == 5
    assert "Demo data loaded in" in result.output
    assert hashed == ["Demo-salasana-2026"]
    from servicedesk.app import create_app

    client = create_app().test_client()
    for email in ("admin@kpk.example", "yhteyshenkilo@orivesi.example"):
        resp = client.post(
            "/api/v1/auth/tokens", json={"email": email, "password": "Demo-salasana-2026"}
        )
        assert resp.status_code == 201, (email, resp.get_json())


def test_version_is_printed():
    result = run("--version")
    assert result.exit_code == 0
    assert result.output.startswith("servicedesk, version ")


@pytest.mark.parametrize("email", ["not-an-address", "a@", "@kpk.example", "x y@kpk.example"])
def test_user_add_refuses_what_is_not_an_email(upgraded, email):
    result = run("user", "add", email, "--role", "admin", "--password", "Salasana-2026")
    assert result.exit_code == 1
    assert "is not an e-mail address" in result.output
    assert query(upgraded, "SELECT count(*) FROM users") == [(0,)]


def test_user_add_says_its_errors_in_sentences_not_dicts(upgraded):
    result = run("user", "add", "x@kpk.example", "--role", "end_user", "--password", "Salasana-26")
    assert result.exit_code == 1
    assert "--org: An end user belongs to a customer organisation." in result.output
    assert "{" not in result.output and "[" not in result.output


def _admin_with_token(email: str = "paa@kpk.example") -> str:
    added = run("user", "add", email, "--role", "admin", "--password", "Salasana-2026")
    assert added.exit_code == 0, added.output
    return run("token", "create", email).stdout.strip()


def _me(token: str) -> int:
    from servicedesk.app import create_app

    client = create_app().test_client()
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_user_list_shows_the_active_users_and_with_inactive_the_others(upgraded):
    _admin_with_token("eka@kpk.example")
    _admin_with_token("toka@kpk.example")
    assert run("user", "deactivate", "toka@kpk.example").exit_code == 0
    listed = run("user", "list").output
    assert "eka@kpk.example" in listed and "toka@kpk.example" not in listed
    everyone = run("user", "list", "--inactive").output
    assert "toka@kpk.example" in everyone and "(deactivated)" in everyone
    assert "eka@kpk.example" not in run("user", "list", "--role", "end_user").output


def test_user_deactivate_revokes_the_users_tokens(upgraded):
    token = _admin_with_token()
    assert _me(token) == 200
    result = run("user", "deactivate", "PAA@kpk.example")
    assert result.exit_code == 0, result.output
    assert _me(token) == 401
    assert query(upgraded, "SELECT active FROM users") == [(0,)]


def test_user_set_password_sets_a_password_that_works_and_revokes_the_old_tokens(upgraded):
    token = _admin_with_token()
    assert _me(token) == 200
    result = run("user", "set-password", "paa@kpk.example", "--password", "Uusi-salasana-2026")
    assert result.exit_code == 0, result.output
    assert _me(token) == 401
    from servicedesk.app import create_app

    client = create_app().test_client()
    resp = client.post(
        "/api/v1/auth/tokens",
        json={"email": "paa@kpk.example", "password": "Uusi-salasana-2026"},
    )
    assert resp.status_code == 201


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["user", "deactivate", "ei.ole@kpk.example"], "No user ei.ole@kpk.example."),
        (["user", "set-password", "paa@kpk.example", "--password", "lyhyt"], "at least 10"),
    ],
)
def test_user_commands_refuse_with_a_sentence(upgraded, args, message):
    _admin_with_token()
    result = run(*args)
    assert result.exit_code == 1
    assert message in result.output


def test_a_second_run_on_one_sqlite_file_does_not_start_a_second_scheduler(upgraded, tmp_path):
    """Two `servicedesk run` on one file: the second serves, but without a scheduler."""
    import os
    import socket
    import subprocess
    import sys
    import time

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "SERVICEDESK_MODE": "local", "DATABASE_URL": upgraded}
    code = "from servicedesk.cli import main; main()"
    started = []
    ports = []
    for _ in range(2):  # free ports, not fixed ones: another run may hold those
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports.append(str(probe.getsockname()[1]))
    try:
        for port in ports:
            log = open(tmp_path / f"run-{port}.log", "w")  # noqa: SIM115  (closed at the end)
            started.append(
                (
                    log,
                    subprocess.Popen(  # noqa: S603  (our own command)
                        [sys.executable, "-c", code, "run", "--no-demo", "--port", port],
                        cwd=root,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    ),
                )
            )
            deadline = time.monotonic() + 60
            while "KPK Service Desk on" not in (tmp_path / f"run-{port}.log").read_text():
                assert time.monotonic() < deadline, (tmp_path / f"run-{port}.log").read_text()
                time.sleep(0.2)
        # Each says which it is once it has tried the lock: wait for both (a loaded machine
        # can take seconds), then check that the second did not start a scheduler too.
        expected = {
            ports[0]: "Scheduler running in this process",
            ports[1]: "Another process runs the scheduler of this database",
        }
        deadline = time.monotonic() + 60
        for port, line in expected.items():
            while line not in (tmp_path / f"run-{port}.log").read_text():
                assert time.monotonic() < deadline, (tmp_path / f"run-{port}.log").read_text()
                time.sleep(0.2)
        second = (tmp_path / f"run-{ports[1]}.log").read_text()
        assert "Scheduler running" not in second
    finally:
        for log, proc in started:
            proc.terminate()
            proc.wait(timeout=10)
            log.close()
