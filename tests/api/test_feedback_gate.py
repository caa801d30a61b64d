"""Change needs and feedback are always accepted from an owner's users, for any service.

They feed the customer's development planning: a service outside the agreement, or not
started yet, is exactly what the account manager wants to hear of. The owner, share and
agreement checks still apply, and an incident for the same service is refused as before.
A PATCH that changes the type (or the service) runs the gate again with the new type.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.api.helpers import assert_error
from tests.api.test_gate import (
    agree,
    expected_details,
    never_subscribed,
    paid_not_registered,
    service_left_out,
    service_starts_in_a_week,
    shareholder,
    ticket_count,
    without_agreement,
)

ALWAYS_ACCEPTED = ("change_need", "feedback")


@pytest.fixture
def admin(make: Any) -> dict[str, str]:
    return make.auth(make.user("admin"))


def post(client: Any, headers: dict[str, str], service: Any, type_: str) -> Any:
    body = {
        "title": "Kiitos nopeasta avusta",
        "description": "Toive: Wilmaan tekstiviesti-ilmoitukset.",
        "service_id": service.id,
        "type": type_,
    }
    return client.post("/api/v1/tickets", json=body, headers=headers)


@pytest.mark.parametrize("scenario", [service_left_out, service_starts_in_a_week])
@pytest.mark.parametrize("type_", ALWAYS_ACCEPTED)
def test_a_change_need_or_feedback_for_a_service_outside_the_agreement_is_filed(
    client, make, dbs, desk, admin, scenario, type_
):
    org = scenario(client, make, dbs, admin, desk["service"])
    requester = make.auth(make.user("end_user", org=org))
    resp = post(client, requester, desk["service"], type_)
    assert resp.status_code == 201, resp.get_json()
    assert (resp.get_json()["type"], resp.get_json()["service"]["id"]) == (
        type_,
        desk["service"].id,
    )


@pytest.mark.parametrize(
    ("scenario", "reason"),
    [
        (service_left_out, "service_not_in_agreement"),
        (service_starts_in_a_week, "service_not_started"),
    ],
)
@pytest.mark.parametrize("type_", ["incident", "service_request"])
def test_an_incident_for_the_same_service_is_refused_as_before(
    client, make, dbs, desk, admin, scenario, reason, type_
):
    org = scenario(client, make, dbs, admin, desk["service"])
    requester = make.auth(make.user("end_user", org=org))
    err = assert_error(post(client, requester, desk["service"], type_), 403, "not_entitled")
    assert err["details"] == expected_details(reason)


@pytest.mark.parametrize(
    ("scenario", "reason"),
    [
        (never_subscribed, "not_owner"),
        (paid_not_registered, "shares_not_registered"),
        (without_agreement, "no_agreement"),
    ],
)
@pytest.mark.parametrize("type_", ALWAYS_ACCEPTED)
def test_a_non_owner_or_unregistered_shares_are_still_refused(
    client, make, dbs, desk, admin, scenario, reason, type_
):
    org = scenario(client, make, dbs, admin, desk["service"])
    requester = make.auth(make.user("end_user", org=org))
    err = assert_error(post(client, requester, desk["service"], type_), 403, "not_entitled")
    assert err["details"] == {"reason": reason}
    assert ticket_count(client, admin) == 0


@pytest.fixture
def outside(client, make, dbs, desk, admin) -> dict[str, Any]:
    """An owner whose agreement covers the desk's service only, and a change need of theirs
    for a service outside it."""
    org = shareholder(make, dbs)
    other = make.service("ICT", group=desk["group"])
    agree(client, admin, org, date(2020, 1, 1), lines=((desk["service"], date(2020, 1, 1)),))
    requester = make.auth(make.user("end_user", org=org))
    created = post(client, requester, other, "change_need")
    assert created.status_code == 201, created.get_json()
    return {"ticket": created.get_json(), "etag": created.headers["ETag"], "other": other}


def patch(client: Any, make: Any, desk: Any, outside: dict[str, Any], body: dict) -> Any:
    headers = {**make.auth(desk["agent"]), "If-Match": outside["etag"]}
    return client.patch(f"/api/v1/tickets/{outside['ticket']['id']}", json=body, headers=headers)


def test_making_a_change_need_an_incident_runs_the_gate_again(client, make, desk, admin, outside):
    err = assert_error(patch(client, make, desk, outside, {"type": "incident"}), 403)
    assert (err["code"], err["details"]) == ("not_entitled", {"reason": "service_not_in_agreement"})
    after = client.get(f"/api/v1/tickets/{outside['ticket']['id']}", headers=admin).get_json()
    assert (after["type"], after["version"]) == ("change_need", outside["ticket"]["version"])


def test_a_change_need_made_feedback_stays_accepted(client, make, desk, outside):
    resp = patch(client, make, desk, outside, {"type": "feedback"})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["type"] == "feedback"


def test_the_type_and_the_service_changed_together_pass_the_gate_as_the_new_type(
    client, make, desk, outside
):
    in_agreement = {"type": "incident", "service_id": desk["service"].id}
    resp = patch(client, make, desk, outside, in_agreement)
    assert resp.status_code == 200, resp.get_json()
    assert (resp.get_json()["type"], resp.get_json()["service"]["id"]) == (
        "incident",
        desk["service"].id,
    )


def test_a_change_need_moved_to_another_service_outside_the_agreement_is_accepted(
    client, make, desk, outside
):
    third = make.service("ICT", group=desk["group"])
    # The factory adds new services to its auto agreements only; this owner's has no line.
    resp = patch(client, make, desk, outside, {"service_id": third.id})
    assert resp.status_code == 200, resp.get_json()
    outside["etag"] = resp.headers["ETag"]
    err = assert_error(
        patch(client, make, desk, outside, {"service_id": third.id, "type": "incident"}), 403
    )
    assert err["details"] == {"reason": "service_not_in_agreement"}
