"""Transition plans through the API: the worked example of a slipped training moving the
go-live and the service's start (and with it the gate), who sees and changes a plan, and the
plans and moves the rules refuse."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from catalog.agreements.models import AgreementEvent
from servicedesk.db import frozen_now
from tests.api.helpers import assert_error
from tests.conftest import Factory

#: Today in these tests: Monday 30 November 2026, noon in Helsinki.
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)

WORKED_PLAN = [
    {"kind": "data_migration", "name": "Tietojen siirto", "planned_on": "2027-01-10"},
    {"kind": "training", "name": "Pääkäyttäjäkoulutus", "planned_on": "2027-02-01"},
    {"kind": "go_live", "name": "Käyttöönotto", "planned_on": "2027-03-01"},
]


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    with frozen_now(NOW):
        yield


@pytest.fixture
def world(client: FlaskClient, make: Factory) -> dict[str, Any]:
    """An organisation whose agreement (in force, signed) starts the new service Primus on
    2027-03-01, its account manager and contact, and a second organisation."""
    agent = make.user("agent", provider="ICT")
    make.group("ICT", members=(agent,), is_triage=True)
    group = make.group("ICT", members=(agent,))
    service = make.service("ICT", group=group, code="APP-PRIMUS", name_fi="Primus")
    started = make.service("ICT", group=group, code="APP-WILMA", name_fi="Wilma")
    org = make.org(entitled=False)
    version = signed_agreement(make, org, {service.id: "2027-03-01", started.id: "2020-01-01"})
    admin = make.auth(make.user("admin"))
    manager = make.user("account_manager")
    assert (
        client.put(
            f"/api/v1/organisations/{org.id}/account-managers",
            json={"user_ids": [manager.id]},
            headers=admin,
        ).status_code
        == 200
    )
    other = make.org()
    world = {
        "org_id": org.id,
        "service_id": service.id,
        "started_id": started.id,
        "version_id": version.id,
        "admin": admin,
        "manager": make.auth(manager),
        "contact": make.auth(make.user("customer_contact", org=org)),
        "other_contact": make.auth(make.user("customer_contact", org=other)),
        "end_user": make.auth(make.user("end_user", org=org)),
        "agent": make.auth(agent),
        "stranger_manager": make.auth(make.user("account_manager")),
    }
    make.sess.rollback()  # hold no read lock: SQLite's next writer is the app
    return world


def signed_agreement(make: Factory, org: Any, starts: dict[int, str]) -> Any:
    """Registered shares and a signed, open-ended agreement whose services start as given."""
    from catalog.agreements.operations import create_version
    from catalog.ownership.operations import subscribe, update_subscription

    sub = subscribe(make.sess, org, date(2015, 1, 1))
    update_subscription(
        make.sess, sub, {"paid_on": date(2015, 2, 1), "registered_on": date(2015, 3, 1)}
    )
    lines = [
        {
            "service_id": service_id,
            "starts_on": date.fromisoformat(day),
            "price_model": "per_ticket",
            "price": Decimal("25.00"),
        }
        for service_id, day in starts.items()
    ]
    data = {"valid_from": date(2020, 1, 1), "valid_to": None, "services": lines, "promises": []}
    version = create_version(make.sess, org, data)
    make.sess.commit()
    return version


def plan_url(w: dict[str, Any], service_id: int | None = None) -> str:
    service_id = service_id or w["service_id"]
    return f"/api/v1/agreements/{w['version_id']}/services/{service_id}/transition-plan"


def put_plan(client: FlaskClient, w: dict[str, Any], headers: Any = None, plan: Any = None) -> Any:
    return client.put(
        plan_url(w), json={"milestones": plan or WORKED_PLAN}, headers=headers or w["manager"]
    )


def read_plan(client: FlaskClient, w: dict[str, Any], who: str = "admin") -> Any:
    return client.get(f"/api/v1/agreements/{w['version_id']}/transition-plan", headers=w[who])


def line_of(plan: dict[str, Any], service_id: int) -> dict[str, Any]:
    (line,) = [s for s in plan["services"] if s["service_id"] == service_id]
    return line


def entitlement(client: FlaskClient, w: dict[str, Any], at: str) -> dict[str, Any]:
    url = f"/api/v1/organisations/{w['org_id']}/entitlement?service_id={w['service_id']}&at={at}"
    return client.get(url, headers=w["admin"]).get_json()


def events(dbs: Any, kind: str) -> list[dict[str, Any]]:
    """The agreement events of `kind`, oldest first (the read ends its transaction, so
    that SQLite's next writer is not kept waiting)."""
    dbs.expire_all()
    found = [
        e.data
        for e in dbs.scalars(
            select(AgreementEvent).where(AgreementEvent.kind == kind).order_by(AgreementEvent.id)
        )
    ]
    dbs.rollback()
    return found


def test_the_account_manager_sets_the_worked_plan_and_everyone_reads_its_status(client, world, dbs):
    resp = put_plan(client, world)
    assert resp.status_code == 200, resp.get_json()
    line = resp.get_json()
    assert line["starts_on"] == "2027-03-01"
    assert line["started"] is False
    assert [(m["kind"], m["planned_on"], m["status"]) for m in line["milestones"]] == [
        ("data_migration", "2027-01-10", "planned"),
        ("training", "2027-02-01", "planned"),
        ("go_live", "2027-03-01", "planned"),
    ]
    assert [m["position"] for m in line["milestones"]] == [0, 1, 2]
    (event,) = events(dbs, "plan_set")
    assert event["service_id"] == world["service_id"]
    assert [m["planned_on"] for m in event["milestones"]] == [
        "2027-01-10",
        "2027-02-01",
        "2027-03-01",
    ]
    assert events(dbs, "start_moved") == []  # the go-live was already the start
    for who in ("admin", "manager", "contact", "agent"):
        body = read_plan(client, world, who)
        assert body.status_code == 200, (who, body.get_json())
        plan = body.get_json()
        assert plan["today"] == "2026-11-30"
        assert plan["state"] == "signed"
        primus = line_of(plan, world["service_id"])
        assert (primus["code"], primus["name_fi"]) == ("APP-PRIMUS", "Primus")
        assert [m["name"] for m in primus["milestones"]] == [m["name"] for m in WORKED_PLAN]
        wilma = line_of(plan, world["started_id"])
        assert (wilma["started"], wilma["milestones"]) == (True, [])


def test_a_slipped_training_moves_the_go_live_the_start_and_the_gate(client, world, dbs):
    milestones = put_plan(client, world).get_json()["milestones"]
    # Before the slip, the service is served from 2027-03-01 (and the gate caches that).
    assert entitlement(client, world, "2027-03-05T10:00:00Z")["entitled"] is True

    resp = client.patch(
        f"/api/v1/transition-milestones/{milestones[1]['id']}",
        json={"planned_on": "2027-02-15"},
        headers=world["manager"],
    )
    assert resp.status_code == 200, resp.get_json()
    line = resp.get_json()
    assert [m["planned_on"] for m in line["milestones"]] == [
        "2027-01-10",
        "2027-02-15",
        "2027-03-15",
    ]
    assert line["starts_on"] == "2027-03-15"

    moved = events(dbs, "milestone_moved")
    assert [(e["name"], e["old_planned_on"], e["new_planned_on"]) for e in moved] == [
        ("Pääkäyttäjäkoulutus", "2027-02-01", "2027-02-15"),
        ("Käyttöönotto", "2027-03-01", "2027-03-15"),
    ]
    assert moved[1]["moved_with"] == milestones[1]["id"]
    assert events(dbs, "start_moved") == [
        {
            "service_id": world["service_id"],
            "service_code": "APP-PRIMUS",
            "old_starts_on": "2027-03-01",
            "new_starts_on": "2027-03-15",
        }
    ]

    refused = entitlement(client, world, "2027-03-05T10:00:00Z")
    assert (refused["entitled"], refused["reason"], refused["starts_on"]) == (
        False,
        "service_not_started",
        "2027-03-15",
    )
    # 22:00 UTC on the 14th is midnight of the 15th in Helsinki: served from then on.
    assert entitlement(client, world, "2027-03-14T21:59:00Z")["entitled"] is False
    assert entitlement(client, world, "2027-03-14T22:00:00Z")["entitled"] is True
    assert entitlement(client, world, "2027-03-15T10:00:00Z")["entitled"] is True
    version = client.get(f"/api/v1/agreements/{world['version_id']}", headers=world["admin"])
    (primus,) = [
        s for s in version.get_json()["services"] if s["service_id"] == world["service_id"]
    ]
    assert primus["starts_on"] == "2027-03-15"


def test_a_ticket_for_the_slipped_service_is_refused_until_its_new_start(client, world, make):
    milestones = put_plan(client, world).get_json()["milestones"]
    client.patch(
        f"/api/v1/transition-milestones/{milestones[1]['id']}",
        json={"planned_on": "2027-02-15"},
        headers=world["admin"],
    )
    requester = world["end_user"]
    body = {"title": "Primus ei aukea", "description": "x", "service_id": world["service_id"]}
    with frozen_now(datetime(2027, 3, 5, 10, 0, tzinfo=UTC)):
        err = assert_error(client.post("/api/v1/tickets", json=body, headers=requester), 403)
        assert err["details"] == {"reason": "service_not_started", "starts_on": "2027-03-15"}
    with frozen_now(datetime(2027, 3, 15, 10, 0, tzinfo=UTC)):
        assert client.post("/api/v1/tickets", json=body, headers=requester).status_code == 201


def test_moving_the_go_live_earlier_moves_only_it_and_the_start(client, world, dbs):
    milestones = put_plan(client, world).get_json()["milestones"]
    resp = client.patch(
        f"/api/v1/transition-milestones/{milestones[2]['id']}",
        json={"planned_on": "2027-02-20"},
        headers=world["manager"],
    )
    assert resp.status_code == 200, resp.get_json()
    assert [m["planned_on"] for m in resp.get_json()["milestones"]] == [
        "2027-01-10",
        "2027-02-01",
        "2027-02-20",
    ]
    assert events(dbs, "start_moved")[-1]["new_starts_on"] == "2027-02-20"


def test_moving_a_milestone_before_the_one_before_it_is_refused_and_changes_nothing(
    client, world, dbs
):
    milestones = put_plan(client, world).get_json()["milestones"]
    resp = client.patch(
        f"/api/v1/transition-milestones/{milestones[1]['id']}",
        json={"planned_on": "2027-01-09"},
        headers=world["manager"],
    )
    err = assert_error(resp, 422, "validation_error")
    assert list(err["details"]["fields"]) == ["planned_on"]
    assert events(dbs, "milestone_moved") == []
    line = line_of(read_plan(client, world).get_json(), world["service_id"])
    assert [m["planned_on"] for m in line["milestones"]] == [
        "2027-01-10",
        "2027-02-01",
        "2027-03-01",
    ]


def test_a_milestone_is_marked_done_and_late_ones_show_late(client, world, dbs):
    plan = [
        {"kind": "data_migration", "name": "Tietojen siirto", "planned_on": "2026-11-20"},
        {"kind": "training", "name": "Koulutus", "planned_on": "2026-11-25"},
        {"kind": "go_live", "name": "Käyttöönotto", "planned_on": "2027-03-01"},
    ]
    milestones = put_plan(client, world, plan=plan).get_json()["milestones"]
    assert [m["status"] for m in milestones] == ["late", "late", "planned"]
    resp = client.patch(
        f"/api/v1/transition-milestones/{milestones[0]['id']}",
        json={"done_on": "2026-11-27"},
        headers=world["manager"],
    )
    assert resp.status_code == 200, resp.get_json()
    assert [m["status"] for m in resp.get_json()["milestones"]] == ["done", "late", "planned"]
    (done,) = events(dbs, "milestone_done")
    assert (done["name"], done["done_on"], done["late"]) == ("Tietojen siirto", "2026-11-27", True)
    future = client.patch(
        f"/api/v1/transition-milestones/{milestones[1]['id']}",
        json={"done_on": "2026-12-01"},
        headers=world["manager"],
    )
    assert list(assert_error(future, 422)["details"]["fields"]) == ["done_on"]
    undone = client.patch(
        f"/api/v1/transition-milestones/{milestones[0]['id']}",
        json={"done_on": None},
        headers=world["admin"],
    )
    assert [m["status"] for m in undone.get_json()["milestones"]] == ["late", "late", "planned"]
    assert len(events(dbs, "milestone_undone")) == 1


def test_a_service_already_started_refuses_a_move_of_its_start_with_409(client, world, dbs):
    url = plan_url(world, world["started_id"])
    resp = client.put(url, json={"milestones": WORKED_PLAN}, headers=world["manager"])
    assert_error(resp, 409, "service_started")
    assert events(dbs, "plan_set") == []
    # Its plan can still be recorded as it happened: the start stays where it was.
    history = [
        {
            "kind": "training",
            "name": "Koulutus",
            "planned_on": "2019-12-01",
            "done_on": "2019-12-02",
        },
        {"kind": "go_live", "name": "Käyttöönotto", "planned_on": "2020-01-01"},
    ]
    resp = client.put(url, json={"milestones": history}, headers=world["manager"])
    assert resp.status_code == 200, resp.get_json()
    go_live = resp.get_json()["milestones"][1]
    # The go-live (not marked done) cannot slip: the service started on 2020-01-01.
    moved = client.patch(
        f"/api/v1/transition-milestones/{go_live['id']}",
        json={"planned_on": "2027-01-01"},
        headers=world["manager"],
    )
    assert_error(moved, 409, "service_started")
    assert events(dbs, "start_moved") == []


def test_a_service_that_started_since_the_plan_refuses_the_slip(client, world):
    milestones = put_plan(client, world).get_json()["milestones"]
    with frozen_now(datetime(2027, 3, 2, 10, 0, tzinfo=UTC)):
        resp = client.patch(
            f"/api/v1/transition-milestones/{milestones[2]['id']}",
            json={"planned_on": "2027-03-20"},
            headers=world["manager"],
        )
        assert_error(resp, 409, "service_started")


def test_an_agreement_in_force_cannot_start_a_service_today_by_its_plan(client, world):
    plan = [{"kind": "go_live", "name": "Käyttöönotto", "planned_on": "2026-11-30"}]
    err = assert_error(put_plan(client, world, plan=plan), 422, "validation_error")
    assert list(err["details"]["fields"]) == ["milestones.0.planned_on"]


@pytest.mark.parametrize(
    ("plan", "field"),
    [
        (WORKED_PLAN[:2], "milestones"),
        ([WORKED_PLAN[0], WORKED_PLAN[2], WORKED_PLAN[1]], "milestones.1.kind"),
        ([WORKED_PLAN[1], WORKED_PLAN[0], WORKED_PLAN[2]], "milestones.1.planned_on"),
        ([WORKED_PLAN[2], WORKED_PLAN[2]], "milestones.1.kind"),
    ],
    ids=["no_go_live", "go_live_not_last", "dates_backwards", "two_go_lives"],
)
def test_an_invalid_plan_is_refused_with_422_and_its_field(client, world, dbs, plan, field):
    err = assert_error(put_plan(client, world, plan=plan), 422, "validation_error")
    assert field in err["details"]["fields"], err
    assert events(dbs, "plan_set") == []


def test_a_go_live_after_the_agreement_ends_is_refused(client, world):
    resp = client.patch(
        f"/api/v1/agreements/{world['version_id']}",
        json={"valid_to": "2027-12-31"},
        headers=world["admin"],
    )
    assert resp.status_code == 200, resp.get_json()
    plan = [*WORKED_PLAN[:2], {**WORKED_PLAN[2], "planned_on": "2028-01-10"}]
    err = assert_error(put_plan(client, world, plan=plan), 422, "validation_error")
    assert list(err["details"]["fields"]) == ["milestones.2.planned_on"]
    milestones = put_plan(client, world).get_json()["milestones"]
    slip = client.patch(
        f"/api/v1/transition-milestones/{milestones[0]['id']}",
        json={"planned_on": "2027-12-01"},
        headers=world["admin"],
    )
    assert list(assert_error(slip, 422)["details"]["fields"]) == ["planned_on"]


def test_a_bad_milestone_kind_is_a_422(client, world):
    plan = [{"kind": "party", "name": "Juhlat", "planned_on": "2027-03-01"}]
    assert_error(put_plan(client, world, plan=plan), 422)


def test_an_empty_patch_is_a_422(client, world):
    milestones = put_plan(client, world).get_json()["milestones"]
    resp = client.patch(
        f"/api/v1/transition-milestones/{milestones[0]['id']}", json={}, headers=world["admin"]
    )
    assert_error(resp, 422)


def test_another_organisations_contact_gets_404_and_an_end_user_403(client, world):
    milestones = put_plan(client, world).get_json()["milestones"]
    assert_error(read_plan(client, world, "other_contact"), 404, "not_found")
    assert_error(read_plan(client, world, "stranger_manager"), 404, "not_found")
    assert_error(read_plan(client, world, "end_user"), 403, "forbidden")
    url = f"/api/v1/transition-milestones/{milestones[0]['id']}"
    change = {"planned_on": "2027-01-20"}
    assert_error(client.patch(url, json=change, headers=world["other_contact"]), 404)
    assert_error(client.patch(url, json=change, headers=world["stranger_manager"]), 404)
    assert_error(put_plan(client, world, headers=world["other_contact"]), 404)


@pytest.mark.parametrize("who", ["contact", "agent", "end_user"])
def test_only_an_admin_or_the_account_manager_changes_a_plan(client, world, who, dbs):
    milestones = put_plan(client, world).get_json()["milestones"]
    assert_error(put_plan(client, world, headers=world[who]), 403, "forbidden")
    resp = client.patch(
        f"/api/v1/transition-milestones/{milestones[0]['id']}",
        json={"planned_on": "2027-01-20"},
        headers=world[who],
    )
    assert_error(resp, 403, "forbidden")
    assert events(dbs, "milestone_moved") == []
    assert put_plan(client, world, headers=world["admin"]).status_code == 200


def test_unknown_ids_answer_404(client, world):
    admin = world["admin"]
    assert_error(client.get("/api/v1/agreements/999999/transition-plan", headers=admin), 404)
    resp = client.put(
        f"/api/v1/agreements/{world['version_id']}/services/999999/transition-plan",
        json={"milestones": WORKED_PLAN},
        headers=admin,
    )
    assert_error(resp, 404)
    resp = client.patch(
        "/api/v1/transition-milestones/999999", json={"done_on": None}, headers=admin
    )
    assert_error(resp, 404)


def test_a_plan_needs_a_login(client, world):
    assert_error(client.get(f"/api/v1/agreements/{world['version_id']}/transition-plan"), 401)


def test_a_plan_change_in_a_proposal_clears_the_customers_acceptance(client, world, make, dbs):
    from catalog.agreements import cycle
    from catalog.agreements.models import AgreementVersion
    from catalog.organisations.models import Organisation

    org = dbs.get(Organisation, world["org_id"])
    version = dbs.get(AgreementVersion, world["version_id"])
    version.valid_to = datetime(2026, 12, 31).date()
    dbs.commit()
    admin_user = make.user("admin")
    draft = cycle.new_draft(dbs, admin_user, version)
    cycle.propose(dbs, admin_user, draft)
    contact_user = make.user("customer_contact", org=org)
    cycle.accept(dbs, contact_user, draft)
    dbs.commit()
    url = f"/api/v1/agreements/{draft.id}/services/{world['service_id']}/transition-plan"
    resp = client.put(url, json={"milestones": WORKED_PLAN}, headers=world["manager"])
    assert resp.status_code == 200, resp.get_json()
    dbs.expire_all()
    assert dbs.get(AgreementVersion, draft.id).accepted_at is None
    assert [e["fields"] for e in events(dbs, "edited")] == [["transition_plan"]]


@pytest.mark.postgres
def test_two_slips_of_one_plan_at_once_end_as_if_one_came_after_the_other(app, client, world):
    milestones = put_plan(client, world).get_json()["milestones"]
    barrier = threading.Barrier(2)

    def slip(milestone_id: int, day: str) -> int:
        with frozen_now(NOW):
            barrier.wait()
            return (
                app.test_client()
                .patch(
                    f"/api/v1/transition-milestones/{milestone_id}",
                    json={"planned_on": day},
                    headers=world["manager"],
                )
                .status_code
            )

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(slip, milestones[0]["id"], "2027-01-20")
        second = pool.submit(slip, milestones[1]["id"], "2027-02-06")
        assert (first.result(), second.result()) == (200, 200)
    line = line_of(read_plan(client, world).get_json(), world["service_id"])
    dates = [m["planned_on"] for m in line["milestones"]]
    assert dates in (
        ["2027-01-20", "2027-02-06", "2027-03-11"],  # the first slip, then the second
        ["2027-01-20", "2027-02-16", "2027-03-16"],  # the second, then the first
    )
    assert line["starts_on"] == dates[-1]


def test_an_agreement_change_keeps_the_plans_and_their_start_follows_the_go_live(client, world):
    put_plan(client, world)
    url = f"/api/v1/agreements/{world['version_id']}"
    lines = client.get(url, headers=world["admin"]).get_json()["services"]
    cheaper = [{**line, "price": "20.00"} for line in lines]
    resp = client.patch(url, json={"services": cheaper}, headers=world["admin"])
    assert resp.status_code == 200, resp.get_json()
    assert {line["price"] for line in resp.get_json()["services"]} == {"20.00"}
    primus = line_of(read_plan(client, world).get_json(), world["service_id"])
    assert [m["kind"] for m in primus["milestones"]] == ["data_migration", "training", "go_live"]

    moved = [
        {**line, "starts_on": "2027-04-01"} if line["service_id"] == world["service_id"] else line
        for line in cheaper
    ]
    err = assert_error(client.patch(url, json={"services": moved}, headers=world["admin"]), 422)
    (field,) = err["details"]["fields"]
    assert field.endswith(".starts_on")
    assert line_of(read_plan(client, world).get_json(), world["service_id"])["starts_on"] == (
        "2027-03-01"
    )
