"""Poll an IMAP mailbox: each unseen message through the intake, then marked seen.

Messages are fetched with BODY.PEEK[] (fetching does not mark them) and flagged
\\Seen only after the intake stored them, so a poll that dies half-way fetches the
rest again next time; one fetched twice is recognised by its Message-ID (the intake's
unique key). A message the database could not take (it is down) stays unseen.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass, field

from flask import Flask
from imapclient import IMAPClient
from sqlalchemy.exc import InterfaceError, OperationalError

from servicedesk.config import Settings
from servicedesk.mail.intake import Result, receive

log = logging.getLogger("servicedesk.mail.imap")

#: Messages taken per poll: a backlog is worked off over several polls, not one long one.
BATCH = 200


@dataclass
class PollReport:
    fetched: int = 0
    results: list[Result] = field(default_factory=list)
    left_unseen: int = 0


def connect(settings: Settings, timeout: float = 30.0) -> IMAPClient:
    context = ssl.create_default_context() if settings.imap_ssl else None
    client = IMAPClient(
        settings.imap_host,
        port=settings.imap_port,
        ssl=settings.imap_ssl,
        ssl_context=context,
        timeout=timeout,
    )
    try:
        client.login(settings.imap_user, settings.imap_password)
    except BaseException:
        client.shutdown()  # a refused login must not leave the socket open
        raise
    return client


def poll(app: Flask, settings: Settings | None = None) -> PollReport:
    """One poll of the configured mailbox (IMAP_HOST, IMAP_FOLDER)."""
    settings = settings or app.config["SETTINGS"]
    report = PollReport()
    if not settings.imap_host:
        return report
    client = connect(settings)
    try:
        client.select_folder(settings.imap_folder)
        uids = sorted(client.search(["UNSEEN"]))[:BATCH]
        for uid in uids:
            fetched = client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {})
            raw = fetched.get(b"BODY[]")
            if raw is None:
                continue
            report.fetched += 1
            try:
                result = receive(app, bytes(raw), "imap")
            except (OperationalError, InterfaceError):
                log.warning("database unreachable: IMAP message %s left unseen", uid)
                report.left_unseen += 1
                break
            report.results.append(result)
            client.add_flags([uid], [b"\\Seen"])
    finally:
        try:
            client.logout()
        except Exception:  # the poll's work is done; a lost goodbye is harmless
            log.debug("IMAP logout failed", exc_info=True)
    return report


def imap_poll_job(app: Flask, _sess: object) -> None:
    """The scheduler's job: one poll. Each message commits in its own transactions; the
    job's session only holds the job's lock."""
    report = poll(app)
    if report.fetched:
        log.info("IMAP poll: %d message(s)", report.fetched)
