"""The hooks the ticket operations call, and the mails they cause, written at commit.

The operations note what happened (`created`, `commented`, `updated`) in the session;
just before the transaction commits, everything noted is turned into mails
(`messages.plan`: who gets what), rendered in each recipient's language and written
to the outbox in ONE multi-row INSERT, in the same transaction as the change. Noting
first and writing at the end is what lets a reply and the status change of the same
request be one mail, and keeps a create at two extra statements (the group's
recipients, the INSERT). A rollback drops the notes with the change.

Exactly once: every mail has a dedup key per (event, recipient) and the INSERT skips a
key that exists (`ON CONFLICT DO NOTHING`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import Session

from catalog.groups.models import ResolverGroup, group_members
from servicedesk import statements
from servicedesk.db import utcnow
from servicedesk.enums import Role
from servicedesk.notifications.messages import (
    Assignment,
    Person,
    Planned,
    Reply,
    StatusChange,
    Template,
    TicketChange,
    plan,
)
from servicedesk.notifications.operations import HISTORY, enqueue_rows
from servicedesk.notifications.render import render
from servicedesk.notifications.texts import MailFacts
from servicedesk.notifications.threads import domain_of, thread_for
from servicedesk.users.models import User

_NOTES = "ticket_mail"  # sess.info: {ticket id: _Noted}
_APP = "ticket_mail_app"  # sess.info: the app whose settings the mails use
_DESK_ROLES = (Role.AGENT, Role.ADMIN, Role.ACCOUNT_MANAGER)


@dataclass
class _Noted:
    ticket: Any
    created_by: int | None = None
    created_at: datetime | None = None
    created: bool = False
    #: (comment, by desk) in order; internal notes and supplier messages are not here.
    comments: list[tuple[Any, bool]] = field(default_factory=list)
    statuses: list[tuple[StatusChange, datetime]] = field(default_factory=list)
    assignments: list[tuple[int, int | None, int, datetime]] = field(default_factory=list)
    #: The last thing noted: a public reply's comment id, or None.
    last_reply: int | None = None


def _noted(sess: Session, ticket: Any) -> _Noted:
    if has_app_context():  # the commit may come after the app context (a scheduler job)
        sess.info.setdefault(_APP, current_app._get_current_object())  # type: ignore[attr-defined]
    notes: dict[int, _Noted] = sess.info.setdefault(_NOTES, {})
    if ticket.id not in notes:
        notes[ticket.id] = _Noted(ticket)
    return notes[ticket.id]


def _desk(user: Any) -> bool:
    return user is not None and user.role_enum in _DESK_ROLES


def created(sess: Session, ticket: Any, actor: Any) -> None:
    """A ticket was filed (any channel; also by the desk for a requester)."""
    n = _noted(sess, ticket)
    n.created, n.created_by, n.created_at, n.last_reply = True, actor.id, utcnow(), None
    if ticket.assignee_id is not None:  # routing gave it to someone (an account manager)
        n.assignments.append((ticket.assignee_id, actor.id, 0, n.created_at))


def commented(sess: Session, ticket: Any, comment: Any, actor: Any) -> None:
    """A comment was added; only a public one of the customer's conversation is told."""
    n = _noted(sess, ticket)
    if comment.internal or comment.escalation_id is not None:
        n.last_reply = None
        return
    n.comments.append((comment, _desk(actor)))
    n.last_reply = comment.id


def updated(sess: Session, ticket: Any, actor: Any, diff: dict[str, Any]) -> None:
    """Fields changed (`diff`: field -> {before, after}); status and assignee are told."""
    n = _noted(sess, ticket)
    now = utcnow()
    actor_id = actor.id if actor is not None else None
    version = ticket.version or 0
    if "assignee_id" in diff and diff["assignee_id"]["after"] is not None:
        n.assignments.append((diff["assignee_id"]["after"], actor_id, version, now))
    if "status" in diff:
        change = StatusChange(diff["status"]["after"], actor_id, version, n.last_reply)
        n.statuses.append((change, now))
    n.last_reply = None


def record_as_delivered(sess: Session) -> None:
    """The demo replays history: its mails are written as sent at their event's instant."""
    sess.info[HISTORY] = True


# --- at commit -------------------------------------------------------------------------


@event.listens_for(Session, "before_commit")
def _write_noted(sess: Session) -> None:
    notes: dict[int, _Noted] | None = sess.info.pop(_NOTES, None)
    app = sess.info.pop(_APP, None)
    if not notes:
        return
    sess.flush()
    history = bool(sess.info.get(HISTORY))
    if app is not None and not has_app_context():
        with app.app_context():
            rows = list(_rows(sess, list(notes.values()), history=history))
    else:
        rows = list(_rows(sess, list(notes.values()), history=history))
    enqueue_rows(sess, rows)


@event.listens_for(Session, "after_transaction_end")
def _forget(sess: Session, trans: Any) -> None:
    if trans.parent is None:  # the outermost transaction ended (committed or rolled back)
        sess.info.pop(_NOTES, None)
        sess.info.pop(_APP, None)
        sess.info.pop(_SAVED, None)


# A SAVEPOINT that rolls back takes its notes with it (e-mail-in places a mail in one: a
# ticket that is rolled back there must not be announced at the commit).
_SAVED = "ticket_mail_savepoints"  # sess.info: {id(savepoint): the notes when it began}


def _copy(notes: dict[int, _Noted]) -> dict[int, _Noted]:
    return {
        tid: replace(
            n,
            comments=list(n.comments),
            statuses=list(n.statuses),
            assignments=list(n.assignments),
        )
        for tid, n in notes.items()
    }


@event.listens_for(Session, "after_transaction_create")
def _remember(sess: Session, trans: Any) -> None:
    if trans.nested:
        sess.info.setdefault(_SAVED, {})[id(trans)] = _copy(sess.info.get(_NOTES, {}))


@event.listens_for(Session, "after_soft_rollback")
def _take_back(sess: Session, trans: Any) -> None:
    saved = sess.info.get(_SAVED, {}).pop(id(trans), None)
    if trans.nested and saved is not None:
        sess.info[_NOTES] = saved


def _person(user: Any) -> Person:
    return Person(user.id, user.email, user.locale, user.active, user.name)


def _group_recipients_statement() -> Any:
    # The columns a Person needs, not User entities (a group can have many members).
    return (
        select(
            ResolverGroup.id,
            ResolverGroup.name,
            ResolverGroup.email,
            User.id.label("user_id"),
            User.email.label("user_email"),
            User.locale,
            User.active,
            User.name.label("user_name"),
        )
        .outerjoin(group_members, group_members.c.group_id == ResolverGroup.id)
        .outerjoin(User, User.id == group_members.c.user_id)
        .where(ResolverGroup.id.in_(bindparam("ids", expanding=True)))
        .order_by(ResolverGroup.id, User.id)
    )


def _group_recipients(sess: Session, group_ids: set[int]) -> dict[int, tuple[str, list[Person]]]:
    """Per group: its name and who hears of its new tickets (its address, else its members)."""
    if not group_ids:
        return {}
    rows = sess.execute(
        statements.kept("group_recipients", _group_recipients_statement), {"ids": list(group_ids)}
    )
    found: dict[int, tuple[str, list[Person]]] = {}
    for gid, name, email, user_id, user_email, locale, active, user_name in rows:
        _, people = found.setdefault(gid, (name, []))
        if email:
            if not people:
                people.append(Person(None, email))
        elif user_id is not None:
            people.append(Person(user_id, user_email, locale, active, user_name))
    return found


def mail_settings() -> tuple[str, str]:
    """(Message-ID domain, public URL), from the app's settings (or the environment)."""
    if has_app_context():
        settings = current_app.config["SETTINGS"]
        return domain_of(settings.mail_from), settings.public_url
    return (
        domain_of(os.environ.get("MAIL_FROM", "palvelupiste@kpk.example")),
        os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/"),
    )


def supplier_thread(number: str) -> dict[str, str | None]:
    """`enqueue`'s threading of a mail to a supplier: on the ticket's own root, never the
    customer's Message-ID (the supplier does not see the customer's mail); its answer finds
    the ticket by this mail's Message-ID."""
    thread = thread_for(number, mail_settings()[0], None)
    return {
        "message_id": thread.message_id,
        "in_reply_to": thread.in_reply_to,
        "references_header": thread.references,
        "auto_submitted": "auto-generated",
    }


def _organisation_name(org: Any, language: str) -> str:
    """The organisation in the recipient's language (Finland is bilingual: name_sv)."""
    if org is None:
        return ""
    return (language == "sv" and org.name_sv) or org.name


def _rating_link(ticket: Any) -> str:
    if not has_app_context():
        return ""
    from servicedesk.ratings.links import rating_url

    return rating_url(ticket.id, ticket.requester_id)


def _rows(sess: Session, noted: list[_Noted], *, history: bool) -> Iterable[dict[str, Any]]:
    # The group hears of a new ticket, and of the customer's reply while nobody has it.
    groups = _group_recipients(
        sess,
        {
            n.ticket.group_id
            for n in noted
            if n.ticket.group_id
            and (n.created or (n.ticket.assignee_id is None and _customer_replied(n)))
        },
    )
    domain, public_url = mail_settings()
    now = utcnow()
    for n in noted:
        ticket = n.ticket
        group_name, group = groups.get(ticket.group_id, ("", [])) if n.created else ("", [])
        assignments = []
        instants: dict[tuple[Template, int | None], datetime] = {}
        for user_id, actor_id, version, at in n.assignments:
            user = sess.get(User, user_id)
            if user is not None:
                assignments.append(Assignment(_person(user), actor_id, version))
                instants[(Template.ASSIGNED, version)] = at
        for change, at in n.statuses:
            instants[(Template.QUESTION, change.version)] = at
            instants[(Template.RESOLVED, change.version)] = at
            instants[(Template.CLOSED, change.version)] = at
        handlers: tuple[Person, ...] = ()
        if _customer_replied(n):
            assignee = sess.get(User, ticket.assignee_id) if ticket.assignee_id else None
            if assignee is not None:
                handlers = (_person(assignee),)
            else:
                group_name, people = groups.get(ticket.group_id, ("", []))
                handlers = tuple(people)
        change = TicketChange(
            ticket_id=ticket.id,
            requester=_person(ticket.requester),
            created_by=n.created_by,
            created=n.created,
            replies=tuple(Reply(c.id, c.author_id, desk) for c, desk in n.comments),
            statuses=tuple(s for s, _ in n.statuses),
            assignments=tuple(assignments),
            group=tuple(group),
            handlers=handlers,
        )
        comments = {c.id: c for c, _ in n.comments}
        for mail in plan(change):
            comment = comments.get(mail.comment_id) if mail.comment_id else None
            at = _instant(mail, n, comment, instants, now)
            yield _row(ticket, mail, comment, group_name, domain, public_url, at, history=history)


def _customer_replied(n: _Noted) -> bool:
    return any(not desk for _, desk in n.comments)


def _instant(
    mail: Planned,
    n: _Noted,
    comment: Any,
    instants: dict[tuple[Template, int | None], datetime],
    now: datetime,
) -> datetime:
    if comment is not None:
        return instants.get((mail.template, mail.version), comment.created_at)
    if mail.template in (Template.ACKNOWLEDGEMENT, Template.NEW_TICKET):
        return n.created_at or now
    return instants.get((mail.template, mail.version), now)


def _row(
    ticket: Any,
    mail: Planned,
    comment: Any,
    group_name: str,
    domain: str,
    public_url: str,
    at: datetime,
    *,
    history: bool,
) -> dict[str, Any]:
    desk = mail.kind == "desk"
    link = f"{public_url}/{'desk' if desk else 'portal'}/tickets/{ticket.id}"
    facts = MailFacts(
        number=ticket.number,
        title=ticket.title,
        recipient_name=mail.recipient.name,
        priority=ticket.priority,
        description=ticket.description
        if mail.template in (Template.ACKNOWLEDGEMENT, Template.NEW_TICKET)
        else "",
        comment=comment.body if comment is not None else "",
        author=comment.author.name if comment is not None else "",
        requester=ticket.requester.name,
        organisation=_organisation_name(ticket.organisation, mail.recipient.language),
        group=group_name,
        link=link,
        rating_link=_rating_link(ticket) if mail.template is Template.RESOLVED else "",
    )
    rendered = render(mail.template, mail.recipient.language, facts)
    thread = thread_for(ticket.number, domain, ticket.mail_message_id, opens=mail.opens_thread)
    return outbox_row(
        kind=mail.kind,
        recipient=mail.recipient.email,
        subject=rendered.subject,
        body=rendered.text,
        html_body=rendered.html,
        message_id=thread.message_id,
        in_reply_to=thread.in_reply_to,
        references_header=thread.references,
        ticket_id=ticket.id,
        dedup_key=mail.dedup_key,
        at=at,
        history=history,
    )


def outbox_row(
    *,
    kind: str,
    recipient: str,
    subject: str,
    body: str,
    html_body: str | None,
    message_id: str | None,
    in_reply_to: str | None,
    references_header: str | None,
    ticket_id: int | None,
    dedup_key: str,
    at: datetime,
    history: bool = False,
    auto_submitted: str = "auto-generated",
) -> dict[str, Any]:
    """One outbox row for `enqueue_rows`; history is written as delivered at `at`."""
    now = utcnow()
    return {
        "kind": kind,
        "recipient": recipient.strip(),
        "subject": " ".join(subject.split())[:300],
        "body": body,
        "html_body": html_body,
        "message_id": message_id,
        "in_reply_to": in_reply_to,
        "references_header": references_header,
        "auto_submitted": auto_submitted,
        "ticket_id": ticket_id,
        "dedup_key": dedup_key[:200],
        "status": "sent" if history else "pending",
        "sent_at": at if history else None,
        "attempts": 0,
        "created_at": at if history else now,
        "next_attempt_at": at if history else now,
    }
