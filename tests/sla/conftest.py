"""Fixtures of the SLA tests: an organisation whose agreement makes real promises.

The promises are measured on the calendar of SLA.md's worked examples (Mon-Fri 08:00-16:00
Europe/Helsinki, FI holidays), except one 24x7 line for the infrastructure family:

| scope | priority | response | resolution | update | calendar |
|---|---|---|---|---|---|
| agreement default | P3 | 120 | 480 | 240 | office |
| agreement default | P2 | 60 | 240 | - | office |
| family infrastructure | P3 | 60 | 1440 | - | 24x7 |

P1 and P4 have no line: their tickets have no clock ("no promise"). Medium impact and medium
urgency make P3; medium impact and high urgency make P2; low and low make P4.

Time is pinned with `servicedesk.db.frozen_now`; `hel(...)` writes an instant as Helsinki wall
clock time and `z(...)` as the API writes it (UTC with Z).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert

from catalog.organisations.models import organisation_account_managers
from servicedesk.db import frozen_now

HELSINKI = ZoneInfo("Europe/Helsinki")
OFFICE_SPEC = {
    "timezone": "Europe/Helsinki",
    "hours": {d: [["08:00", "16:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": "FI",
    "closed_dates": [],
    "open_dates": [],
}
ALWAYS_SPEC = {"always": True}
GROUP_EMAIL = "sovellustuki@kpk.example"
#: Priorities by impact and urgency (the matrix): the promise lines above.
P2 = {"impact": "medium", "urgency": "high"}
P3 = {"impact": "medium", "urgency": "medium"}
P4 = {"impact": "low", "urgency": "low"}


def hel(*args: int) -> datetime:
    """A Helsinki wall-clock instant: hel(2026, 11, 23, 15) is Mon 23.11.2026 15:00."""
    return datetime(*args, tzinfo=HELSINKI)


def z(at: datetime | str) -> str:
    """An instant as the API writes it: '2026-11-24T07:00:00Z'."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class World:
    """Everyone and everything a clock test needs (ids and auth headers)."""

    client: FlaskClient
    org: Any
    other_org: Any
    requester: Any
    stranger: Any  # an end user of another organisation
    agent: Any
    group: Any
    account_manager: Any
    admin: Any
    app_service: Any  # family application: the agreement's default lines
    infra_service: Any  # family infrastructure: the 24x7 line for P3
    office_calendar_id: int
    always_calendar_id: int
    version: dict[str, Any]
    headers: dict[str, dict[str, str]]

    # --- the API, at a pinned instant --------------------------------------------------------

    def call(
        self, method: str, url: str, at: datetime, who: str = "agent",
        extra_headers: dict[str, str] | None = None, **kw: Any,
    ) -> Any:
        with frozen_now(at):
            return self.client.open(
                url, method=method, headers={**self.headers[who], **(extra_headers or {})}, **kw
            )

    def file(self, at: datetime, who: str = "requester", **fields: Any) -> dict[str, Any]:
        """A ticket received at `at` (filed by the requester on the portal by default)."""
        body = {
            "title": "Wilma ei aukea",
            "description": "Kirjautuminen pyörii.",
            "service_id": self.app_service.id,
            **P3,
            **fields,
        }
        resp = self.call("POST", "/api/v1/tickets", at, who, json=body)
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()

    def get(self, ticket_id: int, at: datetime, who: str = "agent") -> dict[str, Any]:
        resp = self.call("GET", f"/api/v1/tickets/{ticket_id}", at, who)
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()

    def patch(self, ticket_id: int, at: datetime, who: str = "agent", **changes: Any) -> Any:
        resp = self.call(
            "PATCH", f"/api/v1/tickets/{ticket_id}", at, who, json=changes,
            extra_headers={"If-Match": "*"},
        )
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()

    def comment(
        self, ticket_id: int, at: datetime, who: str = "agent", *, internal: bool = False,
        body: str = "Katsomme asiaa.",
    ) -> dict[str, Any]:
        resp = self.call(
            "POST", f"/api/v1/tickets/{ticket_id}/comments", at, who,
            json={"body": body, "internal": internal},
        )
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()

    def explain(self, ticket_id: int, at: datetime, who: str = "agent") -> dict[str, Any]:
        resp = self.call("GET", f"/api/v1/tickets/{ticket_id}/sla", at, who)
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()

    def listed(self, at: datetime, query: str, who: str = "agent") -> list[int]:
        """Ticket ids of a list query (every page), in the order answered."""
        ids: list[int] = []
        url = f"/api/v1/tickets?limit=2&{query}"
        while True:
            resp = self.call("GET", url, at, who)
            assert resp.status_code == 200, resp.get_json()
            page = resp.get_json()
            ids += [t["id"] for t in page["items"]]
            if not page["next_cursor"]:
                return ids
            url = f"/api/v1/tickets?limit=2&{query}&cursor={page['next_cursor']}"

    def assign(self, ticket_id: int, at: datetime) -> dict[str, Any]:
        return self.patch(ticket_id, at, assignee_id=self.agent.id)


def clock(ticket_or_sla: dict[str, Any], kind: str, cycle: int = 0) -> dict[str, Any]:
    """The clock of `kind` (and update `cycle`) in a ticket answer or an explanation."""
    sla = ticket_or_sla.get("sla", ticket_or_sla)
    found = [c for c in sla["clocks"] if c["kind"] == kind and c["cycle"] == cycle]
    assert len(found) == 1, (kind, cycle, sla["clocks"])
    return found[0]


def _subscribe(dbs: Any, org: Any) -> None:
    from catalog.ownership.operations import subscribe, update_subscription

    sub = subscribe(dbs, org, date(2015, 1, 1))
    update_subscription(dbs, sub, {"paid_on": date(2015, 2, 1), "registered_on": date(2015, 3, 1)})
    dbs.commit()


@pytest.fixture
def world(app: Flask, client: FlaskClient, make: Any, dbs: Any) -> World:
    admin = make.user("admin")
    agent = make.user("agent", provider="ICT")
    make.group("ICT", members=(agent,), is_triage=True)
    group = make.group("ICT", members=(agent,), email=GROUP_EMAIL)
    app_service = make.service("ICT", group=group)
    infra_service = make.service("ICT", group=group, family="infrastructure", subfamily="network")
    org = make.org(entitled=False)
    _subscribe(dbs, org)
    other_org = make.org()
    requester = make.user("end_user", org=org)
    stranger = make.user("end_user", org=other_org)
    account_manager = make.user("account_manager")
    dbs.execute(
        insert(organisation_account_managers),
        [{"organisation_id": org.id, "user_id": account_manager.id}],
    )
    dbs.commit()
    headers = {
        "admin": make.auth(admin),
        "agent": make.auth(agent),
        "requester": make.auth(requester),
        "stranger": make.auth(stranger),
        "account_manager": make.auth(account_manager),
    }

    def post(url: str, body: dict[str, Any]) -> dict[str, Any]:
        resp = client.post(url, json=body, headers=headers["admin"])
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()

    office = post("/api/v1/calendars", {"name": "Virka-aika (SLA.md)", "spec": OFFICE_SPEC})
    always = post("/api/v1/calendars", {"name": "24/7", "spec": ALWAYS_SPEC})
    line = {"starts_on": "2020-01-01", "price_model": "per_ticket", "price": "25.00"}
    version = post(
        f"/api/v1/organisations/{org.id}/agreements",
        {
            "valid_from": "2020-01-01",
            "valid_to": None,
            "notes": "SLA test agreement",
            "services": [
                {"service_id": app_service.id, **line},
                {"service_id": infra_service.id, **line},
            ],
            "promises": [
                {"priority": "P3", "response_minutes": 120, "resolution_minutes": 480,
                 "update_minutes": 240, "calendar_id": office["id"]},
                {"priority": "P2", "response_minutes": 60, "resolution_minutes": 240,
                 "calendar_id": office["id"]},
                {"priority": "P3", "family": "infrastructure", "response_minutes": 60,
                 "resolution_minutes": 1440, "calendar_id": always["id"]},
            ],
        },
    )
    return World(
        client=client,
        org=org,
        other_org=other_org,
        requester=requester,
        stranger=stranger,
        agent=agent,
        group=group,
        account_manager=account_manager,
        admin=admin,
        app_service=app_service,
        infra_service=infra_service,
        office_calendar_id=office["id"],
        always_calendar_id=always["id"],
        version=version,
        headers=headers,
    )


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    """`with at(hel(...)):` - frozen_now, for code called directly (the sweep, jobs)."""
    with frozen_now(moment):
        yield
