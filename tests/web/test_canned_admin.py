"""Canned replies administration: admins add, change, preview and retire the texts."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from servicedesk.canned.models import CannedReply
from servicedesk.canned.queries import for_agent
from tests.web.conftest import PASSWORD, Browser

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
BASE = "/desk/admin/canned-replies"


@pytest.fixture
def admin(browser_for: Any, make: Any) -> Browser:
    browser = browser_for(make.user("admin", password=PASSWORD))
    browser.post("/language", {"lang": "en", "next": "/"})
    return browser


def page(resp: Any) -> str:
    return resp.get_data(as_text=True)


def replies(dbs: Any) -> list[SimpleNamespace]:
    """The stored replies as plain values: the session lets go of the database at once
    (SQLite would keep the app's next write waiting)."""
    dbs.expire_all()
    rows = dbs.scalars(select(CannedReply).order_by(CannedReply.id))
    found = [
        SimpleNamespace(
            id=r.id, title=r.title, group_id=r.group_id, locale=r.locale, active=r.active
        )
        for r in rows
    ]
    dbs.rollback()
    return found


def agent_titles(dbs: Any, agent: Any) -> list[str]:
    """What the reply box offers `agent` (the domain's own query)."""
    dbs.expire_all()
    titles = [r.title for r in for_agent(dbs, agent)]
    dbs.rollback()
    return titles


def reply_form(**changes: Any) -> dict[str, Any]:
    data = {
        "title": "Salasana vaihdettu",
        "group_id": "",
        "locale": "fi",
        "body": "Hei {requester_name}, tiketti {ticket_number} on käsitelty. T. {agent_name}",
        "active": "y",
        "action": "save",
    }
    data.update(changes)
    return data


def test_admin_adds_a_reply_for_every_agent_and_sees_it_listed(admin: Browser, dbs: Any) -> None:
    assert admin.get(f"{BASE}/new").status_code == 200
    resp = admin.post(f"{BASE}/new", reply_form())
    assert resp.status_code == 303
    (reply,) = replies(dbs)
    assert reply.group_id is None and reply.locale == "fi" and reply.active
    html = page(admin.get(BASE))
    assert "Salasana vaihdettu" in html and "every agent" in html and "Suomi" in html
    assert "in use" in html and "added" in html


def test_admin_adds_a_reply_for_one_group_and_only_its_agents_get_it(
    admin: Browser, make: Any, dbs: Any
) -> None:
    member = make.user("agent", provider="ICT")
    outsider = make.user("agent", provider="ICT")
    group = make.group("ICT", members=(member,))
    resp = admin.post(f"{BASE}/new", reply_form(group_id=str(group.id), locale=""))
    assert resp.status_code == 303
    assert agent_titles(dbs, member) == ["Salasana vaihdettu"]
    assert agent_titles(dbs, outsider) == []
    html = page(admin.get(BASE))
    assert group.name in html and "Any language" in html


def test_admin_edits_a_reply(admin: Browser, dbs: Any) -> None:
    admin.post(f"{BASE}/new", reply_form())
    (reply,) = replies(dbs)
    form = page(admin.get(f"{BASE}/{reply.id}"))
    assert "Salasana vaihdettu" in form
    resp = admin.post(f"{BASE}/{reply.id}", reply_form(title="Salasana nollattu", locale="sv"))
    assert resp.status_code == 303
    (reply,) = replies(dbs)
    assert reply.title == "Salasana nollattu" and reply.locale == "sv"


def test_admin_takes_a_reply_out_of_use_and_agents_stop_seeing_it(
    admin: Browser, make: Any, dbs: Any
) -> None:
    agent = make.user("agent", provider="ICT")
    admin.post(f"{BASE}/new", reply_form())
    (reply,) = replies(dbs)
    resp = admin.post(f"{BASE}/{reply.id}/active", {"active": "0"})
    assert resp.status_code == 303
    assert agent_titles(dbs, agent) == []
    html = page(admin.get(BASE))
    assert "not in use" in html and "Put back in use" in html
    admin.post(f"{BASE}/{reply.id}/active", {"active": "1"})
    assert agent_titles(dbs, agent) == ["Salasana vaihdettu"]


def test_the_form_lists_the_placeholders_and_previews_with_sample_values(
    admin: Browser, dbs: Any
) -> None:
    html = page(admin.get(f"{BASE}/new"))
    for name in ("requester_name", "ticket_number", "ticket_title", "agent_name", "service_name"):
        assert "{" + name + "}" in html
    resp = admin.post(f"{BASE}/new", reply_form(action="preview"))
    html = page(resp)
    assert resp.status_code == 200
    preview = html.split('canned-preview">')[1]
    assert "Hei Maija Meikäläinen, tiketti KPK-2026-00042" in preview
    assert replies(dbs) == []  # a preview saves nothing


def test_a_reply_without_a_title_is_422_and_keeps_the_text(admin: Browser, dbs: Any) -> None:
    resp = admin.post(f"{BASE}/new", reply_form(title="", body="Tärkeä teksti"))
    html = page(resp)
    assert resp.status_code == 422
    assert "Tärkeä teksti" in html and 'href="#title"' in html
    assert replies(dbs) == []


def test_hostile_text_is_escaped_in_the_list_the_form_and_the_preview(
    admin: Browser, dbs: Any
) -> None:
    admin.post(f"{BASE}/new", reply_form(title=HOSTILE, body=HOSTILE + " {requester_name}"))
    (reply,) = replies(dbs)
    for url in (BASE, f"{BASE}/{reply.id}"):
        html = page(admin.get(url))
        assert HOSTILE not in html and "&lt;script&gt;" in html
    html = page(admin.post(f"{BASE}/new", reply_form(body=HOSTILE, action="preview")))
    assert HOSTILE not in html


def test_agents_are_refused_the_administration(browser_for: Any, make: Any, dbs: Any) -> None:
    agent = make.user("agent", provider="ICT", password=PASSWORD)
    browser = browser_for(agent)
    assert browser.get(BASE).status_code == 403
    assert browser.get(f"{BASE}/new").status_code == 403
    assert browser.post(f"{BASE}/new", reply_form()).status_code == 403
    assert replies(dbs) == []


def test_an_unknown_reply_is_404(admin: Browser) -> None:
    assert admin.get(f"{BASE}/999999").status_code == 404
    assert admin.post(f"{BASE}/999999/active", {"active": "0"}).status_code == 404


def test_the_pages_link_to_logging_a_call(admin: Browser) -> None:
    assert 'href="/desk/new"' in page(admin.get(BASE))
