"""A small world for incoming mail: the senders of the corpus, a ticket and our ack mail.

The corpus (`corpus/*.eml`) is written in the shapes real clients send; `{{NUMBER}}`
and `{{ACK_ID}}` stand for the ticket's number and the Message-ID of our acknowledgement,
filled in per test because numbers and ids are made by each test's database.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from servicedesk import db
from servicedesk.cli import main
from servicedesk.mail.models import InboundMail
from servicedesk.notifications.models import OutboxMessage
from servicedesk.tickets.models import Comment, Ticket

CORPUS = Path(__file__).parent / "corpus"

REQUESTER = "maija.virtanen@orivesi.example"
CONTACT = "kirsi.kontakti@orivesi.example"
STRANGER = "pekka.nieminen@kangasala.example"
SWEDISH = "anna.lindqvist@pargas.example"


@dataclass
class MailWorld:
    app: Flask
    requester: Any
    contact: Any
    stranger: Any
    swedish: Any
    agent: Any
    service: Any
    ticket_id: int
    number: str
    ack_id: str

    def eml(self, name: str) -> bytes:
        raw = (CORPUS / name).read_bytes()
        return raw.replace(b"{{NUMBER}}", self.number.encode()).replace(
            b"{{ACK_ID}}", self.ack_id.encode()
        )

    def mail_in(self, raw: bytes) -> Any:
        """`servicedesk mail-in` with `raw` on stdin (the CLI builds the test app)."""
        result = CliRunner().invoke(main, ["mail-in"], input=raw, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    def rows(self) -> list[InboundMail]:
        with db.unit_of_work(self.app) as sess:
            return list(sess.scalars(select(InboundMail).order_by(InboundMail.id)))

    def last(self) -> InboundMail:
        return self.rows()[-1]

    def tickets(self) -> list[Ticket]:
        with db.unit_of_work(self.app) as sess:
            return list(sess.scalars(select(Ticket).order_by(Ticket.id)))

    def ticket(self, ticket_id: int | None = None) -> Ticket:
        with db.unit_of_work(self.app) as sess:
            found = sess.get(Ticket, ticket_id or self.ticket_id)
            assert found is not None
            return found

    def comments(self, ticket_id: int | None = None) -> list[Comment]:
        with db.unit_of_work(self.app) as sess:
            return list(
                sess.scalars(
                    select(Comment)
                    .where(Comment.ticket_id == (ticket_id or self.ticket_id))
                    .order_by(Comment.id)
                )
            )

    def outbox(self, kind: str = "auto_answer") -> list[OutboxMessage]:
        with db.unit_of_work(self.app) as sess:
            return list(
                sess.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.kind == kind)
                    .order_by(OutboxMessage.id)
                )
            )


@pytest.fixture
def mailworld(app: Flask, make: Any, dbs: Any, monkeypatch: pytest.MonkeyPatch) -> MailWorld:
    from servicedesk.notifications.operations import enqueue
    from servicedesk.tickets.operations import create_ticket
    from servicedesk.users.operations import create_user

    monkeypatch.setattr("servicedesk.mail.cli._app", lambda: app)
    agent = make.user("agent", provider="ICT")
    make.group("ICT", members=(agent,), is_triage=True)
    group = make.group("ICT", members=(agent,))
    service = make.service("ICT", group=group, code="WILMA")
    orivesi, kangasala, pargas = make.org(), make.org(), make.org()

    def person(email: str, org: Any, role: str = "end_user", locale: str = "fi") -> Any:
        user = create_user(
            dbs,
            email=email,
            name=email.split("@")[0],
            role=role,
            organisation_id=org.id,
            locale=locale,
        )
        dbs.commit()
        return user

    requester = person(REQUESTER, orivesi)
    contact = person(CONTACT, orivesi, role="customer_contact")
    stranger = person(STRANGER, kangasala)
    swedish = person(SWEDISH, pargas, locale="sv")
    ticket, _ = create_ticket(
        dbs,
        requester,
        {
            "type": "incident",
            "title": "Tulostin ei tulosta",
            "description": "Kerroksen tulostin ei tulosta.",
            "impact": "medium",
            "urgency": "medium",
        },
    )
    ack = enqueue(
        dbs,
        kind="requester",
        recipient=REQUESTER,
        subject=f"[{ticket.number}] Tulostin ei tulosta",
        body="Tukipyyntösi on vastaanotettu.",
        ticket_id=ticket.id,
    )
    assert ack is not None
    ack_id = f"ack.{ticket.id}.{ack.id}@kpk.example"
    ack.message_id = f"<{ack_id}>"
    dbs.commit()
    return MailWorld(
        app, requester, contact, stranger, swedish, agent, service, ticket.id, ticket.number, ack_id
    )
