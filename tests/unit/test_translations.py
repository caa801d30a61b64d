"""Every page text is translated in fi, sv and en; the compiled catalogues are current."""

from __future__ import annotations

from servicedesk.web import catalogs


def test_every_page_text_is_translated_in_finnish_swedish_and_english() -> None:
    problems = [str(p) for p in catalogs.check()]
    assert not problems, f"{len(problems)} problems, e.g.:\n" + "\n".join(problems[:40])


def test_the_check_finds_a_text_that_has_no_translation() -> None:
    source = catalogs.extract()
    source.add("A text nobody translated 1f3c", None)
    problems = [p for p in catalogs.check(source) if p.msgid == "A text nobody translated 1f3c"]
    assert {p.locale for p in problems} == {"fi", "sv", "en"}


def test_the_check_finds_a_translation_that_drops_a_placeholder() -> None:
    assert catalogs._placeholders("%(hours)d h %(minutes)d min") == {"hours", "minutes"}
    assert catalogs._placeholders("{requester_name}, hei") == {"requester_name"}
