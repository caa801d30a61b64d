"""Attachments: upload to a ticket (multipart), list a ticket's, download one.

Who may read which file is `attachments.access` (the same rule serves the desk pages and
the portal); who may add one is `attachments.operations`. A download is always served as
an attachment with its sniffed type, `nosniff` and a sandboxing CSP (`attachments.serving`).
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Request, Response, request
from flask.views import MethodView
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from servicedesk import access, db
from servicedesk.attachments import serving, storage
from servicedesk.attachments.access import attachment_for, visible_attachments
from servicedesk.attachments.models import Attachment
from servicedesk.attachments.operations import add_attachment
from servicedesk.attachments.schemas import AttachmentOut, UploadIn
from servicedesk.auth import current_user
from servicedesk.blueprint import Blueprint, BodyParser


class MultipartParser(BodyParser):
    """The API's parser, reading the `files` location as a whole multipart form: the file
    and the text fields beside it, in one schema (one requestBody in the document)."""

    def load_files(self, req: Request, schema: ma.Schema) -> Any:
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)


class AttachmentsBlueprint(Blueprint):
    ARGUMENTS_PARSER = MultipartParser()


blp = AttachmentsBlueprint("attachments", __name__, url_prefix="", description="Attachments")

#: Room for the multipart framing and the form fields around the file itself.
FORM_OVERHEAD = 64 * 1024
_MULTIPART = "multipart/form-data"


def _too_large(limit: int) -> storage.AttachmentTooLarge:
    return storage.AttachmentTooLarge(
        f"The file is larger than the largest accepted, {limit} bytes.",
        details={"max_bytes": limit},
    )


def read_upload_limit() -> None:
    """Before an upload's form is read: the request may be as large as an attachment (not
    the 1 MiB of a JSON body), and a larger one is 413 `attachment_too_large`, in the
    envelope, before its body is read."""
    limit = storage.max_bytes()
    request.max_content_length = limit + FORM_OVERHEAD
    if request.mimetype != _MULTIPART:
        raise UnsupportedMediaType("Send the file as multipart/form-data, in the field `file`.")
    if request.content_length is not None and request.content_length > limit + FORM_OVERHEAD:
        raise _too_large(limit)
    try:
        request.files  # noqa: B018 (parse the form now, under this request's limit)
    except RequestEntityTooLarge as exc:
        raise _too_large(limit) from exc


@blp.before_request
def _upload_limit() -> None:
    if request.method == "POST" and (request.view_args or {}).get("ticket_id") is not None:
        read_upload_limit()


@blp.route("/tickets/<int:ticket_id>/attachments")
class TicketAttachments(MethodView):
    @blp.response(200, AttachmentOut(many=True))
    def get(self, ticket_id: int) -> list[Attachment]:
        """The files of a ticket the caller may see (metadata; the bytes are at
        `download_url`). The customer side sees the public ones only; a supplier agent also
        its own legs' threads, never another supplier's."""
        sess = db.session()
        user = current_user()
        ticket = access.visible_ticket(sess, user, ticket_id)
        return visible_attachments(sess, user, ticket)

    @blp.arguments(UploadIn, location="files")
    @blp.response(201, AttachmentOut)
    def post(self, form: dict[str, Any], ticket_id: int):
        """Add a file (multipart/form-data: `file`, optional `comment_id`, `internal`).

        Whoever may write in a thread may attach there: the customer side to the public
        conversation, the desk anywhere (`internal` for the desk's eyes only), a supplier
        agent to its own message in its open leg's thread (`comment_id`). Larger than the
        attachment limit: 413 `attachment_too_large`; empty: 422; a closed or cancelled
        ticket: 409 `ticket_final`. The type is sniffed from the bytes.
        """
        sess = db.session()
        user = current_user()
        ticket = access.visible_ticket(sess, user, ticket_id)
        upload = form["file"]
        attachment = add_attachment(
            sess,
            user,
            ticket,
            data=upload.read(),
            filename=upload.filename,
            comment_id=form["comment_id"],
            internal=form["internal"],
        )
        headers = {"Location": f"/api/v1/attachments/{attachment.id}"}
        return attachment, 201, headers


_DOWNLOAD_DOC = {
    "responses": {
        "200": {
            "description": "The bytes, as a download (Content-Disposition: attachment), in "
            "the sniffed type, with X-Content-Type-Options: nosniff.",
            # Any type: the bytes go out in the type sniffed from them (image/png, text/plain...).
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


@blp.route("/attachments/<int:attachment_id>")
class AttachmentById(MethodView):
    @blp.doc(**_DOWNLOAD_DOC)
    def get(self, attachment_id: int) -> Response:
        """Download a file the caller may see (404 otherwise: foreign, internal, or
        another supplier's thread)."""
        sess = db.session()
        return serving.download_response(sess, attachment_for(sess, current_user(), attachment_id))
