"""Canned reply placeholders: the pure `render`, no session, no Flask."""

from __future__ import annotations

import pytest

from servicedesk.canned.render import PLACEHOLDERS, render

VALUES = {
    "requester_name": "Aino Virtanen",
    "ticket_number": "KPK-2026-00042",
    "ticket_title": "Wilma ei aukea",
    "agent_name": "Eero Korhonen",
    "service_name": "Wilma",
}


def test_every_placeholder_is_filled():
    body = " | ".join("{" + name + "}" for name in PLACEHOLDERS)
    assert render(body, VALUES) == " | ".join(VALUES[name] for name in PLACEHOLDERS)


def test_a_placeholder_may_repeat_and_sit_anywhere():
    assert render("{agent_name}{agent_name} ({ticket_number})", VALUES) == (
        "Eero KorhonenEero Korhonen (KPK-2026-00042)"
    )


@pytest.mark.parametrize(
    "body",
    [
        "{unknown}",
        "{requester_name!r}",
        "{requester_name.__class__}",
        "{ticket_number:>20}",
        "{0}",
        "{}",
        "{{ticket_number}}x",
        "{ requester_name }",
        "{REQUESTER_NAME}",
        "{",
        "}",
        "%(requester_name)s",
    ],
)
def test_anything_else_is_left_as_written(body):
    expected = body.replace("{ticket_number}", VALUES["ticket_number"])
    assert render(body, VALUES) == expected


def test_a_placeholder_without_a_value_is_left_as_written():
    assert render("Palvelu: {service_name}", {}) == "Palvelu: {service_name}"


def test_values_are_not_rendered_again():
    """A value that looks like a placeholder (hostile ticket title) stays as it is."""
    values = {**VALUES, "ticket_title": "{agent_name} {0.__class__}"}
    assert render("{ticket_title}", values) == "{agent_name} {0.__class__}"


def test_text_without_placeholders_is_unchanged():
    text = "Hei,\n\nkiitos ilmoituksesta. 100 % {valmis} {} }{"
    assert render(text, VALUES) == text
