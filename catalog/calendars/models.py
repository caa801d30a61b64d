"""Business calendars as data; the arithmetic lives in `sla.calendar`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from servicedesk.db import Base
from sla.calendar import Calendar


class BusinessCalendar(Base):
    __tablename__ = "business_calendars"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    #: The same JSON form as POST /sla/evaluate takes (`Calendar.to_spec()`).
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)

    def to_calendar(self) -> Calendar:
        return Calendar.from_spec(self.spec)
