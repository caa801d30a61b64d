"""The attachments' API shapes: a multipart upload in, metadata out (never the bytes)."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest.fields import Upload

from servicedesk.schemas import QueryArgs, UTCDateTimeField
from servicedesk.tickets.schemas import Named


class UploadIn(QueryArgs):
    """An upload: the file and the form fields beside it (text, as a form sends them)."""

    file = Upload(
        required=True,
        metadata={"description": "The file; its type is read from the bytes, not the name."},
    )
    comment_id = ma.fields.Integer(
        load_default=None,
        metadata={
            "description": "Attach to this comment of yours on the ticket (a supplier agent: "
            "its message in its open leg's thread). Without it the file is on the ticket."
        },
    )
    internal = ma.fields.Boolean(
        load_default=False,
        metadata={
            "description": "Desk only: the customer side never sees the file. Files on "
            "internal notes and supplier thread messages are internal anyway."
        },
    )


class AttachmentOut(ma.Schema):
    id = ma.fields.Integer()
    ticket_id = ma.fields.Integer()
    comment_id = ma.fields.Integer(allow_none=True)
    filename = ma.fields.String(metadata={"description": "The name given, cleaned of paths."})
    content_type = ma.fields.String(metadata={"description": "Sniffed from the bytes."})
    size = ma.fields.Integer(metadata={"description": "Bytes."})
    sha256 = ma.fields.String()
    internal = ma.fields.Boolean(
        metadata={"description": "Not for the customer side (internal note, supplier thread)."}
    )
    created_at = UTCDateTimeField()
    uploaded_by = ma.fields.Nested(
        Named, allow_none=True, metadata={"description": "None for mail from an unknown sender."}
    )
    download_url = ma.fields.Method("_download_url")

    def _download_url(self, attachment) -> str:
        return f"/api/v1/attachments/{attachment.id}"
