"""Delivery through a real SMTP server (aiosmtpd on 127.0.0.1), and senders racing."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter

import pytest
from flask import Flask
from sqlalchemy import select

from servicedesk import db
from servicedesk.notifications.models import OutboxMessage
from servicedesk.notifications.sender import SmtpTransport, send_pending
from tests.notifications.conftest import free_port, needs_postgres

FROM = "palvelupiste@kpk.example"


def statuses(app: Flask) -> dict[int, tuple[str, int]]:
    with db.unit_of_work(app) as sess:
        return {m.id: (m.status, m.attempts) for m in sess.scalars(select(OutboxMessage))}


def test_each_message_reaches_the_smtp_server_once_with_finnish_text_intact(
    app, pending, smtp_server
):
    handler, port = smtp_server
    subject = "Määräaika lähestyy: KPK-2026-00042 \u2013 Åbo stads IT-tjänst"
    body = "Hei Äijä-Öllö,\n\ntiketin ratkaisuaika päättyy klo 14.00.\nMed vänliga hälsningar\n"
    ids = pending(3, subject=subject, body=body)
    assert send_pending(app, SmtpTransport("127.0.0.1", port, FROM)) == 3
    assert len(handler.envelopes) == 3
    for envelope, email in zip(handler.envelopes, handler.messages, strict=True):
        assert envelope.mail_from == FROM
        assert len(envelope.rcpt_tos) == 1
        assert email["Subject"] == subject
        assert email.get_content().replace("\r\n", "\n") == body
        assert email["From"] == FROM
    assert sorted(e.rcpt_tos[0] for e in handler.envelopes) == [
        "agent0@kunta.fi",
        "agent1@kunta.fi",
        "agent2@kunta.fi",
    ]
    assert len({m["Message-ID"] for m in handler.messages}) == 3
    assert statuses(app) == dict.fromkeys(ids, ("sent", 0))
    assert send_pending(app, SmtpTransport("127.0.0.1", port, FROM)) == 0
    assert len(handler.envelopes) == 3


def test_a_permanently_refused_recipient_fails_and_the_others_are_delivered(
    app, pending, smtp_server
):
    handler, port = smtp_server
    handler.refuse["agent1@kunta.fi"] = "550 5.1.1 No such user"
    ids = pending(3)
    assert send_pending(app, SmtpTransport("127.0.0.1", port, FROM)) == 2
    assert [statuses(app)[i] for i in ids] == [("sent", 0), ("failed", 1), ("sent", 0)]
    with db.unit_of_work(app) as sess:
        assert "550" in sess.get(OutboxMessage, ids[1]).last_error
    assert len(handler.envelopes) == 2


def test_a_temporary_refusal_is_retried_later(app, pending, smtp_server):
    handler, port = smtp_server
    handler.refuse["agent0@kunta.fi"] = "451 4.3.0 Mailbox busy"
    (id_,) = pending(1)
    assert send_pending(app, SmtpTransport("127.0.0.1", port, FROM)) == 0
    assert statuses(app)[id_] == ("pending", 1)


def test_with_no_smtp_server_the_messages_wait_and_one_attempt_is_counted(app, pending):
    ids = pending(3)
    transport = SmtpTransport("127.0.0.1", free_port(), FROM, timeout=5)
    assert send_pending(app, transport) == 0
    assert [statuses(app)[i] for i in ids] == [("pending", 1), ("pending", 0), ("pending", 0)]


def test_three_senders_racing_in_threads_deliver_fifty_messages_exactly_once(
    app, pending, smtp_server
):
    """On SQLite the claims serialise; on PostgreSQL they SKIP LOCKED past each other."""
    handler, port = smtp_server
    handler.delay = 0.002
    senders = 3
    pending(50)
    barrier = threading.Barrier(senders)
    counts: list[int] = []
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            transport = SmtpTransport("127.0.0.1", port, FROM)  # one per thread
            barrier.wait()
            total = 0
            while (sent := send_pending(app, transport, limit=4)) > 0:
                total += sent
            counts.append(total)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert sum(counts) == 50
    ids = Counter(m["Message-ID"] for m in handler.messages)
    assert len(ids) == 50 and set(ids.values()) == {1}
    assert set(statuses(app).values()) == {("sent", 0)}


_SENDER_PROCESS = """
import sys
from servicedesk.app import create_app
from servicedesk.notifications.sender import SmtpTransport, send_pending
app = create_app()
transport = SmtpTransport("127.0.0.1", int(sys.argv[1]), "palvelupiste@kpk.example")
total = 0
while (sent := send_pending(app, transport, limit=3)) > 0:
    total += sent
print(total)
"""


@pytest.mark.postgres
@needs_postgres
def test_three_sender_processes_deliver_fifty_messages_exactly_once(
    app, pending, smtp_server, tmp_path
):
    handler, port = smtp_server
    handler.delay = 0.005
    processes = 3
    pending(50)
    env = {
        **os.environ,
        "SERVICEDESK_MODE": "test",
        "MAIL_TRANSPORT": "smtp",
        "DATABASE_URL": db.engine_of(app).url.render_as_string(hide_password=False),
        "MAIL_FILE": str(tmp_path / "unused.log"),
    }
    procs = [
        subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", _SENDER_PROCESS, str(port)],
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(processes)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * processes, [err for _, err in outputs]
    per_process = [int(out.strip()) for out, _ in outputs]
    assert sum(per_process) == 50
    ids = Counter(m["Message-ID"] for m in handler.messages)
    assert len(ids) == 50 and set(ids.values()) == {1}
    assert set(statuses(app).values()) == {("sent", 0)}
