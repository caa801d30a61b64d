"""The service-level report over the API: figures at month boundaries (checked against a
recomputation from SLA.md's definition), who sees what, bad periods, and flat statements."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, insert, update

from catalog.organisations.models import organisation_account_managers
from catalog.suppliers.models import Supplier, UnderpinningContract
from servicedesk import db
from servicedesk.escalations.models import Escalation
from servicedesk.tickets.models import Ticket
from tests.api.helpers import assert_error
from tests.reports.world import World, iso, local

NOW = datetime(2026, 12, 15, 10, tzinfo=UTC)
URL = "/api/v1/reports/service-level"


def get(client: Any, headers: dict[str, str], **query: Any) -> Any:
    with db.frozen_now(NOW):
        return client.get(URL, query_string=query, headers=headers)


def test_november_at_its_boundaries(client: Any, make: Any, world: World) -> None:
    w = world
    t1 = w.ticket(client, local(2026, 11, 2, 9))
    t2 = w.ticket(client, local(2026, 11, 30, 20))
    t3 = w.ticket(client, local(2026, 10, 31, 23, 30))  # Saturday night: October, locally
    # Met at 23:59:59 on the last day: November. Breached at 00:00 on 1 December: December.
    w.clock(
        t1,
        "response",
        w.p1,
        "met",
        local(2026, 11, 2, 9),
        due=local(2026, 12, 1),
        stopped=local(2026, 11, 30, 23, 59, 59),
    )
    w.clock(
        t2,
        "response",
        w.p1,
        "breached",
        local(2026, 11, 30, 20),
        due=local(2026, 11, 30, 21),
        breach=local(2026, 11, 30, 21),
        stopped=local(2026, 12, 1, 0, 0, 0),
    )
    # Still running, cached before its due instant, due in November: breached in November.
    running = w.clock(
        t2, "resolution", w.p1, "running", local(2026, 11, 30, 20), due=local(2026, 11, 30, 23)
    )
    # Running and breached on 1 November 00:00 local (31 Oct 22:00 UTC): November.
    w.clock(
        t3,
        "resolution",
        w.p3,
        "breached",
        local(2026, 10, 31, 23, 30),
        due=local(2026, 11, 1),
        breach=local(2026, 11, 1),
    )
    # Cancelled in November: nowhere (one of them as "no promise", counted apart).
    # Met on 31 October 23:59:59 local: October.
    w.clock(
        t3,
        "update",
        w.p3,
        "cancelled",
        local(2026, 11, 3),
        due=local(2026, 11, 4),
        stopped=local(2026, 11, 5),
    )
    w.clock(
        t2,
        "update",
        w.p1,
        "cancelled",
        local(2026, 11, 30, 20),
        due=local(2026, 12, 4),
        stopped=local(2026, 11, 30, 21),
        why="no promise for P4",
    )
    w.clock(
        t3,
        "response",
        w.p3,
        "met",
        local(2026, 10, 31, 23, 30),
        due=local(2026, 11, 2),
        stopped=local(2026, 10, 31, 23, 59, 59),
    )
    sess = w.sess
    sess.execute(
        update(Ticket)
        .where(Ticket.id == t1)
        .values(rating=2, rating_comment="<b>hidas</b>", rated_at=local(2026, 11, 30, 23, 0))
    )
    sess.execute(
        update(Ticket).where(Ticket.id == t3).values(rating=5, rated_at=local(2026, 11, 1, 0, 0))
    )
    sess.commit()

    admin = make.auth(make.user("admin"))
    resp = get(client, admin, organisation_id=w.org.id, period="2026-11")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["period"]["start"] == "2026-10-31T22:00:00Z"
    cells = {(c["line"]["promise_id"], c["kind"]): c for c in body["lines"]}
    assert set(cells) == {(w.p1.id, "response"), (w.p1.id, "resolution"), (w.p3.id, "resolution")}
    assert (cells[w.p1.id, "response"]["met"], cells[w.p1.id, "response"]["breached"]) == (1, 0)
    assert cells[w.p1.id, "response"]["compliance_percent"] == "100.00"
    assert cells[w.p1.id, "response"]["target_percent"] == "90.00"
    assert cells[w.p1.id, "response"]["passed"] is True
    assert cells[w.p1.id, "resolution"]["breached"] == 1
    assert cells[w.p3.id, "resolution"]["passed"] is False
    assert cells[w.p3.id, "resolution"]["line"]["family"] == "application"
    assert body["overall"]["resolution"] == {"met": 0, "breached": 2, "compliance_percent": "0.00"}
    breaches = body["breaches"]
    assert [(b["ticket"]["id"], b["kind"], b["counted_at"], b["stopped"]) for b in breaches] == [
        (t3, "resolution", "2026-10-31T22:00:00Z", False),
        (t2, "resolution", "2026-11-30T21:00:00Z", False),
    ]
    assert next(b for b in breaches if b["clock_id"] == running)["desk_seconds"] is not None
    assert body["received"] == 2 and body["volumes"]["channel"][0]["count"] == 2
    assert body["satisfaction"]["rated"] == 2 and body["satisfaction"]["average"] == "3.50"
    assert [r["comment"] for r in body["satisfaction"]["low"]] == ["<b>hidas</b>"]
    assert body["ended_by_priority_change"] == {"update": 1}
    trend = {m["month"]: m for m in body["trend"]}
    assert len(body["trend"]) == 12 and body["trend"][-1]["month"] == "2026-11"
    assert (trend["2026-10"]["met"], trend["2026-10"]["received"]) == (1, 1)
    assert (trend["2026-11"]["met"], trend["2026-11"]["breached"]) == (1, 2)

    december = get(client, admin, organisation_id=w.org.id, period="2026-12").get_json()
    assert december["overall"]["response"] == {
        "met": 0,
        "breached": 1,
        "compliance_percent": "0.00",
    }
    same = get(
        client, admin, organisation_id=w.org.id, **{"from": "2026-11-01", "to": "2026-11-30"}
    ).get_json()
    assert same["lines"] == body["lines"] and same["period"]["label"] == "2026-11-01..2026-11-30"


def _contract(sess: Any, name: str, cal: Any) -> UnderpinningContract:
    from datetime import date

    supplier = Supplier(name=name, contact_email=f"{name.lower()}@example.fi")
    sess.add(supplier)
    sess.flush()
    contract = UnderpinningContract(
        supplier_id=supplier.id, name=f"{name} UC", valid_from=date(2020, 1, 1), calendar_id=cal.id
    )
    sess.add(contract)
    sess.commit()
    return contract


def test_who_sees_what(client: Any, make: Any, world: World) -> None:
    w, sess = world, world.sess
    tid = w.ticket(client, local(2026, 11, 10))
    ours = _contract(sess, "Tieto", w.cal)
    theirs = _contract(sess, "Visma", w.cal)
    leg = Escalation(
        ticket_id=tid,
        supplier_id=ours.supplier_id,
        contract_id=ours.id,
        note="n",
        escalated_by_id=w.desk["agent"].id,
        escalated_at=local(2026, 11, 10, 1),
    )
    sess.add(leg)
    sess.commit()
    w.clock(
        tid,
        "supplier_response",
        None,
        "breached",
        local(2026, 11, 10, 1),
        leg=leg.id,
        due=local(2026, 11, 10, 2),
        breach=local(2026, 11, 10, 2),
        stopped=local(2026, 11, 10, 3),
    )
    w.clock(
        tid,
        "response",
        w.p1,
        "met",
        local(2026, 11, 10),
        due=local(2026, 11, 10, 1),
        stopped=local(2026, 11, 10, 0, 30),
    )

    other = make.org()
    manager = make.user("account_manager")
    sess.execute(
        insert(organisation_account_managers),
        [{"organisation_id": w.org.id, "user_id": manager.id}],
    )
    sess.commit()
    as_manager = make.auth(manager)
    contact = make.auth(make.user("customer_contact", org=w.org))
    foreign_contact = make.auth(make.user("customer_contact", org=other))
    supplier_agent = make.user("supplier_agent", supplier_id=ours.supplier_id)
    as_supplier = make.auth(supplier_agent)

    body = get(client, as_manager, organisation_id=w.org.id, period="2026-11").get_json()
    assert body["supplier_compliance"][0]["contract"]["id"] == ours.id
    assert body["supplier_compliance"][0]["breached"] == 1
    own = get(client, contact, organisation_id=w.org.id, period="2026-11")
    assert own.status_code == 200 and own.get_json()["supplier_compliance"] is None
    for headers, org_id in [
        (as_manager, other.id),
        (foreign_contact, w.org.id),
        (as_supplier, w.org.id),
        (w.headers, w.org.id),
        (make.auth(make.user("admin")), 999999),
    ]:
        assert_error(get(client, headers, organisation_id=org_id, period="2026-11"), 404)
    assert_error(
        get(client, make.auth(w.desk["agent"]), organisation_id=w.org.id, period="2026-11"), 403
    )

    def supplier_report(headers: dict[str, str], contract_id: int) -> Any:
        with db.frozen_now(NOW):
            return client.get(
                "/api/v1/reports/supplier-compliance",
                headers=headers,
                query_string={"contract_id": contract_id, "period": "2026-Q4"},
            )

    mine = supplier_report(as_supplier, ours.id)
    assert mine.status_code == 200
    assert [(k["kind"], k["met"], k["breached"]) for k in mine.get_json()["kinds"]] == [
        ("supplier_response", 0, 1)
    ]
    assert_error(supplier_report(as_supplier, theirs.id), 404)
    assert_error(supplier_report(contact, ours.id), 404)
    assert supplier_report(as_manager, theirs.id).get_json()["kinds"] == []


@pytest.mark.parametrize(
    "query",
    [
        {"period": "2026-13"},
        {"period": "november"},
        {},
        {"period": "2026-11", "from": "2026-11-01", "to": "2026-11-30"},
        {"from": "2026-11-01"},
        {"from": "2026-11-30", "to": "2026-11-01"},
        {"from": "2026-02-30", "to": "2026-03-01"},
        {"period": "2026-Q0"},
    ],
)
def test_bad_periods_are_422_in_the_envelope(
    client: Any, make: Any, world: World, query: dict[str, str]
) -> None:
    admin = make.auth(make.user("admin"))
    assert_error(get(client, admin, organisation_id=world.org.id, **query), 422)


def test_statements_do_not_grow_with_tickets(
    client: Any, make: Any, world: World, app: Any
) -> None:
    w = world
    admin = make.auth(make.user("admin"))
    statements: list[str] = []

    def count(*_a: Any, **_k: Any) -> None:
        statements.append(_a[2])

    def measure() -> int:
        statements.clear()
        engine = db.engine_of(app)
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert get(client, admin, organisation_id=w.org.id, period="2026-11").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    def add(n: int) -> None:
        for i in range(n):
            tid = w.ticket(client, local(2026, 11, 3 + i))
            w.clock(
                tid,
                "response",
                w.p1,
                "met",
                local(2026, 11, 3 + i),
                due=local(2026, 11, 3 + i, 2),
                stopped=local(2026, 11, 3 + i, 1),
            )
            w.clock(
                tid,
                "resolution",
                w.p1,
                "breached",
                local(2026, 11, 3 + i),
                due=local(2026, 11, 3 + i, 8),
                breach=local(2026, 11, 3 + i, 8),
                stopped=local(2026, 11, 3 + i, 9),
            )

    add(1)
    measure()  # the first report also reads the calendar into the process cache
    few = measure()
    add(6)
    many = measure()
    assert many == few, (few, many, statements)
    assert few <= 16  # a fixed set: the counts, a page of breaches and their splits, ...


@pytest.mark.parametrize(("month", "last_day"), [(3, 31), (10, 31)])
def test_dst_month_ends(client: Any, make: Any, world: World, month: int, last_day: int) -> None:
    """March ends in summer time (UTC+3), October in winter time (UTC+2)."""
    w = world
    late = local(2026, month, last_day, 23, 59, 59)
    midnight = local(2026, month + 1, 1, 0, 0, 0)
    assert (midnight - late).total_seconds() == 1
    t = w.ticket(client, local(2026, month, 20))
    w.clock(t, "response", w.p1, "met", local(2026, month, 20), due=midnight, stopped=late)
    w.clock(t, "resolution", w.p1, "met", local(2026, month, 20), due=midnight, stopped=midnight)
    admin = make.auth(make.user("admin"))
    this = get(client, admin, organisation_id=w.org.id, period=f"2026-{month:02d}").get_json()
    nxt = get(client, admin, organisation_id=w.org.id, period=f"2026-{month + 1:02d}").get_json()
    assert {k: v["met"] for k, v in this["overall"].items()} == {"response": 1}
    assert {k: v["met"] for k, v in nxt["overall"].items()} == {"resolution": 1}
    assert this["period"]["end"] == nxt["period"]["start"] == iso(midnight)


def test_a_breach_says_where_the_time_went(client: Any, make: Any, world: World) -> None:
    """24x7: 5 h from receipt to resolution; 1 h waiting for the customer, 1 h at a supplier,
    the rest (3 h) at the desk."""
    from datetime import timedelta

    w, sess = world, world.sess
    t0 = local(2026, 11, 16, 9)
    hour = timedelta(hours=1)
    tid = w.ticket(client, t0)
    supplier = Supplier(name="Acme", contact_email="acme@example.fi")
    sess.add(supplier)
    sess.flush()
    sess.add(
        Escalation(
            ticket_id=tid,
            supplier_id=supplier.id,
            note="n",
            escalated_by_id=w.desk["agent"].id,
            escalated_at=t0 + 3 * hour,
            status="ended",
            ended_at=t0 + 4 * hour,
        )
    )
    sess.commit()
    w.clock(
        tid,
        "resolution",
        w.p1,
        "breached",
        t0,
        due=t0 + 2 * hour,
        breach=t0 + 2 * hour,
        stopped=t0 + 5 * hour,
        pauses=((t0 + hour, t0 + 2 * hour),),
    )
    body = get(
        client, make.auth(make.user("admin")), organisation_id=w.org.id, period="2026-11"
    ).get_json()
    (breach,) = body["breaches"]
    assert breach["ticket"]["id"] == tid and breach["stopped"] is True
    assert (breach["desk_seconds"], breach["supplier_seconds"], breach["customer_seconds"]) == (
        3 * 3600,
        3600,
        3600,
    )


def test_the_breach_list_comes_a_page_at_a_time(client: Any, make: Any, world: World) -> None:
    """Three breaches in November, two a page: the pages together are the whole list, in
    (counted instant, clock) order; the figures count every breach on every page."""
    w = world
    admin = make.auth(make.user("admin"))
    for day in (3, 4, 5):
        tid = w.ticket(client, local(2026, 11, day))
        w.clock(
            tid,
            "resolution",
            w.p1,
            "breached",
            local(2026, 11, day),
            due=local(2026, 11, day, 8),
            breach=local(2026, 11, day, 8),
            stopped=local(2026, 11, day, 9),
        )
    whole = get(client, admin, organisation_id=w.org.id, period="2026-11").get_json()
    assert whole["breach_count"] == 3 and whole["breaches_next_cursor"] is None
    assert len(whole["breaches"]) == 3

    first = get(client, admin, organisation_id=w.org.id, period="2026-11", breaches_limit=2)
    body = first.get_json()
    assert body["breach_count"] == 3 and len(body["breaches"]) == 2
    assert body["overall"]["resolution"]["breached"] == 3
    second = get(
        client,
        admin,
        organisation_id=w.org.id,
        period="2026-11",
        breaches_limit=2,
        breaches_cursor=body["breaches_next_cursor"],
    ).get_json()
    assert second["breaches_next_cursor"] is None and second["breach_count"] == 3
    assert body["breaches"] + second["breaches"] == whole["breaches"]
    assert [b["counted_at"] for b in whole["breaches"]] == sorted(
        b["counted_at"] for b in whole["breaches"]
    )

    bad = get(client, admin, organisation_id=w.org.id, period="2026-11", breaches_cursor="x!")
    assert_error(bad, 400, "bad_cursor")
    too_many = get(client, admin, organisation_id=w.org.id, period="2026-11", breaches_limit=0)
    assert too_many.status_code == 422
