"""The desk's actions on the ticket page: each a form that calls the operation, redirects
back with a message, or re-renders with the error and the typed text kept."""

from __future__ import annotations

import re
from typing import Any

import pytest

from servicedesk.canned.models import CannedReply
from tests.escalations.conftest import api, world  # noqa: F401 (fixtures)
from tests.web.ticket_world import PinnedBrowser, local, text_of, with_passwords

NOW = local("2026-11-23 09:30")


@pytest.fixture
def desk_browser(app: Any, world: Any, dbs: Any) -> PinnedBrowser:  # noqa: F811
    with_passwords(dbs, world.agent)
    b = PinnedBrowser(app.test_client(), NOW)
    b.login(world.agent)
    return b


@pytest.fixture
def ticket(api: Any, world: Any) -> dict[str, Any]:  # noqa: F811
    return api.file(local("2026-11-23 09:00"), world.requester, world.service)


def _page(b: PinnedBrowser, tid: int) -> str:
    resp = b.get(f"/desk/tickets/{tid}")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def _post(b: PinnedBrowser, tid: int, action: str, prefix: str, data: dict[str, Any]) -> Any:
    html = _page(b, tid)
    return b.post(f"/desk/tickets/{tid}/{action}", {**b.form_values(html, prefix), **data})


def test_a_reply_stops_the_response_clock_and_the_panel_says_met(
    desk_browser: PinnedBrowser, ticket: dict[str, Any]
) -> None:
    tid = ticket["id"]
    data = {"reply-body": "Katsomme.", "action": "reply"}
    resp = _post(desk_browser, tid, "reply", "reply", data)
    assert resp.status_code == 303
    page = text_of(_page(desk_browser, tid))
    assert "Reply sent." in page
    assert "response clock ✔ met · stopped in time, at 23 Nov 2026, 09:30" in page
    assert "Reply " in page and "Katsomme." in page


def test_an_internal_note_is_marked_internal_and_stops_no_clock(
    desk_browser: PinnedBrowser, ticket: dict[str, Any]
) -> None:
    tid = ticket["id"]
    resp = _post(desk_browser, tid, "reply", "reply", {"reply-body": "Sisäinen.", "action": "note"})
    assert resp.status_code == 303
    html = _page(desk_browser, tid)
    item = re.search(r'<li class="timeline-item internal"[^>]*>(.*?)</li>', html, re.S)
    assert item and "Internal note" in item.group(1) and "Sisäinen." in item.group(1)
    assert "response clock ✔ on track" in text_of(html)


def test_a_priority_change_without_a_reason_is_refused_and_changes_nothing(
    desk_browser: PinnedBrowser, ticket: dict[str, Any]
) -> None:
    tid = ticket["id"]
    data = {"priority-priority": "P2", "priority-reason": ""}
    resp = _post(desk_browser, tid, "priority", "priority", data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'href="#priority-reason"' in html  # the error summary links to the field
    assert '<option selected value="P2">' in html  # the choice is kept
    assert "P3 normal" in text_of(_page(desk_browser, tid).split("Actions")[0])


def test_a_priority_change_with_a_reason_shows_in_the_header_and_the_timeline(
    desk_browser: PinnedBrowser, ticket: dict[str, Any]
) -> None:
    tid = ticket["id"]
    resp = _post(
        desk_browser, tid, "priority", "priority",
        {"priority-priority": "P2", "priority-reason": "Palkanmaksu viivästyy"},
    )
    assert resp.status_code == 303
    page = text_of(_page(desk_browser, tid))
    assert "P2 high Overridden by the desk: Palkanmaksu viivästyy" in page
    assert "Priority changed" in page and "priority: P3 normal → P2 high" in page


def test_status_offers_only_the_allowed_transitions(
    desk_browser: PinnedBrowser, ticket: dict[str, Any]
) -> None:
    html = _page(desk_browser, ticket["id"])
    select = re.search(r'<select[^>]*name="status-status".*?</select>', html, re.S)
    assert select
    offered = re.findall(r'value="(\w+)"', select.group(0))
    assert offered == ["assigned", "in_progress", "waiting_for_customer", "resolved", "cancelled"]
    resp = _post(desk_browser, ticket["id"], "status", "status", {"status-status": "closed"})
    assert resp.status_code == 422  # not offered, not accepted


def test_take_and_assign(
    desk_browser: PinnedBrowser, ticket: dict[str, Any], world: Any, make: Any, dbs: Any  # noqa: F811
) -> None:
    from catalog.groups.operations import set_members

    tid = ticket["id"]
    assert _post(desk_browser, tid, "take", "take", {}).status_code == 303
    page = text_of(_page(desk_browser, tid))
    assert f"Assignee {world.agent.name}" in page and "Status assigned" in page
    colleague = make.user("agent", provider="ICT")
    set_members(dbs, world.group, [world.agent.id, colleague.id])
    dbs.commit()
    resp = _post(desk_browser, tid, "assign", "assign", {"assign-assignee": str(colleague.id)})
    assert resp.status_code == 303
    assert f"Assignee {colleague.name}" in text_of(_page(desk_browser, tid))


def test_reclassifying_shows_the_new_routing_reason(
    desk_browser: PinnedBrowser, ticket: dict[str, Any], world: Any  # noqa: F811
) -> None:
    tid = ticket["id"]
    resp = _post(
        desk_browser, tid, "reclassify", "reclassify",
        {"reclassify-service": str(world.service.id), "reclassify-type": "change_need"},
    )
    assert resp.status_code == 303
    page = text_of(_page(desk_browser, tid))
    reason = "change need goes to the organisation's account manager"
    assert f"Routed to {world.manager.name}: why: {reason}" in page  # the flash
    assert page.count(reason) == 2  # the flash and the timeline


def test_a_stale_edit_is_refused_with_who_changed_what_and_keeps_the_text(
    app: Any, desk_browser: PinnedBrowser, ticket: dict[str, Any], world: Any, dbs: Any  # noqa: F811
) -> None:
    tid = ticket["id"]
    opened = _page(desk_browser, tid)  # the agent opens the page ...
    with_passwords(dbs, world.admin)
    other = PinnedBrowser(app.test_client(), NOW)
    other.login(world.admin)
    changed = _post(other, tid, "status", "status", {"status-status": "in_progress"})
    assert changed.status_code == 303
    # ... and sends the priority form of the page they opened.
    resp = desk_browser.post(
        f"/desk/tickets/{tid}/priority",
        {
            **desk_browser.form_values(opened, "priority"),
            "priority-priority": "P2",
            "priority-reason": "Koko koulu ilman Wilmaa",
        },
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409
    page = text_of(html)
    assert "Not saved: the ticket changed since you opened it" in page
    assert f"{world.admin.name}: Status changed (status: new → in progress)" in page
    assert "Koko koulu ilman Wilmaa</textarea>" in html
    assert "P3 normal" in text_of(_page(desk_browser, tid).split("Actions")[0])
    # Sent again from the refused page, it applies.
    resp = desk_browser.post(
        f"/desk/tickets/{tid}/priority",
        {**desk_browser.form_values(html, "priority"), "priority-priority": "P2",
         "priority-reason": "Koko koulu ilman Wilmaa"},
    )
    assert resp.status_code == 303


def test_a_reply_applies_even_if_the_ticket_moved_and_says_what_changed(
    app: Any, desk_browser: PinnedBrowser, ticket: dict[str, Any], world: Any, dbs: Any  # noqa: F811
) -> None:
    tid = ticket["id"]
    opened = _page(desk_browser, tid)
    with_passwords(dbs, world.admin)
    other = PinnedBrowser(app.test_client(), NOW)
    other.login(world.admin)
    _post(other, tid, "status", "status", {"status-status": "in_progress"})
    resp = desk_browser.post(
        f"/desk/tickets/{tid}/reply",
        {**desk_browser.form_values(opened, "reply"), "reply-body": "Hoidan.", "action": "reply"},
    )
    assert resp.status_code == 303
    page = text_of(_page(desk_browser, tid))
    assert "Reply sent." in page and "Meanwhile:" in page and "new → in progress" in page


def test_a_canned_reply_fills_the_reply_box_with_and_without_htmx(
    desk_browser: PinnedBrowser, ticket: dict[str, Any], world: Any, dbs: Any  # noqa: F811
) -> None:
    canned = CannedReply(
        title="Kuittaus", body="Hei {requester_name}, tiketti {ticket_number} on työn alla."
    )
    dbs.add(canned)
    dbs.commit()
    tid = ticket["id"]
    html = _page(desk_browser, tid)
    assert "Kuittaus</option>" in html
    data = {**desk_browser.form_values(html, "reply"), "reply-canned": str(canned.id),
            "reply-body": "Kirjoitettu"}
    resp = desk_browser.post(f"/desk/tickets/{tid}/reply/canned", data)
    expected = f"Kirjoitettu\n\nHei {world.requester.name}, tiketti {ticket['number']} on työn"
    assert resp.status_code == 200 and expected in resp.get_data(as_text=True)
    resp = desk_browser.post(f"/desk/tickets/{tid}/reply/canned", data, headers={"HX-Request": "1"})
    partial = resp.get_data(as_text=True)
    assert "<html" not in partial and 'id="reply-box"' in partial and expected in partial


def _escalation_world(api: Any, world: Any) -> int:  # noqa: F811
    """A ticket whose default supplier A cannot make the customer's promise (SLA: Christmas)."""
    return api.file(local("2026-12-22 10:00"), world.requester, world.service)["id"]


def test_escalation_previews_first_and_negative_slack_needs_the_confirmation(
    desk_browser: PinnedBrowser, api: Any, world: Any  # noqa: F811
) -> None:
    tid = _escalation_world(api, world)
    desk_browser.now = local("2026-12-23 12:00")
    html = _page(desk_browser, tid)
    form = {**desk_browser.form_values(html, "escalate"),
            "escalate-supplier": str(world.supplier_a["id"]), "escalate-note": "Kirjautuminen 500"}
    resp = desk_browser.post(f"/desk/tickets/{tid}/escalate", {**form, "step": "preview"})
    preview = resp.get_data(as_text=True)
    assert resp.status_code == 200
    page = text_of(preview)
    assert "Customer's resolution due 28 Dec 2026, 10:00" in page
    assert "Supplier's resolution due 28 Dec 2026, 12:00" in page
    assert "negative: the supplier is due 2 h 0 min after the customer's promise" in page
    assert "I understand the supplier cannot meet the customer's promise" in page
    confirm = {**desk_browser.form_values(preview, "escalate"), "step": "confirm",
               "escalate-supplier": str(world.supplier_a["id"]),
               "escalate-note": "Kirjautuminen 500"}
    resp = desk_browser.post(f"/desk/tickets/{tid}/escalate", confirm)
    assert resp.status_code == 422
    assert "Kirjautuminen 500</textarea>" in resp.get_data(as_text=True)
    assert "Status new" in text_of(_page(desk_browser, tid))
    resp = desk_browser.post(
        f"/desk/tickets/{tid}/escalate", {**confirm, "escalate-confirm_negative": "y"}
    )
    assert resp.status_code == 303
    page = text_of(_page(desk_browser, tid))
    assert "Escalated to Kuntasoft Oy." in page and "Status escalated to supplier" in page
    assert "supplier response clock" in page


def test_withdrawing_takes_the_ticket_back_from_the_supplier(
    desk_browser: PinnedBrowser, api: Any, world: Any, ticket: dict[str, Any]  # noqa: F811
) -> None:
    tid = ticket["id"]
    leg = api.escalate(local("2026-11-23 09:10"), tid, world.agent)["escalation"]
    html = _page(desk_browser, tid)
    assert "Withdraw the escalation" in html
    resp = desk_browser.post(f"/desk/tickets/{tid}/escalations/{leg['id']}/withdraw")
    assert resp.status_code == 303
    page = text_of(_page(desk_browser, tid))
    assert "Escalation to Kuntasoft Oy withdrawn" in page and "Status in progress" in page
    resp = desk_browser.post(f"/desk/tickets/{tid}/escalations/{leg['id']}/withdraw")
    assert resp.status_code == 409  # once only; the page says why
    assert "withdrawn already" in resp.get_data(as_text=True)


def test_the_desk_marks_the_suppliers_part_done_on_its_word(
    desk_browser: PinnedBrowser, api: Any, world: Any, ticket: dict[str, Any]  # noqa: F811
) -> None:
    tid = ticket["id"]
    leg = api.escalate(local("2026-11-23 09:10"), tid, world.agent)["escalation"]
    assert "The supplier's part is done" in text_of(_page(desk_browser, tid))
    resp = desk_browser.post(f"/desk/tickets/{tid}/escalations/{leg['id']}/done")
    assert resp.status_code == 303
    page = text_of(_page(desk_browser, tid))
    assert "Status in progress" in page and "The supplier's part is done" not in page
