"""Deliver the outbox by e-mail, each message exactly once, with any number of senders.

The protocol, per batch (`send_pending`):

1. **Claim**, in one short transaction: pick pending rows whose `next_attempt_at`
   has come and set them to `sending` with this run's token, then commit. The
   claim is the conditional `UPDATE ... SET status='sending' WHERE id IN (...) AND
   status='pending'`, so two senders can never both own a row. On PostgreSQL the
   pick is `SELECT ... FOR UPDATE SKIP LOCKED`, so concurrent senders take disjoint
   rows instead of queueing behind each other; on SQLite every transaction starts
   with `BEGIN IMMEDIATE` (`servicedesk.db`), which serialises the claim.
2. **Send** each claimed message with no transaction open: no row lock is held
   during an SMTP conversation.
3. **Mark**, one short transaction per message: `sent`; or back to `pending` with
   an exponential back-off (`attempts` + 1); or `failed` after `MAX_ATTEMPTS` or
   a permanent (5xx) refusal. Claimed messages the run did not get to (the
   transport went away, the time budget ran out, an error) are released to
   `pending` untouched.

**The crash window.** If the process dies after the SMTP server accepted a
message and before step 3 committed, the row stays `sending`. Nobody can tell
from the database whether the mail went out, and SMTP has no idempotency key,
so sending it again might deliver it twice. We choose *at most once* for that
window: a `sending` row older than `STALE_SENDING_AFTER` is never resent
automatically; every run reports it (a warning naming its id and Message-ID),
and an operator checks the mail server's log for the Message-ID, then runs
`servicedesk outbox mark-sent ID` or `servicedesk outbox requeue ID`. Outside
that window (a crash before sending, a failed send) the message is retried, so
every message is delivered exactly once unless a process dies in the middle of
its own SMTP conversation. The Message-ID is stable per row, so even a resend
by an operator is recognisable as the same message. (The mirror case, the
server accepting the data but the connection dropping before its reply, is
SMTP's own ambiguity; it counts as a failure and is retried.)

The threshold is far above a run's length: a run starts no new send after
`BATCH_TIME_BUDGET` and each SMTP call has a timeout, so a `sending` row that
old belongs to a sender that stopped.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from servicedesk.config import ConfigError, Settings
from servicedesk.db import utcnow
from servicedesk.notifications.models import OutboxAttachment, OutboxMessage
from servicedesk.notifications.queries import STALE_SENDING_AFTER, stale_sending

log = logging.getLogger(__name__)

#: After this many failed attempts a message is `failed` (an operator may requeue it).
MAX_ATTEMPTS = 5
#: Back-off after the n-th failure: BASE * FACTOR ** (n - 1): 1, 4, 16, 64 minutes.
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_FACTOR = 4
#: A run starts no new send after this many seconds; the rest wait for the next run.
BATCH_TIME_BUDGET = 60.0
_ERROR_MAX = 2000


class DeliveryError(Exception):
    """A transport could not deliver one message; `permanent` when retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class TransportUnavailable(DeliveryError):
    """The transport can deliver nothing now (no connection): the batch stops."""


class Transport(Protocol):
    mail_from: str

    def send(self, message: EmailMessage) -> None:
        """Deliver or raise (DeliveryError for an answer, anything else for a fault)."""

    def close(self) -> None:
        """Release a connection kept open across a batch (called after every batch)."""


@dataclass(frozen=True)
class ClaimedMessage:
    """What a sender needs of a claimed row, read inside the claim transaction."""

    id: int
    kind: str
    recipient: str
    subject: str
    body: str
    ticket_id: int | None
    attempts: int
    created_at: datetime
    html_body: str | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    references_header: str | None = None
    auto_submitted: str | None = None
    #: Files sent with the message: (filename, content type, bytes).
    attachments: tuple[tuple[str, str, bytes], ...] = ()

    @classmethod
    def of(
        cls, row: OutboxMessage, attachments: tuple[tuple[str, str, bytes], ...] = ()
    ) -> ClaimedMessage:
        return cls(
            row.id,
            row.kind,
            row.recipient,
            row.subject,
            row.body,
            row.ticket_id,
            row.attempts,
            row.created_at,
            row.html_body,
            row.message_id,
            row.in_reply_to,
            row.references_header,
            row.auto_submitted,
            attachments,
        )


def message_id(
    outbox_id: int, created_at: datetime, mail_from: str, stored: str | None = None
) -> str:
    """A Message-ID stable for the row: a resend is recognisably the same message.

    The one set at enqueue (`outbox.message_id`, ticket mail: replies find their ticket
    by it) when there is one; else one derived from the row."""
    if stored:
        return stored
    domain = mail_from.rpartition("@")[2] or "localhost"
    return f"<outbox-{outbox_id}.{created_at:%Y%m%d%H%M%S}@{domain}>"


def build_email(message: ClaimedMessage | OutboxMessage, mail_from: str) -> EmailMessage:
    """The e-mail for an outbox row: UTF-8 text, headers encoded as RFC 2047 requires.

    With an HTML part the mail is multipart/alternative (text first: the fallback);
    the threading headers (In-Reply-To, References) come from the row.
    """
    email = EmailMessage()
    email["From"] = mail_from
    email["To"] = message.recipient
    _set_text_header(email, "Subject", message.subject)
    email["Date"] = format_datetime(utcnow())
    email["Message-ID"] = message_id(message.id, message.created_at, mail_from, message.message_id)
    if message.in_reply_to:
        email["In-Reply-To"] = message.in_reply_to
    if message.references_header:
        email["References"] = message.references_header
    # RFC 3834: a machine wrote this; out-of-office replies should not answer it.
    email["Auto-Submitted"] = message.auto_submitted or "auto-generated"
    email["X-KPK-Outbox-Kind"] = message.kind
    if message.ticket_id is not None:
        email["X-KPK-Ticket-Id"] = str(message.ticket_id)
    # Quoted-printable keeps the body 7-bit: any relay takes it, ä and å survive.
    email.set_content(message.body, charset="utf-8", cte="quoted-printable")
    if message.html_body:
        email.add_alternative(
            message.html_body, subtype="html", charset="utf-8", cte="quoted-printable"
        )
    for filename, content_type, data in getattr(message, "attachments", ()) or ():
        maintype, _, subtype = content_type.partition("/")
        email.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return email


def _set_text_header(email: EmailMessage, name: str, value: str) -> None:
    """Set a free-text header so that it decodes to exactly `value`.

    Python 3.11's header folder can drop the space between two encoded-words it
    puts on separate lines (a subject with an en dash before "Åbo" arrived with
    the two glued together; cf. python/cpython#144156).
    The legacy `Header` encoder keeps whitespace inside the encoded-words, and
    `set_raw` keeps its folding as it is.
    """
    if value.isascii():
        email[name] = value
    else:
        email.set_raw(name, Header(value, "utf-8", header_name=name).encode(linesep="\n"))


def readable(email: EmailMessage) -> str:
    """An e-mail as a person reads it: decoded headers and body (file and log transports)."""
    lines = ["=" * 72]
    for name in (
        "Date",
        "From",
        "To",
        "Subject",
        "Message-ID",
        "In-Reply-To",
        "X-KPK-Outbox-Kind",
        "X-KPK-Ticket-Id",
    ):
        if email[name] is not None:
            lines.append(f"{name}: {email[name]}")
    text = email.get_body(("plain",)) if email.is_multipart() else email
    body = text.get_content() if text is not None else ""
    return "\n".join(lines) + "\n\n" + body.rstrip("\n") + "\n\n"


class SmtpTransport:
    """Plain SMTP (the relay of the centre); one connection per batch, reopened after a fault."""

    def __init__(
        self,
        host: str,
        port: int = 25,
        mail_from: str = "palvelupiste@kpk.example",
        *,
        timeout: float = 30.0,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.host, self.port, self.mail_from = host, port, mail_from
        self.timeout, self.starttls = timeout, starttls
        self.username, self.password = username, password
        self._smtp: smtplib.SMTP | None = None

    def __repr__(self) -> str:
        return f"SmtpTransport({self.host}:{self.port})"

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            try:
                smtp.ehlo_or_helo_if_needed()
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if self.username:
                    smtp.login(self.username, self.password or "")
            except BaseException:
                smtp.close()
                raise
            self._smtp = smtp
        return self._smtp

    def send(self, message: EmailMessage) -> None:
        try:
            smtp = self._connection()
        except OSError as exc:  # smtplib.SMTPException is an OSError too
            raise TransportUnavailable(f"SMTP {self.host}:{self.port}: {exc}") from exc
        try:
            smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(
                f"recipient refused: {_describe(exc.recipients)}",
                permanent=all(code >= 500 for code in codes),
            ) from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise DeliveryError(
                f"{exc.smtp_code} {_text(exc.smtp_error)}", permanent=exc.smtp_code >= 500
            ) from exc
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as exc:
            self.close()
            raise TransportUnavailable(f"SMTP {self.host}:{self.port}: {exc}") from exc
        except smtplib.SMTPException as exc:
            self.close()
            raise DeliveryError(f"SMTP: {exc}") from exc
        except OSError as exc:  # the socket broke: timeout, reset
            self.close()
            raise TransportUnavailable(f"SMTP {self.host}:{self.port}: {exc}") from exc

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


class FileTransport:
    """Local mode: append each e-mail, readable, to a file (`MAIL_FILE`)."""

    _lock = threading.Lock()

    def __init__(self, path: str | Path, mail_from: str = "palvelupiste@kpk.example") -> None:
        self.path, self.mail_from = Path(path), mail_from

    def __repr__(self) -> str:
        return f"FileTransport({str(self.path)!r})"

    def send(self, message: EmailMessage) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = readable(message)
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(text)  # one write in append mode: concurrent writers do not interleave

    def close(self) -> None:
        pass


class LogTransport:
    """Local mode: write each e-mail, readable, to the application log."""

    def __init__(self, mail_from: str = "palvelupiste@kpk.example") -> None:
        self.mail_from = mail_from

    def send(self, message: EmailMessage) -> None:
        log.info("e-mail (log transport):\n%s", readable(message))

    def close(self) -> None:
        pass


def transport_from_settings(settings: Settings) -> Transport:
    """MAIL_TRANSPORT: smtp (SMTP_HOST, SMTP_PORT), file (MAIL_FILE) or log."""
    kind = settings.mail_transport.strip().lower()
    if kind == "smtp":
        return SmtpTransport(settings.smtp_host, settings.smtp_port, settings.mail_from)
    if kind == "file":
        return FileTransport(settings.mail_file, settings.mail_from)
    if kind == "log":
        return LogTransport(settings.mail_from)
    raise ConfigError(f"MAIL_TRANSPORT must be smtp, file or log, not {settings.mail_transport!r}")


def backoff(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failure."""
    return BACKOFF_BASE * BACKOFF_FACTOR ** max(attempts - 1, 0)


SessionFactory = Callable[[], Session]


def session_factory(target: Flask | Engine | sessionmaker[Session]) -> SessionFactory:
    """Sessions from an app, an engine (made by `servicedesk.db.make_engine`) or a sessionmaker."""
    if isinstance(target, Flask):
        return target.extensions["db_sessionmaker"]
    if isinstance(target, Engine):
        return sessionmaker(bind=target, expire_on_commit=False)
    return target


def send_pending(
    target: Flask | Engine | sessionmaker[Session],
    transport: Transport,
    limit: int = 100,
    *,
    time_budget: float = BATCH_TIME_BUDGET,
) -> int:
    """Send up to `limit` due messages; answer how many were delivered.

    Safe to run in any number of threads and processes at once: each message is
    claimed by exactly one of them (see the module documentation).
    """
    new_session = session_factory(target)
    token = f"{socket.gethostname()[:100]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    remaining = _claim(new_session, limit, token)
    sent = 0
    deadline = time.monotonic() + time_budget
    try:
        while remaining and time.monotonic() < deadline:
            message = remaining.pop(0)
            try:
                transport.send(build_email(message, transport.mail_from))
            except DeliveryError as exc:
                _record_failure(new_session, message, token, str(exc), permanent=exc.permanent)
                if isinstance(exc, TransportUnavailable):
                    break
                continue
            except Exception as exc:  # a transport fault must not stop the other messages
                log.exception("outbox %s: sending failed", message.id)
                _record_failure(
                    new_session, message, token, f"{type(exc).__name__}: {exc}", permanent=False
                )
                continue
            _mark_sent(new_session, message, token)
            sent += 1
    finally:
        try:
            transport.close()
        finally:
            if remaining:
                _release(new_session, [m.id for m in remaining], token)
    _report_stale(new_session, transport.mail_from)
    return sent


def _claim(new_session: SessionFactory, limit: int, token: str) -> list[ClaimedMessage]:
    with new_session() as sess, sess.begin():
        now = utcnow()
        pick = (
            select(OutboxMessage.id)
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
        if sess.get_bind().dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        ids = list(sess.scalars(pick))
        if not ids:
            return []
        rows = sess.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.status == "pending")
            .values(status="sending", claimed_at=now, claimed_by=token)
            .returning(OutboxMessage)
        ).all()
        files: dict[int, list[tuple[str, str, bytes]]] = {}
        for file in sess.execute(
            select(
                OutboxAttachment.outbox_id,
                OutboxAttachment.filename,
                OutboxAttachment.content_type,
                OutboxAttachment.data,
            )
            .where(OutboxAttachment.outbox_id.in_(ids))
            .order_by(OutboxAttachment.id)
        ):
            files.setdefault(file.outbox_id, []).append(
                (file.filename, file.content_type, bytes(file.data))
            )
        claimed = [ClaimedMessage.of(row, tuple(files.get(row.id, ()))) for row in rows]
    order = {id_: n for n, id_ in enumerate(ids)}
    return sorted(claimed, key=lambda m: order[m.id])


def _owned(message_id_: int, token: str) -> list[object]:
    return [
        OutboxMessage.id == message_id_,
        OutboxMessage.status == "sending",
        OutboxMessage.claimed_by == token,
    ]


def _mark_sent(new_session: SessionFactory, message: ClaimedMessage, token: str) -> None:
    with new_session() as sess, sess.begin():
        done = sess.execute(
            update(OutboxMessage)
            .where(*_owned(message.id, token))
            .values(status="sent", sent_at=utcnow(), last_error=None)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            log.warning("outbox %s: sent, but an operator changed the row meanwhile", message.id)


def _record_failure(
    new_session: SessionFactory, message: ClaimedMessage, token: str, error: str, *, permanent: bool
) -> None:
    attempts = message.attempts + 1
    final = permanent or attempts >= MAX_ATTEMPTS
    values: dict[str, object] = {
        "attempts": attempts,
        "last_error": error[:_ERROR_MAX],
        "status": "failed" if final else "pending",
        "claimed_at": None,
        "claimed_by": None,
    }
    if not final:
        values["next_attempt_at"] = utcnow() + backoff(attempts)
    with new_session() as sess, sess.begin():
        sess.execute(update(OutboxMessage).where(*_owned(message.id, token)).values(**values))
    level = logging.ERROR if final else logging.WARNING
    log.log(
        level,
        "outbox %s to %s: attempt %d failed%s: %s",
        message.id,
        message.recipient,
        attempts,
        " (giving up)" if final else "",
        error,
    )


def _release(new_session: SessionFactory, ids: Iterable[int], token: str) -> None:
    """Give back claimed messages this run did not try: no attempt is counted."""
    ids = list(ids)
    try:
        with new_session() as sess, sess.begin():
            sess.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id.in_(ids),
                    OutboxMessage.status == "sending",
                    OutboxMessage.claimed_by == token,
                )
                .values(status="pending", claimed_at=None, claimed_by=None)
            )
    except Exception:
        # They stay `sending` and will be reported; never sent twice.
        log.exception("outbox: could not release unsent messages %s", ids)


def _report_stale(new_session: SessionFactory, mail_from: str) -> list[int]:
    """Log (warning) every message whose delivery is unknown; resend none of them."""
    with new_session() as sess:
        stale = stale_sending(sess)
    if stale:
        log.warning(
            "%d outbox message(s) stuck in 'sending' for over %s: their sender stopped after "
            "claiming, the mail may or may not have gone out; not resent automatically: %s. "
            "Check the mail server's log for the Message-ID, then run `servicedesk outbox "
            "mark-sent ID` or `servicedesk outbox requeue ID`.",
            len(stale),
            STALE_SENDING_AFTER,
            ", ".join(
                f"#{m.id} {message_id(m.id, m.created_at, mail_from, m.message_id)} claimed "
                f"{m.claimed_at:%Y-%m-%dT%H:%M:%SZ} by {m.claimed_by}"
                for m in stale[:20]
            ),
        )
    return [m.id for m in stale]


def send_outbox_job(app: Flask, sess: Session) -> None:
    """Scheduler job "send-outbox".

    `sess` is the job's guard: on PostgreSQL it holds the job's advisory lock for
    as long as this runs, so one scheduler process sends at a time. It is not
    used for the work: the claim/send/mark protocol commits in its own short
    transactions, and delivering exactly once rests on the row claims, not on
    the lock (several `servicedesk outbox send` may run beside the scheduler).
    The guard must stay unused: on SQLite a transaction there would hold the
    write lock the sender's own transactions need.
    """
    send_pending(app, transport_from_settings(app.config["SETTINGS"]))


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _describe(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{addr}: {code} {_text(msg)}" for addr, (code, msg) in refused.items())
