"""Reply and change the status in one request: POST /tickets/{id}/comments with `status`.

The same rules as PATCH's status change, all or nothing: a refused status stores no comment.
"""

from __future__ import annotations

from typing import Any

from tests.api.helpers import assert_error
from tests.escalations import conftest as escalations
from tests.escalations.conftest import local

# The escalation tests' world (promises, suppliers and their agents) serves here too.
api = escalations.api
world = escalations.world

MON_9 = local("2026-11-23 09:00")
MON_10 = local("2026-11-23 10:00")
MON_11 = local("2026-11-23 11:00")
TUE_10 = local("2026-11-24 10:00")


def _reply(api: Any, when: Any, tid: int, user: Any, headers: Any = None, **body: Any) -> Any:
    return api.post(
        when,
        f"/tickets/{tid}/comments",
        user,
        json={"body": "Korjattu.", **body},
        headers=headers or {},
    )


def _comments(api: Any, tid: int, user: Any) -> list[dict[str, Any]]:
    return api.ok("GET", TUE_10, f"/tickets/{tid}/comments", user)


def _events(api: Any, tid: int, user: Any) -> list[dict[str, Any]]:
    return api.ok("GET", TUE_10, f"/tickets/{tid}/events", user)


def _clock_states(ticket: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {c["kind"]: (c["state"], c["stopped_at"]) for c in ticket["sla"]["clocks"]}


def test_the_desk_replies_and_resolves_in_one_request(api, world):
    w = world
    tid = api.file(MON_9, w.requester, w.service)["id"]
    resp = _reply(api, MON_10, tid, w.agent, status="resolved")
    assert resp.status_code == 201, resp.get_json()
    comment = resp.get_json()
    assert (comment["body"], comment["internal"], comment["thread"]) == (
        "Korjattu.",
        False,
        "public",
    )
    ticket = api.get(MON_11, f"/tickets/{tid}", w.agent)
    assert resp.headers["ETag"] == ticket.headers["ETag"]  # ready for the next PATCH
    body = ticket.get_json()
    assert body["status"] == "resolved"
    assert body["resolved_at"] == "2026-11-23T08:00:00Z"
    stopped = {
        "response": ("met", "2026-11-23T08:00:00Z"),
        "resolution": ("met", "2026-11-23T08:00:00Z"),
    }
    assert _clock_states(body) == stopped
    kinds = [
        (e["kind"], e["data"].get("changes", {}).get("status")) for e in _events(api, tid, w.agent)
    ]
    assert kinds[-2:] == [
        ("commented", None),
        ("updated", {"before": "new", "after": "resolved"}),
    ]
    # the requester reads the reply and sees the ticket resolved
    assert [c["body"] for c in _comments(api, tid, w.requester)] == ["Korjattu."]


def test_the_two_request_path_reaches_the_same_end_state(api, world):
    w = world
    one = api.file(MON_9, w.requester, w.service)["id"]
    two = api.file(MON_9, w.requester, w.service)["id"]
    assert _reply(api, MON_10, one, w.agent, status="resolved").status_code == 201
    assert _reply(api, MON_10, two, w.agent).status_code == 201
    assert api.patch(MON_10, two, w.agent, {"status": "resolved"}).status_code == 200
    a, b = (api.ok("GET", MON_11, f"/tickets/{t}", w.agent) for t in (one, two))
    assert (a["status"], a["resolved_at"], _clock_states(a)) == (
        b["status"],
        b["resolved_at"],
        _clock_states(b),
    )

    def story(t: int) -> list[tuple[str, Any]]:
        return [(e["kind"], e["data"].get("changes")) for e in _events(api, t, w.agent)]

    assert story(one) == story(two)


def test_a_question_puts_the_ticket_waiting_and_pauses_resolution(api, world):
    w = world
    tid = api.file(MON_9, w.requester, w.service)["id"]
    resp = _reply(
        api, MON_10, tid, w.agent, body="Missä kerroksessa?", status="waiting_for_customer"
    )
    assert resp.status_code == 201, resp.get_json()
    body = api.ok("GET", MON_11, f"/tickets/{tid}", w.agent)
    assert body["status"] == "waiting_for_customer"
    assert _clock_states(body)["resolution"] == ("paused", None)
    assert _clock_states(body)["response"] == ("met", "2026-11-23T08:00:00Z")


def test_a_refused_status_stores_no_comment_and_changes_nothing(api, world):
    w = world
    tid = api.file(MON_9, w.requester, w.service)["id"]
    before = api.get(MON_10, f"/tickets/{tid}", w.agent)
    # the customer side does not resolve
    resp = _reply(api, MON_10, tid, w.requester, status="resolved")
    err = assert_error(resp, 409, "invalid_transition")
    assert err["details"]["requested"] == "resolved"
    # the desk escalates through its own operation, not a status
    resp = _reply(api, MON_10, tid, w.agent, status="escalated_to_supplier")
    assert_error(resp, 409, "use_operation")
    assert _comments(api, tid, w.agent) == []
    after = api.get(MON_10, f"/tickets/{tid}", w.agent)
    assert after.headers["ETag"] == before.headers["ETag"]
    assert [e["kind"] for e in _events(api, tid, w.agent)] == ["created", "routed"]


def test_the_customer_side_reopens_or_confirms_within_patchs_limits(api, world):
    w = world
    reopened = api.file(MON_9, w.requester, w.service)["id"]
    confirmed = api.file(MON_9, w.requester, w.service)["id"]
    for tid in (reopened, confirmed):
        assert _reply(api, MON_10, tid, w.agent, status="resolved").status_code == 201
    resp = _reply(
        api, TUE_10, reopened, w.requester, body="Ei toimi vieläkään.", status="in_progress"
    )
    assert resp.status_code == 201, resp.get_json()
    body = api.ok("GET", TUE_10, f"/tickets/{reopened}", w.agent)
    assert body["status"] == "in_progress"
    assert _clock_states(body)["resolution"] == ("running", None)
    resp = _reply(api, TUE_10, confirmed, w.requester, body="Kiitos!", status="closed")
    assert resp.status_code == 201, resp.get_json()
    assert api.ok("GET", TUE_10, f"/tickets/{confirmed}", w.agent)["status"] == "closed"
    # a closed ticket takes no more comments, with or without a status
    resp = _reply(api, TUE_10, confirmed, w.requester, status="in_progress")
    assert_error(resp, 409, "ticket_final")
    # internal notes are the desk's, status or not
    resp = _reply(api, TUE_10, reopened, w.requester, internal=True, status="cancelled")
    assert_error(resp, 403)
    assert len(_comments(api, reopened, w.agent)) == 2


def test_the_requesters_answer_goes_back_to_the_desk_before_the_status_applies(api, world):
    w = world
    tid = api.file(MON_9, w.requester, w.service)["id"]
    assert _reply(api, MON_10, tid, w.agent, status="waiting_for_customer").status_code == 201
    # answering takes it to in_progress; from there the customer may only cancel
    resp = _reply(api, MON_11, tid, w.requester, body="Ei tarvita enää.", status="cancelled")
    assert resp.status_code == 201, resp.get_json()
    changes = [
        e["data"]["changes"]["status"] for e in _events(api, tid, w.agent) if e["kind"] == "updated"
    ]
    assert changes[-2:] == [
        {"before": "waiting_for_customer", "after": "in_progress"},
        {"before": "in_progress", "after": "cancelled"},
    ]


def test_the_desk_may_resolve_with_an_internal_note(api, world):
    w = world
    tid = api.file(MON_9, w.requester, w.service)["id"]
    resp = _reply(
        api, MON_10, tid, w.agent, body="Ratkaistu puhelimessa.", internal=True, status="resolved"
    )
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["thread"] == "internal"
    assert api.ok("GET", MON_11, f"/tickets/{tid}", w.requester)["status"] == "resolved"
    assert _comments(api, tid, w.requester) == []  # the note stays the desk's


def test_if_match_is_optional_but_a_stale_one_stores_nothing(api, world):
    w = world
    tid = api.file(MON_9, w.requester, w.service)["id"]
    etag = api.get(MON_9, f"/tickets/{tid}", w.agent).headers["ETag"]
    assert _reply(api, MON_10, tid, w.agent, body="Katsomme.").status_code == 201
    resp = _reply(api, MON_10, tid, w.agent, headers={"If-Match": etag}, status="resolved")
    err = assert_error(resp, 412)
    assert err["details"]["current_etag"] != etag
    assert [c["body"] for c in _comments(api, tid, w.agent)] == ["Katsomme."]
    fresh = api.get(MON_10, f"/tickets/{tid}", w.agent).headers["ETag"]
    resp = _reply(api, MON_10, tid, w.agent, headers={"If-Match": fresh}, status="resolved")
    assert resp.status_code == 201, resp.get_json()
    other = api.file(MON_9, w.requester, w.service)["id"]
    resp = _reply(api, MON_10, other, w.agent, headers={"If-Match": "*"}, status="resolved")
    assert resp.status_code == 201, resp.get_json()


def test_resolving_with_a_reply_while_escalated_closes_the_leg_and_its_clocks(api, world):
    w = world
    tid = api.file(MON_9, w.requester, w.service)["id"]
    leg = api.escalate(MON_10, tid, w.agent)["escalation"]
    resp = _reply(api, MON_11, tid, w.agent, status="resolved")
    assert resp.status_code == 201, resp.get_json()
    legs = api.ok("GET", MON_11, f"/tickets/{tid}/escalations", w.agent)
    assert [(e["id"], e["status"]) for e in legs] == [(leg["id"], "closed")]
    clocks = api.clocks(MON_11, tid, w.agent)
    stopped = ("met", "2026-11-23T09:00:00Z")  # all four stop at the resolution, 11:00 local
    assert {k: (c["state"], c["stopped_at"]) for k, c in clocks.items()} == {
        ("response", 0): stopped,
        ("resolution", 0): stopped,
        ("supplier_response", leg["id"]): stopped,
        ("supplier_resolution", leg["id"]): stopped,
    }


def test_a_supplier_agent_changes_no_status_with_its_message(api, world):
    w = world
    tid = api.file(MON_9, w.requester, w.service)["id"]
    api.escalate(MON_10, tid, w.agent)
    resp = _reply(api, MON_11, tid, w.agent_a, status="resolved")
    assert_error(resp, 403)
    assert _comments(api, tid, w.agent) == []
    # and the desk's supplier-thread message does not carry one either
    leg = api.ok("GET", MON_11, f"/tickets/{tid}/escalations", w.agent)[0]
    resp = _reply(api, MON_11, tid, w.agent, escalation_id=leg["id"], status="resolved")
    assert_error(resp, 422)
    assert api.ok("GET", MON_11, f"/tickets/{tid}", w.agent)["status"] == "escalated_to_supplier"
