"""Service agreements (palvelusopimus): yearly versions, service lines, promises, prices."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
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

#: The yearly cycle: an account manager drafts the next period's version from the one in
#: force, proposes it, the customer contact accepts it, an admin signs it; signing the
#: successor supersedes its predecessor (which stays in force to its own end date).
AGREEMENT_STATES = ("draft", "proposed", "signed", "superseded")
#: Only these ever reach the gate, the clocks, the charges and the reports.
IN_FORCE_STATES = ("signed", "superseded")
#: Drafts and proposals: still being negotiated, editable by the account manager.
OPEN_STATES = ("draft", "proposed")
#: Milestones of a service's transition plan; the go-live one sets the service's start.
MILESTONE_KINDS = ("data_migration", "training", "go_live", "other")
#: Reminders about a version that will end: before the renewal deadline, and 90/30/7 days
#: and the last day before it ends with no signed successor.
REMINDER_KINDS = ("renewal_deadline", "lapse_90", "lapse_30", "lapse_7", "lapse_last_day")


class AgreementVersion(Base):
    """One version of an organisation's agreement, in force over [valid_from, valid_to].

    A version that a ticket has frozen is never edited again: history is not rewritten.
    """

    __tablename__ = "agreement_versions"
    __table_args__ = (
        UniqueConstraint("organisation_id", "version_no"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_range"),
        CheckConstraint(
            "state IN ('draft', 'proposed', 'signed', 'superseded')", name="agreement_state"
        ),
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
    #: AGREEMENT_STATES; versions typed in whole by an admin are signed at once.
    state: Mapped[str] = mapped_column(String(10), default="signed", server_default="signed")
    proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The customer contact's acceptance of the proposal; cleared when the proposal changes.
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

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

    #: The transition plan of the service, in order; empty when it simply starts.
    milestones: Mapped[list[TransitionMilestone]] = relationship(
        cascade="all, delete-orphan", order_by="TransitionMilestone.position"
    )


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


class TransitionMilestone(Base):
    """A step of a service's phased introduction (transition plan): data migration, training,
    go-live... The go-live milestone's date is the service line's `starts_on`."""

    __tablename__ = "transition_milestones"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('data_migration', 'training', 'go_live', 'other')", name="milestone_kind"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_service_id: Mapped[int] = mapped_column(
        ForeignKey("agreement_services.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    planned_on: Mapped[date] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)


class AgreementEvent(Base):
    """What happened to an agreement version: drafted, proposed, accepted, signed,
    superseded, a milestone moved, a service's start moved, a reminder sent."""

    __tablename__ = "agreement_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_version_id: Mapped[int] = mapped_column(
        ForeignKey("agreement_versions.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(30))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AgreementReminder(Base):
    """One reminder of a kind about a version, once: the unique key makes the scheduler's
    job send exactly once whatever restarts or second schedulers do."""

    __tablename__ = "agreement_reminders"
    __table_args__ = (UniqueConstraint("agreement_version_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_version_id: Mapped[int] = mapped_column(
        ForeignKey("agreement_versions.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(20))
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
