"""The IMAP poller against a real Dovecot (started by .ci/run, or `.ci/dovecot start DIR`).

Each test works in a mailbox folder of its own, so parallel workers never see each
other's mail. Without IMAP_TEST_HOST the tests skip, unless REQUIRE_IMAP=1 (CI) makes
that a failure.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from imapclient import IMAPClient
from sqlalchemy.exc import OperationalError

from servicedesk.cli import main
from servicedesk.mail import imap
from sla.scheduler import JOBS, build_scheduler, run_all_once
from tests.mail.conftest import MailWorld


@pytest.fixture
def mailbox(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[IMAPClient, Any]]:
    """A fresh folder on the test server, and the app's settings pointed at it."""
    host = os.environ.get("IMAP_TEST_HOST")
    if not host:
        if os.environ.get("REQUIRE_IMAP") == "1":
            pytest.fail("REQUIRE_IMAP=1 but IMAP_TEST_HOST is not set (see .ci/dovecot)")
        pytest.skip("no IMAP test server: run `.ci/dovecot start DIR` and export its settings")
    port = int(os.environ.get("IMAP_TEST_PORT", "143"))
    user, password = os.environ["IMAP_TEST_USER"], os.environ["IMAP_TEST_PASSWORD"]
    folder = f"test-{uuid.uuid4().hex[:12]}"
    client = IMAPClient(host, port=port, ssl=False, timeout=30)
    client.login(user, password)
    client.create_folder(folder)
    settings = dataclasses.replace(
        app.config["SETTINGS"],
        imap_host=host,
        imap_port=port,
        imap_user=user,
        imap_password=password,
        imap_ssl=False,
        imap_folder=folder,
    )
    monkeypatch.setitem(app.config, "SETTINGS", settings)
    yield client, settings
    try:
        client.delete_folder(folder)
    finally:
        client.logout()


def deliver(client: IMAPClient, folder: str, raw: bytes) -> None:
    client.append(folder, raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))


def unseen(client: IMAPClient, folder: str) -> list[int]:
    client.select_folder(folder, readonly=True)
    return list(client.search(["UNSEEN"]))


SUBSET = {
    "gmail_reply.eml": "comment",
    "apple_mail_new.eml": "ticket",
    "out_of_office.eml": "ignored",
    "unknown_sender.eml": "auto_answer",
    "bounce_dsn.eml": "quarantined",
    "truncated.eml": "ticket",
}


def test_a_poll_places_each_message_and_marks_it_seen(mailworld: MailWorld, mailbox):
    client, settings = mailbox
    for name in SUBSET:
        deliver(client, settings.imap_folder, mailworld.eml(name))
    assert len(unseen(client, settings.imap_folder)) == len(SUBSET)

    report = imap.poll(mailworld.app, settings)

    assert report.fetched == len(SUBSET) and report.left_unseen == 0
    rows = mailworld.rows()
    assert [r.outcome for r in rows] == list(SUBSET.values())
    assert {r.source for r in rows} == {"imap"}
    assert unseen(client, settings.imap_folder) == []
    with_attachments = mailworld.ticket(rows[1].ticket_id)
    assert with_attachments.channel == "email"
    assert len(mailworld.comments()) == 1
    # The next poll finds nothing new.
    assert imap.poll(mailworld.app, settings).fetched == 0
    assert len(mailworld.rows()) == len(SUBSET)


def test_a_message_piped_and_then_fetched_again_is_one_ticket(mailworld: MailWorld, mailbox):
    client, settings = mailbox
    raw = mailworld.eml("rfc2047_subject.eml")
    mailworld.mail_in(raw)
    deliver(client, settings.imap_folder, raw)
    # A message fetched but not flagged (a poll that died) comes back: still one ticket.
    deliver(client, settings.imap_folder, raw)

    report = imap.poll(mailworld.app, settings)

    assert [r.duplicate for r in report.results] == [True, True]
    assert len(mailworld.rows()) == 1
    assert len(mailworld.tickets()) == 2  # the world's and this one
    assert unseen(client, settings.imap_folder) == []


def test_a_database_outage_leaves_the_message_unseen_for_the_next_poll(
    mailworld: MailWorld, mailbox, monkeypatch
):
    client, settings = mailbox
    deliver(client, settings.imap_folder, mailworld.eml("apple_mail_new.eml"))

    def down(*_a: Any, **_k: Any) -> None:
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    with monkeypatch.context() as m:
        m.setattr(imap, "receive", down)
        report = imap.poll(mailworld.app, settings)
    assert (report.fetched, report.left_unseen) == (1, 1)
    assert len(unseen(client, settings.imap_folder)) == 1
    assert mailworld.rows() == []

    assert imap.poll(mailworld.app, settings).results[0].outcome == "ticket"
    assert unseen(client, settings.imap_folder) == []


def test_the_scheduler_polls_when_imap_host_is_set(mailworld: MailWorld, mailbox):
    client, settings = mailbox
    deliver(client, settings.imap_folder, mailworld.eml("gmail_reply.eml"))
    scheduler = build_scheduler(mailworld.app, blocking=False)
    assert "imap-poll" in {job.id for job in scheduler.get_jobs()}

    outcomes = run_all_once(mailworld.app, [s for s in JOBS if s.id == "imap-poll"])

    assert outcomes == {"imap-poll": "ran"}
    assert mailworld.last().outcome == "comment"


def test_servicedesk_mail_poll_polls_once(mailworld: MailWorld, mailbox):
    client, settings = mailbox
    deliver(client, settings.imap_folder, mailworld.eml("unknown_sender.eml"))
    result = CliRunner().invoke(main, ["mail", "poll"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "auto_answer" in result.output and "1 message(s) fetched" in result.output


def test_a_wrong_password_is_one_line_not_a_traceback(
    mailworld: MailWorld, mailbox, app, monkeypatch
):
    _client, settings = mailbox
    monkeypatch.setitem(
        app.config, "SETTINGS", dataclasses.replace(settings, imap_password="wrong-password")
    )
    result = CliRunner().invoke(main, ["mail", "poll"])
    assert result.exit_code == 1
    assert "Error: IMAP 127.0.0.1" in result.output and "Traceback" not in result.output
    assert mailworld.rows() == []
