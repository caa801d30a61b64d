"""Render a ticket mail: plain text and HTML from Jinja templates, in one language.

Works without a Flask app context (the scheduler's jobs have none): the translations
are read from the project's catalogues (`servicedesk/translations`, the ones the pages
use) with Babel, and the HTML template is autoescaped, so ticket text (hostile input)
arrives as text, never as markup. The HTML has no remote images and no script.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from servicedesk.notifications.messages import LOCALES, Template
from servicedesk.notifications.texts import Gettext, MailFacts, clock_name, text_for

TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"
TEMPLATES = Path(__file__).resolve().parent / "templates" / "mail"
HELSINKI = ZoneInfo("Europe/Helsinki")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@cache
def translations(locale: str) -> NullTranslations:
    if locale not in LOCALES:
        locale = "fi"
    return Translations.load(str(TRANSLATIONS), [locale], domain="messages")


def gettext_for(locale: str) -> Gettext:
    return translations(locale).gettext


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def local_instant(value: datetime, locale: str) -> str:
    """An instant in Helsinki time, written as the recipient's language writes it."""
    babel_locale = {"sv": "sv_FI", "en": "en_FI"}.get(locale, "fi_FI")
    return babel_dates.format_datetime(
        value, "d.M.yyyy HH:mm", tzinfo=HELSINKI, locale=babel_locale
    )


def clock_label(kind: str, locale: str) -> str:
    return clock_name(gettext_for(locale), kind)


def render_parts(template: str, subject: str, context: dict[str, object]) -> Rendered:
    """The text and HTML parts of the mail template `template` (`<template>.txt`/`.html`
    beside `_layout.html`), one environment for every mail the service writes."""
    env = _environment()
    return Rendered(
        subject=subject,
        text=env.get_template(f"{template}.txt").render(context),
        html=env.get_template(f"{template}.html").render(context),
    )


def render(template: Template, locale: str, facts: MailFacts) -> Rendered:
    """The subject (with the ticket tag), the text part and the HTML part."""
    locale = locale if locale in LOCALES else "fi"
    words = text_for(template, gettext_for(locale), facts)
    context = {"m": words, "lang": locale, "number": facts.number, "title": facts.title}
    return render_parts("ticket", f"[{facts.number}] {words.subject}", context)
