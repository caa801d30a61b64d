"""Service agreements (palvelusopimus): yearly versions, service lines, promises, prices."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from servicedesk.db import Base, UTCDateTime, utcnow

PRICE_MODELS = ("per_ticket", "per_user_month", "fixed_month", "per_expert_hour")
INVOICING_PERIODS = ("monthly", "quarterly", "yearly")


class AgreementVersion(Base):
    """One version of an organisation's agreement, in force over [valid_from, valid_to].

    A version that a ticket has frozen is never edited again: history is not rewritten.
    """

    __tablename__ = "agreement_versions"
    __table_args__ = (
        UniqueConstraint("organisation_id", "version_no"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    version_no: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    #: Renewed yearly before the customer's budgeting: remind the account manager in time.
    renewal_deadline: Mapped[date | None] = mapped_column(Date)
    invoicing_period: Mapped[str] = mapped_column(String(10), default="monthly")
    notes: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    services: Mapped[list[AgreementService]] = relationship(
        cascade="all, delete-orphan", order_by="AgreementService.id", lazy="selectin"
    )
    promises: Mapped[list[ServicePromise]] = relationship(
        cascade="all, delete-orphan", order_by="ServicePromise.id", lazy="selectin"
    )


class AgreementService(Base):
    """A service in the agreement, from its own start date (the phased transition plan)."""

    __tablename__ = "agreement_services"
    __table_args__ = (UniqueConstraint("agreement_version_id", "service_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_version_id: Mapped[int] = mapped_column(
        ForeignKey("agreement_versions.id", ondelete="CASCADE"), index=True
    )
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    price_model: Mapped[str] = mapped_column(String(20))
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))


class ServicePromise(Base):
    """A promise line: service, family or agreement default x priority (SLA.md, Words)."""

    __tablename__ = "service_promises"
    __table_args__ = (
        CheckConstraint("NOT (service_id IS NOT NULL AND family IS NOT NULL)", name="one_scope"),
        CheckConstraint("response_minutes > 0 AND resolution_minutes > 0", name="targets"),
        CheckConstraint("ticket_type IS NULL OR ticket_type = 'feedback'", name="ticket_type"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_version_id: Mapped[int] = mapped_column(
        ForeignKey("agreement_versions.id", ondelete="CASCADE"), index=True
    )
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    family: Mapped[str | None] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(2))
    #: None: the line serves incidents, service requests and change needs. "feedback": it
    #: serves feedback only, which otherwise runs no clocks.
    ticket_type: Mapped[str | None] = mapped_column(String(20))
    response_minutes: Mapped[int] = mapped_column(Integer)
    resolution_minutes: Mapped[int] = mapped_column(Integer)
    update_minutes: Mapped[int | None] = mapped_column(Integer)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("business_calendars.id"))
    warning_percent: Mapped[int] = mapped_column(Integer, default=80)
    compliance_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("95"))
