"""`/palvelutaso`: no login, in fi, sv and en; the price list, per family a chart (an image,
never inline SVG) with its table; suppressed cells say so; no name or ticket text anywhere."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

from servicedesk import db
from tests.public.world import DESCRIPTION, ORG_NAME, TITLE, PublicWorld, local
from tests.web.conftest import Browser

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)


def page(client: Any, lang: str = "fi") -> str:
    with db.frozen_now(NOW):
        resp = client.get("/palvelutaso", headers={"Accept-Language": lang})
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def _busy_world(client: Any, w: PublicWorld) -> None:
    """Enough clocks and tickets in November for every family to show its figures."""
    for family in ("expert", "application", "infrastructure"):
        for i in range(6):
            tid = w.ticket(client, family, local(2026, 11, 2 + i, 9))
            w.clock(tid, "response", "met", stopped=local(2026, 11, 2 + i, 10))
            w.clock(
                tid,
                "resolution",
                "breached" if i == 0 else "met",
                stopped=local(2026, 11, 2 + i, 15),
            )
    w.sess.commit()


def test_the_page_needs_no_login_and_shows_prices_and_figures(
    client: Any, world: PublicWorld
) -> None:
    _busy_world(client, world)
    text = page(client)
    assert "Palvelut ja hinnat" in text
    assert world.services["expert"].name_fi in text
    assert "25,00" in text  # the price, the Finnish way
    assert "83,3" in text  # 5 of 6 resolution clocks met, in November
    assert "alle 5" in text  # the empty months say so
    assert text.count('src="data:image/svg+xml;base64,') == 3
    assert "<svg" not in text


def test_the_page_speaks_english_and_swedish(client: Any, world: PublicWorld) -> None:
    assert "Services and prices" in page(client, "en")
    assert world.services["expert"].name_en in page(client, "en")
    assert "Tjänster och priser" in page(client, "sv")


def test_the_language_switch_works_on_the_public_page(client: Any, world: PublicWorld) -> None:
    browser = Browser(client)
    browser.get("/palvelutaso")
    resp = browser.post("/language", {"lang": "en", "next": "/palvelutaso"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/palvelutaso")
    with db.frozen_now(NOW):
        assert "Services and prices" in client.get("/palvelutaso").get_data(as_text=True)


def test_no_organisation_person_or_ticket_text_appears(
    client: Any, make: Any, world: PublicWorld
) -> None:
    _busy_world(client, world)
    org, person = world.org, world.requester
    forbidden = [
        ORG_NAME,
        "Salakylän",
        "Pikkukylä",
        org.business_id,
        TITLE,
        "salainen",
        "palkka-asia",
        DESCRIPTION,
        "Henkilötunnus",
        person.name,
        person.email,
    ]
    with db.frozen_now(NOW):
        api = client.get("/api/v1/public/service-level").get_data(as_text=True)
    for text in (page(client, "fi"), page(client, "en"), page(client, "sv"), api):
        for word in forbidden:
            assert word not in text and html.escape(word) not in text, word
        assert '"organisation' not in text.lower()


def test_the_login_page_links_to_the_public_page(client: Any) -> None:
    text = client.get("/login").get_data(as_text=True)
    assert 'href="/palvelutaso"' in text
