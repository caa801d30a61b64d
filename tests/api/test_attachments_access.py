"""Who sees which attachment: exactly like the ticket and its comments.

The story (Mon 2026-11-23, Helsinki), on one ticket of the world's customer:
09:10 the requester attaches a screenshot (public); 09:20 the agent writes an internal note
with a log file on it; 09:25 the agent attaches a file flagged internal; 10:00 escalated to
supplier A; 10:30 A writes in its thread with a file; 10:45 A marks its part done; 11:00
escalated to supplier B; 11:30 B writes in its thread with a file; 12:00 the requester
attaches a second file (public, after A's leg ended).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.helpers import assert_error
from tests.escalations.conftest import api, local, world  # noqa: F401 (fixtures)

NOW = local("2026-11-23 13:00")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)


def upload(calls: Any, when: Any, tid: int, user: Any, name: str, data: bytes, **form: Any):
    fields = {"file": (io.BytesIO(data), name), **{k: str(v).lower() for k, v in form.items()}}
    return calls.post(when, f"/tickets/{tid}/attachments", user, data=fields)


def uploaded(calls: Any, when: Any, tid: int, user: Any, name: str, **form: Any) -> int:
    resp = upload(calls, when, tid, user, name, f"{name}: sisältö".encode(), **form)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


@dataclass
class Story:
    tid: int
    public: int
    on_note: int
    flagged: int
    thread_a: int
    thread_b: int
    public_late: int
    note: int
    a_msg: int

    @property
    def every(self) -> set[int]:
        return {
            self.public,
            self.on_note,
            self.flagged,
            self.thread_a,
            self.thread_b,
            self.public_late,
        }


@pytest.fixture
def story(api, world) -> Story:  # noqa: F811
    w = world
    tid = api.file(local("2026-11-23 09:00"), w.requester, w.service)["id"]
    public = uploaded(api, local("2026-11-23 09:10"), tid, w.requester, "kuvakaappaus.png")
    note = api.ok(
        "POST",
        local("2026-11-23 09:20"),
        f"/tickets/{tid}/comments",
        w.agent,
        201,
        json={"body": "Lokit liitteenä.", "internal": True},
    )["id"]
    on_note = uploaded(api, local("2026-11-23 09:20"), tid, w.agent, "loki.txt", comment_id=note)
    flagged = uploaded(api, local("2026-11-23 09:25"), tid, w.agent, "muistio.txt", internal=True)
    leg_a = api.escalate(local("2026-11-23 10:00"), tid, w.agent)["escalation"]["id"]
    a_msg = api.ok(
        "POST",
        local("2026-11-23 10:30"),
        f"/tickets/{tid}/comments",
        w.agent_a,
        201,
        json={"body": "Korjaus liitteenä."},
    )["id"]
    thread_a = uploaded(
        api, local("2026-11-23 10:30"), tid, w.agent_a, "korjaus-a.txt", comment_id=a_msg
    )
    api.ok("POST", local("2026-11-23 10:45"), f"/tickets/{tid}/escalations/{leg_a}/done", w.agent_a)
    api.escalate(local("2026-11-23 11:00"), tid, w.agent, w.supplier_b)
    b_msg = api.ok(
        "POST",
        local("2026-11-23 11:30"),
        f"/tickets/{tid}/comments",
        w.agent_b,
        201,
        json={"body": "Pilvi katsoo."},
    )["id"]
    thread_b = uploaded(
        api, local("2026-11-23 11:30"), tid, w.agent_b, "pilvi-b.txt", comment_id=b_msg
    )
    late = uploaded(api, local("2026-11-23 12:00"), tid, w.requester, "toinen.png")
    return Story(tid, public, on_note, flagged, thread_a, thread_b, late, note, a_msg)


def listed(calls: Any, tid: int, user: Any) -> set[int]:
    return {a["id"] for a in calls.ok("GET", NOW, f"/tickets/{tid}/attachments", user)}


def downloadable(calls: Any, story: Story, user: Any) -> set[int]:
    seen = set()
    for aid in story.every:
        resp = calls.get(NOW, f"/attachments/{aid}", user)
        if resp.status_code == 200:
            seen.add(aid)
        else:
            assert_error(resp, 404, "not_found")
    return seen


def _people(make: Any, w: Any) -> dict[str, Any]:
    other_org = make.org()
    joint = make.user("agent", provider="THH", desk="joint")
    return {
        "requester": w.requester,
        "contact": make.user("customer_contact", org=w.org),
        "colleague": make.user("end_user", org=w.org),
        "other_user": make.user("end_user", org=other_org),
        "other_contact": make.user("customer_contact", org=other_org),
        "agent_ict": w.agent,
        "agent_thh": make.user("agent", provider="THH"),
        "joint": joint,
        "admin": w.admin,
        "manager": w.manager,
        "supplier_a": w.agent_a,
        "supplier_a2": w.agent_a2,
        "supplier_b": w.agent_b,
    }


def expected(story: Story, who: str) -> set[int] | None:
    """What each one may list (None: the ticket itself is a 404)."""
    s = story
    return {
        "requester": {s.public, s.public_late},
        "contact": {s.public, s.public_late},
        "colleague": None,
        "other_user": None,
        "other_contact": None,
        "agent_ict": s.every,
        "agent_thh": None,
        "joint": s.every,  # the joint first line sees either provider's untaken tickets
        "admin": s.every,
        "manager": s.every,
        # A's leg ended at 10:45: its thread, and the public files up to then.
        "supplier_a": {s.public, s.thread_a},
        "supplier_a2": {s.public, s.thread_a},
        # B's leg is open: its thread and every public file; never A's thread.
        "supplier_b": {s.public, s.public_late, s.thread_b},
    }[who]


def test_the_access_matrix_of_list_and_download(api, world, story, make):  # noqa: F811
    people = _people(make, world)
    # The joint first line sees the ticket only while it is untaken, or once it acted on it.
    assert api.comment(NOW, story.tid, people["joint"], "Katson.", internal=True).status_code == 201
    for who, user in people.items():
        want = expected(story, who)
        if want is None:
            assert_error(api.get(NOW, f"/tickets/{story.tid}/attachments", user), 404)
            assert downloadable(api, story, user) == set(), who
            continue
        assert listed(api, story.tid, user) == want, who
        assert downloadable(api, story, user) == want, who


def test_files_on_internal_notes_and_supplier_threads_are_internal(api, world, story):  # noqa: F811
    items = {
        a["id"]: a for a in api.ok("GET", NOW, f"/tickets/{story.tid}/attachments", world.agent)
    }
    assert {i for i, a in items.items() if a["internal"]} == {
        story.on_note,
        story.flagged,
        story.thread_a,
        story.thread_b,
    }
    assert items[story.on_note]["comment_id"] == story.note
    assert items[story.public]["uploaded_by"] == {
        "id": world.requester.id,
        "name": world.requester.name,
    }
    assert items[story.public]["download_url"] == f"/api/v1/attachments/{story.public}"
    assert set(items[story.public]) == {
        "id",
        "ticket_id",
        "comment_id",
        "filename",
        "content_type",
        "size",
        "sha256",
        "internal",
        "created_at",
        "uploaded_by",
        "download_url",
    }


def test_the_timeline_records_each_file_and_hides_the_internal_ones(api, world, story, make):  # noqa: F811
    def added(user: Any) -> set[int]:
        events = api.ok("GET", NOW, f"/tickets/{story.tid}/events", user)
        return {e["data"]["attachment_id"] for e in events if e["kind"] == "attachment_added"}

    assert added(world.agent) == story.every
    assert added(world.requester) == {story.public, story.public_late}
    text = json.dumps(api.ok("GET", NOW, f"/tickets/{story.tid}/events", world.requester))
    for leak in ("loki.txt", "muistio.txt", "korjaus-a.txt", "pilvi-b.txt"):
        assert leak not in text
    assert story.thread_b not in added(world.agent_b)  # the supplier's events stay as they were
    assert added(world.agent_b) >= {story.public, story.public_late}


def test_the_customer_side_attaches_only_in_public_and_to_its_own_comment(api, world, story):  # noqa: F811
    w, tid = world, story.tid
    at = local("2026-11-23 12:30")
    assert_error(upload(api, at, tid, w.requester, "x.txt", b"x", internal=True), 403)
    # An internal note is no comment of theirs: not even its existence shows.
    resp = upload(api, at, tid, w.requester, "x.txt", b"x", comment_id=story.note)
    assert "comment_id" in assert_error(resp, 422, "validation_error")["details"]["fields"]
    reply = api.ok("POST", at, f"/tickets/{tid}/comments", w.agent, 201, json={"body": "Hei"})
    assert_error(upload(api, at, tid, w.requester, "x.txt", b"x", comment_id=reply["id"]), 403)
    mine = api.ok("POST", at, f"/tickets/{tid}/comments", w.requester, 201, json={"body": "No"})
    resp = upload(api, at, tid, w.requester, "x.txt", b"x", comment_id=mine["id"])
    assert resp.status_code == 201
    assert (resp.get_json()["comment_id"], resp.get_json()["internal"]) == (mine["id"], False)


def test_a_supplier_attaches_only_to_its_message_in_its_open_legs_thread(api, world, story):  # noqa: F811
    w, tid, at = world, story.tid, local("2026-11-23 12:30")
    resp = upload(api, at, tid, w.agent_b, "x.txt", b"x")
    assert "comment_id" in assert_error(resp, 422)["details"]["fields"]
    assert_error(upload(api, at, tid, w.agent_b, "x.txt", b"x", internal=True), 403)
    # A's thread is not B's to see; A's leg is over.
    assert_error(upload(api, at, tid, w.agent_b, "x.txt", b"x", comment_id=story.a_msg), 422)
    resp = upload(api, at, tid, w.agent_a, "x.txt", b"x", comment_id=story.a_msg)
    assert_error(resp, 409, "escalation_closed")


def test_a_closed_or_cancelled_ticket_takes_no_files(api, world, make):  # noqa: F811
    w = world
    tid = api.file(local("2026-11-23 09:00"), w.requester, w.service)["id"]
    assert (
        api.patch(local("2026-11-23 09:05"), tid, w.agent, {"status": "cancelled"}).status_code
        == 200
    )
    for who in (w.requester, w.agent):
        resp = upload(api, local("2026-11-23 09:10"), tid, who, "x.txt", b"x")
        assert_error(resp, 409, "ticket_final")
    assert api.ok("GET", NOW, f"/tickets/{tid}/attachments", w.agent) == []
