from decimal import Decimal

import pytest

from catalog.promises import PromiseLine, find_promise, validate_lines


def line(id, priority="P2", **kw):
    values = {
        "response_minutes": 60,
        "resolution_minutes": 480,
        "update_minutes": None,
        "calendar_id": 1,
    }
    values.update(kw)
    return PromiseLine(id=id, priority=priority, **values)


DEFAULT_P2 = line(1)
FAMILY_P2 = line(2, family="application_services")
SERVICE_P2 = line(3, service_id=10)
DEFAULT_P1 = line(4, priority="P1", response_minutes=15, resolution_minutes=240)
LINES = [DEFAULT_P2, FAMILY_P2, SERVICE_P2, DEFAULT_P1]


def find(lines=LINES, service_id=10, family="application_services", priority="P2"):
    return find_promise(lines, service_id=service_id, family=family, priority=priority)


def test_service_line_beats_family_and_default():
    assert find() is SERVICE_P2


def test_family_line_beats_default_for_another_service_of_the_family():
    assert find(service_id=11) is FAMILY_P2


def test_default_line_covers_other_families():
    assert find(service_id=11, family="infrastructure_services") is DEFAULT_P2


def test_precedence_is_per_priority():
    # The service and family lines promise P2 only; P1 falls back to the default P1 line.
    assert find(priority="P1") is DEFAULT_P1


def test_no_line_for_the_priority_is_no_promise():
    assert find(priority="P4") is None
    assert find([], priority="P2") is None


def test_without_default_a_service_outside_the_scopes_has_no_promise():
    assert find([FAMILY_P2, SERVICE_P2], service_id=11, family="expert_services") is None


def test_unclassified_ticket_gets_the_default_line():
    assert find(service_id=None, family=None) is DEFAULT_P2


def test_line_order_does_not_matter():
    assert find(list(reversed(LINES))) is SERVICE_P2


def test_duplicate_lines_resolve_to_the_lowest_id():
    twin = line(0, service_id=10)
    assert find([SERVICE_P2, twin]) is twin


def test_line_with_both_scopes_never_matches():
    both = line(5, service_id=10, family="application_services")
    assert find([both, DEFAULT_P2]) is DEFAULT_P2


def test_defaults_of_a_line():
    promise = PromiseLine(
        id=1, priority="P3", response_minutes=1, resolution_minutes=2, calendar_id=3
    )
    assert promise.update_minutes is None
    assert promise.warning_percent == 80
    assert promise.compliance_percent == Decimal("95")
    assert promise.scope == "agreement default"


def test_lines_are_keyword_only():
    with pytest.raises(TypeError):
        PromiseLine(1, "P1", 60, 480, 1)  # type: ignore[misc]


def test_valid_lines_have_no_problems():
    assert validate_lines(LINES) == []
    assert validate_lines([]) == []
    edge = line(9, update_minutes=30, warning_percent=1, compliance_percent=Decimal("0"))
    also = line(10, priority="P3", warning_percent=100, compliance_percent=Decimal("100"))
    assert validate_lines([edge, also]) == []


def test_duplicate_scope_and_priority_is_reported():
    assert validate_lines([SERVICE_P2, line(7, service_id=10)]) == [
        "line #7 (service 10, P2): duplicates line #3: only one line per scope and priority"
    ]


def test_same_scope_for_another_priority_is_no_duplicate():
    assert validate_lines([SERVICE_P2, line(7, priority="P1", service_id=10)]) == []


def test_duplicate_default_line_is_reported():
    problems = validate_lines([DEFAULT_P2, line(8)])
    assert problems == [
        "line #8 (agreement default, P2): duplicates line #1: only one line per scope and priority"
    ]


def test_both_service_and_family_is_reported():
    problems = validate_lines([line(5, service_id=10, family="application_services")])
    assert problems == [
        "line #5 (service 10 and family application_services, P2): "
        "a line is for a service or for a family, not both"
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("response_minutes", 0, "response target must be a positive number of minutes, got 0"),
        (
            "resolution_minutes",
            -5,
            "resolution target must be a positive number of minutes, got -5",
        ),
        ("update_minutes", 0, "update target must be a positive number of minutes, got 0"),
        ("warning_percent", 0, "warning threshold must be 1-100 %, got 0"),
        ("warning_percent", 101, "warning threshold must be 1-100 %, got 101"),
        ("compliance_percent", Decimal("-0.1"), "compliance target must be 0-100 %, got -0.1"),
        ("compliance_percent", Decimal("100.5"), "compliance target must be 0-100 %, got 100.5"),
        ("compliance_percent", Decimal("NaN"), "compliance target must be 0-100 %, got NaN"),
    ],
)
def test_out_of_range_values_are_reported(field, value, message):
    assert validate_lines([line(6, **{field: value})]) == [
        f"line #6 (agreement default, P2): {message}"
    ]


def test_unknown_priority_is_reported():
    assert validate_lines([line(6, priority="P5")]) == [
        "line #6 (agreement default, P5): priority must be one of P1, P2, P3, P4"
    ]


def test_blank_family_is_reported():
    assert validate_lines([line(6, family=" ")]) == ["line #6 (family  , P2): family is blank"]


def test_reused_line_id_is_reported():
    problems = validate_lines([line(6), line(6, priority="P1")])
    assert problems == ["line #6 (agreement default, P1): line id #6 is used more than once"]


def test_every_problem_of_a_line_is_reported():
    bad = line(6, response_minutes=0, resolution_minutes=0, warning_percent=0)
    assert len(validate_lines([bad])) == 3
