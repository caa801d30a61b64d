"""Keep an attachment: clean its name, sniff its type, refuse what is too large.

Storage is the database (`attachment_blobs`): every web node behind the load balancer
sees the same files, a backup of the database holds them, and a ticket's change and its
files commit together. Operations only flush, as everywhere.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import filetype
from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicedesk.attachments.models import Attachment, AttachmentBlob
from servicedesk.errors import ApiError, ValidationFailed
from servicedesk.tickets.models import Comment, Ticket
from servicedesk.users.models import User

#: Used outside an app (scripts, pure tests): the configured limit wins inside one.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
_FALLBACK_NAME = "attachment"
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|]+')


class AttachmentTooLarge(ApiError):
    status, code = 413, "attachment_too_large"


def max_bytes() -> int:
    """ATTACHMENT_MAX_BYTES of the running app."""
    settings = current_app.config.get("SETTINGS") if has_app_context() else None
    return settings.attachment_max_bytes if settings else DEFAULT_MAX_BYTES


def clean_filename(name: str | None) -> str:
    """The last path part, without control or reserved characters, at most 255 characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    if not name:
        return _FALLBACK_NAME
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 250 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else name[:255]
    return name


def sniff(data: bytes) -> str:
    """The content type read from the bytes: a known signature, else text or octet-stream.

    The client's Content-Type is never trusted. HTML and SVG come out as text/plain (or
    octet-stream): they are only ever served as downloads, never rendered by us.
    """
    kind = filetype.guess(data[:8192])
    if kind is not None:
        return str(kind.mime)
    head = data[:8192]
    if b"\x00" in head:
        return "application/octet-stream"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the 8 KiB edge is still text.
        if exc.start < len(head) - 3:
            return "application/octet-stream"
    return "text/plain"


def store(
    sess: Session,
    *,
    ticket: Ticket,
    data: bytes,
    filename: str | None,
    uploader: User | None,
    comment: Comment | None = None,
    internal: bool = False,
    limit: int | None = None,
) -> Attachment:
    """Add a file to `ticket` (and `comment`) in the caller's transaction; flush only.

    An attachment of an internal note or a supplier thread message is internal whatever
    `internal` says: it never reaches the customer side.
    """
    limit = max_bytes() if limit is None else limit
    if len(data) > limit:
        raise AttachmentTooLarge(
            f"The file is {len(data)} bytes; the largest accepted is {limit} bytes.",
            details={"max_bytes": limit, "size": len(data)},
        )
    if not data:
        raise ValidationFailed("The file is empty.", details={"file": ["The file is empty."]})
    if comment is not None:
        if comment.ticket_id != ticket.id:
            raise ValueError("the comment belongs to another ticket")
        internal = internal or comment.internal or comment.escalation_id is not None
    attachment = Attachment(
        ticket_id=ticket.id,
        comment_id=None if comment is None else comment.id,
        uploaded_by_id=None if uploader is None else uploader.id,
        filename=clean_filename(filename),
        content_type=sniff(data),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        internal=internal,
    )
    sess.add(attachment)
    sess.flush()
    sess.add(AttachmentBlob(attachment_id=attachment.id, data=data))
    sess.flush()
    return attachment


def content(sess: Session, attachment: Attachment) -> bytes:
    """The stored bytes (the caller has checked access)."""
    return (
        sess.scalar(
            select(AttachmentBlob.data).where(AttachmentBlob.attachment_id == attachment.id)
        )
        or b""
    )
