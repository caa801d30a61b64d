"""Several schedulers on PostgreSQL at the same time: each organisation's report is mailed
exactly once. Two run the scheduler's job (under its advisory lock) and two more deliver
the month with no lock at all, so the unique delivery row alone must keep the result
exact; every one of them runs several times over."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from servicedesk import db
from servicedesk.db import frozen_now
from servicedesk.notifications.sender import SmtpTransport, send_pending
from servicedesk.reports.monthly import deliver_month
from servicedesk.reports.periods import parse
from sla.scheduler import run_job
from tests.conftest import on_postgres
from tests.reports.monthly_world import (
    SPEC,
    deliveries,
    monthly_mails,
    monthly_rows,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not on_postgres(), reason="needs PostgreSQL: DATABASE_URL=postgresql://..."),
]

HKI = ZoneInfo("Europe/Helsinki")
AT = datetime(2026, 12, 1, 7, 0, 5, tzinfo=HKI)
ROUNDS = 3


def test_schedulers_racing_on_postgres_mail_each_report_exactly_once(app, monthly, smtp):
    handler, port = smtp
    barrier = threading.Barrier(4)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            barrier.wait(30)
            with frozen_now(AT):  # a context variable: each thread sets its own
                for _ in range(ROUNDS):
                    outcomes.append(run_job(app, SPEC))
        except BaseException as exc:
            errors.append(exc)

    def lockless() -> None:
        try:
            barrier.wait(30)
            with frozen_now(AT), app.app_context():
                for _ in range(ROUNDS):
                    with db.unit_of_work(app) as sess:
                        done = deliver_month(sess, parse("2026-11"), AT)
                    assert "failed" not in {o.status for o in done}
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=f) for f in (scheduler, scheduler, lockless, lockless)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert errors == []
    assert "failed" not in outcomes and "ran" in outcomes

    assert deliveries(app) == {monthly.a.id: 3, monthly.b.id: 2, monthly.f.id: 1}
    assert monthly_rows(app) == 6
    # Two senders racing, as well: the outbox's claims keep each message once.
    senders = [threading.Thread(target=send, args=(app, port)) for _ in range(2)]
    for t in senders:
        t.start()
    for t in senders:
        t.join(120)
    mails = monthly_mails(handler.messages)
    assert Counter((m["To"], m["Subject"]) for m in mails).most_common(1)[0][1] == 1
    assert Counter(m["To"] for m in mails) == {
        address: len(orgs) for address, orgs in monthly.expected_recipients().items()
    }


def send(app: Any, port: int) -> None:
    with frozen_now(datetime(2026, 12, 1, 8, tzinfo=HKI)):
        send_pending(app, SmtpTransport("127.0.0.1", port, "palvelupiste@kpk.example"))
