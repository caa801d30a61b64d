"""An attachment's facts, and its bytes in a table of their own so lists stay light."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from servicedesk.db import Base, UTCDateTime, utcnow
from servicedesk.users.models import User


class Attachment(Base):
    """A file on a ticket, optionally on one of its comments.

    Visibility follows what it hangs on: an attachment of an internal note or a supplier
    thread message is `internal` and never reaches the customer side.
    """

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_comments.id"), index=True)
    #: None when it came in by e-mail from an address we could not tie to a user.
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The name the uploader gave, cleaned (no path, no control characters).
    filename: Mapped[str] = mapped_column(String(255))
    #: Sniffed from the bytes, never taken from the client.
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    uploaded_by: Mapped[User | None] = relationship(lazy="joined")


class AttachmentBlob(Base):
    """The bytes of one attachment (one row per attachment, same id)."""

    __tablename__ = "attachment_blobs"

    attachment_id: Mapped[int] = mapped_column(
        ForeignKey("attachments.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary)
