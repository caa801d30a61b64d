"""Service agreements through the admin API: versions, validation, freezing, promise lookup.

The precedence of promise lines is a pure rule (tests/unit/catalog/test_promises.py); here it is
shown end to end on stored rows with `catalog.agreements.queries.promise_for`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from catalog.agreements.models import AgreementVersion
from catalog.agreements.queries import promise_for
from tests.api.helpers import assert_error, file_ticket


@pytest.fixture
def admin(make: Any) -> dict[str, str]:
    return make.auth(make.user("admin"))


@pytest.fixture
def calendar(client: Any, admin: dict[str, str]) -> dict[str, Any]:
    resp = client.post(
        "/api/v1/calendars",
        json={
            "name": "Virka-aika 8-16",
            "spec": {
                "timezone": "Europe/Helsinki",
                "hours": {d: [["08:00", "16:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
                "holidays": "FI",
            },
        },
        headers=admin,
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def line(service: Any, starts_on: str = "2026-01-01", **kw: Any) -> dict[str, Any]:
    return {
        "service_id": service.id,
        "starts_on": starts_on,
        "price_model": "per_ticket",
        "price": "25.00",
        **kw,
    }


def promise(calendar_id: Any, priority: str = "P2", **kw: Any) -> dict[str, Any]:
    return {
        "priority": priority,
        "response_minutes": 60,
        "resolution_minutes": 480,
        "calendar_id": calendar_id,
        **kw,
    }


def post_version(client: Any, admin: dict[str, str], org: Any, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/organisations/{org.id}/agreements", json=body, headers=admin)


def versions_of(client: Any, admin: dict[str, str], org: Any) -> list[dict[str, Any]]:
    resp = client.get(f"/api/v1/organisations/{org.id}/agreements", headers=admin)
    assert resp.status_code == 200
    return resp.get_json()


# --- creating versions ----------------------------------------------------------------------


def test_an_admin_creates_a_version_with_phased_services_promises_and_prices(
    client, make, admin, calendar
):
    org = make.org(entitled=False)
    wilma = make.service("ICT", family="application", subfamily="sector")
    network = make.service("ICT", family="infrastructure", subfamily="network")
    body = {
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
        "renewal_deadline": "2026-06-30",
        "invoicing_period": "quarterly",
        "notes": "Palvelusopimus 2026",
        "services": [
            line(wilma, "2026-01-01", price_model="per_user_month", price="4.50"),
            line(network, "2026-03-01", price_model="fixed_month", price="1200"),
        ],
        "promises": [
            promise(calendar["id"], "P1", response_minutes=15, resolution_minutes=240),
            promise(
                calendar["id"],
                "P2",
                service_id=wilma.id,
                update_minutes=120,
                warning_percent=75,
                compliance_percent="97.5",
            ),
        ],
    }
    resp = post_version(client, admin, org, body)
    assert resp.status_code == 201, resp.get_json()
    created = resp.get_json()
    assert created["organisation_id"] == org.id
    assert created["version_no"] == 1
    assert (created["valid_from"], created["valid_to"]) == ("2026-01-01", "2026-12-31")
    assert created["renewal_deadline"] == "2026-06-30"
    assert created["invoicing_period"] == "quarterly"
    assert created["frozen"] is False
    assert created["services"] == [
        {
            "service_id": wilma.id,
            "starts_on": "2026-01-01",
            "price_model": "per_user_month",
            "price": "4.50",
        },
        {
            "service_id": network.id,
            "starts_on": "2026-03-01",
            "price_model": "fixed_month",
            "price": "1200.00",
        },
    ]
    default, wilma_p2 = created["promises"]
    assert {k: v for k, v in default.items() if k != "id"} == {
        "service_id": None,
        "family": None,
        "priority": "P1",
        "response_minutes": 15,
        "resolution_minutes": 240,
        "update_minutes": None,
        "calendar_id": calendar["id"],
        "warning_percent": 80,
        "compliance_percent": "95.00",
        "ticket_type": None,
    }
    assert (wilma_p2["service_id"], wilma_p2["update_minutes"]) == (wilma.id, 120)
    assert (wilma_p2["warning_percent"], wilma_p2["compliance_percent"]) == (75, "97.50")
    # the stored version reads back the same
    assert client.get(f"/api/v1/agreements/{created['id']}", headers=admin).get_json() == created


def test_versions_are_numbered_per_organisation_and_listed_oldest_first(client, make, admin):
    org = make.org(entitled=False)
    other = make.org(entitled=False)
    for valid_from, valid_to in (("2025-01-01", "2025-12-31"), ("2026-01-01", None)):
        body = {"valid_from": valid_from, "valid_to": valid_to}
        assert post_version(client, admin, org, body).status_code == 201
    assert post_version(client, admin, other, {"valid_from": "2025-01-01"}).status_code == 201
    listed = versions_of(client, admin, org)
    assert [(v["version_no"], v["valid_from"], v["valid_to"]) for v in listed] == [
        (1, "2025-01-01", "2025-12-31"),
        (2, "2026-01-01", None),
    ]
    assert [v["version_no"] for v in versions_of(client, admin, other)] == [1]


def test_a_version_may_start_the_day_after_the_previous_one_ends(client, make, admin):
    org = make.org(entitled=False)
    body = {"valid_from": "2026-01-01", "valid_to": "2026-12-31"}
    assert post_version(client, admin, org, body).status_code == 201
    resp = post_version(client, admin, org, {"valid_from": "2027-01-01"})
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["version_no"] == 2


# --- validation -----------------------------------------------------------------------------


@pytest.fixture
def world(make: Any, calendar: dict[str, Any]) -> dict[str, Any]:
    return {
        "org": make.org(entitled=False),
        "service": make.service("ICT", family="application", subfamily="sector"),
        "other_service": make.service("ICT", family="infrastructure", subfamily="user"),
        "calendar_id": calendar["id"],
    }


def _valid_body(w: dict[str, Any]) -> dict[str, Any]:
    return {
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
        "services": [line(w["service"])],
        "promises": [promise(w["calendar_id"], "P2")],
    }


def _promise_change(**changes: Any):
    def change(body: dict[str, Any], _w: dict[str, Any]) -> None:
        body["promises"][0].update(changes)

    return change


def _set(**changes: Any):
    def change(body: dict[str, Any], _w: dict[str, Any]) -> None:
        body.update(changes)

    return change


def _second_promise(**fields: Any):
    def change(body: dict[str, Any], w: dict[str, Any]) -> None:
        body["promises"].append(promise(w["calendar_id"], **fields))

    return change


def _promise_for_other_service(body: dict[str, Any], w: dict[str, Any]) -> None:
    body["promises"][0]["service_id"] = w["other_service"].id


def _service_twice(body: dict[str, Any], w: dict[str, Any]) -> None:
    body["services"].append(line(w["service"], "2026-02-01"))


def _unknown_service(body: dict[str, Any], _w: dict[str, Any]) -> None:
    body["services"][0]["service_id"] = 999999


def _late_start(body: dict[str, Any], _w: dict[str, Any]) -> None:
    body["services"][0]["starts_on"] = "2027-01-01"


def _ends_before_start(body: dict[str, Any], _w: dict[str, Any]) -> None:
    body.update(valid_from="2026-01-01", valid_to="2025-12-31", services=[])


BAD_AGREEMENTS = [
    pytest.param(
        _ends_before_start, "valid_to", "The version ends before it starts.", id="valid_to_first"
    ),
    pytest.param(
        _promise_change(calendar_id=None),
        "promises.0.calendar_id",
        "A promise is measured on a calendar.",
        id="promise_without_calendar",
    ),
    pytest.param(
        _promise_change(calendar_id=999999),
        "promises.0.calendar_id",
        "No calendar 999999.",
        id="unknown_calendar",
    ),
    pytest.param(
        _promise_change(response_minutes=0),
        "promises",
        "line #0 (agreement default, P2): response target must be a positive number of "
        "minutes, got 0",
        id="zero_response",
    ),
    pytest.param(
        _promise_change(resolution_minutes=-60),
        "promises",
        "line #0 (agreement default, P2): resolution target must be a positive number of "
        "minutes, got -60",
        id="negative_resolution",
    ),
    pytest.param(
        _promise_change(update_minutes=-1),
        "promises",
        "line #0 (agreement default, P2): update target must be a positive number of "
        "minutes, got -1",
        id="negative_update",
    ),
    pytest.param(
        _promise_change(warning_percent=0),
        "promises",
        "line #0 (agreement default, P2): warning threshold must be 1-100 %, got 0",
        id="warning_percent_0",
    ),
    pytest.param(
        _promise_change(warning_percent=101),
        "promises",
        "line #0 (agreement default, P2): warning threshold must be 1-100 %, got 101",
        id="warning_percent_101",
    ),
    pytest.param(
        _promise_change(compliance_percent="100.01"),
        "promises",
        "line #0 (agreement default, P2): compliance target must be 0-100 %, got 100.01",
        id="compliance_over_100",
    ),
    pytest.param(
        _second_promise(priority="P2"),
        "promises",
        "line #1 (agreement default, P2): duplicates line #0: only one line per scope and priority",
        id="duplicate_default_line",
    ),
    pytest.param(
        _second_promise(priority="P2", response_minutes=30),
        "promises",
        "duplicates line #0",
        id="duplicate_even_with_other_targets",
    ),
    pytest.param(
        _promise_for_other_service,
        "promises.0.service_id",
        "A promise for a service the agreement does not include.",
        id="promise_for_service_not_in_agreement",
    ),
    pytest.param(
        _late_start, "services.0.starts_on", "Starts after the version ends.", id="late_start"
    ),
    pytest.param(
        _unknown_service, "services.0.service_id", "No service 999999.", id="unknown_service"
    ),
    pytest.param(_service_twice, "services.1.service_id", "Listed twice.", id="service_twice"),
]


@pytest.mark.parametrize(("change", "field", "says"), BAD_AGREEMENTS)
def test_an_invalid_version_is_refused_with_the_field_and_nothing_is_stored(
    client, admin, world, change, field, says
):
    body = _valid_body(world)
    assert body["promises"][0]["calendar_id"] == world["calendar_id"]
    change(body, world)
    resp = post_version(client, admin, world["org"], body)
    err = assert_error(resp, 422, "validation_error")
    assert err["message"] == "The agreement is not valid; see details.fields."
    fields = err["details"]["fields"]
    assert list(fields) == [field], fields
    assert any(says in problem for problem in fields[field]), fields
    assert versions_of(client, admin, world["org"]) == []


def test_the_valid_body_of_the_validation_cases_is_accepted(client, admin, world):
    resp = post_version(client, admin, world["org"], _valid_body(world))
    assert resp.status_code == 201, resp.get_json()


def test_a_duplicate_family_line_for_a_priority_is_refused(client, admin, world):
    body = _valid_body(world)
    body["promises"] = [
        promise(world["calendar_id"], "P2", family="application"),
        promise(world["calendar_id"], "P3", family="application"),
        promise(world["calendar_id"], "P2", family="application", resolution_minutes=960),
    ]
    err = assert_error(post_version(client, admin, world["org"], body), 422, "validation_error")
    assert err["details"]["fields"] == {
        "promises": [
            "line #2 (family application, P2): duplicates line #0: only one line per scope "
            "and priority"
        ]
    }


def test_every_problem_of_a_version_is_reported_at_once(client, admin, world):
    body = _valid_body(world)
    body["valid_to"] = "2026-06-30"
    body["services"][0]["starts_on"] = "2026-07-01"
    body["promises"] = [
        promise(None, "P1"),
        promise(world["calendar_id"], "P2", response_minutes=-5, warning_percent=150),
    ]
    err = assert_error(post_version(client, admin, world["org"], body), 422, "validation_error")
    assert err["details"]["fields"] == {
        "services.0.starts_on": ["Starts after the version ends."],
        "promises.0.calendar_id": ["A promise is measured on a calendar."],
        "promises": [
            "line #1 (agreement default, P2): response target must be a positive number of "
            "minutes, got -5",
            "line #1 (agreement default, P2): warning threshold must be 1-100 %, got 150",
        ],
    }


def test_a_promise_line_for_both_a_service_and_a_family_is_refused(client, admin, world):
    body = _valid_body(world)
    body["promises"][0].update(service_id=world["service"].id, family="application")
    err = assert_error(post_version(client, admin, world["org"], body), 422, "validation_error")
    assert err["details"]["fields"]["promises"] == [
        f"line #0 (service {world['service'].id} and family application, P2): a line is for a "
        "service or for a family, not both"
    ]


@pytest.mark.parametrize(
    ("promise_fields", "missing"),
    [
        ({"priority": "P5"}, "priority"),
        ({"family": "hardware"}, "family"),
    ],
)
def test_a_promise_with_an_unknown_priority_or_family_is_refused_by_the_schema(
    client, admin, world, promise_fields, missing
):
    body = _valid_body(world)
    body["promises"][0].update(promise_fields)
    err = assert_error(post_version(client, admin, world["org"], body), 422, "validation_error")
    assert list(err["details"]["fields"]["promises"]["0"]) == [missing]


def test_a_negative_price_is_refused(client, admin, world):
    body = _valid_body(world)
    body["services"][0]["price"] = "-1.00"
    err = assert_error(post_version(client, admin, world["org"], body), 422, "validation_error")
    assert list(err["details"]["fields"]["services"]["0"]) == ["price"]


@pytest.mark.parametrize(
    ("existing", "new", "says"),
    [
        (
            ("2026-01-01", "2026-12-31"),
            ("2026-12-31", None),
            "Overlaps version 1 (2026-01-01 - 2026-12-31); end that version first.",
        ),
        (
            ("2026-01-01", "2026-12-31"),
            ("2025-01-01", "2026-01-01"),
            "Overlaps version 1 (2026-01-01 - 2026-12-31); end that version first.",
        ),
        (
            ("2026-01-01", "2026-12-31"),
            ("2026-03-01", "2026-04-30"),
            "Overlaps version 1 (2026-01-01 - 2026-12-31); end that version first.",
        ),
        (
            ("2020-01-01", None),
            ("2030-01-01", None),
            "Overlaps version 1 (2020-01-01 - open-ended); end that version first.",
        ),
    ],
)
def test_an_overlapping_version_is_refused(client, make, admin, existing, new, says):
    org = make.org(entitled=False)
    first = {"valid_from": existing[0], "valid_to": existing[1]}
    assert post_version(client, admin, org, first).status_code == 201
    resp = post_version(client, admin, org, {"valid_from": new[0], "valid_to": new[1]})
    err = assert_error(resp, 422, "validation_error")
    assert err["details"]["fields"] == {"valid_from": [says]}
    assert len(versions_of(client, admin, org)) == 1


def test_a_patch_that_would_overlap_another_version_is_refused(client, make, admin):
    org = make.org(entitled=False)
    first = {"valid_from": "2026-01-01", "valid_to": "2026-12-31"}
    assert post_version(client, admin, org, first).status_code == 201
    second = post_version(client, admin, org, {"valid_from": "2027-01-01"}).get_json()
    resp = client.patch(
        f"/api/v1/agreements/{second['id']}", json={"valid_from": "2026-12-01"}, headers=admin
    )
    err = assert_error(resp, 422, "validation_error")
    assert err["details"]["fields"] == {
        "valid_from": ["Overlaps version 1 (2026-01-01 - 2026-12-31); end that version first."]
    }
    stored = client.get(f"/api/v1/agreements/{second['id']}", headers=admin).get_json()
    assert stored["valid_from"] == "2027-01-01"


# --- a version that tickets froze ----------------------------------------------------------


def _the_version(client: Any, admin: dict[str, str], org: Any) -> dict[str, Any]:
    (version,) = versions_of(client, admin, org)
    return version


def test_a_version_without_tickets_may_change_in_substance(client, make, admin, desk, calendar):
    version = _the_version(client, admin, desk["org"])
    assert version["frozen"] is False
    resp = client.patch(
        f"/api/v1/agreements/{version['id']}",
        json={
            "invoicing_period": "yearly",
            "promises": [promise(calendar["id"], "P1", response_minutes=30)],
        },
        headers=admin,
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["invoicing_period"] == "yearly"
    assert [(p["priority"], p["response_minutes"]) for p in resp.get_json()["promises"]] == [
        ("P1", 30)
    ]


def test_a_substantive_patch_is_validated_like_a_new_version(client, make, admin, desk):
    version = _the_version(client, admin, desk["org"])
    resp = client.patch(
        f"/api/v1/agreements/{version['id']}",
        json={"promises": [promise(None, "P1")]},
        headers=admin,
    )
    err = assert_error(resp, 422, "validation_error")
    assert err["details"]["fields"] == {
        "promises.0.calendar_id": ["A promise is measured on a calendar."]
    }


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"services": []}, "services"),
        ({"promises": []}, "promises"),
        ({"valid_from": "2019-01-01"}, "valid_from"),
        ({"invoicing_period": "yearly"}, "invoicing_period"),
        ({"notes": "ok", "services": []}, "services"),
    ],
)
def test_a_version_that_tickets_froze_refuses_changes_of_substance(
    client, make, admin, desk, change, named
):
    file_ticket(client, make.auth(desk["requester"]), service_id=desk["service"].id)
    version = _the_version(client, admin, desk["org"])
    assert version["frozen"] is True
    resp = client.patch(f"/api/v1/agreements/{version['id']}", json=change, headers=admin)
    err = assert_error(resp, 409, "version_frozen")
    assert f"its {named} cannot change" in err["message"]
    assert "Create a new version instead." in err["message"]
    after = client.get(f"/api/v1/agreements/{version['id']}", headers=admin).get_json()
    assert after == version


def test_a_version_that_tickets_froze_still_takes_its_end_deadline_and_notes(
    client, make, admin, desk
):
    file_ticket(client, make.auth(desk["requester"]), service_id=desk["service"].id)
    version = _the_version(client, admin, desk["org"])
    resp = client.patch(
        f"/api/v1/agreements/{version['id']}",
        json={"valid_to": "2099-12-31", "renewal_deadline": "2099-06-30", "notes": "Jatkettu."},
        headers=admin,
    )
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert (body["valid_to"], body["renewal_deadline"], body["notes"]) == (
        "2099-12-31",
        "2099-06-30",
        "Jatkettu.",
    )
    assert body["frozen"] is True
    assert body["services"] == version["services"]


def test_a_version_that_tickets_froze_cannot_end_before_its_last_ticket_was_received(
    client, make, admin, desk
):
    from catalog.agreements.queries import local_date
    from servicedesk.db import utcnow

    file_ticket(client, make.auth(desk["requester"]), service_id=desk["service"].id)
    version = _the_version(client, admin, desk["org"])
    today = local_date(utcnow())
    url = f"/api/v1/agreements/{version['id']}"
    yesterday = (today - timedelta(days=1)).isoformat()
    err = assert_error(client.patch(url, json={"valid_to": yesterday}, headers=admin), 422)
    says = (
        f"Tickets were received under version {version['version_no']} until "
        f"{today.isoformat()}; it cannot end before that."
    )
    assert err["details"]["fields"] == {"valid_to": [says]}
    assert client.get(url, headers=admin).get_json()["valid_to"] is None
    # ending on the day of the last ticket is fine
    resp = client.patch(url, json={"valid_to": today.isoformat()}, headers=admin)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["valid_to"] == today.isoformat()


# --- who may do what ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["agent", "account_manager", "customer_contact"])
def test_only_an_admin_writes_agreements(client, make, admin, desk, role, dbs):
    org = desk["org"]
    user = make.user(role, org=org if role == "customer_contact" else None)
    if role == "account_manager":  # their own customer: they see it, and still may not write
        _manage(dbs, org, user)
    headers = make.auth(user)
    resp = post_version(client, headers, org, {"valid_from": "2030-01-01"})
    assert_error(resp, 403, "forbidden")
    version = _the_version(client, admin, org)
    resp = client.patch(f"/api/v1/agreements/{version['id']}", json={"notes": "x"}, headers=headers)
    assert_error(resp, 403, "forbidden")
    assert _the_version(client, admin, org) == version


def test_a_customer_reads_their_own_agreement_and_gets_404_for_anothers(client, make, admin, desk):
    other = make.org()
    contact = make.auth(make.user("customer_contact", org=desk["org"]))
    own = client.get(f"/api/v1/organisations/{desk['org'].id}/agreements", headers=contact)
    assert own.status_code == 200
    assert [v["organisation_id"] for v in own.get_json()] == [desk["org"].id]
    assert_error(
        client.get(f"/api/v1/organisations/{other.id}/agreements", headers=contact),
        404,
        "not_found",
    )
    (foreign,) = versions_of(client, admin, other)
    assert_error(
        client.get(f"/api/v1/agreements/{foreign['id']}", headers=contact), 404, "not_found"
    )


def test_an_unknown_version_is_404(client, admin):
    err = assert_error(client.get("/api/v1/agreements/999999", headers=admin), 404, "not_found")
    assert err["message"] == "No agreement version 999999."


# --- account managers -----------------------------------------------------------------------


def test_an_admin_assigns_account_managers_and_the_customer_sees_them(client, make, admin):
    org = make.org()
    first = make.user("account_manager")
    second = make.user("account_manager")
    url = f"/api/v1/organisations/{org.id}/account-managers"
    resp = client.put(url, json={"user_ids": [second.id, first.id, second.id]}, headers=admin)
    assert resp.status_code == 200, resp.get_json()
    assert [u["id"] for u in resp.get_json()] == [first.id, second.id]
    contact = make.auth(make.user("customer_contact", org=org))
    assert [u["id"] for u in client.get(url, headers=contact).get_json()] == [first.id, second.id]
    # replacing the list replaces it
    assert client.put(url, json={"user_ids": [second.id]}, headers=admin).status_code == 200
    assert [u["id"] for u in client.get(url, headers=admin).get_json()] == [second.id]
    assert client.put(url, json={"user_ids": []}, headers=admin).get_json() == []


def test_only_account_managers_can_be_assigned_to_an_organisation(client, make, admin):
    org = make.org()
    manager = make.user("account_manager")
    agent = make.user("agent")
    url = f"/api/v1/organisations/{org.id}/account-managers"
    for user_ids in ([manager.id, agent.id], [999999]):
        resp = client.put(url, json={"user_ids": user_ids}, headers=admin)
        err = assert_error(resp, 422, "validation_error")
        assert err["details"]["fields"] == {"user_ids": ["Not all are account managers."]}
    assert client.get(url, headers=admin).get_json() == []


def test_only_an_admin_assigns_account_managers(client, make, admin, dbs):
    org = make.org()
    manager = make.user("account_manager")
    _manage(dbs, org, manager)  # their own customer: they see it, and still may not assign
    url = f"/api/v1/organisations/{org.id}/account-managers"
    for headers in (make.auth(make.user("agent")), make.auth(manager)):
        resp = client.put(url, json={"user_ids": []}, headers=headers)
        assert_error(resp, 403, "forbidden")
    assert [u["id"] for u in client.get(url, headers=admin).get_json()] == [manager.id]


def test_an_account_manager_of_another_customer_gets_404_on_its_agreement_writes(
    client, make, admin
):
    org = make.org()
    stranger = make.auth(make.user("account_manager"))
    resp = client.put(
        f"/api/v1/organisations/{org.id}/account-managers", json={"user_ids": []}, headers=stranger
    )
    assert_error(resp, 404, "not_found")
    assert_error(
        post_version(client, stranger, org, {"valid_from": "2030-01-01"}), 404, "not_found"
    )


# --- promise lookup on stored rows ----------------------------------------------------------


def test_promise_lookup_prefers_the_service_line_then_the_family_line_then_the_default(
    client, make, admin, dbs, calendar
):
    org = make.org(entitled=False)
    wilma = make.service("ICT", family="application", subfamily="sector")
    primus = make.service("ICT", family="application", subfamily="sector")
    laptop = make.service("ICT", family="infrastructure", subfamily="user")
    cal = calendar["id"]
    body = {
        "valid_from": "2026-01-01",
        "services": [line(wilma), line(primus), line(laptop)],
        "promises": [
            promise(cal, "P2", response_minutes=240),  # the agreement default
            promise(cal, "P2", family="application", response_minutes=120),
            promise(cal, "P2", service_id=wilma.id, response_minutes=30),
            promise(cal, "P3", family="application", response_minutes=480),
        ],
    }
    version = post_version(client, admin, org, body).get_json()
    default_id, family_id, service_id, family_p3_id = (p["id"] for p in version["promises"])

    def found(service: Any, priority: str) -> int | None:
        row = promise_for(dbs, version["id"], service, priority)
        return None if row is None else row.id

    assert found(wilma, "P2") == service_id
    assert found(primus, "P2") == family_id
    assert found(laptop, "P2") == default_id
    assert found(None, "P2") == default_id  # an unclassified ticket
    assert found(wilma, "P3") == family_p3_id
    assert found(laptop, "P3") is None  # no line for P3 outside the application family
    assert found(wilma, "P1") is None
    assert promise_for(dbs, None, wilma, "P2") is None  # a ticket without a version
    row = promise_for(dbs, version["id"], wilma, "P2")
    assert (row.response_minutes, row.calendar_id) == (30, cal)
    dbs.commit()


def test_promise_lookup_never_mixes_lines_of_another_version(client, make, admin, dbs, calendar):
    org = make.org(entitled=False)
    wilma = make.service("ICT", family="application", subfamily="sector")
    old = post_version(
        client,
        admin,
        org,
        {
            "valid_from": "2025-01-01",
            "valid_to": "2025-12-31",
            "services": [line(wilma, "2025-01-01")],
            "promises": [promise(calendar["id"], "P2", service_id=wilma.id)],
        },
    ).get_json()
    new = post_version(
        client,
        admin,
        org,
        {"valid_from": "2026-01-01", "services": [line(wilma)], "promises": []},
    ).get_json()
    assert promise_for(dbs, new["id"], wilma, "P2") is None
    assert promise_for(dbs, old["id"], wilma, "P2").id == old["promises"][0]["id"]
    dbs.commit()
    stored = dbs.scalars(
        select(AgreementVersion.id).where(AgreementVersion.organisation_id == org.id)
    ).all()
    dbs.commit()
    assert sorted(stored) == sorted([old["id"], new["id"]])


def _manage(dbs, org, user) -> None:
    from catalog.organisations.models import organisation_account_managers

    dbs.execute(
        organisation_account_managers.insert().values(organisation_id=org.id, user_id=user.id)
    )
    dbs.commit()
