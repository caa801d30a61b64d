"""GET /api/v1/portal/services: the portal's picker, the gate asked per service for today."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.api.helpers import assert_error
from tests.api.test_gate import agree, never_subscribed, shareholder, today

PATH = "/api/v1/portal/services"


@pytest.fixture
def admin(make: Any) -> dict[str, str]:
    return make.auth(make.user("admin"))


@pytest.fixture
def phased(client, make, dbs, desk, admin) -> dict[str, Any]:
    """An owner whose agreement has the desk's service in force, a second service from next
    week, and not a third one."""
    make.group("THH", members=(make.user("agent", provider="THH"),), is_triage=True)
    later = make.service("THH", group=None, family="infrastructure", subfamily="office")
    left_out = make.service("ICT", group=None)
    org = shareholder(make, dbs)
    starts = today() + timedelta(days=7)
    agree(
        client,
        admin,
        org,
        date(2020, 1, 1),
        lines=((desk["service"], date(2020, 1, 1)), (later, starts)),
    )
    return {
        "org": org,
        "now": desk["service"],
        "later": later,
        "left_out": left_out,
        "starts": starts,
    }


def by_code(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["service"]["code"]: item for item in body["items"]}


def test_an_end_user_sees_each_service_with_whether_from_when_or_why_not(client, make, phased):
    user = make.auth(make.user("end_user", org=phased["org"]))
    resp = client.get(PATH, headers=user)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["refusal"] is None
    items = by_code(body)
    now, later, left_out = (items[phased[k].code] for k in ("now", "later", "left_out"))
    assert (now["available"], now["starts_on"], now["reason"]) == (True, None, None)
    assert (later["available"], later["starts_on"], later["reason"]) == (
        False,
        phased["starts"].isoformat(),
        "service_not_started",
    )
    assert (left_out["available"], left_out["starts_on"], left_out["reason"]) == (
        False,
        None,
        "service_not_in_agreement",
    )
    for item in body["items"]:
        assert item["always_accepted_types"] == ["change_need", "feedback"]
    assert later["service"] == {
        "id": phased["later"].id,
        "code": phased["later"].code,
        "name_fi": phased["later"].name_fi,
        "name_sv": phased["later"].name_sv,
        "name_en": phased["later"].name_en,
        "provider": "THH",
        "family": "infrastructure",
        "description_fi": phased["later"].description_fi,
        "description_sv": phased["later"].description_sv,
        "description_en": phased["later"].description_en,
    }


def test_what_the_list_offers_the_gate_accepts(client, make, phased):
    user = make.auth(make.user("end_user", org=phased["org"]))
    for item in client.get(PATH, headers=user).get_json()["items"]:
        body = {"title": "Ei toimi", "description": "x", "service_id": item["service"]["id"]}
        resp = client.post("/api/v1/tickets", json=body, headers=user)
        assert (resp.status_code == 201) is item["available"], (item, resp.get_json())
        for type_ in item["always_accepted_types"]:
            resp = client.post("/api/v1/tickets", json={**body, "type": type_}, headers=user)
            assert resp.status_code == 201, resp.get_json()


def test_a_refused_organisation_gets_the_reason_and_no_items(client, make, dbs, desk, admin):
    org = never_subscribed(client, make, dbs, admin, desk["service"])
    body = client.get(PATH, headers=make.auth(make.user("end_user", org=org))).get_json()
    assert body == {
        "refusal": {
            "reason": "not_owner",
            "message": "The organisation is not an owner of the service centre.",
        },
        "items": [],
    }


def test_the_customer_side_sees_only_its_own_organisation(client, make, phased):
    for role in ("end_user", "customer_contact"):
        user = make.auth(make.user(role, org=phased["org"]))
        own = client.get(f"{PATH}?organisation_id={phased['org'].id}", headers=user)
        assert own.status_code == 200
        assert own.get_json() == client.get(PATH, headers=user).get_json()
        other = make.org()
        assert_error(client.get(f"{PATH}?organisation_id={other.id}", headers=user), 404)


def test_the_desk_asks_for_an_organisation_by_id(client, make, desk, phased, admin):
    user = make.auth(make.user("end_user", org=phased["org"]))
    theirs = client.get(PATH, headers=user).get_json()
    for headers in (make.auth(desk["agent"]), admin):
        asked = client.get(f"{PATH}?organisation_id={phased['org'].id}", headers=headers)
        assert asked.get_json() == theirs
        error = assert_error(client.get(PATH, headers=headers), 422)
        assert "organisation_id" in error["details"]["fields"]
        assert_error(client.get(f"{PATH}?organisation_id=999999", headers=headers), 404)


def test_an_account_manager_asks_only_for_the_customers_it_manages(client, make, dbs, phased):
    from catalog.organisations.models import organisation_account_managers

    manager = make.user("account_manager")
    dbs.execute(
        organisation_account_managers.insert().values(
            organisation_id=phased["org"].id, user_id=manager.id
        )
    )
    dbs.commit()
    headers = make.auth(manager)
    assert (
        client.get(f"{PATH}?organisation_id={phased['org'].id}", headers=headers).status_code == 200
    )
    other = make.org()
    assert_error(client.get(f"{PATH}?organisation_id={other.id}", headers=headers), 404)


def test_a_supplier_agent_is_refused(client, make):
    supplier = client.post(
        "/api/v1/suppliers",
        json={"name": "Kuntasoft Oy", "contact_email": "tuki@kuntasoft.example"},
        headers=make.auth(make.user("admin")),
    ).get_json()
    agent = make.auth(make.user("supplier_agent", supplier_id=supplier["id"]))
    assert_error(client.get(PATH, headers=agent), 403)


def test_the_service_list_is_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"][PATH]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ServicesOut"
    }
    offer = spec["components"]["schemas"]["OfferOut"]["properties"]
    assert {"service", "available", "starts_on", "reason", "always_accepted_types"} <= set(offer)
