"""The demo is dated relative to the day it is loaded: it never lapses within a year, and it
always shows the agreement cycle under way (issue 13)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from servicedesk.demo import load_demo
from servicedesk.users import passwords


@pytest.fixture
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=64))


def _login(client: FlaskClient, email: str) -> dict[str, str]:
    resp = client.post(
        "/api/v1/auth/tokens", json={"email": email, "password": "Demo-salasana-2026"}
    )
    assert resp.status_code == 201, resp.get_json()
    return {"Authorization": f"Bearer {resp.get_json()['token']}"}


def _entitled(client: FlaskClient, auth: dict[str, str], org_id: int, day: date) -> Any:
    resp = client.get(
        f"/api/v1/organisations/{org_id}/entitlement",
        query_string={"at": f"{day.isoformat()}T09:00:00Z"},
        headers=auth,
    )
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


@pytest.mark.parametrize(
    "loaded_at",
    [
        datetime(2026, 11, 30, 12, tzinfo=UTC),
        datetime(2029, 12, 31, 21, 30, tzinfo=UTC),  # the last evening of a year, Helsinki
        datetime(2032, 2, 29, 8, tzinfo=UTC),
    ],
)
def test_a_fresh_demo_is_in_force_through_next_year_and_shows_the_renewal_cycle(
    app: Flask, client: FlaskClient, cheap_passwords: None, loaded_at: datetime
) -> None:
    load_demo(app, tickets_count=14, now=loaded_at)
    admin = _login(client, "admin@kpk.example")
    orgs = client.get("/api/v1/organisations", headers=admin).get_json()["items"]
    local_year = loaded_at.astimezone(ZoneInfo("Europe/Helsinki")).year
    served = []
    for org in orgs:
        versions = client.get(f"/api/v1/organisations/{org['id']}/agreements", headers=admin)
        states = [v["state"] for v in versions.get_json()]
        # Nothing in force faces a lapse: the list shows no "lapses in N days" for the demo.
        assert [v["lapse"] for v in versions.get_json() if v["state"] != "draft"] == [None] * len(
            [v for v in versions.get_json() if v["state"] != "draft"]
        )
        if not states:
            continue  # the owner whose shares are not paid yet has no agreement
        served.append(org["name"])
        for day in (loaded_at.date(), date(local_year + 1, 12, 31)):
            assert _entitled(client, admin, org["id"], day)["entitled"], (org["name"], day)
        assert _entitled(client, admin, org["id"], date(local_year + 2, 1, 2))["reason"] == (
            "no_agreement"  # drafts and proposals are never in force
        )
        assert states.count("signed") == 1
    assert len(served) == 6
    all_states = [
        v["state"]
        for org in orgs
        for v in client.get(
            f"/api/v1/organisations/{org['id']}/agreements", headers=admin
        ).get_json()
    ]
    assert all_states.count("draft") == 1 and all_states.count("proposed") == 1
    tickets = client.get("/api/v1/tickets", query_string={"limit": 100}, headers=admin)
    assert len(tickets.get_json()["items"]) >= 12  # the gate let the demo's tickets in
