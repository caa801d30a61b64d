"""The service catalogue: expert, application and infrastructure services."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from servicedesk.db import Base, UTCDateTime

SERVICE_FAMILIES = ("expert", "application", "infrastructure")
SERVICE_SUBFAMILIES = {
    "expert": (),
    "application": ("sector", "enabling"),
    "infrastructure": ("user", "capacity", "network", "office"),
}


class Service(Base):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    family: Mapped[str] = mapped_column(String(20))
    subfamily: Mapped[str | None] = mapped_column(String(20))
    provider: Mapped[str] = mapped_column(String(3))
    name_fi: Mapped[str] = mapped_column(String(200))
    name_sv: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description_fi: Mapped[str] = mapped_column(Text, default="")
    description_sv: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    default_group_id: Mapped[int | None] = mapped_column(ForeignKey("resolver_groups.id"))
    #: The supplier that escalations of this service go to by default.
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"))
    #: Retired services stay (tickets reference them) but take no new tickets.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
