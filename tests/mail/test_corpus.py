"""Every message of the corpus through `servicedesk mail-in`, each with its expected outcome.

Real-world shapes (Outlook, Gmail, Apple Mail, RFC 2047, ISO-8859-1, HTML with script
payloads, a bounce, an out-of-office, loops, a stranger quoting a ticket number, a
duplicate, a truncated message): each yields exactly the expected ticket, comment,
automatic answer, ignore or quarantine, and every one of them is stored with its raw bytes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mail.conftest import CORPUS, REQUESTER, STRANGER, MailWorld


def test_the_corpus_is_all_here():
    names = {p.name for p in CORPUS.glob("*.eml")}
    assert len(names) >= 15


@pytest.mark.parametrize("name", ["outlook_reply.eml", "gmail_reply.eml", "apple_mail_reply.eml"])
def test_a_requesters_reply_is_a_comment_without_the_quoted_history(mailworld: MailWorld, name):
    raw = mailworld.eml(name)
    out = mailworld.mail_in(raw)
    row = mailworld.last()
    assert (row.outcome, row.ticket_id) == ("comment", mailworld.ticket_id), row.reason
    assert "comment" in out.output
    (comment,) = mailworld.comments()
    assert comment.id == row.comment_id and not comment.internal
    assert comment.author_id == mailworld.requester.id
    assert "312" in comment.body
    for quoted in ("Lähettäjä", "Lähetetty", "wrote:", "missä kerroksessa", "> "):
        assert quoted not in comment.body
    assert row.raw == raw
    assert len(mailworld.tickets()) == 1  # no new ticket


def test_a_reply_answering_a_question_resumes_the_ticket_as_the_api_does(mailworld: MailWorld):
    from servicedesk import db
    from servicedesk.tickets.lifecycle import Status
    from servicedesk.tickets.models import Ticket
    from servicedesk.tickets.operations import reply
    from servicedesk.users.models import User

    with db.unit_of_work(mailworld.app) as sess:
        ticket = sess.get(Ticket, mailworld.ticket_id)
        agent = sess.get(User, mailworld.agent.id)
        reply(sess, agent, ticket, "Missä kerroksessa?", False, Status.IN_PROGRESS)
        reply(sess, agent, ticket, "Missä kerroksessa?", False, Status.WAITING_FOR_CUSTOMER)
    assert mailworld.ticket().status == "waiting_for_customer"
    mailworld.mail_in(mailworld.eml("gmail_reply.eml"))
    assert mailworld.last().outcome == "comment"
    assert mailworld.ticket().status == "in_progress"


def test_the_same_message_twice_is_one_comment(mailworld: MailWorld):
    raw = mailworld.eml("gmail_reply.eml")
    mailworld.mail_in(raw)
    again = mailworld.mail_in(raw)
    assert again.output.startswith("duplicate of mail")
    assert len(mailworld.rows()) == 1
    assert len(mailworld.comments()) == 1


def test_the_same_new_message_twice_is_one_ticket(mailworld: MailWorld):
    raw = mailworld.eml("rfc2047_subject.eml")
    mailworld.mail_in(raw)
    mailworld.mail_in(raw)
    assert len(mailworld.tickets()) == 2  # the world's ticket and this one
    assert len(mailworld.rows()) == 1


def test_a_customer_contact_of_the_organisation_may_answer_on_the_ticket(mailworld: MailWorld):
    raw = mailworld.eml("gmail_reply.eml").replace(
        REQUESTER.encode(), b"kirsi.kontakti@orivesi.example"
    )
    mailworld.mail_in(raw)
    row = mailworld.last()
    assert row.outcome == "comment"
    assert mailworld.comments()[0].author_id == mailworld.contact.id


def test_apple_mail_files_a_ticket_with_its_attachments(mailworld: MailWorld):
    from servicedesk import db
    from servicedesk.attachments.models import Attachment
    from servicedesk.attachments.storage import content

    mailworld.mail_in(mailworld.eml("apple_mail_new.eml"))
    row = mailworld.last()
    assert row.outcome == "ticket", row.reason
    ticket = mailworld.ticket(row.ticket_id)
    assert ticket.title == "Näyttö välkkyy työasemalla"
    assert ticket.channel == "email"
    assert ticket.requester_id == mailworld.requester.id
    assert (ticket.impact, ticket.urgency) == ("medium", "medium")
    assert ticket.mail_message_id == "<7A1F3E5C-2B4D-4E6F-8A9B-0C1D2E3F4A5B@orivesi.example>"
    assert "näyttö välkkyy" in ticket.description
    with db.unit_of_work(mailworld.app) as sess:
        files = {a.filename: a for a in sess.query(Attachment).filter_by(ticket_id=ticket.id)}
        assert set(files) == {"naytto.png", "virheloki tänään.txt"}
        assert files["naytto.png"].content_type == "image/png"  # sniffed
        assert content(sess, files["virheloki tänään.txt"]).startswith(b"2026-11-30 08:59:12")
        assert all(
            not a.internal and a.uploaded_by_id == mailworld.requester.id for a in files.values()
        )
        # The acknowledgement answers the requester's own mail: their client threads it.
        from servicedesk.notifications.models import OutboxMessage

        ack = sess.query(OutboxMessage).filter_by(
            ticket_id=ticket.id, recipient=mailworld.requester.email
        ).one()
        assert ack.in_reply_to == "<7A1F3E5C-2B4D-4E6F-8A9B-0C1D2E3F4A5B@orivesi.example>"
        assert f"[{ticket.number}]" in ack.subject


def test_rfc2047_subjects_decode(mailworld: MailWorld):
    mailworld.mail_in(mailworld.eml("rfc2047_subject.eml"))
    ticket = mailworld.ticket(mailworld.last().ticket_id)
    assert ticket.title == "Palkkalaskelma ei aukea: älypuhelin kirjautuu epäonnistuu"


def test_an_iso_8859_1_body_decodes_and_the_signature_goes(mailworld: MailWorld):
    mailworld.mail_in(mailworld.eml("iso8859_body.eml"))
    ticket = mailworld.ticket(mailworld.last().ticket_id)
    assert "Hyvä palvelupiste" in ticket.description
    # Windows-1252 in an ISO-8859-1 label, as Outlook sends it: quotes and the euro sign.
    assert "“työmääräyksen”" in ticket.description and "12,50 €" in ticket.description
    assert "Oriveden kaupunki" not in ticket.description  # the "-- " signature


def test_an_unknown_charset_falls_back_without_losing_the_message(mailworld: MailWorld):
    mailworld.mail_in(mailworld.eml("unknown_charset.eml"))
    row = mailworld.last()
    assert row.outcome == "ticket", row.reason
    ticket = mailworld.ticket(row.ticket_id)
    assert ticket.title == "Outo merkistö"
    assert ticket.description == "Sähköposti ei lähde."


def test_html_only_mail_loses_every_script_payload(mailworld: MailWorld):
    mailworld.mail_in(mailworld.eml("html_only_xss.eml"))
    row = mailworld.last()
    assert row.outcome == "ticket", row.reason
    text = mailworld.ticket(row.ticket_id).description
    assert "Verkkolevy H: ei näy resurssienhallinnassa." in text
    assert "Yritin käynnistää koneen uudelleen." in text
    for payload in ("xss", "alert", "script", "onerror", "onload", "javascript", "<", "iframe"):
        assert payload not in text.lower()


def test_a_bounce_is_quarantined_and_never_answered(mailworld: MailWorld):
    mailworld.mail_in(mailworld.eml("bounce_dsn.eml"))
    row = mailworld.last()
    assert (row.outcome, row.ticket_id) == ("quarantined", None)
    assert row.reason.startswith("bounce")
    assert mailworld.outbox() == [] and mailworld.comments() == []


def test_an_out_of_office_reply_is_ignored(mailworld: MailWorld):
    mailworld.mail_in(mailworld.eml("out_of_office.eml"))
    row = mailworld.last()
    assert (row.outcome, row.ticket_id) == ("ignored", None)
    assert row.reason.startswith("auto_submitted")
    assert mailworld.comments() == [] and mailworld.outbox() == []


@pytest.mark.parametrize(
    ("name", "reason"), [("loop_own_from.eml", "own_address"), ("loop_x_loop.eml", "x_loop")]
)
def test_a_mail_loop_is_ignored(mailworld: MailWorld, name, reason):
    mailworld.mail_in(mailworld.eml(name))
    row = mailworld.last()
    assert row.outcome == "ignored" and row.reason.startswith(reason)
    assert len(mailworld.tickets()) == 1 and mailworld.outbox() == []


def test_a_stranger_quoting_a_ticket_number_never_comments_on_it(mailworld: MailWorld):
    """Zammad's leak: the subject names someone else's ticket. A user who may file gets a
    ticket of their own; the other ticket gets nothing."""
    mailworld.mail_in(mailworld.eml("stranger_quotes_ticket.eml"))
    row = mailworld.last()
    assert row.outcome == "ticket"
    assert row.ticket_id != mailworld.ticket_id
    assert "thread_refused" in row.reason
    assert mailworld.comments() == []
    own = mailworld.ticket(row.ticket_id)
    assert own.requester_id == mailworld.stranger.id
    assert own.organisation_id == mailworld.stranger.organisation_id


def test_an_unknown_sender_answering_our_mail_goes_to_quarantine(mailworld: MailWorld):
    mailworld.mail_in(mailworld.eml("unknown_quotes_ticket.eml"))
    row = mailworld.last()
    assert (row.outcome, row.ticket_id) == ("quarantined", None)
    assert row.reason.startswith("thread_refused")
    assert mailworld.comments() == [] and mailworld.outbox() == []


def test_an_unknown_sender_gets_one_polite_answer_in_three_languages(mailworld: MailWorld):
    raw = mailworld.eml("unknown_sender.eml")
    mailworld.mail_in(raw)
    row = mailworld.last()
    assert (row.outcome, row.ticket_id) == ("auto_answer", None)
    (answer,) = mailworld.outbox()
    assert answer.recipient == "ville@gmail.example"
    assert answer.auto_submitted == "auto-replied"
    assert answer.in_reply_to == "<unknown.0001@gmail.example>"
    assert "Hei" in answer.body and "Hej" in answer.body and "Hello" in answer.body
    assert "not the address of a service desk user" in answer.body
    assert len(mailworld.tickets()) == 1
    # A second message the same day: no second answer (a loop cannot start).
    mailworld.mail_in(raw.replace(b"unknown.0001@", b"unknown.0002@"))
    assert mailworld.last().outcome == "ignored"
    assert "answered already today" in mailworld.last().reason
    assert len(mailworld.outbox()) == 1


def test_a_refused_organisation_is_answered_in_the_users_language(mailworld: MailWorld):
    from servicedesk import db
    from servicedesk.users.models import User

    with db.unit_of_work(mailworld.app) as sess:
        user = sess.get(User, mailworld.swedish.id)
        from catalog.agreements.models import AgreementVersion

        for version in sess.query(AgreementVersion).filter_by(organisation_id=user.organisation_id):
            sess.delete(version)
    raw = mailworld.eml("unknown_sender.eml").replace(
        b"ville@gmail.example", b"anna.lindqvist@pargas.example"
    )
    mailworld.mail_in(raw)
    row = mailworld.last()
    assert row.outcome == "auto_answer" and row.reason.startswith("no_agreement")
    (answer,) = mailworld.outbox()
    assert answer.body.startswith("Hej")
    assert "serviceavtal" in answer.body and "Hei" not in answer.body


def test_a_truncated_message_is_kept_and_placed_as_far_as_it_reads(mailworld: MailWorld):
    raw = mailworld.eml("truncated.eml")
    mailworld.mail_in(raw)
    row = mailworld.last()
    assert row.raw == raw
    assert row.outcome == "ticket", row.reason
    assert mailworld.ticket(row.ticket_id).description == "Kuvakaappaus virheestä liitteenä."


def test_every_corpus_message_is_stored_whatever_its_outcome(mailworld: MailWorld):
    names = sorted(p.name for p in Path(CORPUS).glob("*.eml"))
    for name in names:
        mailworld.mail_in(mailworld.eml(name))
    rows = mailworld.rows()
    assert len(rows) == len(names)
    assert all(r.reason for r in rows)
    assert not any(r.reason.startswith(("not_placed", "error")) for r in rows)
    assert {r.outcome for r in rows} == {
        "ticket",
        "comment",
        "auto_answer",
        "ignored",
        "quarantined",
    }
    assert STRANGER in {r.sender for r in rows}


def test_a_reply_without_threading_headers_is_threaded_by_the_subjects_number(
    mailworld: MailWorld,
):
    raw = b"\n".join(
        line
        for line in mailworld.eml("gmail_reply.eml").split(b"\n")
        if not line.startswith((b"In-Reply-To:", b"References:"))
    )
    mailworld.mail_in(raw)
    row = mailworld.last()
    assert (row.outcome, row.ticket_id) == ("comment", mailworld.ticket_id), row.reason


def test_a_reply_threads_by_an_earlier_incoming_message_of_the_ticket(mailworld: MailWorld):
    """A reply-all to the requester's own first mail (no number, no ack in the chain)."""
    mailworld.mail_in(mailworld.eml("apple_mail_new.eml"))
    first = mailworld.last()
    follow_up = (
        b"From: Kirsi Kontakti <kirsi.kontakti@orivesi.example>\n"
        b"To: palvelupiste@kpk.example, maija.virtanen@orivesi.example\n"
        b"Subject: Re: Naytto valkkyy\nMessage-ID: <follow.1@orivesi.example>\n"
        b"In-Reply-To: <7A1F3E5C-2B4D-4E6F-8A9B-0C1D2E3F4A5B@orivesi.example>\n"
        b"Content-Type: text/plain; charset=utf-8\n\n"
        b"Sama vika meill\xc3\xa4 toisessa kerroksessa.\n"
    )
    mailworld.mail_in(follow_up)
    row = mailworld.last()
    assert (row.outcome, row.ticket_id) == ("comment", first.ticket_id), row.reason
    assert mailworld.comments(first.ticket_id)[0].author_id == mailworld.contact.id


def test_an_answer_to_a_closed_ticket_files_a_new_one(mailworld: MailWorld):
    from servicedesk import db
    from servicedesk.tickets.lifecycle import Status
    from servicedesk.tickets.models import Ticket
    from servicedesk.tickets.operations import update_ticket
    from servicedesk.users.models import User

    with db.unit_of_work(mailworld.app) as sess:
        ticket = sess.get(Ticket, mailworld.ticket_id)
        update_ticket(
            sess, sess.get(User, mailworld.agent.id), ticket, {"status": Status.CANCELLED}
        )
    mailworld.mail_in(mailworld.eml("gmail_reply.eml"))
    row = mailworld.last()
    assert row.outcome == "ticket" and row.ticket_id != mailworld.ticket_id
    assert "is cancelled, so filed as a new ticket" in row.reason
    assert mailworld.comments() == []


def test_a_service_code_in_the_subject_classifies_the_ticket(mailworld: MailWorld):
    raw = mailworld.eml("rfc2047_subject.eml").replace(
        b"Subject: =?UTF-8?B?UGFsa2thbGFza2VsbWEgZWkgYXVrZWE6IMOkbHlwdWhlbGluIGtpcmphdXR1dQ==?=\n"
        b" =?ISO-8859-1?Q?_ep=E4onnistuu?=",
        b"Subject: [WILMA] ei aukea",
    )
    mailworld.mail_in(raw)
    ticket = mailworld.ticket(mailworld.last().ticket_id)
    assert (ticket.title, ticket.service_id) == ("[WILMA] ei aukea", mailworld.service.id)


def test_a_reply_to_outbox_mail_threads_by_the_senders_derived_message_id(mailworld: MailWorld):
    """Outbox rows without a stored Message-ID are sent with one derived from the row."""
    from servicedesk import db
    from servicedesk.notifications.models import OutboxMessage
    from servicedesk.notifications.sender import message_id

    with db.unit_of_work(mailworld.app) as sess:
        ack = sess.query(OutboxMessage).filter_by(message_id=f"<{mailworld.ack_id}>").one()
        ack.message_id = None
        derived = message_id(ack.id, ack.created_at, "palvelupiste@kpk.example").strip("<>")
        stale = message_id(ack.id, ack.created_at.replace(year=2001), "x@kpk.example").strip("<>")
    gone = mailworld.eml("gmail_reply.eml").replace(mailworld.number.encode(), b"ei numeroa")
    mailworld.mail_in(gone.replace(mailworld.ack_id.encode(), stale.encode()))
    assert mailworld.last().outcome == "ticket"  # a made-up id finds nothing
    raw = gone.replace(b"CAF3x", b"CAF3y").replace(mailworld.ack_id.encode(), derived.encode())
    mailworld.mail_in(raw)
    row = mailworld.last()
    assert (row.outcome, row.ticket_id) == ("comment", mailworld.ticket_id), row.reason


def test_an_attachment_over_the_limit_is_left_out_and_said_so(
    mailworld: MailWorld, app, monkeypatch
):
    import dataclasses

    from servicedesk import db
    from servicedesk.attachments.models import Attachment

    monkeypatch.setitem(
        app.config, "SETTINGS", dataclasses.replace(app.config["SETTINGS"], attachment_max_bytes=75)
    )
    mailworld.mail_in(mailworld.eml("apple_mail_new.eml"))
    row = mailworld.last()
    assert row.outcome == "ticket"
    assert row.reason.endswith("attachments not kept: virheloki tänään.txt (attachment_too_large)")
    with db.unit_of_work(app) as sess:
        kept = [a.filename for a in sess.query(Attachment).filter_by(ticket_id=row.ticket_id)]
    assert kept == ["naytto.png"]  # 70 bytes: under the limit


def test_a_colleague_in_the_same_organisation_gets_a_ticket_of_their_own(
    mailworld: MailWorld, make
):
    """Same organisation is not enough: an end user sees only their own tickets."""
    from catalog.organisations.models import Organisation

    org = make.sess.get(Organisation, mailworld.requester.organisation_id)
    colleague = make.user("end_user", org=org)
    email = colleague.email
    raw = mailworld.eml("gmail_reply.eml").replace(
        b"Maija Virtanen <maija.virtanen@orivesi.example>", f"Kollega <{email}>".encode()
    )
    mailworld.mail_in(raw)
    row = mailworld.last()
    assert row.outcome == "ticket" and row.ticket_id != mailworld.ticket_id
    assert "thread_refused" in row.reason
    assert mailworld.comments() == []
    assert mailworld.ticket(row.ticket_id).requester_id == colleague.id


def test_an_agents_mail_reply_is_the_desks_public_reply(mailworld: MailWorld):
    raw = mailworld.eml("gmail_reply.eml").replace(
        b"Maija Virtanen <maija.virtanen@orivesi.example>",
        f"Agentti <{mailworld.agent.email}>".encode(),
    )
    mailworld.mail_in(raw)
    row = mailworld.last()
    assert row.outcome == "comment", row.reason
    (comment,) = mailworld.comments()
    assert comment.author_id == mailworld.agent.id and not comment.internal
