"""The walks of issue 8 in Chromium, as the people of the desk do them: through the pages,
with the mouse and the keyboard, in separate browsers for separate people.

The pages are in English here (the people are made with locale "en"); the language walk
is in test_session_walks.py.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser import scenario as sc
from tests.browser.conftest import Contexts, login


@pytest.fixture
def world(make: Any) -> sc.Scenario:
    return sc.build(make)


def ticket_path(ticket: Any) -> str:
    return f"/desk/tickets/{ticket.id}"


def flashes(page: Any) -> str:
    return " | ".join(page.locator(".flash-messages .alert").all_inner_texts())


def queue_numbers(page: Any) -> list[str]:
    return page.locator("#queue-rows tr[data-ticket] th[scope=row] a").all_inner_texts()


def timeline(page: Any) -> Any:
    return page.locator(".timeline-item")


def submit(form: Any, button: str | None = None) -> None:
    """Press the form's submit button (`button`, a selector within the form, if it has
    several: e.g. "[name=action][value=note]"; by what it does, not by its words, so the
    walks work in every language)."""
    buttons = form.locator(f"button{button or ''}")
    if button is None:
        buttons = form.locator("button[type=submit], button:not([type])")
    buttons.first.click()
    form.page.wait_for_load_state()


def form_of(page: Any, action_ending: str) -> Any:
    return page.locator(f"form[action$='{action_ending}']").first


def open_details_holding(page: Any, selector: str) -> None:
    """Expand the <details> panel (if any) that holds `selector`, as a person would."""
    page.evaluate(
        """(sel) => { const el = document.querySelector(sel);
             let d = el && el.closest('details');
             while (d) { if (!d.open) d.querySelector(':scope > summary').click();
                         d = d.parentElement.closest('details'); } }""",
        selector,
    )


def fill(page: Any, selector: str, text: str) -> None:
    open_details_holding(page, selector)
    page.locator(selector).fill(text)


def choose(page: Any, selector: str, **option: Any) -> None:
    open_details_holding(page, selector)
    page.locator(selector).select_option(**option)


# --- walks 1-3: queue → ticket → reply, note, priority, escalate → supplier → publish, resolve


def test_agent_works_a_ticket_to_a_supplier_and_back_to_resolved(
    pages: Contexts, world: sc.Scenario, make: Any
) -> None:
    agent_page = pages.new_page()
    login(agent_page, world.agent)

    # the group's queue, ordered by time to breach (the breached call first)
    agent_page.get_by_role("link", name=re.compile("^My groups")).click()
    agent_page.wait_for_load_state()
    assert "/desk/queues/groups" in agent_page.url
    assert queue_numbers(agent_page) == world.queue_order
    assert "time to breach" in agent_page.locator("caption").inner_text()
    # the breached call says so in words, with the icon beside it (never colour alone)
    late_sla = agent_page.locator(f"#queue-rows tr[data-ticket='{world.late.id}'] .queue-sla")
    assert "breached" in late_sla.inner_text()
    assert late_sla.locator("[aria-hidden=true]").first.inner_text() == "✖"

    # open the urgent ticket from its row
    agent_page.get_by_role("link", name=world.urgent.number, exact=True).click()
    agent_page.wait_for_url(f"**{ticket_path(world.urgent)}")
    expect_heading = agent_page.locator("h1").inner_text()
    assert world.urgent.number in expect_heading or world.urgent.title in expect_heading

    # a public reply
    fill(agent_page, "#reply-body", "We are on it: the login service is restarting.")
    submit(form_of(agent_page, "/reply"), "[name=action][value=reply]")
    assert "Reply sent." in flashes(agent_page)
    public = timeline(agent_page).filter(has_text="the login service is restarting")
    assert public.count() == 1
    assert "public" in (public.first.get_attribute("class") or "")

    # an internal note, visibly different
    fill(agent_page, "#reply-body", "Kuntasoft's ticket KS-1234 is about the same thing.")
    submit(form_of(agent_page, "/reply"), "[name=action][value=note]")
    assert "Internal note added." in flashes(agent_page)
    note = timeline(agent_page).filter(has_text="KS-1234")
    assert note.count() == 1
    assert "internal" in (note.first.get_attribute("class") or "")

    # the priority, with a reason
    choose(agent_page, "#priority-priority", value="P1")
    fill(agent_page, "#priority-reason", "The whole school cannot log in before the exams.")
    submit(form_of(agent_page, "/priority"))
    assert "Priority changed." in flashes(agent_page)
    assert timeline(agent_page).filter(has_text="before the exams").count() >= 1

    # escalate: the preview shows the negative slack, and confirming needs the checkbox
    choose(agent_page, "#escalate-supplier", label=sc.SUPPLIER_NAME)
    fill(agent_page, "#escalate-note", "Login returns 500 since 08:00; logs attached.")
    submit(form_of(agent_page, "/escalate"), "[name=step][value=preview]")
    preview = agent_page.locator("main")
    assert re.search("negative slack", preview.inner_text(), re.IGNORECASE)
    assert sc.SUPPLIER_NAME in preview.inner_text()
    confirm_form = form_of(agent_page, "/escalate")
    submit(confirm_form, "[name=step][value=confirm]")
    # refused without the explicit confirmation, the note kept
    assert agent_page.locator(".error-summary").count() == 1
    assert agent_page.locator("#escalate-confirm").is_visible()
    agent_page.locator("#escalate-confirm").check()
    submit(form_of(agent_page, "/escalate"), "[name=step][value=confirm]")
    assert f"Escalated to {sc.SUPPLIER_NAME}." in flashes(agent_page)
    assert agent_page.url.endswith(ticket_path(world.urgent)) or ticket_path(
        world.urgent
    ) in agent_page.url

    # walk 2: the supplier agent sees only its leg, writes to the desk, marks it done
    supplier_page = pages.new_page()
    login(supplier_page, world.supplier_agent)
    assert "/desk/supplier" in supplier_page.url
    listed = supplier_page.locator("main a[href^='/desk/tickets/']")
    assert {a.get_attribute("href") for a in listed.all()} == {ticket_path(world.urgent)}
    for other in (world.late, world.normal):
        resp = supplier_page.goto(ticket_path(other))
        assert resp is not None and resp.status == 404
    supplier_page.goto(ticket_path(world.urgent))
    # the desk's internal note is not the supplier's to read
    assert "KS-1234" not in supplier_page.locator("main").inner_text()
    fill(supplier_page, "#thread-body", "Fixed in build 4.2.1; deployed 10:40.")
    submit(form_of(supplier_page, "/thread"))
    assert "Message sent to the supplier thread." in flashes(supplier_page)
    submit(supplier_page.locator("form[action*='/escalations/'][action$='/done']"))
    assert "Marked done" in flashes(supplier_page)
    assert "/desk/supplier" in supplier_page.url

    # walk 3: the agent publishes the supplier's answer to the customer, then resolves
    agent_page.goto(ticket_path(world.urgent))
    message = timeline(agent_page).filter(has_text="Fixed in build 4.2.1")
    assert message.count() == 1
    assert "supplier" in (message.first.get_attribute("class") or "")
    submit(message.first.locator("form[action$='/publish']"))
    assert "published to the customer" in flashes(agent_page)
    published = timeline(agent_page).filter(has_text="Fixed in build 4.2.1")
    assert any("public" in (published.nth(i).get_attribute("class") or "")
               for i in range(published.count()))
    choose(agent_page, "#status-status", value="resolved")
    submit(form_of(agent_page, "/status"))
    assert "Status changed." in flashes(agent_page)
    assert "resolved" in agent_page.locator("main").inner_text().lower()

    # the requester reads the published answer, never the thread's other words
    from servicedesk import db
    from servicedesk.tickets.models import Comment

    with db.new_session(make.app) as sess:
        bodies = [
            c.body for c in sess.query(Comment).filter_by(ticket_id=world.urgent.id)
            if not c.internal and c.escalation_id is None
        ]
    assert any("Fixed in build 4.2.1" in b for b in bodies)


# --- walk 4: the joint first line logs a THH call and moves an ICT ticket to THH ------------


def test_joint_first_line_agent_logs_a_thh_call_and_reclassifies_an_ict_ticket_to_thh(
    page: Any, world: sc.Scenario
) -> None:
    login(page, world.joint)
    page.goto("/desk/new")
    page.locator("#requester-q").fill("Meikäläinen")
    page.locator("#requester-q").press("Enter")
    page.get_by_role("link", name=re.compile("Maija Meikäläinen")).click()
    page.wait_for_load_state()
    assert "Entitled." in page.locator("main").inner_text()
    page.locator("#service_id").select_option(str(world.thh_service.id))
    page.locator("#title").fill("Palkka puuttuu tililtä")
    page.locator("#description").fill("Marraskuun palkka ei tullut; soitti klo 9.")
    page.locator("#channel").select_option("phone")
    submit(page.locator("form.intake-form"))
    assert re.search(r"/desk/tickets/\d+$", page.url), page.url
    assert "Palkka puuttuu tililtä" in page.locator("main").inner_text()
    assert "Payroll" in page.locator("main").inner_text()

    # an ICT ticket moved to a THH service stays in the joint agent's sight
    page.goto(ticket_path(world.normal))
    choose(page, "#reclassify-service", value=str(world.thh_service.id))
    submit(form_of(page, "/reclassify"))
    assert page.url.endswith(ticket_path(world.normal)), (page.url, flashes(page))
    assert "moved out of your queues" not in flashes(page)
    assert "Payroll" in page.locator("main").inner_text()
    resp = page.goto(ticket_path(world.normal))
    assert resp is not None and resp.status == 200


# --- walk 5: a stale edit says who changed what, and keeps the typed text --------------------


def test_a_stale_priority_change_says_who_changed_what_and_keeps_the_reason(
    pages: Contexts, world: sc.Scenario
) -> None:
    first = pages.new_page()
    login(first, world.agent)
    first.goto(ticket_path(world.normal))

    second = pages.new_page()
    login(second, world.agent2)
    second.goto(ticket_path(world.normal))
    choose(second, "#status-status", value="in_progress")
    submit(form_of(second, "/status"))
    assert "Status changed." in flashes(second)

    reason = "The caller is the head teacher; exams start tomorrow morning."
    choose(first, "#priority-priority", value="P2")
    fill(first, "#priority-reason", reason)
    with first.expect_response(lambda r: r.request.method == "POST") as posted:
        submit(form_of(first, "/priority"))
    assert posted.value.status == 409
    said = first.locator("main").inner_text()
    assert world.agent2.name in said
    assert "in progress" in said.lower()
    assert first.locator("#priority-reason").input_value() == reason
    # nothing changed: the priority is still the matrix's
    second.reload()
    assert "P3" in second.locator("main").inner_text()
