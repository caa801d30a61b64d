"""Languages of the pages: fi (default), sv, en; instants in Helsinki time.

The locale comes from the logged-in user's choice, else the session's, else the
browser's best match, else Finnish.
"""

from __future__ import annotations

from datetime import date, datetime

from babel import dates as babel_dates
from flask import Flask, request, session
from flask_babel import (
    Babel,
    format_date,
    format_datetime,
    format_decimal,
    get_locale,
    get_timezone,
    gettext,
)
from flask_login import current_user

LOCALES = ("fi", "sv", "en")
DEFAULT_LOCALE = "fi"
TIMEZONE = "Europe/Helsinki"
#: The language switch shows each language in its own words.
LANGUAGE_NAMES = {"fi": "Suomi", "sv": "Svenska", "en": "English"}


def select_locale() -> str:
    user = current_user
    if getattr(user, "is_authenticated", False) and user.locale in LOCALES:
        return user.locale
    chosen = session.get("lang")
    if chosen in LOCALES:
        return chosen
    return request.accept_languages.best_match(LOCALES) or DEFAULT_LOCALE


def init_babel(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", TIMEZONE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    Babel(app, locale_selector=select_locale, timezone_selector=lambda: TIMEZONE)
    app.jinja_env.filters["local_dt"] = local_datetime
    app.jinja_env.filters["business_minutes"] = business_minutes_words
    app.jinja_env.filters["format_number"] = format_decimal
    app.jinja_env.filters["local_date"] = local_date
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale() or DEFAULT_LOCALE)
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES


#: English pages are read in Finland: day first and a 24-hour clock, not the US short form.
_SHORT_EN = "d MMM yyyy, HH:mm"


def local_datetime(value: datetime | None, fmt: str = "short") -> str:
    """An instant in Helsinki time, in the page's language ("" for none)."""
    if value is None:
        return ""
    locale = str(get_locale() or DEFAULT_LOCALE)
    if fmt == "short" and locale == "en":
        fmt = _SHORT_EN
    if locale == "sv":
        # Finland-Swedish writes dates and times like Finnish (2.10.2026 10.27), not the
        # Sweden way (2026-10-02 10:27): format with sv_FI, translate with sv.
        return babel_dates.format_datetime(value, fmt, tzinfo=get_timezone(), locale="sv_FI")
    return format_datetime(value, fmt)


def local_date(value: date | str | None) -> str:
    """A calendar date (or its ISO text, as the SLA explanation carries it) in the page's
    language."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return format_date(value, "medium")


def business_minutes_words(minutes: int | None) -> str:
    """Business time in words: "1 d 3 h 20 min" would mislead (a business day is not 24 h),
    so hours and minutes only."""
    if minutes is None:
        return ""
    minutes = max(0, int(minutes))
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return gettext("%(hours)d h %(minutes)d min", hours=hours, minutes=rest)
    if hours:
        return gettext("%(hours)d h", hours=hours)
    return gettext("%(minutes)d min", minutes=rest)
