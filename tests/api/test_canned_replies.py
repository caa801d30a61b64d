"""Canned replies through the API: kept by admins, offered to agents by their groups, filled
in for a ticket."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import assert_error, file_ticket

URL = "/api/v1/canned-replies"


@pytest.fixture
def cw(client, make, desk) -> dict[str, Any]:
    """The desk world plus an admin, a THH group with its agent, and three replies."""
    admin = make.user("admin")
    thh_agent = make.user("agent", provider="THH")
    thh_group = make.group("THH", members=(thh_agent,))
    h = {
        "admin": make.auth(admin),
        "agent": make.auth(desk["agent"]),
        "thh": make.auth(thh_agent),
        "requester": make.auth(desk["requester"]),
    }

    def add(**body: Any) -> dict[str, Any]:
        resp = client.post(URL, json=body, headers=h["admin"])
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()

    replies = {
        "global": add(title="Kuittaus", body="Hei {requester_name}, {ticket_number}.", locale="fi"),
        "ict": add(
            title="Sovellus",
            body="{agent_name}: {service_name} / {ticket_title} {unknown}",
            group_id=desk["group"].id,
            locale="en",
        ),
        "thh": add(title="Palkat", body="Palkka {ticket_number}", group_id=thh_group.id),
    }
    ticket = file_ticket(
        client, h["requester"], service_id=desk["service"].id, title="Wilma {agent_name}"
    ).get_json()
    return {"h": h, "replies": replies, "ticket": ticket, "thh_group": thh_group, **desk}


def titles(client: Any, headers: dict[str, str]) -> list[str]:
    resp = client.get(URL, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return [r["title"] for r in resp.get_json()]


def test_an_agent_gets_its_groups_replies_and_the_global_ones(client, cw):
    assert titles(client, cw["h"]["agent"]) == ["Kuittaus", "Sovellus"]
    assert titles(client, cw["h"]["thh"]) == ["Kuittaus", "Palkat"]
    assert titles(client, cw["h"]["admin"]) == ["Kuittaus", "Palkat", "Sovellus"]


def test_a_retired_reply_is_no_longer_offered(client, cw):
    rid = cw["replies"]["global"]["id"]
    resp = client.patch(f"{URL}/{rid}", json={"active": False}, headers=cw["h"]["admin"])
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["active"] is False
    assert titles(client, cw["h"]["agent"]) == ["Sovellus"]
    resp = client.get(
        f"/api/v1/tickets/{cw['ticket']['id']}/canned-replies/{rid}/render",
        headers=cw["h"]["agent"],
    )
    assert_error(resp, 404, "not_found")


def test_a_reply_is_rendered_for_a_ticket(client, cw):
    tid = cw["ticket"]["id"]
    rid = cw["replies"]["ict"]["id"]
    resp = client.get(
        f"/api/v1/tickets/{tid}/canned-replies/{rid}/render", headers=cw["h"]["agent"]
    )
    assert resp.status_code == 200, resp.get_json()
    service = cw["service"]
    # The reply's locale picks the service name; a title that looks like a placeholder and
    # an unknown placeholder are left as written.
    assert resp.get_json() == {
        "body": f"{cw['agent'].name}: {service.name_en} / Wilma {{agent_name}} {{unknown}}"
    }
    rid = cw["replies"]["global"]["id"]
    resp = client.get(
        f"/api/v1/tickets/{tid}/canned-replies/{rid}/render", headers=cw["h"]["agent"]
    )
    expected = f"Hei {cw['requester'].name}, {cw['ticket']['number']}."
    assert resp.get_json() == {"body": expected}


def test_another_groups_reply_and_foreign_tickets_are_404(client, cw):
    tid = cw["ticket"]["id"]
    thh_reply = cw["replies"]["thh"]["id"]
    resp = client.get(
        f"/api/v1/tickets/{tid}/canned-replies/{thh_reply}/render", headers=cw["h"]["agent"]
    )
    assert_error(resp, 404, "not_found")
    # The THH agent does not see the ICT ticket at all.
    glob = cw["replies"]["global"]["id"]
    resp = client.get(f"/api/v1/tickets/{tid}/canned-replies/{glob}/render", headers=cw["h"]["thh"])
    assert_error(resp, 404, "not_found")


def test_the_customer_side_and_suppliers_get_no_canned_replies(client, make, cw):
    assert_error(client.get(URL, headers=cw["h"]["requester"]), 403, "forbidden")
    supplier_agent = _supplier_agent(make)
    assert_error(client.get(URL, headers=make.auth(supplier_agent)), 403, "forbidden")
    tid = cw["ticket"]["id"]
    rid = cw["replies"]["global"]["id"]
    resp = client.get(
        f"/api/v1/tickets/{tid}/canned-replies/{rid}/render", headers=cw["h"]["requester"]
    )
    assert_error(resp, 403, "forbidden")


def _supplier_agent(make: Any) -> Any:
    from catalog.suppliers.models import Supplier

    supplier = Supplier(name="Toimittaja Oy", contact_email="tuki@toimittaja.example")
    make.sess.add(supplier)
    make.sess.commit()
    return make.user("supplier_agent", supplier_id=supplier.id)


@pytest.mark.parametrize("who", ["agent", "requester"])
def test_only_an_admin_keeps_canned_replies(client, cw, who):
    headers = cw["h"][who]
    assert_error(client.post(URL, json={"title": "T", "body": "B"}, headers=headers), 403)
    rid = cw["replies"]["global"]["id"]
    assert_error(client.patch(f"{URL}/{rid}", json={"title": "X"}, headers=headers), 403)
    assert titles(client, cw["h"]["admin"])[0] == "Kuittaus"


def test_an_admin_changes_a_reply(client, cw):
    rid = cw["replies"]["thh"]["id"]
    body = {"title": "Palkkakuitti", "group_id": None, "locale": "sv", "body": "Hej {agent_name}"}
    resp = client.patch(f"{URL}/{rid}", json=body, headers=cw["h"]["admin"])
    assert resp.status_code == 200, resp.get_json()
    got = resp.get_json()
    assert {k: got[k] for k in body} == body
    assert "Palkkakuitti" in titles(client, cw["h"]["agent"])  # global now


@pytest.mark.parametrize(
    "body",
    [
        {"title": "", "body": "B"},
        {"title": "T"},
        {"title": "T", "body": "B", "locale": "de"},
        {"title": "T", "body": "B", "group_id": 987654},
        {"title": "T", "body": "B", "extra": 1},
        {"title": "x" * 201, "body": "B"},
    ],
    ids=["empty_title", "no_body", "bad_locale", "unknown_group", "unknown_field", "long_title"],
)
def test_a_bad_reply_is_refused(client, cw, body):
    assert_error(client.post(URL, json=body, headers=cw["h"]["admin"]), 422, "validation_error")


def test_an_unknown_reply_is_404(client, cw):
    resp = client.patch(f"{URL}/987654", json={"title": "X"}, headers=cw["h"]["admin"])
    assert_error(resp, 404, "not_found")
