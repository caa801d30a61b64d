"""Fixtures of the supplier escalation tests: one customer, two suppliers, a desk.

- The customer (Testikunta N) has an agreement whose promise for P3 is response 120 min,
  resolution 960 min (two office days), warning at 80 %, measured on the desk's calendar
  "Office hours" (Mon-Fri 08:00-16:00 Europe/Helsinki, FI holidays).
- Supplier A, "Kuntasoft Oy" (the service's default supplier): contract P3 response 60 min,
  resolution 480 min, warning 80 %, on its own calendar "Kuntasoft office hours" (the same
  opening hours, its own row).
- Supplier B, "Pilvi 24/7 Oy": contract P3 response 30 min, resolution 240 min, warning 80 %,
  on a 24x7 calendar.
- An ICT agent in the service's resolver group (which has an e-mail address), one or two
  supplier agents per supplier, an admin, an account manager of the customer.

Calendars, suppliers and contracts are made through the admin API; the agreement through
`create_version`. Every API call of a test goes through `Api`, which freezes "now" at the
instant the call happens (Helsinki local time in, aware datetimes all the way down).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from servicedesk.db import frozen_now

HKI = ZoneInfo("Europe/Helsinki")
OFFICE_HOURS = {
    "timezone": "Europe/Helsinki",
    "holidays": "FI",
    "hours": {d: [["08:00", "16:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
}
ALWAYS = {"always": True}
SUPPLIER_A = "Kuntasoft Oy"
SUPPLIER_B = "Pilvi 24/7 Oy"
A_CONTACT = "servicedesk@kuntasoft.example.fi"
B_CONTACT = "noc@pilvi247.example.fi"
GROUP_EMAIL = "sovellukset@kpk.example.fi"


def local(text: str) -> datetime:
    """'2026-11-23 09:00' in Helsinki -> an aware datetime (UTC)."""
    return datetime.fromisoformat(text).replace(tzinfo=HKI).astimezone(UTC)


def z(text: str) -> str:
    """The API's form of a UTC instant: '2026-11-23T07:00Z' -> '2026-11-23T07:00:00Z'."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).strftime("%Y-%m-%dT%H:%M:%SZ")


class Api:
    """The test client with "now" frozen per call: `api.post(when, path, user, json=...)`."""

    def __init__(self, client: FlaskClient, make: Any) -> None:
        self.client, self.make = client, make
        self._headers: dict[int, dict[str, str]] = {}

    def headers(self, user: Any) -> dict[str, str]:
        if user.id not in self._headers:
            self._headers[user.id] = self.make.auth(user)
        return self._headers[user.id]

    def call(self, method: str, when: datetime, path: str, user: Any, **kw: Any) -> Any:
        headers = {**self.headers(user), **kw.pop("headers", {})}
        with frozen_now(when):
            return self.client.open("/api/v1" + path, method=method, headers=headers, **kw)

    def get(self, when: datetime, path: str, user: Any, **kw: Any) -> Any:
        return self.call("GET", when, path, user, **kw)

    def post(self, when: datetime, path: str, user: Any, **kw: Any) -> Any:
        return self.call("POST", when, path, user, **kw)

    def ok(
        self, method: str, when: datetime, path: str, user: Any, status: int = 200, **kw: Any
    ) -> Any:
        resp = self.call(method, when, path, user, **kw)
        assert resp.status_code == status, (resp.status_code, resp.get_json())
        return resp.get_json()

    def patch(self, when: datetime, tid: int, user: Any, body: dict[str, Any]) -> Any:
        etag = self.get(when, f"/tickets/{tid}", user).headers["ETag"]
        return self.call(
            "PATCH", when, f"/tickets/{tid}", user, json=body, headers={"If-Match": etag}
        )

    # --- the story steps -----------------------------------------------------------------

    def file(self, when: datetime, requester: Any, service: Any, **fields: Any) -> dict[str, Any]:
        body = {
            "title": "Wilma ei aukea",
            "description": "Kirjautuminen pyörii.",
            "service_id": service.id,
            **fields,
        }
        return self.ok("POST", when, "/tickets", requester, 201, json=body)

    def escalate(
        self,
        when: datetime,
        tid: int,
        agent: Any,
        supplier: Any = None,
        note: str = "Kirjautumispalvelu palauttaa 500.",
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"note": note}
        if supplier is not None:
            body["supplier_id"] = supplier["id"]
        return self.ok("POST", when, f"/tickets/{tid}/escalations", agent, 201, json=body)

    def preview(self, when: datetime, tid: int, agent: Any, supplier: Any = None) -> Any:
        body = {} if supplier is None else {"supplier_id": supplier["id"]}
        return self.ok("POST", when, f"/tickets/{tid}/escalations/preview", agent, json=body)

    def comment(
        self,
        when: datetime,
        tid: int,
        user: Any,
        body: str = "Katsomme asiaa.",
        internal: bool = False,
    ) -> Any:
        return self.post(
            when, f"/tickets/{tid}/comments", user, json={"body": body, "internal": internal}
        )

    def clocks(self, when: datetime, tid: int, user: Any) -> dict[tuple[str, int], dict]:
        """The ticket's clocks as GET /tickets/{id} shows them, by (kind, leg)."""
        body = self.ok("GET", when, f"/tickets/{tid}", user)
        return {(c["kind"], c["leg"]): c for c in body["sla"]["clocks"]}


@dataclass
class World:
    admin: Any
    agent: Any
    group: Any
    service: Any
    org: Any
    requester: Any
    manager: Any
    office: dict[str, Any]
    always: dict[str, Any]
    supplier_a: dict[str, Any]
    supplier_b: dict[str, Any]
    agent_a: Any
    agent_a2: Any
    agent_b: Any


def _entitle_with_promises(make: Any, org: Any, service: Any, calendar_id: int) -> Any:
    from catalog.agreements.operations import create_version
    from catalog.ownership.operations import subscribe, update_subscription

    sess = make.sess
    sub = subscribe(sess, org, date(2015, 1, 1))
    update_subscription(sess, sub, {"paid_on": date(2015, 2, 1), "registered_on": date(2015, 3, 1)})
    version = create_version(
        sess,
        org,
        {
            "valid_from": date(2020, 1, 1),
            "valid_to": None,
            "notes": "Palvelusopimus 2026",
            "services": [make._line(service.id)],
            "promises": [
                {
                    "priority": "P3",
                    "response_minutes": 120,
                    "resolution_minutes": 960,
                    "warning_percent": 80,
                    "calendar_id": calendar_id,
                },
                {
                    "priority": "P2",
                    "response_minutes": 60,
                    "resolution_minutes": 480,
                    "warning_percent": 80,
                    "calendar_id": calendar_id,
                },
            ],
        },
    )
    sess.commit()
    return version


@pytest.fixture
def api(client: FlaskClient, make: Any) -> Api:
    return Api(client, make)


@pytest.fixture
def world(api: Api, make: Any) -> World:
    from catalog.organisations.models import organisation_account_managers

    admin = make.user("admin")
    setup = local("2026-11-02 09:00")
    office = api.ok(
        "POST", setup, "/calendars", admin, 201, json={"name": "Office hours", "spec": OFFICE_HOURS}
    )
    office_a = api.ok(
        "POST",
        setup,
        "/calendars",
        admin,
        201,
        json={"name": "Kuntasoft office hours", "spec": OFFICE_HOURS},
    )
    always = api.ok("POST", setup, "/calendars", admin, 201, json={"name": "24x7", "spec": ALWAYS})
    supplier_a = api.ok(
        "POST",
        setup,
        "/suppliers",
        admin,
        201,
        json={"name": SUPPLIER_A, "contact_email": A_CONTACT, "contact_phone": "+358 9 123 4567"},
    )
    supplier_b = api.ok(
        "POST",
        setup,
        "/suppliers",
        admin,
        201,
        json={"name": SUPPLIER_B, "contact_email": B_CONTACT},
    )
    for supplier, cal, resp, resol in (
        (supplier_a, office_a, 60, 480),
        (supplier_b, always, 30, 240),
    ):
        api.ok(
            "POST",
            setup,
            f"/suppliers/{supplier['id']}/contracts",
            admin,
            201,
            json={
                "name": f"{supplier['name']} underpinning contract 2026",
                "valid_from": "2026-01-01",
                "calendar_id": cal["id"],
                "promises": [
                    {"priority": "P3", "response_minutes": resp, "resolution_minutes": resol},
                    {
                        "priority": "P2",
                        "response_minutes": resp // 2,
                        "resolution_minutes": resol // 2,
                    },
                ],
            },
        )
    agent = make.user("agent", provider="ICT")
    make.group("ICT", members=(agent,), is_triage=True)
    group = make.group("ICT", members=(agent,), email=GROUP_EMAIL)
    service = make.service("ICT", group=group, supplier_id=supplier_a["id"])
    org = make.org(entitled=False)
    _entitle_with_promises(make, org, service, office["id"])
    requester = make.user("end_user", org=org)
    manager = make.user("account_manager")
    make.sess.execute(
        organisation_account_managers.insert().values(organisation_id=org.id, user_id=manager.id)
    )
    make.sess.commit()
    return World(
        admin=admin,
        agent=agent,
        group=group,
        service=service,
        org=org,
        requester=requester,
        manager=manager,
        office=office,
        always=always,
        supplier_a=supplier_a,
        supplier_b=supplier_b,
        agent_a=make.user("supplier_agent", supplier_id=supplier_a["id"]),
        agent_a2=make.user("supplier_agent", supplier_id=supplier_a["id"]),
        agent_b=make.user("supplier_agent", supplier_id=supplier_b["id"]),
    )
