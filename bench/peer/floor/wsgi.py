"""The floor: the service desk's statements with none of its Python, for `run_bench.sh`.

What the real service's requests must at least cost on this stack (Flask, SQLAlchemy Core,
gunicorn 2 sync workers) once every rule is taken out: the same API paths and answers'
shape as `load.py`'s servicedesk adapter, on the service desk's own schema and demo
database, running the same statements as the real requests (the token lookup with its
organisation and the cache token, the service, the number counter, the ticket, its event,
two clocks, the group's members, the mails; one transaction, `BEGIN IMMEDIATE` on SQLite,
one commit), but with the rows copied from a template ticket instead of decided by the
gate, routing, the SLA engine and the mail templates, and the answers dumped by `json`
instead of marshmallow. No access scope, no validation, no SLA figures: **not a service**,
a measuring stick. If the floor cannot reach a goal, no amount of tuning the real
service's Python will.

    ./run_bench.sh sqlite hello ours-sqlite floor-sqlite postgres ours-postgres floor-postgres

The `floor-*` stages set up the service's database exactly as the `ours-*` stages do
(`servicedesk db upgrade`, `demo`, tokens) and then serve this module's `app` instead of
the service's. The template is the newest demo ticket with two clocks and a mail.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, abort, request
from sqlalchemy import Engine, create_engine, event, text

URL = os.environ["DATABASE_URL"]
SQLITE = URL.startswith("sqlite")


def _engine() -> Engine:
    if not SQLITE:
        return create_engine(URL, pool_size=10, connect_args={"options": "-c jit=off"})
    engine = create_engine(URL, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(conn: Any, _record: Any) -> None:
        conn.isolation_level = None
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA journal_mode=WAL")

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        write = conn.get_execution_options().get("write", True)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN DEFERRED")

    return engine


engine = _engine()
app = Flask(__name__)

TOKEN = text(
    "SELECT t.id, t.user_id, t.expires_at, t.revoked_at, u.id AS uid, u.role, u.provider,"
    " u.organisation_id, o.name AS org_name,"
    " (SELECT token FROM cache_generation WHERE id = 1) AS cache_token"
    " FROM api_tokens t JOIN users u ON u.id = t.user_id"
    " LEFT JOIN organisations o ON o.id = u.organisation_id WHERE t.token_hash = :h"
)
SERVICE = text("SELECT * FROM services WHERE id = :id")
COUNTER = text(
    "INSERT INTO ticket_number_counters (year, last) VALUES (:y, 1) ON CONFLICT (year)"
    " DO UPDATE SET last = ticket_number_counters.last + 1 RETURNING last"
)
MEMBERS = text(
    "SELECT g.id, g.name, g.email, u.id AS user_id, u.email AS user_email, u.locale"
    " FROM resolver_groups g LEFT JOIN group_members m ON m.group_id = g.id"
    " LEFT JOIN users u ON u.id = m.user_id WHERE g.id = :g ORDER BY g.id, u.id"
)
ONE = text(
    "SELECT t.*, c.id AS c_id, c.kind AS c_kind, c.state AS c_state, c.due_at AS c_due,"
    " c.events AS c_events, c.elapsed_seconds AS c_elapsed, s.name_fi AS service_name,"
    " u.name AS requester_name FROM tickets t LEFT JOIN sla_clocks c ON c.ticket_id = t.id"
    " JOIN services s ON s.id = t.service_id JOIN users u ON u.id = t.requester_id"
    " WHERE t.id = :id ORDER BY c.id"
)
PAGE = text(
    "SELECT t.*, c.id AS c_id, c.kind AS c_kind, c.state AS c_state, c.due_at AS c_due,"
    " c.events AS c_events, c.elapsed_seconds AS c_elapsed, s.name_fi AS service_name,"
    " u.name AS requester_name FROM (SELECT * FROM tickets WHERE provider = :p"
    " AND status IN ('new', 'assigned', 'in_progress') AND (CAST(:after AS INTEGER) IS NULL OR id < CAST(:after AS INTEGER))"
    " ORDER BY received_at DESC, id DESC LIMIT 26) t LEFT JOIN sla_clocks c ON c.ticket_id = t.id"
    " JOIN services s ON s.id = t.service_id JOIN users u ON u.id = t.requester_id"
    " ORDER BY t.received_at DESC, t.id DESC, c.id"
)
CLOCKS = text("SELECT * FROM sla_clocks WHERE ticket_id = :id ORDER BY id")
RESOLVE_CLOCK = text(
    "UPDATE sla_clocks SET events = :events, state = 'met', stopped_at = :now,"
    " evaluated_at = :now, next_alert_at = NULL WHERE id = :id"
)
RESOLVE = text(
    "UPDATE tickets SET status = 'resolved', updated_at = :now, resolved_at = :now,"
    " version = version + 1 WHERE id = :id AND version = :v"
)
TOUCH = text("UPDATE tickets SET updated_at = :now, version = version + 1 WHERE id = :id")


def _template() -> dict[str, Any]:
    """The newest demo ticket with two clocks and a mail: the rows every create copies."""
    with engine.connect().execution_options(write=False) as conn:
        tid = conn.execute(text(
            "SELECT t.id FROM tickets t WHERE (SELECT count(*) FROM sla_clocks c"
            " WHERE c.ticket_id = t.id) = 2 AND EXISTS (SELECT 1 FROM outbox o"
            " WHERE o.ticket_id = t.id) ORDER BY t.id DESC LIMIT 1"
        )).scalar_one()

        def rows(table: str, key: str = "ticket_id") -> list[dict[str, Any]]:
            found = conn.execute(text(f"SELECT * FROM {table} WHERE {key} = :id"), {"id": tid})
            # JSON columns come back decoded on PostgreSQL: sent again as JSON text.
            return [
                {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in r.items()}
                for r in found.mappings()
            ]

        return {
            "ticket": rows("tickets", "id")[0],
            "event": rows("ticket_events")[0],
            "clocks": rows("sla_clocks"),
            "mails": rows("outbox"),
        }


TEMPLATE = _template()


def _insert(table: str, row: dict[str, Any], returning: bool = False) -> Any:
    cols = [c for c in row if c != "id"]
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})"
    return text(sql + (" RETURNING id" if returning else ""))


INSERT_TICKET = _insert("tickets", TEMPLATE["ticket"], returning=True)
INSERT_EVENT = _insert("ticket_events", TEMPLATE["event"])
INSERT_CLOCK = _insert("sla_clocks", TEMPLATE["clocks"][0])
INSERT_MAIL = _insert("outbox", TEMPLATE["mails"][0])
INSERT_COMMENT = text(
    "INSERT INTO ticket_comments (ticket_id, author_id, body, internal, created_at)"
    " VALUES (:ticket_id, :author_id, :body, :internal, :created_at)"
)


def _caller(conn: Any) -> Any:
    header = request.headers.get("Authorization", "")
    digest = hashlib.sha256(header.removeprefix("Bearer ").encode()).hexdigest()
    row = conn.execute(TOKEN, {"h": digest}).first()
    if row is None or row.revoked_at is not None:
        abort(401)
    return row


def _json(data: Any, status: int = 200) -> Response:
    body = json.dumps(data, default=str, sort_keys=True)
    return Response(body, status=status, mimetype="application/json")


def _answers(result: Any) -> list[dict[str, Any]]:
    """Tickets with their clocks nested, from a ticket x clock join."""
    keys = list(result.keys())
    split = next(i for i, k in enumerate(keys) if k.startswith("c_"))
    tail = keys[split:]
    clock_keys = [k[2:] for k in tail if k.startswith("c_")]
    n_clock = len(clock_keys)
    rest = tail[n_clock:]
    out: dict[int, dict[str, Any]] = {}
    for row in result:
        ticket = out.get(row[0])
        if ticket is None:
            ticket = dict(zip(keys[:split], row[:split], strict=True))
            ticket.update(zip(rest, row[split + n_clock:], strict=True))
            ticket["clocks"] = []
            out[row[0]] = ticket
        if row[split] is not None:
            ticket["clocks"].append(dict(zip(clock_keys, row[split:split + n_clock], strict=True)))
    return list(out.values())


def _mail(conn: Any, ticket_id: int, key: str, now: datetime, count: int = 1) -> None:
    """`count` of the template's mails (a create: the requester's receipt and the group's
    notice; a reply: the one to the requester), in one statement as the service writes them."""
    conn.execute(INSERT_MAIL, [
        {**mail, "ticket_id": ticket_id, "dedup_key": f"{key}:{n}", "created_at": now,
         "next_attempt_at": now, "message_id": f"<{key}.{n}@floor.example>"}
        for n, mail in enumerate(TEMPLATE["mails"][:count])
    ])


@app.post("/api/v1/tickets")
def create() -> Response:
    body = request.get_json()
    now = datetime.now(UTC).replace(tzinfo=None) if SQLITE else datetime.now(UTC)
    with engine.begin() as conn:
        caller = _caller(conn)
        service = conn.execute(SERVICE, {"id": body["service_id"]}).first()
        if service is None:
            abort(422)
        number = conn.execute(COUNTER, {"y": now.year}).scalar_one()
        ticket = {**TEMPLATE["ticket"], "title": body["title"],
                  "description": body["description"], "number": f"F-{now.year}-{number:07d}",
                  "requester_id": caller.uid, "received_at": now, "created_at": now,
                  "updated_at": now, "status": "new", "version": 1}
        tid = conn.execute(INSERT_TICKET, ticket).scalar_one()
        conn.execute(INSERT_EVENT, {**TEMPLATE["event"], "ticket_id": tid, "at": now})
        for clock in TEMPLATE["clocks"]:
            conn.execute(INSERT_CLOCK, {**clock, "ticket_id": tid, "evaluated_at": now})
        conn.execute(MEMBERS, {"g": ticket["group_id"]}).all()
        _mail(conn, tid, f"ack:{tid}", now, count=len(TEMPLATE["mails"]))
    return _json({**ticket, "id": tid, "clocks": TEMPLATE["clocks"]}, 201)


@app.get("/api/v1/tickets/<int:ticket_id>")
def get(ticket_id: int) -> Response:
    with engine.connect().execution_options(write=False) as conn, conn.begin():
        _caller(conn)
        found = _answers(conn.execute(ONE, {"id": ticket_id}))
    if not found:
        abort(404)
    return _json(found[0])


@app.get("/api/v1/tickets")
def page() -> Response:
    after = request.args.get("cursor", type=int)
    with engine.connect().execution_options(write=False) as conn, conn.begin():
        caller = _caller(conn)
        items = _answers(conn.execute(PAGE, {"p": caller.provider, "after": after}))
    more = len(items) > 25
    items = items[:25]
    return _json({"items": items, "next_cursor": str(items[-1]["id"]) if more else None})


def _reply(ticket_id: int, resolve: bool, comment: bool = True) -> Response:
    body = request.get_json()
    now = datetime.now(UTC).replace(tzinfo=None) if SQLITE else datetime.now(UTC)
    with engine.begin() as conn:
        caller = _caller(conn)
        ticket = conn.execute(ONE, {"id": ticket_id}).first()
        if ticket is None:
            abort(404)
        if comment:
            conn.execute(INSERT_COMMENT, {"ticket_id": ticket_id, "author_id": caller.uid,
                                          "body": body.get("body", ""), "internal": False,
                                          "created_at": now})
        conn.execute(INSERT_EVENT, {**TEMPLATE["event"], "ticket_id": ticket_id, "at": now})
        if resolve:
            conn.execute(INSERT_EVENT, {**TEMPLATE["event"], "ticket_id": ticket_id, "at": now})
            for clock in conn.execute(CLOCKS, {"id": ticket_id}).mappings().all():
                events = clock["events"]
                events = json.loads(events) if isinstance(events, str) else events
                conn.execute(RESOLVE_CLOCK, {"events": json.dumps(events), "now": now,
                                             "id": clock["id"]})
            conn.execute(RESOLVE, {"now": now, "id": ticket_id, "v": ticket.version})
        else:
            conn.execute(TOUCH, {"now": now, "id": ticket_id})
        _mail(conn, ticket_id, f"reply:{ticket_id}:{now.isoformat()}", now)
    return _json({"ticket_id": ticket_id, "body": body.get("body", "")}, 201)


@app.post("/api/v1/tickets/<int:ticket_id>/comments")
def comment(ticket_id: int) -> Response:
    return _reply(ticket_id, resolve=request.get_json().get("status") == "resolved")


@app.patch("/api/v1/tickets/<int:ticket_id>")
def patch(ticket_id: int) -> Response:
    response = _reply(ticket_id, resolve=True, comment=False)
    response.status_code = 200
    return response
