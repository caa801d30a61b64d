"""Reads on the outbox: what waits, what failed, what nobody knows about."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicedesk.db import utcnow
from servicedesk.notifications.models import STATUSES, OutboxMessage

#: A `sending` row older than this lost its sender: reported, never resent blindly
#: (`servicedesk.notifications.sender` explains why). A sender run starts no new
#: send after a minute and each SMTP call times out, so this is far beyond any run.
STALE_SENDING_AFTER = timedelta(minutes=15)


def status_counts(sess: Session) -> dict[str, int]:
    """How many messages are in each status (every status present, zero or not)."""
    counts = dict.fromkeys(STATUSES, 0)
    rows = sess.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    for status, n in rows:
        counts[status] = n
    return counts


def stale_sending(
    sess: Session, older_than: timedelta = STALE_SENDING_AFTER
) -> list[OutboxMessage]:
    """Messages claimed by a sender that never marked them: delivery unknown."""
    return list(
        sess.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.status == "sending", OutboxMessage.claimed_at < utcnow() - older_than
            )
            .order_by(OutboxMessage.id)
        )
    )


def failed_messages(sess: Session, limit: int = 100) -> list[OutboxMessage]:
    return list(
        sess.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == "failed")
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
    )
