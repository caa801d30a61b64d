"""Suppliers and their underpinning contracts: the supplier's promises to the centre."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from servicedesk.db import Base


class Supplier(Base):
    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    business_id: Mapped[str | None] = mapped_column(String(9))
    #: Where escalations are announced (the supplier's service desk).
    contact_email: Mapped[str] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))


class UnderpinningContract(Base):
    """A supplier's contract with the centre, measured on the supplier's own calendar."""

    __tablename__ = "underpinning_contracts"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("business_calendars.id"))

    promises: Mapped[list[ContractPromise]] = relationship(
        cascade="all, delete-orphan", order_by="ContractPromise.id", lazy="selectin"
    )


class ContractPromise(Base):
    """A supplier promise line: service, family or contract default x priority."""

    __tablename__ = "contract_promises"
    __table_args__ = (
        CheckConstraint("NOT (service_id IS NOT NULL AND family IS NOT NULL)", name="one_scope"),
        CheckConstraint("response_minutes > 0 AND resolution_minutes > 0", name="targets"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("underpinning_contracts.id", ondelete="CASCADE"), index=True
    )
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    family: Mapped[str | None] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(2))
    response_minutes: Mapped[int] = mapped_column(Integer)
    resolution_minutes: Mapped[int] = mapped_column(Integer)
    warning_percent: Mapped[int] = mapped_column(Integer, default=80)
