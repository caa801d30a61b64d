"""Business calendars as data through the admin API (the arithmetic is tested in tests/unit/sla)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import assert_error, file_ticket

OFFICE_HOURS = {
    "timezone": "Europe/Helsinki",
    "hours": {d: [["08:00", "16:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": "FI",
    "closed_dates": ["2026-12-24"],
    "open_dates": [],
}


@pytest.fixture
def admin(make: Any) -> dict[str, str]:
    return make.auth(make.user("admin"))


def create(client: Any, headers: dict[str, str], name: str, spec: Any) -> Any:
    return client.post("/api/v1/calendars", json={"name": name, "spec": spec}, headers=headers)


def test_an_admin_adds_an_office_hours_calendar_stored_in_normal_form(client, admin):
    resp = create(client, admin, "Virka-aika", OFFICE_HOURS)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["name"] == "Virka-aika"
    assert body["spec"] == {
        "timezone": "Europe/Helsinki",
        "hours": {
            "mon": [["08:00", "16:00"]],
            "tue": [["08:00", "16:00"]],
            "wed": [["08:00", "16:00"]],
            "thu": [["08:00", "16:00"]],
            "fri": [["08:00", "16:00"]],
            "sat": [],
            "sun": [],
        },
        "holidays": "FI",
        "closed_dates": ["2026-12-24"],
        "open_dates": [],
    }
    assert client.get(f"/api/v1/calendars/{body['id']}", headers=admin).get_json() == body


def test_an_admin_adds_a_24x7_calendar(client, admin):
    resp = create(client, admin, "24x7", {"always": True})
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["spec"] == {"timezone": "Europe/Helsinki", "always": True}


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ({"timezone": "Europe/Helsinki", "weekdays": {}}, "weekdays: unknown field"),
        ({"timezone": "Mars/Olympus"}, "timezone: unknown time zone 'Mars/Olympus'"),
        ({"hours": {"mon": [["16:00", "08:00"]]}}, "hours.mon[0]: start must be before end"),
        ({"hours": {"mon": [["08:00", "25:00"]]}}, "is not a time of day"),
        ({"hours": {"moon": [["08:00", "16:00"]]}}, "hours.moon: unknown weekday"),
        ({"closed_dates": ["2026-02-30"]}, "closed_dates[0]: '2026-02-30' is not a date"),
        ({"holidays": 358}, "holidays: must be a country code"),
        ({"always": True, "hours": {}}, "hours: not allowed with always: true"),
        ({"always": "yes"}, "always: must be true or false"),
    ],
)
def test_a_calendar_with_a_bad_spec_is_refused_naming_the_problem(client, admin, spec, says):
    resp = create(client, admin, "Rikki", spec)
    err = assert_error(resp, 422, "validation_error")
    assert list(err["details"]["fields"]) == ["spec"]
    assert says in err["details"]["fields"]["spec"][0], err
    assert client.get("/api/v1/calendars", headers=admin).get_json() == []


def test_a_second_calendar_with_the_same_name_is_a_conflict(client, admin):
    assert create(client, admin, "Virka-aika", OFFICE_HOURS).status_code == 201
    assert_error(create(client, admin, "Virka-aika", {"always": True}), 409, "name_taken")
    assert len(client.get("/api/v1/calendars", headers=admin).get_json()) == 1


@pytest.mark.parametrize("role", ["agent", "account_manager", "customer_contact", "end_user"])
def test_only_an_admin_writes_calendars_but_every_signed_in_user_reads_them(
    client, make, admin, role
):
    cal = create(client, admin, "Virka-aika", OFFICE_HOURS).get_json()
    headers = make.auth(make.user(role))
    assert_error(create(client, headers, "Oma", {"always": True}), 403, "forbidden")
    resp = client.patch(
        f"/api/v1/calendars/{cal['id']}", json={"spec": {"always": True}}, headers=headers
    )
    assert_error(resp, 403, "forbidden")
    listed = client.get("/api/v1/calendars", headers=headers)
    assert listed.status_code == 200
    assert listed.get_json() == [cal]


def test_an_unknown_calendar_is_404(client, admin):
    err = assert_error(client.get("/api/v1/calendars/999999", headers=admin), 404, "not_found")
    assert err["message"] == "No calendar 999999."
    resp = client.patch("/api/v1/calendars/999999", json={"name": "x"}, headers=admin)
    assert_error(resp, 404, "not_found")


def _measure_tickets_on(client: Any, admin: dict[str, str], org: Any, cal_id: int) -> None:
    """Put a promise on the calendar into the organisation's (only) agreement version."""
    (version,) = client.get(f"/api/v1/organisations/{org.id}/agreements", headers=admin).get_json()
    resp = client.patch(
        f"/api/v1/agreements/{version['id']}",
        json={
            "promises": [
                {
                    "priority": "P3",
                    "response_minutes": 240,
                    "resolution_minutes": 960,
                    "calendar_id": cal_id,
                }
            ]
        },
        headers=admin,
    )
    assert resp.status_code == 200, resp.get_json()


def test_a_calendar_only_unfrozen_agreements_use_may_still_change(client, admin, desk):
    cal = create(client, admin, "Virka-aika", OFFICE_HOURS).get_json()
    _measure_tickets_on(client, admin, desk["org"], cal["id"])
    resp = client.patch(
        f"/api/v1/calendars/{cal['id']}", json={"spec": {"always": True}}, headers=admin
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["spec"] == {"timezone": "Europe/Helsinki", "always": True}


def test_changing_a_calendar_a_ticket_is_measured_on_is_a_conflict(client, make, admin, desk):
    cal = create(client, admin, "Virka-aika", OFFICE_HOURS).get_json()
    _measure_tickets_on(client, admin, desk["org"], cal["id"])
    file_ticket(client, make.auth(desk["requester"]), service_id=desk["service"].id)
    url = f"/api/v1/calendars/{cal['id']}"
    resp = client.patch(url, json={"spec": {"always": True}}, headers=admin)
    err = assert_error(resp, 409, "calendar_frozen")
    assert "Create a new calendar and a new agreement version." in err["message"]
    assert client.get(url, headers=admin).get_json()["spec"] == cal["spec"]
    # a name is no part of the arithmetic: renaming is fine
    renamed = client.patch(url, json={"name": "Virka-aika (ICT)"}, headers=admin)
    assert renamed.status_code == 200, renamed.get_json()
    assert renamed.get_json() == {**cal, "name": "Virka-aika (ICT)"}
    # and a name with a spec change is refused as a whole
    resp = client.patch(url, json={"name": "Uusi", "spec": {"always": True}}, headers=admin)
    assert_error(resp, 409, "calendar_frozen")
    assert client.get(url, headers=admin).get_json()["name"] == "Virka-aika (ICT)"


def test_a_calendar_patch_with_a_bad_spec_is_refused(client, admin):
    cal = create(client, admin, "Virka-aika", OFFICE_HOURS).get_json()
    resp = client.patch(
        f"/api/v1/calendars/{cal['id']}", json={"spec": {"timezone": 7}}, headers=admin
    )
    err = assert_error(resp, 422, "validation_error")
    assert err["details"]["fields"] == {
        "spec": ["timezone: must be a time zone name such as 'Europe/Helsinki'"]
    }
    assert client.get(f"/api/v1/calendars/{cal['id']}", headers=admin).get_json() == cal
