"""Is this message automatic? Then it gets no ticket and, above all, no answer.

Pure. An automatic answer to an automatic message is how mail loops start (two
out-of-office replies answering each other all weekend); RFC 3834 says to answer
nothing that says it is automatic, and bounces and list mail say so in their own ways.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

_DAEMONS = ("mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon")
_BULK = ("bulk", "junk", "list", "auto_reply")


@dataclass(frozen=True)
class Automatic:
    """Why the message is automatic, and what becomes of it."""

    #: A machine word: auto_submitted, precedence, x_autoreply, ...
    reason: str
    words: str
    #: "ignored" (nobody needs to see it) or "quarantined" (an admin should: a bounce).
    outcome: str


def automatic(
    headers: Mapping[str, str],
    sender: str,
    content_type: str,
    own_addresses: Collection[str],
) -> Automatic | None:
    """The first sign that the message is automatic or looped back to us, or None."""
    sender = sender.lower()
    local = sender.split("@", 1)[0]
    own = {a.lower() for a in own_addresses if a}
    if sender and sender in own:
        return Automatic("own_address", f"sent from our own address {sender}", "ignored")
    loop = headers.get("x-loop", "").lower()
    if loop:
        return Automatic("x_loop", f"X-Loop: {loop[:100]} (a mail loop)", "ignored")
    if content_type == "multipart/report" and "disposition-notification" in headers.get(
        "content-type", ""
    ):
        return Automatic("read_receipt", "a read receipt (disposition-notification)", "ignored")
    if content_type == "multipart/report":
        return Automatic("bounce", "a delivery status report (multipart/report)", "quarantined")
    if local in _DAEMONS or headers.get("return-path", "").strip() == "<>":
        return Automatic("bounce", f"from {sender or 'the null sender'} (a bounce)", "quarantined")
    auto = headers.get("auto-submitted", "").strip().lower()
    if auto and auto.split(";")[0].strip() != "no":
        return Automatic("auto_submitted", f"Auto-Submitted: {auto[:60]}", "ignored")
    precedence = headers.get("precedence", "").strip().lower()
    if precedence in _BULK:
        return Automatic("precedence", f"Precedence: {precedence}", "ignored")
    for name in ("x-autoreply", "x-autorespond", "x-auto-response-suppress"):
        if name in headers:
            value = headers[name].strip()[:60]
            return Automatic(name.replace("-", "_")[2:], f"{name}: {value}", "ignored")
    return None


def may_answer(sender: str) -> bool:
    """An address an automatic answer may go to (never a no-reply or daemon address)."""
    local = sender.lower().split("@", 1)[0]
    return (
        bool(sender)
        and "@" in sender
        and not (
            local in _DAEMONS
            or local.replace("-", "").replace("_", "") in ("noreply", "donotreply")
        )
    )
