"""Nothing is lost: crashes, floods and refusals end in quarantine with the raw mail kept;
admins list it (API, CLI) and re-process it, e.g. after adding the sender as a user."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from servicedesk.cli import main
from servicedesk.mail import intake
from tests.api.helpers import assert_error
from tests.mail.conftest import MailWorld

WORKTREE = Path(__file__).resolve().parents[2]


def admin_headers(mailworld: MailWorld, make: Any) -> dict[str, str]:
    return make.auth(make.user("admin"))


def test_a_crash_while_placing_leaves_the_mail_quarantined_with_its_bytes(
    mailworld: MailWorld, monkeypatch
):
    def broken(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("a bug in placing")

    raw = mailworld.eml("apple_mail_new.eml")
    with monkeypatch.context() as m:
        m.setattr(intake, "_place", broken)
        mailworld.mail_in(raw)
    row = mailworld.last()
    assert (row.outcome, row.ticket_id, row.raw) == ("quarantined", None, raw)
    assert row.reason == "error: RuntimeError: a bug in placing"
    assert len(mailworld.tickets()) == 1

    # Fixed: the admin re-processes it from the CLI and the ticket is filed once.
    result = CliRunner().invoke(main, ["mail", "reprocess", str(row.id)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "ticket" in result.output
    again = mailworld.last()
    assert (again.id, again.outcome, again.attempts) == (row.id, "ticket", 2)
    assert len(mailworld.tickets()) == 2


def test_a_crash_half_way_through_a_ticket_writes_nothing_of_it(mailworld: MailWorld, monkeypatch):
    """The savepoint takes back the ticket that was written before the failure."""
    from servicedesk.attachments import storage

    def full(*_a: Any, **_k: Any) -> None:
        raise OSError("disk full")

    with monkeypatch.context() as m:
        m.setattr(intake, "add_attachment", full)
        mailworld.mail_in(mailworld.eml("apple_mail_new.eml"))
    assert storage.store is not full
    row = mailworld.last()
    assert row.outcome == "quarantined" and row.reason == "error: OSError: disk full"
    assert len(mailworld.tickets()) == 1


def test_a_flood_from_one_sender_goes_to_quarantine(mailworld: MailWorld, app, monkeypatch):
    monkeypatch.setitem(
        app.config, "SETTINGS", dataclasses.replace(app.config["SETTINGS"], mail_in_rate_per_hour=3)
    )
    raw = mailworld.eml("rfc2047_subject.eml")
    for n in range(5):
        mailworld.mail_in(raw.replace(b"20261130091500.1234@", f"flood.{n}@".encode()))
    outcomes = [r.outcome for r in mailworld.rows()]
    assert outcomes == ["ticket", "ticket", "ticket", "quarantined", "quarantined"]
    assert mailworld.last().reason.startswith("rate_limited")
    assert mailworld.outbox() == []


def test_racing_deliveries_of_one_message_make_one_ticket(mailworld: MailWorld):
    raw = mailworld.eml("rfc2047_subject.eml")
    results: list[Any] = []
    barrier = threading.Barrier(4)

    def deliver() -> None:
        barrier.wait()
        results.append(intake.receive(mailworld.app, raw, "pipe"))

    workers = [threading.Thread(target=deliver) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(r.duplicate for r in results) == [False, True, True, True]
    assert len(mailworld.rows()) == 1
    assert len(mailworld.tickets()) == 2


def test_an_unreachable_database_is_exit_75_so_the_mta_retries(tmp_path):
    env = {
        **os.environ,
        "SERVICEDESK_MODE": "test",
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/nowhere",
        "PYTHONPATH": str(WORKTREE),
    }
    raw = (Path(__file__).parent / "corpus" / "unknown_sender.eml").read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "servicedesk.cli", "mail-in"],
        input=raw,
        capture_output=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 75, done.stderr
    assert b"try again later" in done.stderr


def test_an_empty_stdin_is_a_data_error(mailworld: MailWorld):
    result = CliRunner().invoke(main, ["mail-in"], input=b"\n")
    assert result.exit_code == 65
    assert mailworld.rows() == []


def test_admins_list_the_quarantine_and_reprocess_after_adding_the_sender(
    mailworld: MailWorld, make, client, dbs
):
    from servicedesk.users.operations import create_user

    mailworld.mail_in(mailworld.eml("unknown_sender.eml"))
    mailworld.mail_in(mailworld.eml("bounce_dsn.eml"))
    headers = admin_headers(mailworld, make)

    listed = client.get("/api/v1/admin/inbound-mail?outcome=quarantined", headers=headers)
    assert listed.status_code == 200
    (bounce,) = listed.get_json()["items"]
    assert bounce["sender"] == "mailer-daemon@mx.kpk.example" and bounce["outcome"] == "quarantined"
    assert bounce["reason"].startswith("bounce") and bounce["size"] > 0
    everything = client.get("/api/v1/admin/inbound-mail", headers=headers).get_json()["items"]
    assert [m["outcome"] for m in everything] == ["quarantined", "auto_answer"]  # newest first
    refused = everything[1]

    # The customer contact asks the desk to add Ville; the admin re-processes his mail.
    create_user(
        dbs,
        email="ville@gmail.example",
        name="Ville",
        role="end_user",
        organisation_id=mailworld.requester.organisation_id,
    )
    dbs.commit()
    done = client.post(f"/api/v1/admin/inbound-mail/{refused['id']}/reprocess", headers=headers)
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert (body["outcome"], body["attempts"]) == ("ticket", 2)
    ticket = mailworld.ticket(body["ticket_id"])
    assert ticket.title == "Salasana unohtui" and ticket.channel == "email"

    # Placed for good: a second re-process is refused and changes nothing.
    again = client.post(f"/api/v1/admin/inbound-mail/{refused['id']}/reprocess", headers=headers)
    assert_error(again, 409, "already_placed")
    assert len(mailworld.tickets()) == 2


def test_only_admins_read_incoming_mail(mailworld: MailWorld, make, client):
    mailworld.mail_in(mailworld.eml("bounce_dsn.eml"))
    row = mailworld.last()
    for user in (mailworld.agent, mailworld.requester, mailworld.contact):
        headers = make.auth(user)
        assert_error(client.get("/api/v1/admin/inbound-mail", headers=headers), 403)
        assert_error(client.get(f"/api/v1/admin/inbound-mail/{row.id}", headers=headers), 403)
        assert_error(
            client.post(f"/api/v1/admin/inbound-mail/{row.id}/reprocess", headers=headers), 403
        )
    headers = admin_headers(mailworld, make)
    assert client.get(f"/api/v1/admin/inbound-mail/{row.id}", headers=headers).status_code == 200
    assert_error(client.get("/api/v1/admin/inbound-mail/999999", headers=headers), 404)
    assert_error(client.get("/api/v1/admin/inbound-mail?outcome=lost", headers=headers), 422)


def test_the_cli_lists_shows_and_writes_the_raw_mail(mailworld: MailWorld):
    raw = mailworld.eml("bounce_dsn.eml")
    mailworld.mail_in(mailworld.eml("gmail_reply.eml"))
    mailworld.mail_in(raw)
    row = mailworld.last()
    runner = CliRunner()
    listed = runner.invoke(main, ["mail", "quarantine"], catch_exceptions=False)
    assert listed.exit_code == 0
    assert "mailer-daemon@mx.kpk.example" in listed.output
    assert "1 quarantined message(s)" in listed.output
    shown = runner.invoke(main, ["mail", "show", str(row.id)], catch_exceptions=False)
    assert "reason: bounce" in shown.output and "User unknown" in shown.output
    dumped = runner.invoke(main, ["mail", "show", "--raw", str(row.id)], catch_exceptions=False)
    assert dumped.stdout_bytes == raw
    missing = runner.invoke(main, ["mail", "reprocess", "999999"])
    assert missing.exit_code == 1 and "No incoming mail 999999" in missing.output
    comment = mailworld.rows()[0]
    placed = runner.invoke(main, ["mail", "reprocess", str(comment.id)])
    assert placed.exit_code == 1 and "placed already" in placed.output
    assert len(mailworld.comments()) == 1


def test_control_characters_in_headers_and_body_are_filed_without_them(mailworld: MailWorld):
    """PostgreSQL refuses a NUL in text: the mail must still make its ticket there."""
    raw = (
        b"From: =?utf-8?Q?Maija=00_Virtanen?= <maija.virtanen@orivesi.example>\n"
        b"To: palvelupiste@kpk.example\n"
        b"Subject: =?utf-8?Q?Nolla=00tavu_ja_=1B[31mv=C3=A4ri?=\n"
        b"Message-ID: <nul\x00byte@orivesi.example>\n"
        b"Content-Type: text/plain; charset=utf-8\n\nTeksti\x00 jossa nolla.\n"
    )
    mailworld.mail_in(raw)
    row = mailworld.last()
    assert row.outcome == "ticket", row.reason
    assert row.message_id is None and row.dedup_key.startswith("sha256:")
    ticket = mailworld.ticket(row.ticket_id)
    assert ticket.title == "Nolla tavu ja [31mväri"
    assert ticket.description == "Teksti jossa nolla."


def test_a_failure_before_the_mail_is_stored_is_exit_75(mailworld: MailWorld, monkeypatch):
    def broken(*_a: Any, **_k: Any) -> None:
        raise ValueError("a bug before storing")

    monkeypatch.setattr(intake, "store", broken)
    result = CliRunner().invoke(main, ["mail-in"], input=mailworld.eml("unknown_sender.eml"))
    assert result.exit_code == 75
    assert "not stored, try again later: ValueError" in result.output
