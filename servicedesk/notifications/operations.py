"""Writes on the outbox: enqueue a message in the caller's transaction (flush only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from servicedesk import statements
from servicedesk.db import upsert_insert, utcnow
from servicedesk.notifications.models import OutboxMessage

_SUBJECT_MAX = 300
#: sess.info: this session replays history (the demo): what it enqueues was delivered when
#: it happened, so it is written as sent at that instant (`utcnow()`, frozen by the replay).
HISTORY = "outbox_history"


def enqueue(
    sess: Session,
    *,
    kind: str,
    recipient: str,
    subject: str,
    body: str,
    ticket_id: int | None = None,
    dedup_key: str | None = None,
    html_body: str | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references_header: str | None = None,
    auto_submitted: str | None = None,
) -> OutboxMessage | None:
    """Add an e-mail to the outbox in the caller's transaction; never commits.

    With a `dedup_key` the call is idempotent: if a row with that key exists (or
    is being inserted by a concurrent transaction that then commits), nothing is
    added and None is returned. The duplicate is skipped by the database itself
    (`INSERT ... ON CONFLICT DO NOTHING` on SQLite and PostgreSQL, a SAVEPOINT
    elsewhere), so it never aborts the caller's transaction and two racing
    processes get one row, not luck.
    """
    recipient = recipient.strip()
    if not recipient or "@" not in recipient:
        raise ValueError(f"not an e-mail address: {recipient!r}")
    now = utcnow()
    history = bool(sess.info.get(HISTORY))
    values: dict[str, Any] = {
        "kind": kind,
        "recipient": recipient,
        # A header cannot hold a line break (and must not: header injection).
        "subject": " ".join(subject.split())[:_SUBJECT_MAX],
        "body": body,
        "ticket_id": ticket_id,
        "dedup_key": dedup_key,
        "html_body": html_body,
        "message_id": message_id,
        "in_reply_to": in_reply_to,
        "references_header": references_header,
        "auto_submitted": auto_submitted,
        "status": "sent" if history else "pending",
        "sent_at": now if history else None,
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
    }
    if dedup_key is None:
        message = OutboxMessage(**values)
        sess.add(message)
        sess.flush()
        return message

    sess.flush()  # the caller's pending rows first (e.g. the ticket this mail refers to)
    dialect = sess.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        stmt = (
            upsert_insert(sess)(OutboxMessage)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[OutboxMessage.dedup_key])
            .returning(OutboxMessage)
        )
        return sess.scalars(stmt).one_or_none()

    # Any other database: a savepoint absorbs the duplicate, the transaction goes on.
    message = OutboxMessage(**values)  # pragma: no cover
    try:  # pragma: no cover
        with sess.begin_nested():
            sess.add(message)
    except IntegrityError:  # pragma: no cover
        return None
    return message  # pragma: no cover


def enqueue_rows(sess: Session, rows: list[dict[str, Any]]) -> None:
    """Add many outbox rows in ONE statement (executemany), skipping every row whose dedup
    key (or Message-ID) is taken: a retried request or a second scheduler adds nothing.

    The rows are complete (`ticket_mail.outbox_row` makes them, all with the same keys);
    flush only, never commits. The statement is built once per dialect: a multi-row VALUES
    built per call cost a ticket's creation a tenth of its time.
    """
    if not rows:
        return
    insert = upsert_insert(sess)
    stmt = statements.kept(
        ("outbox_insert", insert.__module__),
        lambda: insert(OutboxMessage.__table__).on_conflict_do_nothing(),
    )
    sess.execute(stmt, rows)


def requeue(sess: Session, ids: list[int]) -> int:
    """An operator's decision: send these `sending` or `failed` messages (again), now.

    For a stale `sending` message this may deliver it twice: only after the mail
    server's log showed it was not accepted. Answers how many rows changed.
    """
    result = sess.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.status.in_(("sending", "failed")))
        .values(status="pending", next_attempt_at=utcnow(), claimed_at=None, claimed_by=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def mark_sent(sess: Session, ids: list[int]) -> int:
    """An operator's decision: these stale `sending` messages did go out (per the mail log)."""
    result = sess.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.status == "sending")
        .values(status="sent", sent_at=utcnow(), last_error="marked sent by an operator")
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
