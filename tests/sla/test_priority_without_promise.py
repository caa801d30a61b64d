"""Priority changes to and from a priority without a promise (SLA.md, "Clock life"), through
the ticket API, the sweep and the service-level report.

The agreement (tests/sla/conftest.py): P3 response 120, resolution 480, update 240; P2 response
60, resolution 240; P4 has no line. Calendar Mon-Fri 08:00-16:00 Helsinki (UTC+2 in November).

- **To P4**: the open clocks are cancelled with the reason "no promise for P4" (a paused one too:
  it has not ended), left out of compliance and counted as "ended by a priority change"; a clock
  already past its due instant stops and stays breached (history is not rewritten).
- **From P4**: the response and resolution clocks start retroactively at the received time, with
  the pauses as they happened and the desk's first public reply stopping the response clock; a
  due instant already past makes the clock breached at that instant.
- A cancelled clock is final and clock rows are unique per (ticket, kind, leg, cycle): a kind
  whose clocks were all cancelled starts again in the next cycle; a kind whose clock stayed
  breached keeps that clock as its outcome (a second one would count the same breach twice).
"""

from __future__ import annotations

from typing import Any

from servicedesk.db import frozen_now
from tests.sla.conftest import P2, P3, P4, World, clock, hel
from tests.sla.test_sweep import SweepResult, alerts, outbox, run_sweep


def kinds(answer: dict[str, Any]) -> list[tuple[str, int, str]]:
    return [(c["kind"], c["cycle"], c["state"]) for c in answer["sla"]["clocks"]]


def report(world: World, period: str = "2026-11") -> dict[str, Any]:
    with frozen_now(hel(2026, 12, 2, 12)):
        resp = world.client.get(
            "/api/v1/reports/service-level",
            query_string={"organisation_id": world.org.id, "period": period},
            headers=world.headers["admin"],
        )
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_a_change_to_a_priority_without_a_promise_cancels_the_open_clocks_saying_why(app, world):
    tid = world.file(hel(2026, 11, 23, 9))["id"]
    world.comment(tid, hel(2026, 11, 23, 9, 30))  # response met
    world.comment(tid, hel(2026, 11, 23, 9, 40), who="requester")  # update cycle 1
    world.patch(tid, hel(2026, 11, 23, 10), status="waiting_for_customer")  # pauses both
    changed = world.patch(tid, hel(2026, 11, 23, 11), **P4)
    assert changed["priority"] == "P4"
    assert kinds(changed) == [
        ("response", 0, "met"),
        ("resolution", 0, "cancelled"),
        ("update", 1, "cancelled"),
    ]
    explained = world.explain(tid, hel(2026, 11, 23, 11))
    for kind, cycle in (("resolution", 0), ("update", 1)):
        cancelled = clock(explained, kind, cycle)
        assert cancelled["end_reason"] == "no promise for P4"
        assert cancelled["ended_by"] == "priority_change"
        assert cancelled["stopped_at"] == "2026-11-23T09:00:00Z"
        assert cancelled["due_at"] is cancelled["breach_at"] is None
    met = clock(explained, "response")
    assert (met["end_reason"], met["ended_by"]) == ("public reply by the desk", None)
    # Nothing left to run, pause or breach: no state lists it, the sweep records nothing.
    for state in ("running", "at_risk", "paused", "breached"):
        assert tid not in world.listed(hel(2026, 11, 24, 12), f"sla_state={state}")
    assert run_sweep(app, hel(2026, 11, 30, 12)) == SweepResult(0, 0)
    assert alerts(app, tid) == {}
    # The report leaves them out of compliance and counts them apart.
    body = report(world)
    assert body["ended_by_priority_change"] == {"resolution": 1, "update": 1}
    assert body["overall"]["response"]["met"] == 1
    assert "resolution" not in body["overall"]  # nothing counted: no figure at all


def test_a_clock_already_past_due_stays_breached_when_the_priority_loses_its_promise(app, world):
    """Received Mon 09:00, no reply: the response was due at 11:00. At 12:00 the priority goes
    to P4: the response stops there, breached at 11:00; the resolution (due Tue) is cancelled."""
    tid = world.file(hel(2026, 11, 23, 9))["id"]
    changed = world.patch(tid, hel(2026, 11, 23, 12), priority="P4", priority_reason="ei kiire")
    assert kinds(changed) == [("response", 0, "breached"), ("resolution", 0, "cancelled")]
    response = clock(world.explain(tid, hel(2026, 11, 24, 12)), "response")
    assert response["breach_at"] == response["due_at"] == "2026-11-23T09:00:00Z"
    assert response["stopped_at"] == "2026-11-23T10:00:00Z"
    assert response["end_reason"] == "no promise for P4"
    assert response["ended_by"] == "priority_change"
    assert world.listed(hel(2026, 11, 24, 12), "sla_state=breached") == [tid]
    # The breach is recorded at its true instant and told; the missed warning is not.
    assert run_sweep(app, hel(2026, 11, 24, 12)) == SweepResult(1, 1, silent=1)
    assert alerts(app, tid) == {
        ("response", 0, "warning"): "2026-11-23T08:36:00Z",
        ("response", 0, "breach"): "2026-11-23T09:00:00Z",
    }
    assert {m.kind for m in outbox(app, ticket_id=tid) if m.kind.startswith("sla_")} == {
        "sla_breach"
    }
    # A later reply changes nothing: the outcome is history.
    world.comment(tid, hel(2026, 11, 24, 13))
    assert clock(world.get(tid, hel(2026, 11, 24, 13)), "response")["state"] == "breached"
    body = report(world)
    assert body["overall"]["response"]["breached"] == 1
    assert body["ended_by_priority_change"] == {"resolution": 1}


def test_a_retroactive_start_counts_the_pauses_stops_at_the_reply_and_breaches_in_the_past(
    app, world
):
    """P4 received Mon 09:00; the desk replied at 09:30 and asked a question at 10:00; the
    requester answered Tue 10:00; at Tue 14:00 the priority goes to P2 (60 / 240 min).

    Response: 09:00-09:30, met (30 of 60 minutes). Resolution: 60 minutes Mon 09-10, paused to
    Tue 10:00, then 180 minutes: due Tue 13:00, an hour before the change: breached at 13:00.
    Its warning (192 minutes) was at Tue 12:12."""
    tid = world.file(hel(2026, 11, 23, 9), **P4)["id"]
    world.comment(tid, hel(2026, 11, 23, 9, 30))
    world.patch(tid, hel(2026, 11, 23, 10), status="waiting_for_customer")
    world.comment(tid, hel(2026, 11, 24, 10), who="requester", body="Tässä tiedot.")
    changed = world.patch(tid, hel(2026, 11, 24, 14), **P2)
    assert kinds(changed) == [("response", 0, "met"), ("resolution", 0, "breached")]

    explained = world.explain(tid, hel(2026, 11, 24, 14))
    response = clock(explained, "response")
    assert (response["elapsed_seconds"], response["stopped_at"]) == (1800, "2026-11-23T07:30:00Z")
    assert response["retroactive"] is True
    assert [e["type"] for e in response["events"]] == ["start", "stop"]
    resolution = clock(explained, "resolution")
    assert resolution["retroactive"] is True
    assert resolution["breach_at"] == resolution["due_at"] == "2026-11-24T11:00:00Z"
    assert resolution["elapsed_seconds"] == 300 * 60
    assert resolution["pauses"] == [
        {"start": "2026-11-23T08:00:00Z", "end": "2026-11-24T08:00:00Z"}
    ]
    assert [e["type"] for e in resolution["events"]] == ["start", "pause", "resume"]
    assert resolution["events"][0]["at"] == "2026-11-23T07:00:00Z"

    # The sweep records the breach at its true instant and tells it; the warning is
    # recorded late (it was never running as a promise then) and told to nobody.
    assert run_sweep(app, hel(2026, 11, 24, 14, 1)) == SweepResult(1, 1, silent=1)
    assert alerts(app, tid) == {
        ("resolution", 0, "warning"): "2026-11-24T10:12:00Z",
        ("resolution", 0, "breach"): "2026-11-24T11:00:00Z",
    }
    told = clock(world.explain(tid, hel(2026, 11, 24, 14, 2)), "resolution")["alerts"]
    assert [(a["kind"], a["late"], a["notified"]) for a in told] == [
        ("warning", True, False),
        ("breach", True, True),
    ]
    assert {m.kind for m in outbox(app, ticket_id=tid) if m.kind.startswith("sla_")} == {
        "sla_breach"
    }


def test_a_retroactive_start_not_yet_due_runs_on_and_warns_when_its_time_comes(app, world):
    tid = world.file(hel(2026, 11, 23, 9), **P4)["id"]
    world.assign(tid, hel(2026, 11, 23, 9))
    changed = world.patch(tid, hel(2026, 11, 23, 10), **P2)
    response = clock(changed, "response")
    assert (response["state"], response["due_at"]) == ("at_risk", "2026-11-23T08:00:00Z")
    assert response["warning_at"] == "2026-11-23T07:48:00Z"  # 48 minutes after 09:00
    # The warning instant passed before the change: recorded at it, and told (not breached).
    # The resolution's (192 of 240 minutes: Mon 12:12) is still ahead.
    assert run_sweep(app, hel(2026, 11, 23, 10)) == SweepResult(1, 0)
    assert alerts(app, tid) == {("response", 0, "warning"): "2026-11-23T07:48:00Z"}
    assert outbox(app, ticket_id=tid, kind="sla_warning")
    assert run_sweep(app, hel(2026, 11, 23, 12, 13)) == SweepResult(1, 1)  # response breached
    assert alerts(app, tid)[("resolution", 0, "warning")] == "2026-11-23T10:12:00Z"


def test_to_p4_and_back_twice_starts_new_cycles_and_keeps_each_outcome(world):
    """P3 at Mon 09:00. 09:30 P4: both cancelled. 10:00 P2: both again from 09:00 (cycle 1);
    the response is due at 10:00 exactly. 10:30 P4: the response is past due: it stays breached;
    the resolution is cancelled. 11:00 P2: only the resolution starts again (cycle 2)."""
    tid = world.file(hel(2026, 11, 23, 9))["id"]
    world.patch(tid, hel(2026, 11, 23, 9, 30), **P4)
    again = world.patch(tid, hel(2026, 11, 23, 10), **P2)
    assert kinds(again) == [
        ("response", 0, "cancelled"),
        ("resolution", 0, "cancelled"),
        ("response", 1, "at_risk"),
        ("resolution", 1, "running"),
    ]
    assert clock(again, "response", 1)["due_at"] == "2026-11-23T08:00:00Z"
    world.patch(tid, hel(2026, 11, 23, 10, 30), **P4)
    final = world.patch(tid, hel(2026, 11, 23, 11), **P2)
    assert kinds(final) == [
        ("response", 0, "cancelled"),
        ("resolution", 0, "cancelled"),
        ("response", 1, "breached"),
        ("resolution", 1, "cancelled"),
        ("resolution", 2, "running"),
    ]
    resolution = clock(final, "resolution", 2)
    assert resolution["due_at"] == "2026-11-23T11:00:00Z"  # 240 minutes from 09:00
    assert resolution["elapsed_seconds"] == 2 * 3600
    explained = world.explain(tid, hel(2026, 11, 23, 11))
    assert clock(explained, "response", 1)["breach_at"] == "2026-11-23T08:00:00Z"
    assert clock(explained, "response", 1)["ended_by"] == "priority_change"
    assert [clock(explained, "resolution", n)["end_reason"] for n in (0, 1, 2)] == [
        "no promise for P4",
        "no promise for P4",
        None,
    ]
    # Where the time went follows the resolution clock that runs, not a cancelled one.
    assert explained["time_split"]["elapsed_seconds"] == 2 * 3600
    # The desk's reply now stops nothing new: the response's outcome stands.
    world.comment(tid, hel(2026, 11, 23, 11, 30))
    assert clock(world.get(tid, hel(2026, 11, 23, 12)), "response", 1)["state"] == "breached"


def test_reopened_without_a_promise_nothing_resumes_and_a_promise_later_resumes_it(world):
    """P3 resolved Mon 10:00 (resolution met, 60 min); made P4 while resolved; reopened at
    Tue 10:00: no clock resumes. Made P3 again Tue 11:00: the resolution runs on from there."""
    tid = world.file(hel(2026, 11, 23, 9))["id"]
    world.patch(tid, hel(2026, 11, 23, 10), status="resolved")
    world.patch(tid, hel(2026, 11, 23, 11), **P4)
    world.patch(tid, hel(2026, 11, 24, 10), who="requester", status="in_progress")
    reopened = world.get(tid, hel(2026, 11, 24, 10, 30))
    assert kinds(reopened) == [("response", 0, "met"), ("resolution", 0, "met")]
    promised = world.patch(tid, hel(2026, 11, 24, 11), **P3)
    resolution = clock(promised, "resolution")
    assert (resolution["state"], resolution["elapsed_seconds"]) == ("running", 3600)
    assert resolution["due_at"] == "2026-11-25T08:00:00Z"  # 420 minutes from Tue 11:00
    assert clock(promised, "response")["state"] == "met"
