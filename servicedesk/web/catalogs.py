"""The translation catalogues (fi, sv, en): extract, update, compile, and check them.

`servicedesk i18n extract|update|compile|check`. The check is also a test: a page text
without a translation in any language fails the suite.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import click
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from servicedesk.web.i18n import LOCALES

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "servicedesk" / "translations"
POT = TRANSLATIONS / "messages.pot"
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


def _method_map() -> list[tuple[str, str]]:
    return [
        ("servicedesk/**.py", "python"),
        ("catalog/**.py", "python"),
        ("sla/**.py", "python"),
        ("servicedesk/**/templates/**.html", "jinja2"),
    ]


def extract() -> Catalog:
    """Every translatable text in the code and the templates."""
    catalog = Catalog(project="kpk-servicedesk", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT),
        _method_map(),
        keywords={"_": None, "gettext": None, "ngettext": (1, 2), "_l": None,
                  "lazy_gettext": None},
        comment_tags=("TRANSLATORS:",),
        strip_comment_tags=True,
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def load_po(locale: str) -> Catalog:
    with po_path(locale).open("rb") as fh:
        return read_po(fh, locale=locale)


@dataclass(frozen=True)
class Problem:
    locale: str
    msgid: str
    what: str

    def __str__(self) -> str:
        return f"{self.locale}: {self.what}: {self.msgid!r}"


def _placeholders(text: str) -> set[str]:
    return {a or b for a, b in _PLACEHOLDER.findall(text)}


def check(source: Catalog | None = None) -> Iterator[Problem]:
    """Missing, empty or fuzzy translations; placeholders that differ from the English text
    (a translation that drops or renames %(name)s would fail at run time); stale .mo files."""
    source = source or extract()
    for locale in LOCALES:
        path = po_path(locale)
        if not path.exists():
            yield Problem(locale, "", "no catalogue")
            continue
        po = load_po(locale)
        for message in source:
            if not message.id:
                continue
            have = po.get(message.id, context=message.context)
            key = message.id if isinstance(message.id, str) else message.id[0]
            if have is None:
                yield Problem(locale, key, "missing")
                continue
            strings = have.string if isinstance(have.string, tuple) else (have.string,)
            if not all(strings):
                yield Problem(locale, key, "not translated")
            elif have.fuzzy:
                yield Problem(locale, key, "fuzzy")
            else:
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                wanted = set().union(*(_placeholders(i) for i in ids))
                for s in strings:
                    if _placeholders(s) != wanted:
                        yield Problem(locale, key, f"placeholders differ in {s!r}")
        mo = path.with_suffix(".mo")
        if not mo.exists():
            yield Problem(locale, "", "not compiled (run: servicedesk i18n compile)")
            continue
        with mo.open("rb") as fh:
            compiled = read_mo(fh)
        if _messages(compiled) != _messages(po):
            yield Problem(locale, "", "the .mo is older than the .po (servicedesk i18n compile)")


def _messages(catalog: Catalog) -> dict[object, object]:
    """id → text, plural forms as tuples (a .mo gives lists, a .po tuples)."""

    def plain(value: object) -> object:
        return tuple(value) if isinstance(value, list | tuple) else value

    return {plain(m.id): plain(m.string) for m in catalog if m.id}


def update(source: Catalog) -> None:
    TRANSLATIONS.mkdir(parents=True, exist_ok=True)
    with POT.open("wb") as fh:
        write_po(fh, source, omit_header=False, sort_output=True, no_location=True)
    for locale in LOCALES:
        path = po_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            po = load_po(locale)
        else:
            po = Catalog(locale=locale, project="kpk-servicedesk", charset="utf-8")
        po.update(source, no_fuzzy_matching=True)
        po.obsolete.clear()
        with path.open("wb") as fh:
            write_po(fh, po, sort_output=True, no_location=True, ignore_obsolete=True)


def compile_all() -> None:
    for locale in LOCALES:
        po = load_po(locale)
        buf = BytesIO()
        write_mo(buf, po, use_fuzzy=False)
        po_path(locale).with_suffix(".mo").write_bytes(buf.getvalue())


@click.group("i18n", help="The translation catalogues (fi, sv, en).")
def i18n() -> None:
    pass


@i18n.command("update")
def update_command() -> None:
    """Extract the texts and merge them into each language's .po."""
    update(extract())
    click.echo(f"updated {', '.join(LOCALES)} in {TRANSLATIONS}")


@i18n.command("compile")
def compile_command() -> None:
    """Compile each .po into the .mo the app reads."""
    compile_all()
    click.echo("compiled")


@i18n.command("check")
def check_command() -> None:
    """List missing, untranslated or fuzzy texts; exit 1 if there are any."""
    problems = list(check())
    for p in problems:
        click.echo(str(p))
    if problems:
        raise SystemExit(1)
    click.echo("every text is translated in " + ", ".join(LOCALES))
