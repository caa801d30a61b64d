"""The monthly report mail: each organisation's service-level report of a month, with its
PDF, to its account managers and customer contacts, exactly once per organisation and month.

Who gets a report: every organisation with an agreement version in force on some day of the
month. The agreement is what the report measures against (its promise lines); an
organisation cannot file tickets without one, and a month with no tickets under an agreement
is worth reporting too ("nothing happened" is follow-up information).

Exactly once: an organisation's delivery is one `ReportDelivery` row (unique per organisation
and month) and, in the same transaction, one outbox message per recipient with the PDF
attached. The row is inserted first with `INSERT ... ON CONFLICT DO NOTHING`: of two
concurrent runs, the second waits for the first's commit and then inserts nothing, so it
sends nothing for that organisation (on SQLite writers are serialised anyway). Each
organisation is a savepoint: a failure (the PDF could not be made) rolls back that
organisation's row and mails only, and the next run tries it again. The outbox's dedup key
("monthly_report:<org>:<month>:<email>") is a second guard.

An organisation with no recipients gets no row: it is reported as such and a later run
(catch-up, or the CLI) delivers once someone is there to read it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from flask import Flask
from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session

from catalog.agreements.models import IN_FORCE_STATES, AgreementVersion
from catalog.organisations.models import Organisation, organisation_account_managers
from servicedesk.db import upsert_insert, utcnow
from servicedesk.enums import Role
from servicedesk.notifications.messages import LOCALES
from servicedesk.notifications.models import OutboxAttachment
from servicedesk.notifications.operations import enqueue
from servicedesk.notifications.render import Rendered, gettext_for, render_parts
from servicedesk.notifications.ticket_mail import mail_settings
from servicedesk.reports.models import ReportDelivery
from servicedesk.reports.monthly_schedule import due_month
from servicedesk.reports.monthly_texts import (
    KindFigures,
    MonthlyFacts,
    monthly_text,
    pdf_filename,
)
from servicedesk.reports.periods import Period
from servicedesk.reports.report import CUSTOMER_KINDS, build
from servicedesk.users.models import User

log = logging.getLogger(__name__)

KIND = "monthly_report"
Status = Literal["delivered", "already_delivered", "no_recipients", "would_deliver", "failed"]


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    locale: str
    #: Account managers open the desk's report page, customer contacts the portal's.
    desk: bool

    @property
    def language(self) -> str:
        return self.locale if self.locale in LOCALES else "fi"


@dataclass(frozen=True)
class Outcome:
    """What became of one organisation's report this run."""

    organisation_id: int
    organisation: str
    status: Status
    #: Mails written (delivered) or that would be (would_deliver).
    recipients: int = 0
    error: str = ""


Progress = Callable[[int, int, Outcome], None]


def organisations_for(sess: Session, period: Period) -> list[Organisation]:
    """Organisations with an agreement version in force on some day of `period`, by id
    (one order for every run: two concurrent runs wait on each other, never deadlock)."""
    in_force = exists().where(
        AgreementVersion.organisation_id == Organisation.id,
        AgreementVersion.state.in_(IN_FORCE_STATES),
        AgreementVersion.valid_from <= period.last,
        or_(AgreementVersion.valid_to.is_(None), AgreementVersion.valid_to >= period.first),
    )
    return list(sess.scalars(select(Organisation).where(in_force).order_by(Organisation.id)))


def recipients_of(sess: Session, organisation_id: int) -> list[Recipient]:
    """The organisation's active account managers and customer contacts, once each."""
    managers = sess.scalars(
        select(User)
        .join(organisation_account_managers, organisation_account_managers.c.user_id == User.id)
        .where(organisation_account_managers.c.organisation_id == organisation_id, User.active)
    )
    contacts = sess.scalars(
        select(User).where(
            User.organisation_id == organisation_id,
            User.role == Role.CUSTOMER_CONTACT.value,
            User.active,
        )
    )
    found: dict[str, Recipient] = {}
    for user, desk in [(u, True) for u in managers] + [(u, False) for u in contacts]:
        email = (user.email or "").strip().lower()
        if "@" in email and email not in found:
            found[email] = Recipient(email, user.name, user.locale, desk)
    return sorted(found.values(), key=lambda r: r.email)


def delivered(sess: Session, organisation_id: int, month: str) -> bool:
    return (
        sess.scalar(
            select(ReportDelivery.id).where(
                ReportDelivery.organisation_id == organisation_id, ReportDelivery.month == month
            )
        )
        is not None
    )


def _claim(sess: Session, organisation_id: int, month: str, now: datetime) -> int | None:
    """Insert the delivery row; None when another run has it (committed, or waited for)."""
    stmt = (
        upsert_insert(sess)(ReportDelivery)
        .values(organisation_id=organisation_id, month=month, enqueued_at=now, recipients=0)
        .on_conflict_do_nothing(index_elements=["organisation_id", "month"])
        .returning(ReportDelivery.id)
    )
    return sess.scalar(stmt)


def organisation_name(org: Organisation, language: str) -> str:
    """In the recipient's language (a bilingual municipality has its Swedish name)."""
    return (language == "sv" and org.name_sv) or org.name


def report_link(public_url: str, organisation_id: int, month: str, *, desk: bool) -> str:
    if desk:
        return f"{public_url}/desk/reports/organisations/{organisation_id}?period={month}"
    return f"{public_url}/portal/report?period={month}"


def render_mail(facts: MonthlyFacts, locale: str) -> Rendered:
    """Subject, text part and HTML part of the monthly mail in `locale`."""
    locale = locale if locale in LOCALES else "fi"
    words = monthly_text(gettext_for(locale), facts, locale)
    return render_parts("monthly_report", words.subject, {"m": words, "lang": locale})


def deliver_organisation(
    sess: Session, org: Organisation, period: Period, now: datetime, *, dry_run: bool = False
) -> Outcome:
    """Deliver `org`'s report of `period` (a month) unless it went out already.

    Adds and flushes in a savepoint of `sess`; the caller commits. A failure is logged and
    answered as `failed`, with nothing of this organisation left in the session.
    """
    month = period.label
    if delivered(sess, org.id, month):
        return Outcome(org.id, org.name, "already_delivered")
    recipients = recipients_of(sess, org.id)
    if not recipients:
        return Outcome(org.id, org.name, "no_recipients")
    if dry_run:
        return Outcome(org.id, org.name, "would_deliver", len(recipients))
    try:
        with sess.begin_nested():
            written = _write(sess, org, period, now, recipients)
    except Exception as exc:
        log.exception("monthly report of organisation %s for %s failed", org.id, month)
        return Outcome(org.id, org.name, "failed", error=f"{type(exc).__name__}: {exc}")
    if written is None:
        return Outcome(org.id, org.name, "already_delivered")
    return Outcome(org.id, org.name, "delivered", written)


def _write(
    sess: Session, org: Organisation, period: Period, now: datetime, recipients: list[Recipient]
) -> int | None:
    """The delivery row, then each recipient's mail with the PDF in their language."""
    from servicedesk.reports.exports import report_pdf  # WeasyPrint: loaded when needed

    month = period.label
    delivery_id = _claim(sess, org.id, month, now)
    if delivery_id is None:
        return None
    report = build(sess, org.id, period, now, with_suppliers=False, with_time_split=False)
    kinds = tuple(
        KindFigures(kind, t.met, t.breached, t.percent)
        for kind in CUSTOMER_KINDS
        if (t := report.overall.get(kind)) is not None and t.total
    )
    public_url = mail_settings()[1]
    pdfs = {
        language: report_pdf(sess, org, period, now, language)
        for language in sorted({r.language for r in recipients})
    }
    written = 0
    for recipient in recipients:
        language = recipient.language
        name = organisation_name(org, language)
        facts = MonthlyFacts(
            organisation=name,
            month=period.first,
            received=report.received,
            kinds=kinds,
            link=report_link(public_url, org.id, month, desk=recipient.desk),
            recipient_name=recipient.name,
        )
        mail = render_mail(facts, language)
        message = enqueue(
            sess,
            kind=KIND,
            recipient=recipient.email,
            subject=mail.subject,
            body=mail.text,
            html_body=mail.html,
            dedup_key=f"{KIND}:{org.id}:{month}:{recipient.email}",
            auto_submitted="auto-generated",
        )
        if message is None:  # this key went out before (a delivery row removed by hand)
            continue
        sess.add(
            OutboxAttachment(
                outbox_id=message.id,
                filename=pdf_filename(name, month, language),
                content_type="application/pdf",
                data=pdfs[language],
            )
        )
        written += 1
    sess.execute(
        update(ReportDelivery).where(ReportDelivery.id == delivery_id).values(recipients=written)
    )
    sess.flush()
    return written


def deliver_month(
    sess: Session,
    period: Period,
    now: datetime,
    *,
    organisation_ids: Sequence[int] | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> list[Outcome]:
    """Every organisation's report of `period` in `sess` (one savepoint each; the caller
    commits once). `progress(done, total, outcome)` after each organisation."""
    orgs = organisations_for(sess, period)
    if organisation_ids is not None:
        wanted = set(organisation_ids)
        orgs = [o for o in orgs if o.id in wanted]
    outcomes = []
    for n, org in enumerate(orgs, start=1):
        outcome = deliver_organisation(sess, org, period, now, dry_run=dry_run)
        outcomes.append(outcome)
        if progress is not None:
            progress(n, len(orgs), outcome)
    return outcomes


def monthly_reports_job(app: Flask, sess: Session) -> None:
    """Scheduler job "monthly-reports": runs hourly from 07:00 Helsinki and acts only while
    a month's reports are due (`monthly_schedule.due_month`); then delivers what is missing."""
    from servicedesk.reports.periods import parse

    now = utcnow()
    month = due_month(now)
    if month is None:
        return
    with app.app_context():  # the mails' settings (PUBLIC_URL) are the app's
        outcomes = deliver_month(sess, parse(month), now)
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    if counts.get("delivered") or counts.get("failed"):
        log.info("monthly reports of %s: %s", month, counts)
