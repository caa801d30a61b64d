"""A withdrawn escalation (SLA.md "Clock life"): its supplier clocks are cancelled and left out
of supplier compliance, except a clock already past its due instant, which stays breached.

Worked case (see conftest): received Mon 2026-11-23 09:00 local, P3; escalated to A (Kuntasoft
Oy, office hours, response 60 / resolution 480 min) at 10:00: A's response is due at 11:00 local
(09:00Z), its resolution Tue 10:00 local (08:00Z). The desk withdraws at 11:30.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from servicedesk import db
from servicedesk.db import frozen_now
from sla.jobs import sweep
from tests.escalations.conftest import local, z
from tests.escalations.test_supplier_sweep import alerts, mails


def _sweep(app: Any, now: datetime) -> tuple[int, int, int]:
    with app.app_context(), frozen_now(now), db.unit_of_work(app) as sess:
        result = sweep(sess, now)
    return result.warnings, result.breaches, result.silent


def _supplier_clocks(api: Any, when: datetime, tid: int, agent: Any, leg: int) -> dict[str, Any]:
    body = api.ok("GET", when, f"/tickets/{tid}/sla", agent)
    return {c["kind"]: c for c in body["clocks"] if c["leg"] == leg}


def _compliance(api: Any, agent: Any, contract_id: int) -> list[tuple[str, int, int]]:
    body = api.ok(
        "GET",
        local("2026-12-02 12:00"),
        f"/reports/supplier-compliance?contract_id={contract_id}&period=2026-11",
        agent,
    )
    return [(k["kind"], k["met"], k["breached"]) for k in body["kinds"]]


def test_a_withdrawn_escalation_cancels_its_clocks_but_one_past_due_stays_breached(api, world, app):
    w = world
    tid = api.file(local("2026-11-23 09:00"), w.requester, w.service)["id"]
    escalated = api.escalate(local("2026-11-23 10:00"), tid, w.agent)
    leg, contract_id = escalated["escalation"]["id"], escalated["hand_off"]["contract"]["id"]
    api.ok("POST", local("2026-11-23 11:30"), f"/tickets/{tid}/escalations/{leg}/withdraw", w.agent)

    clocks = _supplier_clocks(api, local("2026-11-23 11:30"), tid, w.admin, leg)
    response, resolution = clocks["supplier_response"], clocks["supplier_resolution"]
    assert (response["state"], response["breach_at"], response["stopped_at"]) == (
        "breached",
        z("2026-11-23T09:00Z"),
        z("2026-11-23T09:30Z"),
    )
    assert (resolution["state"], resolution["due_at"], resolution["stopped_at"]) == (
        "cancelled",
        None,
        z("2026-11-23T09:30Z"),
    )
    for clock in (response, resolution):
        assert clock["end_reason"] == "escalation withdrawn"
        assert clock["ended_by"] == "escalation_withdrawn"
        assert clock["start_reason"] == "escalated to the supplier"

    # The sweep records the response's breach (and its missed warning, untold) and never
    # anything of the cancelled resolution clock, however long it waits.
    # (Wed noon: the customer's response and resolution have breached too.)
    assert _sweep(app, local("2026-11-25 12:00")) == (3, 3, 3)
    assert [a for a in alerts(app, tid) if a[1] == leg] == [
        ("supplier_response", leg, "warning", "2026-11-23T08:48Z"),
        ("supplier_response", leg, "breach", "2026-11-23T09:00Z"),
    ]
    assert mails(app, tid, "supplier_resolution") == []
    assert _compliance(api, w.admin, contract_id) == [("supplier_response", 0, 1)]


def test_a_response_the_supplier_gave_in_time_keeps_its_outcome_after_a_withdrawal(api, world, app):
    w = world
    tid = api.file(local("2026-11-23 09:00"), w.requester, w.service)["id"]
    escalated = api.escalate(local("2026-11-23 10:00"), tid, w.agent)
    leg, contract_id = escalated["escalation"]["id"], escalated["hand_off"]["contract"]["id"]
    assert api.comment(local("2026-11-23 10:20"), tid, w.agent_a, "Katsomme.").status_code == 201
    api.ok("POST", local("2026-11-24 09:00"), f"/tickets/{tid}/escalations/{leg}/withdraw", w.agent)

    clocks = _supplier_clocks(api, local("2026-11-24 09:00"), tid, w.admin, leg)
    assert clocks["supplier_response"]["state"] == "met"
    assert clocks["supplier_response"]["end_reason"] == "public reply by the supplier"
    assert clocks["supplier_response"]["ended_by"] is None
    assert clocks["supplier_resolution"]["state"] == "cancelled"
    assert clocks["supplier_resolution"]["ended_by"] == "escalation_withdrawn"
    assert _compliance(api, w.admin, contract_id) == [("supplier_response", 1, 0)]
