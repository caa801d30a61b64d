"""Near-static data is cached per process; a change made through the API on one worker is seen
by the next request on every other.

Two app instances on the one test database are two workers: two engines, two caches. Both
are warmed with a ticket each; then an admin changes near-static data through worker A, and
the next request on worker B must see it. One test per cached region.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from servicedesk import db
from servicedesk.app import create_app
from servicedesk.db import frozen_now
from tests.api.helpers import assert_error
from tests.perf.test_write_statements import Count, counted
from tests.sla.conftest import World, hel
from tests.sla.conftest import world as world  # the fixture: the SLA tests' world

MONDAY = hel(2026, 3, 2, 10, 0)
TUESDAY = MONDAY + timedelta(days=1)


@pytest.fixture(scope="module")
def app_b(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """Worker B: another app (engine, cache) on the session app's database."""
    url = db.engine_of(app).url.render_as_string(hide_password=False)
    other = create_app(
        overrides={"TESTING": True, "DATABASE_URL": url},
        env={
            "SERVICEDESK_MODE": "test",
            "DATABASE_URL": url,
            "MAIL_FILE": str(tmp_path_factory.mktemp("mail-b") / "mail.log"),
        },
    )
    yield other
    db.engine_of(other).dispose()


class WorkerB:
    def __init__(self, app: Flask, world: World) -> None:
        self.app, self.world = app, world
        self.client: FlaskClient = app.test_client()

    def call(self, method: str, url: str, at: datetime, who: str = "requester", **kw: Any):
        with frozen_now(at):
            return self.client.open(url, method=method, headers=self.world.headers[who], **kw)

    def file(self, at: datetime, who: str = "requester", **fields: Any) -> Any:
        body = {
            "title": "Tulostin ei tulosta",
            "description": "Kerros 3.",
            "service_id": self.world.app_service.id,
            "impact": "medium",
            "urgency": "medium",
            **fields,
        }
        return self.call("POST", "/api/v1/tickets", at, who, json=body)


@pytest.fixture
def b(app_b: Flask, world: World) -> WorkerB:
    """Worker B, its cache warmed (and worker A's) with a ticket each."""
    worker = WorkerB(app_b, world)
    world.file(MONDAY)
    assert worker.file(MONDAY).status_code == 201
    return worker


def _admin(world: World, method: str, url: str, **kw: Any) -> Any:
    resp = world.call(method, url, MONDAY, "admin", **kw)
    assert resp.status_code in (200, 201), resp.get_json()
    return resp.get_json()


def _response_due(ticket: dict[str, Any]) -> str:
    return next(c["due_at"] for c in ticket["sla"]["clocks"] if c["kind"] == "response")


def test_an_agreement_ended_on_a_is_refused_by_the_gate_on_b(world, b):
    _admin(
        world, "PATCH", f"/api/v1/agreements/{world.version['id']}", json={"valid_to": "2026-03-02"}
    )
    err = assert_error(b.file(TUESDAY), 403, "not_entitled")
    assert err["details"]["reason"] == "no_agreement"


def test_shares_redeemed_on_a_are_refused_by_the_gate_on_b(world, b):
    ownership = _admin(world, "GET", f"/api/v1/organisations/{world.org.id}/ownership")
    (sub,) = ownership["subscriptions"]
    _admin(world, "PATCH", f"/api/v1/subscriptions/{sub['id']}", json={"redeemed_on": "2026-03-02"})
    err = assert_error(b.file(TUESDAY), 403, "not_entitled")
    assert err["details"]["reason"] == "not_owner"


def test_a_new_agreement_version_with_other_promises_sets_the_due_instant_on_b(world, b):
    before = b.file(TUESDAY).get_json()
    assert _response_due(before) == "2026-03-03T10:00:00Z"  # 120 min from 10:00 Helsinki
    _admin(
        world, "PATCH", f"/api/v1/agreements/{world.version['id']}", json={"valid_to": "2026-03-03"}
    )
    line = {"starts_on": "2026-03-04", "price_model": "per_ticket", "price": "25.00"}
    _admin(
        world,
        "POST",
        f"/api/v1/organisations/{world.org.id}/agreements",
        json={
            "valid_from": "2026-03-04",
            "valid_to": None,
            "notes": "2026 b",
            "services": [{"service_id": world.app_service.id, **line}],
            "promises": [
                {
                    "priority": "P3",
                    "response_minutes": 30,
                    "resolution_minutes": 480,
                    "calendar_id": world.office_calendar_id,
                }
            ],
        },
    )
    after = b.file(TUESDAY + timedelta(days=1)).get_json()
    assert _response_due(after) == "2026-03-04T08:30:00Z"  # 30 min from 10:00 Helsinki


def test_a_routing_rule_added_on_a_routes_the_next_ticket_on_b(world, b, make):
    other = make.group("ICT", members=(world.agent,))
    assert b.file(MONDAY, title="Verkkolevy ei näy").get_json()["group_id"] == world.group.id
    rule = _admin(
        world,
        "POST",
        "/api/v1/routing-rules",
        json={"name": "Verkkolevyt", "target_group_id": other.id, "keywords": ["verkkolevy"]},
    )
    routed = b.file(MONDAY, title="Verkkolevy ei näy").get_json()
    assert routed["group_id"] == other.id
    events = b.call("GET", f"/api/v1/tickets/{routed['id']}/events", MONDAY, "agent").get_json()
    assert [e["data"]["rule_id"] for e in events if e["kind"] == "routed"] == [rule["id"]]


def test_an_account_manager_replaced_on_a_takes_the_next_change_need_on_b(world, b, make):
    first = b.file(MONDAY, type="change_need").get_json()
    assert first["assignee"]["id"] == world.account_manager.id
    successor = make.user("account_manager")
    _admin(
        world,
        "PUT",
        f"/api/v1/organisations/{world.org.id}/account-managers",
        json={"user_ids": [successor.id]},
    )
    second = b.file(MONDAY, type="change_need").get_json()
    assert second["assignee"]["id"] == successor.id


def test_a_change_that_rolls_back_does_not_poison_any_cache(world, b, app_b):
    with counted(app_b) as seen:
        assert b.file(MONDAY).status_code == 201
    warm = Count(seen)
    # A near-static row is changed and flushed, then the database refuses it: 409, rollback.
    resp = world.call(
        "PATCH",
        f"/api/v1/calendars/{world.office_calendar_id}",
        MONDAY,
        "admin",
        json={"name": "24/7"},
    )
    assert resp.status_code == 409, resp.get_json()
    with counted(app_b) as seen:
        again = b.file(MONDAY)
    assert again.status_code == 201
    assert Count(seen) == warm, Count(seen).listed()  # the token stands: nothing reloaded
    assert world.file(MONDAY)["organisation"]["id"] == world.org.id
