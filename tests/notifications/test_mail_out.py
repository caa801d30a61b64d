"""E-mail out, end to end: the API changes a ticket, the outbox sender delivers to a real SMTP
server (aiosmtpd on 127.0.0.1), and each message arrives once, in the recipient's language,
threaded, as text plus HTML.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from catalog.organisations.models import Organisation
from servicedesk import db
from servicedesk.db import frozen_now
from servicedesk.notifications.models import OutboxMessage
from servicedesk.notifications.sender import SmtpTransport, send_pending
from servicedesk.ratings.links import read_token
from servicedesk.users.models import User
from sla.jobs import auto_close, sweep
from tests.notifications.conftest import CollectingHandler
from tests.sla.conftest import GROUP_EMAIL, World, hel
from tests.sla.conftest import world as world  # the fixture: the SLA tests' world

FROM = "palvelupiste@kpk.example"
MONDAY = hel(2026, 11, 23, 9)

#: The acknowledgement's subject in each language: the proof of the language.
RECEIVED = {"fi": "Tiketti vastaanotettu", "sv": "Ärendet har tagits emot", "en": "Ticket received"}
RESOLVED = {"fi": "Ratkaistu", "sv": "Löst", "en": "Resolved"}


def deliver(app: Flask, smtp: tuple[CollectingHandler, int]) -> list[EmailMessage]:
    """Send everything pending through the SMTP server; answer all it ever received."""
    handler, port = smtp
    with frozen_now(hel(2027, 1, 1)):  # after every instant the tests freeze (and the real now)
        while send_pending(app, SmtpTransport("127.0.0.1", port, FROM)):
            pass
    return handler.messages


def to(messages: list[EmailMessage], address: str) -> list[EmailMessage]:
    return [m for m in messages if m["To"] == address]


def parts(message: EmailMessage) -> tuple[str, str]:
    """(text, html) of a multipart/alternative mail."""
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def user(make: Any, world: World, role: str = "end_user", **kw: Any) -> Any:
    return make.user(role, org=world.org, **kw)


def comment(world: World, tid: int, at: datetime, who: str = "agent", **body: Any) -> None:
    resp = world.call("POST", f"/api/v1/tickets/{tid}/comments", at, who, json=body)
    assert resp.status_code == 201, resp.get_json()


@pytest.mark.parametrize("locale", ["fi", "sv", "en"])
def test_the_requester_gets_each_message_once_in_their_language_threaded_text_and_html(
    app, world, make, smtp_server, locale
):
    requester = user(make, world, locale=locale)
    world.headers["me"] = make.auth(requester)
    ticket = world.file(MONDAY, who="me")
    tid, number = ticket["id"], ticket["number"]
    world.assign(tid, hel(2026, 11, 23, 9, 5))  # the agent takes it: no mail to anyone
    comment(world, tid, hel(2026, 11, 23, 9, 10), body="Katsomme asiaa.")
    # A reply and the status it goes with: one mail (the question), not two.
    comment(
        world,
        tid,
        hel(2026, 11, 23, 9, 20),
        body="Missä kerroksessa?",
        status="waiting_for_customer",
    )
    comment(world, tid, hel(2026, 11, 23, 9, 30), who="me", body="Kolmas kerros.")  # their own
    comment(world, tid, hel(2026, 11, 23, 9, 35), body="Sisäinen muistio", internal=True)
    world.patch(tid, hel(2026, 11, 23, 10), status="resolved")
    world.patch(tid, hel(2026, 11, 23, 11), who="me", status="closed")

    mine = to(deliver(app, smtp_server), requester.email)
    assert len(mine) == 5, [m["Subject"] for m in mine]
    ack, reply, question, resolved, closed = mine
    assert all(m["Subject"].startswith(f"[{number}] ") for m in mine)
    assert ack["Subject"] == f"[{number}] {RECEIVED[locale]}: Wilma ei aukea"
    assert resolved["Subject"].startswith(f"[{number}] {RESOLVED[locale]}:")
    # Threading: the acknowledgement is the thread's root; every later mail answers it.
    root = f"<{number.lower()}@kpk.example>"
    assert ack["Message-ID"] == root and ack["In-Reply-To"] is None
    for m in (reply, question, resolved, closed):
        assert m["In-Reply-To"] == root and m["References"] == root
        assert m["Message-ID"].startswith(f"<{number.lower()}.")
    assert len({m["Message-ID"] for m in mine}) == 5
    for m in mine:
        assert m["Auto-Submitted"] == "auto-generated"
        text, html = parts(m)
        assert f'<html lang="{locale}">' in html
        assert number in text and number in html
        assert "Sisäinen muistio" not in text + html  # the internal note never
        assert "<img" not in html  # no remote images
    assert "Katsomme asiaa." in parts(reply)[0]
    assert "Missä kerroksessa?" in parts(question)[0]
    assert "Kolmas kerros." not in "".join(parts(m)[0] for m in mine)
    # The resolution carries the signed rating link of this ticket and requester.
    text, html = parts(resolved)
    link = next(w for w in text.split() if "/portal/rate/" in w)
    assert link in html
    token = link.rsplit("/", 1)[1]
    assert read_token(token, app.config["SECRET_KEY"]) == (tid, requester.id)
    # The outbox keeps every Message-ID: e-mail-in finds the ticket of a reply by it.
    with db.unit_of_work(app) as sess:
        ids = set(
            sess.scalars(select(OutboxMessage.message_id).where(OutboxMessage.ticket_id == tid))
        )
    assert {m["Message-ID"] for m in mine} <= ids and None not in ids


def test_hostile_ticket_text_arrives_escaped_in_the_html_part(app, world, smtp_server):
    title = '<script>alert("t")</script> Wilma'
    body = '<img src=x onerror=alert(1)> "kirjautuminen" & <b>bold</b>'
    ticket = world.file(MONDAY, title=title, description=body)
    comment(
        world,
        ticket["id"],
        hel(2026, 11, 23, 9, 10),
        body='<a href="javascript:alert(2)" onclick="x()">klik</a>',
    )
    mine = to(deliver(app, smtp_server), world.requester.email)
    assert len(mine) == 2
    for m in mine:
        _, html = parts(m)
        assert "<script" not in html and "<img" not in html and '<a href="javascript' not in html
        assert "onerror=alert(1)" not in html or "&lt;img src=x onerror=alert(1)&gt;" in html
        assert "&lt;script&gt;" in html
    ack_text, ack_html = parts(mine[0])
    assert body in ack_text  # the plain text is the text itself
    assert "&lt;img src=x onerror=alert(1)&gt; &#34;kirjautuminen&#34; &amp; &lt;b&gt;" in ack_html
    assert "&lt;a href=&#34;javascript:alert(2)&#34; onclick=&#34;x()&#34;&gt;" in parts(mine[1])[1]


def test_the_group_hears_of_a_new_ticket_and_an_assignee_of_an_assignment_not_of_their_own(
    app, world, make, smtp_server
):
    ticket = world.file(MONDAY)
    world.assign(ticket["id"], hel(2026, 11, 23, 9, 5))  # the agent takes it: no mail
    other = make.user("agent", provider="ICT", locale="sv")
    from catalog.groups.operations import set_members

    with db.unit_of_work(app) as sess:
        from catalog.groups.models import ResolverGroup

        group = sess.get(ResolverGroup, world.group.id)
        set_members(sess, group, [world.agent.id, other.id])
    second = world.file(hel(2026, 11, 23, 10))
    world.call(
        "PATCH",
        f"/api/v1/tickets/{second['id']}",
        hel(2026, 11, 23, 10, 5),
        "admin",
        json={"assignee_id": other.id},
        extra_headers={"If-Match": "*"},
    )
    messages = deliver(app, smtp_server)
    group_mail = to(messages, GROUP_EMAIL)
    assert [m["Subject"] for m in group_mail] == [
        f"[{ticket['number']}] Uusi tiketti: Wilma ei aukea",
        f"[{second['number']}] Uusi tiketti: Wilma ei aukea",
    ]
    assert to(messages, world.agent.email) == []  # took it themselves
    (assigned,) = to(messages, other.email)
    assert assigned["Subject"] == f"[{second['number']}] Tilldelat dig: Wilma ei aukea"
    assert f"/desk/tickets/{second['id']}" in parts(assigned)[0]


def test_a_group_without_an_address_is_told_through_its_members_but_not_the_one_who_logged_it(
    app, world, make, smtp_server
):
    other = make.user("agent", provider="ICT", locale="en")
    gone = make.user("agent", provider="ICT")
    from catalog.groups.models import ResolverGroup
    from catalog.groups.operations import set_members

    with db.unit_of_work(app) as sess:
        group = sess.get(ResolverGroup, world.group.id)
        group.email = None
        set_members(sess, group, [world.agent.id, other.id, gone.id])
        sess.execute(update(User).where(User.id == gone.id).values(active=False))
    # The agent logs a phone call for the requester.
    ticket = world.file(MONDAY, who="agent", requester_id=world.requester.id, channel="phone")
    messages = deliver(app, smtp_server)
    assert sorted(m["To"] for m in messages) == sorted([world.requester.email, other.email])
    (told,) = to(messages, other.email)
    assert told["Subject"] == f"[{ticket['number']}] New ticket: Wilma ei aukea"


def test_no_mail_to_an_inactive_requester(app, world, smtp_server):
    ticket = world.file(MONDAY)
    deliver(app, smtp_server)
    with db.unit_of_work(app) as sess:
        sess.execute(update(User).where(User.id == world.requester.id).values(active=False))
    comment(world, ticket["id"], hel(2026, 11, 23, 9, 10), body="Katsomme.", status="resolved")
    assert len(to(deliver(app, smtp_server), world.requester.email)) == 1  # the ack before


def test_a_retried_create_and_a_second_auto_close_enqueue_nothing_twice(app, world, smtp_server):
    body = {
        "title": "Tulostin",
        "description": "Ei tulosta.",
        "service_id": world.app_service.id,
        "impact": "medium",
        "urgency": "medium",
    }
    for _ in range(2):
        resp = world.call(
            "POST",
            "/api/v1/tickets",
            MONDAY,
            "requester",
            json=body,
            extra_headers={"Idempotency-Key": "k-1"},
        )
        assert resp.status_code in (200, 201)
    tid = resp.get_json()["id"]
    world.patch(tid, hel(2026, 11, 23, 10), status="resolved")
    later = hel(2026, 12, 10, 12)
    for _ in range(2):  # the scheduler twice
        with frozen_now(later), db.unit_of_work(app) as sess:
            auto_close(sess, 5, later)
    mine = to(deliver(app, smtp_server), world.requester.email)
    assert [m["Subject"].split("] ")[1].split(":")[0] for m in mine] == [
        "Tiketti vastaanotettu",
        "Ratkaistu",
        "Suljettu",
    ]
    text, _ = parts(mine[2])
    assert "suljettu" in text


def test_a_ticket_that_came_by_mail_threads_on_that_mail(app, world, smtp_server):
    from servicedesk.tickets.operations import create_ticket

    with frozen_now(MONDAY), db.unit_of_work(app) as sess:
        requester = sess.get(User, world.requester.id)
        ticket, _ = create_ticket(
            sess,
            requester,
            {
                "type": "incident",
                "title": "Re: näyttö",
                "description": "Näyttö pimeä.",
                "service_id": world.app_service.id,
                "impact": "medium",
                "urgency": "medium",
            },
        )
        ticket.mail_message_id = "<CAF=abc123@mail.gmail.com>"  # e-mail-in sets it
    (ack,) = to(deliver(app, smtp_server), world.requester.email)
    assert ack["In-Reply-To"] == "<CAF=abc123@mail.gmail.com>"
    assert ack["References"] == "<CAF=abc123@mail.gmail.com>"
    assert ack["Message-ID"] != "<CAF=abc123@mail.gmail.com>"


def test_a_breach_reaches_the_account_manager_and_the_customer_contacts_in_their_language(
    app, world, make, smtp_server
):
    contact = user(make, world, "customer_contact", locale="sv")
    quiet = user(make, world, "customer_contact", locale="en")
    with db.unit_of_work(app) as sess:
        sess.execute(update(User).where(User.id == quiet.id).values(active=False))
        sess.execute(
            update(Organisation).where(Organisation.id == world.org.id).values(name_sv="Testby")
        )
    ticket = world.file(MONDAY)
    world.assign(ticket["id"], hel(2026, 11, 23, 9, 5))
    comment(
        world, ticket["id"], hel(2026, 11, 23, 9, 6), body="Sisäinen: P3 riittää", internal=True
    )
    for at in (hel(2026, 11, 23, 10, 40), hel(2026, 11, 23, 11, 1)):
        with frozen_now(at), db.unit_of_work(app) as sess:
            sweep(sess, at)
    messages = deliver(app, smtp_server)
    warned = [m["To"] for m in messages if m["X-KPK-Outbox-Kind"] == "sla_warning"]
    breached = [m["To"] for m in messages if m["X-KPK-Outbox-Kind"] == "sla_breach"]
    assert sorted(warned) == sorted([world.agent.email, GROUP_EMAIL])
    assert sorted(breached) == sorted(
        [world.agent.email, GROUP_EMAIL, world.account_manager.email, contact.email]
    )
    (told,) = to(messages, contact.email)
    number = ticket["number"]
    assert told["Subject"] == f"[{number}] Servicenivån uppnåddes inte, svarstid: Wilma ei aukea"
    assert told["In-Reply-To"] == f"<{number.lower()}@kpk.example>"
    text, html = parts(told)
    assert "svarstid" in text and "11:00" in text  # the clock and its instant, in Swedish
    assert "Testby" in text  # the organisation's Swedish name
    for leak in ("Sisäinen", "P3", "/desk/"):
        assert leak not in text and leak not in html
    (desk,) = to(
        [m for m in messages if m["X-KPK-Outbox-Kind"] == "sla_breach"], world.account_manager.email
    )
    assert "ylittyi" in parts(desk)[0]  # the account manager's Finnish


def test_a_warning_reaches_the_members_of_a_group_without_an_address(app, world, make, smtp_server):
    other = make.user("agent", provider="ICT", locale="en")
    from catalog.groups.models import ResolverGroup
    from catalog.groups.operations import set_members

    with db.unit_of_work(app) as sess:
        group = sess.get(ResolverGroup, world.group.id)
        group.email = None
        set_members(sess, group, [world.agent.id, other.id])
    ticket = world.file(MONDAY)
    at = hel(2026, 11, 23, 10, 40)
    with frozen_now(at), db.unit_of_work(app) as sess:
        sweep(sess, at)
    messages = deliver(app, smtp_server)
    warned = [m for m in messages if m["X-KPK-Outbox-Kind"] == "sla_warning"]
    assert sorted(m["To"] for m in warned) == sorted([world.agent.email, other.email])
    (english,) = to(warned, other.email)
    assert english["Subject"] == f"[{ticket['number']}] SLA warning, response: Wilma ei aukea"
    assert "response" in parts(english)[0] and "10:36" in parts(english)[0]


def test_the_customers_answer_reaches_the_assignee_or_else_the_group(app, world, smtp_server):
    """An agent must not miss the answer to their question: the requester's reply is mailed to
    whoever has the ticket (in their language), or to the group while nobody has it."""
    taken = world.file(MONDAY)
    world.assign(taken["id"], hel(2026, 11, 23, 9, 5))
    free = world.file(hel(2026, 11, 23, 9, 10))
    comment(world, taken["id"], hel(2026, 11, 23, 9, 20), "requester", body="Kone on HP 840 G7.")
    comment(world, free["id"], hel(2026, 11, 23, 9, 25), "requester", body="Lisätietoa")
    messages = [m for m in deliver(app, smtp_server) if "Asiakas vastasi" in m["Subject"]]
    (to_agent,) = to(messages, world.agent.email)
    assert to_agent["Subject"] == f"[{taken['number']}] Asiakas vastasi: Wilma ei aukea"
    assert "Kone on HP 840 G7." in parts(to_agent)[0]
    assert f"/desk/tickets/{taken['id']}" in parts(to_agent)[0]
    (to_group,) = to(messages, GROUP_EMAIL)
    assert to_group["Subject"] == f"[{free['number']}] Asiakas vastasi: Wilma ei aukea"
    assert len(messages) == 2  # once each; the requester is never told of their own words
