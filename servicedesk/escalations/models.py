"""Escalations of tickets to suppliers: every leg kept, open, done or withdrawn."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.suppliers.models import Supplier
from servicedesk.db import Base, UTCDateTime, utcnow


class Escalation(Base):
    __tablename__ = "escalations"
    __table_args__ = (Index("ix_escalations_supplier_ticket", "supplier_id", "ticket_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("underpinning_contracts.id"))
    contract_promise_id: Mapped[int | None] = mapped_column(ForeignKey("contract_promises.id"))
    #: The desk's hand-off note: seen by the desk and this supplier, never by the customer.
    note: Mapped[str] = mapped_column(Text)
    escalated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    escalated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: open | done | withdrawn | closed (the ticket was resolved or cancelled meanwhile)
    status: Mapped[str] = mapped_column(String(10), default="open")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The slack at hand-off: the customer's resolution due minus the supplier's.
    customer_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    supplier_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    slack_seconds: Mapped[int | None] = mapped_column(Integer)
    #: The supplier cannot make the customer's promise in time: flagged before the breach.
    negative_slack: Mapped[bool] = mapped_column(Boolean, default=False)

    supplier: Mapped[Supplier] = relationship(lazy="joined")
