"""Fixtures of the outbox tests: committed messages, fake transports, a real SMTP server."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from servicedesk import db
from servicedesk.notifications.operations import enqueue

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql"))
#: Real concurrency needs PostgreSQL (SKIP LOCKED, advisory locks); SQLite serialises writers.
needs_postgres = pytest.mark.skipif(
    not ON_POSTGRES, reason="needs PostgreSQL: DATABASE_URL=postgresql://..."
)


@pytest.fixture
def pending(app: Flask) -> Callable[..., list[int]]:
    """`pending(n, **fields)`: n committed pending messages; answers their ids."""

    def make(n: int = 1, **fields: Any) -> list[int]:
        ids = []
        with db.unit_of_work(app) as sess:
            for i in range(n):
                values = {
                    "kind": "ticket_update",
                    "recipient": f"agent{i}@kunta.fi",
                    "subject": f"Tiketti {i}: tila muuttui",
                    "body": f"Hei!\n\nTiketin {i} tila on nyt ratkaistu.\n",
                    **fields,
                }
                message = enqueue(sess, **values)
                assert message is not None
                ids.append(message.id)
        return ids

    return make


class FakeTransport:
    """Records what it is given; `fail` decides per message (an exception or None)."""

    mail_from = "palvelupiste@kpk.example"

    def __init__(self, fail: Callable[[EmailMessage], Exception | None] | None = None) -> None:
        self.sent: list[EmailMessage] = []
        self.tried: list[EmailMessage] = []
        self.closed = 0
        self.fail = fail

    def send(self, message: EmailMessage) -> None:
        self.tried.append(message)
        error = self.fail(message) if self.fail else None
        if error is not None:
            raise error
        self.sent.append(message)

    def close(self) -> None:
        self.closed += 1


class CollectingHandler:
    """An aiosmtpd handler: keeps every message; refuses recipients listed in `refuse`."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.refuse: dict[str, str] = {}
        self.delay = 0.0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        return [
            message_from_bytes(e.content, policy=policy.default)  # type: ignore[misc]
            for e in self.envelopes
        ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[CollectingHandler, int]]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd): (handler, port)."""
    handler = CollectingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()
