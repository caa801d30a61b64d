"""Tickets through the API: who files for whom, numbers, filters, cursor pagination under
inserts, comments, the event timeline; tokens, /me and the published API document."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from catalog.organisations.models import organisation_account_managers
from tests.api.frozen import build_once, restore
from tests.api.helpers import assert_error, file_ticket

TICKETS = "/api/v1/tickets"
NUMBER = re.compile(r"^KPK-(\d{4})-(\d{5})$")


def iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def patch(client, headers, ticket_id, body):
    etag = client.get(f"{TICKETS}/{ticket_id}", headers=headers).headers["ETag"]
    resp = client.patch(f"{TICKETS}/{ticket_id}", json=body, headers={**headers, "If-Match": etag})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


@pytest.fixture
def agent(make, desk) -> dict[str, str]:
    return make.auth(desk["agent"])


@pytest.fixture
def customer(make, desk) -> dict[str, str]:
    return make.auth(desk["requester"])


# --- who files for whom -----------------------------------------------------------------------


def test_an_end_user_files_for_themselves_in_their_organisation(client, desk, customer):
    resp = file_ticket(client, customer, service_id=desk["service"].id)
    body = resp.get_json()
    assert body["requester"]["id"] == desk["requester"].id
    assert body["organisation"]["id"] == desk["org"].id
    assert (body["status"], body["type"], body["channel"]) == ("new", "incident", "api")
    assert resp.headers["Location"] == f"{TICKETS}/{body['id']}"
    assert resp.headers["ETag"] == f'"{body["id"]}-{body["version"]}"'


def test_an_end_user_cannot_file_for_someone_else(client, make, desk, customer):
    colleague = make.user("end_user", org=desk["org"])
    resp = client.post(
        TICKETS,
        json={"title": "T", "description": "D", "requester_id": colleague.id},
        headers=customer,
    )
    err = assert_error(resp, 422, "validation_error")
    assert list(err["details"]["fields"]) == ["requester_id"]


def test_an_end_user_cannot_backdate_a_ticket(client, desk, customer):
    resp = client.post(
        TICKETS,
        json={"title": "T", "description": "D", "received_at": iso(datetime.now(UTC))},
        headers=customer,
    )
    assert_error(resp, 403, "forbidden")


def test_a_customer_contact_files_for_a_member_of_their_organisation(client, make, desk):
    contact = make.user("customer_contact", org=desk["org"])
    body = file_ticket(
        client, make.auth(contact), service_id=desk["service"].id, requester_id=desk["requester"].id
    ).get_json()
    assert body["requester"]["id"] == desk["requester"].id
    own = file_ticket(client, make.auth(contact), service_id=desk["service"].id).get_json()
    assert own["requester"]["id"] == contact.id


def test_a_customer_contact_cannot_file_for_another_organisation(client, make, desk):
    contact = make.user("customer_contact", org=desk["org"])
    stranger = make.user("end_user", org=make.org())
    resp = client.post(
        TICKETS,
        json={"title": "T", "description": "D", "requester_id": stranger.id},
        headers=make.auth(contact),
    )
    err = assert_error(resp, 422, "validation_error")
    # the same words as for an id that does not exist: nothing learnt about the stranger
    assert err["message"] == f"No customer user {stranger.id} you may file for."


def test_an_agent_files_on_behalf_of_a_requester(client, desk, agent):
    received = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    body = file_ticket(
        client,
        agent,
        service_id=desk["service"].id,
        requester_id=desk["requester"].id,
        channel="phone",
        received_at=iso(received),
    ).get_json()
    assert body["requester"]["id"] == desk["requester"].id
    assert body["organisation"]["id"] == desk["org"].id
    assert (body["channel"], body["received_at"]) == ("phone", iso(received))


def test_an_agent_must_say_whom_the_ticket_is_for(client, desk, agent):
    resp = client.post(
        TICKETS,
        json={"title": "T", "description": "D", "service_id": desk["service"].id},
        headers=agent,
    )
    assert "requester_id" in assert_error(resp, 422, "validation_error")["details"]["fields"]


def test_an_agent_cannot_file_on_behalf_of_another_agent(client, make, desk, agent):
    other = make.user("agent", provider="ICT")
    resp = client.post(
        TICKETS,
        json={"title": "T", "description": "D", "requester_id": other.id},
        headers=agent,
    )
    assert "requester_id" in assert_error(resp, 422, "validation_error")["details"]["fields"]


def test_an_agent_cannot_file_for_the_other_provider(client, make, desk):
    thh = make.user("agent", provider="THH")
    resp = client.post(
        TICKETS,
        json={
            "title": "T",
            "description": "D",
            "service_id": desk["service"].id,
            "requester_id": desk["requester"].id,
        },
        headers=make.auth(thh),
    )
    assert "service_id" in assert_error(resp, 422, "validation_error")["details"]["fields"]


@pytest.mark.parametrize("role", ["account_manager", "supplier_agent"])
def test_account_managers_and_supplier_agents_do_not_file_tickets(client, make, dbs, desk, role):
    from tests.api.test_access_matrix import _supplier

    kw = {"supplier_id": _supplier(dbs)} if role == "supplier_agent" else {}
    resp = client.post(
        TICKETS,
        json={"title": "T", "description": "D", "requester_id": desk["requester"].id},
        headers=make.auth(make.user(role, **kw)),
    )
    assert_error(resp, 403, "forbidden")


def test_a_change_need_goes_to_the_organisations_account_manager(client, make, dbs, desk):
    manager = make.user("account_manager")
    dbs.execute(
        insert(organisation_account_managers),
        [{"organisation_id": desk["org"].id, "user_id": manager.id}],
    )
    dbs.commit()
    body = file_ticket(
        client, make.auth(desk["requester"]), service_id=desk["service"].id, type="change_need"
    ).get_json()
    assert body["assignee"] == {"id": manager.id, "name": manager.name}
    assert body["group_id"] is None


def test_a_retired_service_takes_no_tickets(client, make, desk, customer):
    admin = make.auth(make.user("admin"))
    retired = client.patch(
        f"/api/v1/services/{desk['service'].id}", json={"retired": True}, headers=admin
    )
    assert retired.get_json()["retired_at"] is not None
    resp = client.post(
        TICKETS,
        json={"title": "T", "description": "D", "service_id": desk["service"].id},
        headers=customer,
    )
    err = assert_error(resp, 422, "validation_error")
    assert err["details"]["fields"]["service_id"] == [
        f"Service {desk['service'].code} is retired and takes no tickets."
    ]
    listed = client.get("/api/v1/services", headers=customer).get_json()["items"]
    assert desk["service"].id not in [s["id"] for s in listed]
    with_retired = client.get("/api/v1/services?include_retired=true", headers=customer)
    assert desk["service"].id in [s["id"] for s in with_retired.get_json()["items"]]


def test_an_unknown_service_is_422(client, customer):
    resp = client.post(
        TICKETS, json={"title": "T", "description": "D", "service_id": 999_999}, headers=customer
    )
    assert assert_error(resp, 422)["details"]["fields"]["service_id"] == ["No service 999999."]


# --- numbers ----------------------------------------------------------------------------------


def test_ticket_numbers_are_unique_running_and_formatted(client, desk, customer):
    numbers = [
        file_ticket(client, customer, service_id=desk["service"].id).get_json()["number"]
        for _ in range(4)
    ]
    assert len(set(numbers)) == 4
    parsed = [NUMBER.match(n) for n in numbers]
    assert all(parsed), numbers
    year = datetime.now(UTC).year
    assert {int(m.group(1)) for m in parsed} == {year}
    seqs = [int(m.group(2)) for m in parsed]
    assert seqs == list(range(seqs[0], seqs[0] + 4))


def test_a_ticket_keeps_its_number_through_changes(client, desk, customer, agent):
    created = file_ticket(client, customer, service_id=desk["service"].id).get_json()
    changed = patch(client, agent, created["id"], {"title": "Uusi otsikko", "status": "resolved"})
    assert changed["number"] == created["number"]


# --- list filters -----------------------------------------------------------------------------


def build_listed(make, sess) -> dict[str, Any]:
    """Three tickets that differ in every filterable way, filed by an agent."""
    from servicedesk.tickets.operations import create_ticket, update_ticket

    now = datetime.now(UTC).replace(microsecond=0)
    agent = make.user("agent", provider="ICT")
    make.group("ICT", members=(agent,), is_triage=True)
    service = make.service("ICT", group=make.group("ICT", members=(agent,)))
    org_a, org_b = make.org(), make.org()
    a, b = make.user("end_user", org=org_a), make.user("end_user", org=org_b)

    def new(requester, days, title, type_="incident", level="medium"):
        ticket, _ = create_ticket(
            sess,
            agent,
            {
                "type": type_,
                "title": title,
                "description": "Kuvaus.",
                "service_id": service.id,
                "requester_id": requester.id,
                "impact": level,
                "urgency": level,
                "received_at": now - timedelta(days=days),
            },
        )
        return ticket

    t1 = new(a, 10, "Wilma kaatuu", level="high")
    t2 = new(a, 5, "Näyttö vaihtoon", "service_request", "low")
    t3 = new(b, 1, "Kiitos avusta", "feedback")
    update_ticket(sess, agent, t1, {"assignee_id": agent.id, "status": "in_progress"})
    update_ticket(sess, agent, t3, {"status": "resolved"})
    sess.commit()
    return {
        "t1": {"id": t1.id},
        "t2": {"id": t2.id},
        "t3": {"id": t3.id, "number": t3.number},
        "org_a": org_a.id,
        "org_b": org_b.id,
        "agent_id": agent.id,
        "week_ago": iso(now - timedelta(days=7)),
        "headers": make.auth(agent),
    }


@pytest.fixture(scope="module")
def _listed(app):
    return build_once(app, build_listed)


@pytest.fixture
def listed(app, _listed) -> dict[str, Any]:
    return restore(app, _listed)


FILTERS = {
    "status=new": ["t2"],
    "status=new&status=resolved": ["t3", "t2"],
    "status=in_progress": ["t1"],
    "priority=P1": ["t1"],
    "priority=P4&priority=P3": ["t3", "t2"],
    "type=service_request": ["t2"],
    "type=incident&type=feedback": ["t3", "t1"],
    "q=näyttö": ["t2"],
    "q=wilma kaatuu": ["t1"],
    "q=wilma kiitos": [],
    "q={t3_number}": ["t3"],
    "organisation_id={org_b}": ["t3"],
    "organisation_id={org_a}&status=new": ["t2"],
    "assignee_id={agent_id}": ["t1"],
    "unassigned=true": ["t3", "t2"],
    "received_after={week_ago}": ["t3", "t2"],
    "received_before={week_ago}": ["t1"],
    "": ["t3", "t2", "t1"],
    "sort=received_at": ["t1", "t2", "t3"],
    "sort=priority": ["t1", "t3", "t2"],
}


@pytest.mark.parametrize(("query", "expected"), list(FILTERS.items()), ids=list(FILTERS))
def test_the_list_filters(client, listed, query, expected):
    query = query.format(t3_number=listed["t3"]["number"], **listed)
    resp = client.get(f"{TICKETS}?{query}", headers=listed["headers"])
    assert resp.status_code == 200, resp.get_json()
    got = [t["id"] for t in resp.get_json()["items"]]
    assert got == [listed[k]["id"] for k in expected]


# --- cursor pagination ------------------------------------------------------------------------


def walk(client, headers, query: str, between=None) -> tuple[list[int], int]:
    ids: list[int] = []
    pages, cursor = 0, None
    while True:
        url = f"{TICKETS}?limit=2&{query}" + (f"&cursor={cursor}" if cursor else "")
        resp = client.get(url, headers=headers)
        assert resp.status_code == 200, resp.get_json()
        page = resp.get_json()
        assert len(page["items"]) <= 2
        ids += [t["id"] for t in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return ids, pages
        if between:
            between(pages)


@pytest.fixture
def seven(client, desk, agent) -> list[int]:
    """Seven tickets; three of them received at the same instant (the id breaks the tie)."""
    now = datetime.now(UTC).replace(microsecond=0)
    same = iso(now - timedelta(hours=2))
    out = []
    for i, at in enumerate([same, same, same, None, None, None, None]):
        extra = {"received_at": at} if at else {}
        out.append(
            file_ticket(
                client,
                agent,
                service_id=desk["service"].id,
                requester_id=desk["requester"].id,
                title=f"Tiketti {i}",
                **extra,
            ).get_json()["id"]
        )
    return out


@pytest.mark.parametrize("sort", ["-received_at", "received_at", "-updated_at", "priority"])
def test_walking_all_pages_while_tickets_arrive_skips_and_repeats_nothing(
    client, desk, agent, seven, sort
):
    def insert_one(_page: int) -> None:
        file_ticket(
            client,
            agent,
            service_id=desk["service"].id,
            requester_id=desk["requester"].id,
            title="Välissä",
        )

    ids, pages = walk(client, agent, f"sort={sort}", between=insert_one)
    assert len(ids) == len(set(ids)), "a ticket came twice"
    assert sorted(set(ids) & set(seven)) == sorted(seven), "an old ticket was skipped"
    assert pages >= 4


def test_pages_follow_the_sort_order_exactly(client, agent, seven):
    ids, pages = walk(client, agent, "sort=-received_at")
    full = client.get(f"{TICKETS}?limit=200", headers=agent).get_json()["items"]
    assert ids == [t["id"] for t in full]
    assert pages == 4


def test_the_last_page_has_no_next_cursor(client, agent, seven):
    page = client.get(f"{TICKETS}?limit=7", headers=agent).get_json()
    assert (len(page["items"]), page["next_cursor"]) == (7, None)
    page = client.get(f"{TICKETS}?limit=6", headers=agent).get_json()
    assert len(page["items"]) == 6 and page["next_cursor"]


# --- comments ---------------------------------------------------------------------------------


@pytest.fixture
def ticket(client, desk, customer) -> dict[str, Any]:
    return file_ticket(client, customer, service_id=desk["service"].id).get_json()


def test_public_replies_and_internal_notes(client, desk, customer, agent, ticket):
    url = f"{TICKETS}/{ticket['id']}/comments"
    mine = client.post(url, json={"body": "Ei vieläkään toimi."}, headers=customer)
    assert mine.status_code == 201
    assert (mine.get_json()["author"]["id"], mine.get_json()["internal"]) == (
        desk["requester"].id,
        False,
    )
    note = client.post(url, json={"body": "Tarkista AD-ryhmä.", "internal": True}, headers=agent)
    assert note.status_code == 201 and note.get_json()["internal"] is True
    desk_view = [(c["body"], c["internal"]) for c in client.get(url, headers=agent).get_json()]
    assert desk_view == [("Ei vieläkään toimi.", False), ("Tarkista AD-ryhmä.", True)]
    customer_view = [c["body"] for c in client.get(url, headers=customer).get_json()]
    assert customer_view == ["Ei vieläkään toimi."]


def test_the_customers_answer_takes_a_waiting_ticket_back_to_the_desk(
    client, desk, customer, agent, ticket
):
    waiting = patch(client, agent, ticket["id"], {"status": "waiting_for_customer"})
    etag = client.get(f"{TICKETS}/{ticket['id']}", headers=agent).headers["ETag"]
    resp = client.post(
        f"{TICKETS}/{ticket['id']}/comments",
        json={"body": "Alkoi eilen aamulla."},
        headers=customer,
    )
    assert resp.status_code == 201
    after = client.get(f"{TICKETS}/{ticket['id']}", headers=agent)
    assert (waiting["status"], after.get_json()["status"]) == (
        "waiting_for_customer",
        "in_progress",
    )
    assert after.headers["ETag"] != etag
    events = client.get(f"{TICKETS}/{ticket['id']}/events", headers=customer).get_json()
    last = events[-1]
    assert last["kind"] == "updated"
    assert last["actor"]["id"] == desk["requester"].id
    assert last["data"]["changes"]["status"] == {
        "before": "waiting_for_customer",
        "after": "in_progress",
    }
    assert last["data"]["reason"] == "the customer answered"


def test_a_desk_reply_leaves_a_waiting_ticket_waiting(client, agent, ticket):
    patch(client, agent, ticket["id"], {"status": "waiting_for_customer"})
    client.post(f"{TICKETS}/{ticket['id']}/comments", json={"body": "Muistutus."}, headers=agent)
    status = client.get(f"{TICKETS}/{ticket['id']}", headers=agent).get_json()["status"]
    assert status == "waiting_for_customer"


def test_a_closed_ticket_takes_no_more_comments(client, customer, agent, ticket):
    patch(client, agent, ticket["id"], {"status": "resolved"})
    patch(client, customer, ticket["id"], {"status": "closed"})
    resp = client.post(
        f"{TICKETS}/{ticket['id']}/comments", json={"body": "Vielä yksi"}, headers=customer
    )
    assert_error(resp, 409, "ticket_final")


# --- the event timeline -----------------------------------------------------------------------


def test_the_timeline_says_who_when_what_before_and_after(client, desk, customer, agent, ticket):
    started = datetime.now(UTC) - timedelta(seconds=5)
    patch(
        client,
        agent,
        ticket["id"],
        {"title": "Wilma: kirjautuminen", "priority": "P2", "priority_reason": "Koko koulu."},
    )
    events = client.get(f"{TICKETS}/{ticket['id']}/events", headers=agent).get_json()
    assert [e["kind"] for e in events] == ["created", "routed", "updated"]
    created, routed, updated = events
    assert created["actor"] == {"id": desk["requester"].id, "name": desk["requester"].name}
    assert created["data"]["number"] == ticket["number"]
    assert routed["actor"] is None  # the system routed it
    assert routed["data"]["changes"]["group_id"] == {"before": None, "after": desk["group"].id}
    assert updated["actor"] == {"id": desk["agent"].id, "name": desk["agent"].name}
    assert updated["data"]["changes"] == {
        "title": {"before": "Wilma ei aukea", "after": "Wilma: kirjautuminen"},
        "priority": {"before": "P3", "after": "P2"},
        "priority_overridden": {"before": False, "after": True},
        "priority_reason": {"before": None, "after": "Koko koulu."},
    }
    at = datetime.strptime(updated["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert started <= at <= datetime.now(UTC) + timedelta(seconds=1)
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)


def test_a_patch_that_changes_nothing_records_nothing(client, agent, ticket):
    before = client.get(f"{TICKETS}/{ticket['id']}/events", headers=agent).get_json()
    patch(client, agent, ticket["id"], {"title": ticket["title"]})
    assert client.get(f"{TICKETS}/{ticket['id']}/events", headers=agent).get_json() == before


# --- tokens and /me ---------------------------------------------------------------------------

PASSWORD = "Salasana-2026"


@pytest.fixture
def person(make, desk):
    return make.user("end_user", org=desk["org"], password=PASSWORD)


def login(client, email: str, password: str = PASSWORD):
    return client.post("/api/v1/auth/tokens", json={"email": email, "password": password})


def test_a_good_password_gives_a_token_that_works(client, person):
    resp = login(client, person.email.upper())
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["token"].startswith("sdt_") and body["prefix"] == body["token"][:12]
    assert body["expires_at"] is not None  # a personal token expires (TOKEN_LIFETIME_DAYS)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.get_json()["id"] == person.id


@pytest.mark.parametrize("case", ["wrong_password", "unknown_email", "no_password_set"])
def test_bad_credentials_are_401_and_tell_nothing_more(client, make, person, case):
    email, password = {
        "wrong_password": (person.email, "Väärä-salasana"),
        "unknown_email": ("ei.ole@example.fi", PASSWORD),
        "no_password_set": (make.user("end_user", org=make.org()).email, PASSWORD),
    }[case]
    err = assert_error(login(client, email, password), 401, "bad_credentials")
    assert err["message"] == "The e-mail or the password is wrong."


def test_a_deactivated_user_gets_no_token_and_loses_the_ones_they_had(client, make, person):
    token = login(client, person.email).get_json()["token"]
    admin = make.auth(make.user("admin"))
    resp = client.patch(f"/api/v1/users/{person.id}", json={"active": False}, headers=admin)
    assert resp.status_code == 200
    assert_error(login(client, person.email), 401, "bad_credentials")
    assert_error(client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}), 401)


def test_tokens_are_listed_and_a_revoked_token_no_longer_works(client, person):
    first = login(client, person.email).get_json()
    second = login(client, person.email).get_json()
    h1 = {"Authorization": f"Bearer {first['token']}"}
    h2 = {"Authorization": f"Bearer {second['token']}"}
    listed = client.get("/api/v1/auth/tokens", headers=h1).get_json()
    assert [(t["id"], t["current"]) for t in listed] == [(first["id"], True), (second["id"], False)]
    assert all("token" not in t and "token_hash" not in t for t in listed)
    assert client.delete(f"/api/v1/auth/tokens/{second['id']}", headers=h1).status_code == 204
    assert_error(client.get("/api/v1/me", headers=h2), 401, "unauthenticated")
    assert [t["id"] for t in client.get("/api/v1/auth/tokens", headers=h1).get_json()] == [
        first["id"]
    ]
    assert_error(client.delete(f"/api/v1/auth/tokens/{second['id']}", headers=h1), 404)
    assert client.delete(f"/api/v1/auth/tokens/{first['id']}", headers=h1).status_code == 204
    assert_error(client.get("/api/v1/me", headers=h1), 401, "unauthenticated")


def test_nobody_revokes_another_users_token(client, make, person):
    mine = login(client, person.email).get_json()
    other = make.auth(make.user("admin"))
    assert_error(client.delete(f"/api/v1/auth/tokens/{mine['id']}", headers=other), 404)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {mine['token']}"})
    assert me.status_code == 200


def test_me_describes_the_caller(client, make, dbs, desk, agent, customer):
    me = client.get("/api/v1/me", headers=agent).get_json()
    assert (me["role"], me["provider"], me["organisation_id"]) == ("agent", "ICT", None)
    assert sorted(me["group_ids"]) == sorted([desk["triage"].id, desk["group"].id])
    me = client.get("/api/v1/me", headers=customer).get_json()
    assert (me["role"], me["organisation_id"], me["group_ids"]) == (
        "end_user",
        desk["org"].id,
        [],
    )
    assert "password_hash" not in me
    manager = make.user("account_manager")
    dbs.execute(
        insert(organisation_account_managers),
        [{"organisation_id": desk["org"].id, "user_id": manager.id}],
    )
    dbs.commit()
    me = client.get("/api/v1/me", headers=make.auth(manager)).get_json()
    assert me["managed_organisation_ids"] == [desk["org"].id]


# --- the published API ------------------------------------------------------------------------

ISSUE_2_ENDPOINTS = {
    "/api/v1/auth/tokens": {"get", "post"},
    "/api/v1/auth/tokens/{token_id}": {"delete"},
    "/api/v1/me": {"get"},
    "/api/v1/tickets": {"get", "post"},
    "/api/v1/tickets/{ticket_id}": {"get", "patch"},
    "/api/v1/tickets/{ticket_id}/comments": {"get", "post"},
    "/api/v1/tickets/{ticket_id}/events": {"get"},
    "/api/v1/organisations": {"get", "post"},
    "/api/v1/organisations/{org_id}": {"get", "patch"},
    "/api/v1/users": {"get", "post"},
    "/api/v1/users/{user_id}": {"get", "patch"},
    "/api/v1/groups": {"get", "post"},
    "/api/v1/groups/{group_id}": {"get", "patch"},
    "/api/v1/groups/{group_id}/members": {"put"},
    "/api/v1/services": {"get", "post"},
    "/api/v1/services/{service_id}": {"get", "patch"},
}


def test_the_openapi_document_lists_the_endpoints(client):
    resp = client.get("/api/v1/openapi.json")  # no token needed
    assert resp.status_code == 200
    doc = resp.get_json()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    for path, methods in ISSUE_2_ENDPOINTS.items():
        assert path in paths, path
        assert methods <= set(paths[path]) - {"parameters"}, path
    assert doc["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    headers = {p["name"] for p in paths["/api/v1/tickets/{ticket_id}"]["patch"]["parameters"]}
    assert "If-Match" in headers
    headers = {p["name"] for p in paths["/api/v1/tickets"]["post"]["parameters"]}
    assert "Idempotency-Key" in headers


def test_the_docs_page_answers_html(client):
    resp = client.get("/api/v1/docs")
    assert resp.status_code == 200
    assert resp.content_type.startswith("text/html")
    assert "openapi.json" in resp.get_data(as_text=True)
