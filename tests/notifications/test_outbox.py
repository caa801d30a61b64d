"""The outbox: enqueue in the caller's transaction, idempotent; the sender's protocol."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from email import message_from_string, policy
from email.message import EmailMessage

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select, update

from servicedesk import cli, db
from servicedesk.config import ConfigError, load_settings
from servicedesk.db import frozen_now
from servicedesk.notifications.models import OutboxMessage
from servicedesk.notifications.operations import enqueue, mark_sent, requeue
from servicedesk.notifications.queries import status_counts
from servicedesk.notifications.sender import (
    MAX_ATTEMPTS,
    DeliveryError,
    FileTransport,
    LogTransport,
    SmtpTransport,
    TransportUnavailable,
    backoff,
    build_email,
    send_pending,
    transport_from_settings,
)
from tests.notifications.conftest import FakeTransport

#: The sender's "now": after the messages the fixtures enqueue at the real now (a fixed past
#: instant made these tests fail once the wall clock passed it).
T0 = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)


def rows(app: Flask) -> list[OutboxMessage]:
    with db.unit_of_work(app) as sess:
        return list(sess.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def row(app: Flask, id_: int) -> OutboxMessage:
    with db.unit_of_work(app) as sess:
        found = sess.get(OutboxMessage, id_)
        assert found is not None
        return found


# --- enqueue ---------------------------------------------------------------------------------


def test_enqueue_adds_a_pending_message_in_the_callers_transaction_only(app):
    with db.new_session(app) as sess:
        message = enqueue(
            sess,
            kind="ticket_update",
            recipient="agent@kunta.fi",
            subject="Hei",
            body="Tiketti päivittyi.",
        )
        assert message is not None and message.id is not None  # flushed
        assert message.status == "pending" and message.attempts == 0
        assert message.next_attempt_at == message.created_at
        sess.rollback()  # the caller's change failed: its mail goes with it
    assert rows(app) == []


def test_enqueue_with_the_same_dedup_key_twice_keeps_one_row_and_the_transaction(app, make):
    org = make.org()
    with db.unit_of_work(app) as sess:
        first = enqueue(
            sess,
            kind="sla_warning",
            recipient="agent@kunta.fi",
            subject="Varoitus",
            body="1",
            dedup_key="sla_warning:clock:17:agent@kunta.fi",
        )
        second = enqueue(
            sess,
            kind="sla_warning",
            recipient="agent@kunta.fi",
            subject="Varoitus",
            body="2",
            dedup_key="sla_warning:clock:17:agent@kunta.fi",
        )
        assert first is not None and second is None
        org.residents = 4321  # the caller's own work goes on after the duplicate
        sess.merge(org)
    with db.unit_of_work(app) as sess:
        third = enqueue(
            sess,
            kind="sla_warning",
            recipient="agent@kunta.fi",
            subject="Varoitus",
            body="3",
            dedup_key="sla_warning:clock:17:agent@kunta.fi",
        )
        assert third is None
    assert [m.body for m in rows(app)] == ["1"]
    with db.unit_of_work(app) as sess:
        assert sess.get(type(org), org.id).residents == 4321


def test_messages_without_a_dedup_key_are_never_deduplicated(app):
    with db.unit_of_work(app) as sess:
        for _ in range(2):
            enqueue(sess, kind="ticket_update", recipient="a@kunta.fi", subject="S", body="B")
    assert len(rows(app)) == 2


def test_racing_transactions_enqueueing_the_same_key_get_one_row(app):
    barrier = threading.Barrier(4)
    results: list[bool] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            with db.unit_of_work(app) as sess:
                message = enqueue(
                    sess,
                    kind="sla_breach",
                    recipient="am@kpk.fi",
                    subject="Rike",
                    body="x",
                    dedup_key="sla_breach:clock:3:am@kpk.fi",
                )
                results.append(message is not None)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sorted(results) == [False, False, False, True]
    assert len(rows(app)) == 1


def test_enqueue_flattens_line_breaks_in_the_subject_and_refuses_a_non_address(app):
    with db.unit_of_work(app) as sess:
        message = enqueue(
            sess,
            kind="ticket_update",
            recipient=" a@kunta.fi ",
            subject="Rivi 1\r\nBcc: kaikki@kunta.fi",
            body="B",
        )
        assert message is not None
        assert message.subject == "Rivi 1 Bcc: kaikki@kunta.fi"
        assert message.recipient == "a@kunta.fi"
        with pytest.raises(ValueError, match="e-mail"):
            enqueue(sess, kind="ticket_update", recipient="nobody", subject="S", body="B")


def test_a_message_may_name_its_ticket(app, client, make, desk):
    from tests.api.helpers import file_ticket

    ticket = file_ticket(client, make.auth(desk["requester"]), service_id=desk["service"].id)
    ticket_id = ticket.get_json()["id"]
    with db.unit_of_work(app) as sess:
        enqueue(
            sess,
            kind="ticket_update",
            recipient="a@kunta.fi",
            subject="S",
            body="B",
            ticket_id=ticket_id,
        )
    transport = FakeTransport()
    # + the ticket's own mails: the acknowledgement and the group's new-ticket mail
    assert send_pending(app, transport) == 3
    (mine,) = [m for m in transport.sent if m["Subject"] == "S"]
    assert mine["X-KPK-Ticket-Id"] == str(ticket_id)
    assert {m["X-KPK-Ticket-Id"] for m in transport.sent} == {str(ticket_id)}


# --- sending ---------------------------------------------------------------------------------


def test_the_sender_delivers_each_pending_message_and_marks_it_sent(app, pending):
    ids = pending(3)
    transport = FakeTransport()
    with frozen_now(T0):
        assert send_pending(app, transport) == 3
    assert [m["To"] for m in transport.sent] == [
        "agent0@kunta.fi",
        "agent1@kunta.fi",
        "agent2@kunta.fi",
    ]
    for id_ in ids:
        sent = row(app, id_)
        assert (sent.status, sent.sent_at, sent.attempts, sent.last_error) == ("sent", T0, 0, None)
        assert sent.claimed_by  # who sent it stays on record
    assert send_pending(app, transport) == 0
    assert len(transport.sent) == 3
    assert transport.closed == 2


def test_the_sender_also_works_from_an_engine_or_a_sessionmaker(app, pending):
    pending(2)
    transport = FakeTransport()
    assert send_pending(db.engine_of(app), transport, limit=1) == 1
    assert send_pending(app.extensions["db_sessionmaker"], transport) == 1


def test_the_sender_takes_the_oldest_due_messages_up_to_its_limit(app, pending):
    with frozen_now(T0):
        later = pending(1, subject="myöhemmin")
    with frozen_now(T0 - timedelta(minutes=5)):
        first = pending(2, subject="ensin")
    with frozen_now(T0 + timedelta(hours=1)):
        not_yet = pending(1, subject="tulevaisuudessa")
    transport = FakeTransport()
    with frozen_now(T0):
        assert send_pending(app, transport, limit=2) == 2
        assert send_pending(app, transport, limit=2) == 1
        assert send_pending(app, transport, limit=2) == 0
    assert [m["Subject"] for m in transport.sent] == ["ensin", "ensin", "myöhemmin"]
    assert row(app, later[0]).status == "sent"
    assert {row(app, i).status for i in first} == {"sent"}
    assert row(app, not_yet[0]).status == "pending"


def test_a_failed_send_backs_off_exponentially_and_fails_after_five_attempts(app, pending):
    (id_,) = pending(1)
    transport = FakeTransport(fail=lambda m: DeliveryError("451 try again later"))
    now = T0
    for attempt in range(1, MAX_ATTEMPTS):
        with frozen_now(now):
            assert send_pending(app, transport) == 0
        failed = row(app, id_)
        assert failed.status == "pending"
        assert failed.attempts == attempt
        assert failed.last_error == "451 try again later"
        assert failed.next_attempt_at == now + backoff(attempt)
        assert failed.claimed_by is None
        with frozen_now(failed.next_attempt_at - timedelta(seconds=1)):
            assert send_pending(app, transport) == 0  # not before its time
        now = failed.next_attempt_at
    assert len(transport.tried) == MAX_ATTEMPTS - 1
    with frozen_now(now):
        send_pending(app, transport)
    given_up = row(app, id_)
    assert (given_up.status, given_up.attempts) == ("failed", MAX_ATTEMPTS)
    with frozen_now(now + timedelta(days=30)):
        assert send_pending(app, transport) == 0
    assert len(transport.tried) == MAX_ATTEMPTS


def test_the_backoff_is_one_four_sixteen_sixty_four_minutes():
    assert [backoff(n) for n in range(1, 5)] == [timedelta(minutes=m) for m in (1, 4, 16, 64)]


def test_a_permanent_refusal_fails_at_once_and_the_batch_goes_on(app, pending):
    ids = pending(3)
    transport = FakeTransport(
        fail=lambda m: (
            DeliveryError("550 no such user", permanent=True)
            if m["To"] == "agent1@kunta.fi"
            else None
        )
    )
    assert send_pending(app, transport) == 2
    assert [row(app, i).status for i in ids] == ["sent", "failed", "sent"]
    assert row(app, ids[1]).attempts == 1


def test_an_unavailable_transport_stops_the_batch_and_releases_the_untried(app, pending):
    ids = pending(4)
    transport = FakeTransport(fail=lambda m: TransportUnavailable("connection refused"))
    with frozen_now(T0):
        assert send_pending(app, transport) == 0
    assert len(transport.tried) == 1
    tried, *released = (row(app, i) for i in ids)
    assert (tried.status, tried.attempts, tried.next_attempt_at) == ("pending", 1, T0 + backoff(1))
    for message in released:
        assert (message.status, message.attempts, message.claimed_by) == ("pending", 0, None)
        assert message.next_attempt_at <= T0


def test_an_unexpected_transport_fault_counts_as_a_failed_attempt(app, pending):
    ids = pending(2)
    transport = FakeTransport(
        fail=lambda m: RuntimeError("bug") if m["To"] == "agent0@kunta.fi" else None
    )
    assert send_pending(app, transport) == 1
    assert [(row(app, i).status, row(app, i).attempts) for i in ids] == [
        ("pending", 1),
        ("sent", 0),
    ]
    assert row(app, ids[0]).last_error == "RuntimeError: bug"


def test_the_time_budget_leaves_the_rest_pending_for_the_next_run(app, pending):
    ids = pending(3)
    transport = FakeTransport()
    assert send_pending(app, transport, time_budget=0) == 0
    assert [row(app, i).status for i in ids] == ["pending"] * 3
    assert send_pending(app, transport) == 3


def test_a_stale_sending_message_is_reported_and_never_resent_blindly(app, pending, caplog):
    stale, fresh = pending(2)
    with db.unit_of_work(app) as sess:
        sess.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == stale)
            .values(
                status="sending", claimed_at=T0 - timedelta(minutes=20), claimed_by="host:1:dead"
            )
        )
        sess.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == fresh)
            .values(
                status="sending", claimed_at=T0 - timedelta(minutes=1), claimed_by="host:2:busy"
            )
        )
    transport = FakeTransport()
    with frozen_now(T0), caplog.at_level(logging.WARNING):
        assert send_pending(app, transport) == 0
    assert transport.tried == []
    assert row(app, stale).status == "sending" and row(app, fresh).status == "sending"
    reports = [r.getMessage() for r in caplog.records if "stuck in 'sending'" in r.getMessage()]
    assert len(reports) == 1
    assert f"#{stale} <outbox-{stale}." in reports[0] and "host:1:dead" in reports[0]
    assert f"#{fresh} " not in reports[0]


def test_an_operator_requeues_or_marks_sent_a_stuck_message(app, pending):
    resend, went_out, waiting = pending(3)
    with db.unit_of_work(app) as sess:
        sess.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([resend, went_out]))
            .values(status="sending", claimed_at=T0, claimed_by="host:1:dead")
        )
        assert requeue(sess, [resend, waiting]) == 1  # a pending one is left alone
        assert mark_sent(sess, [went_out]) == 1
    assert send_pending(app, FakeTransport()) == 2  # resend and waiting
    with db.unit_of_work(app) as sess:
        assert status_counts(sess) == {"pending": 0, "sending": 0, "sent": 3, "failed": 0}


# --- the e-mail and the transports --------------------------------------------------------------


def test_the_email_is_utf8_with_a_stable_message_id_and_marked_automatic(app, pending):
    (id_,) = pending(1, subject="Määräaika lähestyy: Åbo", body="Hyvä käyttäjä,\nväliaikainen.\n")
    message = row(app, id_)
    email = build_email(message, "palvelupiste@kpk.example")
    again = build_email(message, "palvelupiste@kpk.example")
    assert email["Message-ID"] == again["Message-ID"]
    assert email["Message-ID"].startswith(f"<outbox-{id_}.")
    assert email["Message-ID"].endswith("@kpk.example>")
    assert email["Auto-Submitted"] == "auto-generated"
    assert email["X-KPK-Outbox-Kind"] == "ticket_update"
    wire = email.as_string()
    assert wire.isascii()  # RFC 2047 headers, quoted-printable body: any relay takes it
    parsed = message_from_string(wire, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Subject"] == "Määräaika lähestyy: Åbo"
    assert parsed.get_content() == "Hyvä käyttäjä,\nväliaikainen.\n"


def test_the_file_transport_appends_readable_messages(app, pending, tmp_path):
    pending(1, subject="Määräaika ylittyi: KPK-2026-00042", body="Tiketti on myöhässä.\nÅtgärda.")
    pending(1, subject="Toinen", recipient="toinen@kunta.fi")
    path = tmp_path / "mail" / "outbox.log"
    assert send_pending(app, FileTransport(path, "palvelupiste@kpk.example")) == 2
    text = path.read_text(encoding="utf-8")
    assert text.count("=" * 72) == 2
    assert "Subject: Määräaika ylittyi: KPK-2026-00042" in text
    assert "Tiketti on myöhässä.\nÅtgärda." in text
    assert "To: agent0@kunta.fi" in text and "To: toinen@kunta.fi" in text
    assert "From: palvelupiste@kpk.example" in text
    assert text.index("Määräaika") < text.index("Toinen")


def test_the_transport_comes_from_the_settings(tmp_path):
    def settings(**env: str):
        return load_settings(str(tmp_path), {"SERVICEDESK_MODE": "test", **env})

    local = transport_from_settings(settings())
    assert isinstance(local, FileTransport)
    assert local.path == tmp_path / "outbox-mail.log"
    smtp = transport_from_settings(
        settings(
            MAIL_TRANSPORT="smtp",
            SMTP_HOST="relay.kpk.fi",
            SMTP_PORT="2525",
            MAIL_FROM="noreply@kpk.fi",
        )
    )
    assert isinstance(smtp, SmtpTransport)
    assert (smtp.host, smtp.port, smtp.mail_from) == ("relay.kpk.fi", 2525, "noreply@kpk.fi")
    assert isinstance(transport_from_settings(settings(MAIL_TRANSPORT="log")), LogTransport)
    with pytest.raises(ConfigError, match="MAIL_TRANSPORT"):
        transport_from_settings(settings(MAIL_TRANSPORT="pigeon"))


# --- the commands ----------------------------------------------------------------------------


def test_outbox_send_and_status_commands(app, pending, monkeypatch):
    monkeypatch.setattr(cli, "_app", lambda: app)
    pending(2)
    runner = CliRunner()
    result = runner.invoke(cli.main, ["outbox", "status"])
    assert result.exit_code == 0, result.output
    assert "pending: 2" in result.output
    result = runner.invoke(cli.main, ["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "sent 2 message(s) via FileTransport" in result.output
    mail_file = app.config["SETTINGS"].mail_file
    with open(mail_file, encoding="utf-8") as fh:
        assert "Tiketti 1: tila muuttui" in fh.read()
    result = runner.invoke(cli.main, ["outbox", "status"])
    assert "pending: 0  sending: 0  sent: 2  failed: 0" in result.output
    with db.unit_of_work(app) as sess:
        assert sess.scalar(select(func.count()).select_from(OutboxMessage)) == 2
