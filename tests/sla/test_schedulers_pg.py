"""Three scheduler processes against PostgreSQL: every warning, breach and e-mail exactly once.

Each process is a real OS process (multiprocessing, "spawn") with its own application,
engine and SMTP connection. At each of three instants they all run, at the same time and
several times over, what `servicedesk scheduler --once` runs (`run_all_once`: the sweep, the
outbox sender, auto-close, renewal reminders, each under its advisory lock), plus the outbox
sender and the sweep *without* the lock, so that the unique constraints alone must keep the
result exact. The e-mails go through a real SMTP server (aiosmtpd) in this test process.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections import Counter
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from servicedesk import db
from servicedesk.notifications.models import OutboxMessage
from servicedesk.tickets.models import TicketEvent
from sla.models import SlaAlert, SlaClock
from tests.conftest import on_postgres
from tests.notifications.conftest import CollectingHandler, free_port
from tests.sla.conftest import GROUP_EMAIL, hel, z

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not on_postgres(), reason="needs PostgreSQL: DATABASE_URL=postgresql://..."),
]

PROCESSES = 3
ROUNDS = 3
#: Mon 10:45 the responses are at risk (warning 10:36); 15:45 they are breached (due 11:00)
#: and the resolutions at risk (15:24); Tue 09:30 the resolutions are breached (due 09:00).
PHASES = (hel(2026, 11, 23, 10, 45), hel(2026, 11, 23, 15, 45), hel(2026, 11, 24, 9, 30))


def scheduler_process(url: str, smtp_port: int, phases: list[str], barrier: Any) -> None:
    """One scheduler process: at each instant, ROUNDS turns of every job (and some racing)."""
    from servicedesk import db as db_module
    from servicedesk.app import create_app
    from servicedesk.db import frozen_now
    from servicedesk.notifications.sender import send_pending, transport_from_settings
    from sla.jobs import sweep
    from sla.scheduler import run_all_once

    app = create_app(
        overrides={"TESTING": True, "DATABASE_URL": url},
        env={
            "SERVICEDESK_MODE": "test",
            "DATABASE_URL": url,
            "MAIL_TRANSPORT": "smtp",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
        },
    )
    failed = []
    for iso in phases:
        at = datetime.fromisoformat(iso)
        barrier.wait(timeout=120)
        with frozen_now(at):
            for _ in range(ROUNDS):
                outcomes = run_all_once(app)  # what `servicedesk scheduler --once` runs
                failed += [job for job, outcome in outcomes.items() if outcome == "failed"]
                with db_module.unit_of_work(app) as sess:  # no lock: the constraints decide
                    sweep(sess, at)
                send_pending(app, transport_from_settings(app.config["SETTINGS"]))
        barrier.wait(timeout=120)
    db_module.engine_of(app).dispose()
    if failed:
        print("failed jobs:", failed, file=sys.stderr)
        sys.exit(1)


@pytest.fixture
def smtp() -> Any:
    from aiosmtpd.controller import Controller

    handler = CollectingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def test_three_scheduler_processes_record_and_mail_each_warning_and_breach_once(
    app, world, smtp
):
    handler, port = smtp
    tickets = []
    for _ in range(4):  # received at the same instant: every due instant is shared
        ticket = world.file(hel(2026, 11, 23, 9))
        world.assign(ticket["id"], hel(2026, 11, 23, 9))
        tickets.append(ticket["id"])
    # And one whose clocks stopped late before any scheduler ran (received Friday).
    late = world.file(hel(2026, 11, 20, 9))["id"]
    world.assign(late, hel(2026, 11, 20, 9))
    world.comment(late, hel(2026, 11, 23, 10))  # the response was due Fri 11:00
    world.patch(late, hel(2026, 11, 23, 10, 30), status="resolved")  # resolution: Mon 09:00

    url = db.engine_of(app).url.render_as_string(hide_password=False)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    procs = [
        ctx.Process(target=scheduler_process, args=(url, port, [p.isoformat() for p in PHASES],
                                                    barrier))
        for _ in range(PROCESSES)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(240)
    assert [proc.exitcode for proc in procs] == [0] * PROCESSES

    # One warning and one breach per clock, at the instants of the clocks' history.
    with db.unit_of_work(app) as sess:
        recorded = Counter(
            (ticket_id, clock_kind, kind, z(at))
            for ticket_id, clock_kind, kind, at in sess.execute(
                select(SlaClock.ticket_id, SlaClock.kind, SlaAlert.kind, SlaAlert.at)
                .join(SlaAlert, SlaAlert.clock_id == SlaClock.id)
            )
        )
        events = Counter(
            (e.ticket_id, e.kind, e.data["clock"], z(e.at))
            for e in sess.scalars(select(TicketEvent).where(TicketEvent.kind.like("sla_%")))
        )
        mails = list(sess.scalars(select(OutboxMessage)))
    expected = Counter()
    for tid in tickets:
        expected.update({
            (tid, "response", "warning", "2026-11-23T08:36:00Z"): 1,
            (tid, "response", "breach", "2026-11-23T09:00:00Z"): 1,
            (tid, "resolution", "warning", "2026-11-23T13:24:00Z"): 1,
            (tid, "resolution", "breach", "2026-11-24T07:00:00Z"): 1,
        })
    # The late ticket's warnings were missed: recorded at their true instants, told to nobody.
    silent = {
        (late, "response", "warning", "2026-11-20T08:36:00Z"),
        (late, "resolution", "warning", "2026-11-20T13:24:00Z"),
    }
    expected.update({
        (late, "response", "breach", "2026-11-20T09:00:00Z"): 1,
        (late, "resolution", "breach", "2026-11-23T07:00:00Z"): 1,
        **dict.fromkeys(silent, 1),
    })
    assert recorded == expected
    assert events == Counter({(t, f"sla_{k}", c, at): n for (t, c, k, at), n in expected.items()})

    # One e-mail per clock, alert and recipient: the warning to the agent and the group,
    # the breach also to the account manager; each delivered once to the SMTP server.
    people = {world.agent.email, GROUP_EMAIL}
    want = Counter()
    for (tid, clock_kind, kind, at), _n in expected.items():
        if (tid, clock_kind, kind, at) in silent:
            continue
        for person in people | ({world.account_manager.email} if kind == "breach" else set()):
            want[(tid, f"sla_{kind}", clock_kind, person)] += 1
    sla_mails = [m for m in mails if m.kind.startswith("sla_")]  # the rest: the tickets' own
    assert len(sla_mails) == sum(want.values()) == 4 * 2 * 5 + 2 * 3
    assert {m.status for m in mails} == {"sent"}
    assert {m.attempts for m in mails} == {0}
    delivered = Counter((e.rcpt_tos[0], m["Subject"]) for e, m in
                        zip(handler.envelopes, handler.messages, strict=True))
    assert len(handler.envelopes) == len(mails)
    assert set(delivered.values()) == {1}
    assert delivered == Counter((m.recipient, m.subject) for m in mails)
    assert len({m["Message-ID"] for m in handler.messages}) == len(mails)
    assert all(len(e.rcpt_tos) == 1 for e in handler.envelopes)
