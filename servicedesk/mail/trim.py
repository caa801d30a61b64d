"""Trim a reply to what its writer wrote: no quoted history, no signature.

Pure. Clients quote in their own words and languages: Gmail's "On ... wrote:" (and
"... kirjoitti:", "... skrev:"), Apple Mail's "On ..., at ..., ... wrote:", Outlook's
"-----Original Message-----" or a "From: / Sent:" block (Finnish "Lähettäjä: /
Lähetetty:", Swedish "Från: / Skickat:"), and ">" lines. When trimming would leave
nothing, the text is kept as it was: a reply is never lost to a heuristic.
"""

from __future__ import annotations

import re

_ATTRIBUTION_END = re.compile(r"(wrote|kirjoitti|skrev|schrieb|a écrit)\s*:\s*$", re.I)
_ATTRIBUTION_START = re.compile(
    r"^(on|den|am|le|\S+ \d{1,2}\.\d{1,2}\.\d{2,4}|\d{1,2}\.\d{1,2}\.\d{2,4})\b", re.I
)
#: "Den 30 nov. 2026 kl. 09:58 skrev KPK <p@kpk.example>:" (the writer after the verb).
_ATTRIBUTION_INLINE = re.compile(
    r"^(on|den|am|le)\b.*\b(wrote|kirjoitti|skrev|schrieb|a écrit)\b.*:\s*$", re.I
)
_SEPARATORS = re.compile(
    r"^\s*(-{2,}\s*(original message|alkuperäinen viesti|ursprungligt meddelande|"
    r"ursprüngliche nachricht|forwarded message|välitetty viesti|vidarebefordrat meddelande)"
    r"\s*-{2,}|_{20,})\s*$",
    re.I,
)
_HEADER_FROM = re.compile(r"^\s*\*?(from|lähettäjä|från|von|de)\s*:\*?\s", re.I)
_HEADER_SENT = re.compile(
    r"^\s*\*?(sent|date|lähetetty|päivämäärä|skickat|datum|gesendet|envoyé)\s*:\*?\s", re.I
)
_SIGNATURE = re.compile(r"^-- ?$")
_MOBILE = re.compile(
    r"^(sent from my|lähetetty (iphonesta|ipadista|android|puhelimesta|.*sähköposti)|"
    r"skickat från min|get outlook for)",
    re.I,
)


def _quote_start(lines: list[str]) -> int | None:
    """The index of the first line of quoted history, or None."""
    for i, line in enumerate(lines):
        stripped = line.strip()
        if _SEPARATORS.match(stripped) or _ATTRIBUTION_INLINE.match(stripped):
            return i
        if _HEADER_FROM.match(stripped) and any(
            _HEADER_SENT.match(n.strip()) for n in lines[i + 1 : i + 5]
        ):
            return i
        if _ATTRIBUTION_END.search(stripped):
            # An attribution wrapped over two lines: "On Mon, ... Maija <m@x.fi>" / "wrote:".
            if i > 0 and not _ATTRIBUTION_START.match(stripped) and lines[i - 1].strip():
                prev = lines[i - 1].strip()
                if _ATTRIBUTION_START.match(prev):
                    return i - 1
            if _ATTRIBUTION_START.match(stripped) or _followed_by_quote(lines, i):
                return i
    return None


def _followed_by_quote(lines: list[str], i: int) -> bool:
    for n in lines[i + 1 : i + 3]:
        if n.strip():
            return n.lstrip().startswith(">")
    return False


def _drop_trailing_quote(lines: list[str]) -> list[str]:
    """Remove a block of ">" lines (and blank lines) at the end."""
    end = len(lines)
    while end and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith(">")):
        end -= 1
    return lines[:end]


def _drop_signature(lines: list[str]) -> list[str]:
    for i in range(len(lines) - 1, -1, -1):
        if _SIGNATURE.match(lines[i]):
            return lines[:i]
    end = len(lines)
    while end and (not lines[end - 1].strip() or _MOBILE.match(lines[end - 1].strip())):
        end -= 1
    return lines[:end]


def trim_reply(text: str) -> str:
    """The new text of a reply: cut at the quoted history, then the signature."""
    lines = text.split("\n")
    start = _quote_start(lines)
    if start is not None:
        lines = lines[:start]
    lines = _drop_trailing_quote(lines)
    lines = _drop_signature(lines)
    trimmed = "\n".join(lines).strip()
    return trimmed or text.strip()


def trim_signature(text: str) -> str:
    """A new message keeps its history (a forwarded problem is the problem); only the
    signature goes."""
    trimmed = "\n".join(_drop_signature(text.split("\n"))).strip()
    return trimmed or text.strip()
