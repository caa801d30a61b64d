"""Routing through the API: where a new ticket lands, and the recorded reason.

The decision is the pure `catalog.routing.decide_route` (tests/unit/catalog/test_routing.py);
here the stored rules, the ticket's facts and the "routed" event are shown end to end.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import assert_error, file_ticket


@pytest.fixture
def admin(make: Any) -> dict[str, str]:
    return make.auth(make.user("admin"))


def add_rule(client: Any, admin: dict[str, str], name: str, group: Any, **fields: Any) -> dict:
    resp = client.post(
        "/api/v1/routing-rules",
        json={"name": name, "target_group_id": group.id, **fields},
        headers=admin,
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def routed_events(client: Any, admin: dict[str, str], ticket_id: int) -> list[dict[str, Any]]:
    resp = client.get(f"/api/v1/tickets/{ticket_id}/events", headers=admin)
    assert resp.status_code == 200
    return [e for e in resp.get_json() if e["kind"] == "routed"]


def the_route(client: Any, admin: dict[str, str], ticket_id: int) -> dict[str, Any]:
    """The one routing decision of a new ticket: route, rule_id and reason."""
    (event,) = routed_events(client, admin, ticket_id)
    return {k: event["data"][k] for k in ("route", "rule_id", "reason")}


def file(client: Any, make: Any, requester: Any, **fields: Any) -> dict[str, Any]:
    return file_ticket(client, make.auth(requester), **fields).get_json()


# --- precedence -----------------------------------------------------------------------------


def test_a_new_ticket_goes_to_its_services_default_group_when_no_rule_matches(
    client, make, admin, desk
):
    other = make.group("ICT")
    add_rule(client, admin, "Tulostimet", other, keywords=["tulostin"])
    ticket = file(client, make, desk["requester"], service_id=desk["service"].id)
    assert ticket["group_id"] == desk["group"].id
    assert ticket["assignee"] is None
    assert the_route(client, admin, ticket["id"]) == {
        "route": "service_default",
        "rule_id": None,
        "reason": f"default group of service {desk['service'].id}",
    }


def test_a_keyword_rule_beats_the_service_default_and_names_itself_and_the_keyword(
    client, make, admin, desk
):
    apps = make.group("ICT")
    rule = add_rule(client, admin, "Wilma-asiat sovellustukeen", apps, keywords=["wilma", "primus"])
    ticket = file(
        client,
        make,
        desk["requester"],
        service_id=desk["service"].id,
        title="WILMA ei aukea",
        description="Kirjautuminen pyörii.",
    )
    assert ticket["group_id"] == apps.id
    assert the_route(client, admin, ticket["id"]) == {
        "route": "rule",
        "rule_id": rule["id"],
        "reason": f'rule #{rule["id"]} "Wilma-asiat sovellustukeen" (keywords: wilma)',
    }


def test_a_keyword_matches_whole_words_only(client, make, admin, desk):
    apps = make.group("ICT")
    add_rule(client, admin, "Wilma", apps, keywords=["wilma"])
    ticket = file(
        client,
        make,
        desk["requester"],
        service_id=desk["service"].id,
        title="Wilmanen ei toimi",
        description="Sovellus Wilmanen kaatuu.",
    )
    assert ticket["group_id"] == desk["group"].id


def test_the_rule_with_the_lowest_precedence_number_wins(client, make, admin, desk):
    late, early = make.group("ICT"), make.group("ICT")
    add_rule(client, admin, "Myöhäinen", late, precedence=50, keywords=["wilma"])
    winner = add_rule(client, admin, "Aikainen", early, precedence=10, keywords=["wilma"])
    ticket = file(client, make, desk["requester"], service_id=desk["service"].id)
    assert ticket["group_id"] == early.id
    assert the_route(client, admin, ticket["id"])["rule_id"] == winner["id"]


def test_on_equal_precedence_the_older_rule_wins(client, make, admin, desk):
    older_group, newer_group = make.group("ICT"), make.group("ICT")
    older = add_rule(client, admin, "Vanha", older_group, precedence=10, keywords=["wilma"])
    add_rule(client, admin, "Uusi", newer_group, precedence=10, keywords=["wilma"])
    ticket = file(client, make, desk["requester"], service_id=desk["service"].id)
    assert ticket["group_id"] == older_group.id
    assert the_route(client, admin, ticket["id"])["rule_id"] == older["id"]


def test_an_inactive_rule_is_skipped(client, make, admin, desk):
    first, second = make.group("ICT"), make.group("ICT")
    inactive = add_rule(client, admin, "Pois", first, precedence=1, keywords=["wilma"])
    resp = client.patch(
        f"/api/v1/routing-rules/{inactive['id']}", json={"active": False}, headers=admin
    )
    assert resp.status_code == 200
    assert resp.get_json()["active"] is False
    active = add_rule(client, admin, "Käytössä", second, precedence=2, keywords=["wilma"])
    created_inactive = add_rule(
        client, admin, "Luotu pois", first, precedence=0, keywords=["wilma"], active=False
    )
    assert created_inactive["active"] is False
    ticket = file(client, make, desk["requester"], service_id=desk["service"].id)
    assert ticket["group_id"] == second.id
    assert the_route(client, admin, ticket["id"])["rule_id"] == active["id"]


def test_an_unclassified_ticket_goes_to_the_providers_triage_group(client, make, admin, desk):
    thh_triage = make.group("THH", is_triage=True)
    ict = file(client, make, desk["requester"], provider="ICT")
    assert ict["service"] is None
    assert ict["group_id"] == desk["triage"].id
    assert the_route(client, admin, ict["id"]) == {
        "route": "triage",
        "rule_id": None,
        "reason": "unclassified ticket (no service): triage group of provider ICT",
    }
    thh = file(client, make, desk["requester"], provider="THH", title="Palkka puuttuu")
    assert thh["group_id"] == thh_triage.id
    assert the_route(client, admin, thh["id"])["reason"] == (
        "unclassified ticket (no service): triage group of provider THH"
    )


def test_a_service_without_a_default_group_goes_to_triage(client, make, admin, desk):
    orphan = make.service("ICT", group=None)
    ticket = file(client, make, desk["requester"], service_id=orphan.id)
    assert ticket["group_id"] == desk["triage"].id
    assert the_route(client, admin, ticket["id"])["reason"] == (
        f"service {orphan.id} has no default group: triage group of provider ICT"
    )


def test_a_ticket_no_group_can_take_is_refused_with_409_and_not_stored(client, make, admin):
    org = make.org()
    orphan = make.service("ICT", group=None)  # and no ICT triage group exists
    requester = make.user("end_user", org=org)
    resp = client.post(
        "/api/v1/tickets",
        json={"title": "Apua", "description": "x", "service_id": orphan.id},
        headers=make.auth(requester),
    )
    err = assert_error(resp, 409, "no_route")
    assert "provider ICT has no triage group" in err["message"]
    assert client.get("/api/v1/tickets", headers=admin).get_json()["items"] == []


@pytest.mark.parametrize("ticket_type", ["change_need", "feedback"])
def test_change_needs_and_feedback_go_to_the_organisations_account_manager(
    client, make, admin, desk, ticket_type
):
    manager = make.user("account_manager")
    second = make.user("account_manager")
    resp = client.put(
        f"/api/v1/organisations/{desk['org'].id}/account-managers",
        json={"user_ids": [second.id, manager.id]},
        headers=admin,
    )
    assert resp.status_code == 200
    add_rule(client, admin, "Wilma", make.group("ICT"), keywords=["wilma"])  # not for these
    ticket = file(client, make, desk["requester"], service_id=desk["service"].id, type=ticket_type)
    assert ticket["group_id"] is None
    assert ticket["assignee"]["id"] == manager.id  # the first of them, by id
    label = "change need" if ticket_type == "change_need" else "feedback"
    assert the_route(client, admin, ticket["id"]) == {
        "route": "account_manager",
        "rule_id": None,
        "reason": f"{label} goes to the organisation's account manager (user {manager.id})",
    }


def test_a_change_need_without_an_account_manager_is_routed_like_any_ticket_saying_so(
    client, make, admin, desk
):
    ticket = file(
        client, make, desk["requester"], service_id=desk["service"].id, type="change_need"
    )
    assert ticket["group_id"] == desk["group"].id
    assert ticket["assignee"] is None
    assert the_route(client, admin, ticket["id"])["reason"] == (
        "change need, but the organisation has no account manager: "
        f"default group of service {desk['service'].id}"
    )


# --- the ticket's facts the rules look at ---------------------------------------------------


def test_an_organisation_rule_routes_only_that_organisations_tickets(client, make, admin, desk):
    local = make.group("ICT")
    rule = add_rule(client, admin, "Lähituki", local, organisation_id=desk["org"].id)
    other_org = make.org()
    other_requester = make.user("end_user", org=other_org)
    mine = file(client, make, desk["requester"], service_id=desk["service"].id)
    theirs = file(client, make, other_requester, service_id=desk["service"].id)
    assert mine["group_id"] == local.id
    assert the_route(client, admin, mine["id"])["reason"] == (
        f'rule #{rule["id"]} "Lähituki" (organisation: {desk["org"].id})'
    )
    assert theirs["group_id"] == desk["group"].id


def test_a_family_rule_routes_only_services_of_that_family(client, make, admin, desk):
    infra_group = make.group("ICT")
    laptops = make.service("ICT", group=desk["group"], family="infrastructure", subfamily="user")
    rule = add_rule(client, admin, "Infra", infra_group, family="infrastructure")
    infra = file(client, make, desk["requester"], service_id=laptops.id)
    app = file(client, make, desk["requester"], service_id=desk["service"].id)  # application
    assert infra["group_id"] == infra_group.id
    assert the_route(client, admin, infra["id"])["rule_id"] == rule["id"]
    assert app["group_id"] == desk["group"].id


def test_a_ticket_type_rule_routes_only_tickets_of_that_type(client, make, admin, desk):
    requests = make.group("ICT")
    rule = add_rule(client, admin, "Pyynnöt", requests, ticket_type="service_request")
    request = file(
        client, make, desk["requester"], service_id=desk["service"].id, type="service_request"
    )
    incident = file(client, make, desk["requester"], service_id=desk["service"].id)
    assert request["group_id"] == requests.id
    assert the_route(client, admin, request["id"])["reason"] == (
        f'rule #{rule["id"]} "Pyynnöt" (type: service_request)'
    )
    assert incident["group_id"] == desk["group"].id


def test_a_service_rule_routes_only_that_services_tickets(client, make, admin, desk):
    special = make.group("ICT")
    other_service = make.service("ICT", group=desk["group"])
    rule = add_rule(client, admin, "Erikoistuki", special, service_id=other_service.id)
    hit = file(client, make, desk["requester"], service_id=other_service.id)
    miss = file(client, make, desk["requester"], service_id=desk["service"].id)
    assert hit["group_id"] == special.id
    assert the_route(client, admin, hit["id"])["rule_id"] == rule["id"]
    assert miss["group_id"] == desk["group"].id


def test_a_rule_never_routes_a_ticket_to_a_group_of_the_other_provider(client, make, admin, desk):
    """A keyword rule without a provider condition (the demo's "Tietoturvapoikkeamat" is one)
    must not hand a THH ticket to an ICT group: THH agents would not see it, ICT agents could
    not work it."""
    security = make.group("ICT")
    payroll_group = make.group("THH")
    payroll = make.service("THH", group=payroll_group)
    add_rule(client, admin, "Tietoturva", security, keywords=["tietoturva"])
    thh = file(
        client,
        make,
        desk["requester"],
        service_id=payroll.id,
        title="Tietoturva: palkkalaskelma väärälle henkilölle",
    )
    assert thh["provider"] == "THH"
    assert thh["group_id"] == payroll_group.id
    assert the_route(client, admin, thh["id"])["route"] == "service_default"
    ict = file(client, make, desk["requester"], service_id=desk["service"].id, title="Tietoturva")
    assert ict["group_id"] == security.id


# --- re-routing -----------------------------------------------------------------------------


def test_an_agent_changing_the_service_re_routes_with_a_new_event_naming_the_rule(
    client, make, admin, desk
):
    special = make.group("ICT", members=(desk["agent"],))
    other_service = make.service("ICT", group=desk["group"])
    rule = add_rule(client, admin, "Erikoistuki", special, service_id=other_service.id)
    created = file_ticket(
        client, make.auth(desk["requester"]), service_id=desk["service"].id, title="Ongelma"
    )
    ticket = created.get_json()
    assert ticket["group_id"] == desk["group"].id
    resp = client.patch(
        f"/api/v1/tickets/{ticket['id']}",
        json={"service_id": other_service.id},
        headers={**make.auth(desk["agent"]), "If-Match": created.headers["ETag"]},
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["group_id"] == special.id
    assert resp.get_json()["service"]["id"] == other_service.id
    first, second = routed_events(client, admin, ticket["id"])
    assert first["data"]["route"] == "service_default"
    assert first["actor"] is None
    assert second["actor"]["id"] == desk["agent"].id
    assert {k: second["data"][k] for k in ("route", "rule_id", "reason")} == {
        "route": "rule",
        "rule_id": rule["id"],
        "reason": f'rule #{rule["id"]} "Erikoistuki" (service: {other_service.id})',
    }
    assert second["data"]["changes"]["group_id"] == {
        "before": desk["group"].id,
        "after": special.id,
    }


def test_changing_the_service_together_with_an_explicit_group_keeps_the_agents_choice(
    client, make, admin, desk
):
    chosen = make.group("ICT", members=(desk["agent"],))
    other_service = make.service("ICT", group=desk["group"])
    created = file_ticket(client, make.auth(desk["requester"]), service_id=desk["service"].id)
    ticket = created.get_json()
    resp = client.patch(
        f"/api/v1/tickets/{ticket['id']}",
        json={"service_id": other_service.id, "group_id": chosen.id},
        headers={**make.auth(desk["agent"]), "If-Match": created.headers["ETag"]},
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["group_id"] == chosen.id
    assert len(routed_events(client, admin, ticket["id"])) == 1


def test_changing_the_type_to_a_change_need_re_routes_to_the_account_manager(
    client, make, admin, desk
):
    manager = make.user("account_manager")
    client.put(
        f"/api/v1/organisations/{desk['org'].id}/account-managers",
        json={"user_ids": [manager.id]},
        headers=admin,
    )
    created = file_ticket(client, make.auth(desk["requester"]), service_id=desk["service"].id)
    ticket = created.get_json()
    resp = client.patch(
        f"/api/v1/tickets/{ticket['id']}",
        json={"type": "change_need"},
        headers={**make.auth(desk["agent"]), "If-Match": created.headers["ETag"]},
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["group_id"] is None
    assert resp.get_json()["assignee"]["id"] == manager.id
    assert routed_events(client, admin, ticket["id"])[-1]["data"]["route"] == "account_manager"


def test_routing_events_are_internal_and_hidden_from_the_requester(client, make, desk):
    ticket = file(client, make, desk["requester"], service_id=desk["service"].id)
    events = client.get(
        f"/api/v1/tickets/{ticket['id']}/events", headers=make.auth(desk["requester"])
    ).get_json()
    assert [e["kind"] for e in events] == ["created"]


# --- the routing rule admin API -------------------------------------------------------------


def test_a_rule_for_an_unknown_group_is_refused(client, admin):
    resp = client.post(
        "/api/v1/routing-rules",
        json={"name": "Ei ryhmää", "target_group_id": 999999},
        headers=admin,
    )
    err = assert_error(resp, 422, "validation_error")
    assert err["details"]["fields"] == {"target_group_id": ["No group 999999."]}
    assert client.get("/api/v1/routing-rules", headers=admin).get_json() == []


def test_a_rule_with_a_blank_keyword_is_refused(client, make, admin):
    resp = client.post(
        "/api/v1/routing-rules",
        json={"name": "Tyhjä", "target_group_id": make.group("ICT").id, "keywords": ["wilma", " "]},
        headers=admin,
    )
    err = assert_error(resp, 422, "validation_error")
    assert "blank keyword" in err["message"]
    assert client.get("/api/v1/routing-rules", headers=admin).get_json() == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("family", "hardware"),
        ("provider", "XYZ"),
        ("ticket_type", "complaint"),
        ("precedence", -1),
        ("keywords", "wilma"),
    ],
)
def test_a_rule_with_an_unknown_condition_value_is_refused_naming_it(
    client, make, admin, field, value
):
    resp = client.post(
        "/api/v1/routing-rules",
        json={"name": "Huono", "target_group_id": make.group("ICT").id, field: value},
        headers=admin,
    )
    err = assert_error(resp, 422, "validation_error")
    assert list(err["details"]["fields"]) == [field]


def test_patching_a_rule_to_an_unknown_group_is_refused_and_changes_nothing(client, make, admin):
    group = make.group("ICT")
    rule = add_rule(client, admin, "Wilma", group, keywords=["wilma"])
    resp = client.patch(
        f"/api/v1/routing-rules/{rule['id']}",
        json={"target_group_id": 999999, "name": "Uusi nimi"},
        headers=admin,
    )
    err = assert_error(resp, 422, "validation_error")
    assert err["details"]["fields"] == {"target_group_id": ["No group 999999."]}
    assert client.get(f"/api/v1/routing-rules/{rule['id']}", headers=admin).get_json() == rule


@pytest.mark.parametrize("role", ["agent", "account_manager", "customer_contact", "end_user"])
def test_only_an_admin_writes_routing_rules(client, make, admin, role):
    group = make.group("ICT")
    rule = add_rule(client, admin, "Wilma", group, keywords=["wilma"])
    headers = make.auth(make.user(role))
    resp = client.post(
        "/api/v1/routing-rules",
        json={"name": "Oma", "target_group_id": group.id},
        headers=headers,
    )
    assert_error(resp, 403, "forbidden")
    resp = client.patch(
        f"/api/v1/routing-rules/{rule['id']}", json={"active": False}, headers=headers
    )
    assert_error(resp, 403, "forbidden")
    assert client.get("/api/v1/routing-rules", headers=admin).get_json() == [rule]


def test_staff_read_the_rules_in_the_order_they_are_tried(client, make, admin):
    group = make.group("ICT")
    late = add_rule(client, admin, "Myöhäinen", group, precedence=50)
    early = add_rule(client, admin, "Aikainen", group, precedence=10)
    tie = add_rule(client, admin, "Tasapeli", group, precedence=50)
    for role in ("agent", "account_manager", "admin"):
        headers = make.auth(make.user(role))
        listed = client.get("/api/v1/routing-rules", headers=headers).get_json()
        assert [r["id"] for r in listed] == [early["id"], late["id"], tie["id"]]
        assert client.get(f"/api/v1/routing-rules/{tie['id']}", headers=headers).get_json() == tie


@pytest.mark.parametrize("role", ["customer_contact", "end_user"])
def test_customers_see_no_routing_rules(client, make, admin, role):
    rule = add_rule(client, admin, "Wilma", make.group("ICT"), keywords=["wilma"])
    headers = make.auth(make.user(role))
    resp = client.get("/api/v1/routing-rules", headers=headers)
    assert resp.status_code == 200
    assert resp.get_json() == []
    assert_error(client.get(f"/api/v1/routing-rules/{rule['id']}", headers=headers), 404)


def test_the_account_manager_works_the_change_need_routed_to_them(client, make, dbs):
    """Routed to the account manager, a change need is theirs to take forward and resolve."""
    from catalog.organisations.models import organisation_account_managers

    org = make.org()
    manager = make.user("account_manager")
    dbs.execute(
        organisation_account_managers.insert().values(organisation_id=org.id, user_id=manager.id)
    )
    dbs.commit()
    make.group("ICT", is_triage=True)
    requester = make.user("end_user", org=org)
    created = client.post(
        "/api/v1/tickets",
        headers=make.auth(requester),
        json={
            "type": "change_need",
            "title": "Uusi raportti",
            "description": "Tarvitsemme raportin.",
        },
    ).get_json()
    assert created["assignee"]["id"] == manager.id
    headers = make.auth(manager)
    read = client.get(f"/api/v1/tickets/{created['id']}", headers=headers)
    assert "resolved" in read.get_json()["allowed_transitions"]
    resp = client.patch(
        f"/api/v1/tickets/{created['id']}",
        json={"status": "resolved"},
        headers={**headers, "If-Match": read.headers["ETag"]},
    )
    assert resp.status_code == 200
    assert resp.get_json()["status"] == "resolved"
    again = client.patch(
        f"/api/v1/tickets/{created['id']}",
        json={"title": "Muu"},
        headers={**headers, "If-Match": resp.headers["ETag"]},
    )
    assert again.status_code == 403


# --- replacing the account manager ----------------------------------------------------------


def _set_managers(client, admin, org_id, ids):
    resp = client.put(
        f"/api/v1/organisations/{org_id}/account-managers", json={"user_ids": ids}, headers=admin
    )
    assert resp.status_code == 200, resp.get_json()


def test_replacing_the_account_manager_hands_the_open_change_needs_and_feedback_over(
    client, make, admin, desk
):
    old = make.user("account_manager")
    new = make.user("account_manager")
    org = desk["org"].id
    _set_managers(client, admin, org, [old.id])
    need = file(client, make, desk["requester"], service_id=desk["service"].id, type="change_need")
    wish = file(client, make, desk["requester"], service_id=desk["service"].id, type="feedback")
    done = file(client, make, desk["requester"], service_id=desk["service"].id, type="feedback")
    incident = file(client, make, desk["requester"], service_id=desk["service"].id)
    assert need["assignee"]["id"] == wish["assignee"]["id"] == old.id
    resp = client.patch(
        f"/api/v1/tickets/{done['id']}",
        json={"status": "cancelled"},
        headers={
            **make.auth(old),
            "If-Match": client.get(f"/api/v1/tickets/{done['id']}", headers=make.auth(old)).headers[
                "ETag"
            ],
        },
    )
    assert resp.status_code == 200, resp.get_json()

    _set_managers(client, admin, org, [new.id])

    for moved in (need, wish):
        seen = client.get(f"/api/v1/tickets/{moved['id']}", headers=make.auth(new))
        assert seen.status_code == 200
        assert seen.get_json()["assignee"]["id"] == new.id
        events = client.get(f"/api/v1/tickets/{moved['id']}/events", headers=admin).get_json()
        change = events[-1]
        assert change["kind"] == "updated"
        assert change["data"]["changes"]["assignee_id"] == {"before": old.id, "after": new.id}
        # The new account manager may act on it (before the hand-over: 403).
        resp = client.post(
            f"/api/v1/tickets/{moved['id']}/comments",
            json={"body": "Otan tämän hoitaakseni.", "internal": False},
            headers=make.auth(new),
        )
        assert resp.status_code == 201, resp.get_json()
    # A closed one keeps its history; an incident was never the account manager's.
    cancelled = client.get(f"/api/v1/tickets/{done['id']}", headers=admin).get_json()
    assert cancelled["assignee"]["id"] == old.id
    after = client.get(f"/api/v1/tickets/{incident['id']}", headers=admin).get_json()
    assert after["assignee"] == incident["assignee"]


def test_with_no_account_manager_left_the_tickets_are_unassigned(client, make, admin, desk):
    old = make.user("account_manager")
    org = desk["org"].id
    _set_managers(client, admin, org, [old.id])
    need = file(client, make, desk["requester"], service_id=desk["service"].id, type="change_need")
    _set_managers(client, admin, org, [])
    after = client.get(f"/api/v1/tickets/{need['id']}", headers=admin).get_json()
    assert after["assignee"] is None
