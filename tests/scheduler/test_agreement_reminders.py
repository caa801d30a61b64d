"""The scheduler's agreement reminders: before the renewal deadline, and 90/30/7 days and the
last day before a version in force ends with no signed successor; to the account managers and
the customer contacts, each in their language, each reminder exactly once (also with two
schedulers and two lockless runs racing on PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import insert, select

from catalog.agreements import cycle
from catalog.agreements.models import AgreementEvent, AgreementReminder, AgreementVersion
from catalog.agreements.operations import create_version
from catalog.agreements.reminders import agreement_reminders_job, send_reminders
from catalog.organisations.models import organisation_account_managers
from servicedesk import db
from servicedesk.db import frozen_now
from servicedesk.notifications.models import OutboxMessage
from sla.scheduler import JOBS, run_job
from tests.conftest import on_postgres

HKI = ZoneInfo("Europe/Helsinki")
SPEC = next(spec for spec in JOBS if spec.id == "renewal-reminders")


def hel(y: int, m: int, d: int, hour: int = 7) -> datetime:
    return datetime(y, m, d, hour, 0, 5, tzinfo=HKI)


@dataclass
class Customer:
    org: Any
    version_id: int
    manager: Any
    contact: Any


def customer(make: Any, dbs: Any, *, deadline: date | None = date(2026, 9, 30)) -> Customer:
    """An organisation whose 2026 version (signed) ends 2026-12-31, with a Finnish-speaking
    account manager, a Swedish-speaking customer contact and an end user (never reminded)."""
    org = make.org(entitled=False, name_sv=None)
    version = create_version(
        dbs,
        org,
        {
            "valid_from": date(2026, 1, 1),
            "valid_to": date(2026, 12, 31),
            "renewal_deadline": deadline,
            "notes": "",
        },
    )
    dbs.commit()
    manager = make.user("account_manager", locale="fi")
    contact = make.user("customer_contact", org=org, locale="sv")
    make.user("end_user", org=org, locale="en")
    dbs.execute(
        insert(organisation_account_managers),
        [{"organisation_id": org.id, "user_id": manager.id}],
    )
    dbs.commit()
    return Customer(org, version.id, manager, contact)


def run(app: Flask, at: datetime) -> str:
    with frozen_now(at):
        return run_job(app, SPEC)


def mails(app: Flask) -> list[OutboxMessage]:
    with db.unit_of_work(app) as sess:
        return list(
            sess.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == "renewal_reminder")
                .order_by(OutboxMessage.id)
            )
        )


def reminders(app: Flask) -> list[tuple[int, str, int]]:
    with db.unit_of_work(app) as sess:
        rows = sess.execute(
            select(
                AgreementReminder.agreement_version_id,
                AgreementReminder.kind,
                AgreementReminder.recipients,
            ).order_by(AgreementReminder.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_the_job_is_registered_daily_at_seven_under_its_old_id():
    assert SPEC.func is agreement_reminders_job
    assert SPEC.trigger == {"trigger": "cron", "hour": 7, "minute": 0}


def test_each_reminder_goes_once_to_managers_and_contacts_in_their_language(app, make, dbs):
    c = customer(make, dbs)
    days = [  # (day, reminder kinds sent that day)
        ((2026, 8, 30), []),  # 31 days to the deadline
        ((2026, 8, 31), ["renewal_deadline"]),  # 30
        ((2026, 8, 31), []),  # the same day again
        ((2026, 9, 30), []),  # the deadline itself: sent already
        ((2026, 10, 1), []),  # 91 days to the end
        ((2026, 10, 2), ["lapse_90"]),  # 90
        ((2026, 11, 30), []),  # 31
        ((2026, 12, 1), ["lapse_30"]),  # 30
        ((2026, 12, 23), []),  # 8
        ((2026, 12, 24), ["lapse_7"]),  # 7
        ((2026, 12, 30), []),  # 1
        ((2026, 12, 31), ["lapse_last_day"]),  # 0: the last day
        ((2026, 12, 31), []),
        ((2027, 1, 1), []),  # over
    ]
    for day, expected in days:
        before = len(reminders(app))
        assert run(app, hel(*day)) == "ran"
        assert [k for _v, k, _n in reminders(app)[before:]] == expected, day
    assert all(n == 2 for _v, _k, n in reminders(app))

    sent = mails(app)
    assert Counter(m.recipient for m in sent) == {c.manager.email: 5, c.contact.email: 5}
    assert len({m.dedup_key for m in sent}) == 10
    fi = [m for m in sent if m.recipient == c.manager.email]
    sv = [m for m in sent if m.recipient == c.contact.email]
    assert fi[0].subject == f"Palvelusopimus uusittava viimeistään 30.9.2026: {c.org.name}"
    assert sv[0].subject == f"Avtalet ska förnyas senast 30.9.2026: {c.org.name}"
    assert fi[1].subject == f"Organisaation {c.org.name} palvelusopimus päättyy 31.12.2026"
    assert "Päiviä jäljellä: 90." in fi[1].body
    assert "Dagar kvar: 90." in sv[1].body
    assert fi[-1].subject == f"Organisaation {c.org.name} palvelusopimus päättyy tänään"
    assert f"/desk/agreements/{c.version_id}" in fi[0].body
    assert "/portal/agreement" in sv[0].body and "/desk/" not in sv[0].body
    assert all(m.html_body and m.auto_submitted == "auto-generated" for m in sent)

    with db.unit_of_work(app) as sess:
        events = sess.scalars(
            select(AgreementEvent)
            .where(AgreementEvent.kind == "reminder_sent")
            .order_by(AgreementEvent.id)
        ).all()
        assert [(e.data["reminder"], e.data["recipients"], e.actor_id) for e in events] == [
            ("renewal_deadline", 2, None),
            ("lapse_90", 2, None),
            ("lapse_30", 2, None),
            ("lapse_7", 2, None),
            ("lapse_last_day", 2, None),
        ]


def test_after_downtime_only_the_most_urgent_reminder_goes(app, make, dbs):
    c = customer(make, dbs)
    run(app, hel(2026, 12, 20))  # 11 days left: the deadline passed, 90 was missed
    assert reminders(app) == [(c.version_id, "lapse_30", 2)]
    run(app, hel(2026, 12, 21))
    run(app, hel(2026, 12, 26))  # 5 days left
    assert [k for _v, k, _n in reminders(app)] == ["lapse_30", "lapse_7"]
    assert len(mails(app)) == 4


def test_a_signed_successor_ends_the_reminders_and_drafts_are_never_reminded(app, make, dbs):
    c = customer(make, dbs)
    admin = make.user("admin")
    contact = dbs.get(type(c.contact), c.contact.id)
    with frozen_now(hel(2026, 11, 2, 10)):
        source = dbs.get(AgreementVersion, c.version_id)
        draft = cycle.new_draft(dbs, admin, source)
        dbs.commit()
    # a draft successor does not stop them; the contact is not told of the draft
    run(app, hel(2026, 12, 1))
    assert [k for _v, k, _n in reminders(app)] == ["lapse_30"]
    by = {m.recipient: m.body for m in mails(app)}
    assert f"(version {draft.version_no})" not in by[c.contact.email]
    assert f"(versio {draft.version_no})" in by[c.manager.email]
    with frozen_now(hel(2026, 12, 2, 10)):
        cycle.propose(dbs, admin, draft)
        cycle.accept(dbs, contact, draft)
        cycle.sign(dbs, admin, draft)
        dbs.commit()
    for day in ((2026, 12, 24), (2026, 12, 31), (2027, 9, 1), (2027, 12, 24)):
        run(app, hel(*day))
    # the superseded version is followed; the new one ends in 2027 and is reminded of then
    assert [(v, k) for v, k, _n in reminders(app)] == [
        (c.version_id, "lapse_30"),
        (draft.id, "renewal_deadline"),
        (draft.id, "lapse_7"),
    ]


def test_a_draft_or_proposal_ending_soon_is_not_reminded_of(app, make, dbs):
    org = make.org(entitled=False)
    create_version(
        dbs,
        org,
        {"valid_from": date(2026, 1, 1), "valid_to": date(2026, 12, 31), "notes": ""},
        state="draft",
    )
    dbs.commit()
    make.user("customer_contact", org=org)
    run(app, hel(2026, 12, 24))
    assert reminders(app) == [] and mails(app) == []


def test_an_organisation_with_nobody_to_remind_is_reminded_once_someone_is_there(app, make, dbs):
    org = make.org(entitled=False)
    create_version(
        dbs,
        org,
        {"valid_from": date(2026, 1, 1), "valid_to": date(2026, 12, 31), "notes": ""},
    )
    dbs.commit()
    run(app, hel(2026, 12, 1))
    assert reminders(app) == []
    contact = make.user("customer_contact", org=org, locale="en")
    run(app, hel(2026, 12, 2))
    sent = mails(app)
    assert [m.recipient for m in sent] == [contact.email]
    assert sent[0].subject == f"The service agreement of {org.name} ends on 31 Dec 2026"


def test_the_events_endpoint_shows_the_reminders_sent(app, make, dbs, client):
    c = customer(make, dbs)
    run(app, hel(2026, 12, 24))
    events = client.get(
        f"/api/v1/agreements/{c.version_id}/events", headers=make.auth(c.manager)
    ).get_json()
    assert [(e["kind"], e["actor"], e["data"]) for e in events] == [
        ("reminder_sent", None, {"reminder": "lapse_7", "recipients": 2})
    ]


def test_reminders_called_directly_twice_in_one_day_send_once(app, make, dbs):
    customer(make, dbs)
    at = hel(2026, 12, 24)
    with frozen_now(at), app.app_context():
        for _ in range(2):
            with db.unit_of_work(app) as sess:
                send_reminders(sess, at)
    assert len(mails(app)) == 2


@pytest.mark.postgres
@pytest.mark.skipif(not on_postgres(), reason="needs PostgreSQL: DATABASE_URL=postgresql://...")
def test_schedulers_racing_on_postgres_send_each_reminder_exactly_once(app, make, dbs):
    customers = [customer(make, dbs) for _ in range(3)]
    at = hel(2026, 12, 24)  # lapse_7 for each
    barrier = threading.Barrier(4)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            barrier.wait(30)
            with frozen_now(at):
                for _ in range(3):
                    outcomes.append(run_job(app, SPEC))
        except BaseException as exc:
            errors.append(exc)

    def lockless() -> None:
        try:
            barrier.wait(30)
            with frozen_now(at), app.app_context():
                for _ in range(3):
                    with db.unit_of_work(app) as sess:
                        send_reminders(sess, at)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=f) for f in (scheduler, scheduler, lockless, lockless)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert "failed" not in outcomes and "ran" in outcomes
    assert sorted(reminders(app)) == sorted((c.version_id, "lapse_7", 2) for c in customers)
    sent = mails(app)
    assert Counter(m.recipient for m in sent) == {
        email: 1 for c in customers for email in (c.manager.email, c.contact.email)
    }
    with db.unit_of_work(app) as sess:
        events = sess.scalars(
            select(AgreementEvent.agreement_version_id).where(
                AgreementEvent.kind == "reminder_sent"
            )
        ).all()
    assert sorted(events) == sorted(c.version_id for c in customers)
