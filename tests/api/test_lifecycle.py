"""Every status transition through `PATCH /api/v1/tickets/{id}`, for both sides.

The cases are generated from the tables in `servicedesk.tickets.lifecycle`: for
each side (desk = an agent, customer = the requester), each start status and
each other status, the API must either make the move (200, one "updated" event)
or refuse it (409 `invalid_transition` with the allowed statuses, or 409
`use_operation` for moves into or out of `escalated_to_supplier` that belong to
the escalation operations) and change nothing.

The start status is arranged directly in the database (fast); the move under
test always goes through the API.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from servicedesk.db import utcnow
from servicedesk.tickets.lifecycle import (
    CUSTOMER_TRANSITIONS,
    DESK_TRANSITIONS,
    NEEDS_OPERATION,
    Status,
)
from servicedesk.tickets.models import Ticket
from servicedesk.tickets.operations import PATCH_OUT_OF_ESCALATION
from tests.api.frozen import build_once, restore
from tests.api.helpers import assert_error, file_ticket

TABLES = {"desk": DESK_TRANSITIONS, "customer": CUSTOMER_TRANSITIONS}


def _by_patch(start: Status, target: Status) -> bool:
    """Moves the table allows that PATCH makes itself: entering `escalated_to_supplier`
    needs the escalation operation, and leaving it (other than resolving or cancelling)
    needs the legs' withdraw or done."""
    if target in NEEDS_OPERATION:
        return False
    return start is not Status.ESCALATED_TO_SUPPLIER or target in PATCH_OUT_OF_ESCALATION


def _outcome(table: dict[Status, frozenset[Status]], start: Status, target: Status) -> str:
    if target not in table[start]:
        return "forbidden"
    return "allowed" if _by_patch(start, target) else "use_operation"


CASES = [
    pytest.param(
        side,
        start,
        target,
        _outcome(table, start, target),
        id=f"{side}-{start}-to-{target}-{_outcome(table, start, target)}",
    )
    for side, table in TABLES.items()
    for start in Status
    for target in Status
    if target is not start
]


def in_order(statuses: frozenset[Status]) -> list[str]:
    return [s.value for s in Status if s in statuses]


def offered(side: str, status: Status) -> list[str]:
    """What the ticket's `allowed_transitions` offers: what PATCH would do."""
    return [s for s in in_order(TABLES[side][status]) if _by_patch(status, Status(s))]


def force_status(dbs: Any, ticket_id: int, status: Status) -> None:
    """Arrange a start status directly (bumping the version as a real change would)."""
    now = utcnow()
    values: dict[str, Any] = {"status": status.value, "version": Ticket.version + 1}
    if status in (Status.RESOLVED, Status.CLOSED):
        values["resolved_at"] = now
    if status in (Status.CLOSED, Status.CANCELLED):
        values["closed_at"] = now
    dbs.execute(update(Ticket).where(Ticket.id == ticket_id).values(**values))
    dbs.commit()


@pytest.fixture
def sides(client, make, desk) -> dict[str, dict[str, str]]:
    return {"desk": make.auth(desk["agent"]), "customer": make.auth(desk["requester"])}


def ticket_in(client, dbs, desk, sides, status: Status) -> int:
    created = file_ticket(client, sides["customer"], service_id=desk["service"].id).get_json()
    if status is not Status.NEW:
        force_status(dbs, created["id"], status)
    return created["id"]


def read(client, headers, ticket_id) -> tuple[dict[str, Any], str, list[dict[str, Any]]]:
    resp = client.get(f"/api/v1/tickets/{ticket_id}", headers=headers)
    assert resp.status_code == 200
    events = client.get(f"/api/v1/tickets/{ticket_id}/events", headers=headers)
    assert events.status_code == 200
    return resp.get_json(), resp.headers["ETag"], events.get_json()


def build_lifecycle_world(make, sess) -> dict[str, Any]:
    """The desk fixture's world, both sides' tokens and one ticket in every status."""
    from servicedesk.tickets.operations import create_ticket

    agent = make.user("agent", provider="ICT")
    make.group("ICT", members=(agent,), is_triage=True)
    service = make.service("ICT", group=make.group("ICT", members=(agent,)))
    requester = make.user("end_user", org=make.org())
    tickets = {}
    for status in Status:
        ticket, _ = create_ticket(
            sess,
            requester,
            {
                "type": "incident",
                "title": f"Tiketti {status}",
                "description": "Kuvaus.",
                "service_id": service.id,
                "impact": "medium",
                "urgency": "medium",
            },
        )
        sess.commit()
        if status is not Status.NEW:
            force_status(sess, ticket.id, status)
        tickets[status] = ticket.id
    return {
        "headers": {"desk": make.auth(agent), "customer": make.auth(requester)},
        "actors": {"desk": agent.id, "customer": requester.id},
        "tickets": tickets,
    }


@pytest.fixture(scope="module")
def _built(app):
    return build_once(app, build_lifecycle_world)


@pytest.fixture
def world(app, _built) -> dict[str, Any]:
    """Restored for each test, built once (see tests/api/frozen.py)."""
    return restore(app, _built)


@pytest.mark.parametrize(("side", "start", "target", "outcome"), CASES)
def test_status_transition_through_the_api(client, world, side, start, target, outcome):
    headers = world["headers"][side]
    ticket_id = world["tickets"][start]
    before, etag, events_before = read(client, headers, ticket_id)
    assert before["status"] == start.value
    assert before["allowed_transitions"] == offered(side, start)

    resp = client.patch(
        f"/api/v1/tickets/{ticket_id}",
        json={"status": target.value},
        headers={**headers, "If-Match": etag},
    )

    if outcome == "allowed":
        assert resp.status_code == 200, resp.get_json()
        body = resp.get_json()
        assert body["status"] == target.value
        assert body["allowed_transitions"] == offered(side, target)
        assert resp.headers["ETag"] != etag
        _, _, events = read(client, headers, ticket_id)
        new = events[len(events_before) :]
        assert [e["kind"] for e in new] == ["updated"]
        assert new[0]["data"]["changes"]["status"] == {"before": start.value, "after": target.value}
        assert new[0]["actor"]["id"] == world["actors"][side]
        if target is Status.RESOLVED:
            assert body["resolved_at"] is not None
        if target in (Status.CLOSED, Status.CANCELLED):
            assert body["closed_at"] is not None
        if start is Status.RESOLVED and target is Status.IN_PROGRESS:
            assert body["resolved_at"] is None  # reopened
        return

    if outcome == "forbidden":
        err = assert_error(resp, 409, "invalid_transition")
        assert err["details"] == {
            "current": start.value,
            "requested": target.value,
            "allowed": in_order(TABLES[side][start]),
        }
    else:
        err = assert_error(resp, 409, "use_operation")
        assert err["details"] == {"requested": target.value}
        assert "/escalations" in err["message"]
    after, etag_after, events_after = read(client, headers, ticket_id)
    assert after["status"] == start.value
    assert etag_after == etag
    assert events_after == events_before


@pytest.mark.parametrize("status", [Status.NEW, Status.IN_PROGRESS, Status.CLOSED])
def test_asking_for_the_current_status_changes_nothing(client, dbs, desk, sides, status):
    ticket_id = ticket_in(client, dbs, desk, sides, status)
    _, etag, events = read(client, sides["desk"], ticket_id)
    resp = client.patch(
        f"/api/v1/tickets/{ticket_id}",
        json={"status": status.value},
        headers={**sides["desk"], "If-Match": etag},
    )
    assert resp.status_code == 200
    assert resp.get_json()["status"] == status.value
    assert resp.headers["ETag"] == etag
    assert read(client, sides["desk"], ticket_id)[2] == events


@pytest.mark.parametrize(
    ("start", "target", "status_code"),
    [
        (Status.WAITING_FOR_CUSTOMER, Status.IN_PROGRESS, 200),
        (Status.RESOLVED, Status.CLOSED, 200),
        (Status.NEW, Status.RESOLVED, 409),
        (Status.IN_PROGRESS, Status.WAITING_FOR_CUSTOMER, 409),
    ],
)
def test_a_customer_contact_moves_an_organisation_ticket_like_the_customer_side(
    client, dbs, make, desk, sides, start, target, status_code
):
    contact = make.user("customer_contact", org=desk["org"])
    headers = make.auth(contact)
    ticket_id = ticket_in(client, dbs, desk, sides, start)
    etag = read(client, headers, ticket_id)[1]
    resp = client.patch(
        f"/api/v1/tickets/{ticket_id}",
        json={"status": target.value},
        headers={**headers, "If-Match": etag},
    )
    assert resp.status_code == status_code
    if status_code == 409:
        assert assert_error(resp, 409, "invalid_transition")["details"]["allowed"] == in_order(
            CUSTOMER_TRANSITIONS[start]
        )


def test_an_admin_moves_tickets_like_the_desk(client, dbs, make, desk, sides):
    headers = make.auth(make.user("admin"))
    ticket_id = ticket_in(client, dbs, desk, sides, Status.NEW)
    etag = read(client, headers, ticket_id)[1]
    resp = client.patch(
        f"/api/v1/tickets/{ticket_id}",
        json={"status": "resolved"},
        headers={**headers, "If-Match": etag},
    )
    assert resp.status_code == 200
    assert resp.get_json()["status"] == "resolved"


def test_an_account_manager_reads_but_does_not_move_a_managed_ticket(
    client, dbs, make, desk, sides
):
    from catalog.organisations.models import organisation_account_managers

    manager = make.user("account_manager")
    dbs.execute(
        organisation_account_managers.insert().values(
            organisation_id=desk["org"].id, user_id=manager.id
        )
    )
    dbs.commit()
    headers = make.auth(manager)
    ticket_id = ticket_in(client, dbs, desk, sides, Status.NEW)
    ticket, etag, _ = read(client, headers, ticket_id)
    assert ticket["allowed_transitions"] == []
    resp = client.patch(
        f"/api/v1/tickets/{ticket_id}",
        json={"status": "cancelled"},
        headers={**headers, "If-Match": etag},
    )
    assert_error(resp, 403, "forbidden")
    assert read(client, sides["desk"], ticket_id)[0]["status"] == "new"


def test_assigning_a_new_ticket_makes_it_assigned(client, dbs, desk, sides):
    ticket_id = ticket_in(client, dbs, desk, sides, Status.NEW)
    etag = read(client, sides["desk"], ticket_id)[1]
    resp = client.patch(
        f"/api/v1/tickets/{ticket_id}",
        json={"assignee_id": desk["agent"].id},
        headers={**sides["desk"], "If-Match": etag},
    )
    assert resp.status_code == 200
    body = resp.get_json()
    assert (body["status"], body["assignee"]["id"]) == ("assigned", desk["agent"].id)


def test_a_final_ticket_refuses_any_other_change(client, dbs, desk, sides):
    ticket_id = ticket_in(client, dbs, desk, sides, Status.CLOSED)
    etag = read(client, sides["desk"], ticket_id)[1]
    resp = client.patch(
        f"/api/v1/tickets/{ticket_id}",
        json={"title": "Uusi otsikko"},
        headers={**sides["desk"], "If-Match": etag},
    )
    assert_error(resp, 409, "ticket_final")
