"""The supplier thread: what a supplier writes goes to the desk, never to the customer.

Each leg has a thread between the desk and that leg's supplier. The customer side never
reads it (not in comments, not in events, not the supplier's name); another supplier never
reads it; a supplier whose leg ended keeps reading its own thread, but no public comment made
after its leg ended. The desk decides what the customer reads: it publishes a supplier's
message as is or quoted, and that is the desk's public reply (the response clock stops).

The story (Mon 2026-11-23, Helsinki): 09:00 filed; 10:00 escalated to A (Kuntasoft Oy);
10:30 A writes to the desk (its response clock stops, the customer's keeps running); 10:40
the desk writes to A; then whatever the test needs.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.helpers import assert_error
from tests.escalations.conftest import SUPPLIER_A, SUPPLIER_B, local

A_SAYS = "Korjaus asennettu. Hinta 450 e laskutetaan KPK:lta."
DESK_SAYS = "Asiakas kysyy aikataulua: milloin korjaus tulee?"
NOW = local("2026-11-23 12:00")


@pytest.fixture
def story(api, world) -> dict[str, Any]:
    w = world
    tid = api.file(local("2026-11-23 09:00"), w.requester, w.service)["id"]
    leg = api.escalate(local("2026-11-23 10:00"), tid, w.agent)["escalation"]["id"]
    a_msg = api.ok(
        "POST",
        local("2026-11-23 10:30"),
        f"/tickets/{tid}/comments",
        w.agent_a,
        201,
        json={"body": A_SAYS},
    )
    desk_msg = api.ok(
        "POST",
        local("2026-11-23 10:40"),
        f"/tickets/{tid}/comments",
        w.agent,
        201,
        json={"body": DESK_SAYS, "escalation_id": leg},
    )
    return {"tid": tid, "leg": leg, "a_msg": a_msg, "desk_msg": desk_msg}


def _customer_side(make: Any, world: Any) -> list[Any]:
    return [world.requester, make.user("customer_contact", org=world.org)]


def test_a_supplier_message_is_in_its_legs_thread(story):
    a_msg, desk_msg = story["a_msg"], story["desk_msg"]
    for msg in (a_msg, desk_msg):
        assert (msg["escalation_id"], msg["thread"], msg["internal"]) == (
            story["leg"],
            "supplier",
            False,
        )


def test_the_customer_side_never_reads_the_supplier_thread(api, world, story, make):
    tid = story["tid"]
    api.ok("POST", NOW, f"/tickets/{tid}/escalations/{story['leg']}/done", world.agent_a)
    for who in _customer_side(make, world):
        comments = api.ok("GET", NOW, f"/tickets/{tid}/comments", who)
        assert comments == []
        events = api.ok("GET", NOW, f"/tickets/{tid}/events", who)
        text = json.dumps([api.ok("GET", NOW, f"/tickets/{tid}", who), comments, events])
        for leak in (A_SAYS, DESK_SAYS, SUPPLIER_A, "450", "marked its part done", "supplier_id"):
            assert leak not in text, leak
        kinds = {e["kind"] for e in events}
        assert not kinds & {"commented", "escalated", "escalation_done", "escalation_withdrawn"}
        assert "created" in kinds
        assert_error(api.get(NOW, f"/tickets/{tid}/escalations", who), 403, "forbidden")
    # The desk reads the whole thread, in order.
    desk = api.ok("GET", NOW, f"/tickets/{tid}/comments", world.agent)
    assert [(c["body"], c["thread"]) for c in desk] == [
        (A_SAYS, "supplier"),
        (DESK_SAYS, "supplier"),
    ]


def test_a_supplier_message_stops_only_the_supplier_response_clock(api, world, story):
    clocks = api.clocks(local("2026-11-23 10:50"), story["tid"], world.agent)
    assert clocks[("supplier_response", story["leg"])]["state"] == "met"
    assert clocks[("response", 0)]["state"] in ("running", "at_risk")
    assert clocks[("response", 0)]["stopped_at"] is None


def test_the_desk_writes_to_a_supplier_only_through_a_leg_of_the_ticket(api, world, story):
    w, tid = world, story["tid"]
    other = api.file(local("2026-11-23 09:00"), w.requester, w.service)["id"]
    other_leg = api.escalate(local("2026-11-23 10:00"), other, w.agent)["escalation"]["id"]
    path = f"/tickets/{tid}/comments"
    resp = api.post(NOW, path, w.agent, json={"body": "x", "escalation_id": other_leg})
    assert "escalation_id" in assert_error(resp, 422, "validation_error")["details"]["fields"]
    resp = api.post(NOW, path, w.agent, json={"body": "x", "escalation_id": 987654})
    assert_error(resp, 422, "validation_error")
    body = {"body": "x", "escalation_id": story["leg"], "internal": True}
    assert_error(api.post(NOW, path, w.agent, json=body), 422, "validation_error")
    body = {"body": "x", "escalation_id": story["leg"]}
    assert_error(api.post(NOW, path, w.requester, json=body), 403, "forbidden")
    assert_error(api.post(NOW, path, w.manager, json=body), 403, "forbidden")
    # A's agent may name its own leg; it is the same thread.
    got = api.ok("POST", NOW, path, w.agent_a, 201, json=body)
    assert got["escalation_id"] == story["leg"]
    # The desk's message is no public reply: the customer's response clock runs on.
    assert api.clocks(NOW, tid, w.agent)[("response", 0)]["stopped_at"] is None


def test_another_supplier_never_reads_the_thread(api, world, story):
    w, tid = world, story["tid"]
    at = local("2026-11-23 11:00")
    api.ok("POST", at, f"/tickets/{tid}/escalations/{story['leg']}/withdraw", w.agent)
    leg_b = api.escalate(at, tid, w.agent, w.supplier_b, note="B hoitaa.")["escalation"]["id"]
    b_says = "Pilvi katsoo palvelimen."
    api.ok("POST", local("2026-11-23 11:10"), f"/tickets/{tid}/comments", w.agent_b, 201,
           json={"body": b_says})  # fmt: skip
    b_seen = json.dumps(
        [
            api.ok("GET", NOW, f"/tickets/{tid}/comments", w.agent_b),
            api.ok("GET", NOW, f"/tickets/{tid}/events", w.agent_b),
        ]
    )
    for leak in (A_SAYS, DESK_SAYS, SUPPLIER_A):
        assert leak not in b_seen
    assert b_says in b_seen
    a_comments = api.ok("GET", NOW, f"/tickets/{tid}/comments", w.agent_a)
    assert [c["body"] for c in a_comments] == [A_SAYS, DESK_SAYS]
    a_events = api.ok("GET", NOW, f"/tickets/{tid}/events", w.agent_a)
    assert SUPPLIER_B not in json.dumps(a_events)
    own = [e["data"]["comment_id"] for e in a_events if e["kind"] == "commented"]
    assert own == [story["a_msg"]["id"], story["desk_msg"]["id"]]
    b_events = api.ok("GET", NOW, f"/tickets/{tid}/events", w.agent_b)
    assert [e["data"]["escalation_id"] for e in b_events if e["kind"] == "commented"] == [leg_b]


def test_after_its_leg_a_supplier_reads_its_thread_but_no_later_public_comment(api, world, story):
    w, tid = world, story["tid"]
    before = "Toimittaja selvittää vikaa."
    api.ok("POST", local("2026-11-23 10:45"), f"/tickets/{tid}/comments", w.agent, 201,
           json={"body": before})  # fmt: skip
    api.ok("POST", local("2026-11-23 11:00"), f"/tickets/{tid}/escalations/{story['leg']}/done",
           w.agent_a)  # fmt: skip
    after = "Vika korjattu, kokeilisitko?"
    api.ok("POST", local("2026-11-23 11:30"), f"/tickets/{tid}/comments", w.agent, 201,
           json={"body": after})  # fmt: skip
    seen = [c["body"] for c in api.ok("GET", NOW, f"/tickets/{tid}/comments", w.agent_a)]
    assert seen == [A_SAYS, DESK_SAYS, before]
    # Escalated to A again: the whole public conversation is A's to read again.
    api.escalate(local("2026-11-23 12:00"), tid, w.agent)
    seen = [c["body"] for c in api.ok("GET", NOW, f"/tickets/{tid}/comments", w.agent_a)]
    assert seen == [A_SAYS, DESK_SAYS, before, after]


def test_publishing_makes_a_public_desk_reply_and_stops_the_response_clock(api, world, story, make):
    w, tid = world, story["tid"]
    at = local("2026-11-23 10:50")
    path = f"/tickets/{tid}/comments/{story['a_msg']['id']}/publish"
    published = api.ok("POST", at, path, w.agent, 201, json={})
    assert (published["body"], published["thread"], published["escalation_id"]) == (
        A_SAYS,
        "public",
        None,
    )
    assert published["author"]["id"] == w.agent.id
    clocks = api.clocks(at, tid, w.agent)
    assert (clocks[("response", 0)]["state"], clocks[("response", 0)]["stopped_at"]) == (
        "met",
        "2026-11-23T08:50:00Z",
    )
    for who in _customer_side(make, w):
        comments = api.ok("GET", at, f"/tickets/{tid}/comments", who)
        assert [(c["body"], c["author"]["id"]) for c in comments] == [(A_SAYS, w.agent.id)]
    events = api.ok("GET", at, f"/tickets/{tid}/events", w.agent)
    (event,) = [e for e in events if e["kind"] == "published"]
    assert event["data"]["source_comment_id"] == story["a_msg"]["id"]
    assert event["data"]["comment_id"] == published["id"]
    customer_kinds = {e["kind"] for e in api.ok("GET", at, f"/tickets/{tid}/events", w.requester)}
    assert "published" not in customer_kinds
    assert "commented" in customer_kinds  # the desk's public reply


def test_quoting_publishes_the_desks_own_words(api, world, story):
    w, tid = world, story["tid"]
    path = f"/tickets/{tid}/comments/{story['a_msg']['id']}/publish"
    quoted = "Toimittaja on asentanut korjauksen."
    published = api.ok("POST", NOW, path, w.agent, 201, json={"body": quoted})
    assert published["body"] == quoted
    bodies = [c["body"] for c in api.ok("GET", NOW, f"/tickets/{tid}/comments", w.requester)]
    assert bodies == [quoted]
    events = api.ok("GET", NOW, f"/tickets/{tid}/events", w.agent)
    assert [e["data"]["edited"] for e in events if e["kind"] == "published"] == [True]


def test_only_the_desk_publishes(api, world, story, make):
    w, tid = world, story["tid"]
    path = f"/tickets/{tid}/comments/{story['a_msg']['id']}/publish"
    assert_error(api.post(NOW, path, w.agent_a, json={}), 403, "forbidden")
    assert_error(api.post(NOW, path, w.manager, json={}), 403, "forbidden")
    for who in _customer_side(make, w):
        # The customer side cannot even see the message: unknown, as a foreign id is.
        assert_error(api.post(NOW, path, who, json={}), 404, "not_found")
    assert_error(api.post(NOW, path, w.agent_b, json={}), 404, "not_found")
    assert api.ok("GET", NOW, f"/tickets/{tid}/comments", w.requester) == []


def test_only_a_supplier_thread_message_is_published(api, world, story):
    w, tid = world, story["tid"]
    public = api.ok("POST", NOW, f"/tickets/{tid}/comments", w.agent, 201, json={"body": "Hei"})
    note = api.ok("POST", NOW, f"/tickets/{tid}/comments", w.agent, 201,
                  json={"body": "Muistio", "internal": True})  # fmt: skip
    for comment in (public, note):
        resp = api.post(NOW, f"/tickets/{tid}/comments/{comment['id']}/publish", w.agent, json={})
        assert_error(resp, 409, "not_supplier_message")
    other = api.file(local("2026-11-23 09:00"), w.requester, w.service)["id"]
    resp = api.post(
        NOW, f"/tickets/{other}/comments/{story['a_msg']['id']}/publish", w.agent, json={}
    )
    assert_error(resp, 404, "not_found")
    resp = api.post(NOW, f"/tickets/{tid}/comments/987654/publish", w.agent, json={})
    assert_error(resp, 404, "not_found")
    path = f"/tickets/{tid}/comments/{story['a_msg']['id']}/publish"
    assert_error(api.post(NOW, path, w.agent, json={"body": ""}), 422, "validation_error")
