"""Clocks on tickets, through the ticket API, at pinned instants (SLA.md "Clock life").

Every ticket here is P3 on the agreement default line (response 120, resolution 480, update
240 business minutes on Mon-Fri 08:00-16:00 Helsinki) unless the test says otherwise.
Week of the tests: Mon 23.11.2026 - Wed 25.11.2026 (no holidays); Helsinki is UTC+2.
"""

from __future__ import annotations

from tests.api.helpers import assert_error
from tests.sla.conftest import P2, P3, P4, World, clock, hel, z


def kinds(ticket: dict) -> list[tuple[str, int]]:
    return [(c["kind"], c["cycle"]) for c in ticket["sla"]["clocks"]]


# --- received -------------------------------------------------------------------------------


def test_received_monday_15_00_the_response_is_due_tuesday_09_00_as_in_example_1(world):
    ticket = world.file(hel(2026, 11, 23, 15))
    assert ticket["priority"] == "P3"
    assert ticket["sla"]["no_promise"] is False
    assert kinds(ticket) == [("response", 0), ("resolution", 0)]
    response, resolution = clock(ticket, "response"), clock(ticket, "resolution")
    assert response == {
        "kind": "response", "cycle": 0, "leg": 0, "state": "running", "target_minutes": 120,
        "elapsed_seconds": 0, "remaining_minutes": 120,
        "due_at": "2026-11-24T07:00:00Z",  # Tue 09:00
        "warning_at": "2026-11-24T06:36:00Z",  # 96 minutes: Tue 08:36
        "breach_at": None, "stopped_at": None,
    }
    assert resolution["due_at"] == "2026-11-24T13:00:00Z"  # Tue 15:00
    assert resolution["warning_at"] == "2026-11-24T11:24:00Z"  # 384 minutes: Tue 13:24
    assert resolution["remaining_minutes"] == 480

    # Read the next morning: the hour of Monday and the half hour of Tuesday are counted.
    later = world.get(ticket["id"], hel(2026, 11, 24, 8, 30))
    assert clock(later, "response")["elapsed_seconds"] == 90 * 60
    assert clock(later, "response")["remaining_minutes"] == 30
    assert clock(later, "response")["state"] == "running"
    assert clock(world.get(ticket["id"], hel(2026, 11, 24, 8, 40)), "response")["state"] == (
        "at_risk"
    )


def test_a_ticket_received_on_saturday_starts_counting_at_monday_opening(world):
    ticket = world.file(hel(2026, 11, 28, 10))  # example 2's instant
    assert clock(ticket, "response")["due_at"] == "2026-11-30T08:00:00Z"  # Mon 10:00
    assert clock(ticket, "resolution")["due_at"] == "2026-11-30T14:00:00Z"  # Mon 16:00


def test_the_24x7_family_line_measures_real_hours_across_the_spring_dst_night(world):
    """Example 4 through a ticket: the infrastructure family's P3 line runs on 24x7."""
    ticket = world.file(hel(2026, 3, 28, 12), service_id=world.infra_service.id)
    assert clock(ticket, "response")["due_at"] == "2026-03-28T11:00:00Z"
    assert clock(ticket, "resolution")["due_at"] == "2026-03-29T10:00:00Z"  # Sun 13:00 EEST
    later = world.get(ticket["id"], hel(2026, 3, 29, 12))  # 23 real hours later
    assert clock(later, "resolution")["elapsed_seconds"] == 23 * 3600


# --- response ---------------------------------------------------------------------------------


def test_a_desk_public_reply_stops_the_response_clock_and_an_internal_note_does_not(world):
    ticket = world.file(hel(2026, 11, 23, 15))
    world.comment(ticket["id"], hel(2026, 11, 24, 8, 30), internal=True, body="Selvitetään.")
    after_note = world.get(ticket["id"], hel(2026, 11, 24, 8, 30))
    assert clock(after_note, "response")["state"] == "running"
    assert clock(after_note, "response")["stopped_at"] is None

    world.comment(ticket["id"], hel(2026, 11, 24, 8, 45))
    replied = world.get(ticket["id"], hel(2026, 11, 25, 12))
    response = clock(replied, "response")
    assert response["state"] == "met"
    assert response["stopped_at"] == "2026-11-24T06:45:00Z"
    assert response["elapsed_seconds"] == 105 * 60
    assert response["breach_at"] is None
    # The resolution clock runs on; a second reply changes nothing.
    assert clock(replied, "resolution")["state"] == "breached"  # due Tue 15:00, now Wed noon
    world.comment(ticket["id"], hel(2026, 11, 25, 12, 5))
    assert clock(world.get(ticket["id"], hel(2026, 11, 25, 13)), "response") == response


def test_a_late_first_reply_leaves_the_response_breached_at_its_due_instant(world):
    ticket = world.file(hel(2026, 11, 23, 15))
    world.comment(ticket["id"], hel(2026, 11, 24, 9, 30))
    response = clock(world.get(ticket["id"], hel(2026, 11, 24, 10)), "response")
    assert response["state"] == "breached"
    assert response["breach_at"] == "2026-11-24T07:00:00Z"
    assert response["stopped_at"] == "2026-11-24T07:30:00Z"


def test_a_requester_comment_is_not_a_response(world):
    ticket = world.file(hel(2026, 11, 23, 9))
    world.comment(ticket["id"], hel(2026, 11, 23, 9, 30), who="requester", body="Kiire!")
    assert clock(world.get(ticket["id"], hel(2026, 11, 23, 9, 45)), "response")["state"] == (
        "running"
    )


# --- waiting for the customer ----------------------------------------------------------------


def test_waiting_for_customer_pauses_resolution_and_the_answer_resumes_it_example_5(world):
    ticket = world.file(hel(2026, 11, 23, 9))
    world.patch(ticket["id"], hel(2026, 11, 23, 10), status="waiting_for_customer")

    waiting = world.get(ticket["id"], hel(2026, 11, 23, 12))
    resolution = clock(waiting, "resolution")
    assert (resolution["state"], resolution["due_at"]) == ("paused", None)
    assert resolution["elapsed_seconds"] == 3600
    assert resolution["remaining_minutes"] == 420
    # The response clock keeps running while the ticket waits (and is breached by noon).
    assert clock(waiting, "response")["state"] == "breached"
    assert clock(waiting, "response")["breach_at"] == "2026-11-23T09:00:00Z"

    world.comment(ticket["id"], hel(2026, 11, 24, 10), who="requester", body="Tässä tiedot.")
    answered = world.get(ticket["id"], hel(2026, 11, 24, 10))
    assert answered["status"] == "in_progress"
    resolution = clock(answered, "resolution")
    assert resolution["state"] == "running"
    assert resolution["due_at"] == "2026-11-25T07:00:00Z"  # Wed 09:00, as SLA.md example 5
    assert resolution["elapsed_seconds"] == 3600

    explained = clock(world.explain(ticket["id"], hel(2026, 11, 24, 11)), "resolution")
    assert explained["pauses"] == [
        {"start": "2026-11-23T08:00:00Z", "end": "2026-11-24T08:00:00Z"}
    ]
    assert explained["intervals"] == [
        {"start": "2026-11-23T07:00:00Z", "end": "2026-11-23T08:00:00Z"},
        {"start": "2026-11-24T08:00:00Z", "end": "2026-11-24T09:00:00Z"},
    ]
    assert [e["type"] for e in explained["events"]] == ["start", "pause", "resume"]


def test_the_desk_taking_the_ticket_back_from_waiting_resumes_resolution_too(world):
    ticket = world.file(hel(2026, 11, 23, 9))
    world.patch(ticket["id"], hel(2026, 11, 23, 10), status="waiting_for_customer")
    world.patch(ticket["id"], hel(2026, 11, 23, 14), status="in_progress")
    resolution = clock(world.get(ticket["id"], hel(2026, 11, 23, 14)), "resolution")
    assert resolution["state"] == "running"
    assert resolution["due_at"] == "2026-11-24T11:00:00Z"  # 1 h + 2 h Mon, 5 h Tue: 13:00


def test_resolving_a_waiting_ticket_stops_the_paused_resolution_clock_as_met(world):
    ticket = world.file(hel(2026, 11, 23, 9))
    world.patch(ticket["id"], hel(2026, 11, 23, 10), status="waiting_for_customer")
    world.patch(ticket["id"], hel(2026, 11, 30, 10), status="resolved")
    resolution = clock(world.get(ticket["id"], hel(2026, 11, 30, 11)), "resolution")
    assert resolution["state"] == "met"
    assert resolution["elapsed_seconds"] == 3600
    assert resolution["stopped_at"] == "2026-11-30T08:00:00Z"


# --- resolved, reopened ----------------------------------------------------------------------


def test_resolved_stops_both_clocks(world):
    ticket = world.file(hel(2026, 11, 23, 9))
    world.patch(ticket["id"], hel(2026, 11, 23, 10, 30), status="resolved")
    resolved = world.get(ticket["id"], hel(2026, 11, 26, 12))
    for kind in ("response", "resolution"):
        assert clock(resolved, kind)["state"] == "met"
        assert clock(resolved, kind)["stopped_at"] == "2026-11-23T08:30:00Z"
        assert clock(resolved, kind)["elapsed_seconds"] == 90 * 60


def test_reopen_resumes_the_resolution_clock_without_counting_the_resolved_time(world):
    ticket = world.file(hel(2026, 11, 23, 9))
    world.patch(ticket["id"], hel(2026, 11, 23, 10, 30), status="resolved")
    world.patch(ticket["id"], hel(2026, 11, 24, 12), who="requester", status="in_progress")

    reopened = world.get(ticket["id"], hel(2026, 11, 24, 13))
    resolution = clock(reopened, "resolution")
    assert resolution["state"] == "running"
    assert resolution["elapsed_seconds"] == (90 + 60) * 60  # Mon 09:00-10:30, Tue 12:00-13:00
    assert resolution["due_at"] == "2026-11-25T08:30:00Z"  # 390 left at Tue 12:00: Wed 10:30
    assert resolution["stopped_at"] is None
    # The response clock was stopped by the resolution and stays met.
    assert clock(reopened, "response")["state"] == "met"
    assert clock(reopened, "response")["stopped_at"] == "2026-11-23T08:30:00Z"

    explained = clock(world.explain(ticket["id"], hel(2026, 11, 24, 13)), "resolution")
    assert [e["type"] for e in explained["events"]] == ["start", "stop", "resume"]
    assert explained["intervals"] == [
        {"start": "2026-11-23T07:00:00Z", "end": "2026-11-23T08:30:00Z"},
        {"start": "2026-11-24T10:00:00Z", "end": "2026-11-24T11:00:00Z"},
    ]


# --- priority change ------------------------------------------------------------------------


def test_a_priority_change_switches_targets_keeps_elapsed_time_and_recomputes_due(world):
    ticket = world.file(hel(2026, 11, 23, 9))
    changed = world.patch(ticket["id"], hel(2026, 11, 23, 9, 30), **P2)
    assert changed["priority"] == "P2"
    response, resolution = clock(changed, "response"), clock(changed, "resolution")
    assert (response["target_minutes"], response["elapsed_seconds"]) == (60, 1800)
    assert response["due_at"] == "2026-11-23T08:00:00Z"  # Mon 10:00
    assert response["warning_at"] == "2026-11-23T07:48:00Z"  # 48 minutes after 09:00
    assert (resolution["target_minutes"], resolution["elapsed_seconds"]) == (240, 1800)
    assert resolution["due_at"] == "2026-11-23T11:00:00Z"  # Mon 13:00

    explained = clock(world.explain(ticket["id"], hel(2026, 11, 23, 9, 30)), "response")
    assert explained["initial_target_minutes"] == 120
    assert explained["current_target_minutes"] == 60
    assert explained["target_changes"] == [{"at": "2026-11-23T07:30:00Z", "target_minutes": 60}]
    assert explained["promise"]["priority"] == "P2"

    # Back to P3: the old targets again, still from the same elapsed time.
    back = world.patch(ticket["id"], hel(2026, 11, 23, 9, 45), **P3)
    assert clock(back, "response")["target_minutes"] == 120
    assert clock(back, "response")["due_at"] == "2026-11-23T09:00:00Z"  # Mon 11:00


def test_a_priority_raised_after_the_new_target_was_used_up_breaches_in_the_past(world):
    ticket = world.file(hel(2026, 11, 23, 9))
    world.comment(ticket["id"], hel(2026, 11, 23, 9, 30))  # response met under P3 (and P2)
    changed = world.patch(ticket["id"], hel(2026, 11, 23, 14), **P2)
    resolution = clock(changed, "resolution")
    assert resolution["state"] == "breached"
    assert resolution["breach_at"] == resolution["due_at"] == "2026-11-23T11:00:00Z"  # 13:00
    # A stopped clock keeps its target: the response was met under its own.
    assert clock(changed, "response")["target_minutes"] == 120
    assert clock(changed, "response")["state"] == "met"


def test_a_priority_lowered_gives_a_breached_clock_more_time(world):
    ticket = world.file(hel(2026, 11, 23, 9), **P2)
    assert clock(ticket, "resolution")["due_at"] == "2026-11-23T11:00:00Z"
    late = world.get(ticket["id"], hel(2026, 11, 23, 14))
    assert clock(late, "resolution")["state"] == "breached"
    lowered = world.patch(ticket["id"], hel(2026, 11, 23, 14), **P3)
    assert clock(lowered, "resolution")["state"] == "running"
    assert clock(lowered, "resolution")["due_at"] == "2026-11-24T07:00:00Z"  # Tue 09:00


# --- cancelled, no promise -------------------------------------------------------------------


def test_cancel_cancels_every_clock_and_leaves_them_out_of_every_sla_state(world):
    ticket = world.file(hel(2026, 11, 23, 9))
    world.comment(ticket["id"], hel(2026, 11, 23, 9, 10), who="requester")  # an update cycle
    world.patch(ticket["id"], hel(2026, 11, 23, 10), status="cancelled")
    cancelled = world.get(ticket["id"], hel(2026, 11, 30, 12))
    assert kinds(cancelled) == [("response", 0), ("resolution", 0), ("update", 1)]
    for c in cancelled["sla"]["clocks"]:
        assert c["state"] == "cancelled"
        assert c["due_at"] is c["warning_at"] is c["breach_at"] is None
        assert c["stopped_at"] == "2026-11-23T08:00:00Z"
    for state in ("running", "at_risk", "breached", "paused", "met"):
        assert world.listed(hel(2026, 11, 30, 12), f"sla_state={state}") == []


def test_a_priority_without_a_promise_line_has_no_clock_and_says_so(world):
    ticket = world.file(hel(2026, 11, 23, 9), **P4)
    assert ticket["priority"] == "P4"
    assert ticket["sla"]["no_promise"] is True
    assert ticket["sla"]["clocks"] == []
    explained = world.explain(ticket["id"], hel(2026, 11, 23, 10))
    assert explained["no_promise"] is True
    assert explained["clocks"] == []
    assert explained["agreement_version"]["id"] == world.version["id"]
    # Requester comments and replies start nothing either.
    world.comment(ticket["id"], hel(2026, 11, 23, 10), who="requester")
    world.comment(ticket["id"], hel(2026, 11, 23, 10, 5))
    assert world.get(ticket["id"], hel(2026, 11, 23, 11))["sla"]["clocks"] == []


def test_a_ticket_given_a_promised_priority_later_gets_its_clocks_from_its_receipt(world):
    """SLA.md: from a priority without a promise to one with, the clocks start retroactively
    at the received time (Mon 09:00), as if the ticket had had that priority from the start."""
    ticket = world.file(hel(2026, 11, 23, 9), **P4)
    changed = world.patch(ticket["id"], hel(2026, 11, 23, 10), **P3)
    assert changed["sla"]["no_promise"] is False
    assert clock(changed, "response")["due_at"] == "2026-11-23T09:00:00Z"  # Mon 11:00
    assert clock(changed, "response")["elapsed_seconds"] == 3600
    assert clock(changed, "resolution")["due_at"] == "2026-11-24T07:00:00Z"  # Tue 09:00
    assert clock(changed, "resolution")["elapsed_seconds"] == 3600
    explained = clock(world.explain(ticket["id"], hel(2026, 11, 23, 10)), "resolution")
    assert explained["retroactive"] is True
    assert explained["start_reason"] == "started retroactively at the received time"
    assert explained["events"][0]["at"] == "2026-11-23T07:00:00Z"
    assert explained["intervals"] == [
        {"start": "2026-11-23T07:00:00Z", "end": "2026-11-23T08:00:00Z"}
    ]


# --- the update clock -------------------------------------------------------------------------


def test_update_cycles_start_at_requester_comments_and_stop_at_desk_replies(world):
    ticket = world.file(hel(2026, 11, 23, 9))
    tid = ticket["id"]
    world.comment(tid, hel(2026, 11, 23, 10), who="requester", body="Onko uutta?")
    first = world.get(tid, hel(2026, 11, 23, 10))
    assert kinds(first) == [("response", 0), ("resolution", 0), ("update", 1)]
    assert clock(first, "update", 1)["target_minutes"] == 240
    assert clock(first, "update", 1)["due_at"] == "2026-11-23T12:00:00Z"  # Mon 14:00

    # A second requester comment while a cycle runs starts no new one.
    world.comment(tid, hel(2026, 11, 23, 10, 30), who="requester", body="Haloo?")
    # An internal note is not a reply.
    world.comment(tid, hel(2026, 11, 23, 10, 45), internal=True, body="Soitan hänelle.")
    assert kinds(world.get(tid, hel(2026, 11, 23, 10, 50)))[-1] == ("update", 1)
    assert clock(world.get(tid, hel(2026, 11, 23, 10, 50)), "update", 1)["state"] == "running"

    world.comment(tid, hel(2026, 11, 23, 11))
    replied = world.get(tid, hel(2026, 11, 23, 11))
    assert clock(replied, "update", 1)["state"] == "met"
    assert clock(replied, "update", 1)["stopped_at"] == "2026-11-23T09:00:00Z"
    assert clock(replied, "response")["state"] == "met"

    # The next requester comment starts cycle 2: 240 minutes from 12:00 is the 16:00 closing.
    world.comment(tid, hel(2026, 11, 23, 12), who="requester", body="Nyt toimii huonosti.")
    second = world.get(tid, hel(2026, 11, 23, 12))
    assert clock(second, "update", 2)["due_at"] == "2026-11-23T14:00:00Z"
    # Waiting for the customer pauses it like the resolution clock.
    world.patch(tid, hel(2026, 11, 23, 13), status="waiting_for_customer")
    waiting = world.get(tid, hel(2026, 11, 23, 15))
    assert clock(waiting, "update", 2)["state"] == "paused"
    assert clock(waiting, "update", 2)["elapsed_seconds"] == 3600
    # The customer's answer resumes it (and starts no third cycle while it runs).
    world.comment(tid, hel(2026, 11, 24, 9), who="requester", body="Tässä.")
    answered = world.get(tid, hel(2026, 11, 24, 9))
    assert kinds(answered)[-1] == ("update", 2)
    assert clock(answered, "update", 2)["state"] == "running"
    assert clock(answered, "update", 2)["due_at"] == "2026-11-24T10:00:00Z"  # 3 h left: 12:00
    # A late desk reply breaches the cycle on its own; the earlier cycle stays met.
    world.comment(tid, hel(2026, 11, 24, 12, 30))
    done = world.get(tid, hel(2026, 11, 24, 13))
    assert clock(done, "update", 2)["state"] == "breached"
    assert clock(done, "update", 2)["breach_at"] == "2026-11-24T10:00:00Z"
    assert clock(done, "update", 1)["state"] == "met"


def test_a_requester_comment_on_a_resolved_ticket_starts_no_update_cycle(world):
    """SLA.md: a cycle starts at a requester comment "while the ticket is open"."""
    ticket = world.file(hel(2026, 11, 23, 9))
    world.patch(ticket["id"], hel(2026, 11, 23, 10), status="resolved")
    world.comment(ticket["id"], hel(2026, 11, 23, 11), who="requester", body="Kiitos!")
    later = world.get(ticket["id"], hel(2026, 11, 30, 12))
    assert kinds(later) == [("response", 0), ("resolution", 0)]
    assert world.listed(hel(2026, 11, 30, 12), "sla_state=breached") == []


def test_a_p2_ticket_has_no_update_clock(world):
    ticket = world.file(hel(2026, 11, 23, 9), **P2)
    world.comment(ticket["id"], hel(2026, 11, 23, 10), who="requester")
    assert kinds(world.get(ticket["id"], hel(2026, 11, 23, 10))) == [
        ("response", 0), ("resolution", 0)
    ]


# --- lists: sla_state filters and the order by time to breach ---------------------------------

QUERY_AT = hel(2026, 11, 24, 9, 30)  # Tue 09:30


def _queue(world: World) -> dict[str, int]:
    """Tickets in every SLA situation as of QUERY_AT."""
    t = {}
    t["a"] = world.file(hel(2026, 11, 24, 9))["id"]  # both running, due 11:00
    t["b"] = world.file(hel(2026, 11, 23, 15))["id"]  # response breached at 09:00
    t["c"] = world.file(hel(2026, 11, 23, 15, 50))["id"]  # response at risk, due 09:50
    t["d"] = world.file(hel(2026, 11, 23, 9))["id"]
    world.comment(t["d"], hel(2026, 11, 23, 9, 5))  # response met
    world.patch(t["d"], hel(2026, 11, 23, 9, 10), status="waiting_for_customer")  # paused
    t["e"] = world.file(hel(2026, 11, 23, 10))["id"]
    world.comment(t["e"], hel(2026, 11, 23, 10, 30))  # response met; resolution at risk
    t["f"] = world.file(hel(2026, 11, 23, 11))["id"]
    world.patch(t["f"], hel(2026, 11, 23, 11, 5), status="cancelled")
    t["g"] = world.file(hel(2026, 11, 23, 12), **P4)["id"]  # no promise
    return t


def test_sla_state_filters_list_the_tickets_with_a_clock_in_that_state_now(world):
    t = _queue(world)

    def listed(query: str) -> set[str]:
        names = {v: k for k, v in t.items()}
        return {names[i] for i in world.listed(QUERY_AT, query)}

    assert listed("sla_state=running") == {"a", "b", "c"}
    assert listed("sla_state=at_risk") == {"c", "e"}
    assert listed("sla_state=breached") == {"b"}
    assert listed("sla_state=paused") == {"d"}
    assert listed("sla_state=met") == {"d", "e"}
    assert listed("sla_state=breached&sla_state=at_risk") == {"b", "c", "e"}
    # Each listed ticket's own answer agrees with the filter.
    for state, names in (("at_risk", {"c", "e"}), ("breached", {"b"}), ("paused", {"d"})):
        for name in names:
            states = {c["state"] for c in world.get(t[name], QUERY_AT)["sla"]["clocks"]}
            assert state in states
    # Later the at-risk response of c is breached.
    assert "c" in {k for k, v in t.items() if v in world.listed(hel(2026, 11, 24, 10),
                                                               "sla_state=breached")}


def test_sort_sla_due_orders_by_time_to_breach_with_clockless_tickets_last(world):
    t = _queue(world)
    ordered = world.listed(QUERY_AT, "sort=sla_due")
    # b due 09:00 (already breached), c 09:50, e 10:00, a 11:00; then d, f, g (no running clock)
    assert ordered == [t["b"], t["c"], t["e"], t["a"], t["d"], t["f"], t["g"]]
    assert world.listed(QUERY_AT, "sort=sla_due&sla_state=running") == [t["b"], t["c"], t["a"]]


def test_an_unknown_sla_state_is_422(world):
    resp = world.call("GET", "/api/v1/tickets?sla_state=late", QUERY_AT)
    assert_error(resp, 422, "validation_error")


# --- the explanation --------------------------------------------------------------------------


def test_the_explanation_names_the_agreement_version_promise_line_and_calendar(world):
    ticket = world.file(hel(2026, 3, 28, 12), service_id=world.infra_service.id)
    explained = world.explain(ticket["id"], hel(2026, 3, 29, 14))  # 24 real hours on: 11:00Z
    assert explained["ticket_id"] == ticket["id"]
    assert explained["at"] == "2026-03-29T11:00:00Z"
    assert explained["agreement_version"] == {
        "id": world.version["id"], "version_no": 1, "valid_from": "2020-01-01", "valid_to": None,
    }
    resolution = clock(explained, "resolution")
    assert resolution["promise"]["scope"] == "family"
    assert resolution["promise"]["family"] == "infrastructure"
    assert resolution["calendar"] == {"id": world.always_calendar_id, "name": "24/7"}
    assert resolution["state"] == "breached"
    assert resolution["breach_at"] == "2026-03-29T10:00:00Z"
    assert resolution["intervals"] == [
        {"start": "2026-03-28T10:00:00Z", "end": "2026-03-29T11:00:00Z"}
    ]
    assert resolution["events"][0]["type"] == "start"
    assert resolution["events"][0]["at"] == "2026-03-28T10:00:00Z"

    office = world.explain(world.file(hel(2026, 11, 23, 9))["id"], hel(2026, 11, 23, 10))
    response = clock(office, "response")
    assert response["promise"]["scope"] == "agreement default"
    assert response["calendar"]["id"] == world.office_calendar_id
    assert response["warning_percent"] == 80
    assert response["intervals"] == [{"start": z(hel(2026, 11, 23, 9)),
                                      "end": z(hel(2026, 11, 23, 10))}]


def test_the_customer_reads_the_explanation_of_their_own_ticket_only(world):
    ticket = world.file(hel(2026, 11, 23, 9))
    assert world.explain(ticket["id"], hel(2026, 11, 23, 10), who="requester")["clocks"]
    assert world.explain(ticket["id"], hel(2026, 11, 23, 10), who="account_manager")["clocks"]
    resp = world.call("GET", f"/api/v1/tickets/{ticket['id']}/sla", hel(2026, 11, 23, 10),
                      who="stranger")
    assert_error(resp, 404, "not_found")
    resp = world.call("GET", "/api/v1/tickets/999999/sla", hel(2026, 11, 23, 10))
    assert_error(resp, 404, "not_found")
    resp = world.client.get(f"/api/v1/tickets/{ticket['id']}/sla")
    assert_error(resp, 401, "unauthenticated")


def test_a_priority_changed_while_resolved_applies_from_the_reopening(world):
    """P3 (480 min) resolved after 90 min; raised to P2 (240 min) while resolved; reopened
    Tue 12:00 with 150 min left: due Tue 14:30 Helsinki. The met response clock stays as it was."""
    ticket = world.file(hel(2026, 11, 23, 9))
    world.patch(ticket["id"], hel(2026, 11, 23, 10, 30), status="resolved")
    world.patch(ticket["id"], hel(2026, 11, 24, 9), priority="P2", priority_reason="laajeni")
    world.patch(ticket["id"], hel(2026, 11, 24, 12), who="requester", status="in_progress")

    reopened = world.get(ticket["id"], hel(2026, 11, 24, 13))
    resolution = clock(reopened, "resolution")
    assert resolution["target_minutes"] == 240
    assert resolution["due_at"] == "2026-11-24T12:30:00Z"
    assert clock(reopened, "response")["target_minutes"] == 120
    explained = clock(world.explain(ticket["id"], hel(2026, 11, 24, 13)), "resolution")
    assert [e["type"] for e in explained["events"]] == ["start", "stop", "resume", "target_change"]
