"""The public figures as the scheduler last counted them: one row per Helsinki month and
service family, so the public page reads a few dozen rows instead of aggregating every clock
of the last thirteen months (`servicedesk.public.rollup`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from servicedesk.db import Base, UTCDateTime


class PublicFigures(Base):
    """Raw counts, never suppressed: suppression is applied when they are shown, so that the
    stored and the live figures go through the same rule."""

    __tablename__ = "public_figures"
    __table_args__ = (UniqueConstraint("month", "family"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The Helsinki month, "YYYY-MM".
    month: Mapped[str] = mapped_column(String(7))
    #: The service family; "" for tickets filed without a service.
    family: Mapped[str] = mapped_column(String(20))
    response_met: Mapped[int] = mapped_column(Integer, default=0)
    response_breached: Mapped[int] = mapped_column(Integer, default=0)
    resolution_met: Mapped[int] = mapped_column(Integer, default=0)
    resolution_breached: Mapped[int] = mapped_column(Integer, default=0)
    received: Mapped[int] = mapped_column(Integer, default=0)
    #: The instant the figures were counted as of (every row of a refresh has the same).
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
