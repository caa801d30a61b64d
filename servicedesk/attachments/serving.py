"""Serve an attachment's bytes safely: always a download, never rendered in our origin.

The API, the desk pages and the portal answer with `download_response`, after
`attachments.access.attachment_for` has decided the caller may read it.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from flask import Response
from sqlalchemy.orm import Session

from servicedesk.attachments import storage
from servicedesk.attachments.models import Attachment

#: Even if a browser rendered it, it runs nothing and loads nothing.
DOWNLOAD_CSP = "default-src 'none'; sandbox"


def ascii_fallback(filename: str) -> str:
    """The name for clients that ignore `filename*`: ASCII letters kept, the rest `_`."""
    plain = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    plain = "".join(c if c.isalnum() or c in "._- ()[]+,=" else "_" for c in plain).strip()
    return plain or "attachment"


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII `filename` and the exact name as RFC 5987 `filename*`."""
    return (
        f'attachment; filename="{ascii_fallback(filename)}"; '
        f"filename*=UTF-8''{quote(filename, safe='')}"
    )


def download_headers(attachment: Attachment) -> dict[str, str]:
    """The headers of a download: attachment, nosniff, no caching, a sandboxing CSP."""
    return {
        "Content-Disposition": content_disposition(attachment.filename),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
        "Content-Security-Policy": DOWNLOAD_CSP,
    }


def download_response(sess: Session, attachment: Attachment) -> Response:
    """The bytes of an attachment the caller may read, with its sniffed type."""
    data = storage.content(sess, attachment)
    resp = Response(data, mimetype=attachment.content_type)
    resp.headers.update(download_headers(attachment))
    return resp
