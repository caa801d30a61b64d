"""The signed rating link of the resolution e-mail: rating without logging in.

The link rates its own ticket once, as its requester; a forged, expired or foreign token is
a friendly 404 page; the form has CSRF and accessible radio buttons."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from servicedesk.notifications.models import OutboxMessage
from servicedesk.ratings import links
from tests.web.conftest import Browser
from tests.web.portal_world import PortalWorld, build
from tests.web.ticket_world import text_of


@pytest.fixture
def world(make: Any, client: Any, desk: dict[str, Any]) -> PortalWorld:
    return build(make, client, desk)


def _link(app: Any, ticket_id: int, requester_id: int) -> str:
    with app.app_context():
        return links.PATH + links.make_token(ticket_id, requester_id)


@pytest.fixture
def visitor(app: Any) -> Browser:
    """Nobody logged in: the e-mail's reader."""
    return Browser(app.test_client())


def test_the_link_rates_its_ticket_without_a_login(
    app: Any, world: PortalWorld, visitor: Browser
) -> None:
    ticket = world.file(world.user)
    world.desk_reply(ticket["id"], status="resolved")
    url = _link(app, ticket["id"], world.user.id)
    page = visitor.get(url)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"  # the token stays here
    html = page.get_data(as_text=True)
    assert ticket["number"] in html
    assert "<fieldset" in html and "<legend" in html
    assert html.count('type="radio"') == 5
    # the page shows the ticket's number and title, not its conversation
    assert "Paperi juuttuu." not in html
    resp = visitor.post(url, {"score": "5", "comment": "Kiitos!"})
    assert resp.status_code == 303
    assert world.ticket(ticket["id"])["rating"] == 5
    assert world.ticket(ticket["id"])["rating_comment"] == "Kiitos!"
    after = text_of(visitor.get(url).get_data(as_text=True))
    assert "rated already (5/5)" in after
    again = visitor.post(url, {"score": "1"})
    assert again.status_code == 409
    assert world.ticket(ticket["id"])["rating"] == 5


def test_the_link_form_needs_its_csrf_token(app: Any, world: PortalWorld, visitor: Browser) -> None:
    ticket = world.file(world.user)
    world.desk_reply(ticket["id"], status="resolved")
    url = _link(app, ticket["id"], world.user.id)
    visitor.get(url)
    assert visitor.client.post(url, data={"score": "5"}).status_code == 400
    assert world.ticket(ticket["id"])["rating"] is None


def test_no_score_is_a_form_error(app: Any, world: PortalWorld, visitor: Browser) -> None:
    ticket = world.file(world.user)
    world.desk_reply(ticket["id"], status="resolved")
    url = _link(app, ticket["id"], world.user.id)
    resp = visitor.post(url, {"comment": "Ei arvosanaa"})
    assert resp.status_code == 422
    text = text_of(resp.get_data(as_text=True))
    assert "Choose a rating from 1 to 5." in text
    assert 'href="#rating-score"' in resp.get_data(as_text=True)


@pytest.mark.parametrize("token", ["rubbish", "", "a.b.c", "W1sMiwzXQ.xxx.yyy"])
def test_a_bad_token_is_a_friendly_404(app: Any, visitor: Browser, token: str) -> None:
    english = {"Accept-Language": "en"}
    resp = visitor.get(links.PATH + (token or "x"), headers=english)
    assert resp.status_code == 404
    assert "This rating link does not work" in text_of(resp.get_data(as_text=True))
    finnish = visitor.get(links.PATH + (token or "x"))
    assert "Tämä arviointilinkki ei toimi" in text_of(finnish.get_data(as_text=True))


def test_an_expired_link_is_a_404(
    app: Any, world: PortalWorld, visitor: Browser, monkeypatch: Any
) -> None:
    ticket = world.file(world.user)
    world.desk_reply(ticket["id"], status="resolved")
    url = _link(app, ticket["id"], world.user.id)
    monkeypatch.setattr(links, "LINK_MAX_AGE", timedelta(seconds=-1))
    monkeypatch.setattr(links.read_token, "__defaults__", (None, timedelta(seconds=-1)))
    assert visitor.get(url).status_code == 404


def test_the_link_of_ticket_a_cannot_rate_ticket_b(
    app: Any, world: PortalWorld, visitor: Browser
) -> None:
    a = world.file(world.user)
    b = world.file(world.colleague)
    for t in (a, b):
        world.desk_reply(t["id"], status="resolved")
    # a token naming B with A's requester, and one signed with another key: neither works
    assert visitor.get(_link(app, b["id"], world.user.id)).status_code == 404
    with app.app_context():
        forged = links.PATH + links.make_token(b["id"], world.colleague.id, "another-key")
    assert visitor.get(forged).status_code == 404
    assert visitor.post(_link(app, a["id"], world.user.id), {"score": "2"}).status_code == 303
    assert world.ticket(a["id"])["rating"] == 2
    assert world.ticket(b["id"])["rating"] is None


def test_a_reopened_ticket_cannot_be_rated_through_the_link(
    app: Any, world: PortalWorld, visitor: Browser
) -> None:
    ticket = world.file(world.user)
    world.desk_reply(ticket["id"], status="resolved")
    url = _link(app, ticket["id"], world.user.id)
    world.desk_reply(ticket["id"], status="in_progress")
    text = text_of(visitor.get(url).get_data(as_text=True))
    assert "cannot be rated now" in text
    assert visitor.post(url, {"score": "4"}).status_code == 409


def test_a_low_rating_through_the_link_reaches_the_account_manager_once(
    app: Any, world: PortalWorld, visitor: Browser, dbs: Any
) -> None:
    ticket = world.file(world.user)
    world.desk_reply(ticket["id"], status="resolved")
    url = _link(app, ticket["id"], world.user.id)
    assert visitor.post(url, {"score": "1", "comment": "Ei ratkaistu"}).status_code == 303
    visitor.post(url, {"score": "1"})
    mails = list(dbs.scalars(select(OutboxMessage).where(OutboxMessage.kind == "low_rating")))
    assert [m.recipient for m in mails] == [world.manager.email]
    assert "Ei ratkaistu" in mails[0].body


def test_the_link_page_speaks_the_requesters_language(
    app: Any, world: PortalWorld, visitor: Browser, dbs: Any
) -> None:
    ticket = world.file(world.user)
    world.desk_reply(ticket["id"], status="resolved")
    world.user.locale = "fi"
    dbs.add(world.user)
    dbs.commit()
    html = visitor.get(_link(app, ticket["id"], world.user.id)).get_data(as_text=True)
    assert '<html lang="fi">' in html and "Arvioi palvelu" in html
