"""Shared fixtures: one app and schema per session, a clean database per test.

The database is SQLite by default and PostgreSQL when DATABASE_URL says so
(CI runs the suite on both). Tests commit for real (concurrency needs it), so
every table is emptied after each test.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import URL, create_engine, make_url, text
from sqlalchemy.pool import NullPool

from catalog.business_id import check_digit
from servicedesk import db, migrate
from servicedesk.app import create_app
from servicedesk.auth import issue_token
from servicedesk.config import normalise_database_url
from servicedesk.db import Base

_seq = itertools.count(1)
#: The expiry of the factory's tokens (real ones expire after TOKEN_LIFETIME_DAYS).
FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)
#: Notes of the agreements the factory makes: every new service joins them.
AUTO_AGREEMENT = "test: covers every service"


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """SQLite in a temp dir, or a private PostgreSQL database beside DATABASE_URL's.

    A database of its own per test run, so that runs side by side (developers, CI) never
    drop each other's schema; it is dropped again at the end.
    """
    url = os.environ.get("DATABASE_URL")
    if not url:
        return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
    base = make_url(normalise_database_url(url))
    private = f"{base.database}_pytest_{os.getpid()}"
    _admin(base, f'DROP DATABASE IF EXISTS "{private}" WITH (FORCE)')
    _admin(base, f'CREATE DATABASE "{private}"')
    return base.set(database=private).render_as_string(hide_password=False)


def _admin(base: URL, statement: str) -> None:
    engine = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()


def _reset_schema(app: Flask) -> None:
    engine = db.engine_of(app)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}"'))
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    url = _database_url(tmp_path_factory)
    app = create_app(
        overrides={"TESTING": True, "DATABASE_URL": url},
        env={
            "SERVICEDESK_MODE": "test",
            "DATABASE_URL": url,
            "MAIL_FILE": str(tmp_path_factory.mktemp("mail") / "mail.log"),
        },
    )
    _reset_schema(app)
    migrate.upgrade(db.engine_of(app).url.render_as_string(hide_password=False))
    outer = os.environ.get("DATABASE_URL")
    if outer:
        os.environ["DATABASE_URL"] = url  # processes the tests start use the private database
    yield app
    db.engine_of(app).dispose()
    if outer:
        os.environ["DATABASE_URL"] = outer
        private = make_url(url)
        _admin(private.set(database=make_url(normalise_database_url(outer)).database),
               f'DROP DATABASE IF EXISTS "{private.database}" WITH (FORCE)')


@pytest.fixture(autouse=True)
def _clean_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "app" not in request.fixturenames:
        return
    app: Flask = request.getfixturevalue("app")
    engine = db.engine_of(app)
    tables = [t.name for t in Base.metadata.sorted_tables]
    with engine.begin() as conn:
        # DELETE, children first: on tables this small it is much faster than TRUNCATE.
        for name in reversed(tables):
            conn.execute(text(f'DELETE FROM "{name}"'))  # noqa: S608 (our table names)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def dbs(app: Flask) -> Iterator[Any]:
    """A session for arranging data; committed by the factories."""
    sess = db.new_session(app)
    yield sess
    sess.close()


def valid_business_id(n: int) -> str:
    for body in itertools.count(1000000 + n * 17):
        digit = check_digit(str(body))
        if digit is not None:
            return f"{body}-{digit}"
    raise AssertionError


class Factory:
    """Factory fixtures (indico style): make the records a test needs, committed."""

    def __init__(self, app: Flask, sess: Any) -> None:
        self.app, self.sess = app, sess

    def org(self, entitled: bool = True, **kw: Any) -> Any:
        """An organisation; by default an owner with an open-ended agreement that covers
        every service the test makes (so the in-house gate lets its tickets in)."""
        from catalog.organisations.operations import create_organisation

        n = next(_seq)
        data = {
            "business_id": valid_business_id(n),
            "name": f"Testikunta {n}",
            "kind": "municipality",
            "residents": 5000,
            **kw,
        }
        org = create_organisation(self.sess, **data)
        if entitled:
            self.entitle(org)
        self.sess.commit()
        return org

    def entitle(self, org: Any) -> Any:
        """Registered shares and an agreement (marked auto) covering every existing service."""
        from datetime import date

        from sqlalchemy import select

        from catalog.agreements.operations import create_version
        from catalog.ownership.operations import subscribe, update_subscription
        from catalog.services.models import Service

        sub = subscribe(self.sess, org, date(2015, 1, 1))
        update_subscription(
            self.sess, sub, {"paid_on": date(2015, 2, 1), "registered_on": date(2015, 3, 1)}
        )
        services = self.sess.scalars(select(Service.id)).all()
        version = create_version(
            self.sess,
            org,
            {
                "valid_from": date(2020, 1, 1),
                "valid_to": None,
                "notes": AUTO_AGREEMENT,
                "services": [self._line(sid) for sid in services],
                "promises": [],
            },
        )
        self.sess.commit()
        return version

    @staticmethod
    def _line(service_id: int) -> dict[str, Any]:
        from datetime import date
        from decimal import Decimal

        return {
            "service_id": service_id,
            "starts_on": date(2020, 1, 1),
            "price_model": "per_ticket",
            "price": Decimal("25.00"),
        }

    def user(self, role: str = "end_user", org: Any = None, **kw: Any) -> Any:
        from servicedesk.users.operations import create_user

        n = next(_seq)
        if role in ("end_user", "customer_contact") and org is None:
            org = self.org()
        if role == "agent":
            kw.setdefault("provider", "ICT")
        user = create_user(
            self.sess,
            email=f"user{n}@example.fi",
            name=f"User {n}",
            role=role,
            organisation_id=org.id if org else None,
            password=kw.pop("password", None),
            **kw,
        )
        self.sess.commit()
        return user

    def group(self, provider: str = "ICT", members: tuple[Any, ...] = (), **kw: Any) -> Any:
        from catalog.groups.operations import create_group, set_members

        n = next(_seq)
        group = create_group(self.sess, code=f"G{n}", name=f"Group {n}", provider=provider, **kw)
        set_members(self.sess, group, [m.id for m in members])
        self.sess.commit()
        return group

    def service(self, provider: str = "ICT", group: Any = None, **kw: Any) -> Any:
        from catalog.services.operations import create_service

        n = next(_seq)
        data = {
            "code": f"S{n}",
            "family": "application",
            "subfamily": "sector",
            "provider": provider,
            "name_fi": f"Palvelu {n}",
            "name_sv": f"Tjänst {n}",
            "name_en": f"Service {n}",
            "default_group_id": group.id if group else None,
            **kw,
        }
        service = create_service(self.sess, **data)
        from sqlalchemy import select

        from catalog.agreements.models import AgreementService, AgreementVersion

        for version in self.sess.scalars(
            select(AgreementVersion).where(AgreementVersion.notes == AUTO_AGREEMENT)
        ):
            self.sess.add(
                AgreementService(agreement_version_id=version.id, **self._line(service.id))
            )
        self.sess.commit()
        return service

    def token(self, user: Any) -> str:
        # Tests move the clock (frozen_now) by years: their tokens outlive every test's "now".
        _, plain = issue_token(self.sess, user, expires_at=FAR_FUTURE)
        self.sess.commit()
        return plain

    def auth(self, user: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user)}"}


@pytest.fixture
def make(app: Flask, dbs: Any) -> Factory:
    return Factory(app, dbs)


@pytest.fixture
def desk(make: Factory) -> dict[str, Any]:
    """A small world: ICT triage and a resolver group with an agent, a service, an end user."""
    agent = make.user("agent", provider="ICT")
    triage = make.group("ICT", members=(agent,), is_triage=True)
    group = make.group("ICT", members=(agent,))
    service = make.service("ICT", group=group)
    org = make.org()
    requester = make.user("end_user", org=org)
    return {
        "agent": agent,
        "triage": triage,
        "group": group,
        "service": service,
        "org": org,
        "requester": requester,
    }


def on_postgres() -> bool:
    """True when the suite runs on PostgreSQL (DATABASE_URL says so)."""
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `postgres` (real concurrency) are skipped on SQLite."""
    if on_postgres():
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgresql://...")
    for item in items:
        if item.get_closest_marker("postgres") is not None:
            item.add_marker(skip)
