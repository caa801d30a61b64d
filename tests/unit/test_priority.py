"""The ITIL impact x urgency matrix as a pure rule.

The expected priorities are written out here independently of
`servicedesk.tickets.priority.MATRIX`, so a wrong cell in the code fails a test.
The agent override and the recomputation on change are tested through the API
in tests/api/test_priority.py.
"""

from __future__ import annotations

import itertools

import pytest

from servicedesk.tickets.priority import MATRIX, PRIORITIES, Level, priority_for

#: impact (rows) x urgency (columns), as the service desk's agreement shows it.
EXPECTED = {
    ("high", "high"): "P1",
    ("high", "medium"): "P2",
    ("high", "low"): "P3",
    ("medium", "high"): "P2",
    ("medium", "medium"): "P3",
    ("medium", "low"): "P4",
    ("low", "high"): "P3",
    ("low", "medium"): "P4",
    ("low", "low"): "P4",
}
LEVELS = ["high", "medium", "low"]


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [pytest.param(i, u, p, id=f"impact_{i}-urgency_{u}-is-{p}") for (i, u), p in EXPECTED.items()],
)
def test_each_cell_of_the_matrix(impact, urgency, priority):
    assert priority_for(impact, urgency) == priority


def test_the_matrix_has_exactly_the_nine_cells():
    assert len(MATRIX) == 9
    assert {(i.value, u.value) for i, u in MATRIX} == set(EXPECTED)


def test_the_matrix_accepts_the_enum_as_well_as_its_value():
    assert priority_for(Level.HIGH, Level.LOW) == "P3"


def test_every_priority_comes_from_the_known_four():
    assert set(MATRIX.values()) <= set(PRIORITIES)
    assert PRIORITIES == ("P1", "P2", "P3", "P4")


@pytest.mark.parametrize(("a", "b"), list(itertools.combinations(LEVELS, 2)))
def test_more_impact_or_more_urgency_never_lowers_the_priority(a, b):
    # a is more than b (LEVELS runs high -> low); "P1" < "P2" as text and as priority
    for other in LEVELS:
        assert priority_for(a, other) <= priority_for(b, other)
        assert priority_for(other, a) <= priority_for(other, b)


def test_impact_and_urgency_weigh_the_same():
    for i, u in EXPECTED:
        assert priority_for(i, u) == priority_for(u, i)


@pytest.mark.parametrize(
    ("impact", "urgency"),
    [("critical", "high"), ("high", "urgent"), ("", "low"), ("HIGH", "high")],
)
def test_a_level_outside_high_medium_low_is_refused(impact, urgency):
    with pytest.raises(ValueError):
        priority_for(impact, urgency)
