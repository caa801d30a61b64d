"""The statement's pure rules: every price kind, a period across two versions, the rounding."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicedesk.charges.statement import (
    Period,
    PriceLine,
    TicketFact,
    TimeFact,
    UserSpan,
    VersionTerms,
    build_statement,
    parse_period,
    price_minutes,
)

D = Decimal
Q4 = parse_period("2026-Q4")

V1 = VersionTerms(
    id=1,
    version_no=1,
    valid_from=date(2025, 1, 1),
    valid_to=date(2026, 11, 15),
    invoicing_period="quarterly",
    lines=(
        PriceLine(1, "S1", date(2025, 1, 1), "per_ticket", D("25.00")),
        PriceLine(2, "S2", date(2025, 1, 1), "per_user_month", D("3.50")),
        PriceLine(3, "S3", date(2025, 1, 1), "fixed_month", D("1200.00")),
        PriceLine(4, "S4", date(2025, 1, 1), "per_expert_hour", D("95.00")),
    ),
)
V2 = VersionTerms(
    id=2,
    version_no=2,
    valid_from=date(2026, 11, 16),
    valid_to=None,
    invoicing_period="quarterly",
    lines=(
        PriceLine(1, "S1", date(2026, 11, 16), "per_ticket", D("30.00")),
        PriceLine(2, "S2", date(2026, 11, 16), "per_user_month", D("4.00")),
        PriceLine(3, "S3", date(2026, 11, 16), "fixed_month", D("1300.00")),
        PriceLine(4, "S4", date(2026, 11, 16), "per_expert_hour", D("99.99")),
        PriceLine(5, "S5", date(2026, 12, 10), "fixed_month", D("100.00")),
    ),
)
TICKETS = [
    TicketFact(101, 1, date(2026, 10, 5), "resolved"),
    TicketFact(102, 1, date(2026, 11, 15), "closed"),
    TicketFact(103, 1, date(2026, 11, 16), "new"),
    TicketFact(104, 1, date(2026, 12, 31), "cancelled"),
    TicketFact(105, 1, date(2026, 9, 30), "closed"),
    TicketFact(106, 4, date(2026, 10, 10), "in_progress"),
    TicketFact(107, 1, date(2027, 1, 1), "new"),
]
ENTRIES = [
    TimeFact(1, 106, 4, date(2026, 10, 10), 20, True),
    TimeFact(2, 106, 4, date(2026, 11, 15), 45, True),
    TimeFact(3, 106, 4, date(2026, 10, 11), 60, False),
    TimeFact(4, 106, 4, date(2026, 11, 16), 10, True),
    TimeFact(5, 106, 4, date(2026, 9, 30), 30, True),
    TimeFact(6, 101, 1, date(2026, 10, 5), 30, True),
]


def always(*ids: int) -> list[UserSpan]:
    """Accounts that exist in every month of these examples."""
    return [UserSpan(i, date(2020, 1, 1)) for i in ids]


def _line(statement, version_id: int, service_id: int):
    (found,) = [
        line
        for line in statement.lines
        if line.agreement_version_id == version_id and line.service_id == service_id
    ]
    return found


def test_a_quarter_across_two_versions_prices_every_kind_exactly_by_hand() -> None:
    statement = build_statement(7, Q4, [V2, V1], TICKETS, always(13, 11, 12), ENTRIES)
    expected = {
        # version, service: (quantity, amount, traced ids)
        (1, 1): (D(2), D("50.00")),  # tickets 101, 102 x 25.00
        (1, 2): (D(3), D("10.50")),  # 3 users x October x 3.50
        (1, 3): (D(1), D("1200.00")),  # October
        (1, 4): (D("1.0833"), D("102.92")),  # 65 min: 95 x 65 / 60 = 102.9166...
        (2, 1): (D(1), D("30.00")),  # ticket 103 (104 is cancelled, 107 is next year)
        (2, 2): (D(6), D("24.00")),  # 3 users x Nov, Dec x 4.00
        (2, 3): (D(2), D("2600.00")),  # Nov (started 16.11: the month's end decides), Dec
        (2, 4): (D("0.1667"), D("16.67")),  # 10 min: 99.99 / 6 = 16.665, half-up
        (2, 5): (D(1), D("100.00")),  # December only
    }
    assert {(ln.agreement_version_id, ln.service_id) for ln in statement.lines} == set(expected)
    for (version_id, service_id), (quantity, amount) in expected.items():
        line = _line(statement, version_id, service_id)
        assert (line.quantity, line.amount) == (quantity, amount), line
    assert statement.total == D("4134.09")
    assert statement.total == sum(line.amount for line in statement.lines)
    assert _line(statement, 1, 1).ticket_ids == (101, 102)
    assert _line(statement, 2, 1).ticket_ids == (103,)
    assert _line(statement, 1, 4).time_entry_ids == (1, 2)
    assert _line(statement, 1, 4).minutes == 65
    assert _line(statement, 2, 4).time_entry_ids == (4,)
    assert _line(statement, 1, 2).user_ids == (11, 12, 13)
    assert _line(statement, 1, 2).months == ("2026-10",)
    assert _line(statement, 2, 3).months == ("2026-11", "2026-12")
    assert _line(statement, 2, 5).months == ("2026-12",)
    assert _line(statement, 1, 1).covers_to == date(2026, 11, 15)
    assert _line(statement, 2, 5).covers_from == date(2026, 12, 10)


def test_a_month_under_one_version_and_a_version_outside_the_period() -> None:
    statement = build_statement(7, parse_period("2026-10"), [V1, V2], TICKETS, always(11), ENTRIES)
    assert {line.agreement_version_id for line in statement.lines} == {1}
    assert [line.amount for line in statement.lines] == [
        D("25.00"),
        D("3.50"),
        D("1200.00"),
        D("31.67"),  # 20 min x 95.00 / 60 = 31.666...
    ]
    assert statement.total == D("1260.17")


def test_a_month_whose_agreement_ended_midway_charges_no_monthly_lines() -> None:
    ended = VersionTerms(9, 1, date(2026, 1, 1), date(2026, 11, 15), "monthly", V1.lines)
    statement = build_statement(7, parse_period("2026-11"), [ended], TICKETS, always(11), ENTRIES)
    monthly = [ln for ln in statement.lines if ln.price_model.endswith("month")]
    assert monthly and all(ln.quantity == 0 and ln.amount == D("0.00") for ln in monthly)
    assert _line(statement, 9, 1).ticket_ids == (102,)


def test_each_month_counts_the_accounts_that_existed_in_it() -> None:
    """Q4 at V1's 3.50 a user a month: an account created on 31 October counts from
    October (it existed on its last day), one deactivated on 1 December counts through
    December (it existed on its first day), one created on 1 January counts in none, one
    deactivated on 30 September in none."""
    only = VersionTerms(3, 1, date(2026, 1, 1), None, "quarterly", (V1.lines[1],))
    users = [
        UserSpan(1, date(2020, 1, 1)),  # every month: 3
        UserSpan(2, date(2026, 10, 31)),  # Oct, Nov, Dec: 3
        UserSpan(3, date(2026, 11, 2), date(2026, 12, 1)),  # Nov, Dec: 2
        UserSpan(4, date(2025, 5, 5), date(2026, 10, 31)),  # Oct: 1
        UserSpan(5, date(2027, 1, 1)),  # none
        UserSpan(6, date(2024, 1, 1), date(2026, 9, 30)),  # none
    ]
    statement = build_statement(7, Q4, [only], [], users, [])
    line = _line(statement, 3, 2)
    assert line.months == ("2026-10", "2026-11", "2026-12")
    assert line.users_per_month == (3, 3, 3)  # Oct: 1, 2, 4; Nov: 1, 2, 3; Dec: 1, 2, 3
    assert line.quantity == D(9) and line.amount == D("31.50")
    assert line.user_ids == (1, 2, 3, 4)


def test_half_a_cent_rounds_up_not_to_even() -> None:
    assert price_minutes(D("99.99"), 10) == D("16.67")
    assert price_minutes(D("0.03"), 10) == D("0.01")  # 0.005
    assert price_minutes(D("0.01"), 30) == D("0.01")  # 0.005
    assert price_minutes(D("95.00"), 60) == D("95.00")


@pytest.mark.parametrize(
    ("text", "starts_on", "ends_on"),
    [
        ("2026-11", date(2026, 11, 1), date(2026, 11, 30)),
        ("2028-02", date(2028, 2, 1), date(2028, 2, 29)),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_periods(text: str, starts_on: date, ends_on: date) -> None:
    assert parse_period(text) == Period(text, starts_on, ends_on)


@pytest.mark.parametrize(
    "text",
    [
        "2026-13",
        "2026-00",
        "2026-Q5",
        "26-11",
        "2026-1",
        "x",
        "",
        "9999",
        "0000-01",
        "\uff11\uff12\uff13\uff14",
    ],
)
def test_bad_periods(text: str) -> None:
    with pytest.raises(ValueError):
        parse_period(text)


prices = st.decimals(min_value=0, max_value=10000, places=2, allow_nan=False)


@given(
    st.lists(
        st.tuples(
            prices,
            st.sampled_from(["per_ticket", "per_user_month", "fixed_month", "per_expert_hour"]),
        ),
        min_size=1,
        max_size=6,
    ),
    st.lists(st.integers(1, 600), max_size=10),
    st.integers(0, 20),
)
def test_the_total_is_exactly_the_sum_of_the_rounded_lines(lines, minutes, n_tickets) -> None:
    version = VersionTerms(
        1,
        1,
        date(2026, 1, 1),
        None,
        "monthly",
        tuple(PriceLine(i, f"S{i}", date(2026, 1, 1), m, p) for i, (p, m) in enumerate(lines)),
    )
    tickets = [TicketFact(i, i % len(lines), date(2026, 3, 1), "new") for i in range(n_tickets)]
    entries = [
        TimeFact(i, 0, i % len(lines), date(2026, 3, 2), m, True) for i, m in enumerate(minutes)
    ]
    quarter = parse_period("2026-Q1")
    statement = build_statement(1, quarter, [version], tickets, always(1, 2), entries)
    assert statement.total == sum(line.amount for line in statement.lines)
    for line in statement.lines:
        assert line.amount == line.amount.quantize(D("0.01"))
        exact = (
            line.unit_price * line.minutes / 60
            if line.price_model == "per_expert_hour"
            else line.unit_price * line.quantity
        )
        assert abs(line.amount - exact) <= D("0.005")
