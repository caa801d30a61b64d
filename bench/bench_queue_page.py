"""How much does the queue page cost next to the JSON list? Run: python bench/bench_queue_page.py

The desk's queue page (`/desk/queues/groups`, 50 rows, logged in with a session) and the API's
list (`GET /api/v1/tickets?limit=50&sort=sla_due&group_id=...`, bearer token) answer the same
user the same tickets in the same order: the page adds the header's counts (one statement),
the filters' choices, the group names and the HTML. Both run through the Flask test client in
one process, so the figure is the server's own time (no network). Target: the page in under
2x the time of the JSON list.

N tickets (default 2 000) are filed through `create_ticket` at spread instants, each with its
response and resolution clocks on an office-hours calendar; every other one is assigned. The
figure is the median of --runs requests of each, after a warm-up. It also prints the page's
SQL statement count with 10 and with 50 tickets in the queue (the same count: the rows' SLA
is read with one clock query for the page).

    python bench/bench_queue_page.py                         # SQLite, and PostgreSQL too if
                                                             # DATABASE_URL is set
    python bench/bench_queue_page.py --tickets 500 --runs 10 --only sqlite
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from servicedesk import db, migrate
from servicedesk.app import create_app
from servicedesk.config import normalise_database_url
from servicedesk.db import frozen_now

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # Wed 12:00 in Helsinki
PASSWORD = "Bench-salasana-2026"
OFFICE = {
    "timezone": "Europe/Helsinki",
    "hours": {d: [["08:00", "16:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": "FI",
    "closed_dates": [],
    "open_dates": [],
}


def make_app(url: str, tmp: str) -> Flask:
    env = {"SERVICEDESK_MODE": "test", "DATABASE_URL": url, "MAIL_FILE": f"{tmp}/mail.log"}
    app = create_app(overrides={"TESTING": True, "DATABASE_URL": url}, env=env)
    migrate.upgrade(url)
    return app


def seed(app: Flask, tickets: int) -> dict[str, Any]:
    """An organisation with promises, a group with one agent, and `tickets` tickets."""
    from catalog.agreements.operations import create_version
    from catalog.calendars.models import BusinessCalendar
    from catalog.groups.operations import create_group, set_members
    from catalog.organisations.operations import create_organisation
    from catalog.ownership.operations import subscribe, update_subscription
    from catalog.services.operations import create_service
    from servicedesk.auth import issue_token
    from servicedesk.tickets.operations import create_ticket, update_ticket
    from servicedesk.tickets.schemas import TicketCreate
    from servicedesk.users.operations import create_user

    sess = db.new_session(app)
    agent = create_user(
        sess,
        email="agent@bench.example",
        name="Agentti",
        role="agent",
        provider="ICT",
        password=PASSWORD,
    )
    create_group(sess, code="TRIAGE", name="Triage", provider="ICT", is_triage=True)
    group = create_group(sess, code="APP", name="Sovellustuki", provider="ICT")
    set_members(sess, group, [agent.id])
    service = create_service(
        sess,
        code="WILMA",
        family="application",
        subfamily="sector",
        provider="ICT",
        name_fi="Wilma",
        name_sv="Wilma",
        name_en="Wilma",
        default_group_id=group.id,
    )
    calendar = BusinessCalendar(name="office", spec=OFFICE)
    sess.add(calendar)
    org = create_organisation(
        sess, business_id="0000000-0", name="Benchikunta", kind="municipality", residents=5000
    )
    sub = subscribe(sess, org, date(2015, 1, 1))
    update_subscription(sess, sub, {"paid_on": date(2015, 2, 1), "registered_on": date(2015, 3, 1)})
    sess.flush()
    create_version(
        sess,
        org,
        {
            "valid_from": date(2020, 1, 1),
            "valid_to": None,
            "notes": "bench",
            "services": [
                {
                    "service_id": service.id,
                    "starts_on": date(2020, 1, 1),
                    "price_model": "per_ticket",
                    "price": Decimal("25.00"),
                }
            ],
            "promises": [
                {
                    "priority": p,
                    "response_minutes": r,
                    "resolution_minutes": 8 * r,
                    "calendar_id": calendar.id,
                }
                for p, r in (("P2", 60), ("P3", 120), ("P4", 480))
            ],
        },
    )
    requester = create_user(
        sess,
        email="user@bench.example",
        name="Käyttäjä",
        role="end_user",
        organisation_id=org.id,
    )
    sess.commit()
    levels = ("high", "medium", "low")
    started = NOW - timedelta(days=30)
    step = timedelta(days=30) / max(tickets, 1)
    for n in range(tickets):
        at = started + n * step
        with frozen_now(at):
            ticket, _ = create_ticket(
                sess,
                requester,
                TicketCreate().load(
                    {
                        "title": f"Wilma ei aukea {n}",
                        "description": "Kirjautuminen pyörii.",
                        "service_id": service.id,
                        "impact": "medium",
                        "urgency": levels[n % 3],
                    }
                ),
            )
            if n % 2:
                update_ticket(sess, agent, ticket, {"assignee_id": agent.id})
        if n % 200 == 199:
            sess.commit()
    sess.commit()
    _, token = issue_token(sess, agent)
    sess.commit()
    ids = {"agent_email": agent.email, "group_id": group.id, "token": token}
    sess.close()
    return ids


def timed(call: Callable[[], Any], runs: int) -> float:
    call()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        resp = call()
        times.append(time.perf_counter() - start)
        assert resp.status_code == 200, resp.status_code
    return statistics.median(times) * 1000


def statements(app: Flask, call: Callable[[], Any]) -> int:
    seen: list[str] = []

    def listener(*args: Any) -> None:
        seen.append(args[2])

    engine = db.engine_of(app)
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert call().status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


def login(app: Flask, email: str) -> Any:
    import re

    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    resp = client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
    assert resp.status_code == 303, resp.status_code
    return client


def bench(label: str, url: str, tickets: int, runs: int, tmp: str) -> list[tuple[str, ...]]:
    app = make_app(url, tmp)
    with app.app_context():
        pass
    ids = seed(app, tickets)
    client = login(app, ids["agent_email"])
    group = ids["group_id"]
    headers = {"Authorization": f"Bearer {ids['token']}"}

    def page() -> Any:
        with frozen_now(NOW):
            return client.get("/desk/queues/groups")

    def api() -> Any:
        with frozen_now(NOW):
            return client.get(
                f"/api/v1/tickets?limit=50&sort=sla_due&group_id={group}&status=new"
                "&status=assigned&status=in_progress&status=waiting_for_customer"
                "&status=escalated_to_supplier",
                headers=headers,
            )

    assert page().get_data(as_text=True).count('name="ticket"') == 50
    assert len(api().get_json()["items"]) == 50
    page_ms, api_ms = timed(page, runs), timed(api, runs)
    rows = [
        (label, f"{tickets:,}".replace(",", " "), "page, 50 rows", f"{page_ms:.1f}", ""),
        (
            label,
            f"{tickets:,}".replace(",", " "),
            "JSON list, 50",
            f"{api_ms:.1f}",
            f"{page_ms / api_ms:.2f}",
        ),
    ]
    db.engine_of(app).dispose()
    return rows


def statement_counts(url: str, tmp: str) -> tuple[int, int]:
    """The page's statements with 10 and with 50 tickets in the queue."""
    app = make_app(url, tmp)
    ids = seed(app, 10)
    client = login(app, ids["agent_email"])

    def page() -> Any:
        with frozen_now(NOW):
            return client.get("/desk/queues/groups")

    page()
    ten = statements(app, page)
    seed_more(app, 40)
    page()
    fifty = statements(app, page)
    db.engine_of(app).dispose()
    return ten, fifty


def seed_more(app: Flask, count: int) -> None:
    from sqlalchemy import select

    from catalog.services.models import Service
    from servicedesk.tickets.operations import create_ticket
    from servicedesk.tickets.schemas import TicketCreate
    from servicedesk.users.models import User

    sess = db.new_session(app)
    requester = sess.scalar(select(User).where(User.email == "user@bench.example"))
    service = sess.scalar(select(Service))
    for n in range(count):
        with frozen_now(NOW - timedelta(hours=1, minutes=n)):
            create_ticket(
                sess,
                requester,
                TicketCreate().load(
                    {
                        "title": f"Lisää {n}",
                        "description": "x",
                        "service_id": service.id,
                        "impact": "medium",
                        "urgency": "medium",
                    }
                ),
            )
    sess.commit()
    sess.close()


def fresh_postgres(url: str, name: str) -> str:
    base = make_url(normalise_database_url(url))
    engine = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--only", choices=("postgresql", "sqlite"))
    args = parser.parse_args()
    pg = os.environ.get("DATABASE_URL")
    rows: list[tuple[str, ...]] = []
    counts: list[tuple[str, int, int]] = []
    with tempfile.TemporaryDirectory() as tmp:
        targets = []
        if args.only != "postgresql":
            targets.append(("SQLite", lambda n: f"sqlite:///{tmp}/{n}.sqlite3"))
        if pg and args.only != "sqlite":
            targets.append(("PostgreSQL", lambda n: fresh_postgres(pg, f"benchqueue_{n}")))
        for label, url_for in targets:
            rows += bench(label, url_for("big"), args.tickets, args.runs, tmp)
            counts.append((label, *statement_counts(url_for("small"), tmp)))
    print(f"Python {platform.python_version()}, median of {args.runs} runs\n")
    print("| database | tickets | request | ms | page / JSON |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print("\n| database | statements, 10 rows | statements, 50 rows |")
    print("|---|---|---|")
    for label, ten, fifty in counts:
        print(f"| {label} | {ten} | {fifty} |")


if __name__ == "__main__":
    main()
