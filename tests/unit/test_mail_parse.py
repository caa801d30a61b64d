"""Pure rules of incoming mail: parsing, trimming, loop recognition, threading numbers."""

from __future__ import annotations

import pytest

from servicedesk.mail.answers import answer
from servicedesk.mail.loops import automatic, may_answer
from servicedesk.mail.parse import dedup_key, html_to_text, parse
from servicedesk.mail.threads import numbers_in
from servicedesk.mail.trim import trim_reply, trim_signature

OWN = {"palvelupiste@kpk.example"}


def msg(headers: str, body: str = "Teksti.", charset: str = "utf-8") -> bytes:
    return (
        headers.strip()
        + f"\nMIME-Version: 1.0\nContent-Type: text/plain; charset={charset}\n\n"
        + body
        + "\n"
    ).encode("utf-8")


# --- identity --------------------------------------------------------------------------


def test_the_dedup_key_is_the_message_id_read_off_the_raw_header():
    raw = msg("From: a@b.fi\nMessage-ID: <abc.123@b.fi>")
    assert dedup_key(raw) == ("mid:abc.123@b.fi", "abc.123@b.fi")


def test_a_folded_message_id_is_read_too():
    raw = msg("From: a@b.fi\nMessage-ID:\n <folded.1@b.fi>")
    assert dedup_key(raw)[1] == "folded.1@b.fi"


def test_without_a_message_id_the_key_is_a_hash_of_the_bytes():
    one, two = msg("From: a@b.fi", "yksi"), msg("From: a@b.fi", "kaksi")
    assert dedup_key(one)[0].startswith("sha256:") and dedup_key(one)[1] is None
    assert dedup_key(one) == dedup_key(one) and dedup_key(one) != dedup_key(two)


def test_a_message_id_in_the_body_is_not_the_messages():
    raw = msg("From: a@b.fi", "Message-ID: <in-body@x>")
    assert dedup_key(raw)[1] is None


def test_an_absurdly_long_message_id_is_hashed_not_truncated():
    raw = msg(f"From: a@b.fi\nMessage-ID: <{'x' * 400}@b.fi>")
    key, mid = dedup_key(raw)
    assert key.startswith("sha256:") and mid is not None and len(mid) <= 250


# --- headers and bodies --------------------------------------------------------------------


def test_rfc2047_headers_decode_in_any_charset():
    raw = msg(
        "From: =?ISO-8859-1?Q?J=F6rg_=C5kerman?= <Jorg@Pargas.example>\n"
        "Subject: =?utf-8?B?w4RsecOkIHDDpGl2aXR5cw==?= =?windows-1252?Q?=96_ok?="
    )
    mail = parse(raw)
    assert mail.sender == "jorg@pargas.example" and mail.sender_name == "Jörg Åkerman"
    assert mail.subject == "Älyä päivitys\u2013 ok"


def test_raw_eight_bit_headers_read_as_utf8_or_windows_1252():
    raw = b"From: a@b.fi\nSubject: K\xe4ytt\xf6j\xe4rjestelm\xe4\n\nx\n"
    assert parse(raw).subject == "Käyttöjärjestelmä"
    raw = "From: a@b.fi\nSubject: Käyttö\n\nx\n".encode()
    assert parse(raw).subject == "Käyttö"


@pytest.mark.parametrize(
    ("charset", "data", "text"),
    [
        ("iso-8859-1", "Hyvä €".encode("cp1252"), "Hyvä €"),
        ("windows-1252", "“lainaus”".encode("cp1252"), "“lainaus”"),
        ("utf-8", b"\xe4\xf6 wrong", "äö wrong"),  # labelled UTF-8, written in Latin-1
        ("x-no-such-charset", "Sähkö".encode(), "Sähkö"),
        ("", "Sähkö".encode("latin-1"), "Sähkö"),
    ],
)
def test_bodies_decode_whatever_the_label_says(charset, data, text):
    head = "From: a@b.fi\nContent-Type: text/plain" + (f"; charset={charset}" if charset else "")
    mail = parse(head.encode() + b"\nContent-Transfer-Encoding: 8bit\n\n" + data + b"\n")
    assert mail.text == text


def test_control_characters_and_nul_bytes_do_not_survive():
    raw = b"From: a@b.fi\nContent-Type: text/plain\n\nyksi\x00kaksi\x1b[31m\r\nkolme\n"
    assert parse(raw).text == "yksikaksi[31m\nkolme"


def test_garbage_is_read_without_raising():
    for raw in (
        b"",
        b"\xff\xfe\x00garbage",
        b"From: <<<\n\n",
        b"Content-Type: multipart/mixed\n\n",
    ):
        mail = parse(raw)
        assert mail.sender == ""


def test_an_html_body_is_sanitised_then_turned_to_text():
    html = (
        "<style>p{color:red}</style><script>alert(1)</script><p>Rivi <b>yksi</b></p>"
        "<img src=x onerror=alert(2)><div>Rivi&nbsp;kaksi &amp; &lt;tag&gt;</div>"
        "<ul><li>a</li><li>b</li></ul><blockquote>vanha</blockquote>"
    )
    text = html_to_text(html)
    assert "alert" not in text and "color" not in text
    lines = [line for line in text.split("\n") if line]
    assert lines == ["Rivi yksi", "Rivi\xa0kaksi & <tag>", "- a", "- b", "> vanha"]


def test_the_plain_part_wins_over_the_html_part_and_attachments_are_kept():
    raw = (
        b"From: a@b.fi\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=XX\n\n"
        b"--XX\nContent-Type: multipart/alternative; boundary=YY\n\n"
        b"--YY\nContent-Type: text/plain\n\nplain\n--YY\nContent-Type: text/html\n\n<p>html</p>\n"
        b"--YY--\n--XX\nContent-Type: application/pdf; name=lasku.pdf\n"
        b"Content-Disposition: attachment; filename=lasku.pdf\n"
        b"Content-Transfer-Encoding: base64\n\n"
        b"JVBERi0xLjQK\n--XX\nContent-Type: image/jpeg\nContent-ID: <img1>\n"
        b"Content-Transfer-Encoding: base64\n\n/9j/4AAQ\n--XX--\n"
    )
    mail = parse(raw)
    assert mail.text == "plain"
    assert [(a.filename, a.data, a.inline) for a in mail.attachments] == [
        ("lasku.pdf", b"%PDF-1.4\n", False),
        ("image.jpg", b"\xff\xd8\xff\xe0\x00\x10", True),
    ]


def test_thread_ids_are_nearest_first_and_unique():
    raw = msg("From: a@b.fi\nIn-Reply-To: <c@x>\nReferences: <a@x> <b@x>\n <c@x>")
    assert parse(raw).thread_ids == ["c@x", "b@x", "a@x"]


# --- trimming ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "quote",
    [
        "On Mon, 30 Nov 2026 at 9.58, KPK <p@kpk.example> wrote:\n> kysymys",
        "On Mon, 30 Nov 2026 at 9.58, KPK Palvelupiste\n<p@kpk.example> wrote:\n\n> kysymys",
        "ma 30.11.2026 klo 9.58 KPK Palvelupiste (p@kpk.example) kirjoitti:\n> kysymys",
        "Den 30 nov. 2026 kl. 09:58 skrev KPK <p@kpk.example>:\n> fråga",
        "-----Original Message-----\nFrom: KPK\nSent: Monday\nkysymys",
        "-----Alkuperäinen viesti-----\nLähettäjä: KPK\nkysymys",
        "________________________________\nFrom: KPK <p@kpk.example>\nSent: Monday\nkysymys",
        "Lähettäjä: KPK Palvelupiste <p@kpk.example>\nLähetetty: maanantai 30.11.2026 9.58\n"
        "Vastaanottaja: Maija\nAihe: RE: asia\n\nkysymys",
        "Från: KPK Servicedisken <p@kpk.example>\nSkickat: den 30 november 2026 09:58\nfråga",
        "> kysymys\n> toinen rivi",
    ],
)
def test_quoted_history_is_trimmed_from_a_reply(quote):
    assert trim_reply(f"Vastaus tässä.\n\n{quote}\n") == "Vastaus tässä."


def test_inline_answers_between_quotes_are_kept():
    text = "> Missä kerroksessa?\nKolmannessa.\n> Mikä huone?\n312."
    assert trim_reply(text) == "> Missä kerroksessa?\nKolmannessa.\n> Mikä huone?\n312."


def test_signatures_and_mobile_footers_go():
    assert trim_reply("Kiitos!\n\n-- \nMaija\npuh. 040 123") == "Kiitos!"
    assert trim_reply("Kiitos!\n\nSent from my iPhone") == "Kiitos!"
    assert trim_reply("Kiitos!\n\nLähetetty iPhonesta") == "Kiitos!"


def test_a_line_that_merely_mentions_from_is_not_a_quote():
    text = "From: the log it seems the driver crashed.\nPlease check."
    assert trim_reply(text) == text


def test_trimming_never_leaves_nothing():
    assert trim_reply("> vain lainausta") == "> vain lainausta"
    assert trim_signature("-- \nvain allekirjoitus") == "-- \nvain allekirjoitus"


def test_a_new_message_keeps_its_forwarded_history():
    text = "Katsokaa tätä.\n\n-----Original Message-----\nFrom: X\nSent: Y\nvirhe"
    assert trim_signature(text) == text


# --- loops ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "sender", "ctype", "reason", "outcome"),
    [
        ({"auto-submitted": "auto-replied"}, "a@b.fi", "text/plain", "auto_submitted", "ignored"),
        ({"auto-submitted": "auto-generated"}, "a@b.fi", "text/plain", "auto_submitted", "ignored"),
        ({"precedence": "bulk"}, "a@b.fi", "text/plain", "precedence", "ignored"),
        ({"precedence": "Junk"}, "a@b.fi", "text/plain", "precedence", "ignored"),
        ({"precedence": "list"}, "a@b.fi", "text/plain", "precedence", "ignored"),
        ({"x-autoreply": "yes"}, "a@b.fi", "text/plain", "autoreply", "ignored"),
        (
            {"x-auto-response-suppress": "All"},
            "a@b.fi",
            "text/plain",
            "auto_response_suppress",
            "ignored",
        ),
        ({"x-loop": "a@b.fi"}, "a@b.fi", "text/plain", "x_loop", "ignored"),
        ({}, "MAILER-DAEMON@mx.b.fi", "text/plain", "bounce", "quarantined"),
        ({}, "postmaster@b.fi", "text/plain", "bounce", "quarantined"),
        ({"return-path": "<>"}, "a@b.fi", "text/plain", "bounce", "quarantined"),
        ({}, "a@b.fi", "multipart/report", "bounce", "quarantined"),
        (
            {"content-type": "multipart/report; report-type=disposition-notification"},
            "a@b.fi",
            "multipart/report",
            "read_receipt",
            "ignored",
        ),
        ({}, "Palvelupiste@KPK.example", "text/plain", "own_address", "ignored"),
    ],
)
def test_automatic_mail_is_recognised(headers, sender, ctype, reason, outcome):
    found = automatic(headers, sender, ctype, OWN)
    assert found is not None and (found.reason, found.outcome) == (reason, outcome)


@pytest.mark.parametrize(
    "headers", [{}, {"auto-submitted": "no"}, {"precedence": "normal"}, {"auto-submitted": "No"}]
)
def test_a_persons_mail_is_not_automatic(headers):
    assert automatic(headers, "maija@b.fi", "text/plain", OWN) is None


def test_no_reply_and_daemon_addresses_are_never_answered():
    assert may_answer("maija@b.fi")
    for sender in ("no-reply@b.fi", "noreply@b.fi", "do_not_reply@b.fi", "mailer-daemon@b.fi", ""):
        assert not may_answer(sender)


# --- numbers and answers -------------------------------------------------------------------


def test_ticket_numbers_are_found_bare_or_in_brackets_in_any_case():
    assert numbers_in("VS: [KPK-2026-00042] Tulostin") == ["KPK-2026-00042"]
    assert numbers_in("re: kpk-2026-00042 ja KPK-2025-12345") == [
        "KPK-2026-00042",
        "KPK-2025-12345",
    ]
    assert numbers_in("XKPK-2026-00042 tai KPK-2026-0042") == []


def test_the_automatic_answer_speaks_the_senders_language_or_all_three():
    sv = answer("no_agreement", "sv", "Hjälp")
    assert sv.subject.startswith("Ditt meddelande") and sv.subject.endswith(": Hjälp")
    assert "serviceavtal" in sv.body and "Hei" not in sv.body
    every = answer("unknown_sender", None, "")
    assert every.subject.count(" / ") == 2
    assert all(word in every.body for word in ("Hei", "Hej", "Hello"))
    assert "automaattinen" in answer("something_new", "fi", "x").body  # unknown reason: generic


def test_a_message_forwarded_as_an_attachment_is_kept_whole_not_read_as_the_body():
    inner = b"From: x@y.fi\nSubject: Alkuperainen\nContent-Type: text/plain\n\nsisempi teksti\n"
    raw = (
        b"From: a@b.fi\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=XX\n\n"
        b"--XX\nContent-Type: text/plain\n\nKatso liite.\n"
        b"--XX\nContent-Type: message/rfc822\nContent-Disposition: attachment\n\n"
        + inner
        + b"--XX--\n"
    )
    mail = parse(raw)
    assert mail.text == "Katso liite."
    (forwarded,) = mail.attachments
    assert (forwarded.filename, forwarded.content_type) == ("Alkuperainen.eml", "message/rfc822")
    assert b"sisempi teksti" in forwarded.data
