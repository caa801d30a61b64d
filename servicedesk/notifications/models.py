"""The outbox: one row per e-mail to send, written with the change that caused it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from servicedesk.db import Base, UTCDateTime, utcnow

#: Kinds in use; the column is free text so a new kind needs no migration.
KINDS = (
    "sla_warning",
    "sla_breach",
    "escalation",
    "renewal_reminder",
    "ticket_update",
    "requester",  # to the requester: acknowledgement, reply, question, resolved, closed
    "desk",  # to the desk: new ticket to the group, assignment
    "auto_answer",  # to the sender of refused incoming mail
    "low_rating",  # a rating of 1 or 2, to the account managers
    "monthly_report",  # the month's service-level report, PDF attached
)
STATUSES = ("pending", "sending", "sent", "failed")


class OutboxMessage(Base):
    """An e-mail waiting for (or done with) delivery.

    Life cycle: pending -> sending (claimed by one sender, committed before the
    SMTP conversation) -> sent; a failed attempt goes back to pending with a later
    `next_attempt_at`, and to failed after the last attempt or a permanent refusal.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        # The sender's query: pending rows whose time has come, oldest first.
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: What it is about: sla_warning, sla_breach, escalation, renewal_reminder, ticket_update.
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    #: The plain-text part (always there).
    body: Mapped[str] = mapped_column(Text)
    #: The HTML part, when the message has one (multipart/alternative).
    html_body: Mapped[str | None] = mapped_column(Text)
    #: Set at enqueue time for mail that others reply to, so that a reply's In-Reply-To
    #: finds the ticket (`servicedesk.mail`); without it the sender derives one from the id.
    message_id: Mapped[str | None] = mapped_column(String(250), unique=True)
    #: Threading: the message this answers, and the thread's References header.
    in_reply_to: Mapped[str | None] = mapped_column(String(250))
    references_header: Mapped[str | None] = mapped_column(Text)
    #: RFC 3834: auto-generated (notifications) or auto-replied (answers to incoming mail).
    auto_submitted: Mapped[str | None] = mapped_column(String(20))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    #: Who enqueues twice gets one row: e.g. "sla_warning:clock:17:agent@kunta.fi".
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    #: Failed delivery attempts so far (a successful first delivery leaves it at 0).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Not before this instant: the creation instant, then the back-off after a failure.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When a sender set status to sending, and which one ("host:pid:run"): for the
    #: report of messages whose delivery is unknown because their sender stopped.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(120))

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} to {self.recipient} {self.status}>"


class OutboxAttachment(Base):
    """A file sent with an outbox message (e.g. the monthly report's PDF), stored with the
    row so that the mail and its attachment commit together and a resend sends the same."""

    __tablename__ = "outbox_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)
