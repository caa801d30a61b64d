"""Files posted with a page's form: the request's size cap, and each file read within the
attachment limit, so a too-large file is a form error and never a half-read crash."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request
from flask_babel import format_decimal
from flask_babel import gettext as _

from servicedesk.attachments.storage import max_bytes

#: Room for the form's other fields and the multipart framing beside the files.
FORM_OVERHEAD = 1024 * 1024
#: The most files one form takes (the portal's ticket and reply forms).
MAX_FILES = 5


def allow_uploads() -> None:
    """Let a multipart form carry its files: up to MAX_FILES at the attachment limit.

    Called before the form is parsed (the CSRF check parses it); a body beyond this is the
    server's 413 page, a file beyond the attachment limit within it a form error."""
    if request.mimetype == "multipart/form-data":
        request.max_content_length = max_bytes() * MAX_FILES + FORM_OVERHEAD


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def size_words(size: int) -> str:
    """A size for people: kilobytes or megabytes, in the page's number format."""
    if size >= 1024 * 1024:
        return _("%(n)s MB", n=format_decimal(round(size / (1024 * 1024), 1)))
    return _("%(n)s kB", n=format_decimal(max(1, round(size / 1024))))


def read_uploads(files: list[Any] | None) -> tuple[list[Upload], list[str]]:
    """The posted files (empty file inputs skipped), and what is wrong with them, in words."""
    limit = max_bytes()
    chosen = [f for f in files or [] if getattr(f, "filename", None)]
    problems: list[str] = []
    if len(chosen) > MAX_FILES:
        problems.append(_("Attach at most %(n)s files at a time.", n=MAX_FILES))
        return [], problems
    out = []
    for f in chosen:
        data = f.stream.read(limit + 1)
        if len(data) > limit:
            problems.append(
                _(
                    "The file %(name)s is too large: the largest accepted is %(size)s.",
                    name=f.filename,
                    size=size_words(limit),
                )
            )
        elif not data:
            problems.append(_("The file %(name)s is empty.", name=f.filename))
        else:
            out.append(Upload(f.filename, data))
    return out, problems
