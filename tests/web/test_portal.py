"""The portal pages through the test client: logged in by session, CSRF on.

An end user files a ticket (with a file), follows it, answers the desk's question, accepts or
reopens the solution, withdraws, and rates it; a customer contact sees the organisation's
tickets; nobody sees a ticket that is not theirs (404), nor an internal note.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select

from servicedesk.attachments.models import Attachment
from servicedesk.tickets.models import Ticket
from tests.web.conftest import Browser
from tests.web.portal_world import PortalWorld, build
from tests.web.ticket_world import text_of


@pytest.fixture
def world(make: Any, client: Any, desk: dict[str, Any]) -> PortalWorld:
    return build(make, client, desk)


def _form_key(html: str) -> str:
    found = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html)
    assert found, "no idempotency key on the form"
    return found.group(1)


def _file(
    b: Browser, service: Any, files: list[tuple[bytes, str]] | None = None, **fields: Any
) -> Any:
    url = f"/portal/new?service={service.id if service else 'none'}"
    page = b.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    data: dict[str, Any] = {
        "idempotency_key": _form_key(page.get_data(as_text=True)),
        "type": "incident",
        "title": "Näyttö pimeänä",
        "description": "Kone ei käynnisty.",
        "impact": "low",
        "urgency": "high",
        **fields,
    }
    if files:
        from io import BytesIO

        data["files"] = [(BytesIO(content), name) for content, name in files]
    resp = b.post(url, data, content_type="multipart/form-data")
    resp.get_data()  # read it all, then close: that closes the (spooled) request body too
    resp.close()
    return resp


def _ticket_of(dbs: Any, number_or_id: Any) -> Ticket:
    dbs.expire_all()
    return dbs.get(Ticket, number_or_id)


def _id_from(resp: Any) -> int:
    assert resp.status_code == 303, resp.get_data(as_text=True)[:3000]
    found = re.search(r"/portal/tickets/(\d+)$", resp.headers["Location"])
    assert found, resp.headers["Location"]
    return int(found.group(1))


# --- the front door ---------------------------------------------------------------------------


def test_end_users_and_customer_contacts_land_in_the_portal(
    browser_for: Any, world: PortalWorld
) -> None:
    for person in (world.user, world.contact):
        b = Browser(world.client.application.test_client())
        b.get("/login")
        resp = b.post("/login", {"email": person.email, "password": "Testi-salasana-2026"})
        assert resp.headers["Location"] == "/portal/tickets"
        assert b.get("/").headers["Location"].endswith("/portal/tickets")


def test_the_desk_is_not_let_into_the_portal(
    browser_for: Any, world: PortalWorld, make: Any
) -> None:
    from tests.web.conftest import PASSWORD

    agent = make.user("agent", password=PASSWORD)
    assert browser_for(agent).get("/portal/tickets").status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(client: Any) -> None:
    resp = client.get("/portal/tickets")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")


def test_the_portal_header_names_the_users_own_links(browser_for: Any, world: PortalWorld) -> None:
    html = browser_for(world.user).get("/portal/tickets").get_data(as_text=True)
    assert 'aria-label="Portal"' in html
    assert 'href="/portal/new"' in html and "My tickets" in html
    contact_html = browser_for(world.contact).get("/portal/tickets").get_data(as_text=True)
    assert "Organisation&#39;s tickets" in contact_html or "Organisation's tickets" in contact_html


# --- filing -----------------------------------------------------------------------------------


def test_the_picker_offers_the_services_and_filing_makes_a_portal_ticket_with_its_file(
    browser_for: Any, world: PortalWorld, dbs: Any
) -> None:
    b = browser_for(world.user)
    picker = b.get("/portal/new").get_data(as_text=True)
    assert world.service.name_en in picker
    assert f"/portal/new?service={world.service.id}" in picker
    resp = _file(b, world.service, files=[(b"%PDF-1.4 hello", "ohje.pdf")])
    ticket = _ticket_of(dbs, _id_from(resp))
    assert ticket.channel == "portal" and ticket.requester_id == world.user.id
    assert (ticket.impact, ticket.urgency, ticket.type) == ("low", "high", "incident")
    files = list(dbs.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)))
    assert [(f.filename, f.content_type, f.internal) for f in files] == [
        ("ohje.pdf", "application/pdf", False)
    ]
    page = b.get(f"/portal/tickets/{ticket.id}").get_data(as_text=True)
    assert ticket.number in page and "ohje.pdf" in page
    link = f"/portal/tickets/{ticket.id}/attachments/{files[0].id}"
    assert link in page
    download = b.get(link)
    assert download.status_code == 200 and download.data == b"%PDF-1.4 hello"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_a_double_submit_files_one_ticket(browser_for: Any, world: PortalWorld, dbs: Any) -> None:
    b = browser_for(world.user)
    url = f"/portal/new?service={world.service.id}"
    key = _form_key(b.get(url).get_data(as_text=True))
    data = {
        "idempotency_key": key,
        "type": "incident",
        "title": "Kaksi kertaa",
        "description": "x",
        "impact": "low",
        "urgency": "low",
    }
    first = _id_from(b.post(url, data))
    second = _id_from(b.post(url, data))
    assert first == second
    assert len(list(dbs.scalars(select(Ticket).where(Ticket.title == "Kaksi kertaa")))) == 1


def test_a_too_large_file_is_a_form_error_and_files_nothing(
    browser_for: Any, world: PortalWorld, dbs: Any, app: Any, monkeypatch: Any
) -> None:
    monkeypatch.setitem(
        app.config, "SETTINGS", replace(app.config["SETTINGS"], attachment_max_bytes=1000)
    )
    b = browser_for(world.user)
    resp = _file(b, world.service, files=[(b"x" * 1001, "iso.txt")], title="Liian iso")
    assert resp.status_code == 422
    text = text_of(resp.get_data(as_text=True))
    assert "iso.txt is too large" in text and "Please check the form" in text
    assert dbs.scalar(select(Ticket).where(Ticket.title == "Liian iso")) is None


def test_a_missing_title_is_a_form_error_that_keeps_the_text(
    browser_for: Any, world: PortalWorld
) -> None:
    b = browser_for(world.user)
    resp = _file(b, world.service, title="", description="Tärkeä kuvaus")
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'href="#new-title"' in html and "Tärkeä kuvaus" in html


def test_a_refused_organisation_sees_the_reason_in_words(browser_for: Any, make: Any) -> None:
    from tests.web.conftest import PASSWORD

    org = make.org(entitled=False)
    person = make.user("end_user", org=org, password=PASSWORD, locale="en")
    resp = browser_for(person).get("/portal/new")
    assert resp.status_code == 200
    text = text_of(resp.get_data(as_text=True))
    assert "cannot file tickets now" in text
    assert "not an owner of the service centre" in text
    assert "Send the ticket" not in text


def test_a_service_that_starts_later_shows_its_date_and_takes_only_change_needs_and_feedback(
    browser_for: Any, world: PortalWorld, dbs: Any, make: Any
) -> None:
    from datetime import date

    from catalog.agreements.models import AgreementService

    later = make.service("ICT")
    # Every organisation's line of it (the factory adds it to each agreement): picking one
    # with `scalar` took whichever row PostgreSQL returned first, not always the user's.
    lines = dbs.scalars(select(AgreementService).where(AgreementService.service_id == later.id))
    for line in lines:
        line.starts_on = date(2099, 3, 1)
    dbs.commit()
    b = browser_for(world.user)
    picker = text_of(b.get("/portal/new").get_data(as_text=True))
    assert "Available from Mar 1, 2099" in picker
    form = b.get(f"/portal/new?service={later.id}").get_data(as_text=True)
    assert 'value="change_need"' in form and 'value="feedback"' in form
    assert 'value="incident"' not in form
    refused = _file(b, later, type="incident", title="Ei vielä")
    assert refused.status_code == 422
    ok = _file(b, later, type="change_need", title="Toive")
    assert _ticket_of(dbs, _id_from(ok)).type == "change_need"


def test_a_ticket_without_a_service_can_be_filed(
    browser_for: Any, world: PortalWorld, dbs: Any
) -> None:
    resp = _file(browser_for(world.user), None, title="En tiedä palvelua")
    assert _ticket_of(dbs, _id_from(resp)).service_id is None


# --- lists and scope --------------------------------------------------------------------------


def test_an_end_user_lists_their_own_tickets_and_a_contact_the_organisations(
    browser_for: Any, world: PortalWorld
) -> None:
    mine = world.file(world.user, title="Minun tikettini")
    theirs = world.file(world.colleague, title="Kollegan tiketti")
    foreign = world.file(world.stranger, title="Vieras tiketti")
    user_page = browser_for(world.user).get("/portal/tickets").get_data(as_text=True)
    assert mine["number"] in user_page
    assert theirs["number"] not in user_page and foreign["number"] not in user_page
    contact = browser_for(world.contact)
    contact_page = contact.get("/portal/tickets").get_data(as_text=True)
    assert mine["number"] in contact_page and theirs["number"] in contact_page
    assert foreign["number"] not in contact_page
    filtered = contact.get(f"/portal/tickets?requester={world.colleague.id}").get_data(as_text=True)
    assert theirs["number"] in filtered and mine["number"] not in filtered
    searched = contact.get("/portal/tickets?q=Minun").get_data(as_text=True)
    assert mine["number"] in searched and theirs["number"] not in searched


def test_the_status_filter_separates_open_and_closed(browser_for: Any, world: PortalWorld) -> None:
    open_one = world.file(world.user, title="Auki")
    done = world.file(world.user, title="Valmis")
    world.desk_reply(done["id"], status="cancelled")
    b = browser_for(world.user)
    default = b.get("/portal/tickets").get_data(as_text=True)
    assert open_one["number"] in default and done["number"] not in default
    closed = b.get("/portal/tickets?status=closed").get_data(as_text=True)
    assert done["number"] in closed and open_one["number"] not in closed
    everything = b.get("/portal/tickets?status=all").get_data(as_text=True)
    assert done["number"] in everything and open_one["number"] in everything
    assert b.get("/portal/tickets?status=bogus").status_code == 422


def test_the_list_pages_with_a_next_link(browser_for: Any, world: PortalWorld) -> None:
    numbers = [world.file(world.user, title=f"T{i}")["number"] for i in range(21)]
    b = browser_for(world.user)
    first = b.get("/portal/tickets").get_data(as_text=True)
    found = re.search(r'href="(/portal/tickets\?[^"]*cursor=[^"]+)"', first)
    assert found, "no next page link"
    second = b.get(found.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert numbers[0] in second and numbers[0] not in first
    assert b.get("/portal/tickets?cursor=rubbish").status_code == 400


def test_nobody_sees_a_ticket_that_is_not_theirs(browser_for: Any, world: PortalWorld) -> None:
    ticket = world.file(world.user)
    tid = ticket["id"]
    assert browser_for(world.contact).get(f"/portal/tickets/{tid}").status_code == 200
    for person in (world.colleague, world.stranger):
        b = browser_for(person)
        assert b.get(f"/portal/tickets/{tid}").status_code == 404
        for action in ("reply", "confirm", "reopen", "withdraw", "rating"):
            resp = b.post(f"/portal/tickets/{tid}/{action}", {"body": "x", "score": "5"})
            assert resp.status_code == 404, action
    assert world.ticket(tid)["status"] == "new"


def test_the_public_conversation_only_never_an_internal_note(
    browser_for: Any, world: PortalWorld
) -> None:
    ticket = world.file(world.user)
    world.desk_reply(ticket["id"], body="Sisäinen: asiakas on hankala", internal=True)
    world.desk_reply(ticket["id"], body="Tutkimme asiaa.")
    html = browser_for(world.user).get(f"/portal/tickets/{ticket['id']}").get_data(as_text=True)
    assert "Tutkimme asiaa." in html
    assert "hankala" not in html and "Internal" not in html


def test_an_internal_attachment_is_neither_listed_nor_downloadable(
    browser_for: Any, world: PortalWorld, dbs: Any
) -> None:
    from servicedesk.attachments.storage import store

    ticket = world.file(world.user)
    row = dbs.get(Ticket, ticket["id"])
    hidden = store(
        dbs,
        ticket=row,
        data=b"salainen",
        filename="sisainen.txt",
        uploader=world.agent,
        internal=True,
    )
    dbs.commit()
    b = browser_for(world.user)
    assert "sisainen.txt" not in b.get(f"/portal/tickets/{ticket['id']}").get_data(as_text=True)
    assert b.get(f"/portal/tickets/{ticket['id']}/attachments/{hidden.id}").status_code == 404


def test_hostile_ticket_text_is_escaped(browser_for: Any, world: PortalWorld) -> None:
    ticket = world.file(world.user, title='<img src=x onerror="alert(1)">')
    html = browser_for(world.user).get(f"/portal/tickets/{ticket['id']}").get_data(as_text=True)
    assert '<img src=x onerror="alert(1)">' not in html
    assert "&lt;img src=x onerror=" in html


# --- acting on a ticket -----------------------------------------------------------------------


def test_answering_the_desks_question_takes_the_ticket_back_to_the_desk(
    browser_for: Any, world: PortalWorld, dbs: Any
) -> None:
    from io import BytesIO

    ticket = world.file(world.user)
    world.desk_reply(ticket["id"], status="waiting_for_customer", body="Mikä kerros?")
    b = browser_for(world.user)
    page = text_of(b.get(f"/portal/tickets/{ticket['id']}").get_data(as_text=True))
    assert "waiting for your answer" in page and "Answer the service desk" in page
    resp = b.post(
        f"/portal/tickets/{ticket['id']}/reply",
        {"body": "Toinen kerros.", "files": [(BytesIO(b"kuvakaappaus"), "kuva.txt")]},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 303
    assert world.ticket(ticket["id"])["status"] == "in_progress"
    files = list(dbs.scalars(select(Attachment).where(Attachment.ticket_id == ticket["id"])))
    assert [f.filename for f in files] == ["kuva.txt"] and files[0].comment_id is not None
    assert "Toinen kerros." in b.get(f"/portal/tickets/{ticket['id']}").get_data(as_text=True)


def test_an_empty_reply_is_a_form_error(browser_for: Any, world: PortalWorld) -> None:
    ticket = world.file(world.user)
    resp = browser_for(world.user).post(f"/portal/tickets/{ticket['id']}/reply", {"body": ""})
    assert resp.status_code == 422
    assert 'href="#reply-body"' in resp.get_data(as_text=True)


def test_a_post_without_the_csrf_token_is_refused(world: PortalWorld, browser_for: Any) -> None:
    ticket = world.file(world.user)
    b = browser_for(world.user)
    resp = b.client.post(f"/portal/tickets/{ticket['id']}/withdraw", data={})
    assert resp.status_code == 400
    assert world.ticket(ticket["id"])["status"] == "new"


def test_confirming_the_solution_closes_the_ticket(browser_for: Any, world: PortalWorld) -> None:
    ticket = world.file(world.user)
    world.desk_reply(ticket["id"], status="resolved")
    b = browser_for(world.user)
    page = text_of(b.get(f"/portal/tickets/{ticket['id']}").get_data(as_text=True))
    assert "Is the matter solved?" in page
    assert b.post(f"/portal/tickets/{ticket['id']}/confirm").status_code == 303
    assert world.ticket(ticket["id"])["status"] == "closed"
    # a closed ticket offers no more changes
    after = text_of(b.get(f"/portal/tickets/{ticket['id']}").get_data(as_text=True))
    assert "Yes, close the ticket" not in after and "Withdraw" not in after


def test_reopening_needs_a_reason_and_goes_back_to_the_desk(
    browser_for: Any, world: PortalWorld
) -> None:
    ticket = world.file(world.user)
    world.desk_reply(ticket["id"], status="resolved")
    b = browser_for(world.user)
    assert b.post(f"/portal/tickets/{ticket['id']}/reopen", {"body": ""}).status_code == 422
    assert world.ticket(ticket["id"])["status"] == "resolved"
    resp = b.post(f"/portal/tickets/{ticket['id']}/reopen", {"body": "Ei toimi vieläkään."})
    assert resp.status_code == 303
    assert world.ticket(ticket["id"])["status"] == "in_progress"


def test_withdrawing_cancels_and_a_second_try_is_refused_in_words(
    browser_for: Any, world: PortalWorld
) -> None:
    ticket = world.file(world.user)
    b = browser_for(world.user)
    assert b.post(f"/portal/tickets/{ticket['id']}/withdraw").status_code == 303
    assert world.ticket(ticket["id"])["status"] == "cancelled"
    again = b.post(f"/portal/tickets/{ticket['id']}/withdraw")
    assert again.status_code == 409
    assert "cannot be done any more: the ticket is cancelled" in text_of(
        again.get_data(as_text=True)
    )


# --- rating -----------------------------------------------------------------------------------


def test_the_requester_rates_on_the_ticket_page_once(browser_for: Any, world: PortalWorld) -> None:
    ticket = world.file(world.user)
    b = browser_for(world.user)
    assert "Rate the service" not in b.get(f"/portal/tickets/{ticket['id']}").get_data(as_text=True)
    world.desk_reply(ticket["id"], status="resolved")
    page = b.get(f"/portal/tickets/{ticket['id']}").get_data(as_text=True)
    assert "<legend" in page and 'name="score"' in page
    assert b.post(f"/portal/tickets/{ticket['id']}/rating", {"score": "9"}).status_code == 422
    resp = b.post(f"/portal/tickets/{ticket['id']}/rating", {"score": "4", "comment": "Hyvä"})
    assert resp.status_code == 303
    assert world.ticket(ticket["id"])["rating"] == 4
    after = text_of(b.get(f"/portal/tickets/{ticket['id']}").get_data(as_text=True))
    assert "Rated 4/5." in after and 'name="score"' not in after
    again = b.post(f"/portal/tickets/{ticket['id']}/rating", {"score": "1"})
    assert again.status_code == 409
    assert "rated already" in text_of(again.get_data(as_text=True))
    assert world.ticket(ticket["id"])["rating"] == 4


def test_a_contact_is_not_offered_to_rate_a_colleagues_ticket(
    browser_for: Any, world: PortalWorld
) -> None:
    ticket = world.file(world.user)
    world.desk_reply(ticket["id"], status="resolved")
    b = browser_for(world.contact)
    assert 'name="score"' not in b.get(f"/portal/tickets/{ticket['id']}").get_data(as_text=True)
    assert b.post(f"/portal/tickets/{ticket['id']}/rating", {"score": "1"}).status_code == 403
    assert world.ticket(ticket["id"])["rating"] is None


def test_a_file_larger_than_a_plain_request_but_within_the_attachment_limit_is_taken(
    browser_for: Any, world: PortalWorld, dbs: Any, app: Any, monkeypatch: Any
) -> None:
    # Small numbers, same rule: a plain request may have 2 000 bytes, an attachment 5 000.
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2000)
    monkeypatch.setitem(
        app.config, "SETTINGS", replace(app.config["SETTINGS"], attachment_max_bytes=5000)
    )
    resp = _file(browser_for(world.user), world.service, files=[(b"a" * 4000, "loki.txt")])
    ticket = _ticket_of(dbs, _id_from(resp))
    sizes = list(dbs.scalars(select(Attachment.size).where(Attachment.ticket_id == ticket.id)))
    assert sizes == [4000]


def test_a_body_beyond_the_upload_cap_is_the_413_page_and_files_nothing(
    browser_for: Any, world: PortalWorld, dbs: Any, app: Any, monkeypatch: Any
) -> None:
    from servicedesk.web import uploads

    monkeypatch.setitem(
        app.config, "SETTINGS", replace(app.config["SETTINGS"], attachment_max_bytes=1000)
    )
    monkeypatch.setattr(uploads, "FORM_OVERHEAD", 1000)
    too_much = 1000 * uploads.MAX_FILES + 1000 + 1
    resp = _file(
        browser_for(world.user),
        world.service,
        files=[(b"b" * too_much, "iso.bin")],
        title="Yli rajan",
    )
    assert resp.status_code == 413
    assert resp.mimetype == "text/html"
    assert dbs.scalar(select(Ticket).where(Ticket.title == "Yli rajan")) is None
