"""The one code path of incoming mail, for the pipe and the IMAP poller alike.

1. `store`: the raw bytes go into `inbound_mail` in a transaction of their own, as
   quarantined ("not placed yet"), keyed by Message-ID (or a hash of the bytes). A second
   delivery of the same mail meets the unique key and changes nothing; so does a
   concurrent one (the database decides, ON CONFLICT DO NOTHING).
2. `process`: in a savepoint, the message is parsed and placed: ignored (automatic, a
   loop), a comment on the ticket it answers (only from someone who may see that
   ticket), a new ticket (through the API's own `create_ticket`, the same gate), one
   polite automatic answer (a refused sender), or quarantine. Whatever goes wrong in
   there (bytes nobody can read, a refusal, a bug) rolls the savepoint back and leaves
   the row quarantined with the reason: nothing is lost, and an admin can re-process.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from catalog.agreements.queries import entitlement_for
from catalog.gate import Refusal
from catalog.services.models import Service
from servicedesk import db
from servicedesk.access import ticket_scope
from servicedesk.attachments.operations import add_attachment
from servicedesk.config import Settings
from servicedesk.db import upsert_insert, utcnow
from servicedesk.enums import CUSTOMER_ROLES
from servicedesk.errors import ApiError, Conflict
from servicedesk.mail import answers, loops, threads
from servicedesk.mail.models import InboundMail
from servicedesk.mail.parse import ParsedMail, dedup_key, parse
from servicedesk.mail.trim import trim_reply, trim_signature
from servicedesk.notifications.operations import enqueue
from servicedesk.tickets.lifecycle import TERMINAL_STATUSES, Status
from servicedesk.tickets.models import Ticket
from servicedesk.tickets.operations import add_comment, create_ticket
from servicedesk.users.models import User
from servicedesk.users.operations import find_user_by_email

log = logging.getLogger("servicedesk.mail")

#: The reason of a row stored but not placed yet; left there only by a crash mid-way.
NOT_PLACED = "not_placed: received, processing did not finish"
#: Outcomes an admin may re-process; a ticket or comment is placed for good.
REPROCESSABLE = frozenset({"quarantined", "ignored", "auto_answer"})
_TITLE_MAX, _TEXT_MAX, _REASON_MAX = 200, 20000, 2000
_NO_SUBJECT = {"fi": "(ei aihetta)", "sv": "(ingen ämnesrad)", "en": "(no subject)"}
_NO_TEXT = {"fi": "(ei viestitekstiä)", "sv": "(ingen meddelandetext)", "en": "(no message text)"}
_CODE_TOKEN = re.compile(r"[\w.-]+")


@dataclass(frozen=True)
class Result:
    id: int
    outcome: str
    reason: str
    ticket_id: int | None
    comment_id: int | None
    #: The same mail was received before: nothing changed.
    duplicate: bool = False


def _result(row: InboundMail, duplicate: bool = False) -> Result:
    return Result(row.id, row.outcome, row.reason, row.ticket_id, row.comment_id, duplicate)


def receive(app: Flask, raw: bytes, source: str) -> Result:
    """Store, then place, one raw message: two transactions (see the module docstring).

    Raises SQLAlchemy's OperationalError when the database cannot be reached before the
    mail is stored (the pipe's caller answers EX_TEMPFAIL so the MTA retries).
    """
    settings: Settings = app.config["SETTINGS"]
    # The app's context: what the operations read of the configuration (the attachment
    # limit) is this app's, also from the CLI and the scheduler's threads.
    with app.app_context():
        with db.unit_of_work(app) as sess:
            row, duplicate = store(sess, raw, source)
            if duplicate:
                return _result(row, duplicate=True)
            row_id = row.id
        with db.unit_of_work(app) as sess:
            row = sess.get(InboundMail, row_id)
            assert row is not None
            process(sess, row, settings)
            return _result(row)


def store(sess: Session, raw: bytes, source: str) -> tuple[InboundMail, bool]:
    """Keep the raw mail (quarantined until placed); (row, duplicate)."""
    key, mid = dedup_key(raw)
    try:
        mail = parse(raw)
        sender, subject = mail.sender, mail.subject
    except Exception:  # kept whatever it is; `process` says why later
        sender, subject = "", ""
    now = utcnow()
    stmt = (
        upsert_insert(sess)(InboundMail)
        .values(
            dedup_key=key,
            message_id=mid,
            sender=sender[:254],
            subject=subject[:300],
            source=source,
            received_at=now,
            raw=raw,
            outcome="quarantined",
            reason=NOT_PLACED,
            processed_at=now,
            attempts=1,
        )
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(InboundMail.id)
    )
    new_id = sess.execute(stmt).scalar()
    if new_id is None:
        found = sess.scalar(select(InboundMail).where(InboundMail.dedup_key == key))
        assert found is not None
        return found, True
    row = sess.get(InboundMail, new_id)
    assert row is not None
    return row, False


def reprocess(sess: Session, row: InboundMail, settings: Settings) -> InboundMail:
    """Place a quarantined (or ignored, or refused) mail again, e.g. after its sender was
    added as a user; in the caller's transaction. The flood limit does not apply: an
    admin decided."""
    if row.outcome not in REPROCESSABLE:
        raise Conflict(
            f"Mail {row.id} was placed already ({row.outcome}); it is not processed twice.",
            code="already_placed",
            details={"outcome": row.outcome, "ticket_id": row.ticket_id},
        )
    row.attempts += 1
    process(sess, row, settings, check_rate=False)
    sess.flush()
    return row


def process(
    sess: Session, row: InboundMail, settings: Settings, *, check_rate: bool = True
) -> None:
    """Place `row` in a savepoint; any failure leaves it quarantined with the reason."""
    try:
        with sess.begin_nested():
            _place(sess, row, parse(row.raw), settings, check_rate)
    except (OperationalError, InterfaceError):
        raise  # the database itself is gone: nothing to record it in
    except Exception as exc:  # a bug or unreadable bytes: keep the mail
        if isinstance(exc, ApiError):
            reason = f"refused: {exc.code}: {exc.message}"
        elif isinstance(exc, DBAPIError):
            reason = f"error: {type(exc.orig).__name__}: {str(exc.orig).splitlines()[0]}"
        else:
            log.exception("incoming mail %s could not be placed", row.id)
            reason = f"error: {type(exc).__name__}: {exc}"
        row.outcome, row.ticket_id, row.comment_id = "quarantined", None, None
        row.reason = reason[:_REASON_MAX]
    row.processed_at = utcnow()
    sess.flush()


def _set(row: InboundMail, outcome: str, reason: str) -> None:
    row.outcome, row.reason = outcome, reason[:_REASON_MAX]


def own_addresses(settings: Settings) -> set[str]:
    found = {parseaddr(settings.mail_from)[1].lower()}
    if "@" in settings.imap_user:
        found.add(settings.imap_user.lower())
    return found - {""}


def _place(
    sess: Session, row: InboundMail, mail: ParsedMail, settings: Settings, check_rate: bool
) -> None:
    row.sender, row.subject = mail.sender[:254], mail.subject[:300]
    row.ticket_id = row.comment_id = None
    auto = loops.automatic(mail.headers, mail.sender, mail.content_type, own_addresses(settings))
    if auto is not None:
        _set(row, auto.outcome, f"{auto.reason}: {auto.words}")
        return
    if not mail.sender:
        _set(row, "quarantined", "no_sender: the message has no readable From address")
        return
    if check_rate and _recent(sess, row) >= settings.mail_in_rate_per_hour:
        _set(
            row,
            "quarantined",
            f"rate_limited: more than {settings.mail_in_rate_per_hour} messages from "
            f"{mail.sender} in an hour",
        )
        return
    user = find_user_by_email(sess, mail.sender)
    if user is not None and not user.active:
        user = None
    note = ""
    ticket = threads.find_ticket(sess, mail.thread_ids, mail.subject)
    if ticket is not None:
        if user is not None and _may_see(sess, user, ticket):
            if Status(ticket.status) not in TERMINAL_STATUSES:
                _comment(sess, row, mail, user, ticket)
                return
            note = f"; {ticket.number} is {ticket.status}, so filed as a new ticket"
        else:
            # Never a comment on a ticket the sender may not see (Zammad's leak).
            refused = f"thread_refused: {mail.sender} may not see {ticket.number}"
            if user is None or user.role_enum not in CUSTOMER_ROLES:
                _set(row, "quarantined", refused)
                return
            note = f"; {refused}, so filed as a new ticket"
    _new_ticket(sess, row, mail, user, note)


def _recent(sess: Session, row: InboundMail) -> int:
    since = utcnow() - timedelta(hours=1)
    return int(
        sess.scalar(
            select(func.count())
            .select_from(InboundMail)
            .where(
                InboundMail.sender == row.sender,
                InboundMail.received_at >= since,
                InboundMail.id != row.id,
            )
        )
        or 0
    )


def _may_see(sess: Session, user: User, ticket: Ticket) -> bool:
    return (
        sess.scalar(select(Ticket.id).where(Ticket.id == ticket.id, ticket_scope(user))) is not None
    )


def _comment(sess: Session, row: InboundMail, mail: ParsedMail, user: User, ticket: Ticket) -> None:
    body = trim_reply(mail.text)[:_TEXT_MAX] or _NO_TEXT.get(user.locale, _NO_TEXT["fi"])
    comment = add_comment(sess, user, ticket, body, internal=False)
    sess.flush()
    skipped = _attach(sess, mail, ticket, user, comment)
    _set(row, "comment", f"reply on {ticket.number} from {mail.sender}{skipped}")
    row.ticket_id, row.comment_id = ticket.id, comment.id


def _new_ticket(
    sess: Session, row: InboundMail, mail: ParsedMail, user: User | None, note: str
) -> None:
    if user is None:
        _auto_answer(sess, row, mail, None, "unknown_sender", f"unknown sender{note}")
        return
    if user.role_enum not in CUSTOMER_ROLES or user.organisation_id is None:
        _set(
            row,
            "quarantined",
            f"not_customer: {user.email} is {user.role}; the desk files tickets for a "
            f"requester{note}",
        )
        return
    ticket_type = "incident"
    service = _service_in(sess, mail.subject)
    gate = entitlement_for(sess, user.organisation_id, service, utcnow(), ticket_type)
    if isinstance(gate, Refusal) and service is not None:
        service = None  # a service outside the agreement: filed unclassified, the desk decides
        gate = entitlement_for(sess, user.organisation_id, None, utcnow(), ticket_type)
    if isinstance(gate, Refusal):
        _auto_answer(sess, row, mail, user, gate.reason.value, gate.message + note)
        return
    locale = user.locale if user.locale in _NO_SUBJECT else "fi"
    data = {
        "type": ticket_type,
        "title": (mail.subject or _NO_SUBJECT[locale])[:_TITLE_MAX],
        "description": trim_signature(mail.text)[:_TEXT_MAX] or _NO_TEXT[locale],
        "impact": "medium",
        "urgency": "medium",
        "service_id": service.id if service else None,
    }
    ticket, _ = create_ticket(sess, user, data, via="email")
    if mail.message_id and len(mail.message_id) <= 248:
        # In header form, as outgoing mail threads on it (`notifications.threads`).
        ticket.mail_message_id = f"<{mail.message_id}>"
    skipped = _attach(sess, mail, ticket, user, None)
    _set(row, "ticket", f"new ticket {ticket.number} from {mail.sender}{note}{skipped}")
    row.ticket_id = ticket.id


def _service_in(sess: Session, subject: str) -> Service | None:
    """The one service whose code the subject names ("[WILMA] ei aukea"), if exactly one."""
    tokens = {t.upper() for t in _CODE_TOKEN.findall(subject) if len(t) >= 2}
    if not tokens:
        return None
    found = list(
        sess.scalars(
            select(Service).where(
                func.upper(Service.code).in_(tokens), Service.retired_at.is_(None)
            )
        )
    )
    return found[0] if len(found) == 1 else None


def _attach(
    sess: Session, mail: ParsedMail, ticket: Ticket, user: User, comment: object | None
) -> str:
    """Keep the attachments; the words for those that could not be kept ("" when none)."""
    skipped = []
    for part in mail.attachments:
        try:
            with sess.begin_nested():
                # The API's rules and its `attachment_added` event, as for an upload.
                add_attachment(
                    sess,
                    user,
                    ticket,
                    data=part.data,
                    filename=part.filename,
                    comment_id=getattr(comment, "id", None),
                )
        except ApiError as exc:
            skipped.append(f"{part.filename} ({exc.code})")
    return f"; attachments not kept: {', '.join(skipped)}" if skipped else ""


def _auto_answer(
    sess: Session,
    row: InboundMail,
    mail: ParsedMail,
    user: User | None,
    reason: str,
    words: str,
) -> None:
    """One polite answer with the reason; at most one a day per address (a sender whose
    own auto-responder does not say it is one cannot start a loop)."""
    if not loops.may_answer(mail.sender):
        _set(row, "quarantined", f"{reason}: {words}; {mail.sender} is not answered")
        return
    text = answers.answer(reason, user.locale if user else None, mail.subject)
    message = enqueue(
        sess,
        kind="auto_answer",
        recipient=mail.sender,
        subject=text.subject,
        body=text.body,
        dedup_key=f"auto_answer:{mail.sender}:{utcnow().date().isoformat()}"[:200],
    )
    if message is None:
        _set(row, "ignored", f"{reason}: {words}; answered already today")
        return
    message.auto_submitted = "auto-replied"
    if mail.message_id:
        message.in_reply_to = f"<{mail.message_id}>"[:250]
        message.references_header = f"<{mail.message_id}>"
    _set(row, "auto_answer", f"{reason}: {words}")
