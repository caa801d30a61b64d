"""The agreement pages' pure rules: a milestone's status and what a proposal changes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from servicedesk.web.agreement_diff import (
    LineTerms,
    PromiseTerms,
    line_changes,
    milestone_status,
    promise_changes,
)

TODAY = date(2026, 12, 8)


@pytest.mark.parametrize(
    ("planned", "done", "status"),
    [
        (date(2026, 12, 1), date(2026, 12, 3), "done"),  # done late is still done
        (date(2026, 12, 20), date(2026, 12, 3), "done"),  # done early
        (date(2026, 12, 7), None, "late"),
        (TODAY, None, "planned"),  # due today is not late yet
        (date(2026, 12, 9), None, "planned"),
    ],
)
def test_a_milestone_is_done_late_or_planned(planned: date, done: date | None, status: str) -> None:
    assert milestone_status(planned, done, TODAY) == status


def line(service_id: int, price: str = "25.00", starts: date = date(2027, 1, 1)) -> LineTerms:
    return LineTerms(service_id, starts, "per_ticket", Decimal(price))


def test_a_proposal_that_keeps_every_line_changes_nothing() -> None:
    assert line_changes([line(1), line(2)], [line(2), line(1)]) == []


def test_line_changes_name_the_added_dropped_and_repriced_services() -> None:
    old = [line(1), line(2), line(3)]
    new = [line(1, "27.50"), line(3, starts=date(2027, 3, 1)), line(4)]
    changes = line_changes(old, new)
    assert [(c.kind, (c.new or c.old).service_id, c.fields) for c in changes] == [  # type: ignore[union-attr]
        ("changed", 1, ("price",)),
        ("changed", 3, ("starts_on",)),
        ("added", 4, ()),
        ("removed", 2, ()),
    ]
    assert changes[0].old == line(1) and changes[0].new == line(1, "27.50")


def promise(
    priority: str = "P2", service_id: int | None = None, resolution: int = 480, **kw: object
) -> PromiseTerms:
    fields: dict[str, object] = {
        "service_id": service_id,
        "family": None,
        "priority": priority,
        "ticket_type": None,
        "response_minutes": 60,
        "resolution_minutes": resolution,
        "update_minutes": None,
        "calendar_id": 1,
        "compliance_percent": Decimal("95"),
        **kw,
    }
    return PromiseTerms(**fields)  # type: ignore[arg-type]


def test_promises_are_matched_by_scope_and_priority() -> None:
    old = [promise("P1"), promise("P2"), promise("P2", service_id=7)]
    new = [
        promise("P1", compliance_percent=Decimal("97")),
        promise("P2", resolution=360),
        promise("P2", service_id=7),
        promise("P3"),
        promise("P2", ticket_type="feedback"),
    ]
    changes = promise_changes(old, new)
    assert [(c.kind, c.fields) for c in changes] == [
        ("changed", ("compliance_percent",)),
        ("changed", ("resolution_minutes",)),
        ("added", ()),
        ("added", ()),
    ]
    assert changes[3].new is not None and changes[3].new.ticket_type == "feedback"


def test_a_dropped_promise_is_listed_last() -> None:
    changes = promise_changes([promise("P1"), promise("P4")], [promise("P1")])
    assert [(c.kind, c.old.priority if c.old else None) for c in changes] == [("removed", "P4")]
