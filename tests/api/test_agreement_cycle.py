"""The yearly agreement cycle through the API: the account manager drafts the next period from
the version in force and proposes it, the customer contact reads and accepts it, an admin
signs it; drafts and proposals never reach the gate; who may do which step, and in which state.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert

from catalog.organisations.models import organisation_account_managers
from catalog.ownership.operations import subscribe, update_subscription
from servicedesk.db import frozen_now
from tests.api.helpers import assert_error

HKI = ZoneInfo("Europe/Helsinki")
#: "Today" of these tests: the 2026 version ends in 31 days, with no successor.
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=HKI)
#: A day in the next period: only a signed successor lets a ticket in.
NEXT_YEAR = datetime(2027, 1, 5, 10, 0, tzinfo=HKI)


@dataclass
class Cycle:
    org: Any
    service: Any
    version: dict[str, Any]
    headers: dict[str, dict[str, str]]
    names: dict[str, str]

    def call(self, method: str, path: str, who: str, at: datetime = NOW, **kw: Any) -> Any:
        with frozen_now(at):
            return getattr(self.client, method.lower())(
                f"/api/v1{path}", headers=self.headers[who], **kw
            )


def _owner(make: Any, dbs: Any) -> Any:
    """An organisation with registered shares and no agreement yet."""
    org = make.org(entitled=False)
    sub = subscribe(dbs, org, date(2015, 1, 1))
    update_subscription(dbs, sub, {"paid_on": date(2015, 2, 1), "registered_on": date(2015, 3, 1)})
    dbs.commit()
    return org


@pytest.fixture
def cycle(client: Any, make: Any, dbs: Any) -> Cycle:
    from catalog.suppliers.models import Supplier

    agent = make.user("agent", provider="ICT")
    group = make.group("ICT", members=(agent,))
    make.group("ICT", members=(agent,), is_triage=True)
    service = make.service("ICT", group=group)
    org = _owner(make, dbs)
    other = _owner(make, dbs)
    supplier = Supplier(name="Toimittaja Oy", contact_email="tuki@toimittaja.example")
    dbs.add(supplier)
    dbs.commit()
    users = {
        "admin": make.user("admin"),
        "am": make.user("account_manager"),
        "other_am": make.user("account_manager"),
        "contact": make.user("customer_contact", org=org),
        "other_contact": make.user("customer_contact", org=other),
        "end_user": make.user("end_user", org=org),
        "agent": agent,
        "supplier": make.user("supplier_agent", supplier_id=supplier.id),
    }
    dbs.execute(
        insert(organisation_account_managers),
        [
            {"organisation_id": org.id, "user_id": users["am"].id},
            {"organisation_id": other.id, "user_id": users["other_am"].id},
        ],
    )
    dbs.commit()
    headers = {who: make.auth(u) for who, u in users.items()}
    with frozen_now(NOW):
        resp = client.post(
            f"/api/v1/organisations/{org.id}/agreements",
            json={
                "valid_from": "2026-01-01",
                "valid_to": "2026-12-31",
                "renewal_deadline": "2026-09-30",
                "services": [
                    {
                        "service_id": service.id,
                        "starts_on": "2026-01-01",
                        "price_model": "per_ticket",
                        "price": "25.00",
                    }
                ],
            },
            headers=headers["admin"],
        )
    assert resp.status_code == 201, resp.get_json()
    world = Cycle(org, service, resp.get_json(), headers, {k: u.name for k, u in users.items()})
    world.client = client  # type: ignore[attr-defined]
    return world


def file(cycle: Cycle, at: datetime) -> Any:
    return cycle.call(
        "POST",
        "/tickets",
        "end_user",
        at,
        json={"title": "Wilma ei aukea", "description": "x", "service_id": cycle.service.id},
    )


def kinds(cycle: Cycle, version_id: int, who: str = "admin") -> list[str]:
    resp = cycle.call("GET", f"/agreements/{version_id}/events", who)
    assert resp.status_code == 200, resp.get_json()
    return [e["kind"] for e in resp.get_json()]


def price(amount: str, cycle: Cycle) -> dict[str, Any]:
    return {
        "services": [
            {
                "service_id": cycle.service.id,
                "starts_on": "2027-01-01",
                "price_model": "per_ticket",
                "price": amount,
            }
        ]
    }


def test_the_whole_cycle_from_draft_to_signature_and_the_gate_follows_only_the_signed(cycle):
    v1 = cycle.version
    assert (v1["state"], v1["signed_by"]) == ("signed", cycle.names["admin"])
    assert v1["lapse"] == {"ends_on": "2026-12-31", "days_left": 31}
    assert v1["successor"] is None

    # the account manager drafts the next period from the version in force
    resp = cycle.call("POST", f"/agreements/{v1['id']}/renewal", "am")
    assert resp.status_code == 201, resp.get_json()
    draft = resp.get_json()
    assert (draft["state"], draft["version_no"]) == ("draft", 2)
    assert (draft["valid_from"], draft["valid_to"]) == ("2027-01-01", "2027-12-31")
    assert draft["renewal_deadline"] == "2027-09-30"
    assert draft["services"] == [
        {
            "service_id": cycle.service.id,
            "starts_on": "2027-01-01",
            "price_model": "per_ticket",
            "price": "25.00",
        }
    ]
    assert draft["lapse"] is None and draft["accepted_at"] is None
    did = draft["id"]
    am_view = cycle.call("GET", f"/agreements/{v1['id']}", "am").get_json()
    assert am_view["successor"] == {"id": did, "version_no": 2, "state": "draft"}
    assert am_view["lapse"] == {"ends_on": "2026-12-31", "days_left": 31}

    # the customer contact does not see the draft: not in the list, not by id, not as successor
    assert_error(cycle.call("GET", f"/agreements/{did}", "contact"), 404, "not_found")
    listed = cycle.call("GET", f"/organisations/{cycle.org.id}/agreements", "contact").get_json()
    assert [v["id"] for v in listed] == [v1["id"]]
    assert listed[0]["successor"] is None

    # the account manager edits the price, then proposes
    resp = cycle.call("PATCH", f"/agreements/{did}", "am", json=price("27.50", cycle))
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["services"][0]["price"] == "27.50"
    resp = cycle.call("POST", f"/agreements/{did}/proposal", "am")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["state"] == "proposed" and resp.get_json()["proposed_at"]

    # the contact reads the proposal and accepts it
    proposal = cycle.call("GET", f"/agreements/{did}", "contact")
    assert proposal.status_code == 200 and proposal.get_json()["services"][0]["price"] == "27.50"
    seen = cycle.call("GET", f"/agreements/{v1['id']}", "contact").get_json()
    assert seen["successor"] == {"id": did, "version_no": 2, "state": "proposed"}
    resp = cycle.call("POST", f"/agreements/{did}/acceptance", "contact")
    assert resp.status_code == 200, resp.get_json()
    accepted = resp.get_json()
    assert accepted["accepted_by"] == cycle.names["contact"] and accepted["accepted_at"]

    # a change to the accepted proposal clears the acceptance
    resp = cycle.call("PATCH", f"/agreements/{did}", "am", json=price("28.00", cycle))
    assert resp.status_code == 200, resp.get_json()
    assert (resp.get_json()["accepted_at"], resp.get_json()["accepted_by"]) == (None, None)
    assert_error(cycle.call("POST", f"/agreements/{did}/signature", "admin"), 409, "not_accepted")
    assert cycle.call("POST", f"/agreements/{did}/acceptance", "contact").status_code == 200

    # not in force yet: a ticket of the next period is refused
    err = assert_error(file(cycle, NEXT_YEAR), 403, "not_entitled")
    assert err["details"] == {"reason": "no_agreement"}

    # the admin signs: in force, the predecessor superseded
    resp = cycle.call("POST", f"/agreements/{did}/signature", "admin")
    assert resp.status_code == 200, resp.get_json()
    signed = resp.get_json()
    assert (signed["state"], signed["signed_by"]) == ("signed", cycle.names["admin"])
    assert signed["signed_at"]
    old = cycle.call("GET", f"/agreements/{v1['id']}", "contact").get_json()
    assert old["state"] == "superseded"
    assert old["lapse"] is None  # followed by a signed version
    assert old["successor"] == {"id": did, "version_no": 2, "state": "signed"}

    assert file(cycle, NEXT_YEAR).status_code == 201
    assert file(cycle, NOW).status_code == 201  # the superseded one stays in force to its end

    assert kinds(cycle, did) == [
        "drafted",
        "edited",
        "proposed",
        "accepted",
        "edited",
        "acceptance_cleared",
        "accepted",
        "signed",
    ]
    events = cycle.call("GET", f"/agreements/{did}/events", "contact").get_json()
    assert events[0]["actor"] == cycle.names["am"]
    assert events[3]["actor"] == cycle.names["contact"]
    assert events[4]["data"] == {"fields": ["services"]}
    assert kinds(cycle, v1["id"]) == ["created", "superseded"]


def test_a_proposal_taken_back_to_draft_loses_its_acceptance_and_hides_again(cycle):
    did = cycle.call("POST", f"/agreements/{cycle.version['id']}/renewal", "am").get_json()["id"]
    assert cycle.call("POST", f"/agreements/{did}/proposal", "am").status_code == 200
    assert cycle.call("POST", f"/agreements/{did}/acceptance", "contact").status_code == 200
    resp = cycle.call("POST", f"/agreements/{did}/return-to-draft", "am")
    assert resp.status_code == 200, resp.get_json()
    assert (resp.get_json()["state"], resp.get_json()["accepted_at"]) == ("draft", None)
    assert_error(cycle.call("GET", f"/agreements/{did}", "contact"), 404)


def test_a_drafts_transition_plan_and_events_are_hidden_from_the_customer_like_the_draft(cycle):
    did = cycle.call("POST", f"/agreements/{cycle.version['id']}/renewal", "am").get_json()["id"]
    for path in (
        f"/agreements/{did}/transition-plan",
        f"/agreements/{did}/events",
        f"/agreements/{did}/what-if",
    ):
        assert cycle.call("GET", path, "am").status_code == 200
        assert_error(cycle.call("GET", path, "contact"), 404)
    assert cycle.call("POST", f"/agreements/{did}/proposal", "am").status_code == 200
    assert cycle.call("GET", f"/agreements/{did}/transition-plan", "contact").status_code == 200


def test_an_account_manager_may_sign_only_where_the_centre_allows_it(cycle, app, monkeypatch):
    did = cycle.call("POST", f"/agreements/{cycle.version['id']}/renewal", "am").get_json()["id"]
    cycle.call("POST", f"/agreements/{did}/proposal", "am")
    cycle.call("POST", f"/agreements/{did}/acceptance", "contact")
    assert_error(cycle.call("POST", f"/agreements/{did}/signature", "am"), 403, "forbidden")
    settings = dataclasses.replace(app.config["SETTINGS"], account_managers_sign=True)
    monkeypatch.setitem(app.config, "SETTINGS", settings)
    assert_error(cycle.call("POST", f"/agreements/{did}/signature", "other_am"), 404)
    resp = cycle.call("POST", f"/agreements/{did}/signature", "am")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["signed_by"] == cycle.names["am"]


# --- who may ----------------------------------------------------------------------------------


def test_roles_outside_the_customer_are_refused_or_never_see_it(cycle):
    vid = cycle.version["id"]
    did = cycle.call("POST", f"/agreements/{vid}/renewal", "am").get_json()["id"]
    # another customer's account manager and contact, and supplier agents: 404
    for who in ("other_am", "other_contact", "supplier"):
        assert_error(cycle.call("GET", f"/agreements/{vid}", who), 404, "not_found")
        assert_error(cycle.call("GET", f"/agreements/{vid}/events", who), 404)
        assert_error(cycle.call("POST", f"/agreements/{vid}/renewal", who), 404)
        assert_error(cycle.call("PATCH", f"/agreements/{did}", who, json={"notes": "x"}), 404)
        assert_error(cycle.call("POST", f"/agreements/{did}/proposal", who), 404)
    # end users: not the commercial terms (403), and a draft does not exist for them (404)
    assert_error(cycle.call("GET", f"/agreements/{vid}", "end_user"), 403, "forbidden")
    assert_error(cycle.call("GET", f"/agreements/{vid}/events", "end_user"), 403)
    assert_error(cycle.call("GET", f"/organisations/{cycle.org.id}/agreements", "end_user"), 403)
    assert_error(cycle.call("GET", f"/agreements/{did}", "end_user"), 404)
    assert_error(cycle.call("POST", f"/agreements/{vid}/renewal", "end_user"), 403)
    # desk agents read, but do not edit or renew
    assert cycle.call("GET", f"/agreements/{did}", "agent").status_code == 200
    assert_error(cycle.call("PATCH", f"/agreements/{did}", "agent", json={"notes": "x"}), 403)
    assert_error(cycle.call("POST", f"/agreements/{vid}/renewal", "agent"), 403)
    assert_error(cycle.call("POST", f"/agreements/{did}/proposal", "agent"), 403)
    assert_error(cycle.call("POST", f"/agreements/{did}/acceptance", "agent"), 403)


def test_the_customer_contact_reads_and_accepts_but_never_edits_proposes_or_signs(cycle):
    vid = cycle.version["id"]
    did = cycle.call("POST", f"/agreements/{vid}/renewal", "am").get_json()["id"]
    cycle.call("POST", f"/agreements/{did}/proposal", "am")
    assert_error(cycle.call("POST", f"/agreements/{vid}/renewal", "contact"), 403, "forbidden")
    assert_error(cycle.call("PATCH", f"/agreements/{did}", "contact", json={"notes": "x"}), 403)
    assert_error(cycle.call("POST", f"/agreements/{did}/return-to-draft", "contact"), 403)
    assert_error(cycle.call("POST", f"/agreements/{did}/signature", "contact"), 403)
    # the account manager cannot accept on the customer's behalf
    assert_error(cycle.call("POST", f"/agreements/{did}/acceptance", "am"), 403)
    assert_error(cycle.call("POST", f"/agreements/{did}/acceptance", "admin"), 403)


def test_the_account_manager_edits_only_open_versions_an_admin_any(cycle):
    vid = cycle.version["id"]
    resp = cycle.call("PATCH", f"/agreements/{vid}", "am", json={"notes": "Jatkettu"})
    err = assert_error(resp, 403, "forbidden")
    assert "account manager" in err["message"]
    resp = cycle.call("PATCH", f"/agreements/{vid}", "admin", json={"notes": "Jatkettu"})
    assert resp.status_code == 200 and resp.get_json()["notes"] == "Jatkettu"
    assert kinds(cycle, vid) == ["created"]  # an in-force version's notes are no cycle event


def test_creating_versions_admin_any_state_the_account_manager_drafts_only(cycle, make, dbs):
    org = cycle.org
    body = {"valid_from": "2028-01-01", "valid_to": "2028-12-31", "state": "draft"}
    resp = cycle.call("POST", f"/organisations/{org.id}/agreements", "am", json=body)
    assert resp.status_code == 201, resp.get_json()
    assert (resp.get_json()["state"], resp.get_json()["signed_at"]) == ("draft", None)
    assert kinds(cycle, resp.get_json()["id"]) == ["created"]
    signed = {**body, "state": "signed", "valid_from": "2029-01-01", "valid_to": None}
    assert_error(cycle.call("POST", f"/organisations/{org.id}/agreements", "am", json=signed), 403)
    assert_error(
        cycle.call("POST", f"/organisations/{org.id}/agreements", "other_am", json=body), 404
    )
    assert_error(
        cycle.call("POST", f"/organisations/{org.id}/agreements", "contact", json=body), 403
    )
    bad = {**body, "state": "proposed"}
    assert_error(cycle.call("POST", f"/organisations/{org.id}/agreements", "admin", json=bad), 422)


# --- wrong states -------------------------------------------------------------------------------


def test_each_step_in_the_wrong_state_is_409(cycle):
    vid = cycle.version["id"]
    did = cycle.call("POST", f"/agreements/{vid}/renewal", "am").get_json()["id"]
    # a second draft of the same period
    assert_error(cycle.call("POST", f"/agreements/{vid}/renewal", "am"), 409, "successor_exists")
    # a draft is not renewed, signed, accepted or taken back
    assert_error(cycle.call("POST", f"/agreements/{did}/renewal", "am"), 409, "wrong_state")
    assert_error(cycle.call("POST", f"/agreements/{did}/signature", "admin"), 409, "wrong_state")
    assert_error(cycle.call("POST", f"/agreements/{did}/return-to-draft", "am"), 409, "wrong_state")
    # a signed version is not proposed, taken back or accepted
    assert_error(cycle.call("POST", f"/agreements/{vid}/proposal", "am"), 409, "wrong_state")
    assert_error(cycle.call("POST", f"/agreements/{vid}/return-to-draft", "am"), 409, "wrong_state")
    assert_error(cycle.call("POST", f"/agreements/{vid}/acceptance", "contact"), 409, "wrong_state")
    # a proposal is not proposed again
    cycle.call("POST", f"/agreements/{did}/proposal", "am")
    assert_error(cycle.call("POST", f"/agreements/{did}/proposal", "am"), 409, "wrong_state")


def test_an_open_ended_version_is_ended_before_a_successor_is_drafted(cycle, make, dbs):
    org = _owner(make, dbs)
    resp = cycle.call(
        "POST", f"/organisations/{org.id}/agreements", "admin", json={"valid_from": "2026-01-01"}
    )
    assert resp.status_code == 201, resp.get_json()
    vid = resp.get_json()["id"]
    assert resp.get_json()["lapse"] is None
    assert_error(cycle.call("POST", f"/agreements/{vid}/renewal", "admin"), 409, "open_ended")
