"""Threading of ticket mail: Message-IDs, the thread root, the subject's ticket tag (pure).

Every mail about a ticket names the ticket's thread root in `In-Reply-To` and
`References`, so mail clients keep one conversation per ticket and e-mail-in
(`servicedesk.mail`) finds the ticket of a reply. The root is the Message-ID of the
e-mail that opened the ticket, or else a stable id made from the ticket number,
which the acknowledgement carries as its own Message-ID (the root then exists).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass


def domain_of(mail_from: str) -> str:
    """The right-hand side of our Message-IDs: the domain of MAIL_FROM."""
    domain = mail_from.strip().rstrip(">").rpartition("@")[2]
    return domain or "localhost"


def root_id(number: str, domain: str) -> str:
    """The synthetic thread root of a ticket: `<kpk-2026-00042@kpk.example>`."""
    return f"<{number.lower()}@{domain}>"


def new_message_id(number: str, domain: str) -> str:
    """A fresh Message-ID for one mail of a ticket: `<kpk-2026-00042.{random}@domain>`."""
    return f"<{number.lower()}.{secrets.token_hex(8)}@{domain}>"


def subject_tag(number: str) -> str:
    """The ticket number as e-mail-in parses it from a subject: `[KPK-2026-00042]`."""
    return f"[{number}]"


def tagged(number: str, subject: str) -> str:
    return f"{subject_tag(number)} {subject}"


_MESSAGE_ID = re.compile(r"<[^<>\s]{1,246}>")


def usable_id(value: str | None) -> str | None:
    """A Message-ID fit for our headers, or None: it came in with someone's e-mail (hostile
    input), and a line break in it would be a header of its own."""
    value = (value or "").strip()
    return value if _MESSAGE_ID.fullmatch(value) else None


@dataclass(frozen=True)
class Thread:
    """The threading headers of one mail."""

    message_id: str
    in_reply_to: str | None
    references: str | None


def thread_for(
    number: str, domain: str, mail_message_id: str | None, *, opens: bool = False
) -> Thread:
    """Headers of a mail of ticket `number`.

    `opens`: the mail that starts the thread on our side (the acknowledgement). For a
    ticket that came by e-mail it answers that e-mail; otherwise it *is* the root.
    """
    mail_message_id = usable_id(mail_message_id)
    root = mail_message_id or root_id(number, domain)
    if opens and not mail_message_id:
        return Thread(root, None, None)
    return Thread(new_message_id(number, domain), root, root)
