"""Feedback runs no clocks unless the agreement has a promise for feedback.

"Kiitos nopeasta avusta" is not a fault to fix on the clock. A promise line with
`ticket_type: "feedback"` serves feedback only; the lines without a type serve incidents,
service requests and change needs, never feedback.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from servicedesk.db import frozen_now
from tests.api.helpers import assert_error
from tests.api.test_gate import shareholder

HKI = ZoneInfo("Europe/Helsinki")
FILED = datetime(2026, 11, 23, 9, 0, tzinfo=HKI).astimezone(UTC)  # a Monday
MONTHS_LATER = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
PRIORITIES = ("P1", "P2", "P3", "P4")


@pytest.fixture
def admin(make: Any) -> dict[str, str]:
    return make.auth(make.user("admin"))


@pytest.fixture
def calendar_id(client: Any, admin: dict[str, str]) -> int:
    spec = {
        "timezone": "Europe/Helsinki",
        "hours": {d: [["08:00", "16:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": "FI",
    }
    resp = client.post(
        "/api/v1/calendars", json={"name": "Virka-aika", "spec": spec}, headers=admin
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def lines(calendar_id: int, response: int, resolution: int, ticket_type: str | None = None):
    return [
        {
            "priority": p,
            "response_minutes": response,
            "resolution_minutes": resolution,
            "calendar_id": calendar_id,
            "ticket_type": ticket_type,
        }
        for p in PRIORITIES
    ]


def customer(client, make, dbs, admin, desk, promises) -> dict[str, str]:
    """An owner with an agreement for the desk's service and these promise lines; the
    auth headers of one of its end users."""
    org = shareholder(make, dbs)
    body = {
        "valid_from": date(2020, 1, 1).isoformat(),
        "services": [
            {
                "service_id": desk["service"].id,
                "starts_on": "2020-01-01",
                "price_model": "per_ticket",
                "price": "25.00",
            }
        ],
        "promises": promises,
    }
    resp = client.post(f"/api/v1/organisations/{org.id}/agreements", json=body, headers=admin)
    assert resp.status_code == 201, resp.get_json()
    return make.auth(make.user("end_user", org=org))


def file(client: Any, headers: dict[str, str], service: Any, type_: str) -> dict[str, Any]:
    body = {
        "title": "Kiitos nopeasta avusta",
        "description": "Wilma toimii taas, kiitos!",
        "service_id": service.id,
        "type": type_,
    }
    with frozen_now(FILED):
        resp = client.post("/api/v1/tickets", json=body, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def targets(ticket: dict[str, Any]) -> dict[str, int]:
    return {c["kind"]: c["target_minutes"] for c in ticket["sla"]["clocks"]}


def read(client: Any, headers: dict[str, str], tid: int, at: datetime) -> dict[str, Any]:
    with frozen_now(at):
        return client.get(f"/api/v1/tickets/{tid}", headers=headers).get_json()


def breached_ids(client: Any, headers: dict[str, str], at: datetime) -> set[int]:
    with frozen_now(at):
        page = client.get("/api/v1/tickets?sla_state=was_breached", headers=headers).get_json()
    return {t["id"] for t in page["items"]}


def test_feedback_without_a_feedback_promise_runs_no_clocks_and_never_breaches(
    client, make, dbs, admin, desk, calendar_id
):
    requester = customer(client, make, dbs, admin, desk, lines(calendar_id, 120, 960))
    thanks = file(client, requester, desk["service"], "feedback")
    incident = file(client, requester, desk["service"], "incident")
    assert thanks["sla"]["clocks"] == []
    assert thanks["sla"]["no_promise"] is True
    assert targets(incident) == {"response": 120, "resolution": 960}
    later = read(client, admin, thanks["id"], MONTHS_LATER)
    assert later["sla"]["clocks"] == []
    assert breached_ids(client, admin, MONTHS_LATER) == {incident["id"]}


def test_feedback_with_a_feedback_promise_gets_that_lines_clocks(
    client, make, dbs, admin, desk, calendar_id
):
    promises = lines(calendar_id, 120, 960) + lines(calendar_id, 480, 4800, "feedback")
    requester = customer(client, make, dbs, admin, desk, promises)
    first = file(client, requester, desk["service"], "feedback")
    again = file(client, requester, desk["service"], "feedback")  # from the cached lines
    incident = file(client, requester, desk["service"], "incident")
    assert targets(first) == targets(again) == {"response": 480, "resolution": 4800}
    assert targets(incident) == {"response": 120, "resolution": 960}


def test_an_incident_ignores_feedback_lines(client, make, dbs, admin, desk, calendar_id):
    promises = lines(calendar_id, 480, 4800, "feedback")
    requester = customer(client, make, dbs, admin, desk, promises)
    incident = file(client, requester, desk["service"], "incident")
    change = file(client, requester, desk["service"], "change_need")
    assert incident["sla"]["clocks"] == change["sla"]["clocks"] == []
    assert targets(file(client, requester, desk["service"], "feedback")) == {
        "response": 480,
        "resolution": 4800,
    }


def test_an_incident_made_feedback_stops_running_its_clocks(
    client, make, dbs, admin, desk, calendar_id
):
    requester = customer(client, make, dbs, admin, desk, lines(calendar_id, 120, 960))
    ticket = file(client, requester, desk["service"], "incident")
    agent = make.auth(desk["agent"])
    at = datetime(2026, 11, 23, 9, 30, tzinfo=HKI).astimezone(UTC)
    with frozen_now(at):
        etag = client.get(f"/api/v1/tickets/{ticket['id']}", headers=agent).headers["ETag"]
        resp = client.patch(
            f"/api/v1/tickets/{ticket['id']}",
            json={"type": "feedback"},
            headers={**agent, "If-Match": etag},
        )
    assert resp.status_code == 200, resp.get_json()
    states = {c["kind"]: c["state"] for c in resp.get_json()["sla"]["clocks"]}
    assert states == {"response": "cancelled", "resolution": "cancelled"}
    assert breached_ids(client, admin, MONTHS_LATER) == set()


def test_the_agreement_api_takes_and_returns_a_lines_ticket_type(client, make, dbs, admin, desk):
    org = shareholder(make, dbs)
    spec = {"timezone": "Europe/Helsinki", "always": True}
    cal = client.post("/api/v1/calendars", json={"name": "24/7", "spec": spec}, headers=admin)
    cal_id = cal.get_json()["id"]
    base = {"valid_from": "2020-01-01", "services": []}
    both = lines(cal_id, 60, 480)[:1] + lines(cal_id, 240, 2400, "feedback")[:1]
    resp = client.post(
        f"/api/v1/organisations/{org.id}/agreements", json={**base, "promises": both}, headers=admin
    )
    assert resp.status_code == 201, resp.get_json()
    assert [p["ticket_type"] for p in resp.get_json()["promises"]] == [None, "feedback"]
    for wrong in ("incident", "Feedback", "", 1):
        bad = lines(cal_id, 60, 480, ticket_type=wrong)[:1]  # type: ignore[arg-type]
        other = shareholder(make, dbs)
        resp = client.post(
            f"/api/v1/organisations/{other.id}/agreements",
            json={**base, "promises": bad},
            headers=admin,
        )
        fields = assert_error(resp, 422)["details"]["fields"]
        assert "ticket_type" in json.dumps(fields), (wrong, fields)


def test_feedback_made_an_incident_starts_the_incidents_clocks_from_then(
    client, make, dbs, admin, desk, calendar_id
):
    requester = customer(client, make, dbs, admin, desk, lines(calendar_id, 120, 960))
    ticket = file(client, requester, desk["service"], "feedback")
    agent = make.auth(desk["agent"])
    at = datetime(2026, 11, 23, 10, 0, tzinfo=HKI).astimezone(UTC)
    with frozen_now(at):
        etag = client.get(f"/api/v1/tickets/{ticket['id']}", headers=agent).headers["ETag"]
        resp = client.patch(
            f"/api/v1/tickets/{ticket['id']}",
            json={"type": "incident"},
            headers={**agent, "If-Match": etag},
        )
    assert resp.status_code == 200, resp.get_json()
    clocks = {c["kind"]: c for c in resp.get_json()["sla"]["clocks"]}
    assert {k: c["target_minutes"] for k, c in clocks.items()} == {
        "response": 120,
        "resolution": 960,
    }
    # Counted from the type change (10:00), not from the receipt (09:00): due 12:00.
    assert clocks["response"]["due_at"] == "2026-11-23T10:00:00Z"
