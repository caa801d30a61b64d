"""Renewal reminders: before the renewal deadline, and 90/30/7 days and the last day before a
version in force ends with no signed successor, to the organisation's account managers and
customer contacts, each in their own language, exactly once per version and kind.

Which kinds are due is `catalog.agreements.reminder_rules`. Exactly once, as the monthly report
mail does it (`servicedesk.reports.monthly`): per (version, kind), in a savepoint, one
`agreement_reminders` row inserted with `INSERT ... ON CONFLICT DO NOTHING`, then the mails
(outbox, same transaction) and a `reminder_sent` event. Of two concurrent runs the second waits
for the first's commit and inserts nothing, so it sends nothing; a restart or a second
scheduler changes timing only. A version whose organisation has nobody to remind gets no row:
a later run reminds once someone is there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import Flask
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from catalog.agreements import cycle
from catalog.agreements.models import AgreementReminder, AgreementVersion
from catalog.agreements.queries import local_date
from catalog.agreements.reminder_rules import (
    LAPSE_HORIZON_DAYS,
    RENEWAL_NOTICE_DAYS,
    reminders_due,
)
from catalog.agreements.reminder_texts import ReminderFacts, reminder_text
from catalog.organisations.models import Organisation
from servicedesk.db import upsert_insert, utcnow
from servicedesk.notifications.messages import LOCALES
from servicedesk.notifications.operations import enqueue
from servicedesk.notifications.render import Rendered, gettext_for, render_parts
from servicedesk.notifications.ticket_mail import mail_settings
from servicedesk.reports.monthly import Recipient, organisation_name, recipients_of

log = logging.getLogger(__name__)

#: The outbox kind of these mails.
OUTBOX_KIND = "renewal_reminder"


@dataclass(frozen=True)
class Sent:
    """One reminder that went out this run."""

    version_id: int
    kind: str
    recipients: int


def render_mail(facts: ReminderFacts, locale: str) -> Rendered:
    """Subject, text part and HTML part of a reminder in `locale`."""
    locale = locale if locale in LOCALES else "fi"
    words = reminder_text(gettext_for(locale), facts, locale)
    return render_parts("agreement_reminder", words.subject, {"m": words, "lang": locale})


def agreement_link(public_url: str, version_id: int, *, desk: bool) -> str:
    """Account managers open the desk's agreement page, customer contacts the portal's."""
    if desk:
        return f"{public_url}/desk/agreements/{version_id}"
    return f"{public_url}/portal/agreement"


def candidates(sess: Session, today: date, notice_days: int = RENEWAL_NOTICE_DAYS) -> list:
    """Signed versions whose end or renewal deadline is near enough to need a reminder, by
    id (one order for every run: concurrent runs wait on each other, never deadlock).
    Superseded versions have a signed successor by definition; drafts are never reminded."""
    return list(
        sess.scalars(
            select(AgreementVersion)
            .where(
                AgreementVersion.state == "signed",
                or_(
                    and_(
                        AgreementVersion.valid_to >= today,
                        AgreementVersion.valid_to <= today + timedelta(days=LAPSE_HORIZON_DAYS),
                    ),
                    and_(
                        AgreementVersion.renewal_deadline >= today,
                        AgreementVersion.renewal_deadline <= today + timedelta(days=notice_days),
                    ),
                ),
            )
            .order_by(AgreementVersion.id)
        )
    )


def sent_kinds(sess: Session, version_id: int) -> frozenset[str]:
    return frozenset(
        sess.scalars(
            select(AgreementReminder.kind).where(
                AgreementReminder.agreement_version_id == version_id
            )
        )
    )


def send_reminders(
    sess: Session, now: datetime | None = None, notice_days: int = RENEWAL_NOTICE_DAYS
) -> list[Sent]:
    """Every reminder due today (Helsinki) that has not gone out; adds and flushes, the
    caller commits once."""
    now = now or utcnow()
    today = local_date(now)
    done: list[Sent] = []
    for version in candidates(sess, today, notice_days):
        due = reminders_due(
            state=version.state,
            valid_to=version.valid_to,
            renewal_deadline=version.renewal_deadline,
            has_signed_successor=cycle.has_signed_successor(sess, version),
            today=today,
            sent=sent_kinds(sess, version.id),
            notice_days=notice_days,
        )
        if not due:
            continue
        recipients = recipients_of(sess, version.organisation_id)
        if not recipients:
            log.warning("agreement version %s: nobody to remind of %s", version.id, due)
            continue
        for kind in due:
            with sess.begin_nested():
                written = _remind(sess, version, kind, today, now, recipients)
            if written is not None:
                done.append(Sent(version.id, kind, written))
    return done


def _remind(
    sess: Session,
    version: AgreementVersion,
    kind: str,
    today: date,
    now: datetime,
    recipients: list[Recipient],
) -> int | None:
    """Claim (version, kind), then each recipient's mail; None when another run has it."""
    claimed = sess.scalar(
        upsert_insert(sess)(AgreementReminder)
        .values(agreement_version_id=version.id, kind=kind, enqueued_at=now, recipients=0)
        .on_conflict_do_nothing(index_elements=["agreement_version_id", "kind"])
        .returning(AgreementReminder.id)
    )
    if claimed is None:
        return None
    org = sess.get(Organisation, version.organisation_id)
    assert org is not None
    successor = cycle.open_successor(sess, version)
    target = version.renewal_deadline if kind == "renewal_deadline" else version.valid_to
    assert target is not None
    public_url = mail_settings()[1]
    written = 0
    for recipient in recipients:
        language = recipient.language
        facts = ReminderFacts(
            kind=kind,
            organisation=organisation_name(org, language),
            version_no=version.version_no,
            valid_from=version.valid_from,
            valid_to=version.valid_to,
            renewal_deadline=version.renewal_deadline,
            days_left=(target - today).days,
            # A customer contact does not hear of drafts (the centre's work in progress).
            successor_state=(
                None
                if successor is None or (successor.state == "draft" and not recipient.desk)
                else successor.state
            ),
            successor_no=successor.version_no if successor is not None else None,
            accepted=successor is not None and successor.accepted_at is not None,
            link=agreement_link(public_url, version.id, desk=recipient.desk),
            recipient_name=recipient.name,
            desk=recipient.desk,
        )
        mail = render_mail(facts, language)
        message = enqueue(
            sess,
            kind=OUTBOX_KIND,
            recipient=recipient.email,
            subject=mail.subject,
            body=mail.text,
            html_body=mail.html,
            dedup_key=f"agreement_reminder:{version.id}:{kind}:{recipient.email}",
            auto_submitted="auto-generated",
        )
        written += message is not None
    sess.execute(
        update(AgreementReminder).where(AgreementReminder.id == claimed).values(recipients=written)
    )
    cycle.record(sess, version, None, "reminder_sent", reminder=kind, recipients=written)
    sess.flush()
    return written


def agreement_reminders_job(app: Flask, sess: Session) -> None:
    """Scheduler job "renewal-reminders" (daily at 07:00 Helsinki): send what is due."""
    with app.app_context():  # the mails' settings (PUBLIC_URL) are the app's
        done = send_reminders(sess, utcnow())
    if done:
        log.info("agreement reminders sent: %s", [(s.version_id, s.kind) for s in done])
