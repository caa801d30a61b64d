"""The owners' register made exact (issue 13), through the API.

One holding per organisation, prices that do not depend on the order records are typed in,
decisions within the seed, and redemption of an owner that stopped being a municipal actor.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from catalog.agreements.queries import local_date
from catalog.ownership.models import ShareSubscription
from servicedesk.db import utcnow
from tests.api.helpers import assert_error, file_ticket


@pytest.fixture
def admin(make: Any) -> dict[str, str]:
    return make.auth(make.user("admin"))


def subscribe(client: Any, headers: dict[str, str], org_id: int, **body: Any) -> Any:
    return client.post(f"/api/v1/organisations/{org_id}/subscriptions", json=body, headers=headers)


def register(client: Any, headers: dict[str, str], sub_id: int, paid: str, registered: str) -> None:
    resp = client.patch(
        f"/api/v1/subscriptions/{sub_id}",
        json={"paid_on": paid, "registered_on": registered},
        headers=headers,
    )
    assert resp.status_code == 200, resp.get_json()


def ownership(client: Any, headers: dict[str, str], org_id: int, on: str) -> dict[str, Any]:
    resp = client.get(f"/api/v1/organisations/{org_id}/ownership?on={on}", headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def decide(client: Any, headers: dict[str, str], **body: Any) -> Any:
    return client.post("/api/v1/general-meeting-decisions", json=body, headers=headers)


def prices(client: Any, headers: dict[str, str], org_id: int) -> list[tuple[str, str, bool]]:
    """(subscribed_on, price, set by a decision) of each subscription, as the register reads."""
    subs = ownership(client, headers, org_id, "2030-01-01")["subscriptions"]
    return [(s["subscribed_on"], s["price_per_share"], s["decision_id"] is not None) for s in subs]


@pytest.fixture
def founders(client: Any, make: Any, admin: dict[str, str]) -> Any:
    """A founder with 1000 votes registered since 2009 (votes cast need registered votes)."""
    org = make.org(entitled=False, residents=1000)
    sub = subscribe(client, admin, org.id, subscribed_on="2009-06-01").get_json()
    register(client, admin, sub["id"], "2009-07-01", "2009-08-01")
    return org


#: The issue's decision: decided 2016-05-01, €2 for subscriptions from 2016-01-01.
DECISION_2016 = {
    "decided_on": "2016-05-01",
    "price_per_share": "2.00",
    "votes_for": 900,
    "votes_cast": 1000,
    "applies_from": "2016-01-01",
}


# --- one holding per organisation -----------------------------------------------------------


def test_a_second_subscription_of_a_municipality_is_409_and_its_votes_stay(client, make, admin):
    org = make.org(entitled=False, residents=700)
    first = subscribe(client, admin, org.id, subscribed_on="2015-01-01").get_json()
    register(client, admin, first["id"], "2015-02-01", "2015-03-01")

    resp = subscribe(client, admin, org.id, subscribed_on="2016-01-01")
    err = assert_error(resp, 409, "already_subscribed")
    assert "already holds 700 shares for 700 residents" in err["message"]
    assert err["details"] == {"held": 700}
    after = ownership(client, admin, org.id, "2017-01-01")
    assert after["votes"] == 700
    assert [s["id"] for s in after["subscriptions"]] == [first["id"]]


def test_a_municipality_subscribes_again_only_for_its_new_residents(client, make, admin):
    org = make.org(entitled=False, residents=700)
    first = subscribe(client, admin, org.id, subscribed_on="2015-01-01").get_json()
    register(client, admin, first["id"], "2015-02-01", "2015-03-01")
    grown = client.patch(f"/api/v1/organisations/{org.id}", json={"residents": 750}, headers=admin)
    assert grown.status_code == 200, grown.get_json()

    # the full count again is refused, naming the growth
    err = assert_error(
        subscribe(client, admin, org.id, subscribed_on="2016-01-01", shares=750), 422
    )
    assert "subscribes 50 shares (one per new resident)" in err["details"]["fields"]["shares"][0]

    second = subscribe(client, admin, org.id, subscribed_on="2016-01-01")
    assert second.status_code == 201, second.get_json()
    assert (second.get_json()["shares"], second.get_json()["amount"]) == (50, "300.00")
    register(client, admin, second.get_json()["id"], "2016-02-01", "2016-03-01")
    assert ownership(client, admin, org.id, "2016-03-01")["votes"] == 750
    # and with every resident subscribed for, the next one is a conflict again
    assert_error(subscribe(client, admin, org.id, subscribed_on="2017-01-01"), 409)


@pytest.mark.parametrize("kind", ["joint_authority", "municipal_company"])
def test_a_joint_authority_or_company_never_holds_two_shares(client, make, admin, kind):
    org = make.org(entitled=False, kind=kind, residents=None)
    first = subscribe(client, admin, org.id, subscribed_on="2012-01-10").get_json()
    register(client, admin, first["id"], "2012-02-01", "2012-02-20")
    for day in ("2012-01-10", "2013-01-01", "2011-01-01"):  # same day, later, earlier
        err = assert_error(subscribe(client, admin, org.id, subscribed_on=day), 409)
        assert err["code"] == "already_subscribed"
        assert "holds one share" in err["message"]
    assert ownership(client, admin, org.id, "2014-01-01")["votes"] == 1


def test_after_its_holding_is_redeemed_an_organisation_may_subscribe_afresh(client, make, admin):
    org = make.org(entitled=False, kind="joint_authority", residents=None)
    first = subscribe(client, admin, org.id, subscribed_on="2012-01-10").get_json()
    register(client, admin, first["id"], "2012-02-01", "2012-02-20")
    redeemed = client.post(
        f"/api/v1/organisations/{org.id}/redemption",
        json={"redeemed_on": "2018-01-01", "reason": "yhtiöitetty"},
        headers=admin,
    )
    assert redeemed.status_code == 200, redeemed.get_json()
    assert_error(subscribe(client, admin, org.id, subscribed_on="2017-12-31"), 409)
    again = subscribe(client, admin, org.id, subscribed_on="2018-01-01")
    assert again.status_code == 201, again.get_json()
    assert again.get_json()["shares"] == 1


# --- the price does not depend on typing order ----------------------------------------------


def test_the_issue_example_a_late_decision_does_not_reach_back(client, make, admin, founders):
    org20 = make.org(entitled=False, residents=100)
    org21 = make.org(entitled=False, residents=100)
    first = subscribe(client, admin, org20.id, subscribed_on="2016-03-01").get_json()
    assert first["price_per_share"] == "6.00"

    resp = decide(client, admin, **DECISION_2016)
    assert resp.status_code == 201, resp.get_json()

    second = subscribe(client, admin, org21.id, subscribed_on="2016-03-01").get_json()
    assert (second["price_per_share"], second["amount"], second["decision_id"]) == (
        "6.00",
        "600.00",
        None,
    )
    assert prices(client, admin, org20.id) == [("2016-03-01", "6.00", False)]


BOUNDARY_DAYS = ("2016-03-01", "2016-04-30", "2016-05-01", "2016-05-02")
EXPECTED = [
    [("2016-03-01", "6.00", False)],
    [("2016-04-30", "6.00", False)],
    [("2016-05-01", "2.00", True)],  # decided that day: it counts
    [("2016-05-02", "2.00", True)],
]


@pytest.mark.parametrize("decision_first", [True, False], ids=["decision-first", "decision-last"])
def test_boundary_prices_are_the_same_whichever_is_entered_first(
    client, make, admin, founders, decision_first
):
    orgs = [make.org(entitled=False, residents=10) for _ in BOUNDARY_DAYS]
    if decision_first:
        assert decide(client, admin, **DECISION_2016).status_code == 201
    for org, day in zip(orgs, BOUNDARY_DAYS, strict=True):
        assert subscribe(client, admin, org.id, subscribed_on=day).status_code == 201
    if not decision_first:
        assert decide(client, admin, **DECISION_2016).status_code == 201
    assert [prices(client, admin, org.id) for org in orgs] == EXPECTED
    # the founders' €1 is untouched by any decision
    assert prices(client, admin, founders.id) == [("2009-06-01", "1.00", False)]


def test_a_late_decision_reprices_the_later_subscriptions_it_reaches(client, make, admin, founders):
    org = make.org(entitled=False, residents=250)
    sub = subscribe(client, admin, org.id, subscribed_on="2016-06-01").get_json()
    assert (sub["price_per_share"], sub["amount"]) == ("6.00", "1500.00")
    decision = decide(client, admin, **DECISION_2016).get_json()
    stored = ownership(client, admin, org.id, "2016-06-01")["subscriptions"]
    assert [(s["price_per_share"], s["amount"], s["decision_id"]) for s in stored] == [
        ("2.00", "500.00", decision["id"])
    ]


# --- a decision within the seed -------------------------------------------------------------


def test_a_decision_below_the_founders_price_is_422_and_changes_nothing(
    client, make, admin, founders
):
    resp = decide(client, admin, **{**DECISION_2016, "price_per_share": "0.99"})
    err = assert_error(resp, 422, "validation_error")
    assert list(err["details"]["fields"]) == ["price_per_share"]
    assert "below the founders' 1 €" in err["details"]["fields"]["price_per_share"][0]
    assert client.get("/api/v1/general-meeting-decisions", headers=admin).get_json() == []
    ok = decide(client, admin, **{**DECISION_2016, "price_per_share": "1.00"})
    assert ok.status_code == 201, ok.get_json()


def test_votes_cast_cannot_exceed_the_votes_registered_on_the_decision_date(
    client, make, admin, founders
):
    late = make.org(entitled=False, residents=500)
    sub = subscribe(client, admin, late.id, subscribed_on="2016-01-01").get_json()
    register(client, admin, sub["id"], "2016-02-01", "2016-05-02")  # the day after the meeting

    resp = decide(client, admin, **{**DECISION_2016, "votes_for": 1001, "votes_cast": 1001})
    err = assert_error(resp, 422, "validation_error")
    assert err["details"]["fields"] == {
        "votes_cast": ["1001 votes cast, but only 1000 votes are registered on 2016-05-01."]
    }
    assert client.get("/api/v1/general-meeting-decisions", headers=admin).get_json() == []
    # all the registered votes may be cast
    assert decide(client, admin, **DECISION_2016).status_code == 201


# --- redemption -----------------------------------------------------------------------------


def test_a_redeemed_organisation_loses_its_votes_and_the_gate_on_the_redemption_date(
    client, make, desk, admin
):
    org = make.org(residents=5000)  # registered shares, an agreement covering the desk's service
    user = make.auth(make.user("end_user", org=org))
    today = local_date(utcnow())
    tomorrow = today + timedelta(days=1)
    body = {"service_id": desk["service"].id}

    marked = client.post(
        f"/api/v1/organisations/{org.id}/redemption",
        json={"redeemed_on": tomorrow.isoformat(), "reason": "ei enää kunnallinen toimija"},
        headers=admin,
    )
    assert marked.status_code == 200, marked.get_json()
    answer = marked.get_json()
    assert (answer["on"], answer["status"], answer["votes"]) == (
        tomorrow.isoformat(),
        "not_owner",
        0,
    )
    assert [s["redeemed_on"] for s in answer["subscriptions"]] == [tomorrow.isoformat()]
    assert answer["subscriptions"][0]["note"].endswith("lunastus: ei enää kunnallinen toimija")
    # marked, not yet redeemed: today it is still an owner and its tickets are accepted
    assert ownership(client, admin, org.id, today.isoformat())["votes"] == 5000
    file_ticket(client, user, **body)

    # redeemed from today: the gate refuses with the non-owner code
    now = client.post(
        f"/api/v1/organisations/{org.id}/redemption",
        json={"redeemed_on": today.isoformat(), "reason": "yhtiöitetty"},
        headers=admin,
    )
    assert now.status_code == 200, now.get_json()
    resp = client.post(
        "/api/v1/tickets", json={"title": "Wilma", "description": "x", **body}, headers=user
    )
    err = assert_error(resp, 403, "not_entitled")
    assert err["details"] == {"reason": "not_owner"}
    yesterday = (today - timedelta(days=1)).isoformat()
    assert ownership(client, admin, org.id, yesterday)["status"] == "owner"

    again = client.post(
        f"/api/v1/organisations/{org.id}/redemption",
        json={"redeemed_on": today.isoformat(), "reason": "uudestaan"},
        headers=admin,
    )
    assert_error(again, 409, "nothing_to_redeem")


def test_only_an_admin_redeems_and_a_foreign_organisation_is_404(client, make, admin):
    mine = make.org()
    other = make.org()
    contact = make.auth(make.user("customer_contact", org=mine))
    body = {"redeemed_on": "2030-01-01", "reason": "x"}
    url = "/api/v1/organisations/{}/redemption"
    assert_error(client.post(url.format(mine.id), json=body, headers=contact), 403, "forbidden")
    assert_error(client.post(url.format(other.id), json=body, headers=contact), 404, "not_found")
    assert_error(client.post(url.format(999999), json=body, headers=admin), 404, "not_found")
    bad = client.post(url.format(mine.id), json={"redeemed_on": "x", "reason": ""}, headers=admin)
    err = assert_error(bad, 422, "validation_error")
    assert set(err["details"]["fields"]) == {"redeemed_on", "reason"}
    assert ownership(client, admin, mine.id, "2030-01-01")["status"] == "owner"


def test_every_order_of_entering_subscriptions_and_decisions_gives_the_same_prices(make, dbs):
    """All 120 orders of five records, each stored through the operations and rolled back."""
    from catalog.ownership.operations import record_decision, update_subscription
    from catalog.ownership.operations import subscribe as subscribe_op

    founder = make.org(entitled=False, residents=1000)
    first = subscribe_op(dbs, founder, date(2009, 6, 1))
    update_subscription(
        dbs, first, {"paid_on": date(2009, 7, 1), "registered_on": date(2009, 8, 1)}
    )
    dbs.commit()
    orgs = [make.org(entitled=False, residents=10) for _ in range(3)]
    ids = [org.id for org in orgs]
    days = [date(2016, 3, 1), date(2016, 5, 1), date(2017, 2, 1)]
    decisions = [
        {**DECISION_2016, "price_per_share": Decimal("2.00")},
        {
            "decided_on": "2017-01-15",
            "price_per_share": Decimal("1.50"),
            "votes_for": 700,
            "votes_cast": 1000,
            "applies_from": "2016-01-01",
        },
    ]
    entries = [("subscription", i) for i in range(3)] + [("decision", i) for i in range(2)]
    seen: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    for order in itertools.permutations(entries):
        for what, i in order:
            if what == "subscription":
                subscribe_op(dbs, orgs[i], days[i])
            else:
                record_decision(
                    dbs,
                    **{
                        k: date.fromisoformat(v) if k in ("decided_on", "applies_from") else v
                        for k, v in decisions[i].items()
                    },
                )
        rows = dbs.scalars(
            select(ShareSubscription)
            .where(ShareSubscription.organisation_id.in_(ids))
            .order_by(ShareSubscription.subscribed_on)
        )
        prices = tuple(str(r.price_per_share) for r in rows)
        seen.setdefault(prices, []).append(order)
        dbs.rollback()
    # before both decisions; the 2016 decision (decided that day); the lower 2017 one
    assert list(seen) == [("6.00", "2.00", "1.50")]
    assert len(seen[("6.00", "2.00", "1.50")]) == 120


@pytest.mark.postgres
def test_ten_concurrent_subscriptions_of_one_organisation_make_one_holding(app, make):
    """A double click, ten times over: the organisation's row lock lets one through."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    org = make.org(entitled=False, residents=700)
    tokens = [make.auth(make.user("admin")) for _ in range(10)]
    barrier = threading.Barrier(10)

    def work(i: int) -> tuple[int, str | None]:
        barrier.wait(timeout=30)
        resp = subscribe(app.test_client(), tokens[i], org.id, subscribed_on="2015-01-01")
        body = resp.get_json()
        return resp.status_code, body.get("error", {}).get("code")

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = sorted(pool.map(work, range(10)), key=lambda r: r[0])
    assert results == [(201, None)] + [(409, "already_subscribed")] * 9
    subs = ownership(app.test_client(), tokens[0], org.id, "2015-01-01")["subscriptions"]
    assert [s["shares"] for s in subs] == [700]
