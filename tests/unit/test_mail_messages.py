"""Who gets which mail about a ticket, threading ids and the rendered parts: pure rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from servicedesk.notifications.messages import (
    Assignment,
    Person,
    Reply,
    StatusChange,
    Template,
    TicketChange,
    plan,
    sla_recipients,
)
from servicedesk.notifications.render import local_instant, render
from servicedesk.notifications.texts import MailFacts
from servicedesk.notifications.threads import domain_of, root_id, subject_tag, thread_for

REQUESTER = Person(1, "anna@kunta.fi", "sv", name="Anna")
AGENT = Person(2, "agent@kpk.example", "fi", name="Eero")
OTHER = Person(3, "maria@kpk.example", "en", name="Maria")
GROUP = Person(None, "tuki@kpk.example")


def change(**kw: object) -> TicketChange:
    return TicketChange(ticket_id=42, requester=REQUESTER, **kw)  # type: ignore[arg-type]


def told(found: list) -> list[tuple[str, Template, str]]:
    return [(p.recipient.email, p.template, p.dedup_key) for p in found]


def test_a_new_ticket_acknowledges_the_requester_and_tells_the_group():
    found = plan(change(created=True, created_by=REQUESTER.id, group=(GROUP,)))
    assert told(found) == [
        (REQUESTER.email, Template.ACKNOWLEDGEMENT, "ack:42"),
        (GROUP.email, Template.NEW_TICKET, "new:42:tuki@kpk.example"),
    ]
    assert found[0].opens_thread and not found[1].opens_thread


def test_a_ticket_the_desk_logs_acknowledges_the_requester_but_not_the_agent_who_logged_it():
    found = plan(change(created=True, created_by=AGENT.id, group=(AGENT, OTHER)))
    assert [(e, t) for e, t, _ in told(found)] == [
        (REQUESTER.email, Template.ACKNOWLEDGEMENT),
        (OTHER.email, Template.NEW_TICKET),
    ]


def test_routing_to_an_account_manager_on_create_tells_them_it_is_theirs():
    manager = Person(9, "am@kpk.example")
    found = plan(change(created=True, created_by=1, assignments=(Assignment(manager, 1, 0),)))
    assert told(found)[-1] == (manager.email, Template.ASSIGNED, "assigned:42:9:v0")


def test_a_desk_reply_is_one_mail_and_the_requesters_own_comment_none():
    found = plan(change(replies=(Reply(7, AGENT.id, True), Reply(8, REQUESTER.id, False))))
    assert told(found) == [(REQUESTER.email, Template.REPLY, "reply:7:1")]
    assert found[0].comment_id == 7


def test_a_customer_contacts_comment_is_not_a_desk_reply():
    assert plan(change(replies=(Reply(7, 55, False),))) == []


@pytest.mark.parametrize(
    ("status", "template"),
    [
        ("waiting_for_customer", Template.QUESTION),
        ("resolved", Template.RESOLVED),
        ("closed", Template.CLOSED),
    ],
)
def test_a_reply_with_its_status_change_is_the_status_mail_quoting_the_reply(status, template):
    found = plan(
        change(
            replies=(Reply(7, AGENT.id, True),),
            statuses=(StatusChange(status, AGENT.id, 3, reply_id=7),),
        )
    )
    assert len(found) == 1
    assert (found[0].template, found[0].comment_id) == (template, 7)


def test_a_status_change_without_a_reply_is_a_mail_of_its_own_and_a_reply_before_it_too():
    found = plan(
        change(
            replies=(Reply(7, AGENT.id, True),),
            statuses=(StatusChange("waiting_for_customer", AGENT.id, 3, reply_id=None),),
        )
    )
    assert told(found) == [
        (REQUESTER.email, Template.REPLY, "reply:7:1"),
        (REQUESTER.email, Template.QUESTION, "waiting_for_customer:42:v3:1"),
    ]


def test_other_statuses_are_not_told():
    for status in ("assigned", "in_progress", "escalated_to_supplier", "new"):
        assert plan(change(statuses=(StatusChange(status, AGENT.id, 3),))) == []


def test_closing_is_told_once_whoever_closed_it_the_requester_included():
    for actor in (AGENT.id, REQUESTER.id, None):
        found = plan(change(statuses=(StatusChange("closed", actor, 5),)))
        assert told(found) == [(REQUESTER.email, Template.CLOSED, "closed:42:1")]


def test_a_resolution_by_the_requester_themselves_is_not_told_to_them():
    assert plan(change(statuses=(StatusChange("resolved", REQUESTER.id, 5),))) == []


def test_an_inactive_requester_gets_nothing():
    gone = Person(1, "anna@kunta.fi", active=False)
    found = plan(
        TicketChange(
            ticket_id=42,
            requester=gone,
            created=True,
            replies=(Reply(7, AGENT.id, True),),
            statuses=(StatusChange("resolved", AGENT.id, 3, 7),),
        )
    )
    assert found == []


def test_an_assignment_tells_the_assignee_unless_they_took_it_themselves():
    assert told(plan(change(assignments=(Assignment(OTHER, AGENT.id, 4),)))) == [
        (OTHER.email, Template.ASSIGNED, "assigned:42:3:v4")
    ]
    assert plan(change(assignments=(Assignment(AGENT, AGENT.id, 4),))) == []
    inactive = Person(3, "maria@kpk.example", active=False)
    assert plan(change(assignments=(Assignment(inactive, AGENT.id, 4),))) == []


def test_each_dedup_key_names_its_event_and_recipient():
    found = plan(
        change(
            created=True,
            created_by=REQUESTER.id,
            group=(AGENT, OTHER),
            replies=(Reply(7, AGENT.id, True), Reply(8, AGENT.id, True)),
            statuses=(StatusChange("resolved", AGENT.id, 3, reply_id=8),),
            assignments=(Assignment(OTHER, AGENT.id, 2),),
        )
    )
    keys = [p.dedup_key for p in found]
    assert len(keys) == len(set(keys)) == 6


# --- the SLA's recipients -----------------------------------------------------------------


def sla(**kw: object) -> list[tuple[str, Template]]:
    args: dict[str, object] = {
        "breach": False,
        "supplier_leg": False,
        "assignee": AGENT,
        "group": (GROUP,),
        "account_managers": (Person(9, "am@kpk.example"),),
        "customer_contacts": (Person(10, "contact@kunta.fi", "sv"),),
        "supplier_contact": Person(None, "tuki@toimittaja.example"),
        **kw,
    }
    return [(p.email, t) for p, t in sla_recipients(**args)]  # type: ignore[arg-type]


def test_a_warning_goes_to_the_assignee_and_the_group():
    assert sla() == [(AGENT.email, Template.SLA_WARNING), (GROUP.email, Template.SLA_WARNING)]


def test_a_breach_also_goes_to_the_account_managers_and_in_the_customers_words_to_the_contacts():
    assert sla(breach=True) == [
        (AGENT.email, Template.SLA_BREACH),
        (GROUP.email, Template.SLA_BREACH),
        ("am@kpk.example", Template.SLA_BREACH),
        ("contact@kunta.fi", Template.SLA_BREACH_CUSTOMER),
    ]


def test_a_supplier_leg_tells_the_group_and_the_supplier_never_the_customer():
    assert sla(breach=True, supplier_leg=True) == [
        (GROUP.email, Template.SLA_BREACH),
        ("tuki@toimittaja.example", Template.SLA_BREACH),
    ]


def test_sla_mail_goes_once_per_address_and_never_to_the_inactive():
    group = (AGENT, Person(5, "pois@kpk.example", active=False), OTHER)
    assert sla(group=group, assignee=AGENT) == [
        (AGENT.email, Template.SLA_WARNING),
        (OTHER.email, Template.SLA_WARNING),
    ]


# --- threading and rendering --------------------------------------------------------------


def test_the_thread_root_is_the_opening_mail_or_else_the_ticket_numbers_own_id():
    assert domain_of("KPK Palvelupiste <palvelupiste@kpk.example>") == "kpk.example"
    assert root_id("KPK-2026-00042", "kpk.example") == "<kpk-2026-00042@kpk.example>"
    assert subject_tag("KPK-2026-00042") == "[KPK-2026-00042]"
    opening = thread_for("KPK-2026-00042", "kpk.example", None, opens=True)
    assert (opening.message_id, opening.in_reply_to) == ("<kpk-2026-00042@kpk.example>", None)
    later = thread_for("KPK-2026-00042", "kpk.example", None)
    assert later.in_reply_to == later.references == "<kpk-2026-00042@kpk.example>"
    assert later.message_id.startswith("<kpk-2026-00042.")
    assert later.message_id != thread_for("KPK-2026-00042", "kpk.example", None).message_id
    by_mail = thread_for("KPK-2026-00042", "kpk.example", "<x@gmail.com>", opens=True)
    assert by_mail.in_reply_to == by_mail.references == "<x@gmail.com>"
    assert by_mail.message_id != "<x@gmail.com>"


@pytest.mark.parametrize(
    "hostile", ["<a@b>\r\nBcc: all@kunta.fi", "no-brackets@x", "<a b@c>", "<" + "x" * 300 + ">", ""]
)
def test_a_message_id_from_incoming_mail_that_could_break_a_header_is_not_used(hostile):
    thread = thread_for("KPK-2026-00042", "kpk.example", hostile)
    assert thread.in_reply_to == thread.references == "<kpk-2026-00042@kpk.example>"


def test_every_template_renders_in_every_language_with_the_ticket_tag():
    facts = MailFacts(number="KPK-2026-00042", title="Wilma", clock="vasteaika", at="x")
    subjects = set()
    for template in Template:
        for locale in ("fi", "sv", "en"):
            mail = render(template, locale, facts)
            assert mail.subject.startswith("[KPK-2026-00042] ")
            assert "KPK-2026-00042" in mail.text and f'lang="{locale}"' in mail.html
            subjects.add(mail.subject)
    assert len(subjects) == 3 * len(Template)  # each language its own words


def test_hostile_text_is_escaped_in_html_and_left_as_text_in_the_text_part():
    evil = '<img src=x onerror="alert(1)">'
    mail = render(
        Template.REPLY, "fi", MailFacts(number="KPK-2026-1", title=evil, comment=evil, author=evil)
    )
    assert "<img" not in mail.html and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in mail.html
    assert f"> {evil}" in mail.text


def test_an_unknown_language_falls_back_to_finnish():
    facts = MailFacts(number="KPK-2026-1", title="t")
    assert render(Template.CLOSED, "de", facts) == render(Template.CLOSED, "fi", facts)


def test_instants_are_written_in_helsinki_time():
    at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert local_instant(at, "fi") == local_instant(at, "sv") == "23.11.2026 11:00"


def test_a_reply_of_the_customer_side_tells_whoever_has_the_ticket_never_its_author():
    found = plan(change(replies=(Reply(7, REQUESTER.id, False),), handlers=(AGENT,)))
    assert told(found) == [(AGENT.email, Template.CUSTOMER_REPLY, "answer:7:agent@kpk.example")]
    assert found[0].kind == "desk" and found[0].comment_id == 7
    # A desk reply tells the requester, never the desk; a handler's own comment tells nobody.
    assert told(plan(change(replies=(Reply(8, AGENT.id, True),), handlers=(AGENT,)))) == [
        (REQUESTER.email, Template.REPLY, "reply:8:1")
    ]
    assert plan(change(replies=(Reply(9, AGENT.id, False),), handlers=(AGENT,))) == []
