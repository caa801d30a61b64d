"""The monthly mail's test world: organisations with and without an agreement in force in
November 2026, their account manager and customer contacts in three languages, and clocks
of known outcome; plus what the tests read back from the mails."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from io import BytesIO
from typing import Any

from aiosmtpd.controller import Controller
from pypdf import PdfReader
from sqlalchemy import func, insert, select

from catalog.agreements.operations import create_version
from catalog.organisations.models import organisation_account_managers
from servicedesk import db
from servicedesk.notifications.models import OutboxMessage
from servicedesk.reports.models import ReportDelivery
from sla.scheduler import JOBS
from tests.notifications.conftest import CollectingHandler, free_port
from tests.reports.world import World, local

MONTH = "2026-11"
#: The job's spec, as the scheduler runs it.
SPEC = next(s for s in JOBS if s.id == "monthly-reports")


@dataclass
class MonthlyWorld:
    """Who should get which report of November 2026."""

    world: World
    am: Any  # account manager of A and B (fi)
    contact_sv: Any  # customer contact of A (sv)
    contact_en: Any  # customer contact of A (en)
    contact_b: Any  # customer contact of B (fi)
    contact_f: Any  # customer contact of F, whose agreement began on 20 November (fi)
    a: Any  # Raasepori / Raseborg: tickets and clocks in November
    b: Any
    c: Any  # no agreement at all: no report
    d: Any  # an agreement, nobody to send to
    e: Any  # its agreement ended in October: no report
    f: Any

    @property
    def reported(self) -> set[int]:
        return {self.a.id, self.b.id, self.f.id}

    def expected_recipients(self) -> dict[str, list[int]]:
        """Each address and the organisations whose report it gets, once each."""
        return {
            self.am.email: sorted([self.a.id, self.b.id]),
            self.contact_sv.email: [self.a.id],
            self.contact_en.email: [self.a.id],
            self.contact_b.email: [self.b.id],
            self.contact_f.email: [self.f.id],
        }


def _agreement(make: Any, org: Any, first: date, last: date | None) -> None:
    create_version(
        make.sess,
        org,
        {"valid_from": first, "valid_to": last, "notes": "monthly test", "promises": []},
    )
    make.sess.commit()


def build_world(make: Any, world: World, client: Any) -> MonthlyWorld:
    sess = make.sess
    a = world.org
    a.name, a.name_sv = "Raaseporin kaupunki", "Raseborgs stad"
    b = make.org(name="Oriveden kaupunki")
    c = make.org(entitled=False, name="Ilman sopimusta")
    d = make.org(name="Kukaan ei lue")
    e = make.org(entitled=False, name="Päättynyt sopimus")
    _agreement(make, e, date(2020, 1, 1), date(2026, 10, 31))
    f = make.org(entitled=False, name="Uusi asiakas")
    _agreement(make, f, date(2026, 11, 20), None)
    am = make.user("account_manager")
    other_am = make.user("account_manager")
    other_am.active = False  # a deactivated account manager hears nothing
    sess.execute(
        insert(organisation_account_managers),
        [
            {"organisation_id": a.id, "user_id": am.id},
            {"organisation_id": b.id, "user_id": am.id},
            {"organisation_id": a.id, "user_id": other_am.id},
        ],
    )
    contact_sv = make.user("customer_contact", org=a, locale="sv")
    contact_en = make.user("customer_contact", org=a, locale="en")
    gone = make.user("customer_contact", org=a)
    gone.active = False
    make.user("end_user", org=a)  # end users get no report
    contact_b = make.user("customer_contact", org=b)
    make.user("customer_contact", org=c)
    make.user("customer_contact", org=e)
    contact_f = make.user("customer_contact", org=f)
    sess.commit()

    # A's November: two tickets; responses met (2 of 2), one resolution breached (0 of 1).
    t1 = world.ticket(client, local(2026, 11, 10, 9))
    world.clock(
        t1,
        "response",
        world.p1,
        "met",
        local(2026, 11, 10, 9),
        due=local(2026, 11, 10, 10),
        stopped=local(2026, 11, 10, 9, 30),
    )
    world.clock(
        t1,
        "resolution",
        world.p1,
        "breached",
        local(2026, 11, 10, 9),
        due=local(2026, 11, 10, 17),
        stopped=local(2026, 11, 12, 12),
        breach=local(2026, 11, 10, 17),
    )
    t2 = world.ticket(client, local(2026, 11, 20, 9))
    world.clock(
        t2,
        "response",
        world.p1,
        "met",
        local(2026, 11, 20, 9),
        due=local(2026, 11, 20, 10),
        stopped=local(2026, 11, 20, 9, 10),
    )
    # October's ticket is not November's.
    t0 = world.ticket(client, local(2026, 10, 30, 9))
    world.clock(
        t0,
        "response",
        world.p1,
        "breached",
        local(2026, 10, 30, 9),
        due=local(2026, 10, 30, 10),
        stopped=local(2026, 10, 30, 12),
        breach=local(2026, 10, 30, 10),
    )
    return MonthlyWorld(world, am, contact_sv, contact_en, contact_b, contact_f, a, b, c, d, e, f)


def deliveries(app: Any) -> dict[int, int]:
    """organisation id -> recipients of each November delivery row."""
    with db.unit_of_work(app) as sess:
        rows = sess.execute(
            select(ReportDelivery.organisation_id, ReportDelivery.recipients).where(
                ReportDelivery.month == MONTH
            )
        )
        return {org_id: n for org_id, n in rows}


def monthly_rows(app: Any) -> int:
    with db.unit_of_work(app) as sess:
        return int(
            sess.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.kind == "monthly_report")
            )
            or 0
        )


def monthly_mails(messages: list[EmailMessage]) -> list[EmailMessage]:
    return [m for m in messages if m["X-KPK-Outbox-Kind"] == "monthly_report"]


def text_of(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert part is not None
    return part.get_content().replace("\r\n", "\n")


def html_of(mail: EmailMessage) -> str:
    part = mail.get_body(("html",))
    assert part is not None
    return part.get_content()


def pdf_of(mail: EmailMessage) -> tuple[str, bytes]:
    """The one attachment: its file name and bytes (checked to be a PDF)."""
    (part,) = list(mail.iter_attachments())
    assert part.get_content_type() == "application/pdf"
    data = part.get_content()
    assert data.startswith(b"%PDF-")
    return part.get_filename(), data


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


@contextmanager
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
