"""A canned reply: a text an agent starts a reply from, kept by admins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from servicedesk.db import Base, UTCDateTime, utcnow


class CannedReply(Base):
    __tablename__ = "canned_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The resolver group whose agents use it; None: every agent's.
    group_id: Mapped[int | None] = mapped_column(ForeignKey("resolver_groups.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    #: Text with placeholders such as {requester_name} (see `render.PLACEHOLDERS`).
    body: Mapped[str] = mapped_column(Text)
    #: fi, sv or en; None: any language.
    locale: Mapped[str | None] = mapped_column(String(2))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
