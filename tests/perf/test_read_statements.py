"""Reads cost the same statements at any size, for every role.

GET one ticket and list pages (first page, a cursor page, with sla_state, sort=sla_due, q)
are counted on the app's engine for the admin, a desk agent, a joint-desk agent, a customer
contact, an end user, an account manager and a supplier agent: with 3 tickets and with 40
(each with its customer clocks and a supplier leg with its own clocks) the counts are equal
and under a tight bound. Also: `sla_state=breached` is the open queue, `was_breached` the
history.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from servicedesk.db import engine_of, frozen_now
from tests.escalations.conftest import Api, World, local

ROLES = ("admin", "agent", "joint", "contact", "end_user", "manager", "supplier")
LISTS = {
    "first": "limit=25",
    "sla_state": "limit=25&sla_state=at_risk&sla_state=breached&sla_state=running",
    "sla_due": "limit=25&sort=sla_due",
    "q": "limit=25&q=Wilma",
}
#: Upper bounds: the token and user with the cache token for the calendars (1), the ticket
#: or page with the clocks the caller may see (1), and for the centre's staff on GET the
#: supplier legs of the time split (1); SQLite's BEGIN is counted where the driver sends it.
MAX_GET, MAX_LIST = 4, 3
START = local("2026-11-23 09:00")


@contextmanager
def counted(app: Any) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    engine = engine_of(app)
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _users(world: World, make: Any) -> dict[str, Any]:
    from sqlalchemy import update

    from servicedesk.users.models import User

    joint = make.user("agent", provider="ICT", desk="joint")
    contact = make.user("customer_contact", org=world.org)
    make.sess.execute(update(User).where(User.id == joint.id).values(desk="joint"))
    make.sess.commit()
    return {
        "admin": world.admin,
        "agent": world.agent,
        "joint": joint,
        "contact": contact,
        "end_user": world.requester,
        "manager": world.manager,
        "supplier": world.agent_a,
    }


def _grow(api: Api, world: World, to: int, have: int) -> list[int]:
    """File tickets up to `to`, each escalated to supplier A (customer and supplier clocks)."""
    ids = []
    for i in range(have, to):
        when = START + timedelta(minutes=i)
        tid = api.file(when, world.requester, world.service, title=f"Wilma ei aukea {i}")["id"]
        api.escalate(when + timedelta(seconds=30), tid, world.agent, world.supplier_a)
        ids.append(tid)
    return ids


def _measure(app: Any, api: Api, users: dict[str, Any], tid: int) -> dict[tuple[str, str], int]:
    """Statements per (role, request), each request made once before (token touch, caches)."""
    at = START + timedelta(days=1, hours=2)
    out = {}
    for role, user in users.items():
        requests = {"get": f"/tickets/{tid}"}
        requests.update({name: f"/tickets?{query}" for name, query in LISTS.items()})
        first = api.get(at, "/tickets?limit=2", user)
        assert first.status_code == 200, (role, first.get_json())
        cursor = first.get_json()["next_cursor"]
        assert cursor, role  # every role sees more than two tickets
        requests["cursor"] = f"/tickets?limit=2&cursor={cursor}"
        for name, path in requests.items():
            resp = api.get(at, path, user)  # warm: the token's last use, the caches
            assert resp.status_code == 200, (role, name, resp.get_json())
            with counted(app) as seen:
                resp = api.get(at, path, user)
            assert resp.status_code == 200
            if name in ("first", "cursor", "sla_due", "q"):
                assert resp.get_json()["items"], (role, name)  # a real page, not an empty one
            out[(role, name)] = len(seen)
    return out


def test_read_statements_are_few_and_flat_for_every_role(app, api, world, make):
    users = _users(world, make)
    ids = _grow(api, world, 3, 0)
    small = _measure(app, api, users, ids[0])
    _grow(api, world, 40, 3)
    large = _measure(app, api, users, ids[0])
    assert large == small
    for (role, name), count in small.items():
        assert count <= (MAX_GET if name == "get" else MAX_LIST), (role, name, count)


def _status(api: Api, when: Any, tid: int, user: Any, target: str) -> None:
    """Move the ticket to `target` through the statuses the API offers."""
    for step in ("assigned", "in_progress", target):
        body = api.get(when, f"/tickets/{tid}", user).get_json()
        if body["status"] == target:
            return
        if step in body["allowed_transitions"]:
            extra = {"assignee_id": user.id} if step == "assigned" else {}
            resp = api.patch(when, tid, user, {"status": step, **extra})
            assert resp.status_code == 200, resp.get_json()


def test_breached_is_the_open_queue_and_was_breached_the_history(api, world):
    open_one = api.file(START, world.requester, world.service)["id"]
    done = api.file(START, world.requester, world.service)["id"]
    later = START + timedelta(days=3)  # both response clocks ran past due
    _status(api, later, done, world.agent, "resolved")
    assert api.get(later, f"/tickets/{done}", world.agent).get_json()["status"] == "resolved"

    def listed(state: str) -> set[int]:
        body = api.ok("GET", later, f"/tickets?sla_state={state}", world.agent)
        return {t["id"] for t in body["items"]}

    assert listed("breached") == {open_one}
    assert listed("was_breached") == {open_one, done}


def test_an_unknown_sla_state_is_refused(api, world):
    resp = api.get(START, "/tickets?sla_state=ever", world.agent)
    assert resp.status_code == 422


@pytest.mark.parametrize("role", ["agent", "end_user", "supplier"])
def test_the_fast_answer_is_the_documented_schema_byte_for_byte(app, api, world, make, role):
    """The GET answer is `TicketOut().dump` of the same ticket, as JSON bytes."""
    from flask import g

    from servicedesk import db
    from servicedesk.tickets import api as tickets_api
    from servicedesk.tickets.answers import ticket_answer
    from servicedesk.tickets.models import Ticket
    from servicedesk.tickets.schemas import TicketOut
    from servicedesk.users.models import User

    users = _users(world, make)
    ids = _grow(api, world, 3, 0)
    at = START + timedelta(days=1)
    for tid in ids:
        got = api.get(at, f"/tickets/{tid}", users[role])
        with app.test_request_context(), frozen_now(at):
            sess = db.session()
            g.user = sess.get(User, users[role].id)
            ticket = tickets_api.ticket_out(sess.get(Ticket, tid))
            reference = app.json.response(TicketOut().dump(ticket)).data
            fast = ticket_answer(ticket, ticket.sla, ticket.allowed_transitions)
            assert app.json.response(fast).data == reference
            assert got.data == reference
            assert got.get_json()["sla"]["clocks"]


def test_a_ticket_never_escalated_has_no_supplier_legs_to_read(app, api, world):
    """The time split reads a ticket's supplier legs only if it was ever escalated (the
    ticket's own query tells): one statement fewer, and the same split."""
    plain = api.file(START, world.requester, world.service)["id"]
    escalated = _grow(api, world, 1, 0)[0]
    at = START + timedelta(days=1, hours=2)
    counts, splits = {}, {}
    for tid in (plain, escalated):
        api.get(at, f"/tickets/{tid}", world.agent)  # warm: the token's last use, the caches
        with counted(app) as seen:
            resp = api.get(at, f"/tickets/{tid}", world.agent)
        assert resp.status_code == 200
        counts[tid], splits[tid] = len(seen), resp.get_json()["sla"]["time_split"]
    assert counts[plain] == counts[escalated] - 1
    assert splits[plain]["by_supplier"] == {} and splits[plain]["supplier_seconds"] == 0
    assert splits[escalated]["supplier_seconds"] > 0
    assert list(splits[escalated]["by_supplier"]) == [world.supplier_a["name"]]


@pytest.mark.parametrize("role", ["agent", "manager", "end_user", "supplier"])
@pytest.mark.parametrize("query", ["limit=2", "limit=25&sort=sla_due", "limit=3&sla_state=running"])
def test_a_list_page_is_the_documented_schema_byte_for_byte(app, api, world, make, role, query):
    """A list page, read as plain rows (`tickets.list_page`), is `TicketOut().dump` of each
    ticket loaded as an entity, with the clocks its caller may see and no time split, and
    its cursor leads on to the next page."""
    from flask import g

    from servicedesk import db
    from servicedesk.tickets.models import Ticket
    from servicedesk.tickets.operations import transitions_for
    from servicedesk.tickets.schemas import TicketOut
    from servicedesk.users.models import User
    from sla import queries as sla_queries

    users = _users(world, make)
    _grow(api, world, 5, 0)
    at = START + timedelta(days=1)
    path, pages = f"/tickets?{query}", 0
    while path:
        got = api.get(at, path, users[role])
        assert got.status_code == 200, got.get_json()
        page = got.get_json()
        assert page["items"], (role, query)
        with app.test_request_context(), frozen_now(at):
            sess = db.session()
            g.user = user = sess.get(User, users[role].id)
            items = []
            for item in page["items"]:
                ticket = sess.get(Ticket, item["id"])
                clocks = sla_queries.clocks_by_ticket(sess, [ticket], user)[ticket.id]
                ticket.sla = {**sla_queries.ticket_sla(sess, clocks, at), "time_split": None}
                ticket.allowed_transitions = transitions_for(user, ticket)
                items.append(TicketOut().dump(ticket))
            reference = {"items": items, "next_cursor": page["next_cursor"]}
            assert got.data == app.json.response(reference).data
        pages += 1
        cursor = page["next_cursor"]
        path = f"/tickets?{query}&cursor={cursor}" if cursor else None
    assert pages > 1 or "limit=25" in query  # the cursor was followed
