"""The yearly agreement cycle in Chromium: an account manager finds the agreement that lapses
in 23 days, drafts its successor and sends it to the customer; the customer contact reads
what changes and accepts it. axe-core finds no serious or critical violation on any of the
pages, the forms work with the keyboard's Enter as with a click.

AGREEMENT_SCREENSHOTS=<dir> keeps a screenshot of the list, the version page and the portal
page, in Finnish and English, 390 and 1280 px wide.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import NARROW, WIDE, Contexts, login, logout
from tests.browser.test_accessibility import Audit
from tests.browser.test_walks import flashes, form_of, submit
from tests.web.agreement_world import LAPSE_DAYS, AgreementWorld, build


@pytest.fixture
def world(make: Any) -> AgreementWorld:
    return build(make)


def _shots(page: Any, name: str) -> None:
    """Screenshots in fi and en, narrow and wide, when AGREEMENT_SCREENSHOTS says where."""
    where = os.environ.get("AGREEMENT_SCREENSHOTS")
    if not where:
        return
    Path(where).mkdir(parents=True, exist_ok=True)
    for lang in ("fi", "en"):
        page.select_option("#lang-select", lang)
        submit(page.locator("form[action='/language']"))
        for label, size in (("narrow", NARROW), ("wide", WIDE)):
            page.set_viewport_size(size)
            page.screenshot(path=str(Path(where) / f"{name}-{lang}-{label}.png"), full_page=True)
    page.select_option("#lang-select", "fi")
    submit(page.locator("form[action='/language']"))
    page.set_viewport_size(WIDE)


def test_a_manager_drafts_and_proposes_and_the_contact_accepts(
    pages: Contexts, world: AgreementWorld
) -> None:
    audit = Audit("fi")
    desk = pages.new_page()
    login(desk, world.manager)
    desk.locator("header nav a[href='/desk/agreements']").click()
    desk.wait_for_load_state()
    row = desk.locator("table.agr-list tbody tr", has_text=world.org.name)
    assert f"Päättyy {LAPSE_DAYS} päivän kuluttua, ei jatkosopimusta" in row.inner_text()
    assert world.other_org.name not in desk.locator("main").inner_text()
    audit.check(desk, "agreement list")
    _shots(desk, "list")

    row.locator(f"a[href='/desk/agreements/{world.version.id}']").click()
    desk.wait_for_load_state()
    assert "Sähköinen arkisto" in desk.locator("main").inner_text()
    audit.check(desk, "version in force")
    _shots(desk, "version")

    submit(form_of(desk, f"/desk/agreements/{world.version.id}/draft"))
    assert "laadittiin" in flashes(desk)
    found = re.search(r"/desk/agreements/(\d+)$", desk.url)
    assert found, desk.url
    draft_id = int(found.group(1))
    assert draft_id != world.version.id
    audit.check(desk, "draft with its edit form")

    # The price of Wilma, typed the Finnish way and sent with Enter.
    price = desk.locator("form[action$='/edit'] input[id^='edit-price-']").first
    price.fill("27,50")
    price.press("Enter")
    desk.wait_for_load_state()
    assert "Muutokset tallennettiin" in flashes(desk)
    assert desk.locator(f"a[href='/desk/agreements/{draft_id}/what-if']").count() == 1
    _shots(desk, "draft")

    submit(form_of(desk, f"/desk/agreements/{draft_id}/propose"))
    assert "Ehdotus lähetettiin asiakkaalle" in flashes(desk)
    assert "ehdotettu" in desk.locator("h1").inner_text()
    audit.check(desk, "proposal")
    logout(desk)

    portal = pages.new_page()
    login(portal, world.contact)
    portal.locator("header nav a[href='/portal/agreement']").click()
    portal.wait_for_load_state()
    changes = portal.locator("table.agr-changes").first.inner_text()
    assert "27,50" in changes and "25,00" in changes
    assert "myöhässä" in portal.locator("main").inner_text()  # the transition plan
    audit.check(portal, "portal agreement with a proposal")
    audit.check_expanded(portal, "portal agreement with a proposal")
    _shots(portal, "portal")

    submit(form_of(portal, f"/portal/agreement/{draft_id}/accept"))
    assert "Kiitos" in flashes(portal)
    assert "Hyväksynyt Paula Yhteyshenkilö" in portal.locator(".agr-accepted").inner_text()
    assert portal.locator(f"form[action$='/portal/agreement/{draft_id}/accept']").count() == 0
    audit.check(portal, "portal agreement accepted")
    audit.done()
