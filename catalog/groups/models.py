"""Resolver groups: teams of agents of one provider."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from servicedesk.db import Base

group_members = Table(
    "group_members",
    Base.metadata,
    Column("group_id", ForeignKey("resolver_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class ResolverGroup(Base):
    __tablename__ = "resolver_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(3))
    #: The provider's triage group receives unclassified tickets.
    is_triage: Mapped[bool] = mapped_column(Boolean, default=False)
    email: Mapped[str | None] = mapped_column(String(254))
