"""The owners' register: share subscriptions and general-meeting price decisions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from servicedesk.db import Base, UTCDateTime, utcnow


class ShareSubscription(Base):
    __tablename__ = "share_subscriptions"
    __table_args__ = (CheckConstraint("shares > 0", name="shares_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    subscribed_on: Mapped[date] = mapped_column(Date)
    shares: Mapped[int] = mapped_column(Integer)
    price_per_share: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    #: The general-meeting decision that lowered the price, if one did.
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("general_meeting_decisions.id"))
    paid_on: Mapped[date | None] = mapped_column(Date)
    #: Only registered shares carry votes and make an owner for the in-house gate.
    registered_on: Mapped[date | None] = mapped_column(Date)
    #: Shares of an owner that stopped being a municipal actor are redeemed.
    redeemed_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GeneralMeetingDecision(Base):
    """A general-meeting decision setting a lower share price (needs a 2/3 majority)."""

    __tablename__ = "general_meeting_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decided_on: Mapped[date] = mapped_column(Date)
    price_per_share: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    votes_for: Mapped[int] = mapped_column(Integer)
    votes_cast: Mapped[int] = mapped_column(Integer)
    applies_from: Mapped[date] = mapped_column(Date)
    applies_to: Mapped[date | None] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(500), default="")
