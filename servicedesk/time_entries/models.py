"""A time entry: minutes an agent worked on a ticket, on a Helsinki day, expert work or not."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from servicedesk.db import Base, UTCDateTime, utcnow


class TimeEntry(Base):
    """Append-only: a mistake is corrected by the desk in a later entry, not by rewriting."""

    __tablename__ = "time_entries"
    __table_args__ = (
        CheckConstraint("minutes > 0", name="minutes"),
        # A statement reads one period's entries, then joins their tickets (by organisation).
        Index("ix_time_entries_worked_on", "worked_on", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    #: The agent (or admin) who did the work.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    minutes: Mapped[int] = mapped_column(Integer)
    #: Expert work is billed by the hour (price model per_expert_hour); other time is not.
    expert: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The Helsinki day the work was done: the statement's period is counted in these days.
    worked_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
