"""The words of each ticket mail, in the recipient's language (one source for both parts).

Each function gets `_`, the gettext of the recipient's language, and the mail's facts,
and answers the subject and the paragraphs; `render` lays them out as plain text and as
HTML. Ticket text (titles, descriptions, comments) is never part of a translated string's
markup: it goes in as a value and is escaped by the HTML template.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from servicedesk.notifications.messages import Template

Gettext = Callable[[str], str]


@dataclass(frozen=True)
class MailFacts:
    """What the texts may say (all plain text; the HTML template escapes it)."""

    number: str
    title: str
    recipient_name: str = ""
    priority: str = ""
    description: str = ""
    #: The reply quoted in the mail, and its author's name.
    comment: str = ""
    author: str = ""
    requester: str = ""
    organisation: str = ""
    group: str = ""
    clock: str = ""
    #: An instant already formatted in the recipient's language (Helsinki time).
    at: str = ""
    link: str = ""
    rating_link: str = ""


@dataclass(frozen=True)
class MailText:
    subject: str
    greeting: str
    paragraphs: tuple[str, ...]
    #: The quoted ticket text, with its label ("" for none).
    quote_label: str = ""
    quote: str = ""
    #: Further paragraphs after the quote.
    after: tuple[str, ...] = ()
    link_label: str = ""
    link: str = ""
    rating_label: str = ""
    rating_link: str = ""
    signature: str = ""
    automatic: str = ""


def clock_name(_: Gettext, kind: str) -> str:
    names = {
        "response": _("response"),
        "resolution": _("resolution"),
        "update": _("update"),
        "supplier_response": _("supplier response"),
        "supplier_resolution": _("supplier resolution"),
    }
    return names.get(kind, kind.replace("_", " "))


def text_for(template: Template, _: Gettext, f: MailFacts) -> MailText:
    """The words of `template` for facts `f`."""
    v = {
        "number": f.number,
        "title": f.title,
        "name": f.recipient_name,
        "priority": f.priority,
        "author": f.author,
        "requester": f.requester,
        "organisation": f.organisation,
        "group": f.group,
        "clock": f.clock,
        "at": f.at,
    }
    greeting = _("Hello %(name)s,") % v if f.recipient_name else _("Hello,")
    common = {
        "greeting": greeting,
        "signature": _("KPK Service Desk"),
        "automatic": _(
            "This message was sent automatically. Keep the ticket number in the subject "
            "when you reply."
        ),
    }
    portal = _("Open the ticket")
    answer = _("You can reply to this message or answer in the portal.")
    if template is Template.ACKNOWLEDGEMENT:
        return MailText(
            subject=_("Ticket received: %(title)s") % v,
            paragraphs=(
                _("We have received your ticket %(number)s and will handle it as soon as possible.")
                % v,
            ),
            quote_label=_("Your message:"),
            quote=f.description,
            after=(_("To add something, reply to this message or write in the portal."),),
            link_label=portal,
            link=f.link,
            **common,
        )
    if template is Template.REPLY:
        return MailText(
            subject=_("New reply: %(title)s") % v,
            paragraphs=(_("%(author)s replied to your ticket %(number)s:") % v,),
            quote=f.comment,
            after=(answer,),
            link_label=portal,
            link=f.link,
            **common,
        )
    if template is Template.QUESTION:
        first = (
            _("%(author)s needs more information to go on with your ticket %(number)s:") % v
            if f.comment
            else _("Your ticket %(number)s is waiting for your answer.") % v
        )
        return MailText(
            subject=_("Waiting for your answer: %(title)s") % v,
            paragraphs=(first,),
            quote=f.comment,
            after=(_("The ticket waits for your answer.") + " " + answer,),
            link_label=portal,
            link=f.link,
            **common,
        )
    if template is Template.RESOLVED:
        return MailText(
            subject=_("Resolved: %(title)s") % v,
            paragraphs=(_("Your ticket %(number)s has been resolved.") % v,),
            quote_label=_("The solution:") if f.comment else "",
            quote=f.comment,
            after=(
                _(
                    "If the problem is not solved, reply to this message or reopen the ticket "
                    "in the portal."
                ),
                _("How did we do? Rate the service from 1 to 5; the link needs no login."),
            ),
            link_label=portal,
            link=f.link,
            rating_label=_("Rate the service"),
            rating_link=f.rating_link,
            **common,
        )
    if template is Template.CLOSED:
        return MailText(
            subject=_("Closed: %(title)s") % v,
            paragraphs=(_("Your ticket %(number)s is now closed. Thank you.") % v,),
            quote=f.comment,
            after=(_("If you need more help, file a new ticket."),),
            link_label=portal,
            link=f.link,
            **common,
        )
    if template is Template.NEW_TICKET:
        return MailText(
            subject=_("New ticket: %(title)s") % v,
            paragraphs=(
                _(
                    "A new ticket %(number)s (priority %(priority)s) for %(group)s from "
                    "%(requester)s, %(organisation)s."
                )
                % v,
            ),
            quote_label=_("Description:"),
            quote=f.description,
            link_label=portal,
            link=f.link,
            **common,
        )
    if template is Template.ASSIGNED:
        return MailText(
            subject=_("Assigned to you: %(title)s") % v,
            paragraphs=(
                _(
                    "Ticket %(number)s (priority %(priority)s) of %(organisation)s was "
                    "assigned to you."
                )
                % v,
            ),
            link_label=portal,
            link=f.link,
            **common,
        )
    if template is Template.CUSTOMER_REPLY:
        return MailText(
            subject=_("Customer replied: %(title)s") % v,
            paragraphs=(_("%(author)s replied to ticket %(number)s of %(organisation)s:") % v,),
            quote=f.comment,
            link_label=portal,
            link=f.link,
            **common,
        )
    if template is Template.SLA_WARNING:
        return MailText(
            subject=_("SLA warning, %(clock)s: %(title)s") % v,
            paragraphs=(
                _(
                    "The %(clock)s clock of ticket %(number)s (priority %(priority)s) is close "
                    "to its target: warning at %(at)s."
                )
                % v,
            ),
            link_label=portal,
            link=f.link,
            **common,
        )
    if template is Template.SLA_BREACH:
        return MailText(
            subject=_("SLA breach, %(clock)s: %(title)s") % v,
            paragraphs=(
                _(
                    "The %(clock)s clock of ticket %(number)s (priority %(priority)s) of "
                    "%(organisation)s missed its target at %(at)s."
                )
                % v,
            ),
            link_label=portal,
            link=f.link,
            **common,
        )
    if template is Template.SLA_BREACH_CUSTOMER:
        return MailText(
            subject=_("Service level not met, %(clock)s: %(title)s") % v,
            paragraphs=(
                _(
                    "We did not meet the promised %(clock)s time of ticket %(number)s of "
                    "%(organisation)s (at %(at)s)."
                )
                % v,
                _(
                    "We are sorry. The service desk and your account manager have been told, "
                    "and the ticket is being worked on."
                ),
            ),
            link_label=portal,
            link=f.link,
            **common,
        )
    raise ValueError(f"no texts for {template!r}")
