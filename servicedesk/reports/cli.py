"""`servicedesk report monthly`: the monthly report mail by hand (catching up, one
organisation again after a fix, or a look with --dry-run at what would go out)."""

from __future__ import annotations

import logging
import re
from collections import Counter

import click
from flask import Flask
from sqlalchemy.orm import Session

from servicedesk import db
from servicedesk.db import utcnow
from servicedesk.reports.periods import Period, PeriodError, parse

_MONTH = re.compile(r"^\d{4}-\d{2}$")


def _app() -> Flask:
    from servicedesk.app import create_app

    return create_app()


def _month(ctx: click.Context, param: click.Parameter, value: str) -> Period:
    """A month that has ended ("2026-11"); anything else is a usage error (exit 2)."""
    text = value.strip()
    if not _MONTH.match(text):
        raise click.BadParameter(f"{value!r} is not a month: use YYYY-MM, e.g. 2026-11.")
    try:
        period = parse(text)
    except PeriodError as exc:
        raise click.BadParameter(str(exc)) from None
    if period.end > utcnow():
        raise click.BadParameter(
            f"{period.label} has not ended yet: a month is reported once, after its last day."
        )
    return period


@click.group("report")
def report() -> None:
    """Service-level reports: the monthly report mail."""


def _said(status: str, recipients: int, error: str) -> str:
    return {
        "delivered": f"delivered to {recipients} recipient(s)",
        "would_deliver": f"would be delivered to {recipients} recipient(s)",
        "already_delivered": "already delivered earlier",
        "no_recipients": "no recipients (no active account manager or customer contact)",
        "failed": f"FAILED: {error}",
    }[status]


@report.command("monthly")
@click.option(
    "--month", required=True, callback=_month, metavar="YYYY-MM", help="The month to report."
)
@click.option(
    "--organisation",
    "organisation_id",
    type=click.IntRange(min=1),
    help="Only this organisation (its id).",
)
@click.option("--dry-run", is_flag=True, help="Show what would be sent; write nothing.")
def monthly(month: Period, organisation_id: int | None, dry_run: bool) -> None:
    """Mail each organisation's service-level report of MONTH, PDF attached, to its account
    managers and customer contacts: exactly once per organisation and month, so running it
    again (or beside the scheduler) sends only what has not gone out.

    Progress goes to stderr, the summary to stdout. Exit 0; 1 when an organisation's
    report failed (its mails are not written: run again after the fix).
    """
    from catalog.organisations.models import Organisation
    from servicedesk.reports.monthly import deliver_organisation, organisations_for

    app = _app()
    # WeasyPrint tells every step of every PDF at INFO: it would drown the progress lines.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    now = utcnow()
    with app.app_context(), db.unit_of_work(app) as sess:
        orgs = [(o.id, o.name) for o in organisations_for(sess, month)]
        if organisation_id is not None:
            if sess.get(Organisation, organisation_id) is None:
                raise click.BadParameter(
                    f"there is no organisation {organisation_id}.", param_hint="--organisation"
                )
            orgs = [(i, n) for i, n in orgs if i == organisation_id]
            if not orgs:
                raise click.BadParameter(
                    f"organisation {organisation_id} had no agreement in force in "
                    f"{month.label}: it has no report to send.",
                    param_hint="--organisation",
                )
    counts: Counter[str] = Counter()
    mails = 0
    with app.app_context():  # PUBLIC_URL and MAIL_FROM of the mails are the app's
        for n, (org_id, name) in enumerate(orgs, start=1):
            # One transaction per organisation: what is done stays done if the run stops.
            sess: Session = db.new_session(app)
            try:
                org = sess.get(Organisation, org_id)
                assert org is not None
                outcome = deliver_organisation(sess, org, month, now, dry_run=dry_run)
                if dry_run:
                    sess.rollback()
                else:
                    sess.commit()
            except BaseException:
                sess.rollback()
                raise
            finally:
                sess.close()
            counts[outcome.status] += 1
            mails += outcome.recipients
            click.echo(
                f"{n}/{len(orgs)} {name}: "
                f"{_said(outcome.status, outcome.recipients, outcome.error)}",
                err=True,
            )
    if dry_run:
        click.echo(
            f"Monthly reports {month.label} (dry run, nothing written): "
            f"{counts['would_deliver']} would be delivered ({mails} mail(s)), "
            f"{counts['already_delivered']} already delivered earlier, "
            f"{counts['no_recipients']} without recipients."
        )
    else:
        click.echo(
            f"Monthly reports {month.label}: {counts['delivered']} delivered "
            f"({mails} mail(s)), {counts['already_delivered']} already delivered earlier, "
            f"{counts['no_recipients']} without recipients, {counts['failed']} failed."
        )
    if counts["failed"]:
        raise SystemExit(1)
