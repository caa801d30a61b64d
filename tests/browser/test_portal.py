"""The portal in Chromium: an end user files a ticket with a file, answers the desk's
question, and rates the solution through the e-mail's signed link (logged out); a customer
contact sees the organisation's tickets and a stranger gets 404 on every one of them;
axe-core finds no serious or critical violation on any portal page, in Finnish and Swedish.

PORTAL_SCREENSHOTS=<dir> keeps a screenshot of each page (fi and en, 390 and 1280 px wide).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from servicedesk.ratings import links
from tests.browser.conftest import NARROW, WIDE, Contexts, login
from tests.browser.test_accessibility import Audit
from tests.browser.test_walks import flashes, form_of, submit
from tests.web.portal_world import PortalWorld, build

BROWSER_LOCALE = {"fi": "fi-FI", "sv": "sv-FI", "en": "en-GB"}


@pytest.fixture
def world(make: Any, app: Any, desk: dict[str, Any]) -> PortalWorld:
    return build(make, app.test_client(), desk)


def _link(app: Any, ticket_id: int, requester_id: int) -> str:
    with app.app_context():
        return links.PATH + links.make_token(ticket_id, requester_id)


def _ticket_id(page: Any) -> int:
    found = re.search(r"/portal/tickets/(\d+)$", page.url)
    assert found, page.url
    return int(found.group(1))


def _shot(page: Any, name: str) -> None:
    where = os.environ.get("PORTAL_SCREENSHOTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(where) / f"{name}.png"), full_page=True)


def _file_a_ticket(page: Any, world: PortalWorld, title: str) -> int:
    page.goto("/portal/new")
    page.locator(f"a[href='/portal/new?service={world.service.id}']").click()
    page.wait_for_load_state()
    page.locator("#new-title").fill(title)
    page.locator("#new-description").fill("Näyttö jää mustaksi käynnistyksessä.")
    page.locator("#new-urgency-2").check()  # "I cannot work at all"
    page.locator("#new-files").set_input_files(
        files=[{"name": "virhe.txt", "mimeType": "text/plain", "buffer": b"Virhekoodi 0x42"}]
    )
    submit(page.locator("main form.portal-form"))
    return _ticket_id(page)


def test_an_end_user_files_attaches_answers_and_rates_through_the_link(
    pages: Contexts, world: PortalWorld, app: Any
) -> None:
    page = pages.new_page()
    login(page, world.user)
    assert page.url.endswith("/portal/tickets")
    tid = _file_a_ticket(page, world, "Näyttö pimeänä")
    assert "Näyttö pimeänä" in page.locator("h1").inner_text()
    attachment = page.locator(".attachment-list a", has_text="virhe.txt").first
    href = attachment.get_attribute("href")
    download = page.request.get(href)
    assert download.status == 200 and download.body() == b"Virhekoodi 0x42"
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["x-content-type-options"] == "nosniff"

    world.desk_reply(tid, status="waiting_for_customer", body="Näkyykö virhekoodi?")
    page.goto(f"/portal/tickets/{tid}")
    assert "Näkyykö virhekoodi?" in page.locator("#conversation").inner_text()
    page.locator("#reply-body").fill("Kyllä, 0x42.")
    submit(form_of(page, "/reply"))
    assert world.ticket(tid)["status"] == "in_progress"
    assert "Kyllä, 0x42." in page.locator("#conversation").inner_text()

    world.desk_reply(tid, status="resolved", body="Näytönohjain vaihdettu.")
    page.locator("form[action='/logout'] button").click()
    page.wait_for_url("**/login")

    link = pages.new_page()  # the e-mail's reader: nobody is logged in
    link.goto(_link(app, tid, world.user.id))
    assert link.locator("form[action^='/portal/rate/'] fieldset legend").count() == 1
    link.locator("#rating-score-0").check()  # 5
    link.locator("#rating-comment").fill("Nopeaa palvelua!")
    submit(link.locator("main form.portal-form"))
    assert "5/5" in link.locator("main").inner_text()
    assert world.ticket(tid)["rating"] == 5


def test_a_contact_sees_the_organisations_tickets_and_a_stranger_none_of_them(
    pages: Contexts, world: PortalWorld
) -> None:
    tickets = [
        world.file(world.user, title="Ensimmäinen"),
        world.file(world.colleague, title="Toinen"),
    ]
    contact = pages.new_page()
    login(contact, world.contact)
    listed = contact.locator("table.portal-table tbody").inner_text()
    for t in tickets:
        assert t["number"] in listed
    contact.locator(f"a[href='/portal/tickets/{tickets[1]['id']}']").click()
    contact.wait_for_load_state()
    assert "Toinen" in contact.locator("h1").inner_text()

    stranger = pages.new_page()
    login(stranger, world.stranger)
    assert "Ensimmäinen" not in stranger.locator("main").inner_text()
    for t in tickets:
        resp = stranger.goto(f"/portal/tickets/{t['id']}")
        assert resp is not None and resp.status == 404, t["number"]
        resp = stranger.request.post(
            f"/portal/tickets/{t['id']}/withdraw", form={"csrf_token": "x"}
        )
        assert resp.status in (400, 404)
    assert all(world.ticket(t["id"])["status"] == "new" for t in tickets)


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_every_portal_page_has_no_serious_accessibility_violation(
    pages: Contexts, make: Any, app: Any, desk: dict[str, Any], lang: str
) -> None:
    world = build(make, app.test_client(), desk, locale=lang)
    audit = Audit(lang)
    page = pages.new_page(locale=BROWSER_LOCALE[lang])
    login(page, world.user)
    audit.check(page, "my tickets (empty)")
    page.goto("/portal/new")
    audit.check(page, "service picker")
    page.goto(f"/portal/new?service={world.service.id}")
    audit.check(page, "new ticket form")
    page.locator("#new-title").fill("")
    submit(page.locator("main form.portal-form"))
    audit.check(page, "new ticket form with errors")
    tid = _file_a_ticket(page, world, "Saavutettavuus")
    audit.check(page, "ticket page (new)")
    world.desk_reply(tid, status="waiting_for_customer", body="Kysymys?")
    page.goto(f"/portal/tickets/{tid}")
    audit.check(page, "ticket page (waiting for the answer)")
    submit(form_of(page, "/reply"))  # empty: the error summary
    audit.check(page, "ticket page (reply with errors)")
    world.desk_reply(tid, status="resolved")
    page.goto(f"/portal/tickets/{tid}")
    audit.check(page, "ticket page (resolved, rating form)")
    page.goto("/portal/tickets?status=all")
    audit.check(page, "my tickets (all)")

    contact = pages.new_page(locale=BROWSER_LOCALE[lang])
    login(contact, world.contact)
    audit.check(contact, "organisation's tickets")

    visitor = pages.new_page(locale=BROWSER_LOCALE[lang])
    visitor.goto(_link(app, tid, world.user.id))
    audit.check(visitor, "rating link")
    submit(visitor.locator("main form.portal-form"))  # no score: the error summary
    audit.check(visitor, "rating link with errors")
    visitor.locator("#rating-score-4").check()
    submit(visitor.locator("main form.portal-form"))
    audit.check(visitor, "rating link (rated)")
    visitor.goto(links.PATH + "not-a-token")
    audit.check(visitor, "rating link (bad token)")

    stranger = pages.new_page(locale=BROWSER_LOCALE[lang])
    refused = make.user("end_user", org=make.org(entitled=False), locale=lang)
    refused.password_hash = world.user.password_hash
    make.sess.commit()
    login(stranger, refused)
    stranger.goto("/portal/new")
    audit.check(stranger, "new ticket (organisation refused)")
    resp = stranger.goto(f"/portal/tickets/{tid}")
    assert resp is not None and resp.status == 404
    audit.check(stranger, "a foreign ticket (404)")
    audit.done()


def test_hostile_text_runs_no_script_on_the_portal_pages(
    pages: Contexts, world: PortalWorld, app: Any
) -> None:
    from tests.browser.xss_payloads import PAYLOADS

    everything = "\n".join(PAYLOADS)
    ticket = world.file(world.user, title=PAYLOADS[2][:200], description=everything)
    world.desk_reply(ticket["id"], body=everything)
    world.file(world.user, title=PAYLOADS[0][:200])
    page = pages.new_page()
    login(page, world.user)
    for path in ("/portal/tickets", f"/portal/tickets/{ticket['id']}"):
        page.goto(path)
        assert page.evaluate("() => window.__pwned") is None, path
    assert PAYLOADS[2][:30] in page.locator("h1").inner_text()
    page.locator("#reply-body").fill(everything)
    submit(form_of(page, "/reply"))
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("#conversation .ticket-text").count() >= 2


def test_a_narrow_window_does_not_scroll_a_portal_page_sideways(
    pages: Contexts, world: PortalWorld, app: Any
) -> None:
    ticket = world.file(world.contact, title="Pitkä otsikko " * 8)
    world.desk_reply(ticket["id"], status="resolved", body="Ratkaistu " * 40)
    page = pages.new_page(viewport=NARROW)
    login(page, world.contact)
    paths = [
        "/portal/tickets?status=all",
        "/portal/new",
        f"/portal/new?service={world.service.id}",
        f"/portal/tickets/{ticket['id']}",
        _link(app, ticket["id"], world.contact.id),
    ]
    for path in paths:
        page.goto(path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= NARROW["width"], f"{path} is {width}px wide in a 390px window"


@pytest.mark.skipif(not os.environ.get("PORTAL_SCREENSHOTS"), reason="PORTAL_SCREENSHOTS unset")
@pytest.mark.parametrize("lang", ["fi", "en"])
def test_screenshots_of_the_portal(
    pages: Contexts, make: Any, app: Any, desk: dict[str, Any], lang: str
) -> None:
    world = build(make, app.test_client(), desk, locale=lang)
    done = world.file(world.user, title="Tulostin ei tulosta")
    world.desk_reply(done["id"], status="resolved", body="Tulostin on korjattu.")
    for name, size in (("narrow", NARROW), ("wide", WIDE)):
        page = pages.new_page(viewport=size, locale=BROWSER_LOCALE[lang])
        login(page, world.user)
        _shot(page, f"{lang}-{name}-tickets")
        page.goto("/portal/new")
        _shot(page, f"{lang}-{name}-picker")
        page.goto(f"/portal/new?service={world.service.id}")
        _shot(page, f"{lang}-{name}-form")
        page.goto(f"/portal/tickets/{done['id']}")
        _shot(page, f"{lang}-{name}-ticket")
        visitor = pages.new_page(viewport=size, locale=BROWSER_LOCALE[lang])
        visitor.goto(_link(app, done["id"], world.user.id))
        _shot(visitor, f"{lang}-{name}-rate")
        assert "flash" not in flashes(page)
