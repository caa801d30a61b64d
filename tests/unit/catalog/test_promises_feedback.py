"""Promise lines by ticket type: feedback gets feedback lines only, everything else never."""

import pytest

from catalog.promises import PromiseLine, find_promise, line_type_for, validate_lines


def line(id, priority="P3", **kw):
    values = {"response_minutes": 60, "resolution_minutes": 480, "calendar_id": 1}
    values.update(kw)
    return PromiseLine(id=id, priority=priority, **values)


DEFAULT = line(1)
SERVICE = line(2, service_id=10)
FEEDBACK = line(3, ticket_type="feedback", response_minutes=480, resolution_minutes=4800)
FEEDBACK_SERVICE = line(4, service_id=10, ticket_type="feedback")


def find(lines, ticket_type, service_id=11, family="application"):
    return find_promise(
        lines, service_id=service_id, family=family, priority="P3", ticket_type=ticket_type
    )


@pytest.mark.parametrize("ticket_type", ["incident", "service_request", "change_need", None])
def test_other_types_take_the_untyped_lines_and_never_a_feedback_line(ticket_type):
    assert find([FEEDBACK, DEFAULT], ticket_type) is DEFAULT
    assert find([FEEDBACK], ticket_type) is None
    assert find([FEEDBACK_SERVICE, SERVICE, FEEDBACK], ticket_type, service_id=10) is SERVICE


def test_feedback_without_a_feedback_line_has_no_promise():
    assert find([DEFAULT, SERVICE], "feedback", service_id=10) is None


def test_feedback_takes_the_most_specific_feedback_line():
    lines = [DEFAULT, SERVICE, FEEDBACK, FEEDBACK_SERVICE]
    assert find(lines, "feedback", service_id=10) is FEEDBACK_SERVICE
    assert find(lines, "feedback", service_id=11) is FEEDBACK


def test_the_line_type_of_each_ticket_type():
    assert [line_type_for(t) for t in ("incident", "service_request", "change_need")] == [
        None,
        None,
        None,
    ]
    assert line_type_for("feedback") == "feedback"


def test_a_feedback_line_and_an_untyped_line_of_one_scope_and_priority_are_no_duplicates():
    assert validate_lines([DEFAULT, FEEDBACK]) == []
    assert validate_lines([FEEDBACK, line(5, ticket_type="feedback")]) == [
        "line #5 (agreement default, feedback only, P3): duplicates line #3: "
        "only one line per scope and priority"
    ]


def test_a_line_for_another_ticket_type_is_invalid():
    assert validate_lines([line(6, ticket_type="incident")]) == [
        "line #6 (agreement default, incident only, P3): a line is for every ticket type or "
        "for feedback only, not 'incident'"
    ]
