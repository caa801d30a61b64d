"""The record that an organisation's monthly report went out: one row per organisation and
month, so that a restart or a second scheduler never sends it twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from servicedesk.db import Base, UTCDateTime, utcnow


class ReportDelivery(Base):
    __tablename__ = "report_deliveries"
    __table_args__ = (UniqueConstraint("organisation_id", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    #: The reported month, "YYYY-MM".
    month: Mapped[str] = mapped_column(String(7))
    #: When the mails were written to the outbox (they commit with this row).
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
