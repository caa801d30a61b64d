"""Every incoming message, kept with its raw bytes: nothing is lost, a retry is recognised."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from servicedesk.db import Base, UTCDateTime, utcnow

#: What became of a message.
OUTCOMES = ("ticket", "comment", "auto_answer", "ignored", "quarantined")


class InboundMail(Base):
    """One received message and its outcome.

    `dedup_key` is the Message-ID (or, without one, a hash of the raw bytes): the same
    mail delivered twice is one row, so it makes one ticket or comment.
    """

    __tablename__ = "inbound_mail"
    __table_args__ = (
        CheckConstraint(
            "outcome IN ('ticket', 'comment', 'auto_answer', 'ignored', 'quarantined')",
            name="outcome",
        ),
        # The per-sender rate: this sender's messages in the last hour.
        Index("ix_inbound_mail_sender_received", "sender", "received_at"),
        Index("ix_inbound_mail_outcome", "outcome"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(250), unique=True)
    message_id: Mapped[str | None] = mapped_column(String(250))
    #: The envelope or From address, lower-cased.
    sender: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    #: pipe (servicedesk mail-in) or imap.
    source: Mapped[str] = mapped_column(String(10))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    outcome: Mapped[str] = mapped_column(String(12))
    #: Why: a machine word (e.g. "auto_submitted", "unknown_sender", "not_owner") + words.
    reason: Mapped[str] = mapped_column(Text, default="")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_comments.id"))
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: How many times an admin re-processed it from quarantine.
    attempts: Mapped[int] = mapped_column(Integer, default=1)
