"""Supplier agents in the pages: only their own legs, messages with the desk, "done"; the
desk publishes what the customer may read."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.escalations.conftest import api, world  # noqa: F401 (fixtures)
from tests.web.ticket_world import PinnedBrowser, local, text_of, with_passwords

NOW = local("2026-11-23 11:00")


@pytest.fixture
def escalated(api: Any, world: Any) -> dict[str, Any]:  # noqa: F811
    """Two tickets: one with supplier A, one with supplier B (escalated at 10:00)."""
    at = local("2026-11-23 10:00")
    a = api.file(local("2026-11-23 09:00"), world.requester, world.service, title="Wilma A")
    b = api.file(local("2026-11-23 09:00"), world.requester, world.service, title="Wilma B")
    api.comment(at, a["id"], world.agent, "Sisäinen muistiinpano", internal=True)
    leg_a = api.escalate(at, a["id"], world.agent, note="Lokit liitteenä")["escalation"]
    leg_b = api.escalate(at, b["id"], world.agent, world.supplier_b)["escalation"]
    return {"a": a, "b": b, "leg_a": leg_a, "leg_b": leg_b}


@pytest.fixture
def browsers(app: Any, world: Any, dbs: Any) -> dict[str, PinnedBrowser]:  # noqa: F811
    with_passwords(dbs, world.agent, world.agent_a)
    out = {}
    for name, user in (("desk", world.agent), ("a", world.agent_a)):
        out[name] = PinnedBrowser(app.test_client(), NOW)
        out[name].login(user)
    return out


def test_the_supplier_page_lists_only_its_own_open_legs(
    browsers: dict[str, PinnedBrowser], escalated: dict[str, Any]
) -> None:
    resp = browsers["a"].get("/desk/supplier")
    page = text_of(resp.get_data(as_text=True))
    assert resp.status_code == 200
    assert escalated["a"]["number"] in page and "Wilma A" in page
    assert escalated["b"]["number"] not in page
    assert "supplier resolution: ✔ on track · 7 h left · due 24 Nov 2026, 10:00" in page


def test_a_supplier_login_lands_on_its_legs(
    app: Any, world: Any, dbs: Any  # noqa: F811
) -> None:
    with_passwords(dbs, world.agent_a)
    b = PinnedBrowser(app.test_client(), NOW)
    assert b.login(world.agent_a).headers["Location"] == "/desk/supplier"


def test_another_suppliers_ticket_is_a_404(
    browsers: dict[str, PinnedBrowser], escalated: dict[str, Any]
) -> None:
    assert browsers["a"].get(f"/desk/tickets/{escalated['b']['id']}").status_code == 404


def test_the_supplier_view_shows_the_hand_off_and_its_clocks_but_no_internal_notes(
    browsers: dict[str, PinnedBrowser], escalated: dict[str, Any], world: Any  # noqa: F811
) -> None:
    html = browsers["a"].get(f"/desk/tickets/{escalated['a']['id']}").get_data(as_text=True)
    page = text_of(html)
    assert "Lokit liitteenä" in page  # the desk's hand-off note
    assert "Sisäinen muistiinpano" not in page and "Internal note" not in page
    assert world.requester.email not in page  # the name only
    assert "supplier response clock" in page and "Where the time went" not in page
    assert "Mark our part done" in page and "Message the desk" in page
    for desk_action in ("/priority", "/assign", "/escalate", "/reply\""):
        assert f"/desk/tickets/{escalated['a']['id']}{desk_action}" not in html


def test_supplier_messages_the_desk_the_desk_publishes_and_only_then_the_customer_reads_it(
    app: Any, api: Any, world: Any, browsers: dict[str, PinnedBrowser],  # noqa: F811
    escalated: dict[str, Any],
) -> None:
    tid = escalated["a"]["id"]
    supplier = browsers["a"]
    html = supplier.get(f"/desk/tickets/{tid}").get_data(as_text=True)
    resp = supplier.post(
        f"/desk/tickets/{tid}/thread",
        {**supplier.form_values(html, "thread"), "thread-body": "Hinta 450e laskutetaan KPK:lta"},
    )
    assert resp.status_code == 303
    desk_html = browsers["desk"].get(f"/desk/tickets/{tid}").get_data(as_text=True)
    assert '<li class="timeline-item supplier"' in desk_html
    assert "Supplier message · Kuntasoft Oy" in desk_html
    assert "Publish to customer" in desk_html and "Quote in a reply" in desk_html

    def customer_reads() -> list[str]:
        return [c["body"] for c in api.ok("GET", NOW, f"/tickets/{tid}/comments", world.requester)]

    assert customer_reads() == []  # the thread stays between the desk and the supplier
    # The desk quotes it in its own words: the reply box starts with the quote.
    found = re.search(r'<li class="timeline-item supplier" id="comment-(\d+)"', desk_html)
    assert found
    comment_id = int(found.group(1))
    quoted = browsers["desk"].get(f"/desk/tickets/{tid}?quote={comment_id}").get_data(as_text=True)
    assert "&gt; Hinta 450e laskutetaan KPK:lta" in quoted
    resp = browsers["desk"].post(
        f"/desk/tickets/{tid}/reply",
        {**browsers["desk"].form_values(quoted, "reply"), "reply-quote_of": str(comment_id),
         "reply-body": "Toimittaja on löytänyt vian.", "action": "reply"},
    )
    assert resp.status_code == 303
    assert customer_reads() == ["Toimittaja on löytänyt vian."]
    # Or publishes it as it is.
    resp = browsers["desk"].post(f"/desk/tickets/{tid}/comments/{comment_id}/publish")
    assert resp.status_code == 303
    assert customer_reads()[-1] == "Hinta 450e laskutetaan KPK:lta"
    page = text_of(browsers["desk"].get(f"/desk/tickets/{tid}").get_data(as_text=True))
    assert "Published to the customer" in page
    assert "Supplier message published to the customer" in page


def test_the_supplier_marks_done_and_keeps_reading_only_its_own_thread(
    api: Any, world: Any, browsers: dict[str, PinnedBrowser],  # noqa: F811
    escalated: dict[str, Any],
) -> None:
    tid = escalated["a"]["id"]
    supplier = browsers["a"]
    html = supplier.get(f"/desk/tickets/{tid}").get_data(as_text=True)
    supplier.post(
        f"/desk/tickets/{tid}/thread",
        {**supplier.form_values(html, "thread"), "thread-body": "Korjattu tuotantoon."},
    )
    resp = supplier.post(f"/desk/tickets/{tid}/escalations/{escalated['leg_a']['id']}/done")
    assert resp.status_code == 303 and resp.headers["Location"] == "/desk/supplier"
    legs = text_of(supplier.get("/desk/supplier").get_data(as_text=True))
    assert "Nothing is escalated to you now." in legs
    assert "Ended" in legs and escalated["a"]["number"] in legs and "done" in legs
    # The desk goes on with the customer; the supplier no longer reads what comes later.
    api.comment(local("2026-11-23 11:30"), tid, world.agent, "Vastaus asiakkaalle myöhemmin.")
    supplier.now = local("2026-11-23 12:00")
    page = text_of(supplier.get(f"/desk/tickets/{tid}").get_data(as_text=True))
    assert "Korjattu tuotantoon." in page
    assert "Vastaus asiakkaalle myöhemmin." not in page
    assert "Mark our part done" not in page and "Message the desk" not in page
