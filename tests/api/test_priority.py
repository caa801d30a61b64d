"""Priority through the API: the matrix on create, the agent's override with a reason,
recomputation when impact or urgency change (unless overridden), and who may set it.

The nine cells of the matrix itself are tested as a pure rule in tests/unit/test_priority.py.
"""

from __future__ import annotations

import pytest

from tests.api.helpers import assert_error, file_ticket


def patch(client, headers, ticket_id, body):
    etag = client.get(f"/api/v1/tickets/{ticket_id}", headers=headers).headers["ETag"]
    return client.patch(
        f"/api/v1/tickets/{ticket_id}", json=body, headers={**headers, "If-Match": etag}
    )


@pytest.fixture
def agent(make, desk):
    return make.auth(desk["agent"])


@pytest.fixture
def customer(make, desk):
    return make.auth(desk["requester"])


@pytest.fixture
def ticket(client, desk, customer):
    """A ticket filed by the requester: medium impact, medium urgency -> P3."""
    return file_ticket(client, customer, service_id=desk["service"].id).get_json()


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [
        ("high", "high", "P1"),
        ("high", "low", "P3"),
        ("low", "medium", "P4"),
        ("medium", "high", "P2"),
    ],
)
def test_a_new_ticket_takes_its_priority_from_the_matrix(
    client, desk, customer, impact, urgency, priority
):
    body = file_ticket(
        client, customer, service_id=desk["service"].id, impact=impact, urgency=urgency
    ).get_json()
    assert (body["impact"], body["urgency"], body["priority"]) == (impact, urgency, priority)
    assert body["priority_overridden"] is False
    assert body["priority_reason"] is None


def test_an_agent_overrides_the_priority_with_a_reason(client, agent, ticket):
    resp = patch(
        client,
        agent,
        ticket["id"],
        {"priority": "P1", "priority_reason": "Koko koulun opetus seisoo."},
    )
    assert resp.status_code == 200
    body = resp.get_json()
    assert (body["priority"], body["priority_overridden"], body["priority_reason"]) == (
        "P1",
        True,
        "Koko koulun opetus seisoo.",
    )
    events = client.get(f"/api/v1/tickets/{ticket['id']}/events", headers=agent).get_json()
    changes = events[-1]["data"]["changes"]
    assert changes["priority"] == {"before": "P3", "after": "P1"}
    assert changes["priority_reason"] == {"before": None, "after": "Koko koulun opetus seisoo."}


def test_an_override_without_a_reason_is_refused_and_changes_nothing(client, agent, ticket):
    err = assert_error(
        patch(client, agent, ticket["id"], {"priority": "P1"}), 422, "validation_error"
    )
    assert "priority_reason" in err["details"]["fields"]
    assert (
        client.get(f"/api/v1/tickets/{ticket['id']}", headers=agent).get_json()["priority"] == "P3"
    )


def test_an_empty_reason_is_no_reason(client, agent, ticket):
    err = assert_error(
        patch(client, agent, ticket["id"], {"priority": "P1", "priority_reason": ""}),
        422,
        "validation_error",
    )
    assert "priority_reason" in err["details"]["fields"]


def test_a_reason_without_a_priority_is_refused(client, agent, ticket):
    err = assert_error(
        patch(client, agent, ticket["id"], {"priority_reason": "Miksi?"}), 422, "validation_error"
    )
    assert "priority" in err["details"]["fields"]


def test_an_agent_files_a_ticket_with_an_overridden_priority(client, desk, agent):
    body = file_ticket(
        client,
        agent,
        service_id=desk["service"].id,
        requester_id=desk["requester"].id,
        impact="low",
        urgency="low",
        priority="P2",
        priority_reason="Valtuuston kokous huomenna.",
    ).get_json()
    assert (body["priority"], body["priority_overridden"]) == ("P2", True)


def test_an_agent_filing_an_override_without_a_reason_is_refused(client, desk, agent):
    resp = client.post(
        "/api/v1/tickets",
        headers=agent,
        json={
            "title": "Tulostin",
            "description": "Ei tulosta.",
            "service_id": desk["service"].id,
            "requester_id": desk["requester"].id,
            "priority": "P1",
        },
    )
    err = assert_error(resp, 422, "validation_error")
    assert "priority_reason" in err["details"]["fields"]


def test_a_customer_cannot_set_the_priority_of_a_ticket(client, customer, ticket):
    resp = patch(client, customer, ticket["id"], {"priority": "P1", "priority_reason": "Kiire!"})
    err = assert_error(resp, 403, "forbidden")
    assert err["details"] == {"fields": ["priority", "priority_reason"]}


@pytest.mark.parametrize("field", ["impact", "urgency"])
def test_a_customer_cannot_change_impact_or_urgency(client, customer, ticket, field):
    assert_error(patch(client, customer, ticket["id"], {field: "high"}), 403, "forbidden")


def test_a_customer_cannot_file_a_ticket_with_a_priority(client, desk, customer):
    resp = client.post(
        "/api/v1/tickets",
        headers=customer,
        json={
            "title": "Kiire",
            "description": "Heti.",
            "service_id": desk["service"].id,
            "priority": "P1",
            "priority_reason": "Minulla on kiire.",
        },
    )
    assert_error(resp, 403, "forbidden")


def test_changing_impact_and_urgency_recomputes_the_priority(client, agent, ticket):
    resp = patch(client, agent, ticket["id"], {"impact": "high"})
    assert (resp.status_code, resp.get_json()["priority"]) == (200, "P2")
    resp = patch(client, agent, ticket["id"], {"urgency": "high"})
    assert resp.get_json()["priority"] == "P1"
    resp = patch(client, agent, ticket["id"], {"impact": "low", "urgency": "low"})
    assert resp.get_json()["priority"] == "P4"
    assert resp.get_json()["priority_overridden"] is False


def test_an_overridden_priority_survives_impact_and_urgency_changes(client, agent, ticket):
    patch(client, agent, ticket["id"], {"priority": "P1", "priority_reason": "Koko kunta."})
    resp = patch(client, agent, ticket["id"], {"impact": "low", "urgency": "low"})
    body = resp.get_json()
    assert (body["impact"], body["urgency"]) == ("low", "low")
    assert (body["priority"], body["priority_overridden"]) == ("P1", True)


@pytest.mark.parametrize("value", ["P0", "P5", "p1", "critical", 1, None])
def test_a_priority_outside_p1_to_p4_is_refused(client, agent, ticket, value):
    resp = patch(client, agent, ticket["id"], {"priority": value, "priority_reason": "Syy."})
    err = assert_error(resp, 422, "validation_error")
    assert "priority" in err["details"]["fields"]
