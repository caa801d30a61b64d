"""Fill a canned reply's placeholders: a pure function, no session, no Flask.

A regex substitutes only the known names; `str.format` would let a stored text reach
attributes (`{ticket.__class__}`) and would choke on any other brace.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: The placeholders a canned reply may use.
PLACEHOLDERS = (
    "requester_name",
    "ticket_number",
    "ticket_title",
    "agent_name",
    "service_name",
)

_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


def render(body: str, values: Mapping[str, str]) -> str:
    """`body` with each known placeholder that has a value replaced; the rest left as written."""

    def fill(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return match.group(0) if value is None else value

    return _PLACEHOLDER.sub(fill, body)
