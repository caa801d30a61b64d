"""Which service promise line of an agreement applies to a ticket (SLA.md, "Words").

A line promises targets for one priority, scoped to a service, a whole service family, or (neither
set) the agreement as a whole. The most specific line wins: service, then family, then default. A
ticket with no line for its priority has no clock ("no promise").

A line serves one kind of ticket: `ticket_type` None serves incidents, service requests and
change needs; "feedback" serves feedback only. Feedback ("Kiitos nopeasta avusta") is not a
fault to fix on the clock: it runs no clocks unless the agreement promises something for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

PRIORITIES = ("P1", "P2", "P3", "P4")
#: The ticket types a line may be kept for (None: every type but these).
LINE_TICKET_TYPES = ("feedback",)


@dataclass(frozen=True, kw_only=True)
class PromiseLine:
    """One line of a service agreement.

    Keyword-only: five integer targets and ids side by side are too easy to swap positionally.
    Not validated on construction, because lines come from admin-edited agreements and must load
    even when wrong; ``validate_lines`` says what is wrong.
    """

    id: int
    priority: str  # "P1".."P4"
    response_minutes: int
    resolution_minutes: int
    calendar_id: int
    update_minutes: int | None = None
    service_id: int | None = None  # service_id and family both None = agreement default
    family: str | None = None  # never set together with service_id
    warning_percent: int = 80
    compliance_percent: Decimal = Decimal("95")
    ticket_type: str | None = None  # None: incidents, service requests, change needs

    @property
    def scope(self) -> str:
        scope = self._where
        return scope if self.ticket_type is None else f"{scope}, {self.ticket_type} only"

    @property
    def _where(self) -> str:
        if self.service_id is not None and self.family is not None:
            return f"service {self.service_id} and family {self.family}"
        if self.service_id is not None:
            return f"service {self.service_id}"
        if self.family is not None:
            return f"family {self.family}"
        return "agreement default"


def _first(lines: Iterable[PromiseLine]) -> PromiseLine | None:
    # Duplicates are a validation problem; if they slip through, the lowest id wins, always.
    return min(lines, key=lambda line: line.id, default=None)


def line_type_for(ticket_type: str | None) -> str | None:
    """The `ticket_type` of the lines that serve a ticket of `ticket_type`."""
    return ticket_type if ticket_type in LINE_TICKET_TYPES else None


def find_promise(
    lines: Sequence[PromiseLine],
    *,
    service_id: int | None,
    family: str | None,
    priority: str,
    ticket_type: str | None = None,
) -> PromiseLine | None:
    """The most specific line for the ticket's service, family, priority and type; None = no
    promise.

    Feedback is served by the feedback lines only (none: no clocks); every other type by the
    lines without a type, never by a feedback line. A line with both service and family set
    is invalid and never matches.
    """
    wanted = line_type_for(ticket_type)
    candidates = [
        line
        for line in lines
        if line.priority == priority
        and line.ticket_type == wanted
        and (line.service_id is None or line.family is None)
    ]
    if service_id is not None:
        found = _first(line for line in candidates if line.service_id == service_id)
        if found is not None:
            return found
    if family is not None:
        found = _first(line for line in candidates if line.family == family)
        if found is not None:
            return found
    return _first(line for line in candidates if line.service_id is None and line.family is None)


def validate_lines(lines: Sequence[PromiseLine]) -> list[str]:
    """Every problem in an agreement's lines, one message each, in line order; empty = valid."""
    problems: list[str] = []
    seen_ids: set[int] = set()
    seen_scopes: dict[tuple[int | None, str | None, str, str | None], PromiseLine] = {}
    for line in lines:
        where = f"line #{line.id} ({line.scope}, {line.priority})"
        if line.id in seen_ids:
            problems.append(f"{where}: line id #{line.id} is used more than once")
        seen_ids.add(line.id)
        if line.priority not in PRIORITIES:
            problems.append(f"{where}: priority must be one of {', '.join(PRIORITIES)}")
        if line.service_id is not None and line.family is not None:
            problems.append(f"{where}: a line is for a service or for a family, not both")
        if line.ticket_type is not None and line.ticket_type not in LINE_TICKET_TYPES:
            problems.append(
                f"{where}: a line is for every ticket type or for "
                f"{', '.join(LINE_TICKET_TYPES)} only, not {line.ticket_type!r}"
            )
        if line.family is not None and not line.family.strip():
            problems.append(f"{where}: family is blank")
        targets = {
            "response": line.response_minutes,
            "resolution": line.resolution_minutes,
            "update": line.update_minutes,
        }
        for name, minutes in targets.items():
            if minutes is not None and minutes <= 0:
                problems.append(
                    f"{where}: {name} target must be a positive number of minutes, got {minutes}"
                )
        if not 1 <= line.warning_percent <= 100:
            problems.append(
                f"{where}: warning threshold must be 1-100 %, got {line.warning_percent}"
            )
        compliance = Decimal(line.compliance_percent)
        if not compliance.is_finite() or not 0 <= compliance <= 100:
            problems.append(
                f"{where}: compliance target must be 0-100 %, got {line.compliance_percent}"
            )
        key = (line.service_id, line.family, line.priority, line.ticket_type)
        earlier = seen_scopes.get(key)
        if earlier is not None:
            problems.append(
                f"{where}: duplicates line #{earlier.id}: only one line per scope and priority"
            )
        else:
            seen_scopes[key] = line
    return problems
