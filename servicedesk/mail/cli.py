"""`servicedesk mail-in` (the MTA pipe) and `servicedesk mail ...` (quarantine, poll)."""

from __future__ import annotations

import logging
import sys

import click
from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError

from servicedesk import db

#: sysexits.h: the MTA keeps the message and retries later.
EX_TEMPFAIL = 75
#: sysexits.h: the input was not a message at all.
EX_DATAERR = 65
#: A message larger than this is refused by the pipe (the MTA bounces it).
MAX_RAW_BYTES = 50 * 1024 * 1024


def _app():  # type: ignore[no-untyped-def]
    from servicedesk.app import create_app

    return create_app()


@click.command("mail-in")
def mail_in() -> None:
    """Read one raw RFC 5322 message from stdin and file it (an MTA pipe, like RT's mailgate).

    Exit 0 once the mail is stored, whatever became of it (ticket, comment, automatic
    answer, ignored, quarantined); 75 (EX_TEMPFAIL) when the database cannot be reached,
    so that the MTA keeps the message and retries.
    """
    from servicedesk.mail.intake import receive

    raw = sys.stdin.buffer.read(MAX_RAW_BYTES + 1)
    if not raw.strip():
        click.echo("mail-in: no message on stdin", err=True)
        sys.exit(EX_DATAERR)
    if len(raw) > MAX_RAW_BYTES:
        click.echo(f"mail-in: the message is larger than {MAX_RAW_BYTES} bytes", err=True)
        sys.exit(EX_DATAERR)
    try:
        result = receive(_app(), raw, "pipe")
    except (OperationalError, InterfaceError) as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        click.echo(f"mail-in: the database cannot be reached, try again later: {reason}", err=True)
        sys.exit(EX_TEMPFAIL)
    except Exception as exc:
        # Not stored (placing never raises): the MTA keeps the mail and retries, and the
        # operator reads why in its log, rather than the sender getting a bounce.
        logging.getLogger("servicedesk.mail").exception("mail-in failed before storing")
        click.echo(f"mail-in: not stored, try again later: {type(exc).__name__}: {exc}", err=True)
        sys.exit(EX_TEMPFAIL)
    said = "duplicate of " if result.duplicate else ""
    click.echo(f"{said}mail {result.id}: {result.outcome} ({result.reason})")


@click.group("mail")
def mail() -> None:
    """Incoming mail: the quarantine, one message, re-processing, one IMAP poll."""


def _line(row) -> str:  # type: ignore[no-untyped-def]
    ticket = f" ticket {row.ticket_id}" if row.ticket_id else ""
    return (
        f"{row.id:>6}  {row.received_at:%Y-%m-%d %H:%M}Z  {row.outcome:<11} {row.sender:<35} "
        f"{row.subject[:50]!r}{ticket}  {row.reason[:120]}"
    )


@mail.command("quarantine")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1))
def quarantine(limit: int) -> None:
    """List the quarantined mail, newest first."""
    from servicedesk.mail.models import InboundMail

    with db.unit_of_work(_app()) as sess:
        rows = sess.scalars(
            select(InboundMail)
            .where(InboundMail.outcome == "quarantined")
            .order_by(InboundMail.id.desc())
            .limit(limit)
        ).all()
        for row in rows:
            click.echo(_line(row))
        click.echo(f"{len(rows)} quarantined message(s)")


@mail.command("show")
@click.argument("mail_id", type=int)
@click.option("--raw", is_flag=True, help="Write the raw .eml to stdout instead.")
def show(mail_id: int, raw: bool) -> None:
    """One received mail: its outcome and reason, headers and text (or --raw bytes)."""
    from servicedesk.mail.models import InboundMail
    from servicedesk.mail.parse import parse

    with db.unit_of_work(_app()) as sess:
        row = sess.get(InboundMail, mail_id)
        if row is None:
            raise click.ClickException(f"No incoming mail {mail_id}.")
        if raw:
            sys.stdout.buffer.write(row.raw)
            return
        click.echo(_line(row))
        click.echo(f"message-id: {row.message_id}  source: {row.source}  attempts: {row.attempts}")
        click.echo(f"reason: {row.reason}")
        parsed = parse(row.raw)
        for name in ("from", "to", "subject", "date", "in-reply-to", "auto-submitted"):
            if name in parsed.headers:
                click.echo(f"{name}: {parsed.headers[name]}")
        names = ", ".join(f"{a.filename} ({len(a.data)} B)" for a in parsed.attachments)
        click.echo(f"attachments: {names or '-'}")
        click.echo("")
        click.echo(parsed.text)


@mail.command("reprocess")
@click.argument("mail_id", type=int)
def reprocess_command(mail_id: int) -> None:
    """Place a quarantined (ignored, refused) mail again, e.g. after adding its sender."""
    from servicedesk.errors import ApiError
    from servicedesk.mail.intake import reprocess
    from servicedesk.mail.models import InboundMail

    app = _app()
    try:
        with db.unit_of_work(app) as sess:
            row = sess.get(InboundMail, mail_id)
            if row is None:
                raise click.ClickException(f"No incoming mail {mail_id}.")
            reprocess(sess, row, app.config["SETTINGS"])
            click.echo(f"mail {row.id}: {row.outcome} ({row.reason})")
    except ApiError as exc:
        raise click.ClickException(str(exc)) from exc


@mail.command("poll")
def poll_command() -> None:
    """Poll the IMAP mailbox once (IMAP_HOST, IMAP_USER, IMAP_PASSWORD, IMAP_FOLDER)."""
    from imapclient.exceptions import IMAPClientError

    from servicedesk.mail.imap import poll

    app = _app()
    settings = app.config["SETTINGS"]
    if not settings.imap_host:
        raise click.ClickException("IMAP_HOST is not set: there is no mailbox to poll.")
    try:
        report = poll(app, settings)
    except (IMAPClientError, OSError) as exc:
        raise click.ClickException(
            f"IMAP {settings.imap_host}:{settings.imap_port}: {type(exc).__name__}: {exc}"
        ) from exc
    for result in report.results:
        said = "duplicate of " if result.duplicate else ""
        click.echo(f"{said}mail {result.id}: {result.outcome} ({result.reason})")
    click.echo(f"{report.fetched} message(s) fetched, {report.left_unseen} left for next time")
