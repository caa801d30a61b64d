"""The words of an agreement reminder mail, in the recipient's language (pure).

Like `servicedesk.reports.monthly_texts`: `_` is the recipient's gettext, the facts are plain
values, and the mail templates (`agreement_reminder.txt` / `.html`) lay the words out; the
HTML one is autoescaped (an organisation's name is text, never markup).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from babel import dates as babel_dates

from servicedesk.notifications.texts import Gettext

_BABEL_LOCALE = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_FI"}


@dataclass(frozen=True)
class ReminderFacts:
    kind: str
    organisation: str
    version_no: int
    valid_from: date
    valid_to: date | None
    renewal_deadline: date | None
    #: Days to the deadline (renewal_deadline) or to the end (lapse kinds); 0: today.
    days_left: int
    #: The successor being negotiated: None, "draft" or "proposed"; `accepted` for a
    #: proposal the customer accepted.
    successor_state: str | None
    successor_no: int | None
    accepted: bool
    link: str
    recipient_name: str = ""
    #: An account manager (the centre) or the customer's contact (who never hears of drafts).
    desk: bool = True


@dataclass(frozen=True)
class ReminderText:
    subject: str
    greeting: str
    paragraphs: tuple[str, ...]
    link_label: str
    link: str
    signature: str
    automatic: str


def day_text(day: date, locale: str) -> str:
    """ "31.12.2026" (fi), "31.12.2026" (sv), "31 Dec 2026" (en)."""
    pattern = "d MMM yyyy" if locale == "en" else "d.M.yyyy"
    return babel_dates.format_date(day, pattern, locale=_BABEL_LOCALE.get(locale, "fi_FI"))


def _successor_text(_: Gettext, facts: ReminderFacts) -> str:
    v = {"version": facts.successor_no}
    if facts.successor_state == "draft":
        return _("The renewal is being drafted (version %(version)s).") % v
    if facts.successor_state == "proposed" and facts.accepted:
        return (
            _("The customer has accepted the proposal (version %(version)s); it awaits signing.")
            % v
        )
    if facts.successor_state == "proposed":
        return (
            _(
                "The renewal (version %(version)s) has been proposed to the customer and awaits "
                "their acceptance."
            )
            % v
        )
    if facts.desk:
        return _("No renewal has been drafted yet.")
    return _("No renewal has been proposed to you yet.")


def reminder_text(_: Gettext, facts: ReminderFacts, locale: str) -> ReminderText:
    """The words of the reminder of `facts.kind` about one agreement version."""
    v = {
        "organisation": facts.organisation,
        "version": facts.version_no,
        "start": day_text(facts.valid_from, locale),
        "end": day_text(facts.valid_to, locale) if facts.valid_to else "",
        "deadline": day_text(facts.renewal_deadline, locale) if facts.renewal_deadline else "",
        "days": facts.days_left,
        "name": facts.recipient_name,
    }
    if facts.kind == "renewal_deadline":
        subject = _("Agreement renewal due by %(deadline)s: %(organisation)s") % v
        first = (
            _(
                "The service agreement of %(organisation)s (version %(version)s) is to be "
                "renewed by %(deadline)s, in time for the customer's budgeting. Days left: "
                "%(days)s."
            )
            % v
        )
    elif facts.kind == "lapse_last_day":
        subject = _("The service agreement of %(organisation)s ends today") % v
        first = (
            _(
                "The service agreement of %(organisation)s (version %(version)s) ends today, "
                "%(end)s, and no signed agreement follows it. From tomorrow the service desk "
                "refuses the tickets of %(organisation)s."
            )
            % v
        )
    else:
        subject = _("The service agreement of %(organisation)s ends on %(end)s") % v
        first = (
            _(
                "The service agreement of %(organisation)s (version %(version)s) ends on "
                "%(end)s and no signed agreement follows it. Days left: %(days)s. After that "
                "the service desk refuses the tickets of %(organisation)s."
            )
            % v
        )
    return ReminderText(
        subject=subject,
        greeting=_("Hello %(name)s,") % v if facts.recipient_name else _("Hello,"),
        paragraphs=(first, _successor_text(_, facts)),
        link_label=_("Open the agreement"),
        link=facts.link,
        signature=_("KPK Service Desk"),
        automatic=_("This reminder was sent automatically, once for each step."),
    )
