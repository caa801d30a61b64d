"""Accessibility in Chromium: axe-core finds no serious or critical WCAG 2.1 A/AA violation on
any page of the walks, in Finnish and in English; the keyboard alone gets through the door;
focus is visible; the narrow window scrolls no page sideways."""

from __future__ import annotations

import re
from typing import Any

import pytest

from servicedesk.mail.intake import receive
from tests.browser import scenario as sc
from tests.browser.conftest import NARROW, Contexts, axe_violations, login
from tests.browser.test_walks import choose, fill, form_of, submit, ticket_path
from tests.web.conftest import PASSWORD

BROWSER_LOCALE = {"fi": "fi-FI", "en": "en-GB"}
#: Incoming mail for the admin page: an unknown sender (answered) and a bounce (quarantined).
INCOMING_MAIL = (
    b"From: Ville <ville@gmail.example>\nSubject: <b>Apua</b>\n"
    b"Message-ID: <a11y.1@gmail.example>\n\nApua.\n",
    b"From: MAILER-DAEMON@mx.kpk.example\nSubject: Undelivered Mail Returned to Sender\n"
    b"Message-ID: <a11y.2@mx.kpk.example>\nContent-Type: multipart/report; boundary=B\n\n--B--\n",
)


class Audit:
    """axe on page after page; every finding is gathered, and the test fails once with all."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.findings: list[str] = []
        self.pages = 0

    def check(self, page: Any, what: str, expect_status: int | None = None) -> None:
        page.wait_for_load_state()
        page.mouse.move(0, 0)  # the pointer rests where it clicked: not a hover state to judge
        assert page.evaluate("() => document.documentElement.lang") == self.lang, what
        self.pages += 1
        for v in axe_violations(page):
            targets = "; ".join(v["targets"])
            self.findings.append(f"[{self.lang}] {what}: {v['impact']} {v['id']} "
                                 f"({v['help']}) at {targets}")

    def check_expanded(self, page: Any, what: str) -> None:
        """Again with every <details> panel open: what a person expands must pass too."""
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        self.check(page, what + " (panels open)")

    def done(self) -> None:
        if self.findings:
            pytest.fail(
                f"axe: {len(self.findings)} serious/critical violation(s) on {self.pages} "
                "pages:\n" + "\n".join(self.findings),
                pytrace=False,
            )


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_every_page_of_the_walks_has_no_serious_accessibility_violation(
    pages: Contexts, make: Any, lang: str
) -> None:
    world = sc.with_supplier_leg(make, sc.build(make, locale=lang))
    audit = Audit(lang)
    browser_locale = BROWSER_LOCALE[lang]

    visitor = pages.new_page(locale=browser_locale)
    visitor.goto("/login")
    audit.check(visitor, "login")
    submit(visitor.locator("main form"))  # empty: the error summary
    audit.check(visitor, "login with errors")
    visitor.goto("/")
    audit.check(visitor, "front page")

    agent = pages.new_page(locale=browser_locale)
    login(agent, world.agent)
    queue_links = agent.locator("header nav a[href^='/desk/queues/']")
    hrefs = [queue_links.nth(i).get_attribute("href") for i in range(queue_links.count())]
    assert len(hrefs) >= 5, hrefs
    for href in hrefs:
        agent.goto(href)
        audit.check(agent, f"queue {href}")
    agent.goto("/desk/queues/groups")
    audit.check_expanded(agent, "queue groups")

    for ticket in (world.urgent, world.late):
        agent.goto(ticket_path(ticket))
        audit.check(agent, f"ticket {ticket.number}")
        audit.check_expanded(agent, f"ticket {ticket.number}")

    agent.goto(ticket_path(world.urgent))
    submit(form_of(agent, "/priority"))  # no reason: refused, with the error summary
    audit.check(agent, "ticket with a refused priority change")

    agent.goto(ticket_path(world.urgent))
    choose(agent, "#escalate-supplier", label=sc.SUPPLIER_NAME)
    fill(agent, "#escalate-note", "Login returns 500.")
    submit(form_of(agent, "/escalate"), "[name=step][value=preview]")
    assert agent.locator("#escalate-confirm").count() == 1, "no escalation preview"
    audit.check(agent, "escalation preview")
    submit(form_of(agent, "/escalate"), "[name=step][value=confirm]")
    audit.check(agent, "escalation preview refused (negative slack unconfirmed)")

    agent.goto("/desk/new")
    audit.check(agent, "new ticket: who is calling")
    agent.goto("/desk/new?q=Maija")
    audit.check(agent, "new ticket: search results")
    agent.goto(f"/desk/new?requester_id={world.requester.id}")
    audit.check(agent, "new ticket: the form")
    submit(agent.locator("form.intake-form"))
    audit.check(agent, "new ticket: refused with errors")

    resp = agent.goto("/desk/tickets/999999")
    assert resp is not None and resp.status == 404
    audit.check(agent, "error page 404")

    admin = pages.new_page(locale=browser_locale)
    login(admin, world.admin)
    admin.goto("/desk/admin/canned-replies")
    audit.check(admin, "canned replies")
    admin.goto("/desk/admin/canned-replies/new")
    audit.check(admin, "new canned reply")
    submit(admin.locator("main form").last)
    audit.check(admin, "new canned reply refused with errors")
    for raw in INCOMING_MAIL:
        receive(make.app, raw, "pipe")
    admin.goto("/desk/admin/inbound-mail")
    assert admin.locator("main table tbody tr").count() == 1, "no quarantined mail listed"
    audit.check(admin, "incoming mail: the quarantine")
    admin.goto("/desk/admin/inbound-mail?outcome=auto_answer")
    audit.check(admin, "incoming mail: automatic answers")
    submit(admin.locator("main table form").first)
    audit.check(admin, "incoming mail: processed again")

    supplier = pages.new_page(locale=browser_locale)
    login(supplier, world.supplier_agent)
    supplier.goto("/desk/supplier")
    audit.check(supplier, "supplier legs")
    supplier.goto(ticket_path(world.late))
    audit.check(supplier, "supplier's ticket page")
    audit.check_expanded(supplier, "supplier's ticket page")

    enduser = pages.new_page(locale=browser_locale)
    user = make.user("end_user", org=world.org, password=PASSWORD, locale=lang)
    login_page_as(enduser, user)
    resp = enduser.goto("/desk/queues/mine")
    assert resp is not None and resp.status == 403
    audit.check(enduser, "error page 403")

    audit.done()


def login_page_as(page: Any, user: Any) -> None:
    """Log in where the landing page is not a desk page (end users)."""
    page.goto("/login")
    page.locator("#email").fill(user.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


# --- the keyboard ---------------------------------------------------------------------------


def _focused(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => { const el = document.activeElement; const s = getComputedStyle(el);
                   return {tag: el.tagName, id: el.id, cls: el.className, text: el.innerText,
                           href: el.getAttribute('href'), outline: s.outlineStyle,
                           outlineWidth: s.outlineWidth, boxShadow: s.boxShadow}; }"""
    )


def _visible_focus(f: dict[str, Any]) -> bool:
    return (f["outline"] not in ("none", "") and f["outlineWidth"] != "0px") or (
        f["boxShadow"] not in ("none", "")
    )


def test_the_keyboard_alone_gets_from_the_skip_link_through_the_login(
    page: Any, make: Any
) -> None:
    agent = make.user("agent", password=PASSWORD, locale="en")
    page.goto("/login")
    page.keyboard.press("Tab")
    first = _focused(page)
    assert first["href"] == "#main", first
    assert page.locator("a.skip-link").is_visible()  # shown when focused
    assert _visible_focus(first), first
    page.keyboard.press("Enter")
    assert _focused(page)["id"] == "main"

    # from the main content: Tab to the e-mail field, type, Tab, type, Enter submits
    for _ in range(10):
        page.keyboard.press("Tab")
        if _focused(page)["id"] == "email":
            break
    focused = _focused(page)
    assert focused["id"] == "email", focused
    assert _visible_focus(focused), focused
    page.keyboard.type(agent.email)
    page.keyboard.press("Tab")
    assert _focused(page)["id"] == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    button = _focused(page)
    assert button["tag"] == "BUTTON", button
    assert _visible_focus(button), button
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/desk/queues/.*"))


def test_the_error_summary_links_to_its_fields(page: Any, make: Any) -> None:
    page.goto("/login")
    page.locator("main form button[type=submit]").click()
    summary = page.locator(".error-summary")
    summary.wait_for()
    # the page moves the focus to the summary once loaded; wait for that, or it can
    # take the focus back from the link below
    page.wait_for_function("document.activeElement.classList.contains('error-summary')")
    links = summary.locator("a[href^='#']")
    assert links.count() >= 1
    target = links.first.get_attribute("href")
    links.first.focus()
    page.keyboard.press("Enter")
    assert f"#{_focused(page)['id']}" == target


@pytest.mark.parametrize("path_of", ["queue", "ticket", "new"])
def test_a_narrow_window_does_not_scroll_the_page_sideways(
    pages: Contexts, make: Any, path_of: str
) -> None:
    world = sc.build(make)
    page = pages.new_page(viewport=NARROW)
    login(page, world.agent)
    path = {
        "queue": "/desk/queues/groups",
        "ticket": ticket_path(world.urgent),
        "new": f"/desk/new?requester_id={world.requester.id}",
    }[path_of]
    page.goto(path)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= NARROW["width"], f"{path} is {width}px wide in a {NARROW['width']}px window"
