"""How many SQL statements each write costs, counted on the app's engine.

SQLite counts its BEGIN IMMEDIATE; PostgreSQL's implicit BEGIN is no statement here, and it
inserts a ticket's clocks in one statement (SQLite, which cannot match RETURNING rows to
objects, in one each). The counts must not grow with the tickets and clocks already stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from servicedesk import db
from tests.conftest import on_postgres
from tests.sla.conftest import World, hel
from tests.sla.conftest import world as world  # the fixture: the SLA tests' world

#: A Monday morning inside office hours.
MONDAY = hel(2026, 3, 2, 10, 0)
#: SQLite's BEGIN IMMEDIATE.
BEGIN = 0 if on_postgres() else 1


class Count(int):
    """A statement count that shows the statements when an assertion on it fails."""

    def __new__(cls, seen: list[str]) -> Count:
        count = super().__new__(cls, len(seen))
        count.seen = list(seen)  # type: ignore[attr-defined]
        return count

    def __repr__(self) -> str:
        return f"{int(self)} statements"

    def listed(self) -> str:
        return "\n".join(self.seen)  # type: ignore[attr-defined]


@contextmanager
def counted(app: Flask) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_a: Any) -> None:
        seen.append(" ".join(statement.split())[:160])

    engine = db.engine_of(app)
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _warm(world: World, who: str, at: datetime) -> None:
    """The token's last_used_at refresh (once per 5 minutes) is not the write's cost."""
    assert world.call("GET", "/api/v1/me", at, who).status_code == 200


def _create(world: World, app: Flask, who: str, at: datetime, **fields: Any) -> tuple[int, Any]:
    body = {
        "title": "Tulostin ei tulosta",
        "description": "Kerros 3.",
        "service_id": world.app_service.id,
        "impact": "medium",
        "urgency": "medium",
        **fields,
    }
    headers = fields.pop("headers", None)
    body.pop("headers", None)
    with counted(app) as seen:
        resp = world.call("POST", "/api/v1/tickets", at, who, json=body, extra_headers=headers)
    assert resp.status_code == 201, resp.get_json()
    return Count(seen), resp.get_json()


def _fill(world: World, n: int, at: datetime) -> None:
    for _ in range(n):
        world.file(at)


@pytest.mark.parametrize("already", [1, 30])
def test_an_end_user_files_a_ticket_in_at_most_ten_statements_at_any_table_size(
    app, world, already
):
    _fill(world, already, MONDAY)
    _warm(world, "requester", MONDAY)
    cold, _ = _create(world, app, "requester", MONDAY)
    warm, second = _create(world, app, "requester", MONDAY)
    assert [c["kind"] for c in second["sla"]["clocks"]] == ["response", "resolution"]
    assert second["group_id"] == world.group.id
    # token (the cache token read beside it), service, number, ticket, events (one),
    # clocks (one a row on SQLite); + the group's recipients and the mails (one INSERT)
    assert warm == BEGIN + 5 + (1 if on_postgres() else 2) + 2
    assert warm <= 10, warm.listed()
    assert cold == warm  # the world's own writes just replaced the cache token: all warm


def test_a_cold_cache_costs_its_loads_once_and_the_next_create_is_warm(app, world):
    world.file(MONDAY)
    # An admin's change of near-static data (a calendar's name) replaces the cache token.
    resp = world.call(
        "PATCH", f"/api/v1/calendars/{world.office_calendar_id}", MONDAY, "admin",
        json={"name": "Virka-aika"},
    )
    assert resp.status_code == 200, resp.get_json()
    _warm(world, "requester", MONDAY)
    cold, _ = _create(world, app, "requester", MONDAY)
    warm, _ = _create(world, app, "requester", MONDAY)
    assert warm <= 10, warm.listed()
    assert cold > warm  # gate, promise and routing inputs loaded again, once


def test_a_customer_contact_files_for_a_colleague_within_the_same_budget(app, world, make):
    contact = make.user("customer_contact", org=world.org)
    world.headers["contact"] = make.auth(contact)
    _warm(world, "contact", MONDAY)
    _create(world, app, "contact", MONDAY)
    warm, body = _create(world, app, "contact", MONDAY, requester_id=world.requester.id)
    assert body["requester"]["id"] == world.requester.id
    # + the requester's row; + the group's recipients and the mails (one INSERT)
    assert warm <= BEGIN + 10 + (0 if on_postgres() else 1), warm.listed()


def test_an_agent_logs_a_call_for_a_requester_within_budget(app, world):
    _warm(world, "agent", MONDAY)
    _create(world, app, "agent", MONDAY, requester_id=world.requester.id, channel="phone")
    warm, body = _create(world, app, "agent", MONDAY, requester_id=world.requester.id)
    assert body["sla"]["time_split"] is not None  # the desk's answer says where time went
    # + the requester's row; + the time split's clocks and escalation legs
    assert warm <= BEGIN + 11 + (0 if on_postgres() else 1), warm.listed()


def test_an_idempotency_key_costs_its_claim_and_its_link(app, world):
    _warm(world, "requester", MONDAY)
    _create(world, app, "requester", MONDAY, headers={"Idempotency-Key": "k-0"})
    warm, body = _create(world, app, "requester", MONDAY, headers={"Idempotency-Key": "k-1"})
    # + the group's recipients and the mails (one INSERT)
    assert warm <= BEGIN + 9 + (1 if on_postgres() else 2), warm.listed()
    with counted(app) as seen:
        replay = world.call(
            "POST", "/api/v1/tickets", MONDAY, "requester",
            extra_headers={"Idempotency-Key": "k-1"},
            json={"title": "Tulostin ei tulosta", "description": "Kerros 3.",
                  "service_id": world.app_service.id, "impact": "medium", "urgency": "medium"},
        )
    assert replay.status_code == 200 and replay.get_json()["id"] == body["id"]
    assert len(seen) <= 10


# --- comments, PATCH, and both in one ---------------------------------------------------------


def _comment(world: World, app: Flask, ticket_id: int, who: str, at: datetime, **body: Any):
    with counted(app) as seen:
        resp = world.call(
            "POST", f"/api/v1/tickets/{ticket_id}/comments", at, who,
            json={"body": "Katsotaan.", **body},
        )
    assert resp.status_code == 201, resp.get_json()
    return Count(seen), resp


@pytest.mark.parametrize("already", [1, 30])
def test_comments_cost_the_same_at_any_table_size(app, world, already):
    _fill(world, already, MONDAY)
    _warm(world, "agent", MONDAY)
    _warm(world, "requester", MONDAY)
    counts = []
    for _ in range(2):  # the second on a warm cache
        ticket = world.file(MONDAY)
        desk, _ = _comment(world, app, ticket["id"], "agent", MONDAY)  # stops the response clock
        world.patch(ticket["id"], MONDAY, status="waiting_for_customer")
        answer, _ = _comment(world, app, ticket["id"], "requester", MONDAY)
        counts.append((desk, answer))
    assert counts[0] == counts[1]
    desk, answer = counts[1]
    # token, ticket, clocks, cache token, comment, event, clock update, ticket update
    assert desk <= BEGIN + 8, desk.listed()
    # + the "updated" event, the resumed clocks, the update cycle started, and the desk's mail
    # of the answer (nobody has the ticket: the group's recipients, then the one INSERT)
    assert answer <= BEGIN + 12, answer.listed()


@pytest.mark.parametrize("already", [1, 30])
def test_patch_resolve_and_reply_and_resolve_cost_the_same_at_any_table_size(
    app, world, already
):
    _fill(world, already, MONDAY)
    _warm(world, "agent", MONDAY)
    patches, replies = [], []
    for _ in range(2):
        ticket = world.file(MONDAY)
        with counted(app) as seen:
            world.patch(ticket["id"], MONDAY, status="resolved")
        patches.append(Count(seen))
        ticket = world.file(MONDAY)
        n, resp = _comment(world, app, ticket["id"], "agent", MONDAY, status="resolved")
        assert resp.headers["ETag"]
        replies.append(n)
    assert patches[0] == patches[1] and replies[0] == replies[1]
    # token, ticket, ticket update, event, escalation leg, clocks, clock updates (2);
    # the desk's answer: time split (clocks, legs)
    assert patches[1] <= BEGIN + 10, patches[1].listed()
    # one request where there were two (13 + 20 statements before)
    assert replies[1] <= BEGIN + 11, replies[1].listed()
