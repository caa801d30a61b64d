"""The supplier-agent access matrix: a supplier agent sees only tickets escalated to their
supplier, with the public conversation and their own legs (with the hand-off note and the
thread); never the desk's internal notes, never another supplier's leg; a foreign id is a 404
on every endpoint.

The tickets (all filed Mon 2026-11-23 09:00 Helsinki):
- t_a: escalated to A at 10:00 (open); the desk has an internal note on it.
- t_b: escalated to B at 10:00 (open).
- t_ab: escalated to A at 10:00, A wrote to the desk, withdrawn at 11:00 and escalated to B
  (open).
- t_none: never escalated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.helpers import assert_error
from tests.escalations.conftest import (
    A_CONTACT,
    B_CONTACT,
    SUPPLIER_A,
    SUPPLIER_B,
    local,
)

SECRET = "SISAINEN-MUISTIO: asiakkaan pääkäyttäjä on hankala"
A_NOTE = "HANDOFF-A: kirjautumispalvelun lokit liitteenä"
B_NOTE = "HANDOFF-B: palvelin ei vastaa pingiin"
NOW = local("2026-11-23 12:00")
MISSING = 987654


@dataclass
class Tickets:
    t_a: int
    t_b: int
    t_ab: int
    t_none: int
    leg_a: int
    leg_b: int
    leg_ab_a: int
    leg_ab_b: int


@pytest.fixture
def tickets(api, world) -> Tickets:
    w = world
    ids = [api.file(local("2026-11-23 09:00"), w.requester, w.service)["id"] for _ in range(4)]
    t_a, t_b, t_ab, t_none = ids
    at = local("2026-11-23 10:00")
    leg_a = api.escalate(at, t_a, w.agent, note=A_NOTE)["escalation"]["id"]
    leg_b = api.escalate(at, t_b, w.agent, w.supplier_b, note=B_NOTE)["escalation"]["id"]
    leg_ab_a = api.escalate(at, t_ab, w.agent, note=A_NOTE)["escalation"]["id"]
    for tid in ids:
        assert (
            api.comment(local("2026-11-23 10:10"), tid, w.agent, SECRET, internal=True).status_code
            == 201
        )
    assert (
        api.comment(local("2026-11-23 10:20"), t_ab, w.agent_a, "Kuntasoft katsoo.").status_code
        == 201
    )
    at = local("2026-11-23 11:00")
    api.ok("POST", at, f"/tickets/{t_ab}/escalations/{leg_ab_a}/withdraw", w.agent)
    leg_ab_b = api.escalate(at, t_ab, w.agent, w.supplier_b, note=B_NOTE)["escalation"]["id"]
    return Tickets(t_a, t_b, t_ab, t_none, leg_a, leg_b, leg_ab_a, leg_ab_b)


def _ticket_endpoints(tid: int, leg: int) -> list[tuple[str, str, dict[str, Any] | None]]:
    return [
        ("GET", f"/tickets/{tid}", None),
        ("GET", f"/tickets/{tid}/comments", None),
        ("POST", f"/tickets/{tid}/comments", {"body": "Hei"}),
        ("GET", f"/tickets/{tid}/events", None),
        ("GET", f"/tickets/{tid}/sla", None),
        ("GET", f"/tickets/{tid}/escalations", None),
        ("POST", f"/tickets/{tid}/escalations", {"note": "x"}),
        ("POST", f"/tickets/{tid}/escalations/preview", {}),
        ("POST", f"/tickets/{tid}/escalations/{leg}/done", None),
        ("POST", f"/tickets/{tid}/escalations/{leg}/withdraw", None),
        ("PATCH", f"/tickets/{tid}", {"status": "in_progress"}),
    ]


@pytest.mark.parametrize("which", ["t_b", "t_none", "missing"])
def test_another_suppliers_ticket_is_404_on_every_ticket_endpoint(api, world, tickets, which):
    tid = {"t_b": tickets.t_b, "t_none": tickets.t_none, "missing": MISSING}[which]
    for method, path, body in _ticket_endpoints(tid, tickets.leg_b):
        kw: dict[str, Any] = {} if body is None else {"json": body}
        if method == "PATCH":
            kw["headers"] = {"If-Match": "*"}
        resp = api.call(method, NOW, path, world.agent_a, **kw)
        err = assert_error(resp, 404, "not_found")
        assert SUPPLIER_B not in json.dumps(err), (method, path)


def test_another_suppliers_leg_on_a_shared_ticket_is_404(api, world, tickets):
    """B holds t_ab now; A's leg on it is no business of B's, and B's none of A's."""
    for user, leg in ((world.agent_b, tickets.leg_ab_a), (world.agent_a, tickets.leg_ab_b)):
        for action in ("done", "withdraw"):
            resp = api.post(NOW, f"/tickets/{tickets.t_ab}/escalations/{leg}/{action}", user)
            assert_error(resp, 404, "not_found")
    # And nothing changed: B's leg is still open.
    legs = api.ok("GET", NOW, f"/tickets/{tickets.t_ab}/escalations", world.agent)
    assert [x["status"] for x in legs] == ["withdrawn", "open"]


def test_a_supplier_agent_lists_only_tickets_escalated_to_their_supplier(api, world, tickets):
    def listed(user: Any) -> set[int]:
        return {t["id"] for t in api.ok("GET", NOW, "/tickets?limit=100", user)["items"]}

    assert listed(world.agent_a) == {tickets.t_a, tickets.t_ab}
    assert listed(world.agent_a2) == {tickets.t_a, tickets.t_ab}
    assert listed(world.agent_b) == {tickets.t_b, tickets.t_ab}
    assert listed(world.agent) == {tickets.t_a, tickets.t_b, tickets.t_ab, tickets.t_none}
    # Filters never widen the scope.
    body = api.ok("GET", NOW, f"/tickets?organisation_id={world.org.id}", world.agent_b)
    assert {t["id"] for t in body["items"]} == {tickets.t_b, tickets.t_ab}


def _everything(api: Any, user: Any, tid: int) -> dict[str, Any]:
    """Every answer a supplier agent can read about one ticket."""
    return {
        "ticket": api.ok("GET", NOW, f"/tickets/{tid}", user),
        "list": [
            t for t in api.ok("GET", NOW, "/tickets?limit=100", user)["items"] if t["id"] == tid
        ],
        "comments": api.ok("GET", NOW, f"/tickets/{tid}/comments", user),
        "events": api.ok("GET", NOW, f"/tickets/{tid}/events", user),
        "sla": api.ok("GET", NOW, f"/tickets/{tid}/sla", user),
        "escalations": api.ok("GET", NOW, f"/tickets/{tid}/escalations", user),
    }


@pytest.mark.parametrize("who", ["agent_a", "agent_a2", "agent_b"])
def test_never_the_desks_internal_notes(api, world, tickets, who):
    user = getattr(world, who)
    for tid in (tickets.t_ab, tickets.t_a if who != "agent_b" else tickets.t_b):
        seen = _everything(api, user, tid)
        assert SECRET not in json.dumps(seen)
        assert all(c["internal"] is False for c in seen["comments"])
        kinds = {e["kind"] for e in seen["events"]}
        # Internal events: routing, the escalation records, internal comments.
        assert not kinds & {"routed", "escalated", "escalation_withdrawn", "escalation_done"}
        assert "created" in kinds
    # The desk sees the note, of course.
    desk = api.ok("GET", NOW, f"/tickets/{tickets.t_ab}/comments", world.agent)
    assert [c["body"] for c in desk if c["internal"]] == [SECRET]


def test_never_another_suppliers_leg_on_a_re_escalated_ticket(api, world, tickets):
    """t_ab went A -> B. Each supplier sees its own leg (with its note) and nothing of the
    other's: not its leg, note, name, contact, clocks or share of the time."""
    for user, own, own_leg, other, _other_leg, own_note, other_note, other_contact in (
        (
            world.agent_a,
            SUPPLIER_A,
            tickets.leg_ab_a,
            SUPPLIER_B,
            tickets.leg_ab_b,
            A_NOTE,
            B_NOTE,
            B_CONTACT,
        ),
        (
            world.agent_b,
            SUPPLIER_B,
            tickets.leg_ab_b,
            SUPPLIER_A,
            tickets.leg_ab_a,
            B_NOTE,
            A_NOTE,
            A_CONTACT,
        ),
    ):
        seen = _everything(api, user, tickets.t_ab)
        legs = seen["escalations"]
        assert [(x["id"], x["supplier_name"], x["note"]) for x in legs] == [
            (own_leg, own, own_note)
        ]
        text = json.dumps(seen)
        for leak in (other, other_note, other_contact):
            assert leak not in text, (user.email, leak)
        for clocks in (
            seen["ticket"]["sla"]["clocks"],
            seen["list"][0]["sla"]["clocks"],
            seen["sla"]["clocks"],
        ):
            assert {c["leg"] for c in clocks} == {0, own_leg}, clocks
        assert seen["ticket"]["sla"]["time_split"] is None
        assert seen["sla"]["time_split"] is None
    # The desk sees both legs and both suppliers' clocks and time.
    desk = _everything(api, world.agent, tickets.t_ab)
    assert [x["id"] for x in desk["escalations"]] == [tickets.leg_ab_a, tickets.leg_ab_b]
    assert {c["leg"] for c in desk["sla"]["clocks"]} == {0, tickets.leg_ab_a, tickets.leg_ab_b}
    assert set(desk["ticket"]["sla"]["time_split"]["by_supplier"]) == {SUPPLIER_A, SUPPLIER_B}


def test_supplier_agents_write_to_the_desk_but_never_patch_nor_write_internal_notes(
    api, world, tickets
):
    a = world.agent_a
    resp = api.call(
        "PATCH",
        NOW,
        f"/tickets/{tickets.t_a}",
        a,
        json={"status": "in_progress"},
        headers={"If-Match": "*"},
    )
    assert_error(resp, 403, "forbidden")
    resp = api.call(
        "PATCH",
        NOW,
        f"/tickets/{tickets.t_a}",
        a,
        json={"title": "Muutettu"},
        headers={"If-Match": "*"},
    )
    assert_error(resp, 403, "forbidden")
    assert_error(api.comment(NOW, tickets.t_a, a, "Sisäinen?", internal=True), 403, "forbidden")
    assert api.comment(NOW, tickets.t_a, a, "Korjaus asennettu testiin.").status_code == 201
    # The other agent of the same supplier shares the leg.
    assert api.comment(NOW, tickets.t_a, world.agent_a2, "Tuotantoon huomenna.").status_code == 201
    # A's leg on t_ab was withdrawn: A may still read it, but no longer answers on it.
    assert_error(api.comment(NOW, tickets.t_ab, a, "Vielä yksi asia"), 409, "escalation_closed")
    comments = api.ok("GET", NOW, f"/tickets/{tickets.t_a}/comments", a)
    assert [(c["body"], c["thread"], c["escalation_id"]) for c in comments] == [
        ("Korjaus asennettu testiin.", "supplier", tickets.leg_a),
        ("Tuotantoon huomenna.", "supplier", tickets.leg_a),
    ]
    # They went to the desk, not to the customer.
    assert api.ok("GET", NOW, f"/tickets/{tickets.t_a}/comments", world.requester) == []
    # Supplier agents do not file tickets either.
    resp = api.post(
        NOW,
        "/tickets",
        a,
        json={
            "title": "x",
            "description": "y",
            "service_id": world.service.id,
            "requester_id": world.requester.id,
        },
    )
    assert_error(resp, 403, "forbidden")


def test_a_supplier_agent_marks_done_and_keeps_only_read_access(api, world, tickets):
    a = world.agent_a
    done = api.ok("POST", NOW, f"/tickets/{tickets.t_a}/escalations/{tickets.leg_a}/done", a)
    assert done["status"] == "done"
    ticket = api.ok("GET", NOW, f"/tickets/{tickets.t_a}", a)
    assert ticket["status"] == "in_progress"
    assert ticket["allowed_transitions"] == []
    assert_error(api.comment(NOW, tickets.t_a, a, "Vielä"), 409, "escalation_closed")


def test_nothing_beyond_scope_outside_tickets(api, world, tickets):
    a = world.agent_a
    org = world.org.id
    orgs = api.ok("GET", NOW, "/organisations", a)
    assert orgs["items"] == []
    for path in (
        f"/organisations/{org}",
        f"/organisations/{org}/agreements",
        f"/organisations/{org}/ownership",
        f"/organisations/{org}/entitlement",
        f"/users/{world.requester.id}",
        f"/users/{world.agent.id}",
        f"/suppliers/{world.supplier_b['id']}",
        f"/suppliers/{world.supplier_b['id']}/contracts",
    ):
        assert_error(api.get(NOW, path, a), 404, "not_found")
    users = api.ok("GET", NOW, "/users", a)["items"]
    assert [u["id"] for u in users] == [a.id]
    assert api.ok("GET", NOW, "/groups", a) == []
    assert api.ok("GET", NOW, "/routing-rules", a) == []
    assert [s["name"] for s in api.ok("GET", NOW, "/suppliers", a)] == [SUPPLIER_A]
    own = api.ok("GET", NOW, f"/suppliers/{world.supplier_a['id']}/contracts", a)
    assert [c["supplier_id"] for c in own] == [world.supplier_a["id"]]
    # Admin writes stay admin's.
    resp = api.post(NOW, "/suppliers", a, json={"name": "Uusi", "contact_email": "x@y.fi"})
    assert_error(resp, 403, "forbidden")
    resp = api.post(
        NOW,
        f"/suppliers/{world.supplier_a['id']}/contracts",
        a,
        json={"name": "Oma", "valid_from": "2026-01-01", "calendar_id": world.always["id"]},
    )
    assert_error(resp, 403, "forbidden")


def test_a_supplier_agent_without_legs_sees_no_ticket(api, world, tickets, make):
    other = api.ok(
        "POST",
        NOW,
        "/suppliers",
        world.admin,
        201,
        json={"name": "Kolmas Oy", "contact_email": "tuki@kolmas.example.fi"},
    )
    agent_c = make.user("supplier_agent", supplier_id=other["id"])
    assert api.ok("GET", NOW, "/tickets", agent_c)["items"] == []
    for tid in (tickets.t_a, tickets.t_b, tickets.t_ab, tickets.t_none):
        assert_error(api.get(NOW, f"/tickets/{tid}", agent_c), 404, "not_found")


def test_the_sla_state_filter_looks_only_at_clocks_the_supplier_may_see(api, world, tickets):
    """At 12:00 only A's withdrawn leg on t_ab has met clocks (stopped at 11:00, due 11:00):
    A finds t_ab by them; B must not find t_ab through A's clocks."""

    def listed(user: Any, state: str) -> set[int]:
        body = api.ok("GET", NOW, f"/tickets?sla_state={state}", user)
        return {t["id"] for t in body["items"]}

    assert listed(world.agent, "met") == {tickets.t_ab}
    assert listed(world.agent_a, "met") == {tickets.t_ab}
    assert listed(world.agent_b, "met") == set()
    assert listed(world.agent_b, "breached") == {tickets.t_b, tickets.t_ab}


def test_the_customer_side_sees_only_the_customers_clocks_and_no_supplier_split(
    api, world, tickets, make
):
    """The supplier leg is the centre's business: no supplier clocks or names for customers."""
    contact = make.user("customer_contact", org=world.org)
    at = local("2026-11-23 12:00")
    desk = api.ok("GET", at, f"/tickets/{tickets.t_ab}", world.agent)
    assert {c["leg"] for c in desk["sla"]["clocks"]} == {0, tickets.leg_ab_a, tickets.leg_ab_b}
    assert desk["sla"]["time_split"]["by_supplier"]
    for who in (world.requester, contact):
        ticket = api.ok("GET", at, f"/tickets/{tickets.t_ab}", who)
        assert {c["leg"] for c in ticket["sla"]["clocks"]} == {0}
        assert ticket["sla"]["time_split"] is None
        explained = api.ok("GET", at, f"/tickets/{tickets.t_ab}/sla", who)
        assert {c["leg"] for c in explained["clocks"]} == {0}
        assert explained["time_split"] is None
