"""The `servicedesk` command: run, db, demo, user, token, scheduler, outbox, report."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import Flask
from sqlalchemy import func, select

from servicedesk import db, migrate
from servicedesk.enums import Role


def _app() -> Flask:
    from servicedesk.app import create_app

    return create_app()


def _url(app: Flask) -> str:
    return app.extensions["db_engine"].url.render_as_string(hide_password=False)


class _ServiceDeskGroup(click.Group):
    """Startup errors (configuration, database URL, driver, database down) are one line."""

    def invoke(self, ctx: click.Context) -> Any:
        from servicedesk.config import startup_message

        try:
            return super().invoke(ctx)
        except Exception as exc:
            message = startup_message(exc)
            if message is None:
                raise
            raise click.ClickException(message) from exc


@click.group(
    cls=_ServiceDeskGroup,
    help="KPK Service Desk: service desk and SLA tracking for KPK ICT and KPK THH.",
)
@click.version_option(package_name="kpk-servicedesk", prog_name="servicedesk")
def main() -> None:
    pass


def _production(app: Flask) -> bool:
    return bool(app.config["SETTINGS"].mode == "production")


def _user_count(app: Flask) -> int:
    from servicedesk.users.models import User

    with db.unit_of_work(app) as sess:
        return int(sess.scalar(select(func.count()).select_from(User)) or 0)


def _load_demo(app: Flask) -> None:
    """Load the demo with counted steps on the terminal, and print its credentials."""
    import time

    from servicedesk.demo import load_demo

    started = time.monotonic()

    def progress(step: int, steps: int, what: str) -> None:
        click.echo(f"  [{step}/{steps}] {what}")

    creds = load_demo(app, progress=progress)
    click.echo(f"Demo data loaded in {time.monotonic() - started:.1f} s.")
    _print_credentials(creds)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-demo", is_flag=True, help="Do not load demo data into an empty database.")
@click.option(
    "--no-scheduler",
    is_flag=True,
    help="Do not run the scheduler's jobs in this process (local mode runs them).",
)
def run(host: str, port: int, no_demo: bool, no_scheduler: bool) -> None:
    """Serve locally: upgrade the database, load the demo data when it is empty, start.

    In local mode (or with SCHEDULER_IN_PROCESS=1, never in production) the
    scheduler's jobs run in this process; production runs `servicedesk scheduler`.
    """
    app = _app()
    if _production(app):
        raise click.ClickException(
            "`servicedesk run` is the local development server (Werkzeug); production "
            "serves with gunicorn: `gunicorn wsgi:app`, with `servicedesk scheduler` beside it."
        )
    migrate.upgrade(_url(app))
    if not no_demo and _user_count(app) == 0:
        click.echo("Empty database: loading the demo data.")
        _load_demo(app)
    click.echo(f"KPK Service Desk on http://{host}:{port}/  (API docs: /api/v1/docs)")
    scheduler = None if no_scheduler else _in_process_scheduler(app)
    try:
        # No reloader: one serving process, so one in-process scheduler.
        app.run(host=host, port=port, use_reloader=False, threaded=True)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


def _in_process_scheduler(app: Flask) -> Any:
    """The embedded local mode's scheduler (a BackgroundScheduler), started; or None."""
    settings = app.config["SETTINGS"]
    if settings.mode == "production" or not (
        settings.mode == "local" or settings.scheduler_in_process
    ):
        return None
    from sla.scheduler import build_scheduler, sqlite_lock_path, sqlite_scheduler_lock

    lock = sqlite_scheduler_lock(app)
    if lock is None:
        click.echo(
            "Another process runs the scheduler of this database "
            f"(it holds {sqlite_lock_path(app)}); this one serves without a scheduler."
        )
        return None
    scheduler = build_scheduler(app, blocking=False)
    scheduler.start()
    scheduler.servicedesk_lock = lock  # type: ignore[attr-defined]  # held until exit
    click.echo(
        f"Scheduler running in this process (mail: {settings.mail_transport}"
        + (f", {settings.mail_file}" if settings.mail_transport == "file" else "")
        + ")."
    )
    return scheduler


@main.group(name="db")
def db_group() -> None:
    """Database schema (Alembic)."""


@db_group.command()
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Upgrade the schema to REVISION (default: head)."""
    migrate.upgrade(_url(_app()), revision)
    click.echo("database is at " + revision)


@db_group.command()
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Downgrade the schema to REVISION (e.g. base)."""
    migrate.downgrade(_url(_app()), revision)
    click.echo("database is at " + revision)


@main.command()
@click.option(
    "--force", is_flag=True, help="Load even if the database holds data (not in production)."
)
@click.option(
    "--i-know",
    "i_know",
    is_flag=True,
    help="Production only: load the demo, whose passwords are published, into a fresh database.",
)
def demo(force: bool, i_know: bool) -> None:
    """Load the demo data set (upgrades the schema first) and print the credentials."""
    app = _app()
    production = _production(app)
    if production and not i_know:
        raise click.ClickException(
            "The demo's passwords are published: production does not load it. "
            "For a throwaway production-like database, use --i-know on a fresh database."
        )
    migrate.upgrade(_url(app))
    if _user_count(app):
        if production:
            raise click.ClickException(
                "The database holds data already; production loads the demo only into a "
                "fresh database."
            )
        if not force:
            click.echo(
                "The database holds data already; use --force to add the demo anyway.", err=True
            )
            sys.exit(1)
    _load_demo(app)


@main.command("bench-data")
@click.option("--tickets", default=10_000, show_default=True, type=click.IntRange(1))
@click.option("--years", default=3.0, show_default=True, type=click.FloatRange(0.01, 30))
@click.option("--seed", default=2026, show_default=True, type=int)
@click.option("--batch", default=5000, show_default=True, type=click.IntRange(1))
@click.option(
    "--jobs", default=2, show_default=True, type=click.IntRange(1), help="Generating processes."
)
def bench_data(tickets: int, years: float, seed: int, batch: int, jobs: int) -> None:
    """Add N generated tickets (with events, comments, clocks, alerts) for benchmarks.

    Builds on the demo's catalogue (`servicedesk demo` first); bulk inserts (COPY on
    PostgreSQL) in one transaction. Never in production: the data is made up.
    """
    from servicedesk.bench_data import NotReady, analyze, generate

    app = _app()
    if _production(app):
        raise click.ClickException(
            "bench-data makes up tickets for benchmarks: production does not load it."
        )
    with click.progressbar(length=tickets, label="tickets", file=sys.stderr) as bar:
        try:
            with db.unit_of_work(app) as sess:
                summary = generate(
                    sess, tickets, years, seed, batch, progress=bar.update, jobs=jobs
                )
        except NotReady as exc:
            raise click.ClickException(str(exc)) from exc
    with db.unit_of_work(app) as sess:
        analyze(sess)
    s = summary
    click.echo(
        f"{s.tickets} tickets ({s.open_tickets} open), {s.events} events, {s.comments} comments, "
        f"{s.clocks} clocks ({s.running_clocks} running), {s.alerts} alerts "
        f"in {s.elapsed_seconds:.1f} s."
    )


def _print_credentials(creds: list[dict[str, Any]]) -> None:
    click.echo("\nDemo users (e-mail, password):")
    for c in creds:
        click.echo(f"  {c['role']:<17} {c['email']:<40} {c['password']}  {c.get('note', '')}")


@main.group()
def user() -> None:
    """Users."""


@user.command("add")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--password", required=True, help="At least 10 characters.")
@click.option("--org", "business_id", default=None, help="Business ID of the organisation.")
@click.option("--name", default=None)
@click.option(
    "--provider",
    type=click.Choice(["ICT", "THH"]),
    default=None,
    help="For agents: which centre they work for.",
)
@click.option(
    "--desk",
    type=click.Choice(["joint"]),
    default=None,
    help="For agents: 'joint' works on both centres' tickets (the joint first line).",
)
def user_add(
    email: str,
    role: str,
    password: str,
    business_id: str | None,
    name: str | None,
    provider: str | None,
    desk: str | None,
) -> None:
    """Add a user."""
    from catalog.business_id import BusinessIdError, normalise_business_id
    from catalog.organisations.models import Organisation
    from servicedesk.errors import ApiError
    from servicedesk.users.operations import create_user

    _check_email(email)
    app = _app()
    try:
        with db.unit_of_work(app) as sess:
            org_id = None
            if business_id:
                bid = normalise_business_id(business_id)
                org = sess.scalar(select(Organisation).where(Organisation.business_id == bid))
                if org is None:
                    raise click.ClickException(f"No organisation with business ID {bid}.")
                org_id = org.id
            created = create_user(
                sess,
                email=email,
                name=name or email.split("@")[0],
                role=role,
                organisation_id=org_id,
                provider=provider,
                password=password,
                desk=desk,
            )
            joint = ", joint desk" if created.desk else ""
            click.echo(f"user {created.id} {created.email} ({created.role}{joint})")
    except (ApiError, BusinessIdError) as exc:
        raise click.ClickException(_sentences(exc)) from exc


#: The API's field names, as the CLI's options are called.
_OPTION_OF = {"organisation_id": "--org", "provider": "--provider", "desk": "--desk"}


def _sentences(exc: Exception) -> str:
    """An API error as sentences: the message, then each field's problem after its option."""
    fields = (getattr(exc, "details", None) or {}).get("fields") or {}
    lines = [str(exc)]
    for field, problems in fields.items():
        said = " ".join(problems) if isinstance(problems, list) else str(problems)
        lines.append(f"{_OPTION_OF.get(field, field)}: {said}")
    return "\n".join(lines)


def _check_email(email: str) -> None:
    """The same e-mail rule as the API's (marshmallow's Email)."""
    import marshmallow as ma

    try:
        ma.validate.Email()(email.strip())
    except ma.ValidationError as exc:
        raise click.ClickException(f"{email!r} is not an e-mail address.") from exc


def _user_by_email(sess: Any, email: str) -> Any:
    from servicedesk.users.operations import find_user_by_email

    found = find_user_by_email(sess, email)
    if found is None:
        raise click.ClickException(f"No user {email}.")
    return found


@user.command("list")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=None)
@click.option("--inactive", is_flag=True, help="Also the deactivated users.")
def user_list(role: str | None, inactive: bool) -> None:
    """List users: id, e-mail, role, organisation, active."""
    from servicedesk.users.models import User

    with db.unit_of_work(_app()) as sess:
        stmt = select(User).order_by(User.id)
        if role:
            stmt = stmt.where(User.role == role)
        if not inactive:
            stmt = stmt.where(User.active.is_(True))
        for u in sess.scalars(stmt):
            where = u.provider or (f"org {u.organisation_id}" if u.organisation_id else "")
            state = "" if u.active else "  (deactivated)"
            click.echo(f"{u.id:>5}  {u.email:<40} {u.role:<17} {where}{state}")


@user.command("deactivate")
@click.argument("email")
def user_deactivate(email: str) -> None:
    """Deactivate a user: they can no longer log in, and their tokens are revoked."""
    from servicedesk.users.operations import update_user

    with db.unit_of_work(_app()) as sess:
        found = _user_by_email(sess, email)
        update_user(sess, found, {"active": False})
        click.echo(f"user {found.id} {found.email} deactivated")


@user.command("set-password")
@click.argument("email")
@click.password_option("--password", help="At least 10 characters (asked when not given).")
def user_set_password(email: str, password: str) -> None:
    """Set a user's password; their tokens are revoked."""
    from servicedesk.errors import ApiError
    from servicedesk.users.operations import update_user
    from servicedesk.users.passwords import MIN_PASSWORD_LENGTH

    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(f"A password has at least {MIN_PASSWORD_LENGTH} characters.")
    try:
        with db.unit_of_work(_app()) as sess:
            found = _user_by_email(sess, email)
            update_user(sess, found, {"password": password})
            click.echo(f"user {found.id} {found.email}: password set")
    except ApiError as exc:
        raise click.ClickException(_sentences(exc)) from exc


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("email")
@click.option("--name", default="cli")
@click.option("--service", is_flag=True, help="A token for an integration (needs --expires-days).")
@click.option("--expires-days", type=click.IntRange(min=1), default=None, help="Its lifetime.")
def token_create(email: str, name: str, service: bool, expires_days: int | None) -> None:
    """Create an API token for EMAIL and print only the token.

    A personal token lives TOKEN_LIFETIME_DAYS (30) unless --expires-days says otherwise;
    a --service token is given its lifetime explicitly.
    """
    from datetime import timedelta

    from servicedesk.auth import issue_token
    from servicedesk.db import utcnow
    from servicedesk.users.operations import find_user_by_email, issue_service_token

    if service and expires_days is None:
        raise click.UsageError("A --service token needs --expires-days N.")
    app = _app()
    with app.app_context(), db.unit_of_work(app) as sess:
        found = find_user_by_email(sess, email)
        if found is None or not found.active:
            raise click.ClickException(f"No active user {email}.")
        if service:
            _, plain = issue_service_token(sess, found, name=name, expires_days=expires_days or 0)
        else:
            expires_at = utcnow() + timedelta(days=expires_days) if expires_days else None
            _, plain = issue_token(sess, found, name=name, expires_at=expires_at)
    click.echo(plain)


@main.group()
def shares() -> None:
    """The owners' register: subscribe, pay, register, redeem, show."""


def _org_by_business_id(sess: Any, business_id: str) -> Any:
    from catalog.business_id import BusinessIdError, normalise_business_id
    from catalog.organisations.models import Organisation

    try:
        bid = normalise_business_id(business_id)
    except BusinessIdError as exc:
        raise click.ClickException(str(exc)) from exc
    org = sess.scalar(select(Organisation).where(Organisation.business_id == bid))
    if org is None:
        raise click.ClickException(f"No organisation with business ID {bid}.")
    return org


@shares.command("show")
@click.argument("business_id")
@click.option("--on", "on", type=click.DateTime(["%Y-%m-%d"]), default=None)
def shares_show(business_id: str, on: Any) -> None:
    """Ownership status, votes and subscriptions of an organisation."""
    from catalog.ownership import queries
    from catalog.ownership.queries import as_subscription
    from catalog.shares import amount_due
    from servicedesk.db import utcnow

    app = _app()
    with db.unit_of_work(app) as sess:
        org = _org_by_business_id(sess, business_id)
        day = on.date() if on else utcnow().date()
        click.echo(
            f"{org.name} ({org.business_id}) on {day}: "
            f"{queries.ownership_status_of(sess, org.id, day).value}, "
            f"{queries.votes_of(sess, org.id, day)} votes"
        )
        for row in queries.subscriptions_of(sess, org.id):
            click.echo(
                f"  #{row.id} {row.subscribed_on} {row.shares} x {row.price_per_share} € "
                f"= {amount_due(as_subscription(row))} €  paid {row.paid_on or '-'}  "
                f"registered {row.registered_on or '-'}  redeemed {row.redeemed_on or '-'}"
            )


@shares.command("subscribe")
@click.argument("business_id")
@click.option("--on", "on", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--note", default="")
def shares_subscribe(business_id: str, on: Any, note: str) -> None:
    """Subscribe the organisation's shares at the price of the day."""
    from catalog.ownership.operations import subscribe
    from servicedesk.errors import ApiError

    app = _app()
    try:
        with db.unit_of_work(app) as sess:
            row = subscribe(sess, _org_by_business_id(sess, business_id), on.date(), note=note)
            click.echo(f"subscription {row.id}: {row.shares} shares at {row.price_per_share} €")
    except ApiError as exc:
        raise click.ClickException(str(exc)) from exc


@shares.command("redeem-organisation")
@click.argument("business_id")
@click.option("--on", "on", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--reason", required=True, help="Why it is no longer a municipal actor.")
def shares_redeem_organisation(business_id: str, on: Any, reason: str) -> None:
    """Redeem every share an organisation that stopped being a municipal actor holds."""
    from catalog.ownership.operations import redeem_holding
    from servicedesk.errors import ApiError

    app = _app()
    try:
        with db.unit_of_work(app) as sess:
            org = _org_by_business_id(sess, business_id)
            rows = redeem_holding(sess, org, on.date(), reason)
            click.echo(
                f"{org.name} ({org.business_id}): {sum(r.shares for r in rows)} shares "
                f"redeemed on {on.date()}"
            )
    except ApiError as exc:
        raise click.ClickException(str(exc)) from exc


def _mark(sub_id: int, field: str, on: Any) -> None:
    from catalog.ownership.models import ShareSubscription
    from catalog.ownership.operations import update_subscription
    from servicedesk.errors import ApiError

    app = _app()
    try:
        with db.unit_of_work(app) as sess:
            row = sess.get(ShareSubscription, sub_id)
            if row is None:
                raise click.ClickException(f"No subscription {sub_id}.")
            update_subscription(sess, row, {field: on.date()})
            click.echo(f"subscription {sub_id}: {field} {on.date()}")
    except ApiError as exc:
        raise click.ClickException(str(exc)) from exc


for _field, _verb in (("paid_on", "pay"), ("registered_on", "register"), ("redeemed_on", "redeem")):

    def _command(subscription_id: int, on: Any, _f: str = _field) -> None:
        _mark(subscription_id, _f, on)

    _command.__doc__ = f"Record that a subscription was {_field.split('_')[0]} on a date."
    shares.command(_verb)(
        click.argument("subscription_id", type=int)(
            click.option("--on", "on", type=click.DateTime(["%Y-%m-%d"]), required=True)(_command)
        )
    )


# --- scheduler and outbox -----------------------------------------------------------------


@main.command()
@click.option("--once", is_flag=True, help="Run every job once, then exit (cron, tests).")
def scheduler(once: bool) -> None:
    """Run the scheduler's jobs in the foreground (production: its own process).

    Several may run: on PostgreSQL an advisory lock runs each job in one of them
    at a time. Ctrl-C (or SIGTERM) stops it after the running jobs finished.
    """
    import signal

    from sla.scheduler import JOBS, build_scheduler, run_all_once

    app = _app()
    if once:
        outcomes = run_all_once(app)
        for job_id, outcome in outcomes.items():
            click.echo(f"{job_id}: {outcome}")
        if "failed" in outcomes.values():
            sys.exit(1)
        return

    def _stop(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    from sla.scheduler import sqlite_lock_path, sqlite_scheduler_lock

    lock = sqlite_scheduler_lock(app)  # held (referenced) until this command returns
    if lock is None:
        raise click.ClickException(
            "Another process runs the scheduler of this SQLite database "
            f"(it holds {sqlite_lock_path(app)}); SQLite runs one scheduler."
        )
    sched = build_scheduler(app, blocking=True)
    previous = signal.signal(signal.SIGTERM, _stop)
    running = ", ".join(j.id for j in JOBS if j.applies(app))
    click.echo(f"Scheduler running: {running}. Ctrl-C stops it.")
    try:
        sched.start()  # blocks until interrupted
    except (KeyboardInterrupt, SystemExit):
        click.echo("Stopping: waiting for running jobs to finish.")
    finally:
        signal.signal(signal.SIGTERM, previous)
        if sched.running:
            sched.shutdown(wait=True)
    click.echo("Scheduler stopped.")


@main.group()
def outbox() -> None:
    """Outgoing e-mail: send, status, and an operator's decisions on stuck messages."""


@outbox.command("send")
@click.option("--limit", default=100, show_default=True, type=int)
def outbox_send(limit: int) -> None:
    """Send the pending e-mail once (MAIL_TRANSPORT: smtp, file or log)."""
    from servicedesk.notifications.sender import send_pending, transport_from_settings

    app = _app()
    transport = transport_from_settings(app.config["SETTINGS"])
    click.echo(f"sent {send_pending(app, transport, limit)} message(s) via {transport!r}")


@outbox.command("status")
def outbox_status() -> None:
    """Messages per status; failed ones and those whose delivery is unknown."""
    from servicedesk.notifications.queries import failed_messages, stale_sending, status_counts

    app = _app()
    with db.unit_of_work(app) as sess:
        counts = status_counts(sess)
        click.echo("  ".join(f"{status}: {n}" for status, n in counts.items()))
        for m in stale_sending(sess):
            click.echo(
                f"unknown #{m.id} to {m.recipient}: claimed {m.claimed_at:%Y-%m-%d %H:%M}Z"
                f" by {m.claimed_by}, never marked (check the mail log)"
            )
        for m in failed_messages(sess):
            click.echo(f"failed  #{m.id} to {m.recipient} after {m.attempts}: {m.last_error}")


@outbox.command("requeue")
@click.argument("ids", nargs=-1, type=int, required=True)
def outbox_requeue(ids: tuple[int, ...]) -> None:
    """Send failed or stuck ('sending') messages again. A stuck one may have gone out:
    check the mail server's log for its Message-ID first."""
    from servicedesk.notifications.operations import requeue

    with db.unit_of_work(_app()) as sess:
        click.echo(f"requeued {requeue(sess, list(ids))} message(s)")


@outbox.command("mark-sent")
@click.argument("ids", nargs=-1, type=int, required=True)
def outbox_mark_sent(ids: tuple[int, ...]) -> None:
    """Record that stuck ('sending') messages did go out (per the mail server's log)."""
    from servicedesk.notifications.operations import mark_sent

    with db.unit_of_work(_app()) as sess:
        click.echo(f"marked {mark_sent(sess, list(ids))} message(s) sent")


def _register_i18n() -> None:
    from servicedesk.web.catalogs import i18n

    main.add_command(i18n)


_register_i18n()


def _register_mail() -> None:
    from servicedesk.mail.cli import mail, mail_in

    main.add_command(mail_in)
    main.add_command(mail)


_register_mail()


def _register_report() -> None:
    from servicedesk.reports.cli import report

    main.add_command(report)


_register_report()


if __name__ == "__main__":  # `python -m servicedesk.cli` from a worktree
    main()
