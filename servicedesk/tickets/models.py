"""Tickets, their comments and their append-only event history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.organisations.models import Organisation
from catalog.services.models import Service
from servicedesk.db import Base, UTCDateTime, utcnow
from servicedesk.users.models import User

#: The sort key of a ticket with no running clock: after every real due instant.
SLA_SORT_NONE = datetime(9999, 12, 31, tzinfo=UTC)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(
            "status IN ('new', 'assigned', 'in_progress', 'waiting_for_customer', "
            "'escalated_to_supplier', 'resolved', 'closed', 'cancelled')",
            name="status",
        ),
        CheckConstraint(
            "type IN ('incident', 'service_request', 'change_need', 'feedback')", name="type"
        ),
        CheckConstraint("priority IN ('P1', 'P2', 'P3', 'P4')", name="priority"),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating"),
        Index("ix_tickets_provider_status", "provider", "status"),
        # One index per scope's default order (-received_at, id: `tickets.queries`), so a
        # page reads its 26 rows off an index at any table size, never sorts the scope.
        Index("ix_tickets_received", "received_at", "id"),  # admins
        Index("ix_tickets_provider_received", "provider", "received_at", "id"),  # agents
        # customers; PostgreSQL: with what a report counts of the tickets received (index-only)
        Index(
            "ix_tickets_org_received",
            "organisation_id",
            "received_at",
            "id",
            postgresql_include=["service_id", "type", "channel"],
        ),
        Index("ix_tickets_requester_received", "requester_id", "received_at", "id"),  # end users
        # sort=sla_due: the queue's order, for all and per provider.
        Index("ix_tickets_sla_sort", "sla_sort_at", "id"),
        Index("ix_tickets_provider_sla_sort", "provider", "sla_sort_at", "id"),
        # The service-level report: an organisation's ratings in a period.
        Index(
            "ix_tickets_org_rated",
            "organisation_id",
            "rated_at",
            postgresql_where=text("rated_at IS NOT NULL"),
            sqlite_where=text("rated_at IS NOT NULL"),
        ),
        # q=: ILIKE '%word%' through trigrams on PostgreSQL (migration 0011 adds pg_trgm);
        # on SQLite a plain index that LIKE cannot use: the search scans there.
        Index(
            "ix_tickets_title_trgm",
            "title",
            postgresql_using="gin",
            postgresql_ops={"title": "gin_trgm_ops"},
        ),
        Index(
            "ix_tickets_number_trgm",
            "number",
            postgresql_using="gin",
            postgresql_ops={"number": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Human-friendly and stable: KPK-2026-00042 (year of receipt, running number).
    number: Mapped[str] = mapped_column(String(20), unique=True)
    type: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(24), default="new")
    impact: Mapped[str] = mapped_column(String(6))
    urgency: Mapped[str] = mapped_column(String(6))
    priority: Mapped[str] = mapped_column(String(2))
    #: Set when an agent overrode the matrix; the reason is kept with it.
    priority_overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    priority_reason: Mapped[str | None] = mapped_column(String(500))
    #: ICT or THH: which centre is accountable; decides which agents see the ticket.
    provider: Mapped[str] = mapped_column(String(3))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("resolver_groups.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: The agreement version in force when the ticket was received, frozen for its life.
    agreement_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("agreement_versions.id"), index=True
    )
    #: Where it came in: portal, api, email, phone, import.
    channel: Mapped[str] = mapped_column(String(10), default="api")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The earliest due instant of the ticket's running SLA clocks: the queue's order.
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: The queue's sort key: `sla_due_at`, or FAR_FUTURE (`sla.queries`) when no clock runs.
    #: NOT NULL so that a plain index serves `sort=sla_due`; written with `sla_due_at`.
    sla_sort_at: Mapped[datetime] = mapped_column(UTCDateTime, default=SLA_SORT_NONE)
    #: The requester's rating of the resolution (1-5), once; with an optional comment.
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The Message-ID of the e-mail that opened the ticket: our mail about it answers that.
    mail_message_id: Mapped[str | None] = mapped_column(String(250), index=True)
    #: Optimistic concurrency: every UPDATE checks and bumps it; the ETag is built on it.
    version: Mapped[int] = mapped_column(Integer, default=1)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    requester: Mapped[User] = relationship(foreign_keys=[requester_id], lazy="joined")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")
    service: Mapped[Service | None] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class Comment(Base):
    __tablename__ = "ticket_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    #: Internal notes are for the centre's staff only, never shown to the customer side.
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Set for a message of a supplier leg's thread: between the desk and that supplier only.
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship(lazy="joined")

    @property
    def thread(self) -> str:
        """Where the comment lives: the public conversation, the desk's notes, a supplier's."""
        if self.escalation_id is not None:
            return "supplier"
        return "internal" if self.internal else "public"


class TicketEvent(Base):
    """One thing that happened to a ticket: who, when, what, before and after.

    Append-only: the ORM refuses to update or delete rows (see `operations`).
    """

    __tablename__ = "ticket_events"
    #: "Tickets this agent acted on" (the joint desk's scope) is an EXISTS on these two.
    __table_args__ = (Index("ix_ticket_events_actor_ticket", "actor_id", "ticket_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    #: None for the system (routing, the scheduler).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    #: {"changes": {"field": {"before": ..., "after": ...}}, ...} and kind-specific facts.
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Internal events (internal notes, routing internals) are hidden from the customer side.
    internal: Mapped[bool] = mapped_column(Boolean, default=False)

    actor: Mapped[User | None] = relationship(lazy="joined")


class IdempotencyKey(Base):
    """A ticket creation keyed by the client, so a retried POST returns the first ticket."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    #: SHA-256 of the request body: the same key with another body is a client error.
    fingerprint: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketNumberCounter(Base):
    """The running number of each year's tickets."""

    __tablename__ = "ticket_number_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)
