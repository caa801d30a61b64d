"""The monthly report mail, the whole way: the scheduler's job on the first business day
writes each organisation's mails with the PDF, and the sender delivers them to a real SMTP
server (aiosmtpd), once per organisation and recipient, in the recipient's language."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from servicedesk.db import frozen_now
from servicedesk.notifications.sender import SmtpTransport, send_pending
from sla.scheduler import run_job
from tests.reports.monthly_world import (
    SPEC,
    deliveries,
    html_of,
    monthly_mails,
    monthly_rows,
    pdf_of,
    pdf_text,
    text_of,
)

HKI = ZoneInfo("Europe/Helsinki")
FROM = "palvelupiste@kpk.example"
#: Tuesday 1 December 2026 is the first business day of December.
FIRST_BUSINESS_DAY = datetime(2026, 12, 1, 7, 0, tzinfo=HKI)


def run_at(app: Any, at: datetime) -> str:
    with frozen_now(at):
        return run_job(app, SPEC)


def deliver(app: Any, port: int) -> int:
    """The sender's run, a day after the mails were written (their send time has come)."""
    with frozen_now(datetime(2026, 12, 5, 12, tzinfo=HKI)):
        return send_pending(app, SmtpTransport("127.0.0.1", port, FROM), limit=500)


def test_each_recipient_gets_each_report_once_in_their_language_with_the_pdf(app, monthly, smtp):
    handler, port = smtp
    assert run_at(app, FIRST_BUSINESS_DAY) == "ran"
    deliver(app, port)
    mails = monthly_mails(handler.messages)

    got = Counter((m["To"], m["Subject"]) for m in mails)
    assert set(got.values()) == {1}
    by_address: dict[str, int] = Counter(m["To"] for m in mails)
    assert by_address == {
        address: len(orgs) for address, orgs in monthly.expected_recipients().items()
    }
    assert deliveries(app) == {monthly.a.id: 3, monthly.b.id: 2, monthly.f.id: 1}

    a = monthly.a.id
    (sv,) = [m for m in mails if m["To"] == monthly.contact_sv.email]
    assert sv["Subject"] == "Servicenivårapport november 2026: Raseborgs stad"
    text = text_of(sv)
    assert text.startswith(f"Hej {monthly.contact_sv.name},")
    assert "Ärenden som mottogs under månaden: 2." in text
    assert "- svarstid: 100,0\u00a0% (I tid 2, Överskridna 0)" in text
    assert "- lösningstid: 0,0\u00a0% (I tid 0, Överskridna 1)" in text
    assert "http://127.0.0.1:5000/portal/report?period=2026-11" in text
    name, data = pdf_of(sv)
    assert name == "serviceniva-raseborgs-stad-2026-11.pdf"
    assert "Raseborgs stad" in pdf_text(data)

    (en,) = [m for m in mails if m["To"] == monthly.contact_en.email]
    assert en["Subject"] == "Service-level report November 2026: Raaseporin kaupunki"
    assert "- response: 100.0% (Met on time 2, Breached 0)" in text_of(en)
    assert pdf_of(en)[0] == "service-level-raaseporin-kaupunki-2026-11.pdf"

    am = {m["Subject"]: m for m in mails if m["To"] == monthly.am.email}
    mail_a = am["Palvelutasoraportti marraskuu 2026: Raaseporin kaupunki"]
    text = text_of(mail_a)
    assert "Kuukauden aikana vastaanotetut tiketit: 2." in text
    assert "- vasteaika: 100,0\u00a0% (Ajallaan 2, Ylittyneet 0)" in text
    assert f"http://127.0.0.1:5000/desk/reports/organisations/{a}?period=2026-11" in text
    html = html_of(mail_a)
    assert html.startswith("<!DOCTYPE html>") and '<html lang="fi">' in html
    assert f'href="http://127.0.0.1:5000/desk/reports/organisations/{a}?period=2026-11"' in html
    name, data = pdf_of(mail_a)
    assert name == "palvelutaso-raaseporin-kaupunki-2026-11.pdf"
    assert "Raaseporin kaupunki" in pdf_text(data)
    # B had no clocks in November: the mail says so instead of a table.
    mail_b = am["Palvelutasoraportti marraskuu 2026: Oriveden kaupunki"]
    assert "Kuukauden aikana yksikään palvelutasokello ei päättynyt" in text_of(mail_b)
    assert "Oriveden kaupunki" in pdf_text(pdf_of(mail_b)[1])

    # Again the same day, on the catch-up days, and the sender once more: nothing new.
    before = len(handler.envelopes)
    for at in (
        FIRST_BUSINESS_DAY.replace(hour=15),
        FIRST_BUSINESS_DAY.replace(day=2, hour=7),
        FIRST_BUSINESS_DAY.replace(day=3, hour=22),
    ):
        assert run_at(app, at) == "ran"
    assert deliver(app, port) == 0
    assert len(handler.envelopes) == before
    assert monthly_rows(app) == 6


def test_the_organisation_name_is_text_in_the_html_part(app, monthly, smtp, dbs):
    handler, port = smtp
    org = dbs.merge(monthly.b)
    org.name = 'Orivesi <img src=x onerror="alert(1)"> & Co'
    dbs.commit()
    assert run_at(app, FIRST_BUSINESS_DAY) == "ran"
    deliver(app, port)
    (mail,) = [m for m in monthly_mails(handler.messages) if m["To"] == monthly.contact_b.email]
    html = html_of(mail)
    assert "<img" not in html
    assert "Orivesi &lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; Co" in html
    assert pdf_of(mail)[0] == "palvelutaso-orivesi-img-src-x-onerror-alert-1-co-2026-11.pdf"


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 12, 1, 6, 59, tzinfo=HKI),  # before 07:00 on the day
        datetime(2026, 12, 4, 7, 0, tzinfo=HKI),  # after the catch-up days
        datetime(2026, 11, 30, 12, 0, tzinfo=HKI),  # the month has not ended
        datetime(2027, 1, 1, 7, 0, tzinfo=HKI),  # New Year's Day
    ],
    ids=["early", "late", "month-end", "new-year"],
)
def test_the_job_does_nothing_on_a_day_that_is_not_due(app, monthly, at):
    assert run_at(app, at) == "ran"
    assert deliveries(app) == {}
    assert monthly_rows(app) == 0


def test_an_organisation_that_fails_loses_nothing_of_the_others_and_goes_out_next_run(
    app, monthly, smtp, monkeypatch
):
    from servicedesk.reports import exports

    handler, port = smtp
    real = exports.report_pdf

    def broken_for_b(sess: Any, organisation: Any, *args: Any) -> bytes:
        if organisation.id == monthly.b.id:
            raise RuntimeError("the PDF could not be made")
        return real(sess, organisation, *args)

    monkeypatch.setattr(exports, "report_pdf", broken_for_b)
    assert run_at(app, FIRST_BUSINESS_DAY) == "ran"
    assert deliveries(app) == {monthly.a.id: 3, monthly.f.id: 1}
    assert monthly_rows(app) == 4

    monkeypatch.setattr(exports, "report_pdf", real)
    assert run_at(app, FIRST_BUSINESS_DAY.replace(day=2)) == "ran"  # the catch-up day
    assert deliveries(app) == {monthly.a.id: 3, monthly.b.id: 2, monthly.f.id: 1}
    deliver(app, port)
    mails = Counter(m["To"] for m in monthly_mails(handler.messages))
    assert mails == {a: len(o) for a, o in monthly.expected_recipients().items()}


def test_the_scheduler_fires_the_job_hourly_from_seven_helsinki_time(app):
    """The job decides whether a month is due; its trigger only has to fire from 07:00 on
    the first business day, and again later that day after an outage."""
    from sla.scheduler import build_scheduler

    job = next(j for j in build_scheduler(app, blocking=False).get_jobs() if j.id == SPEC.id)
    fire = job.trigger.get_next_fire_time(None, datetime(2026, 12, 1, 0, 0, tzinfo=HKI))
    assert fire == datetime(2026, 12, 1, 7, 0, tzinfo=HKI)
    fire = job.trigger.get_next_fire_time(fire, fire.replace(minute=1))
    assert fire == datetime(2026, 12, 1, 8, 0, tzinfo=HKI)
    fire = job.trigger.get_next_fire_time(None, datetime(2026, 12, 1, 22, 1, tzinfo=HKI))
    assert fire == datetime(2026, 12, 2, 7, 0, tzinfo=HKI)
