"""POST/GET /tickets/{id}/time-entries: the desk records minutes; staff read the totals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert

from catalog.organisations.models import organisation_account_managers
from servicedesk.db import frozen_now
from tests.api.helpers import assert_error, file_ticket

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def ticket(client: Any, make: Any, desk: dict[str, Any]) -> dict[str, Any]:
    with frozen_now(NOW):
        resp = file_ticket(client, make.auth(desk["requester"]), service_id=desk["service"].id)
    return resp.get_json()


def _post(client: Any, make: Any, who: Any, ticket_id: int, **body: Any) -> Any:
    with frozen_now(NOW):
        return client.post(
            f"/api/v1/tickets/{ticket_id}/time-entries", json=body, headers=make.auth(who)
        )


def _get(client: Any, make: Any, who: Any, ticket_id: int) -> Any:
    return client.get(f"/api/v1/tickets/{ticket_id}/time-entries", headers=make.auth(who))


def test_the_agent_records_time_and_reads_the_totals_and_an_internal_event(
    client: Any, make: Any, desk: dict[str, Any], ticket: dict[str, Any]
) -> None:
    agent = desk["agent"]
    first = _post(client, make, agent, ticket["id"], minutes=45, expert=True, note="Palvelin")
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["minutes"] == 45 and body["expert"] is True and body["note"] == "Palvelin"
    assert body["worked_on"] == "2026-11-20" and body["user_id"] == agent.id
    second = _post(client, make, agent, ticket["id"], minutes=15, expert=False)
    assert second.status_code == 201
    listed = _get(client, make, agent, ticket["id"]).get_json()
    assert [e["minutes"] for e in listed["entries"]] == [45, 15]
    assert listed["total_minutes"] == 60 and listed["expert_minutes"] == 45
    staff_events = client.get(
        f"/api/v1/tickets/{ticket['id']}/events", headers=make.auth(agent)
    ).get_json()
    recorded = [e for e in staff_events if e["kind"] == "time_recorded"]
    assert [e["data"]["minutes"] for e in recorded] == [45, 15]
    customer_events = client.get(
        f"/api/v1/tickets/{ticket['id']}/events", headers=make.auth(desk["requester"])
    ).get_json()
    assert not [e for e in customer_events if e["kind"] == "time_recorded"]


def test_worked_on_a_past_day_is_kept(
    client: Any, make: Any, desk: dict[str, Any], ticket: dict[str, Any]
) -> None:
    resp = _post(
        client, make, desk["agent"], ticket["id"], minutes=5, expert=False, worked_on="2026-11-20"
    )
    assert resp.status_code == 201 and resp.get_json()["worked_on"] == "2026-11-20"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"minutes": 0, "expert": True}, "minutes"),
        ({"minutes": -5, "expert": True}, "minutes"),
        ({"minutes": 1441, "expert": True}, "minutes"),
        ({"minutes": 1.5, "expert": True}, "minutes"),
        ({"minutes": "30", "expert": True}, "minutes"),
        ({"minutes": 30, "expert": "yes"}, "expert"),
        ({"minutes": 30}, "expert"),
        ({"minutes": 30, "expert": True, "worked_on": "2026-11-21"}, "worked_on"),
        ({"minutes": 30, "expert": True, "worked_on": "2026-11-19"}, "worked_on"),
        ({"minutes": 30, "expert": True, "worked_on": "20.11.2026"}, "worked_on"),
        ({"minutes": 30, "expert": True, "note": "x" * 1001}, "note"),
        ({"minutes": 30, "expert": True, "billable": True}, "billable"),
    ],
)
def test_bad_input_is_422_in_the_envelope_and_writes_nothing(
    client: Any,
    make: Any,
    desk: dict[str, Any],
    ticket: dict[str, Any],
    body: dict[str, Any],
    field: str,
) -> None:
    error = assert_error(_post(client, make, desk["agent"], ticket["id"], **body), 422)
    assert field in str(error["details"])
    assert _get(client, make, desk["agent"], ticket["id"]).get_json()["total_minutes"] == 0


def test_who_may_record_and_read(
    client: Any, make: Any, dbs: Any, desk: dict[str, Any], ticket: dict[str, Any]
) -> None:
    org = desk["org"]
    tid = ticket["id"]
    admin = make.user("admin")
    manager = make.user("account_manager")
    dbs.execute(
        insert(organisation_account_managers), [{"organisation_id": org.id, "user_id": manager.id}]
    )
    dbs.commit()
    contact = make.user("customer_contact", org=org)
    thh_agent = make.user("agent", provider="THH")
    foreign_manager = make.user("account_manager")
    # Records: the desk that may act on it, admins.
    assert _post(client, make, admin, tid, minutes=10, expert=False).status_code == 201
    for who in (desk["requester"], contact, manager):
        assert_error(_post(client, make, who, tid, minutes=10, expert=False), 403)
    for who in (thh_agent, foreign_manager):
        assert_error(_post(client, make, who, tid, minutes=10, expert=False), 404)
    assert_error(_post(client, make, admin, 999999, minutes=10, expert=False), 404)
    # Reads: staff who see the ticket.
    for who in (admin, desk["agent"], manager):
        resp = _get(client, make, who, tid)
        assert resp.status_code == 200 and resp.get_json()["total_minutes"] == 10
    for who in (desk["requester"], contact):
        assert_error(_get(client, make, who, tid), 403)
    for who in (thh_agent, foreign_manager):
        assert_error(_get(client, make, who, tid), 404)


def test_a_closed_ticket_still_takes_time(
    client: Any, make: Any, desk: dict[str, Any], ticket: dict[str, Any]
) -> None:
    headers = {**make.auth(desk["agent"]), "If-Match": "*"}
    with frozen_now(NOW):
        for status in ("assigned", "resolved", "closed"):
            resp = client.patch(
                f"/api/v1/tickets/{ticket['id']}", json={"status": status}, headers=headers
            )
            if status == "assigned" and resp.status_code != 200:
                continue
            assert resp.status_code == 200, (status, resp.get_json())
    shown = client.get(f"/api/v1/tickets/{ticket['id']}", headers=make.auth(desk["agent"]))
    assert shown.get_json()["status"] == "closed"
    assert (
        _post(client, make, desk["agent"], ticket["id"], minutes=20, expert=True).status_code == 201
    )
