"""Read one raw RFC 5322 message into plain values: headers, text, attachments.

Pure (no session, no Flask). Incoming mail is hostile input written by every client
there is: headers may be RFC 2047 encoded or broken, a part may name a charset that
does not exist or lie about it, HTML may carry scripts, and a message may be cut off
mid-MIME. Nothing here raises on such input; what could not be read is recorded in
`defects` and the caller decides (the intake keeps the raw bytes whatever happens).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

import nh3

#: The longest key the `inbound_mail.dedup_key` column holds.
_KEY_MAX = 250
_MSGID = re.compile(r"<([^<>\s]+)>")
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_RAW_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.I | re.M)
#: Charsets tried, in order, when a part's own charset is missing, unknown or wrong.
_FALLBACK_CHARSETS = ("utf-8", "cp1252", "latin-1")


@dataclass(frozen=True)
class Part:
    """An attached file (inline images included)."""

    filename: str
    content_type: str
    data: bytes
    inline: bool = False


@dataclass
class ParsedMail:
    message_id: str | None
    sender: str
    sender_name: str
    subject: str
    in_reply_to: list[str]
    references: list[str]
    #: Lower-cased header name -> decoded value (the first occurrence).
    headers: dict[str, str]
    content_type: str
    #: The body as plain text (an HTML-only body sanitised and turned into text).
    text: str
    attachments: list[Part] = field(default_factory=list)
    #: What could not be read (a truncated part, an unknown charset...), in words.
    defects: list[str] = field(default_factory=list)

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this one answers, nearest first (In-Reply-To, then References backwards)."""
        seen: list[str] = []
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            if mid not in seen:
                seen.append(mid)
        return seen


def dedup_key(raw: bytes) -> tuple[str, str | None]:
    """The message's identity for `inbound_mail.dedup_key`, and its Message-ID.

    Read straight off the raw header section, so that it works for bytes the parser
    chokes on: the same delivery twice must be recognised even when it cannot be read.
    Without a Message-ID (or with an absurd one) the key is a hash of the raw bytes.
    """
    head = _HEADER_END.split(raw, 1)[0]
    found = _RAW_MESSAGE_ID.search(head)
    mid = None
    if found:
        ids = _MSGID.findall(found.group(1).decode("ascii", "replace"))
        mid = ids[0] if ids else None
    if mid and not mid.isprintable():
        mid = None  # not something a database column (or a person) should be handed
    if mid and len(mid) + 4 <= _KEY_MAX:
        return f"mid:{mid}", mid
    return "sha256:" + hashlib.sha256(raw).hexdigest(), mid[:_KEY_MAX] if mid else None


def parse(raw: bytes) -> ParsedMail:
    """Read a message; never raises for malformed input (see `defects`)."""
    msg = message_from_bytes(raw, policy=policy.default)
    defects = [type(d).__name__ for d in msg.defects]
    headers = {}
    for name in dict.fromkeys(k.lower() for k in msg):
        headers[name] = one_line(header_text(msg, name))
    sender_name, sender = _address(headers.get("from", ""))
    _, mid = dedup_key(raw)
    text, attachments = _body(msg, defects)
    return ParsedMail(
        message_id=mid,
        sender=sender,
        sender_name=sender_name,
        subject=" ".join(headers.get("subject", "").split()),
        in_reply_to=_MSGID.findall(headers.get("in-reply-to", "")),
        references=_MSGID.findall(headers.get("references", "")),
        headers=headers,
        content_type=_content_type(msg),
        text=text,
        attachments=attachments,
        defects=defects,
    )


def header_text(msg: Message, name: str) -> str:
    """A header's decoded value: RFC 2047 words decoded, raw 8-bit bytes (which RFC 5322
    forbids and clients send anyway) read as UTF-8 or else Windows-1252, a broken one
    read as it stands."""
    raw = next((v for k, v in msg.raw_items() if k.lower() == name), "")
    raw = raw if isinstance(raw, str) else str(raw)
    if any("\udc80" <= c <= "\udcff" for c in raw):
        return _eight_bit(raw.encode("ascii", "surrogateescape"))
    try:
        value = msg.get(name)
        return "" if value is None else str(value)
    except Exception:  # a malformed header must not lose the message: read it raw
        value = None
    try:
        return str(make_header(decode_header(raw)))
    except Exception:
        return raw.encode("ascii", "replace").decode()


def one_line(value: str) -> str:
    """A header value on one line, without control characters (a NUL, which PostgreSQL
    refuses in text, or an escape sequence meant for a terminal)."""
    return " ".join("".join(c if c.isprintable() else " " for c in value).split())


def _eight_bit(data: bytes) -> str:
    for charset in _FALLBACK_CHARSETS:
        try:
            return " ".join(data.decode(charset).split())
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")  # pragma: no cover (latin-1 decodes any bytes)


def _address(value: str) -> tuple[str, str]:
    found = getaddresses([value]) if value else []
    name, addr = found[0] if found else parseaddr(value)
    addr = addr.strip().lower()
    return name.strip(), addr if "@" in addr else ""


def _content_type(msg: Message) -> str:
    try:
        return msg.get_content_type()
    except Exception:
        return "application/octet-stream"


def decode_part(part: Message, defects: list[str]) -> str:
    """A text part's payload as str: its declared charset, else the fallbacks."""
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = b""
    if not isinstance(payload, bytes):  # pragma: no cover (multipart handled by the caller)
        return str(payload)
    declared = (part.get_content_charset() or "").lower()
    if declared in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"):
        # What clients label ISO-8859-1 or ASCII is Windows-1252 in practice (the WHATWG
        # encoding rule): the euro sign and typographic quotes live in 0x80-0x9f.
        declared = "cp1252"
    for charset in (declared, *_FALLBACK_CHARSETS) if declared else _FALLBACK_CHARSETS:
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            if charset == declared:
                defects.append(f"charset {declared!r} did not decode")
            continue
    return payload.decode("latin-1")  # pragma: no cover (latin-1 decodes any bytes)


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    return str(name) if name else None


def _body(msg: Message, defects: list[str]) -> tuple[str, list[Part]]:
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Part] = []
    for part in _leaves(msg):
        ctype = _content_type(part)
        if ctype == "message/rfc822":
            attachments.append(_forwarded(part))
            continue
        try:
            disposition = (part.get_content_disposition() or "").lower()
        except Exception:
            disposition = ""
        name = _filename(part)
        if ctype in ("text/plain", "text/html") and disposition != "attachment" and not name:
            (plain if ctype == "text/plain" else html).append(decode_part(part, defects))
            continue
        if ctype.startswith("multipart/") or ctype == "message/delivery-status":
            continue
        data = part.get_payload(decode=True)
        if isinstance(data, bytes) and data:
            attachments.append(
                Part(
                    filename=name or _default_name(ctype),
                    content_type=ctype,
                    data=data,
                    inline=disposition == "inline" or bool(part.get("content-id")),
                )
            )
    if plain:
        text = "\n\n".join(p.strip("\n") for p in plain)
    elif html:
        text = "\n\n".join(html_to_text(h) for h in html)
    else:
        text = ""
    return normalise_text(text), attachments


def _leaves(msg: Message) -> Iterator[Message]:
    """The parts that are not containers; a forwarded message (message/rfc822) is one part
    (an attachment), not a source of body text."""
    if _content_type(msg) == "message/rfc822" or not msg.is_multipart():
        yield msg
        return
    payload = msg.get_payload()
    for sub in payload if isinstance(payload, list) else []:
        if isinstance(sub, Message):
            yield from _leaves(sub)


def _forwarded(part: Message) -> Part:
    inner = part.get_payload()
    inner = inner[0] if isinstance(inner, list) and inner else inner
    data = inner.as_bytes() if isinstance(inner, Message) else str(inner).encode()
    subject = header_text(inner, "subject") if isinstance(inner, Message) else ""
    return Part(
        filename=_filename(part) or f"{one_line(subject)[:80] or 'message'}.eml",
        content_type="message/rfc822",
        data=data,
    )


def _default_name(content_type: str) -> str:
    main, _, sub = content_type.partition("/")
    ext = {"jpeg": "jpg", "plain": "txt", "rfc822": "eml"}.get(sub, sub) or "bin"
    return f"{main or 'attachment'}.{ext[:10]}"


def normalise_text(text: str) -> str:
    """Line ends as \\n, no NUL or other control characters, no trailing blanks or runs of
    more than two empty lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(c for c in text if c in "\n\t" or c.isprintable() or c == "\u00a0")
    lines = [line.rstrip() for line in text.split("\n")]
    out = "\n".join(lines)
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out.strip("\n")


_BLOCKS = frozenset(
    {"p", "div", "br", "li", "tr", "table", "blockquote", "pre", "ul", "ol", "hr", "dt", "dd"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "section", "article"}
)


class _TextOf(HTMLParser):
    """Sanitised HTML to plain text: block elements become line breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.quote = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.out.append("\n")
        if tag == "blockquote":
            self.quote += 1
        if tag == "li":
            self.out.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "blockquote":
            self.quote = max(0, self.quote - 1)
        if tag in _BLOCKS:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        data = re.sub(r"[ \t\r\n]+", " ", data)
        if self.quote and data.strip():
            data = "> " * self.quote + data.lstrip()
        self.out.append(data)


def html_to_text(html: str) -> str:
    """An HTML body as plain text: sanitised with nh3 first (scripts, styles, event handlers
    and their content gone), then tags dropped with line breaks for blocks."""
    clean = nh3.clean(html, tags=set(nh3.ALLOWED_TAGS) - {"img"}, attributes={})
    parser = _TextOf()
    parser.feed(clean)
    parser.close()
    text = "".join(parser.out)
    return "\n".join(line.strip() for line in text.split("\n"))
