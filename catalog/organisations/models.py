"""Owner-customers: municipalities, joint municipal authorities, municipal companies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from servicedesk.db import Base, UTCDateTime, utcnow

ORGANISATION_KINDS = ("municipality", "joint_authority", "municipal_company")

#: Account managers (asiakasvastaava) of each customer organisation.
organisation_account_managers = Table(
    "organisation_account_managers",
    Base.metadata,
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('municipality', 'joint_authority', 'municipal_company')", name="kind"
        ),
        CheckConstraint("residents IS NULL OR residents >= 0", name="residents_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Finnish business ID (Y-tunnus), canonical form NNNNNNN-C, check digit validated.
    business_id: Mapped[str] = mapped_column(String(9), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Swedish name of a bilingual municipality (e.g. Raasepori / Raseborg).
    name_sv: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    residents: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
