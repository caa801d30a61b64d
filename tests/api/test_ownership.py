"""The owners' register through the API: share prices, ownership status, votes, business IDs.

The pure rules (catalog.shares, catalog.business_id) are tested by the thousand in
tests/unit/catalog; here we show that the API applies them and stores what they decide.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import assert_error


@pytest.fixture
def admin(make: Any) -> dict[str, str]:
    return make.auth(make.user("admin"))


def subscribe(client: Any, headers: dict[str, str], org_id: int, **body: Any) -> Any:
    return client.post(f"/api/v1/organisations/{org_id}/subscriptions", json=body, headers=headers)


def ownership(client: Any, headers: dict[str, str], org_id: int, on: str) -> dict[str, Any]:
    resp = client.get(f"/api/v1/organisations/{org_id}/ownership?on={on}", headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def register(client: Any, headers: dict[str, str], sub_id: int, paid: str, registered: str) -> None:
    resp = client.patch(
        f"/api/v1/subscriptions/{sub_id}",
        json={"paid_on": paid, "registered_on": registered},
        headers=headers,
    )
    assert resp.status_code == 200, resp.get_json()


@pytest.fixture
def founders(client: Any, make: Any, admin: dict[str, str]) -> Any:
    """A founder municipality with 1000 votes registered since 2009: a general meeting's votes
    cast cannot exceed the votes registered on its date."""
    org = make.org(entitled=False, residents=1000)
    sub = subscribe(client, admin, org.id, subscribed_on="2009-06-01").get_json()
    register(client, admin, sub["id"], "2009-07-01", "2009-08-01")
    return org


def decide(client: Any, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    resp = client.post("/api/v1/general-meeting-decisions", json=body, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


# --- the price rule -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subscribed_on", "price", "amount"),
    [
        ("2010-10-31", "1.00", "1234.00"),
        ("2010-11-01", "3.00", "3702.00"),
        ("2011-03-31", "3.00", "3702.00"),
        ("2011-04-01", "6.00", "7404.00"),
    ],
)
def test_a_municipality_pays_the_price_of_its_subscription_date_at_each_boundary(
    client, make, admin, subscribed_on, price, amount
):
    org = make.org(entitled=False, residents=1234)
    resp = subscribe(client, admin, org.id, subscribed_on=subscribed_on)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["organisation_id"] == org.id
    assert body["subscribed_on"] == subscribed_on
    assert body["shares"] == 1234
    assert body["price_per_share"] == price
    assert body["amount"] == amount
    assert body["decision_id"] is None
    assert (body["paid_on"], body["registered_on"], body["redeemed_on"]) == (None, None, None)
    # and the register reads back the same price
    stored = ownership(client, admin, org.id, subscribed_on)["subscriptions"]
    assert [(s["id"], s["price_per_share"], s["amount"]) for s in stored] == [
        (body["id"], price, amount)
    ]


def test_a_carried_general_meeting_price_lowers_the_price_only_within_its_period(
    client, make, admin, founders
):
    decision = decide(
        client,
        admin,
        decided_on="2012-05-15",
        price_per_share="2.00",
        votes_for=200,
        votes_cast=300,  # exactly two thirds
        applies_from="2012-06-01",
        applies_to="2012-12-31",
        description="Yhtiökokous 2012: osakkeen hinta 2 €",
    )
    assert decision["carried"] is True
    assert decision["price_per_share"] == "2.00"

    inside = make.org(entitled=False, residents=500)
    resp = subscribe(client, admin, inside.id, subscribed_on="2012-06-01")
    assert resp.status_code == 201
    assert resp.get_json()["price_per_share"] == "2.00"
    assert resp.get_json()["amount"] == "1000.00"
    assert resp.get_json()["decision_id"] == decision["id"]

    after = make.org(entitled=False, residents=500)
    resp = subscribe(client, admin, after.id, subscribed_on="2013-01-01")
    assert resp.status_code == 201
    assert resp.get_json()["price_per_share"] == "6.00"
    assert resp.get_json()["decision_id"] is None


def test_a_general_meeting_price_without_a_two_thirds_majority_does_not_apply(
    client, make, admin, founders
):
    decision = decide(
        client,
        admin,
        decided_on="2012-05-15",
        price_per_share="2.00",
        votes_for=199,
        votes_cast=300,  # one vote short of two thirds
        applies_from="2012-01-01",
    )
    assert decision["carried"] is False
    org = make.org(entitled=False, residents=500)
    resp = subscribe(client, admin, org.id, subscribed_on="2012-06-01")
    assert resp.status_code == 201
    assert resp.get_json()["price_per_share"] == "6.00"
    assert resp.get_json()["amount"] == "3000.00"
    assert resp.get_json()["decision_id"] is None


def test_a_general_meeting_cannot_raise_the_price_above_the_list_price(
    client, make, admin, founders
):
    decide(
        client,
        admin,
        decided_on="2010-01-01",
        price_per_share="5.00",
        votes_for=300,
        votes_cast=300,
        applies_from="2010-01-01",
    )
    org = make.org(entitled=False, residents=10)
    resp = subscribe(client, admin, org.id, subscribed_on="2010-10-31")
    assert resp.status_code == 201
    assert resp.get_json()["price_per_share"] == "1.00"
    assert resp.get_json()["decision_id"] is None


def test_a_decision_with_more_votes_for_than_cast_is_refused(client, make, admin):
    resp = client.post(
        "/api/v1/general-meeting-decisions",
        json={
            "decided_on": "2012-05-15",
            "price_per_share": "2.00",
            "votes_for": 301,
            "votes_cast": 300,
            "applies_from": "2012-01-01",
        },
        headers=admin,
    )
    assert_error(resp, 422, "validation_error")
    assert client.get("/api/v1/general-meeting-decisions", headers=admin).get_json() == []


def test_general_meeting_decisions_are_listed_to_staff_and_hidden_from_customers(
    client, make, admin, founders
):
    decision = decide(
        client,
        admin,
        decided_on="2012-05-15",
        price_per_share="2.00",
        votes_for=250,
        votes_cast=300,
        applies_from="2012-01-01",
    )
    agent = make.auth(make.user("agent"))
    listed = client.get("/api/v1/general-meeting-decisions", headers=agent).get_json()
    assert [(d["id"], d["carried"]) for d in listed] == [(decision["id"], True)]
    contact = make.auth(make.user("customer_contact"))
    resp = client.get("/api/v1/general-meeting-decisions", headers=contact)
    assert resp.status_code == 200
    assert resp.get_json() == []


# --- how many shares ------------------------------------------------------------------------


def test_a_municipality_subscribes_one_share_per_resident(client, make, admin):
    org = make.org(entitled=False, residents=20345)
    resp = subscribe(client, admin, org.id, subscribed_on="2015-01-01", shares=20345)
    assert resp.status_code == 201
    assert resp.get_json()["shares"] == 20345
    assert resp.get_json()["amount"] == "122070.00"


@pytest.mark.parametrize("kind", ["joint_authority", "municipal_company"])
def test_a_joint_authority_or_municipal_company_subscribes_exactly_one_share(
    client, make, admin, kind
):
    org = make.org(entitled=False, kind=kind, residents=None)
    resp = subscribe(client, admin, org.id, subscribed_on="2011-04-01")
    assert resp.status_code == 201
    assert resp.get_json()["shares"] == 1
    assert resp.get_json()["amount"] == "6.00"


@pytest.mark.parametrize(
    ("kind", "residents", "shares", "says"),
    [
        ("municipality", 1000, 999, "subscribes 1000 shares (one per resident)"),
        ("municipality", 1000, 1, "subscribes 1000 shares (one per resident)"),
        ("joint_authority", None, 2, "joint authority subscribes 1 shares"),
        ("municipal_company", None, 1000, "municipal company subscribes 1 shares"),
    ],
)
def test_a_wrong_share_count_is_refused_naming_the_right_one(
    client, make, admin, kind, residents, shares, says
):
    org = make.org(entitled=False, kind=kind, residents=residents)
    resp = subscribe(client, admin, org.id, subscribed_on="2015-01-01", shares=shares)
    err = assert_error(resp, 422, "validation_error")
    assert says in err["details"]["fields"]["shares"][0]
    assert ownership(client, admin, org.id, "2015-01-01")["subscriptions"] == []


def test_a_subscription_for_an_unknown_organisation_is_404(client, admin):
    resp = subscribe(client, admin, 999999, subscribed_on="2015-01-01")
    assert_error(resp, 404, "not_found")


# --- paid, registered, redeemed -------------------------------------------------------------


def test_registration_before_payment_is_refused_and_changes_nothing(client, make, admin):
    org = make.org(entitled=False, residents=100)
    sub = subscribe(client, admin, org.id, subscribed_on="2015-01-01").get_json()
    resp = client.patch(
        f"/api/v1/subscriptions/{sub['id']}", json={"registered_on": "2015-03-01"}, headers=admin
    )
    err = assert_error(resp, 422, "validation_error")
    assert "registered only after they are paid" in err["message"]
    stored = ownership(client, admin, org.id, "2015-03-01")
    assert stored["status"] == "unregistered"
    assert stored["subscriptions"][0]["registered_on"] is None


def test_registration_dated_before_the_payment_is_refused(client, make, admin):
    org = make.org(entitled=False, residents=100)
    sub = subscribe(client, admin, org.id, subscribed_on="2015-01-01").get_json()
    resp = client.patch(
        f"/api/v1/subscriptions/{sub['id']}",
        json={"paid_on": "2015-03-01", "registered_on": "2015-02-01"},
        headers=admin,
    )
    assert_error(resp, 422, "validation_error")
    stored = ownership(client, admin, org.id, "2015-03-01")["subscriptions"][0]
    assert (stored["paid_on"], stored["registered_on"]) == (None, None)


def test_a_payment_dated_before_the_subscription_is_refused(client, make, admin):
    org = make.org(entitled=False, residents=100)
    sub = subscribe(client, admin, org.id, subscribed_on="2015-01-01").get_json()
    resp = client.patch(
        f"/api/v1/subscriptions/{sub['id']}", json={"paid_on": "2014-12-31"}, headers=admin
    )
    err = assert_error(resp, 422, "validation_error")
    assert "paid_on cannot be before the subscription" in err["message"]


def test_ownership_goes_from_not_owner_to_unregistered_to_owner_to_redeemed(client, make, admin):
    org = make.org(entitled=False, residents=4321)
    before = ownership(client, admin, org.id, "2014-12-31")
    assert (before["status"], before["votes"], before["subscriptions"]) == ("not_owner", 0, [])

    sub = subscribe(client, admin, org.id, subscribed_on="2015-01-01").get_json()
    subscribed = ownership(client, admin, org.id, "2015-01-01")
    assert (subscribed["status"], subscribed["votes"]) == ("unregistered", 0)
    # the day before the subscription it was not an owner yet
    assert ownership(client, admin, org.id, "2014-12-31")["status"] == "not_owner"

    url = f"/api/v1/subscriptions/{sub['id']}"
    paid = client.patch(url, json={"paid_on": "2015-02-01"}, headers=admin)
    assert paid.status_code == 200
    assert paid.get_json()["paid_on"] == "2015-02-01"
    # paid but not registered: still no votes
    after_payment = ownership(client, admin, org.id, "2015-02-15")
    assert (after_payment["status"], after_payment["votes"]) == ("unregistered", 0)

    registered = client.patch(url, json={"registered_on": "2015-03-01"}, headers=admin)
    assert registered.status_code == 200
    assert registered.get_json()["registered_on"] == "2015-03-01"
    owner = ownership(client, admin, org.id, "2015-03-01")
    assert (owner["status"], owner["votes"]) == ("owner", 4321)
    # votes count from the registration date, not from the payment
    assert ownership(client, admin, org.id, "2015-02-28")["votes"] == 0

    redeemed = client.patch(url, json={"redeemed_on": "2020-01-01"}, headers=admin)
    assert redeemed.status_code == 200
    assert ownership(client, admin, org.id, "2019-12-31")["status"] == "owner"
    gone = ownership(client, admin, org.id, "2020-01-01")
    assert (gone["status"], gone["votes"]) == ("not_owner", 0)
    assert [s["redeemed_on"] for s in gone["subscriptions"]] == ["2020-01-01"]


def test_votes_count_registered_shares_only(client, make, admin):
    registered_org = make.org(entitled=False, residents=700)
    unregistered_org = make.org(entitled=False, residents=900)
    for org in (registered_org, unregistered_org):
        sub = subscribe(client, admin, org.id, subscribed_on="2015-01-01").get_json()
        client.patch(
            f"/api/v1/subscriptions/{sub['id']}", json={"paid_on": "2015-02-01"}, headers=admin
        )
        if org is registered_org:
            client.patch(
                f"/api/v1/subscriptions/{sub['id']}",
                json={"registered_on": "2015-03-01"},
                headers=admin,
            )
    assert ownership(client, admin, registered_org.id, "2016-01-01")["votes"] == 700
    assert ownership(client, admin, unregistered_org.id, "2016-01-01")["votes"] == 0


def test_patching_an_unknown_subscription_is_404(client, admin):
    resp = client.patch(
        "/api/v1/subscriptions/999999", json={"paid_on": "2015-01-01"}, headers=admin
    )
    assert_error(resp, 404, "not_found")


# --- who may do what ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["agent", "account_manager", "customer_contact", "end_user"])
def test_only_an_admin_writes_the_owners_register(client, make, admin, role, dbs):
    org = make.org(entitled=False, residents=100)
    user = make.user(role, org=org if role in ("customer_contact", "end_user") else None)
    if role == "account_manager":  # their own customer: they see it, and still may not write
        from catalog.organisations.models import organisation_account_managers

        dbs.execute(
            organisation_account_managers.insert().values(organisation_id=org.id, user_id=user.id)
        )
        dbs.commit()
    headers = make.auth(user)
    assert_error(subscribe(client, headers, org.id, subscribed_on="2015-01-01"), 403, "forbidden")

    sub = subscribe(client, admin, org.id, subscribed_on="2015-01-01").get_json()
    resp = client.patch(
        f"/api/v1/subscriptions/{sub['id']}", json={"paid_on": "2015-02-01"}, headers=headers
    )
    assert_error(resp, 403, "forbidden")
    resp = client.post(
        "/api/v1/general-meeting-decisions",
        json={
            "decided_on": "2012-05-15",
            "price_per_share": "0.50",
            "votes_for": 3,
            "votes_cast": 3,
            "applies_from": "2012-01-01",
        },
        headers=headers,
    )
    assert_error(resp, 403, "forbidden")
    stored = ownership(client, admin, org.id, "2016-01-01")["subscriptions"]
    assert [(s["id"], s["paid_on"]) for s in stored] == [(sub["id"], None)]
    assert client.get("/api/v1/general-meeting-decisions", headers=admin).get_json() == []


def test_a_customer_reads_their_own_ownership_but_another_organisations_is_404(client, make, admin):
    mine = make.org()  # an owner with registered shares
    other = make.org()
    contact = make.auth(make.user("customer_contact", org=mine))
    own = ownership(client, contact, mine.id, "2016-01-01")
    assert (own["organisation_id"], own["status"], own["votes"]) == (mine.id, "owner", 5000)
    resp = client.get(f"/api/v1/organisations/{other.id}/ownership?on=2016-01-01", headers=contact)
    err = assert_error(resp, 404, "not_found")
    assert err["message"] == f"No organisation {other.id}."


def test_ownership_without_a_date_answers_for_today(client, make, admin):
    from servicedesk.db import utcnow

    org = make.org()
    body = client.get(f"/api/v1/organisations/{org.id}/ownership", headers=admin).get_json()
    assert body["on"] == utcnow().date().isoformat()
    assert body["status"] == "owner"


# --- business IDs ---------------------------------------------------------------------------


def _organisation(business_id: Any) -> dict[str, Any]:
    return {
        "business_id": business_id,
        "name": "Esimerkkikunta",
        "kind": "municipality",
        "residents": 1200,
    }


def test_an_organisation_with_a_valid_business_id_is_created_in_canonical_form(client, admin):
    resp = client.post("/api/v1/organisations", json=_organisation(" 0201256-6 "), headers=admin)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["business_id"] == "0201256-6"
    # an old six-digit ID gets its leading zero
    resp = client.post("/api/v1/organisations", json=_organisation("123456-2"), headers=admin)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["business_id"] == "0123456-2"


@pytest.mark.parametrize(
    ("business_id", "says"),
    [
        ("02012566", "is not in the format NNNNNNN-C"),
        ("0201256 6", "is not in the format NNNNNNN-C"),
        ("02012560-6", "is not in the format NNNNNNN-C"),
        ("0201256–6", "is not in the format NNNNNNN-C"),  # an en dash  # noqa: RUF001
        ("FI02012566", "is not in the format NNNNNNN-C"),
        ("", "is not in the format NNNNNNN-C"),
        ("0201256-5", "has a wrong check digit: expected 6, got 5"),
        ("0201256-7", "has a wrong check digit: expected 6, got 7"),
        ("1000008-0", "does not exist: no check digit is valid after 1000008"),
    ],
)
def test_a_bad_business_id_is_refused_naming_the_field(client, admin, business_id, says):
    resp = client.post("/api/v1/organisations", json=_organisation(business_id), headers=admin)
    err = assert_error(resp, 422, "validation_error")
    assert list(err["details"]["fields"]) == ["business_id"]
    assert says in err["details"]["fields"]["business_id"][0]
    listed = client.get("/api/v1/organisations", headers=admin).get_json()["items"]
    assert listed == []


def test_a_business_id_that_is_not_text_is_refused(client, admin):
    resp = client.post("/api/v1/organisations", json=_organisation(2012566), headers=admin)
    err = assert_error(resp, 422, "validation_error")
    assert list(err["details"]["fields"]) == ["business_id"]


def test_a_second_organisation_with_the_same_business_id_is_a_conflict(client, admin):
    assert (
        client.post(
            "/api/v1/organisations", json=_organisation("0201256-6"), headers=admin
        ).status_code
        == 201
    )
    resp = client.post("/api/v1/organisations", json=_organisation("201256-6"), headers=admin)
    assert_error(resp, 409, "business_id_taken")
