"""The words of the monthly report mail, in the recipient's language (pure).

Like `servicedesk.notifications.texts`: each function gets `_`, the gettext of the
recipient's language, and plain facts, and answers the words; the mail templates lay them
out as text and as HTML (autoescaped: an organisation's name is text, never markup).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel import dates as babel_dates
from babel import numbers as babel_numbers

from servicedesk.notifications.texts import Gettext, clock_name

_BABEL_LOCALE = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_FI"}
#: Numbers: English with a decimal point (en_FI writes a comma).
_NUMBER_LOCALE = {"fi": "fi_FI", "sv": "sv_FI", "en": "en"}
#: The PDF's file name starts with the report's name in the recipient's language (ASCII).
_FILE_STEM = {"fi": "palvelutaso", "sv": "serviceniva", "en": "service-level"}


@dataclass(frozen=True)
class KindFigures:
    """One clock kind's month: met, breached and compliance % (None: no clock counted)."""

    kind: str
    met: int
    breached: int
    percent: Decimal | None


@dataclass(frozen=True)
class MonthlyFacts:
    organisation: str
    #: The first day of the reported month.
    month: date
    received: int
    kinds: tuple[KindFigures, ...]
    link: str
    recipient_name: str = ""


@dataclass(frozen=True)
class KindRow:
    name: str
    percent: str
    met: str
    breached: str


@dataclass(frozen=True)
class MonthlyText:
    subject: str
    greeting: str
    paragraphs: tuple[str, ...]
    table_caption: str
    headers: tuple[str, str, str, str]
    rows: tuple[KindRow, ...]
    empty: str
    link_label: str
    link: str
    signature: str
    automatic: str


def month_name(month: date, locale: str) -> str:
    """ "marraskuu 2026", "november 2026", "November 2026"."""
    return babel_dates.format_date(month, "LLLL yyyy", locale=_BABEL_LOCALE.get(locale, "fi_FI"))


def percent_text(value: Decimal | None, locale: str) -> str:
    """ "95,5 %" (fi, sv) or "95.5%" (en); "-" when no clock was counted."""
    if value is None:
        return "\u2013"
    number = babel_numbers.format_decimal(
        value, format="#,##0.0#", locale=_NUMBER_LOCALE.get(locale, "fi_FI")
    )
    return f"{number}%" if locale == "en" else f"{number}\u00a0%"


def pdf_filename(organisation: str, month: str, locale: str) -> str:
    """ "palvelutaso-hameenkyro-2026-11.pdf": ASCII, so every mail client keeps it whole."""
    ascii_name = unicodedata.normalize("NFKD", organisation).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "organisaatio"
    return f"{_FILE_STEM.get(locale, _FILE_STEM['fi'])}-{slug[:60]}-{month}.pdf"


def monthly_text(_: Gettext, facts: MonthlyFacts, locale: str) -> MonthlyText:
    """The words of the monthly report mail for `facts`."""
    v = {
        "organisation": facts.organisation,
        "month": month_name(facts.month, locale),
        "received": facts.received,
        "name": facts.recipient_name,
    }
    greeting = _("Hello %(name)s,") % v if facts.recipient_name else _("Hello,")
    return MonthlyText(
        subject=_("Service-level report %(month)s: %(organisation)s") % v,
        greeting=greeting,
        paragraphs=(
            _("The service-level report of %(organisation)s for %(month)s is attached as a PDF.")
            % v,
            _("Tickets received in the month: %(received)s.") % v,
        ),
        table_caption=_("Compliance with the service promises, %(month)s") % v,
        headers=(_("Service-level clock"), _("Compliance rate"), _("Met on time"), _("Breached")),
        rows=tuple(
            KindRow(
                clock_name(_, k.kind),
                percent_text(k.percent, locale),
                str(k.met),
                str(k.breached),
            )
            for k in facts.kinds
        ),
        empty=_("No service-level clock ended or was breached in the month."),
        link_label=_("Open the report"),
        link=facts.link,
        signature=_("KPK Service Desk"),
        automatic=_("This message was sent automatically once a month."),
    )
