"""Escalation through the API: escalate, supplier reply, done, withdraw, re-escalate, with the
customer's clocks and the supplier's clocks checked at every step against worked cases.

Calendars (see conftest): the customer's promise and supplier A (Kuntasoft Oy) on Mon-Fri
08:00-16:00 Europe/Helsinki with FI holidays; supplier B (Pilvi 24/7 Oy) on 24x7. Promises for
P3: customer response 120 / resolution 960 min; A response 60 / resolution 480 min; B response
30 / resolution 240 min. Slack = customer resolution due - supplier resolution due.

| # | received (local) | escalated (local) | to | customer due resp / resol (UTC) | supplier due resp / resol (UTC) | slack (s) |
|---|---|---|---|---|---|---|
| E1 | Mon 2026-11-23 09:00 | Mon 2026-11-23 10:00 | A | 2026-11-23T09:00Z / 2026-11-25T07:00Z | 2026-11-23T09:00Z / 2026-11-24T08:00Z | +82800 |
| E2 | (same ticket) | Tue 2026-11-24 11:00 | A | - / 2026-11-25T07:00Z | 2026-11-24T10:00Z / 2026-11-25T09:00Z | -7200 (flagged) |
| E3 | (same ticket) | Tue 2026-11-24 11:30 | B | - / 2026-11-25T07:00Z | 2026-11-24T10:00Z / 2026-11-24T13:30Z | +63000 |
| H1 | Tue 2026-12-22 10:00 | Wed 2026-12-23 12:00 (24th-26th holidays) | A | 2026-12-22T10:00Z / 2026-12-28T08:00Z | 2026-12-23T11:00Z / 2026-12-28T10:00Z | -7200 (flagged) |
| H2 | (same, preview only) | Wed 2026-12-23 12:00 | B | - / 2026-12-28T08:00Z | 2026-12-23T10:30Z / 2026-12-23T14:00Z | +410400 |
| D1 | Fri 2026-10-23 15:00 EEST | Sun 2026-10-25 02:00 EEST (DST ends 04:00 EEST) | B | - / 2026-10-27T13:00Z | 2026-10-24T23:30Z / 2026-10-25T03:00Z (05:00 EET) | +208800 |

The story of E1-E3 on one ticket (local times, all Mon 23rd / Tue 24th November 2026):
Mon 09:00 received; 10:00 escalated to A; 10:45 A writes to the desk (A response met, 2700 s;
the customer's response clock keeps running); 10:50 the desk replies publicly (customer
response met, 6600 s); Tue 09:30 A marks done (A resolution met: 360 + 90 min = 27000 s; the
ticket is in_progress again, customer resolution elapsed 510 min = 30600 s); Tue 11:00 the
preview and the escalation to A again show slack -7200 (A cannot make Wed 09:00 local);
Tue 11:30 withdrawn (both A clocks are cancelled at 1800 s: neither was past due) and
escalated to B; Tue 12:10 B replies (B response breached at 2026-11-24T10:00Z, 2400 s); Tue 14:00 resolved while with B: B
resolution stops met at 9000 s, the leg is closed, the customer resolution clock stops met at
420 + 360 min = 46800 s. Where the time went: desk 150 min (Mon 09-10, Tue 09:30-11:00),
supplier 630 min (A 450 + 30, B 150), customer 0.
"""  # noqa: E501

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from servicedesk import db
from servicedesk.notifications.models import OutboxMessage
from tests.api.helpers import assert_error
from tests.escalations.conftest import A_CONTACT, B_CONTACT, SUPPLIER_A, SUPPLIER_B, local, z


def _clock(clocks: dict, kind: str, leg: int = 0) -> dict[str, Any]:
    return clocks[(kind, leg)]


def _assert_clock(
    c: dict[str, Any], state: str, elapsed: int, due: str | None, stopped: str | None = None
) -> None:
    got = (c["state"], c["elapsed_seconds"], c["due_at"], c["stopped_at"])
    assert got == (state, elapsed, z(due) if due else None, z(stopped) if stopped else None), c


def test_escalate_reply_done_reescalate_withdraw_another_supplier_resolve(api, world, app):
    w = world
    t = api.file(local("2026-11-23 09:00"), w.requester, w.service)
    tid = t["id"]
    assert t["priority"] == "P3"
    clocks = {(c["kind"], c["leg"]): c for c in t["sla"]["clocks"]}
    _assert_clock(_clock(clocks, "response"), "running", 0, "2026-11-23T09:00Z")
    _assert_clock(_clock(clocks, "resolution"), "running", 0, "2026-11-25T07:00Z")

    # E1: the preview names the default supplier (the service's) and the slack.
    at = local("2026-11-23 10:00")
    hand_off = api.preview(at, tid, w.agent)
    assert hand_off["supplier"] == {"id": w.supplier_a["id"], "name": SUPPLIER_A}
    assert hand_off["promise"]["response_minutes"] == 60
    assert hand_off["promise"]["resolution_minutes"] == 480
    assert (
        hand_off["customer_due_at"],
        hand_off["supplier_response_due_at"],
        hand_off["supplier_due_at"],
    ) == (z("2026-11-25T07:00Z"), z("2026-11-23T09:00Z"), z("2026-11-24T08:00Z"))
    assert (hand_off["slack_seconds"], hand_off["negative_slack"]) == (82800, False)
    assert hand_off["warnings"] == []

    body = api.escalate(at, tid, w.agent)
    leg1 = body["escalation"]
    assert body["hand_off"] == hand_off
    assert leg1["supplier_id"] == w.supplier_a["id"]
    assert leg1["supplier_name"] == SUPPLIER_A
    assert (leg1["status"], leg1["escalated_at"], leg1["ended_at"]) == (
        "open",
        z("2026-11-23T08:00Z"),
        None,
    )
    assert (leg1["slack_seconds"], leg1["negative_slack"]) == (82800, False)
    assert leg1["supplier_due_at"] == z("2026-11-24T08:00Z")
    assert leg1["customer_due_at"] == z("2026-11-25T07:00Z")
    assert api.ok("GET", at, f"/tickets/{tid}", w.agent)["status"] == "escalated_to_supplier"
    clocks = api.clocks(at, tid, w.agent)
    _assert_clock(_clock(clocks, "response"), "running", 3600, "2026-11-23T09:00Z")
    _assert_clock(_clock(clocks, "resolution"), "running", 3600, "2026-11-25T07:00Z")
    _assert_clock(
        _clock(clocks, "supplier_response", leg1["id"]), "running", 0, "2026-11-23T09:00Z"
    )
    _assert_clock(
        _clock(clocks, "supplier_resolution", leg1["id"]), "running", 0, "2026-11-24T08:00Z"
    )

    # A writes to the desk (its leg's thread): only A's response clock stops; the
    # customer's keeps running, and the customer does not read it.
    at = local("2026-11-23 10:45")
    assert api.comment(at, tid, w.agent_a, "Tutkimme lokit.").status_code == 201
    assert api.ok("GET", at, f"/tickets/{tid}/comments", w.requester) == []
    clocks = api.clocks(at, tid, w.agent)
    _assert_clock(
        _clock(clocks, "supplier_response", leg1["id"]),
        "met",
        2700,
        "2026-11-23T09:00Z",
        stopped="2026-11-23T08:45Z",
    )
    _assert_clock(_clock(clocks, "response"), "at_risk", 6300, "2026-11-23T09:00Z")
    _assert_clock(
        _clock(clocks, "supplier_resolution", leg1["id"]), "running", 2700, "2026-11-24T08:00Z"
    )

    # The desk replies publicly: the customer's response clock stops (met).
    at = local("2026-11-23 10:50")
    assert api.comment(at, tid, w.agent, "Toimittaja selvittää vikaa.").status_code == 201
    clocks = api.clocks(at, tid, w.agent)
    _assert_clock(
        _clock(clocks, "response"), "met", 6600, "2026-11-23T09:00Z", stopped="2026-11-23T08:50Z"
    )
    _assert_clock(_clock(clocks, "resolution"), "running", 6600, "2026-11-25T07:00Z")

    # A marks its part done next morning: A's resolution clock stops, the desk has it back.
    at = local("2026-11-24 09:30")
    done = api.ok("POST", at, f"/tickets/{tid}/escalations/{leg1['id']}/done", w.agent_a)
    assert (done["status"], done["ended_at"]) == ("done", z("2026-11-24T07:30Z"))
    ticket = api.ok("GET", at, f"/tickets/{tid}", w.agent)
    assert ticket["status"] == "in_progress"
    clocks = {(c["kind"], c["leg"]): c for c in ticket["sla"]["clocks"]}
    _assert_clock(
        _clock(clocks, "supplier_resolution", leg1["id"]),
        "met",
        27000,
        "2026-11-24T08:00Z",
        stopped="2026-11-24T07:30Z",
    )
    _assert_clock(_clock(clocks, "resolution"), "running", 30600, "2026-11-25T07:00Z")
    assert_error(
        api.post(at, f"/tickets/{tid}/escalations/{leg1['id']}/done", w.agent_a),
        409,
        "escalation_closed",
    )

    # E2: escalating to A again now would miss the customer's promise: flagged, recorded.
    at = local("2026-11-24 11:00")
    hand_off = api.preview(at, tid, w.agent, w.supplier_a)
    assert (
        hand_off["customer_due_at"],
        hand_off["supplier_response_due_at"],
        hand_off["supplier_due_at"],
    ) == (z("2026-11-25T07:00Z"), z("2026-11-24T10:00Z"), z("2026-11-25T09:00Z"))
    assert (hand_off["slack_seconds"], hand_off["negative_slack"]) == (-7200, True)
    assert any("Negative slack" in m for m in hand_off["warnings"])
    leg2 = api.escalate(at, tid, w.agent, w.supplier_a)["escalation"]
    assert (leg2["slack_seconds"], leg2["negative_slack"]) == (-7200, True)
    events = api.ok("GET", at, f"/tickets/{tid}/events", w.agent)
    escalated = [e for e in events if e["kind"] == "escalated"]
    assert [e["data"]["escalation_id"] for e in escalated] == [leg1["id"], leg2["id"]]
    assert escalated[-1]["data"]["negative_slack"] is True
    assert escalated[-1]["data"]["slack_seconds"] == -7200
    assert escalated[0]["data"]["negative_slack"] is False
    clocks = api.clocks(at, tid, w.agent)
    _assert_clock(
        _clock(clocks, "supplier_response", leg2["id"]), "running", 0, "2026-11-24T10:00Z"
    )
    _assert_clock(
        _clock(clocks, "supplier_resolution", leg2["id"]), "running", 0, "2026-11-25T09:00Z"
    )
    # Escalating twice is refused while a leg is open.
    assert_error(
        api.post(
            at,
            f"/tickets/{tid}/escalations",
            w.agent,
            json={"note": "Uudestaan", "supplier_id": w.supplier_b["id"]},
        ),
        409,
        "already_escalated",
    )

    # Withdrawn half an hour later, and escalated to B (24x7) at the same instant.
    at = local("2026-11-24 11:30")
    withdrawn = api.ok("POST", at, f"/tickets/{tid}/escalations/{leg2['id']}/withdraw", w.agent)
    assert (withdrawn["status"], withdrawn["ended_at"]) == ("withdrawn", z("2026-11-24T09:30Z"))
    assert api.ok("GET", at, f"/tickets/{tid}", w.agent)["status"] == "in_progress"
    hand_off = api.preview(at, tid, w.agent, w.supplier_b)
    assert (hand_off["slack_seconds"], hand_off["negative_slack"]) == (63000, False)
    leg3 = api.escalate(at, tid, w.agent, w.supplier_b, note="Palvelin ei vastaa.")["escalation"]
    assert (leg3["supplier_name"], leg3["supplier_due_at"], leg3["slack_seconds"]) == (
        SUPPLIER_B,
        z("2026-11-24T13:30Z"),
        63000,
    )
    clocks = api.clocks(at, tid, w.agent)
    # The withdrawal was not the supplier's doing: both its clocks are cancelled (SLA.md).
    for kind in ("supplier_response", "supplier_resolution"):
        _assert_clock(
            _clock(clocks, kind, leg2["id"]), "cancelled", 1800, None, stopped="2026-11-24T09:30Z"
        )
    _assert_clock(
        _clock(clocks, "supplier_response", leg3["id"]), "running", 0, "2026-11-24T10:00Z"
    )
    _assert_clock(
        _clock(clocks, "supplier_resolution", leg3["id"]), "running", 0, "2026-11-24T13:30Z"
    )
    _assert_clock(_clock(clocks, "resolution"), "running", 37800, "2026-11-25T07:00Z")

    # B answers late: its response clock is breached at its due instant; nobody else's is.
    at = local("2026-11-24 12:10")
    assert api.comment(at, tid, w.agent_b, "Käynnistimme palvelun uudelleen.").status_code == 201
    clocks = api.clocks(at, tid, w.agent)
    b_resp = _clock(clocks, "supplier_response", leg3["id"])
    _assert_clock(b_resp, "breached", 2400, "2026-11-24T10:00Z", stopped="2026-11-24T10:10Z")
    assert b_resp["breach_at"] == z("2026-11-24T10:00Z")
    _assert_clock(
        _clock(clocks, "response"), "met", 6600, "2026-11-23T09:00Z", stopped="2026-11-23T08:50Z"
    )

    # Resolved while with B: B's clocks stop, the leg is closed, the customer's clock stops.
    at = local("2026-11-24 14:00")
    resp = api.patch(at, tid, w.agent, {"status": "resolved"})
    assert resp.status_code == 200, resp.get_json()
    ticket = resp.get_json()
    clocks = {(c["kind"], c["leg"]): c for c in ticket["sla"]["clocks"]}
    _assert_clock(
        _clock(clocks, "supplier_resolution", leg3["id"]),
        "met",
        9000,
        "2026-11-24T13:30Z",
        stopped="2026-11-24T12:00Z",
    )
    _assert_clock(
        _clock(clocks, "resolution"), "met", 46800, "2026-11-25T07:00Z", stopped="2026-11-24T12:00Z"
    )
    assert ticket["sla"]["time_split"] == {
        "clock_state": "met",
        "elapsed_seconds": 46800,
        "desk_seconds": 9000,
        "supplier_seconds": 37800,
        "customer_seconds": 0,
        "by_supplier": {SUPPLIER_A: 28800, SUPPLIER_B: 9000},
    }

    # The history keeps every leg, each as it ended.
    legs = api.ok("GET", at, f"/tickets/{tid}/escalations", w.agent)
    assert [(leg["id"], leg["supplier_name"], leg["status"], leg["ended_at"]) for leg in legs] == [
        (leg1["id"], SUPPLIER_A, "done", z("2026-11-24T07:30Z")),
        (leg2["id"], SUPPLIER_A, "withdrawn", z("2026-11-24T09:30Z")),
        (leg3["id"], SUPPLIER_B, "closed", z("2026-11-24T12:00Z")),
    ]
    kinds = [e["kind"] for e in api.ok("GET", at, f"/tickets/{tid}/events", w.agent)]
    assert kinds.count("escalated") == 3
    assert kinds.count("escalation_done") == 1
    assert kinds.count("escalation_withdrawn") == 1
    # Each leg told its supplier's contact once.
    with app.app_context():
        sess = db.new_session(app)
        rows = sess.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "escalation")
            .order_by(OutboxMessage.id)
        ).all()
        assert [(m.recipient, m.ticket_id) for m in rows] == [
            (A_CONTACT, tid),
            (A_CONTACT, tid),
            (B_CONTACT, tid),
        ]
        assert "2026-11-24T13:30:00+00:00" in rows[2].body
        # Threaded on the ticket: a supplier's answer by mail finds it by the Message-ID.
        assert len({m.in_reply_to for m in rows}) == 1 and rows[0].in_reply_to.startswith("<kpk-")
        assert all(m.message_id.startswith(rows[0].in_reply_to[:-1].split("@")[0]) for m in rows)
        sess.close()


def test_the_supplier_leg_is_measured_on_the_suppliers_calendar_over_christmas(api, world):
    """H1/H2: the same instant, two suppliers: A's office calendar skips 24th-26th."""
    w = world
    tid = api.file(local("2026-12-22 10:00"), w.requester, w.service)["id"]
    at = local("2026-12-23 12:00")
    a = api.preview(at, tid, w.agent)
    assert (a["customer_due_at"], a["supplier_response_due_at"], a["supplier_due_at"]) == (
        z("2026-12-28T08:00Z"),
        z("2026-12-23T11:00Z"),
        z("2026-12-28T10:00Z"),
    )
    assert (a["slack_seconds"], a["negative_slack"]) == (-7200, True)
    b = api.preview(at, tid, w.agent, w.supplier_b)
    assert (b["supplier_response_due_at"], b["supplier_due_at"]) == (
        z("2026-12-23T10:30Z"),
        z("2026-12-23T14:00Z"),
    )
    assert (b["slack_seconds"], b["negative_slack"], b["warnings"]) == (410400, False, [])
    # Escalating to A anyway records the flag on the leg.
    leg = api.escalate(at, tid, w.agent)["escalation"]
    assert (leg["supplier_id"], leg["slack_seconds"], leg["negative_slack"]) == (
        w.supplier_a["id"],
        -7200,
        True,
    )
    clocks = api.clocks(local("2026-12-28 09:00"), tid, w.agent)
    # Mon 28th 09:00 local: A used Wed 12-16 + Mon 08-09 = 300 min; the customer 840 + 60.
    _assert_clock(
        _clock(clocks, "supplier_resolution", leg["id"]), "running", 18000, "2026-12-28T10:00Z"
    )
    _assert_clock(
        _clock(clocks, "supplier_response", leg["id"]), "breached", 18000, "2026-12-23T11:00Z"
    )
    _assert_clock(_clock(clocks, "resolution"), "at_risk", 54000, "2026-12-28T08:00Z")


def test_a_24x7_supplier_leg_counts_real_time_across_the_dst_change(api, world):
    """D1: 240 min from Sun 02:00 EEST on the night summer time ends is 05:00 EET."""
    w = world
    tid = api.file(local("2026-10-23 15:00"), w.requester, w.service)["id"]
    at = local("2026-10-25 02:00")
    leg = api.escalate(at, tid, w.agent, w.supplier_b)["escalation"]
    assert (leg["customer_due_at"], leg["supplier_due_at"], leg["slack_seconds"]) == (
        z("2026-10-27T13:00Z"),
        z("2026-10-25T03:00Z"),
        208800,
    )
    clocks = api.clocks(at, tid, w.agent)
    _assert_clock(_clock(clocks, "supplier_response", leg["id"]), "running", 0, "2026-10-24T23:30Z")
    # At 04:30 EET (02:30Z), 3 h 30 min of real time have passed, though the wall clock
    # moved 2 h 30 min.
    clocks = api.clocks(local("2026-10-25 04:30"), tid, w.agent)
    _assert_clock(
        _clock(clocks, "supplier_resolution", leg["id"]), "at_risk", 12600, "2026-10-25T03:00Z"
    )


def test_cancelling_an_escalated_ticket_cancels_the_supplier_clocks(api, world):
    w = world
    tid = api.file(local("2026-11-23 09:00"), w.requester, w.service)["id"]
    leg = api.escalate(local("2026-11-23 10:00"), tid, w.agent)["escalation"]
    at = local("2026-11-23 11:00")
    resp = api.patch(at, tid, w.agent, {"status": "cancelled"})
    assert resp.status_code == 200, resp.get_json()
    states = {(c["kind"], c["leg"]): c["state"] for c in resp.get_json()["sla"]["clocks"]}
    assert states == {
        ("response", 0): "cancelled",
        ("resolution", 0): "cancelled",
        ("supplier_response", leg["id"]): "cancelled",
        ("supplier_resolution", leg["id"]): "cancelled",
    }
    legs = api.ok("GET", at, f"/tickets/{tid}/escalations", w.agent)
    assert [(x["status"], x["ended_at"]) for x in legs] == [("closed", z("2026-11-23T09:00Z"))]


@pytest.mark.parametrize("status", ["in_progress", "waiting_for_customer", "assigned"])
def test_patch_cannot_take_a_ticket_back_from_the_supplier(api, world, status):
    w = world
    tid = api.file(local("2026-11-23 09:00"), w.requester, w.service)["id"]
    leg = api.escalate(local("2026-11-23 10:00"), tid, w.agent)["escalation"]
    at = local("2026-11-23 11:00")
    resp = api.patch(at, tid, w.agent, {"status": status})
    if status == "assigned":  # not a move the lifecycle allows from escalated at all
        assert_error(resp, 409, "invalid_transition")
    else:
        assert_error(resp, 409, "use_operation")
    assert api.ok("GET", at, f"/tickets/{tid}", w.agent)["status"] == "escalated_to_supplier"
    clocks = api.clocks(at, tid, w.agent)
    assert _clock(clocks, "supplier_resolution", leg["id"])["state"] == "running"
    assert api.ok("GET", at, f"/tickets/{tid}/escalations", w.agent)[0]["status"] == "open"


def test_patch_cannot_escalate_either(api, world):
    w = world
    tid = api.file(local("2026-11-23 09:00"), w.requester, w.service)["id"]
    resp = api.patch(local("2026-11-23 10:00"), tid, w.agent, {"status": "escalated_to_supplier"})
    assert_error(resp, 409, "use_operation")


def test_escalating_from_waiting_for_customer_resumes_the_clock_and_shows_the_slack(api, world):
    """Waiting since Mon 10:00 (60 min used); escalated Tue 10:00: the resolution clock runs
    again from then, so the customer's due is Tue 10:00 + 900 min = Thu 2026-11-26 09:00 local
    (07:00Z) and A's is Wed 10:00 local (08:00Z): slack 23 h."""
    w = world
    tid = api.file(local("2026-11-23 09:00"), w.requester, w.service)["id"]
    resp = api.patch(local("2026-11-23 10:00"), tid, w.agent, {"status": "waiting_for_customer"})
    assert resp.status_code == 200, resp.get_json()
    at = local("2026-11-24 10:00")
    hand_off = api.preview(at, tid, w.agent)
    assert (hand_off["customer_due_at"], hand_off["supplier_due_at"]) == (
        z("2026-11-26T07:00Z"),
        z("2026-11-25T08:00Z"),
    )
    assert (hand_off["slack_seconds"], hand_off["negative_slack"]) == (82800, False)
    leg = api.escalate(at, tid, w.agent)["escalation"]
    assert leg["slack_seconds"] == 82800
    clocks = api.clocks(at, tid, w.agent)
    _assert_clock(_clock(clocks, "resolution"), "running", 3600, "2026-11-26T07:00Z")


def test_a_supplier_without_a_promise_for_the_priority_gets_a_leg_without_clocks(api, world):
    w = world
    tid = api.file(local("2026-11-23 09:00"), w.requester, w.service, impact="low", urgency="low")[
        "id"
    ]  # P4: neither contract promises it
    at = local("2026-11-23 10:00")
    body = api.escalate(at, tid, w.agent, w.supplier_b)
    assert body["hand_off"]["promise"] is None
    assert body["hand_off"]["slack_seconds"] is None
    assert any("no promise for P4" in m for m in body["hand_off"]["warnings"])
    clocks = api.clocks(at, tid, w.agent)
    assert not any(kind.startswith("supplier_") for kind, _ in clocks)


def test_escalation_needs_a_supplier_when_the_service_has_none(api, world, make):
    w = world
    tid = api.file(local("2026-11-23 09:00"), w.requester, w.service)["id"]
    make.sess.execute(
        __import__("sqlalchemy").text("UPDATE services SET supplier_id = NULL WHERE id = :i"),
        {"i": w.service.id},
    )
    make.sess.commit()
    resp = api.post(
        local("2026-11-23 10:00"), f"/tickets/{tid}/escalations", w.agent, json={"note": "Kenelle?"}
    )
    err = assert_error(resp, 422)
    assert "supplier_id" in err["details"]["fields"]
    resp = api.post(
        local("2026-11-23 10:00"),
        f"/tickets/{tid}/escalations",
        w.agent,
        json={"note": "Kenelle?", "supplier_id": 999999},
    )
    assert "supplier_id" in assert_error(resp, 422)["details"]["fields"]


def test_a_resolved_ticket_cannot_be_escalated(api, world):
    w = world
    tid = api.file(local("2026-11-23 09:00"), w.requester, w.service)["id"]
    assert (
        api.patch(local("2026-11-23 10:00"), tid, w.agent, {"status": "resolved"}).status_code
        == 200
    )
    resp = api.post(
        local("2026-11-23 11:00"),
        f"/tickets/{tid}/escalations",
        w.agent,
        json={"note": "Liian myöhään"},
    )
    assert_error(resp, 409, "invalid_transition")


def test_reopening_after_resolve_does_not_restart_the_supplier_clocks(api, world):
    w = world
    tid = api.file(local("2026-11-23 09:00"), w.requester, w.service)["id"]
    leg = api.escalate(local("2026-11-23 10:00"), tid, w.agent)["escalation"]
    assert (
        api.patch(local("2026-11-23 11:00"), tid, w.agent, {"status": "resolved"}).status_code
        == 200
    )
    at = local("2026-11-23 13:00")
    resp = api.patch(at, tid, w.requester, {"status": "in_progress"})
    assert resp.status_code == 200, resp.get_json()
    clocks = api.clocks(at, tid, w.agent)
    _assert_clock(
        _clock(clocks, "supplier_resolution", leg["id"]),
        "met",
        3600,
        "2026-11-24T08:00Z",
        stopped="2026-11-23T09:00Z",
    )
    # The customer's resolution clock resumed at 13:00: 2 h before, nothing while resolved.
    _assert_clock(_clock(clocks, "resolution"), "running", 7200, "2026-11-25T09:00Z")


def test_only_the_desk_escalates_and_withdraws_and_customers_see_no_legs(api, world):
    w = world
    tid = api.file(local("2026-11-23 09:00"), w.requester, w.service)["id"]
    at = local("2026-11-23 10:00")
    assert_error(api.post(at, f"/tickets/{tid}/escalations", w.requester, json={"note": "x"}), 403)
    assert_error(api.post(at, f"/tickets/{tid}/escalations/preview", w.requester, json={}), 403)
    leg = api.escalate(at, tid, w.agent)["escalation"]
    assert_error(api.get(at, f"/tickets/{tid}/escalations", w.requester), 403)
    assert_error(api.post(at, f"/tickets/{tid}/escalations/{leg['id']}/done", w.requester), 403)
    assert_error(api.post(at, f"/tickets/{tid}/escalations/{leg['id']}/withdraw", w.agent_a), 403)
    assert_error(api.post(at, f"/tickets/{tid}/escalations/preview", w.agent_a, json={}), 403)
    # The desk may mark the supplier's part done for it.
    done = api.ok(
        "POST", local("2026-11-23 11:00"), f"/tickets/{tid}/escalations/{leg['id']}/done", w.agent
    )
    assert done["status"] == "done"
    assert_error(
        api.post(
            local("2026-11-23 11:05"), f"/tickets/{tid}/escalations/{leg['id']}/withdraw", w.agent
        ),
        409,
        "escalation_closed",
    )


def test_a_priority_change_while_escalated_moves_only_the_customers_targets(api, world):
    """P3 -> P2 at Mon 11:00 local while with A (escalated 10:00): the customer's clocks take
    the P2 targets (response 60 min: breached at 10:00 local = 08:00Z; resolution 480 min:
    due Tue 09:00 local = 07:00Z); A's clocks keep the contract's P3 targets (SLA.md:
    "unchanged")."""
    w = world
    tid = api.file(local("2026-11-23 09:00"), w.requester, w.service)["id"]
    leg = api.escalate(local("2026-11-23 10:00"), tid, w.agent)["escalation"]
    at = local("2026-11-23 11:00")
    resp = api.patch(at, tid, w.agent, {"priority": "P2", "priority_reason": "Koko koulu."})
    assert resp.status_code == 200, resp.get_json()
    clocks = api.clocks(at, tid, w.agent)
    _assert_clock(_clock(clocks, "response"), "breached", 7200, "2026-11-23T08:00Z")
    _assert_clock(_clock(clocks, "resolution"), "running", 7200, "2026-11-24T07:00Z")
    assert _clock(clocks, "resolution")["target_minutes"] == 480
    sup_resp = _clock(clocks, "supplier_response", leg["id"])
    sup_resol = _clock(clocks, "supplier_resolution", leg["id"])
    assert (sup_resp["target_minutes"], sup_resol["target_minutes"]) == (60, 480)
    _assert_clock(sup_resp, "at_risk", 3600, "2026-11-23T09:00Z")  # due this very instant
    _assert_clock(sup_resol, "running", 3600, "2026-11-24T08:00Z")


def test_a_supplier_clock_explains_the_contract_line_it_was_measured_on(api, world):
    w = world
    tid = api.file(local("2026-11-23 09:00"), w.requester, w.service)["id"]
    leg = api.escalate(local("2026-11-23 10:00"), tid, w.agent, w.supplier_b)["escalation"]
    at = local("2026-11-23 10:20")
    for user in (w.agent, w.agent_b):
        body = api.ok("GET", at, f"/tickets/{tid}/sla", user)
        clocks = {(c["kind"], c["leg"]): c for c in body["clocks"]}
        sup = clocks[("supplier_resolution", leg["id"])]
        assert sup["calendar"] == {"id": w.always["id"], "name": "24x7"}
        assert sup["promise"]["scope"] == "contract default"
        assert sup["promise"]["priority"] == "P3"
        assert sup["promise"]["contract"]["name"] == f"{SUPPLIER_B} underpinning contract 2026"
        assert sup["promise"]["supplier"] == {"id": w.supplier_b["id"], "name": SUPPLIER_B}
        assert sup["promise"]["escalation_id"] == leg["id"]
        assert (sup["initial_target_minutes"], sup["elapsed_seconds"]) == (240, 1200)
        assert sup["intervals"] == [
            {"start": z("2026-11-23T08:00Z"), "end": z("2026-11-23T08:20Z")}
        ]
        assert sup["events"] == [
            {"type": "start", "at": "2026-11-23T08:00:00Z", "why": "escalated to the supplier"}
        ]
        assert clocks[("resolution", 0)]["promise"]["scope"] == "agreement default"
