"""The joint desk: one first line for KPK ICT and KPK THH.

A joint first-line agent (an ICT agent with `desk: joint`) sees its own provider's tickets,
either provider's untaken tickets (new or unassigned, not closed or cancelled) and every
ticket it acted on; it logs calls and reclassifies for either provider. A plain ICT agent
keeps the old rule: THH tickets are a 404.

The world: ICT and THH triage and resolver groups, a service of each, one customer.
- ict_new, thh_new: new tickets (routed to the service's group, nobody assigned).
- thh_assigned: a THH ticket a THH agent took (assigned).
- thh_cancelled: a THH ticket its requester cancelled while new (unassigned, terminal).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from servicedesk.tickets.models import Ticket
from tests.api.helpers import assert_error, file_ticket

TICKETS = "/api/v1/tickets"


@dataclass
class Joint:
    joint: Any
    plain: Any
    thh_agent: Any
    ict_group: Any
    thh_group: Any
    thh_triage: Any
    ict_service: Any
    thh_service: Any
    requester: Any
    h: dict[str, dict[str, str]]
    t: dict[str, int]


def _patch(client: Any, headers: dict[str, str], tid: int, body: dict[str, Any]) -> Any:
    etag = client.get(f"{TICKETS}/{tid}", headers=headers).headers["ETag"]
    return client.patch(f"{TICKETS}/{tid}", json=body, headers={**headers, "If-Match": etag})


@pytest.fixture
def jw(client, make) -> Joint:
    joint = make.user("agent", provider="ICT", desk="joint")
    plain = make.user("agent", provider="ICT")
    thh_agent = make.user("agent", provider="THH")
    make.group("ICT", members=(joint, plain), is_triage=True)
    ict_group = make.group("ICT", members=(joint, plain))
    # The first line sits in THH's triage group too: a joint agent may join either side.
    thh_triage = make.group("THH", members=(thh_agent, joint), is_triage=True)
    thh_group = make.group("THH", members=(thh_agent,))
    ict_service = make.service("ICT", group=ict_group)
    thh_service = make.service("THH", group=thh_group)
    requester = make.user("end_user", org=make.org())
    h = {
        "joint": make.auth(joint),
        "plain": make.auth(plain),
        "thh": make.auth(thh_agent),
        "requester": make.auth(requester),
    }

    def new(service: Any) -> int:
        return file_ticket(client, h["requester"], service_id=service.id).get_json()["id"]

    t = {
        "ict_new": new(ict_service),
        "thh_new": new(thh_service),
        "thh_assigned": new(thh_service),
        "thh_cancelled": new(thh_service),
    }
    resp = _patch(client, h["thh"], t["thh_assigned"], {"assignee_id": thh_agent.id})
    assert resp.status_code == 200, resp.get_json()
    resp = _patch(client, h["requester"], t["thh_cancelled"], {"status": "cancelled"})
    assert resp.status_code == 200, resp.get_json()
    return Joint(
        joint,
        plain,
        thh_agent,
        ict_group,
        thh_group,
        thh_triage,
        ict_service,
        thh_service,
        requester,
        h,
        t,
    )


def listed(client: Any, headers: dict[str, str], query: str = "") -> set[int]:
    resp = client.get(f"{TICKETS}?limit=100{query}", headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return {t["id"] for t in resp.get_json()["items"]}


def test_a_joint_agent_sees_both_providers_untaken_tickets_only(client, jw):
    t = jw.t
    assert listed(client, jw.h["joint"]) == {t["ict_new"], t["thh_new"]}
    for name in ("ict_new", "thh_new"):
        assert client.get(f"{TICKETS}/{t[name]}", headers=jw.h["joint"]).status_code == 200
    # Another provider's ticket somebody took, or that ended, is not the first line's.
    for name in ("thh_assigned", "thh_cancelled"):
        for path in ("", "/comments", "/events"):
            resp = client.get(f"{TICKETS}/{t[name]}{path}", headers=jw.h["joint"])
            assert_error(resp, 404, "not_found")
    # Filters never widen the scope.
    assert listed(client, jw.h["joint"], "&provider=THH") == {t["thh_new"]}


def test_a_plain_ict_agent_still_gets_404_on_thh_tickets(client, jw):
    t = jw.t
    assert listed(client, jw.h["plain"]) == {t["ict_new"]}
    for name in ("thh_new", "thh_assigned", "thh_cancelled"):
        assert_error(client.get(f"{TICKETS}/{t[name]}", headers=jw.h["plain"]), 404, "not_found")
    resp = client.post(
        f"{TICKETS}/{t['thh_new']}/comments", json={"body": "Hei"}, headers=jw.h["plain"]
    )
    assert_error(resp, 404, "not_found")


def test_a_joint_agent_logs_a_thh_call_while_being_ict(client, jw):
    call = {
        "service_id": jw.thh_service.id,
        "requester_id": jw.requester.id,
        "channel": "phone",
    }
    body = file_ticket(client, jw.h["joint"], **call).get_json()
    assert (body["provider"], body["channel"]) == ("THH", "phone")
    assert body["group_id"] == jw.thh_group.id
    # A plain ICT agent is refused, as before.
    resp = client.post(
        TICKETS, json={"title": "T", "description": "D", **call}, headers=jw.h["plain"]
    )
    err = assert_error(resp, 422, "validation_error")
    assert "belongs to THH, not ICT" in err["message"]
    # The THH ticket the joint agent logged stays in its sight after THH takes it.
    resp = _patch(client, jw.h["thh"], body["id"], {"assignee_id": jw.thh_agent.id})
    assert resp.status_code == 200, resp.get_json()
    assert client.get(f"{TICKETS}/{body['id']}", headers=jw.h["joint"]).status_code == 200


def test_a_joint_agent_reclassifies_to_thh_and_still_reads_the_ticket(client, jw):
    tid = jw.t["ict_new"]
    resp = _patch(client, jw.h["joint"], tid, {"assignee_id": jw.joint.id})
    assert resp.status_code == 200, resp.get_json()
    resp = _patch(client, jw.h["joint"], tid, {"service_id": jw.thh_service.id})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert (body["provider"], body["group_id"]) == ("THH", jw.thh_group.id)
    # Re-routed to THH's group, and THH's agent takes it: no longer untaken.
    resp = _patch(client, jw.h["thh"], tid, {"assignee_id": jw.thh_agent.id})
    assert resp.status_code == 200, resp.get_json()
    got = client.get(f"{TICKETS}/{tid}", headers=jw.h["joint"])
    assert got.status_code == 200, got.get_json()
    assert got.get_json()["assignee"]["id"] == jw.thh_agent.id
    assert tid in listed(client, jw.h["joint"])
    # The plain ICT agent lost it to THH, as before.
    assert_error(client.get(f"{TICKETS}/{tid}", headers=jw.h["plain"]), 404, "not_found")


def test_a_joint_agent_assigns_within_either_providers_groups(client, jw):
    tid = jw.t["thh_new"]
    # THH's group, THH's agent.
    resp = _patch(client, jw.h["joint"], tid, {"assignee_id": jw.thh_agent.id})
    assert resp.status_code == 200, resp.get_json()
    # THH's triage group, where the joint agent sits: it may take the THH ticket itself.
    resp = _patch(
        client, jw.h["joint"], tid, {"group_id": jw.thh_triage.id, "assignee_id": jw.joint.id}
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["assignee"]["id"] == jw.joint.id
    # But a group stays one provider's: an ICT group does not take a THH ticket.
    resp = _patch(client, jw.h["joint"], tid, {"group_id": jw.ict_group.id})
    assert_error(resp, 422, "validation_error")
    # A plain ICT agent cannot be put on a THH ticket.
    resp = _patch(client, jw.h["joint"], tid, {"assignee_id": jw.plain.id})
    assert_error(resp, 422, "validation_error")


def test_a_plain_agent_cannot_join_another_providers_group(client, make, jw):
    admin = make.auth(make.user("admin"))
    url = f"/api/v1/groups/{jw.thh_triage.id}/members"
    resp = client.put(url, json={"user_ids": [jw.thh_agent.id, jw.plain.id]}, headers=admin)
    assert_error(resp, 422, "validation_error")
    resp = client.put(url, json={"user_ids": [jw.thh_agent.id, jw.joint.id]}, headers=admin)
    assert resp.status_code == 200, resp.get_json()


def test_the_joint_scope_is_one_condition_on_the_event_index(app, dbs, jw):
    """One SQL statement, and the 'acted on' EXISTS can use (actor_id, ticket_id)."""
    from servicedesk import access
    from servicedesk.db import engine_of

    stmt = select(Ticket.id).where(access.ticket_scope(jw.joint))
    sql = str(stmt.compile(engine_of(app)))
    assert sql.count("SELECT") == 2  # the tickets and the EXISTS on ticket_events
    assert "ticket_events.actor_id" in sql
    indexes = {ix.name for ix in Ticket.metadata.tables["ticket_events"].indexes}
    assert "ix_ticket_events_actor_ticket" in indexes


# --- the user record -------------------------------------------------------------------------


def test_an_admin_puts_an_agent_on_the_joint_desk(client, make):
    admin = make.auth(make.user("admin"))
    body = {
        "email": "ensilinja@kpk.example",
        "name": "Ensi Linja",
        "role": "agent",
        "provider": "ICT",
        "desk": "joint",
    }
    resp = client.post("/api/v1/users", json=body, headers=admin)
    assert resp.status_code == 201, resp.get_json()
    user = resp.get_json()
    assert user["desk"] == "joint"
    resp = client.patch(f"/api/v1/users/{user['id']}", json={"desk": None}, headers=admin)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["desk"] is None
    resp = client.patch(f"/api/v1/users/{user['id']}", json={"desk": "joint"}, headers=admin)
    assert resp.get_json()["desk"] == "joint"
    # Leaving the agent role means leaving the desk, in the same change.
    resp = client.patch(f"/api/v1/users/{user['id']}", json={"role": "admin"}, headers=admin)
    assert "desk" in assert_error(resp, 422, "validation_error")["details"]["fields"]
    me = client.get("/api/v1/me", headers=make.auth(make.user("agent", desk="joint")))
    assert me.get_json()["desk"] == "joint"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"role": "end_user", "desk": "joint"}, "desk"),
        ({"role": "admin", "desk": "joint"}, "desk"),
        ({"role": "agent", "provider": "ICT", "desk": "both"}, "desk"),
    ],
    ids=["end_user", "admin", "unknown_desk"],
)
def test_only_an_agent_is_on_the_joint_desk(client, make, extra, field):
    admin = make.auth(make.user("admin"))
    org = make.org(entitled=False)
    body = {"email": "x@kpk.example", "name": "X", "organisation_id": org.id, **extra}
    if extra["role"] != "end_user":
        body.pop("organisation_id")
    resp = client.post("/api/v1/users", json=body, headers=admin)
    assert field in assert_error(resp, 422, "validation_error")["details"]["fields"]


def test_only_an_admin_sets_the_desk(client, make):
    agent = make.user("agent")
    resp = client.patch(
        f"/api/v1/users/{agent.id}", json={"desk": "joint"}, headers=make.auth(agent)
    )
    assert_error(resp, 403, "forbidden")
