"""SLA clocks on tickets, and the warnings and breaches the scheduler recorded.

A clock row keeps its own event list (the input of the pure `sla.clock.evaluate`)
and a cache of the result as of its last change: `due_at` and `warning_at` of a
running clock stay true until its next event, so the sweep can find what is due
with an index instead of evaluating every open clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from servicedesk.db import Base, UTCDateTime, utcnow

CLOCK_KINDS = ("response", "resolution", "update", "supplier_response", "supplier_resolution")


class SlaClock(Base):
    __tablename__ = "sla_clocks"
    __table_args__ = (
        UniqueConstraint("ticket_id", "kind", "leg", "cycle"),
        Index("ix_sla_clocks_open_due", "state", "due_at"),
        Index("ix_sla_clocks_open_warning", "state", "warning_at"),
        # The sweep's only search: clocks with something left to record, in time order. Partial,
        # so the many stopped clocks with nothing left stay out of it.
        Index(
            "ix_sla_clocks_next_alert_at",
            "next_alert_at",
            postgresql_where=text("next_alert_at IS NOT NULL"),
            sqlite_where=text("next_alert_at IS NOT NULL"),
        ),
        # sla_state filters read the clocks of a state, then their tickets.
        Index("ix_sla_clocks_state_ticket", "state", "ticket_id"),
        # The service-level report: clocks that stopped, or breached, in a period.
        # (PostgreSQL: with what the trend counts, for an index-only scan.)
        Index(
            "ix_sla_clocks_stopped_at",
            "stopped_at",
            postgresql_include=["ticket_id", "state", "kind", "leg"],
        ),
        Index(
            "ix_sla_clocks_breach_at",
            "breach_at",
            postgresql_where=text("breach_at IS NOT NULL"),
            sqlite_where=text("breach_at IS NOT NULL"),
        ),
        # One organisation's clocks by the instant they count at (the report's period and its
        # twelve-month trend): a range of the index, not a walk through the organisation's
        # tickets. PostgreSQL: with what the counts and the breach list's order read, so
        # counting a year and finding a page of breaches are index-only scans.
        Index(
            "ix_sla_clocks_org_stopped",
            "organisation_id",
            "stopped_at",
            postgresql_include=["state", "kind", "leg", "promise_id", "id"],
            postgresql_where=text("stopped_at IS NOT NULL"),
            sqlite_where=text("stopped_at IS NOT NULL"),
        ),
        Index(
            "ix_sla_clocks_org_breach",
            "organisation_id",
            "breach_at",
            postgresql_include=["state", "kind", "leg", "stopped_at", "promise_id", "id"],
            postgresql_where=text("breach_at IS NOT NULL"),
            sqlite_where=text("breach_at IS NOT NULL"),
        ),
        Index(
            "ix_sla_clocks_org_running_due",
            "organisation_id",
            "due_at",
            postgresql_include=["kind", "leg", "evaluated_at", "promise_id", "id"],
            postgresql_where=text("state = 'running'"),
            sqlite_where=text("state = 'running'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    #: The ticket's organisation, copied when the clock starts (a ticket never changes
    #: organisation): reports read one organisation's clocks without its tickets.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    kind: Mapped[str] = mapped_column(String(24))
    #: The update clock runs in cycles (1, 2, ...); other clocks have cycle 0.
    cycle: Mapped[int] = mapped_column(Integer, default=0)
    #: The supplier escalation a supplier clock measures; 0 for the customer's clocks.
    leg: Mapped[int] = mapped_column(Integer, default=0)
    #: The promise line used (customer clocks) - from the ticket's frozen agreement version.
    promise_id: Mapped[int | None] = mapped_column(ForeignKey("service_promises.id"))
    calendar_id: Mapped[int] = mapped_column(ForeignKey("business_calendars.id"))
    #: The target at the start; later targets are target_change events.
    target_minutes: Mapped[int] = mapped_column(Integer)
    warning_percent: Mapped[int] = mapped_column(Integer, default=80)
    #: [{"type": "start", "at": "...Z", "target_minutes": null, "why": "..."}]
    events: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    # The cached evaluation as of `evaluated_at` (see the module docstring).
    state: Mapped[str] = mapped_column(String(12), default="running")
    elapsed_seconds: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warning_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breach_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Which alerts the sweep has recorded (`sla.alert_schedule`: 1 warning, 2 breach), so the
    #: write path knows the next one from the row alone, without loading `sla_alerts`.
    recorded_alerts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    #: When the sweep next has something to record (`sla.alert_schedule.next_alert_at`);
    #: None when nothing is left. Written with the cached evaluation and by the sweep.
    next_alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    #: Loaded only where read (the explanation): every write and ticket answer loads clocks,
    #: and an eager load would cost them a query each for alerts they never look at.
    alerts: Mapped[list[SlaAlert]] = relationship(lazy="select", order_by="SlaAlert.id")


class SlaAlert(Base):
    """A warning or breach recorded by the scheduler: at most one of each per clock."""

    __tablename__ = "sla_alerts"
    __table_args__ = (UniqueConstraint("clock_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clock_id: Mapped[int] = mapped_column(ForeignKey("sla_clocks.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # warning | breach
    #: The true instant (from the clock's history), not when the scheduler noticed.
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
