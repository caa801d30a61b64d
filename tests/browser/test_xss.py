"""Hostile text in Chromium: every payload of the corpus, in every text field an outsider can
fill, is shown as text on the queue and ticket pages and runs no script.

Outsiders write: the ticket's title and description (portal and e-mail), public comments,
their own name, and their organisation's name (a customer's admin keeps it). A payload that
ran would call `window.__xss()`, open a dialog, or set `window.__pwned`: the `pages` fixture
fails the test on the first two, each page is checked for the third.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.browser import scenario as sc
from tests.browser.conftest import Contexts, login
from tests.browser.test_walks import choose, form_of, submit, ticket_path
from tests.browser.xss_payloads import PAYLOADS

ALL = "\n".join(PAYLOADS)


@dataclass
class Hostile:
    agent: Any
    group: Any
    #: (payload, ticket) for tickets from the portal and from e-mail, one per payload each.
    portal: list[tuple[str, Any]]
    email: list[tuple[str, Any]]


@pytest.fixture
def hostile(make: Any) -> Hostile:
    from servicedesk.users.operations import create_user

    agent = make.user("agent", provider="ICT", locale="en")
    agent.password_hash = sc.password_hash()
    make.group("ICT", members=(agent,), is_triage=True)
    group = make.group("ICT", members=(agent,))
    service = make.service("ICT", group=group)
    portal, email = [], []
    for n, payload in enumerate(PAYLOADS):
        org = make.org(name=payload)  # the organisation's name, as its admin typed it
        requester = create_user(
            make.sess, email=f"hostile{n}@example.fi", name=payload, role="end_user",
            organisation_id=org.id,
        )
        make.sess.commit()
        ticket = sc.file_ticket(make, requester, {
            "title": payload, "description": ALL, "service_id": service.id, "channel": "portal",
        })
        sc.comment(make, requester, ticket, ALL)
        portal.append((payload, ticket))
        # an e-mail as the intake files it: the subject is the title, the text the description
        mailed = sc.file_ticket(make, agent, {
            "title": payload,
            "description": f"From: {payload} <hostile{n}@example.fi>\nSubject: {payload}\n\n{ALL}",
            "service_id": service.id,
            "requester_id": requester.id,
            "channel": "email",
        })
        email.append((payload, mailed))
    return Hostile(agent=agent, group=group, portal=portal, email=email)


def assert_no_script_ran(page: Any, where: str) -> None:
    assert page.evaluate("() => typeof window.__pwned") == "undefined", f"script ran on {where}"
    # nothing the payloads would have made exists as an element
    for selector in ("main script", "main img[src=x]", "main iframe", "main svg[onload]",
                     "main [onerror]", "main [onfocus]", "main object", "main embed"):
        assert page.locator(selector).count() == 0, f"{selector} on {where}"


def test_hostile_text_is_text_on_the_queue_pages(
    pages: Contexts, hostile: Hostile
) -> None:
    page = pages.new_page()
    login(page, hostile.agent)
    page.goto("/desk/queues/groups")
    titles: list[str] = []
    organisations: list[str] = []
    for _ in range(10):
        assert_no_script_ran(page, page.url)
        rows = page.locator("#queue-rows tr[data-ticket]")
        titles += rows.locator("td.queue-title").all_text_contents()
        organisations += rows.locator("td:nth-child(4)").all_text_contents()
        more = page.locator("a[rel=next]")
        if more.count() == 0:
            break
        more.click()
        page.wait_for_load_state()
    assert sorted(t.strip() for t in titles) == sorted(
        p.strip() for p, _t in hostile.portal + hostile.email
    )
    assert {o.strip() for o in organisations} == {p.strip() for p in PAYLOADS}
    # the filters' organisation choices carry the names too
    page.goto("/desk/queues/groups?q=script")
    assert_no_script_ran(page, "queue filtered by text")
    # the live refresh swaps rows in with htmx: the swapped rows must run nothing either
    page.goto("/desk/queues/groups")
    with page.expect_response(lambda r: "/desk/queues/groups" in r.url
                              and r.request.headers.get("hx-request") == "true"):
        page.evaluate("""() => { const rows = document.querySelector('#queue-rows');
            htmx.ajax('GET', rows.getAttribute('hx-get'), {target: rows, swap: 'innerHTML'}); }""")
    page.wait_for_timeout(300)
    assert page.locator("#queue-rows tr[data-ticket]").count() > 0


def test_hostile_names_are_text_in_the_requester_search(
    pages: Contexts, hostile: Hostile
) -> None:
    page = pages.new_page()
    login(page, hostile.agent)
    page.goto("/desk/new?q=hostile")
    assert_no_script_ran(page, "requester search")
    names = page.locator(".requester-choice .fw-semibold").all_text_contents()
    assert names, "the search found nobody"
    assert {n.strip() for n in names} <= {p.strip() for p in PAYLOADS}
    # the live search (htmx) swaps the results in: nothing runs there either
    box = page.locator("#requester-q")
    box.fill("")
    with page.expect_response(lambda r: "/desk/new/requesters" in r.url):
        box.type("hostile1")
    page.wait_for_timeout(300)
    assert_no_script_ran(page, "live requester search")
    assert page.locator(".requester-choice").count() >= 1
    assert_no_script_ran(page, "queue after a live refresh")


def _check_ticket(page: Any, payload: str, ticket: Any) -> None:
    where = f"{ticket.number} ({payload!r})"
    resp = page.goto(ticket_path(ticket))
    assert resp is not None and resp.status == 200, where
    assert_no_script_ran(page, where)
    text = page.locator("main").inner_text()
    assert payload.strip() in text, f"the title is not shown as text on {where}"
    missing = [p for p in PAYLOADS if p.strip() not in text]
    assert not missing, f"not shown as text on {where}: {missing}"


def test_hostile_text_is_text_on_the_ticket_pages(pages: Contexts, hostile: Hostile) -> None:
    page = pages.new_page()
    login(page, hostile.agent)
    for payload, ticket in hostile.portal + hostile.email:
        _check_ticket(page, payload, ticket)


def test_hostile_names_in_a_canned_reply_stay_text(
    pages: Contexts, hostile: Hostile, make: Any
) -> None:
    """A canned reply fills in the requester's name and the ticket's title: both hostile."""
    sc.canned_reply(make, hostile.group, "Greeting",
                    "Hello {requester_name}, about {ticket_title} ({ticket_number}).")
    page = pages.new_page()
    login(page, hostile.agent)
    for payload, ticket in hostile.portal[:12]:
        page.goto(ticket_path(ticket))
        choose(page, "#reply-canned", label="Greeting")
        submit(form_of(page, "/reply"), "[formaction$='/reply/canned']")
        page.wait_for_function("() => document.querySelector('#reply-body').value !== ''")
        assert_no_script_ran(page, f"canned reply on {ticket.number}")
        assert payload in page.locator("#reply-body").input_value()
