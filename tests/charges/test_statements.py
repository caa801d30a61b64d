"""GET /organisations/{id}/statements?period=: a worked example through the API, on both
databases, with Helsinki day boundaries, a change of agreement version and the access rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert, select

from catalog.agreements.models import AgreementVersion
from catalog.agreements.operations import create_version
from catalog.organisations.models import organisation_account_managers
from servicedesk.db import frozen_now
from servicedesk.users.models import User
from tests.api.helpers import assert_error

D = Decimal


@dataclass
class World:
    client: Any
    make: Any
    agent: Any
    org: Any
    contact: Any
    manager: Any
    admin: Any
    services: dict[str, Any]
    tickets: dict[str, int]
    entries: dict[str, int]

    def statement(self, who: Any, period: str, org_id: int | None = None) -> Any:
        return self.client.get(
            f"/api/v1/organisations/{org_id or self.org.id}/statements",
            query_string={"period": period},
            headers=self.make.auth(who),
        )


def _file(client: Any, make: Any, agent: Any, requester: Any, service: Any, at: str) -> int:
    body = {
        "title": "Tulostin",
        "description": "Ei tulosta.",
        "service_id": service.id,
        "requester_id": requester.id,
        "channel": "phone",
        "received_at": at,
    }
    # The desk records a phone call shortly after it came in (within the last 30 days).
    with frozen_now(datetime.fromisoformat(at) + timedelta(hours=1)):
        resp = client.post("/api/v1/tickets", json=body, headers=make.auth(agent))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def _time(client: Any, make: Any, agent: Any, ticket_id: int, **body: Any) -> int:
    with frozen_now(datetime(2026, 12, 2, 12, tzinfo=UTC)):
        resp = client.post(
            f"/api/v1/tickets/{ticket_id}/time-entries", json=body, headers=make.auth(agent)
        )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


@pytest.fixture
def world(client: Any, make: Any, dbs: Any, desk: dict[str, Any]) -> World:
    agent, org, requester = desk["agent"], desk["org"], desk["requester"]
    services = {
        "ticket": desk["service"],
        "expert": make.service("ICT", group=desk["group"]),
        "fixed": make.service("ICT", group=desk["group"]),
        "users": make.service("ICT", group=desk["group"]),
    }
    # Version 1 (the factory's, every line per_ticket 25.00) ends on 31.10.2026.
    v1 = dbs.scalar(select(AgreementVersion).where(AgreementVersion.organisation_id == org.id))
    v1.valid_to = date(2026, 10, 31)
    for line in v1.services:
        if line.service_id == services["expert"].id:
            line.price_model, line.price = "per_expert_hour", D("95.00")
        if line.service_id == services["fixed"].id:
            line.price_model, line.price = "fixed_month", D("1200.00")
        if line.service_id == services["users"].id:
            line.price_model, line.price = "per_user_month", D("3.50")
    dbs.flush()

    def line(name: str, model: str, price: str) -> dict[str, Any]:
        return {
            "service_id": services[name].id,
            "starts_on": date(2026, 11, 1),
            "price_model": model,
            "price": D(price),
        }

    create_version(
        dbs,
        org,
        {
            "valid_from": date(2026, 11, 1),
            "valid_to": None,
            "invoicing_period": "monthly",
            "services": [
                line("ticket", "per_ticket", "30.00"),
                line("expert", "per_expert_hour", "99.99"),
                line("fixed", "fixed_month", "1300.00"),
                line("users", "per_user_month", "4.00"),
            ],
        },
    )
    dbs.commit()
    contact = make.user("customer_contact", org=org)
    gone = make.user("end_user", org=org)
    dbs.get(User, gone.id).active = False  # deactivated before it was recorded: no month
    for person in (requester, contact, gone):  # accounts of long standing
        dbs.get(User, person.id).created_at = datetime(2025, 1, 1, tzinfo=UTC)
    manager = make.user("account_manager")
    dbs.execute(
        insert(organisation_account_managers), [{"organisation_id": org.id, "user_id": manager.id}]
    )
    dbs.commit()
    admin = make.user("admin")
    f = lambda name, at: _file(client, make, agent, requester, services[name], at)  # noqa: E731
    tickets = {
        "oct_last_second": f("ticket", "2026-10-31T21:59:59Z"),  # 31.10. 23:59:59 Helsinki
        "nov_first_instant": f("ticket", "2026-10-31T22:00:00Z"),  # 1.11. 00:00 Helsinki
        "nov_last_second": f("ticket", "2026-11-30T21:59:59Z"),
        "dec_first_instant": f("ticket", "2026-11-30T22:00:00Z"),
        "cancelled": f("ticket", "2026-11-10T10:00:00Z"),
        "expert": f("expert", "2026-11-05T10:00:00Z"),
    }
    with frozen_now(datetime(2026, 12, 2, 12, tzinfo=UTC)):
        resp = client.patch(
            f"/api/v1/tickets/{tickets['cancelled']}",
            json={"status": "cancelled"},
            headers={**make.auth(agent), "If-Match": "*"},
        )
    assert resp.status_code == 200, resp.get_json()
    t = lambda **body: _time(client, make, agent, tickets["expert"], **body)  # noqa: E731
    entries = {
        "nov_expert": t(minutes=50, expert=True, worked_on="2026-11-05"),
        "nov_plain": t(minutes=30, expert=False, worked_on="2026-11-06"),
        "dec_expert": t(minutes=10, expert=True, worked_on="2026-12-01"),
    }
    return World(client, make, agent, org, contact, manager, admin, services, tickets, entries)


def _lines(body: dict[str, Any]) -> dict[tuple[int, int], dict[str, Any]]:
    return {(line["version_no"], line["service_id"]): line for line in body["lines"]}


def test_a_month_statement_is_itemised_traceable_and_exact(world: World) -> None:
    resp = world.statement(world.contact, "2026-11")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert (body["period"], body["starts_on"], body["ends_on"]) == (
        "2026-11",
        "2026-11-01",
        "2026-11-30",
    )
    assert [v["version_no"] for v in body["versions"]] == [2]
    lines = _lines(body)
    s, tk = world.services, world.tickets
    ticket_line = lines[(2, s["ticket"].id)]
    assert ticket_line["ticket_ids"] == sorted([tk["nov_first_instant"], tk["nov_last_second"]])
    assert (ticket_line["unit_price"], ticket_line["quantity"], ticket_line["amount"]) == (
        "30.00",
        "2",
        "60.00",
    )
    hours = lines[(2, s["expert"].id)]
    assert hours["time_entry_ids"] == [world.entries["nov_expert"]]
    assert hours["minutes"] == 50 and hours["quantity"] == "0.8333"
    assert hours["amount"] == "83.33"  # 99.99 x 50 / 60 = 83.325, half-up
    assert hours["ticket_ids"] == [tk["expert"]]
    assert lines[(2, s["fixed"].id)]["amount"] == "1300.00"
    users = lines[(2, s["users"].id)]
    # The requester and the contact; the deactivated end user and the staff do not count.
    assert len(users["user_ids"]) == 2 and world.contact.id in users["user_ids"]
    assert (users["quantity"], users["amount"], users["months"]) == ("2", "8.00", ["2026-11"])
    assert body["total"] == "1451.33"
    assert D(body["total"]) == sum(D(line["amount"]) for line in body["lines"])


def test_a_quarter_takes_each_versions_prices_for_its_own_days(world: World) -> None:
    body = world.statement(world.admin, "2026-Q4").get_json()
    assert [v["version_no"] for v in body["versions"]] == [1, 2]
    lines = _lines(body)
    s, tk = world.services, world.tickets
    assert lines[(1, s["ticket"].id)]["ticket_ids"] == [tk["oct_last_second"]]
    assert lines[(1, s["ticket"].id)]["amount"] == "25.00"
    assert lines[(2, s["ticket"].id)]["quantity"] == "3"  # + 1.12. 00:00 Helsinki
    assert lines[(2, s["ticket"].id)]["amount"] == "90.00"
    assert lines[(1, s["fixed"].id)]["months"] == ["2026-10"]
    assert lines[(2, s["fixed"].id)]["months"] == ["2026-11", "2026-12"]
    assert lines[(2, s["expert"].id)]["minutes"] == 60
    assert lines[(2, s["expert"].id)]["amount"] == "99.99"
    assert lines[(1, s["expert"].id)]["amount"] == "0.00"
    # v1: 25 + 0 + 1200 + 2 x 3.50 (Oct) = 1232.00
    # v2: 90 + 99.99 + 2 x 1300 + 2 x 2 x 4.00 (Nov, Dec) = 2805.99
    assert body["total"] == "4037.99"
    assert D(body["total"]) == sum(D(line["amount"]) for line in body["lines"])


def test_each_month_charges_the_accounts_it_had(world: World, make: Any, dbs: Any) -> None:
    """An account created on 15 November counts in November and December, not October; one
    deactivated through the API on 10 December counts through December, and in no later
    month; reactivated, it counts again."""
    newcomer = make.user("end_user", org=world.org)
    dbs.get(User, newcomer.id).created_at = datetime(2026, 11, 15, 8, tzinfo=UTC)
    leaver = make.user("end_user", org=world.org)
    dbs.get(User, leaver.id).created_at = datetime(2025, 1, 1, tzinfo=UTC)
    dbs.commit()
    admin, url = world.make.auth(world.admin), f"/api/v1/users/{leaver.id}"
    with frozen_now(datetime(2026, 12, 10, 12, tzinfo=UTC)):
        resp = world.client.patch(url, json={"active": False}, headers=admin)
    assert resp.status_code == 200, resp.get_json()
    lines = _lines(world.statement(world.admin, "2026-Q4").get_json())
    october = lines[(1, world.services["users"].id)]
    assert october["users_per_month"] == [3]  # requester, contact, leaver
    assert newcomer.id not in october["user_ids"] and leaver.id in october["user_ids"]
    later = lines[(2, world.services["users"].id)]
    assert later["months"] == ["2026-11", "2026-12"]
    assert later["users_per_month"] == [4, 4]  # + the newcomer
    assert (later["quantity"], later["amount"]) == ("8", "32.00")
    january = _lines(world.statement(world.admin, "2027-01").get_json())
    assert january[(2, world.services["users"].id)]["users_per_month"] == [3]  # leaver gone
    back = world.client.patch(url, json={"active": True}, headers=admin)
    assert back.status_code == 200, back.get_json()
    january = _lines(world.statement(world.admin, "2027-01").get_json())
    assert january[(2, world.services["users"].id)]["users_per_month"] == [4]


def test_who_sees_a_statement(world: World, make: Any) -> None:
    for who in (world.admin, world.manager, world.contact):
        assert world.statement(who, "2026-11").status_code == 200
    other_org = make.org()
    other_contact = make.user("customer_contact", org=other_org)
    other_manager = make.user("account_manager")
    assert_error(world.statement(other_contact, "2026-11"), 404)
    assert_error(world.statement(other_manager, "2026-11"), 404)
    assert_error(world.statement(world.contact, "2026-11", org_id=other_org.id), 404)
    assert_error(world.statement(world.admin, "2026-11", org_id=999999), 404)
    end_user = make.user("end_user", org=world.org)
    for who in (end_user, world.agent):
        assert_error(world.statement(who, "2026-11"), 403)


@pytest.mark.parametrize(
    "period", ["2026-13", "2026-Q5", "11-2026", "", "2026-11-01", "9999-12", "0001-01"]
)
def test_a_bad_period_is_422(world: World, period: str) -> None:
    error = assert_error(world.statement(world.admin, period), 422)
    assert "period" in str(error["details"])


def test_the_statement_is_documented(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/organisations/{organisation_id}/statements"]["get"]
    assert {"200", "403", "404", "422"} <= set(operation["responses"])
    assert "/api/v1/tickets/{ticket_id}/time-entries" in spec["paths"]


def test_another_organisations_tickets_and_users_count_only_on_its_own_statement(
    world: World, make: Any
) -> None:
    other = make.org()  # the factory's agreement: every service per_ticket 25.00 since 2020
    other_user = make.user("end_user", org=other)
    theirs = _file(
        world.client,
        make,
        world.agent,
        other_user,
        world.services["ticket"],
        "2026-11-12T08:00:00Z",
    )
    assert world.statement(world.admin, "2026-11").get_json()["total"] == "1451.33"
    body = world.statement(world.admin, "2026-11", org_id=other.id).get_json()
    lines = {line["service_id"]: line for line in body["lines"]}
    assert lines[world.services["ticket"].id]["ticket_ids"] == [theirs]
    assert body["total"] == "25.00"


def test_a_period_before_any_agreement_has_no_lines(world: World) -> None:
    body = world.statement(world.contact, "2019-12").get_json()
    assert (body["versions"], body["lines"], body["total"]) == ([], [], "0.00")
