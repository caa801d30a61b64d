"""Where the time went (SLA.md): the business time of the resolution clock split by who held
the ticket. desk_seconds + supplier_seconds == elapsed_seconds of the resolution clock;
customer_seconds == the business time it stood paused (waiting for customer).

The scenario (P3, customer calendar Mon-Fri 08:00-16:00 Helsinki = 06:00-14:00Z in November,
resolution target 960 min; all instants below in UTC, week of Mon 2026-11-23):

| instant (UTC) | local | what | holder from here |
|---|---|---|---|
| Mon 07:00 | 09:00 | received | desk |
| Mon 08:00 | 10:00 | waiting for customer | customer (paused) |
| Mon 11:00 | 13:00 | the requester answers | desk |
| Mon 12:00 | 14:00 | escalated to A (Kuntasoft, office hours) | supplier A |
| Tue 08:00 | 10:00 | A marks done | desk |
| Tue 09:00 | 11:00 | waiting for customer | customer (paused) |
| Wed 07:00 | 09:00 | the requester answers | desk |
| Wed 08:00 | 10:00 | escalated to B (Pilvi, 24x7) | supplier B |
| Thu 07:00 | 09:00 | B marks done | desk |
| Thu 10:00 | 12:00 | resolved | - |

Business time of the resolution clock (open 06:00-14:00Z):
- desk: Mon 07-08, Mon 11-12, Tue 08-09, Wed 07-08, Thu 07-10 = 1+1+1+1+3 h = 25200 s
- supplier A: Mon 12-14, Tue 06-08 = 4 h = 14400 s; supplier B: Wed 08-14, Thu 06-07 = 7 h
  = 25200 s (B's own 24x7 clock counted 23 h of it; attribution is on the customer's clock)
- elapsed = 25200 + 14400 + 25200 = 64800 s (18 h); the 960-min target was used up at
  Thu 08:00Z (after 1+3+3+7 h by Wednesday night, 2 h more on Thursday): breached, while
  the desk held the ticket.
- customer (paused): Mon 08-11 (3 h) + Tue 09-14 (5 h) + Wed 06-07 (1 h) = 9 h = 32400 s
  (the night between is not business time).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.escalations.conftest import SUPPLIER_A, SUPPLIER_B, local


def _split(api: Any, when: Any, tid: int, user: Any) -> dict[str, Any]:
    split = api.ok("GET", when, f"/tickets/{tid}", user)["sla"]["time_split"]
    assert api.ok("GET", when, f"/tickets/{tid}/sla", user)["time_split"] == split
    assert split["desk_seconds"] + split["supplier_seconds"] == split["elapsed_seconds"]
    assert sum(split["by_supplier"].values()) == split["supplier_seconds"]
    return split


def _resolution(api: Any, when: Any, tid: int, user: Any) -> dict[str, Any]:
    body = api.ok("GET", when, f"/tickets/{tid}/sla", user)
    return next(c for c in body["clocks"] if c["kind"] == "resolution" and c["leg"] == 0)


def _expect(
    split: dict[str, Any],
    state: str,
    elapsed: int,
    desk: int,
    customer: int,
    by_supplier: dict[str, int],
) -> None:
    assert split == {
        "clock_state": state,
        "elapsed_seconds": elapsed,
        "desk_seconds": desk,
        "supplier_seconds": sum(by_supplier.values()),
        "customer_seconds": customer,
        "by_supplier": by_supplier,
    }


def test_the_split_sums_to_the_resolution_clock_over_two_legs_and_two_waits(api, world):
    w = world
    tid = api.file(local("2026-11-23 09:00"), w.requester, w.service)["id"]

    def wait(when: str) -> None:
        resp = api.patch(local(when), tid, w.agent, {"status": "waiting_for_customer"})
        assert resp.status_code == 200, resp.get_json()

    def answer(when: str) -> None:
        assert api.comment(local(when), tid, w.requester, "Tässä tiedot.").status_code == 201

    wait("2026-11-23 10:00")
    # Waiting, at Mon 12:00: 1 h desk, 2 h customer so far.
    _expect(_split(api, local("2026-11-23 12:00"), tid, w.agent), "paused", 3600, 3600, 7200, {})
    answer("2026-11-23 13:00")
    leg_a = api.escalate(local("2026-11-23 14:00"), tid, w.agent)["escalation"]
    # With A, at Tue 09:00: A had Mon 14-16 and Tue 08-09 local.
    _expect(
        _split(api, local("2026-11-24 09:00"), tid, w.agent),
        "running",
        18000,
        7200,
        10800,
        {SUPPLIER_A: 10800},
    )
    api.ok(
        "POST",
        local("2026-11-24 10:00"),
        f"/tickets/{tid}/escalations/{leg_a['id']}/done",
        w.agent_a,
    )
    wait("2026-11-24 11:00")
    # Waiting again, at Wed 08:30: 5 h on Tuesday and half an hour on Wednesday.
    _expect(
        _split(api, local("2026-11-25 08:30"), tid, w.agent),
        "paused",
        25200,
        10800,
        30600,
        {SUPPLIER_A: 14400},
    )
    answer("2026-11-25 09:00")
    leg_b = api.escalate(local("2026-11-25 10:00"), tid, w.agent, w.supplier_b)["escalation"]
    api.ok(
        "POST",
        local("2026-11-26 09:00"),
        f"/tickets/{tid}/escalations/{leg_b['id']}/done",
        w.agent_b,
    )
    resp = api.patch(local("2026-11-26 12:00"), tid, w.agent, {"status": "resolved"})
    assert resp.status_code == 200, resp.get_json()

    later = local("2026-11-27 15:00")  # nothing moves after the resolution
    split = _split(api, later, tid, w.agent)
    _expect(split, "breached", 64800, 25200, 32400, {SUPPLIER_A: 14400, SUPPLIER_B: 25200})
    resolution = _resolution(api, later, tid, w.agent)
    assert resolution["elapsed_seconds"] == split["elapsed_seconds"]
    assert resolution["breach_at"] == "2026-11-26T08:00:00Z"
    paused = sum(
        (api_dt(p["end"]) - api_dt(p["start"])).total_seconds() for p in resolution["pauses"]
    )
    assert paused == 3 * 3600 + 22 * 3600  # real time paused; only 9 h of it business time
    # B's own clock ran around the clock: 23 h against its 240-minute target.
    clocks = {
        (c["kind"], c["leg"]): c
        for c in api.ok("GET", later, f"/tickets/{tid}/sla", w.agent)["clocks"]
    }
    assert clocks[("supplier_resolution", leg_b["id"])]["elapsed_seconds"] == 23 * 3600
    assert clocks[("supplier_resolution", leg_b["id"])]["state"] == "breached"
    assert clocks[("supplier_resolution", leg_a["id"])]["elapsed_seconds"] == 4 * 3600
    # The customer's account manager reads the same figures (reports add these up).
    assert api.ok("GET", later, f"/tickets/{tid}", w.manager)["sla"]["time_split"] == split


def api_dt(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_resolving_while_escalated_ends_the_supplier_share_and_reopening_is_desk_time(api, world):
    """Escalated Mon 10:00, resolved Mon 12:00 (the leg closes), reopened Tue 09:00 by the
    requester, resolved Tue 10:00: 3 h + 1 h elapsed, 2 h of them with A."""
    w = world
    tid = api.file(local("2026-11-23 09:00"), w.requester, w.service)["id"]
    api.escalate(local("2026-11-23 10:00"), tid, w.agent)
    assert (
        api.patch(local("2026-11-23 12:00"), tid, w.agent, {"status": "resolved"}).status_code
        == 200
    )
    assert (
        api.patch(
            local("2026-11-24 09:00"), tid, w.requester, {"status": "in_progress"}
        ).status_code
        == 200
    )
    assert (
        api.patch(local("2026-11-24 10:00"), tid, w.agent, {"status": "resolved"}).status_code
        == 200
    )
    _expect(
        _split(api, local("2026-11-24 15:00"), tid, w.agent),
        "met",
        14400,
        7200,
        0,
        {SUPPLIER_A: 7200},
    )


@pytest.mark.parametrize("micro", [1, 400_000, 999_999])
def test_the_split_is_exact_with_sub_second_instants(api, world, micro):
    """Real instants carry microseconds: the sums still hold to the second, per supplier too.

    A holds the ticket from Mon 10:00:00.micro to Tue 09:00:00.micro (local): 6 h + 1 h of
    business time, cut into two open intervals of the calendar.
    """
    w = world
    tid = api.file(local("2026-11-23 09:00"), w.requester, w.service)["id"]
    leg = api.escalate(local("2026-11-23 10:00").replace(microsecond=micro), tid, w.agent)[
        "escalation"
    ]
    api.ok(
        "POST",
        local("2026-11-24 09:00").replace(microsecond=micro),
        f"/tickets/{tid}/escalations/{leg['id']}/done",
        w.agent_a,
    )
    split = _split(api, local("2026-11-24 12:00"), tid, w.agent)
    _expect(split, "running", 11 * 3600, 4 * 3600, 0, {SUPPLIER_A: 7 * 3600})


def test_a_ticket_without_a_promise_has_no_split(api, world):
    w = world
    tid = api.file(local("2026-11-23 09:00"), w.requester, w.service, impact="low", urgency="low")[
        "id"
    ]  # P4: no promise
    body = api.ok("GET", local("2026-11-23 10:00"), f"/tickets/{tid}", w.agent)
    assert body["sla"]["no_promise"] is True
    assert body["sla"]["time_split"] is None
