#!/usr/bin/env python3
"""SQL statements per request of the KPK Service Desk, on a database after a run.

Run with the service desk's venv python, in the server's environment (SERVICEDESK_MODE,
SECRET_KEY, DATABASE_URL; e.g. `source <OURS_DIR>/pg.env`), with the load config that
bootstrap_ours.py wrote (its tokens are in that database):

    python count_statements.py OURS_DIR/ours.json [--writes] [--show]

It builds the app with the factory, sends the load's requests through Flask's test
client as the same callers (desk agent; end user for create) and counts every statement
the engine sends (SQLAlchemy `before_cursor_execute`, which also sees SQLite's
BEGIN IMMEDIATE; PostgreSQL's implicit BEGIN / COMMIT are not statements here).
Each request is sent twice and the second count is reported (the first may include
one-off work such as the token's last_used_at refresh, shown separately).
--writes also counts create / comment / PATCH (they add a ticket, resolve one).
--show prints the statements of each measured request.
"""
from __future__ import annotations

import json
import sys

from sqlalchemy import event, func, select


def main(argv: list[str]) -> None:
    cfg_path = argv[0]
    writes, show = "--writes" in argv, "--show" in argv
    cfg = json.load(open(cfg_path))

    from servicedesk.app import create_app
    from servicedesk.tickets.lifecycle import OPEN_STATUSES
    from servicedesk.tickets.models import Ticket
    from sla.models import SlaClock

    app = create_app()
    engine = app.extensions["db_engine"]
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    agent = {"Authorization": "Bearer " + cfg["token"]}
    user = {"Authorization": "Bearer " + cfg["create_token"]}
    client = app.test_client()

    with app.app_context():
        from servicedesk import db

        sess = db.new_session(app)
        n_tickets = sess.scalar(select(func.count()).select_from(Ticket))
        n_open = sess.scalar(
            select(func.count()).select_from(Ticket).where(
                Ticket.status.in_([s.value for s in OPEN_STATUSES]))
        )
        n_clocks = sess.scalar(select(func.count()).select_from(SlaClock))
        open_id = sess.scalar(
            select(Ticket.id).where(Ticket.status == "new").order_by(Ticket.id.desc()).limit(1))
        any_id = sess.scalar(select(Ticket.id).order_by(Ticket.id.desc()).limit(1))
        sess.close()
    seen.clear()

    statuses = "&".join("status=" + s for s in
                        ("new", "assigned", "in_progress", "waiting_for_customer",
                         "escalated_to_supplier"))
    list_url = "/api/v1/tickets?%s&limit=25" % statuses
    results = []

    def measure(name, method, url, headers, body=None, twice=True, ok=(200, 201)):
        first = None
        for attempt in range(2 if twice else 1):
            seen.clear()
            resp = client.open(url, method=method, headers=headers, json=body)
            if resp.status_code not in ok:
                raise SystemExit(f"{name}: {method} {url} -> {resp.status_code} {resp.data[:300]!r}")
            if attempt == 0:
                first = len(seen)
        stmts = list(seen)
        results.append({"request": name, "method": method, "url": url,
                        "statements": len(stmts), "first_call": first})
        if show:
            print(f"--- {name}: {len(stmts)} statements", file=sys.stderr)
            for s in stmts:
                print("   ", s[:220], file=sys.stderr)
        return resp

    measure("get", "GET", f"/api/v1/tickets/{any_id}", agent)
    page1 = measure("list page 1 (limit 25, open)", "GET", list_url, agent)
    cursor = page1.get_json()["next_cursor"]
    page = page1
    for n in range(2, 11):
        if not cursor:
            break
        page = measure(f"list page {n}", "GET", list_url + "&cursor=" + cursor, agent)
        cursor = page.get_json()["next_cursor"]
    if writes:
        measure("create (end user)", "POST", "/api/v1/tickets", user,
                {"title": "count statements", "description": "x " * 200,
                 "service_id": cfg["service_id"], "impact": "medium", "urgency": "medium"},
                twice=False)
        measure("update step 1: comment", "POST", f"/api/v1/tickets/{open_id}/comments", agent,
                {"body": "count statements"}, twice=False)
        measure("update step 2: PATCH status resolved", "PATCH", f"/api/v1/tickets/{open_id}",
                {**agent, "If-Match": "*"}, {"status": "resolved"}, twice=False)
    print(json.dumps({
        "database": engine.dialect.name,
        "tickets": n_tickets, "open_tickets": n_open, "sla_clocks": n_clocks,
        "results": results,
    }, indent=1))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
