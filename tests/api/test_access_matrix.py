"""The no-leak matrix: every role against objects it may not see, on every endpoint.

A foreign id answers exactly like an id that does not exist (404 with the same
message), lists leave foreign objects out whatever the filters say, internal
notes never reach the customer side by any path, and admin-only writes answer
403 to everyone else (404 where the caller may not even see the object).

Each case of the matrix is its own named test:
`test_a_foreign_ticket_does_not_leak[end_user-other_org_ticket-get_ticket]`.
Positive controls (the same endpoints on objects the role may see) prove the
404s come from the scope, not from a broken endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import insert

from catalog.organisations.models import organisation_account_managers
from servicedesk.tickets.operations import add_comment, create_ticket
from tests.api.frozen import build_once, restore
from tests.api.helpers import assert_error
from tests.conftest import valid_business_id

ROLES = [
    "end_user",
    "customer_contact",
    "agent_ict",
    "agent_thh",
    "account_manager",
    "supplier_agent",
    "admin",
]
NON_ADMIN = [r for r in ROLES if r != "admin"]
CUSTOMER_SIDE = ("end_user", "customer_contact")

#: The tickets of the world: whose, which organisation, which provider.
#:   own_ticket:       the end user's own ICT ticket in organisation A
#:   colleagues_ticket: another end user's ICT ticket in organisation A
#:   other_org_ticket: an ICT ticket of organisation B
#:   other_org_thh_ticket: a THH ticket of organisation B
FOREIGN_TICKETS = {
    "end_user": ["colleagues_ticket", "other_org_ticket", "other_org_thh_ticket"],
    "customer_contact": ["other_org_ticket", "other_org_thh_ticket"],
    "agent_ict": ["other_org_thh_ticket"],
    "agent_thh": ["own_ticket", "other_org_ticket"],
    "account_manager": ["other_org_ticket", "other_org_thh_ticket"],
    "supplier_agent": ["own_ticket", "other_org_ticket", "other_org_thh_ticket"],
    "admin": [],
}
VISIBLE_TICKETS = {
    "end_user": ["own_ticket"],
    "customer_contact": ["own_ticket", "colleagues_ticket"],
    "agent_ict": ["own_ticket", "colleagues_ticket", "other_org_ticket"],
    "agent_thh": ["other_org_thh_ticket"],
    "account_manager": ["own_ticket", "colleagues_ticket"],
    "supplier_agent": [],
    "admin": ["own_ticket", "colleagues_ticket", "other_org_ticket", "other_org_thh_ticket"],
}
TICKET_ENDPOINTS = [
    "get_ticket",
    "patch_ticket",
    "patch_ticket_without_if_match",
    "patch_ticket_with_stale_if_match",
    "list_comments",
    "post_comment",
    "list_events",
]
LIST_FILTERS = ["no_filter", "organisation_id", "requester_id", "q_number", "status", "provider"]

#: Organisation B and its user are foreign to these roles (agents serve every organisation).
ORG_B_FOREIGN = ["end_user", "customer_contact", "account_manager", "supplier_agent"]
ORG_B_VISIBLE = ["agent_ict", "agent_thh", "admin"]
FOREIGN_USERS = {
    "end_user": ["colleague", "other_org_user", "agent"],
    "customer_contact": ["other_org_user"],
    "account_manager": ["other_org_user"],
    "supplier_agent": ["colleague", "other_org_user"],
}
VISIBLE_USERS = {
    "end_user": ["self"],
    "customer_contact": ["self", "colleague"],
    "account_manager": ["self", "colleague", "agent"],
    "supplier_agent": ["self"],
    "agent_ict": ["colleague", "other_org_user"],
    "agent_thh": ["colleague", "other_org_user"],
    "admin": ["colleague", "other_org_user"],
}


@dataclass
class World:
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)
    tickets: dict[str, dict[str, Any]] = field(default_factory=dict)
    orgs: dict[str, Any] = field(default_factory=dict)
    groups: dict[str, Any] = field(default_factory=dict)
    services: dict[str, Any] = field(default_factory=dict)


def _ticket(dbs, requester, service, title) -> dict[str, Any]:
    ticket, _ = create_ticket(
        dbs,
        requester,
        {
            "type": "incident",
            "title": title,
            "description": "Kuvaus.",
            "service_id": service.id,
            "impact": "medium",
            "urgency": "medium",
        },
    )
    return {
        "id": ticket.id,
        "number": ticket.number,
        "organisation_id": ticket.organisation_id,
        "requester_id": ticket.requester_id,
        "provider": ticket.provider,
    }


def _supplier(sess) -> int:
    """A supplier with no escalated tickets: its agent must see no ticket at all."""
    from catalog.suppliers.models import Supplier

    supplier = Supplier(name="Järjestelmätoimittaja Oy", contact_email="tuki@toimittaja.example")
    sess.add(supplier)
    sess.flush()
    return supplier.id


def build_world(make, sess) -> World:
    """Two organisations, both providers' agents and groups, a user of every role, and the
    four tickets of FOREIGN_TICKETS."""
    from servicedesk.auth import issue_token

    w = World()
    agent_ict = make.user("agent", provider="ICT")
    agent_thh = make.user("agent", provider="THH")
    w.groups["ict"] = make.group("ICT", members=(agent_ict,), is_triage=True)
    w.groups["thh"] = make.group("THH", members=(agent_thh,), is_triage=True)
    w.services["ict"] = make.service("ICT", group=w.groups["ict"])
    w.services["thh"] = make.service("THH", group=w.groups["thh"])
    a, b = make.org(), make.org()
    w.orgs = {"a": a, "b": b}
    end_user, colleague = make.user("end_user", org=a), make.user("end_user", org=a)
    contact, other_org_user = make.user("customer_contact", org=a), make.user("end_user", org=b)
    manager = make.user("account_manager")
    sess.execute(
        insert(organisation_account_managers), [{"organisation_id": a.id, "user_id": manager.id}]
    )
    w.users = {
        "end_user": end_user,
        "customer_contact": contact,
        "agent_ict": agent_ict,
        "agent_thh": agent_thh,
        "account_manager": manager,
        "supplier_agent": make.user("supplier_agent", supplier_id=_supplier(sess)),
        "admin": make.user("admin"),
        "colleague": colleague,
        "other_org_user": other_org_user,
        "agent": agent_ict,
    }
    w.headers = {
        role: {"Authorization": f"Bearer {issue_token(sess, w.users[role])[1]}"} for role in ROLES
    }
    u, s = w.users, w.services
    w.tickets = {
        "own_ticket": _ticket(sess, u["end_user"], s["ict"], "Oma tiketti"),
        "colleagues_ticket": _ticket(sess, u["colleague"], s["ict"], "Kollegan tiketti"),
        "other_org_ticket": _ticket(sess, u["other_org_user"], s["ict"], "Toisen kunnan"),
        "other_org_thh_ticket": _ticket(sess, u["other_org_user"], s["thh"], "Palkka"),
    }
    sess.commit()
    return w


@pytest.fixture(scope="module")
def _built(app):
    return build_once(app, build_world)


@pytest.fixture
def world(app, _built) -> World:
    """The world of this module, restored for each test (built once: see tests/api/frozen.py)."""
    return restore(app, _built)


base = world  # the tests of organisations, users, groups and writes need no more than this


def call_ticket_endpoint(client, world: World, role: str, endpoint: str, ticket_id: int):
    headers = world.headers[role]
    url = f"/api/v1/tickets/{ticket_id}"
    change = {"status": "cancelled"} if role in CUSTOMER_SIDE else {"title": "Muutettu"}
    if endpoint == "get_ticket":
        return client.get(url, headers=headers)
    if endpoint == "patch_ticket":
        return client.patch(url, json=change, headers={**headers, "If-Match": "*"})
    if endpoint == "patch_ticket_without_if_match":
        return client.patch(url, json=change, headers=headers)
    if endpoint == "patch_ticket_with_stale_if_match":
        return client.patch(url, json=change, headers={**headers, "If-Match": f'"{ticket_id}-0"'})
    if endpoint == "list_comments":
        return client.get(url + "/comments", headers=headers)
    if endpoint == "post_comment":
        return client.post(url + "/comments", json={"body": "Hei"}, headers=headers)
    if endpoint == "list_events":
        return client.get(url + "/events", headers=headers)
    raise AssertionError(endpoint)


def snapshot(client, world: World, ticket_id: int) -> tuple[Any, ...]:
    """What an admin sees of a ticket: to prove a refused call changed nothing."""
    admin = world.headers["admin"]
    ticket = client.get(f"/api/v1/tickets/{ticket_id}", headers=admin).get_json()
    comments = client.get(f"/api/v1/tickets/{ticket_id}/comments", headers=admin).get_json()
    events = client.get(f"/api/v1/tickets/{ticket_id}/events", headers=admin).get_json()
    return ticket["version"], ticket["status"], ticket["title"], len(comments), len(events)


@pytest.mark.parametrize(
    ("role", "target", "endpoint"),
    [
        pytest.param(role, target, endpoint, id=f"{role}-{target}-{endpoint}")
        for role, targets in FOREIGN_TICKETS.items()
        for target in targets
        for endpoint in TICKET_ENDPOINTS
    ],
)
def test_a_foreign_ticket_does_not_leak(client, world, role, target, endpoint):
    ticket_id = world.tickets[target]["id"]
    writes = endpoint.startswith(("patch", "post"))
    before = snapshot(client, world, ticket_id) if writes else None
    resp = call_ticket_endpoint(client, world, role, endpoint, ticket_id)
    err = assert_error(resp, 404, "not_found")
    # exactly what an id that does not exist answers
    missing = call_ticket_endpoint(client, world, role, endpoint, 999_999)
    assert err == {**assert_error(missing, 404, "not_found"), "message": f"No ticket {ticket_id}."}
    if writes:
        assert snapshot(client, world, ticket_id) == before


@pytest.mark.parametrize(
    ("role", "target"),
    [
        pytest.param(role, target, id=f"{role}-{target}")
        for role, targets in VISIBLE_TICKETS.items()
        for target in targets
    ],
)
def test_a_visible_ticket_answers_on_the_same_endpoints(client, world, role, target):
    for endpoint in ("get_ticket", "list_comments", "list_events"):
        resp = call_ticket_endpoint(client, world, role, endpoint, world.tickets[target]["id"])
        assert resp.status_code == 200, (endpoint, resp.get_json())


def list_query(world: World, target: str, how: str) -> str:
    t = world.tickets[target]
    return {
        "no_filter": "",
        "organisation_id": f"organisation_id={t['organisation_id']}",
        "requester_id": f"requester_id={t['requester_id']}",
        "q_number": f"q={t['number']}",
        "status": "status=new",
        "provider": f"provider={t['provider']}",
    }[how]


def listed_ids(client, headers, query: str) -> list[int]:
    resp = client.get(f"/api/v1/tickets?limit=200&{query}", headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return [t["id"] for t in resp.get_json()["items"]]


@pytest.mark.parametrize(
    ("role", "target"),
    [
        pytest.param(role, target, id=f"{role}-{target}")
        for role, targets in FOREIGN_TICKETS.items()
        for target in targets
    ],
)
def test_a_foreign_ticket_is_absent_from_every_list_whatever_the_filter(
    client, world, role, target
):
    for how in LIST_FILTERS:
        ids = listed_ids(client, world.headers[role], list_query(world, target, how))
        assert world.tickets[target]["id"] not in ids, f"listed by {how}"


@pytest.mark.parametrize(
    ("role", "target"),
    [
        pytest.param(role, target, id=f"{role}-{target}")
        for role, targets in VISIBLE_TICKETS.items()
        for target in targets
    ],
)
def test_a_visible_ticket_is_found_by_its_filters(client, world, role, target):
    for how in LIST_FILTERS:
        ids = listed_ids(client, world.headers[role], list_query(world, target, how))
        assert world.tickets[target]["id"] in ids, f"not listed by {how}"


@pytest.mark.parametrize("role", ROLES)
def test_the_plain_list_holds_exactly_the_visible_tickets(client, world, role):
    expected = sorted(world.tickets[t]["id"] for t in VISIBLE_TICKETS[role])
    assert sorted(listed_ids(client, world.headers[role], "")) == expected


# --- organisations ---------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["get", "patch", "list", "list_by_q"])
@pytest.mark.parametrize("role", ORG_B_FOREIGN)
def test_another_organisation_does_not_leak(client, base, role, endpoint):
    org = base.orgs["b"]
    headers = base.headers[role]
    if endpoint == "get":
        err = assert_error(
            client.get(f"/api/v1/organisations/{org.id}", headers=headers), 404, "not_found"
        )
        assert err["message"] == f"No organisation {org.id}."
    elif endpoint == "patch":
        resp = client.patch(
            f"/api/v1/organisations/{org.id}", json={"name": "Kaapattu"}, headers=headers
        )
        assert_error(resp, 404, "not_found")
        got = client.get(f"/api/v1/organisations/{org.id}", headers=base.headers["admin"])
        assert got.get_json()["name"] == org.name
    else:
        query = "" if endpoint == "list" else f"?q={org.business_id}"
        resp = client.get(f"/api/v1/organisations{query}", headers=headers)
        assert resp.status_code == 200
        assert org.id not in [o["id"] for o in resp.get_json()["items"]]


@pytest.mark.parametrize("role", ORG_B_VISIBLE)
def test_the_desk_and_admins_see_every_organisation(client, base, role):
    resp = client.get(f"/api/v1/organisations/{base.orgs['b'].id}", headers=base.headers[role])
    assert resp.status_code == 200


@pytest.mark.parametrize("role", ["end_user", "customer_contact", "account_manager"])
def test_a_customer_side_user_sees_their_own_organisation(client, base, role):
    org = base.orgs["a"]
    resp = client.get(f"/api/v1/organisations/{org.id}", headers=base.headers[role])
    assert resp.status_code == 200
    listed = client.get("/api/v1/organisations", headers=base.headers[role]).get_json()
    assert [o["id"] for o in listed["items"]] == [org.id]


ORG_SCOPED = ["ownership", "agreements", "entitlement", "account-managers"]


@pytest.mark.parametrize("endpoint", ORG_SCOPED)
@pytest.mark.parametrize("role", ORG_B_FOREIGN)
def test_another_organisations_ownership_and_agreements_do_not_leak(client, base, role, endpoint):
    org = base.orgs["b"]
    query = f"?service_id={base.services['ict'].id}" if endpoint == "entitlement" else ""
    resp = client.get(
        f"/api/v1/organisations/{org.id}/{endpoint}{query}", headers=base.headers[role]
    )
    err = assert_error(resp, 404, "not_found")
    assert err["message"] == f"No organisation {org.id}."


@pytest.mark.parametrize("role", ORG_B_FOREIGN)
def test_another_organisations_agreement_version_does_not_leak(client, base, role):
    admin = base.headers["admin"]
    versions = client.get(f"/api/v1/organisations/{base.orgs['b'].id}/agreements", headers=admin)
    assert versions.status_code == 200
    assert versions.get_json(), "the factory gives every organisation an agreement"
    for version in versions.get_json():
        resp = client.get(f"/api/v1/agreements/{version['id']}", headers=base.headers[role])
        assert_error(resp, 404, "not_found")


@pytest.mark.parametrize("role", [*CUSTOMER_SIDE, "supplier_agent"])
def test_routing_rules_are_invisible_outside_the_centre(client, base, role):
    assert client.get("/api/v1/routing-rules", headers=base.headers[role]).get_json() == []


# --- users -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "target", "endpoint"),
    [
        pytest.param(role, target, endpoint, id=f"{role}-{target}-{endpoint}")
        for role, targets in FOREIGN_USERS.items()
        for target in targets
        for endpoint in ("get", "patch", "list_by_organisation", "list_by_q")
    ],
)
def test_a_foreign_user_does_not_leak(client, base, role, target, endpoint):
    user = base.users[target]
    headers = base.headers[role]
    if endpoint == "get":
        err = assert_error(
            client.get(f"/api/v1/users/{user.id}", headers=headers), 404, "not_found"
        )
        assert err["message"] == f"No user {user.id}."
    elif endpoint == "patch":
        resp = client.patch(f"/api/v1/users/{user.id}", json={"name": "Kaapattu"}, headers=headers)
        assert_error(resp, 404, "not_found")
    else:
        query = (
            f"organisation_id={user.organisation_id}"
            if endpoint == "list_by_organisation" and user.organisation_id
            else f"q={user.email}"
        )
        resp = client.get(f"/api/v1/users?{query}", headers=headers)
        assert resp.status_code == 200
        assert user.id not in [u["id"] for u in resp.get_json()["items"]]


@pytest.mark.parametrize(
    ("role", "target"),
    [
        pytest.param(role, target, id=f"{role}-{target}")
        for role, targets in VISIBLE_USERS.items()
        for target in targets
    ],
)
def test_a_visible_user_answers(client, base, role, target):
    user = base.users[role] if target == "self" else base.users[target]
    assert client.get(f"/api/v1/users/{user.id}", headers=base.headers[role]).status_code == 200


# --- groups (the centre's own business) -------------------------------------------------------


@pytest.mark.parametrize("role", [*CUSTOMER_SIDE, "supplier_agent"])
def test_resolver_groups_are_invisible_outside_the_centre(client, base, role):
    headers = base.headers[role]
    assert client.get("/api/v1/groups", headers=headers).get_json() == []
    err = assert_error(
        client.get(f"/api/v1/groups/{base.groups['ict'].id}", headers=headers), 404, "not_found"
    )
    assert err["message"] == f"No group {base.groups['ict'].id}."


# --- internal notes ---------------------------------------------------------------------------

SECRET = "SISÄINEN-HUOMIO: asiakas on hankala"
PUBLIC = "Selvitämme asiaa."


@pytest.fixture
def noted(client, world, dbs) -> dict[str, Any]:
    """The end user's ticket with a public reply and an internal note by the ICT agent."""
    ticket_id = world.tickets["own_ticket"]["id"]
    headers = world.headers["agent_ict"]
    public = client.post(
        f"/api/v1/tickets/{ticket_id}/comments", json={"body": PUBLIC}, headers=headers
    )
    internal = client.post(
        f"/api/v1/tickets/{ticket_id}/comments",
        json={"body": SECRET, "internal": True},
        headers=headers,
    )
    assert (public.status_code, internal.status_code) == (201, 201)
    return {
        "ticket_id": ticket_id,
        "public_id": public.get_json()["id"],
        "internal_id": internal.get_json()["id"],
    }


@pytest.mark.parametrize("role", CUSTOMER_SIDE)
def test_an_internal_note_is_not_in_the_customers_comments(client, world, noted, role):
    resp = client.get(f"/api/v1/tickets/{noted['ticket_id']}/comments", headers=world.headers[role])
    assert resp.status_code == 200
    assert [(c["id"], c["body"], c["internal"]) for c in resp.get_json()] == [
        (noted["public_id"], PUBLIC, False)
    ]


@pytest.mark.parametrize("role", CUSTOMER_SIDE)
def test_the_event_of_an_internal_note_is_hidden_from_the_customer(client, world, noted, role):
    resp = client.get(f"/api/v1/tickets/{noted['ticket_id']}/events", headers=world.headers[role])
    assert resp.status_code == 200
    events = resp.get_json()
    commented = [e["data"]["comment_id"] for e in events if e["kind"] == "commented"]
    assert commented == [noted["public_id"]]
    assert "routed" not in [e["kind"] for e in events]  # routing internals are the desk's
    staff = client.get(
        f"/api/v1/tickets/{noted['ticket_id']}/events", headers=world.headers["agent_ict"]
    ).get_json()
    assert len(staff) > len(events)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/tickets/{id}",
        "/api/v1/tickets",
        "/api/v1/tickets?q=hankala",
        "/api/v1/tickets/{id}/comments",
        "/api/v1/tickets/{id}/events",
    ],
)
@pytest.mark.parametrize("role", CUSTOMER_SIDE)
def test_no_customer_answer_contains_the_internal_note(client, world, noted, role, path):
    resp = client.get(path.format(id=noted["ticket_id"]), headers=world.headers[role])
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert "hankala" not in text
    assert "SIS\\u00c4INEN" not in text and "SISÄINEN" not in text
    assert f'"comment_id":{noted["internal_id"]}' not in text.replace(" ", "")


@pytest.mark.parametrize("role", ["agent_ict", "account_manager", "admin"])
def test_the_centres_staff_read_internal_notes(client, world, noted, role):
    comments = client.get(
        f"/api/v1/tickets/{noted['ticket_id']}/comments", headers=world.headers[role]
    ).get_json()
    assert [c["body"] for c in comments] == [PUBLIC, SECRET]


@pytest.mark.parametrize("role", CUSTOMER_SIDE)
def test_the_customer_side_cannot_write_an_internal_note(client, world, role):
    ticket_id = world.tickets["own_ticket"]["id"]
    before = snapshot(client, world, ticket_id)
    resp = client.post(
        f"/api/v1/tickets/{ticket_id}/comments",
        json={"body": "Salaa", "internal": True},
        headers=world.headers[role],
    )
    assert_error(resp, 403, "forbidden")
    assert snapshot(client, world, ticket_id) == before


def test_an_internal_note_made_with_the_operation_is_hidden_too(client, world, dbs):
    """The same rule when the note does not come through the API (e.g. the agent UI)."""
    from servicedesk.tickets.models import Ticket

    ticket = dbs.get(Ticket, world.tickets["own_ticket"]["id"])
    add_comment(dbs, dbs.merge(world.users["agent_ict"]), ticket, SECRET, True)
    dbs.commit()
    for path in ("comments", "events"):
        text = client.get(
            f"/api/v1/tickets/{ticket.id}/{path}", headers=world.headers["end_user"]
        ).get_data(as_text=True)
        assert "hankala" not in text
        assert '"commented"' not in text


# --- admin-only writes ------------------------------------------------------------------------


def admin_write(client, world: World, role: str, what: str):
    headers = world.headers[role]
    group, service = world.groups["ict"], world.services["ict"]
    own_org = world.orgs["a"]
    me = world.users[role]
    calls = {
        "post_organisation": lambda: client.post(
            "/api/v1/organisations",
            headers=headers,
            json={
                "business_id": valid_business_id(9000),
                "name": "Uusi kunta",
                "kind": "municipality",
                "residents": 1000,
            },
        ),
        "patch_organisation": lambda: client.patch(
            f"/api/v1/organisations/{own_org.id}", headers=headers, json={"residents": 1}
        ),
        "post_group": lambda: client.post(
            "/api/v1/groups",
            headers=headers,
            json={"code": "UUSI", "name": "Uusi ryhmä", "provider": "ICT"},
        ),
        "patch_group": lambda: client.patch(
            f"/api/v1/groups/{group.id}", headers=headers, json={"name": "Kaapattu"}
        ),
        "put_group_members": lambda: client.put(
            f"/api/v1/groups/{group.id}/members", headers=headers, json={"user_ids": []}
        ),
        "post_service": lambda: client.post(
            "/api/v1/services",
            headers=headers,
            json={
                "code": "UUSI",
                "family": "expert",
                "provider": "ICT",
                "name_fi": "Uusi",
                "name_sv": "Ny",
                "name_en": "New",
            },
        ),
        "patch_service": lambda: client.patch(
            f"/api/v1/services/{service.id}", headers=headers, json={"retired": True}
        ),
        "post_user": lambda: client.post(
            "/api/v1/users",
            headers=headers,
            json={"email": "uusi.admin@example.fi", "name": "Uusi", "role": "admin"},
        ),
        "patch_user_self_to_admin": lambda: client.patch(
            f"/api/v1/users/{me.id}", headers=headers, json={"role": "admin"}
        ),
    }
    return calls[what]()


ADMIN_WRITES = [
    "post_organisation",
    "patch_organisation",
    "post_group",
    "patch_group",
    "put_group_members",
    "post_service",
    "patch_service",
    "post_user",
    "patch_user_self_to_admin",
]
#: Where the caller may not even see the object, the answer is 404 (no leak), not 403.
INVISIBLE = {
    ("supplier_agent", "patch_organisation"),
    *(
        (role, what)
        for role in (*CUSTOMER_SIDE, "supplier_agent")
        for what in ("patch_group", "put_group_members")
    ),
}


@pytest.mark.parametrize(
    ("role", "what"),
    [pytest.param(role, what, id=f"{role}-{what}") for role in NON_ADMIN for what in ADMIN_WRITES],
)
def test_admin_only_writes_are_refused_to_everyone_else(client, base, role, what):
    resp = admin_write(client, base, role, what)
    if (role, what) in INVISIBLE:
        assert_error(resp, 404, "not_found")
    else:
        assert_error(resp, 403, "forbidden")
    admin = base.headers["admin"]
    me = client.get("/api/v1/me", headers=base.headers[role]).get_json()
    assert me["role"] == base.users[role].role
    service = client.get(f"/api/v1/services/{base.services['ict'].id}", headers=admin)
    assert service.get_json()["retired_at"] is None
    group = client.get(f"/api/v1/groups/{base.groups['ict'].id}", headers=admin).get_json()
    assert (group["name"], group["member_ids"]) == (
        base.groups["ict"].name,
        [base.users["agent_ict"].id],
    )
    orgs = client.get("/api/v1/organisations", headers=admin).get_json()["items"]
    assert len(orgs) == 2
    assert (
        client.get("/api/v1/organisations/" + str(base.orgs["a"].id), headers=admin).get_json()[
            "residents"
        ]
        == base.orgs["a"].residents
    )


@pytest.mark.parametrize("what", ADMIN_WRITES)
def test_an_admin_may_make_each_admin_only_write(client, base, what):
    resp = admin_write(client, base, "admin", what)
    assert resp.status_code in (200, 201), resp.get_json()


# --- what an end user reads of their own organisation ------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "what"),
    [("ownership", "share register"), ("agreements", "agreements")],
)
def test_an_end_user_may_not_read_their_organisations_register_or_agreements(
    client, base, endpoint, what
):
    org = base.orgs["a"]
    headers = base.headers["end_user"]
    resp = client.get(f"/api/v1/organisations/{org.id}/{endpoint}", headers=headers)
    err = assert_error(resp, 403, "forbidden")
    assert what in err["message"]


def test_an_end_user_may_not_read_an_agreement_version_of_their_organisation(client, base):
    admin = base.headers["admin"]
    versions = client.get(f"/api/v1/organisations/{base.orgs['a'].id}/agreements", headers=admin)
    for version in versions.get_json():
        resp = client.get(f"/api/v1/agreements/{version['id']}", headers=base.headers["end_user"])
        assert_error(resp, 403, "forbidden")


@pytest.mark.parametrize("endpoint", ["ownership", "agreements", "account-managers"])
def test_the_customer_contact_reads_their_organisations_register_agreements_and_managers(
    client, base, endpoint
):
    org = base.orgs["a"]
    resp = client.get(
        f"/api/v1/organisations/{org.id}/{endpoint}", headers=base.headers["customer_contact"]
    )
    assert resp.status_code == 200


def test_an_end_user_learns_only_their_account_managers_name(client, base):
    org = base.orgs["a"]
    url = f"/api/v1/organisations/{org.id}/account-managers"
    full = client.get(url, headers=base.headers["customer_contact"]).get_json()
    assert full and full[0]["email"]
    resp = client.get(url, headers=base.headers["end_user"])
    assert resp.status_code == 200
    assert resp.get_json() == [{"name": m["name"]} for m in full]


def test_an_end_user_still_asks_which_services_they_may_use(client, base):
    org = base.orgs["a"]
    resp = client.get(
        f"/api/v1/organisations/{org.id}/entitlement?service_id={base.services['ict'].id}",
        headers=base.headers["end_user"],
    )
    assert resp.status_code == 200
    assert "entitled" in resp.get_json()
