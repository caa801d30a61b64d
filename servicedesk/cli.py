"""The `servicedesk` command: run, db, demo, user, token."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import Flask
from sqlalchemy import func, inspect, select

from servicedesk import db, migrate
from servicedesk.enums import Role


def _app() -> Flask:
    from servicedesk.app import create_app

    return create_app()


def _url(app: Flask) -> str:
    return app.extensions["db_engine"].url.render_as_string(hide_password=False)


@click.group(help="KPK Service Desk: service desk and SLA tracking for KPK ICT and KPK THH.")
def main() -> None:
    pass


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-demo", is_flag=True, help="Do not load demo data into an empty database.")
def run(host: str, port: int, no_demo: bool) -> None:
    """Serve locally: upgrade the database, load the demo data when it is empty, start."""
    app = _app()
    migrate.upgrade(_url(app))
    if not no_demo:
        from servicedesk.demo import load_demo
        from servicedesk.users.models import User

        with db.unit_of_work(app) as sess:
            empty = sess.scalar(select(func.count()).select_from(User)) == 0
        if empty:
            click.echo("Empty database: loading the demo data.")
            _print_credentials(load_demo(app))
    click.echo(f"KPK Service Desk on http://{host}:{port}/  (API docs: /api/v1/docs)")
    app.run(host=host, port=port, use_reloader=False, threaded=True)


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
@click.option("--force", is_flag=True, help="Load even if the database holds data.")
def demo(force: bool) -> None:
    """Load the demo data set (upgrades the schema first) and print the credentials."""
    from servicedesk.demo import load_demo
    from servicedesk.users.models import User

    app = _app()
    migrate.upgrade(_url(app))
    with db.unit_of_work(app) as sess:
        if sess.scalar(select(func.count()).select_from(User)) and not force:
            click.echo("The database holds data already; use --force to add the demo anyway.",
                       err=True)
            sys.exit(1)
    _print_credentials(load_demo(app))


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
@click.option("--provider", type=click.Choice(["ICT", "THH"]), default=None,
              help="For agents: which centre they work for.")
def user_add(email: str, role: str, password: str, business_id: str | None, name: str | None,
             provider: str | None) -> None:
    """Add a user."""
    from catalog.business_id import BusinessIdError, normalise_business_id
    from catalog.organisations.models import Organisation
    from servicedesk.errors import ApiError
    from servicedesk.users.operations import create_user

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
            created = create_user(sess, email=email, name=name or email.split("@")[0],
                                  role=role, organisation_id=org_id, provider=provider,
                                  password=password)
            click.echo(f"user {created.id} {created.email} ({created.role})")
    except (ApiError, BusinessIdError) as exc:
        details = getattr(exc, "details", {}).get("fields")
        raise click.ClickException(f"{exc}" + (f" {details}" if details else "")) from exc


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("email")
@click.option("--name", default="cli")
def token_create(email: str, name: str) -> None:
    """Create an API token for EMAIL and print only the token."""
    from servicedesk.auth import issue_token
    from servicedesk.users.operations import find_user_by_email

    app = _app()
    with db.unit_of_work(app) as sess:
        found = find_user_by_email(sess, email)
        if found is None or not found.active:
            raise click.ClickException(f"No active user {email}.")
        _, plain = issue_token(sess, found, name=name)
    click.echo(plain)


def schema_exists(app: Flask) -> bool:
    return inspect(app.extensions["db_engine"]).has_table("alembic_version")
