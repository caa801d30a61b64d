"""The in-house gate through the API: who may file tickets, and why not.

Each refusal reason of `catalog.gate` (unit-tested in tests/unit/catalog) is shown here on
the intake path (POST /api/v1/tickets), on a service change, and on the entitlement question
(GET /organisations/{id}/entitlement); and a ticket freezes the agreement version in force
when it was received.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from catalog.agreements.queries import local_date
from catalog.ownership.operations import subscribe, update_subscription
from servicedesk.db import utcnow
from servicedesk.tickets.models import Ticket
from tests.api.helpers import assert_error, file_ticket


@pytest.fixture
def admin(make: Any) -> dict[str, str]:
    return make.auth(make.user("admin"))


def today() -> date:
    """The customer's calendar date now: agreement dates are dates in Finland."""
    return local_date(utcnow())


def shareholder(
    make: Any,
    dbs: Any,
    *,
    paid: bool = True,
    registered: bool = True,
    redeemed_on: date | None = None,
) -> Any:
    """An organisation with one subscription in the given state (no agreement yet)."""
    org = make.org(entitled=False)
    sub = subscribe(dbs, org, date(2015, 1, 1))
    changes: dict[str, Any] = {}
    if paid:
        changes["paid_on"] = date(2015, 2, 1)
    if registered:
        changes["registered_on"] = date(2015, 3, 1)
    if redeemed_on is not None:
        changes["redeemed_on"] = redeemed_on
    update_subscription(dbs, sub, changes)
    dbs.commit()
    return org


def agree(
    client: Any,
    admin: dict[str, str],
    org: Any,
    valid_from: date,
    valid_to: date | None = None,
    lines: tuple[tuple[Any, date], ...] = (),
) -> dict[str, Any]:
    """An agreement version through the admin API; `lines` are (service, starts_on)."""
    body = {
        "valid_from": valid_from.isoformat(),
        "valid_to": valid_to.isoformat() if valid_to else None,
        "services": [
            {
                "service_id": service.id,
                "starts_on": starts.isoformat(),
                "price_model": "per_ticket",
                "price": "30.00",
            }
            for service, starts in lines
        ],
    }
    resp = client.post(f"/api/v1/organisations/{org.id}/agreements", json=body, headers=admin)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


# --- one organisation per refusal reason ----------------------------------------------------

Scenario = Callable[[Any, Any, Any, dict[str, str], Any], Any]


def never_subscribed(client, make, dbs, admin, service):
    org = make.org(entitled=False)
    agree(client, admin, org, date(2020, 1, 1), lines=((service, date(2020, 1, 1)),))
    return org


def redeemed(client, make, dbs, admin, service):
    org = shareholder(make, dbs, redeemed_on=today() - timedelta(days=1))
    agree(client, admin, org, date(2020, 1, 1), lines=((service, date(2020, 1, 1)),))
    return org


def paid_not_registered(client, make, dbs, admin, service):
    org = shareholder(make, dbs, registered=False)
    agree(client, admin, org, date(2020, 1, 1), lines=((service, date(2020, 1, 1)),))
    return org


def subscribed_not_paid(client, make, dbs, admin, service):
    org = shareholder(make, dbs, paid=False, registered=False)
    agree(client, admin, org, date(2020, 1, 1), lines=((service, date(2020, 1, 1)),))
    return org


def without_agreement(client, make, dbs, admin, service):
    return shareholder(make, dbs)


def agreement_ended_yesterday(client, make, dbs, admin, service):
    org = shareholder(make, dbs)
    ended = today() - timedelta(days=1)
    agree(client, admin, org, date(2020, 1, 1), ended, lines=((service, date(2020, 1, 1)),))
    return org


def agreement_starts_tomorrow(client, make, dbs, admin, service):
    org = shareholder(make, dbs)
    starts = today() + timedelta(days=1)
    agree(client, admin, org, starts, lines=((service, starts),))
    return org


def service_left_out(client, make, dbs, admin, service):
    org = shareholder(make, dbs)
    other = make.service("ICT", group=None)
    agree(client, admin, org, date(2020, 1, 1), lines=((other, date(2020, 1, 1)),))
    return org


def service_starts_in_a_week(client, make, dbs, admin, service):
    org = shareholder(make, dbs)
    agree(client, admin, org, date(2020, 1, 1), lines=((service, today() + timedelta(days=7)),))
    return org


SCENARIOS: list[tuple[Scenario, str]] = [
    (never_subscribed, "not_owner"),
    (redeemed, "not_owner"),
    (paid_not_registered, "shares_not_registered"),
    (subscribed_not_paid, "shares_not_registered"),
    (without_agreement, "no_agreement"),
    (agreement_ended_yesterday, "no_agreement"),
    (agreement_starts_tomorrow, "no_agreement"),
    (service_left_out, "service_not_in_agreement"),
    (service_starts_in_a_week, "service_not_started"),
]
SCENARIO_IDS = [scenario.__name__ for scenario, _ in SCENARIOS]


def expected_message(reason: str, service: Any) -> str:
    label = f"service {service.code} ({service.name_fi})"
    return {
        "not_owner": "The organisation is not an owner of the service centre.",
        "shares_not_registered": "The organisation's shares are not registered (paid) yet.",
        "no_agreement": (
            f"The organisation has no service agreement in force on {today().isoformat()}."
        ),
        "service_not_in_agreement": f"The organisation's agreement does not cover {label}.",
        "service_not_started": (
            f"Service {service.code} ({service.name_fi}) starts for the organisation on "
            f"{(today() + timedelta(days=7)).isoformat()}."
        ),
    }[reason]


def expected_details(reason: str) -> dict[str, Any]:
    if reason == "service_not_started":
        return {"reason": reason, "starts_on": (today() + timedelta(days=7)).isoformat()}
    return {"reason": reason}


def frozen_version_of(dbs: Any, ticket_id: int) -> int | None:
    """The agreement version the stored ticket froze.

    The read's transaction is ended at once, as on SQLite every transaction takes the write
    lock; by a commit, as a rollback would expire the factory's objects and their next
    attribute access would open (and hold) a new transaction.
    """
    try:
        return dbs.scalar(select(Ticket.agreement_version_id).where(Ticket.id == ticket_id))
    finally:
        dbs.commit()


def ticket_count(client: Any, admin: dict[str, str]) -> int:
    return len(client.get("/api/v1/tickets", headers=admin).get_json()["items"])


# --- the intake path ------------------------------------------------------------------------


@pytest.mark.parametrize(("scenario", "reason"), SCENARIOS, ids=SCENARIO_IDS)
def test_each_refusal_reason_answers_403_not_entitled_and_stores_no_ticket(
    client, make, dbs, desk, admin, scenario, reason
):
    org = scenario(client, make, dbs, admin, desk["service"])
    requester = make.auth(make.user("end_user", org=org))
    resp = client.post(
        "/api/v1/tickets",
        json={"title": "Wilma ei aukea", "description": "x", "service_id": desk["service"].id},
        headers=requester,
    )
    err = assert_error(resp, 403, "not_entitled")
    assert err["details"] == expected_details(reason)
    assert err["message"] == expected_message(reason, desk["service"])
    assert ticket_count(client, admin) == 0


@pytest.mark.parametrize(("scenario", "reason"), SCENARIOS, ids=SCENARIO_IDS)
def test_an_agent_filing_on_behalf_of_a_customer_meets_the_same_gate(
    client, make, dbs, desk, admin, scenario, reason
):
    org = scenario(client, make, dbs, admin, desk["service"])
    customer = make.user("end_user", org=org)
    resp = client.post(
        "/api/v1/tickets",
        json={
            "title": "Soitto: Wilma ei aukea",
            "description": "Kirjattu puhelimesta.",
            "service_id": desk["service"].id,
            "requester_id": customer.id,
            "channel": "phone",
        },
        headers=make.auth(desk["agent"]),
    )
    err = assert_error(resp, 403, "not_entitled")
    assert err["details"] == expected_details(reason)
    assert ticket_count(client, admin) == 0


@pytest.mark.parametrize(("scenario", "reason"), SCENARIOS, ids=SCENARIO_IDS)
def test_the_entitlement_question_answers_with_the_same_reason(
    client, make, dbs, desk, admin, scenario, reason
):
    org = scenario(client, make, dbs, admin, desk["service"])
    resp = client.get(
        f"/api/v1/organisations/{org.id}/entitlement?service_id={desk['service'].id}",
        headers=admin,
    )
    assert resp.status_code == 200
    starts_on = (
        (today() + timedelta(days=7)).isoformat() if reason == "service_not_started" else None
    )
    assert resp.get_json() == {
        "entitled": False,
        "agreement_version_id": None,
        "reason": reason,
        "message": expected_message(reason, desk["service"]),
        "starts_on": starts_on,
    }


def test_a_customer_contact_filing_for_a_colleague_meets_the_same_gate(
    client, make, dbs, desk, admin
):
    org = paid_not_registered(client, make, dbs, admin, desk["service"])
    contact = make.user("customer_contact", org=org)
    colleague = make.user("end_user", org=org)
    resp = client.post(
        "/api/v1/tickets",
        json={
            "title": "Tulostin jumissa",
            "description": "x",
            "service_id": desk["service"].id,
            "requester_id": colleague.id,
        },
        headers=make.auth(contact),
    )
    err = assert_error(resp, 403, "not_entitled")
    assert err["details"] == {"reason": "shares_not_registered"}


def test_an_admin_filing_for_a_customer_meets_the_same_gate(client, make, dbs, desk, admin):
    org = without_agreement(client, make, dbs, admin, desk["service"])
    customer = make.user("end_user", org=org)
    resp = client.post(
        "/api/v1/tickets",
        json={
            "title": "Tulostin jumissa",
            "description": "x",
            "service_id": desk["service"].id,
            "requester_id": customer.id,
        },
        headers=admin,
    )
    err = assert_error(resp, 403, "not_entitled")
    assert err["details"] == {"reason": "no_agreement"}


def test_an_owner_with_the_service_in_force_files_a_ticket_under_that_version(
    client, make, dbs, desk, admin
):
    org = shareholder(make, dbs)
    version = agree(
        client, admin, org, date(2020, 1, 1), lines=((desk["service"], today()),)
    )  # the service starts today: the boundary day is served
    requester = make.auth(make.user("end_user", org=org))
    created = file_ticket(client, requester, service_id=desk["service"].id).get_json()
    assert created["status"] == "new"
    assert created["organisation"]["id"] == org.id
    assert frozen_version_of(dbs, created["id"]) == version["id"]


def test_an_unclassified_ticket_needs_an_owner_with_an_agreement_in_force(
    client, make, dbs, desk, admin
):
    served = shareholder(make, dbs)
    version = agree(client, admin, served, date(2020, 1, 1))  # no services listed at all
    headers = make.auth(make.user("end_user", org=served))
    created = file_ticket(client, headers, provider="ICT").get_json()
    assert created["service"] is None
    assert created["group_id"] == desk["triage"].id
    assert frozen_version_of(dbs, created["id"]) == version["id"]

    unserved = shareholder(make, dbs)
    headers = make.auth(make.user("end_user", org=unserved))
    resp = client.post(
        "/api/v1/tickets", json={"title": "Apua", "description": "x"}, headers=headers
    )
    err = assert_error(resp, 403, "not_entitled")
    assert err["details"] == {"reason": "no_agreement"}


def test_an_agent_changing_the_service_to_one_outside_the_agreement_is_refused_by_the_gate(
    client, make, dbs, desk, admin
):
    org = shareholder(make, dbs)
    outside = make.service("ICT", group=desk["group"])
    agree(client, admin, org, date(2020, 1, 1), lines=((desk["service"], date(2020, 1, 1)),))
    requester = make.auth(make.user("end_user", org=org))
    created = file_ticket(client, requester, service_id=desk["service"].id)
    ticket = created.get_json()
    resp = client.patch(
        f"/api/v1/tickets/{ticket['id']}",
        json={"service_id": outside.id},
        headers={**make.auth(desk["agent"]), "If-Match": created.headers["ETag"]},
    )
    err = assert_error(resp, 403, "not_entitled")
    assert err["details"] == {"reason": "service_not_in_agreement"}
    after = client.get(f"/api/v1/tickets/{ticket['id']}", headers=admin).get_json()
    assert after["service"]["id"] == desk["service"].id
    assert after["version"] == ticket["version"]


# --- the entitlement question ---------------------------------------------------------------


def test_the_entitlement_question_names_the_version_that_would_serve(
    client, make, dbs, desk, admin
):
    org = shareholder(make, dbs)
    version = agree(
        client, admin, org, date(2020, 1, 1), lines=((desk["service"], date(2020, 1, 1)),)
    )
    contact = make.auth(make.user("customer_contact", org=org))
    resp = client.get(
        f"/api/v1/organisations/{org.id}/entitlement?service_id={desk['service'].id}",
        headers=contact,
    )
    assert resp.status_code == 200
    assert resp.get_json() == {
        "entitled": True,
        "agreement_version_id": version["id"],
        "reason": None,
        "message": None,
        "starts_on": None,
    }


def test_a_service_start_counts_from_midnight_in_finland_not_in_utc(client, make, dbs, desk, admin):
    org = shareholder(make, dbs)
    agree(client, admin, org, date(2020, 1, 1), lines=((desk["service"], date(2026, 1, 15)),))
    url = f"/api/v1/organisations/{org.id}/entitlement?service_id={desk['service'].id}&at="
    # 21:59 UTC on the 14th is 23:59 in Helsinki (UTC+2 in winter): not started yet
    before = client.get(url + "2026-01-14T21:59:00Z", headers=admin).get_json()
    assert (before["entitled"], before["reason"], before["starts_on"]) == (
        False,
        "service_not_started",
        "2026-01-15",
    )
    # 22:00 UTC on the 14th is midnight of the 15th in Helsinki: served
    after = client.get(url + "2026-01-14T22:00:00Z", headers=admin).get_json()
    assert (after["entitled"], after["reason"]) == (True, None)


def test_the_entitlement_of_another_organisation_is_404_to_a_customer(
    client, make, dbs, desk, admin
):
    mine = make.org()
    other = make.org()
    contact = make.auth(make.user("customer_contact", org=mine))
    resp = client.get(
        f"/api/v1/organisations/{other.id}/entitlement?service_id={desk['service'].id}",
        headers=contact,
    )
    assert_error(resp, 404, "not_found")


def test_the_entitlement_of_an_unknown_service_is_404(client, make, admin):
    org = make.org()
    resp = client.get(
        f"/api/v1/organisations/{org.id}/entitlement?service_id=999999", headers=admin
    )
    err = assert_error(resp, 404, "not_found")
    assert err["message"] == "No service 999999."


# --- a ticket freezes the version in force when it was received -----------------------------


def test_a_ticket_keeps_the_version_in_force_when_it_was_received_after_a_renewal(
    client, make, dbs, desk, admin
):
    org = shareholder(make, dbs)
    lines = ((desk["service"], date(2020, 1, 1)),)
    first = agree(client, admin, org, date(2020, 1, 1), lines=lines)
    customer = make.user("end_user", org=org)
    old_ticket = file_ticket(
        client,
        make.auth(desk["agent"]),
        service_id=desk["service"].id,
        requester_id=customer.id,
        received_at=(utcnow() - timedelta(days=3)).isoformat().replace("+00:00", "Z"),
    ).get_json()
    assert frozen_version_of(dbs, old_ticket["id"]) == first["id"]

    # renewal: end the first version yesterday (allowed on a frozen version), add a second
    resp = client.patch(
        f"/api/v1/agreements/{first['id']}",
        json={"valid_to": (today() - timedelta(days=1)).isoformat()},
        headers=admin,
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["frozen"] is True
    second = agree(client, admin, org, today(), lines=((desk["service"], today()),))
    assert second["version_no"] == first["version_no"] + 1

    requester = make.auth(customer)
    new_ticket = file_ticket(client, requester, service_id=desk["service"].id).get_json()
    assert frozen_version_of(dbs, new_ticket["id"]) == second["id"]
    assert frozen_version_of(dbs, old_ticket["id"]) == first["id"]


def test_a_back_dated_ticket_freezes_the_version_in_force_on_its_received_date(
    client, make, dbs, desk, admin
):
    org = shareholder(make, dbs)
    first = agree(
        client,
        admin,
        org,
        date(2020, 1, 1),
        today() - timedelta(days=1),
        lines=((desk["service"], date(2020, 1, 1)),),
    )
    second = agree(client, admin, org, today(), lines=((desk["service"], today()),))
    customer = make.user("end_user", org=org)
    three_days_ago = utcnow() - timedelta(days=3)
    created = client.post(
        "/api/v1/tickets",
        json={
            "title": "Puhelu toissapäivältä",
            "description": "Kirjattu jälkikäteen.",
            "service_id": desk["service"].id,
            "requester_id": customer.id,
            "channel": "phone",
            "received_at": three_days_ago.isoformat().replace("+00:00", "Z"),
        },
        headers=make.auth(desk["agent"]),
    )
    assert created.status_code == 201, created.get_json()
    assert frozen_version_of(dbs, created.get_json()["id"]) == first["id"]
    assert second["id"] != first["id"]


def test_a_back_dated_ticket_from_before_the_service_started_is_refused(
    client, make, dbs, desk, admin
):
    org = shareholder(make, dbs)
    agree(client, admin, org, date(2020, 1, 1), lines=((desk["service"], today()),))
    customer = make.user("end_user", org=org)
    resp = client.post(
        "/api/v1/tickets",
        json={
            "title": "Puhelu viime viikolta",
            "description": "x",
            "service_id": desk["service"].id,
            "requester_id": customer.id,
            "received_at": (utcnow() - timedelta(days=7)).isoformat().replace("+00:00", "Z"),
        },
        headers=make.auth(desk["agent"]),
    )
    err = assert_error(resp, 403, "not_entitled")
    assert err["details"] == {"reason": "service_not_started", "starts_on": today().isoformat()}
