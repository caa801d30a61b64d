"""Who gets which mail about a ticket (pure: plain values in, planned mails out).

One `TicketChange` is everything that happened to one ticket in one transaction
(a request, a scheduler run), so a reply that also changes the status ("which floor
are you on?" + waiting for customer) is one mail, not two. Each planned mail has a
dedup key per (event, recipient): the outbox keeps one row per key, so a retried
request or a second scheduler never enqueues a mail twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

LOCALES = ("fi", "sv", "en")


class Template(StrEnum):
    """What a mail says; each has its texts in `servicedesk.notifications.texts`."""

    ACKNOWLEDGEMENT = "acknowledgement"
    REPLY = "reply"
    QUESTION = "question"
    RESOLVED = "resolved"
    CLOSED = "closed"
    NEW_TICKET = "new_ticket"
    ASSIGNED = "assigned"
    CUSTOMER_REPLY = "customer_reply"
    SLA_WARNING = "sla_warning"
    SLA_BREACH = "sla_breach"
    SLA_BREACH_CUSTOMER = "sla_breach_customer"


#: The statuses the requester hears about, and the mail that tells them.
STATUS_MAILS = {
    "waiting_for_customer": Template.QUESTION,
    "resolved": Template.RESOLVED,
    "closed": Template.CLOSED,
}


@dataclass(frozen=True)
class Person:
    """A recipient: a user (id set) or a group's shared address (id None)."""

    id: int | None
    email: str
    locale: str = "fi"
    active: bool = True
    name: str = ""

    @property
    def language(self) -> str:
        return self.locale if self.locale in LOCALES else "fi"


@dataclass(frozen=True)
class Reply:
    """A public comment written in the change."""

    comment_id: int
    author_id: int
    #: Written by the desk (agent, admin, the account manager who works the ticket).
    by_desk: bool


@dataclass(frozen=True)
class StatusChange:
    status: str
    #: Who changed it; None for the system (the auto-close job).
    actor_id: int | None
    #: The ticket's version before the change: names this change among others.
    version: int
    #: The public reply written together with the change ("here is the fix: resolved").
    reply_id: int | None = None


@dataclass(frozen=True)
class Assignment:
    assignee: Person
    actor_id: int | None
    version: int


@dataclass(frozen=True)
class TicketChange:
    """What happened to one ticket in one transaction, in order within each kind."""

    ticket_id: int
    requester: Person
    #: Who created it, when the change created it (None: not created now).
    created_by: int | None = None
    created: bool = False
    replies: tuple[Reply, ...] = ()
    statuses: tuple[StatusChange, ...] = ()
    assignments: tuple[Assignment, ...] = ()
    #: Who hears of a new ticket: the group's address, or its members.
    group: tuple[Person, ...] = ()
    #: Who hears of the customer's replies: the assignee, or else the group as above.
    handlers: tuple[Person, ...] = ()


@dataclass(frozen=True)
class Planned:
    kind: str  # the outbox kind: "requester" or "desk"
    template: Template
    recipient: Person
    dedup_key: str
    #: The reply the mail carries (quoted in its body), if any.
    comment_id: int | None = None
    #: Whether the mail opens the ticket's thread (the acknowledgement).
    opens_thread: bool = False
    #: The status change or assignment the mail tells of (its version), if any.
    version: int | None = None


def plan(change: TicketChange) -> list[Planned]:
    """Every mail the change causes: the requester's first, then the desk's."""
    return requester_mails(change) + desk_mails(change)


def requester_mails(change: TicketChange) -> list[Planned]:
    """The requester hears of: the new ticket (whoever filed it: it carries the number),
    each public reply of the desk, a question, the resolution and the closing.

    Never of their own comment; never when inactive. A reply that goes with a status
    change is the status mail, quoting the reply. Closing is told also when the
    requester closed it themselves (the receipt that it is over), as creation is.
    """
    who = change.requester
    if not who.active or not who.email:
        return []
    tid = change.ticket_id
    found: list[Planned] = []
    if change.created:
        found.append(
            Planned("requester", Template.ACKNOWLEDGEMENT, who, f"ack:{tid}", opens_thread=True)
        )
    desk_replies = {r.comment_id: r for r in change.replies if r.by_desk and r.author_id != who.id}
    told: list[tuple[StatusChange, Template]] = []
    for s in change.statuses:
        template = STATUS_MAILS.get(s.status)
        if template is None:
            continue
        if s.actor_id == who.id and template is not Template.CLOSED:
            continue  # their own doing: nothing to tell
        told.append((s, template))
    carried = {s.reply_id for s, _ in told if s.reply_id in desk_replies}
    for r in desk_replies.values():
        if r.comment_id not in carried:
            key = f"reply:{r.comment_id}:{who.id}"
            found.append(Planned("requester", Template.REPLY, who, key, r.comment_id))
    for s, template in told:
        reply_id = s.reply_id if s.reply_id in desk_replies else None
        if template is Template.CLOSED:
            key = f"closed:{tid}:{who.id}"  # closed is final: once, whoever closed it
        elif reply_id is not None:
            key = f"reply:{reply_id}:{who.id}"
        else:
            key = f"{s.status}:{tid}:v{s.version}:{who.id}"
        found.append(Planned("requester", template, who, key, reply_id, version=s.version))
    return found


def desk_mails(change: TicketChange) -> list[Planned]:
    """The desk hears of a new ticket (its group), of an assignment (the assignee) and of
    each public reply of the customer's side (an answer, a reopening's reason, a follow-up:
    the assignee, or the group while nobody has it), never of what it did itself and
    never at an inactive user."""
    tid = change.ticket_id
    found: list[Planned] = []
    if change.created:
        for person in change.group:
            if person.active and person.email and person.id != change.created_by:
                key = f"new:{tid}:{person.email.lower()}"
                found.append(Planned("desk", Template.NEW_TICKET, person, key))
    for a in change.assignments:
        who = a.assignee
        if who.active and who.email and who.id != a.actor_id:
            key = f"assigned:{tid}:{who.id}:v{a.version}"
            found.append(Planned("desk", Template.ASSIGNED, who, key, version=a.version))
    for r in change.replies:
        if r.by_desk:
            continue
        for person in change.handlers:
            if person.active and person.email and person.id != r.author_id:
                key = f"answer:{r.comment_id}:{person.email.lower()}"
                found.append(Planned("desk", Template.CUSTOMER_REPLY, person, key, r.comment_id))
    return found


def sla_recipients(
    *,
    breach: bool,
    supplier_leg: bool,
    assignee: Person | None,
    group: tuple[Person, ...],
    account_managers: tuple[Person, ...],
    customer_contacts: tuple[Person, ...],
    supplier_contact: Person | None,
) -> list[tuple[Person, Template]]:
    """Who hears of an SLA warning or breach, and in which words.

    Warning: the assignee and the group (its address, or else its members). Breach:
    also the organisation's account managers and its customer contacts (the contacts in
    the customer's words: no internal text). On a supplier leg: the group and the
    supplier's contact. Each address once; inactive users never.
    """
    desk = Template.SLA_BREACH if breach else Template.SLA_WARNING
    wanted: list[tuple[Person, Template]] = []
    if supplier_leg:
        wanted += [(p, desk) for p in group]
        if supplier_contact is not None:
            wanted.append((supplier_contact, desk))
    else:
        if assignee is not None:
            wanted.append((assignee, desk))
        wanted += [(p, desk) for p in group]
        if breach:
            wanted += [(p, desk) for p in account_managers]
            wanted += [(p, Template.SLA_BREACH_CUSTOMER) for p in customer_contacts]
    seen: set[str] = set()
    found = []
    for person, template in wanted:
        key = person.email.strip().lower()
        if person.active and key and key not in seen:
            seen.add(key)
            found.append((person, template))
    return found
