"""`/palvelutaso` in Chromium: no login, in Finnish and English, the charts load as images
under the CSP, the language switch works, and axe-core finds no serious or critical
violation, wide or narrow."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import NARROW, Contexts, assert_accessible
from tests.public.world import TITLE, PublicWorld, local

BROWSER_LOCALE = {"fi": "fi-FI", "en": "en-GB"}
HEADING = {
    "fi": "Miten palvelukeskus pitää lupauksensa",
    "en": "How well the service desk keeps its promises",
}


@pytest.fixture
def busy(app: Any, make: Any, client: Any) -> Any:
    """Enough tickets and clocks for shown and suppressed cells alike, recently."""
    w = PublicWorld(make)
    for i in range(6):
        tid = w.ticket(client, "application", local(2026, 11, 2 + i, 9))
        w.clock(tid, "response", "met", stopped=local(2026, 11, 2 + i, 10))
    w.sess.commit()
    before = app.config.get("PUBLIC_CACHE_SECONDS")
    app.config["PUBLIC_CACHE_SECONDS"] = 0
    yield w
    app.config["PUBLIC_CACHE_SECONDS"] = before if before is not None else 60


@pytest.mark.parametrize("lang", ["fi", "en"])
@pytest.mark.parametrize("viewport", [None, NARROW], ids=["wide", "narrow"])
def test_the_public_page_is_accessible_without_login(
    pages: Contexts, busy: Any, lang: str, viewport: Any
) -> None:
    page = pages.new_page(viewport=viewport, locale=BROWSER_LOCALE[lang])
    resp = page.goto("/palvelutaso")
    assert resp is not None and resp.status == 200
    assert page.evaluate("() => document.documentElement.lang") == lang
    assert page.locator("h1").inner_text() == HEADING[lang]
    charts = page.locator("main figure img")
    assert charts.count() == 3
    # Every chart decoded (a data: URI the CSP allows) and carries its text alternative.
    assert page.evaluate(
        "() => [...document.querySelectorAll('main figure img')]"
        ".every(i => i.complete && i.naturalWidth > 0 && i.alt.length > 20)"
    )
    assert TITLE not in page.content()
    if viewport is NARROW:
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= NARROW["width"], f"/palvelutaso is {width}px wide"
    page.mouse.move(0, 0)
    assert_accessible(page, f"/palvelutaso ({lang})")


def test_the_language_switch_works_on_the_public_page(pages: Contexts, busy: Any) -> None:
    page = pages.new_page(locale="fi-FI")
    page.goto("/login")
    page.locator("footer a[href='/palvelutaso']").click()
    page.wait_for_url("**/palvelutaso")
    page.select_option("#lang-select", "en")
    page.locator("form[action='/language'] button").click()
    page.wait_for_url("**/palvelutaso")
    assert page.locator("h1").inner_text() == HEADING["en"]
