"""The ticket page as the desk reads it: header, SLA panel, timeline; scope and escaping."""

from __future__ import annotations

from typing import Any

import pytest

from tests.escalations.conftest import api, world  # noqa: F401 (fixtures)
from tests.web.ticket_world import PinnedBrowser, local, text_of, with_passwords

NOW = local("2026-11-23 09:30")
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def desk_browser(app: Any, world: Any, dbs: Any) -> PinnedBrowser:  # noqa: F811
    with_passwords(dbs, world.agent)
    b = PinnedBrowser(app.test_client(), NOW)
    b.login(world.agent)
    return b


def test_the_page_shows_the_header_the_sla_panel_and_the_timeline(
    api: Any, world: Any, desk_browser: PinnedBrowser  # noqa: F811
) -> None:
    t = api.file(local("2026-11-23 09:00"), world.requester, world.service)
    resp = desk_browser.get(f"/desk/tickets/{t['id']}")
    assert resp.status_code == 200
    page = text_of(resp.get_data(as_text=True))
    assert t["number"] in page and "Wilma ei aukea" in page
    assert world.requester.name in page and world.requester.email in page
    assert "P3 normal" in page and world.group.name in page
    # The SLA panel: countdown in business time, due instant in Helsinki time, state in words.
    assert "response clock ✔ on track · 1 h 30 min of business time left" in page
    assert "Due: 23 Nov 2026, 11:00" in page
    assert "Counted intervals 23 Nov 2026, 09:00 \N{EN DASH} 23 Nov 2026, 09:30" in page
    assert "Where the time went" in page
    # The timeline: created, then routed with the reason.
    assert "Ticket created" in page
    assert f"Routed to the group {world.group.name}" in page
    assert "why: default group of service" in page


def test_a_ticket_without_a_promise_says_so_in_words(
    api: Any, world: Any, desk_browser: PinnedBrowser  # noqa: F811
) -> None:
    t = api.file(
        local("2026-11-23 09:00"), world.requester, world.service, impact="low", urgency="low"
    )
    page = text_of(desk_browser.get(f"/desk/tickets/{t['id']}").get_data(as_text=True))
    assert "No promise" in page
    assert "clock ✔" not in page


def test_a_foreign_or_unknown_ticket_is_a_404(
    app: Any, api: Any, world: Any, make: Any, dbs: Any, desk_browser: PinnedBrowser  # noqa: F811
) -> None:
    t = api.file(local("2026-11-23 09:00"), world.requester, world.service)
    thh = make.user("agent", provider="THH")
    with_passwords(dbs, thh)
    other = PinnedBrowser(app.test_client(), NOW)
    other.login(thh)
    assert other.get(f"/desk/tickets/{t['id']}").status_code == 404
    assert desk_browser.get("/desk/tickets/999999").status_code == 404


def test_end_users_are_refused_the_ticket_page(
    app: Any, api: Any, world: Any, dbs: Any  # noqa: F811
) -> None:
    t = api.file(local("2026-11-23 09:00"), world.requester, world.service)
    with_passwords(dbs, world.requester)
    b = PinnedBrowser(app.test_client(), NOW)
    b.login(world.requester)
    assert b.get(f"/desk/tickets/{t['id']}").status_code == 403


def test_account_managers_read_the_page_without_the_desks_actions(
    app: Any, api: Any, world: Any, dbs: Any  # noqa: F811
) -> None:
    t = api.file(local("2026-11-23 09:00"), world.requester, world.service)
    with_passwords(dbs, world.manager)
    b = PinnedBrowser(app.test_client(), NOW)
    b.login(world.manager)
    resp = b.get(f"/desk/tickets/{t['id']}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Where the time went" in html
    for action in ("/priority", "/assign", "/escalate", "/reply\""):
        assert f"/desk/tickets/{t['id']}{action}" not in html


def test_hostile_text_in_title_description_comments_and_names_is_escaped(
    api: Any, world: Any, dbs: Any, desk_browser: PinnedBrowser  # noqa: F811
) -> None:
    world.requester.name = HOSTILE
    dbs.add(world.requester)
    dbs.commit()
    t = api.file(
        local("2026-11-23 09:00"), world.requester, world.service, title=HOSTILE,
        description=HOSTILE,
    )
    api.comment(local("2026-11-23 09:10"), t["id"], world.requester, HOSTILE)
    html = desk_browser.get(f"/desk/tickets/{t['id']}").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert html.count("&lt;script&gt;alert(") >= 4  # title (twice), description, comment, name
