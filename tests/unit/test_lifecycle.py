"""The ticket state machine as a pure rule: no Flask, no database.

The tables in `servicedesk.tickets.lifecycle` are the specification; these tests
pin the business rules they must keep (who may do what, what is final) and
check `check_transition` against every cell of every table.
"""

from __future__ import annotations

import itertools

import pytest

from servicedesk.tickets.lifecycle import (
    CUSTOMER_TRANSITIONS,
    DESK_TRANSITIONS,
    NEEDS_OPERATION,
    OPEN_STATUSES,
    SYSTEM_TRANSITIONS,
    TERMINAL_STATUSES,
    Actor,
    Status,
    TransitionError,
    allowed_transitions,
    check_transition,
)

S = Status
TABLES = {
    Actor.DESK: DESK_TRANSITIONS,
    Actor.CUSTOMER: CUSTOMER_TRANSITIONS,
    Actor.SYSTEM: SYSTEM_TRANSITIONS,
}
EVERY_MOVE = [
    pytest.param(actor, start, target, id=f"{actor}-{start}-to-{target}")
    for actor, start, target in itertools.product(Actor, Status, Status)
]


def test_the_statuses_are_the_eight_of_the_design():
    assert [s.value for s in Status] == [
        "new",
        "assigned",
        "in_progress",
        "waiting_for_customer",
        "escalated_to_supplier",
        "resolved",
        "closed",
        "cancelled",
    ]


@pytest.mark.parametrize("actor", list(Actor))
def test_every_table_has_a_row_for_every_status(actor):
    assert set(TABLES[actor]) == set(Status)


@pytest.mark.parametrize(("actor", "start", "target"), EVERY_MOVE)
def test_check_transition_allows_exactly_what_the_table_lists(actor, start, target):
    allowed = TABLES[actor][start]
    assert allowed_transitions(start, actor) == allowed
    if target in allowed:
        check_transition(start, target, actor)  # does not raise
    else:
        with pytest.raises(TransitionError) as caught:
            check_transition(start, target, actor)
        err = caught.value
        assert (err.current, err.wanted) == (start, target)
        assert err.allowed == [s for s in Status if s in allowed]  # lifecycle order


@pytest.mark.parametrize("actor", list(Actor))
@pytest.mark.parametrize("status", list(Status))
def test_staying_in_the_same_status_is_not_a_transition(actor, status):
    assert status not in TABLES[actor][status]


@pytest.mark.parametrize("actor", list(Actor))
@pytest.mark.parametrize("status", sorted(TERMINAL_STATUSES))
def test_nobody_leaves_a_closed_or_cancelled_ticket(actor, status):
    assert TABLES[actor][status] == frozenset()


@pytest.mark.parametrize("start", list(Status))
def test_the_customer_side_can_do_nothing_the_desk_cannot(start):
    assert CUSTOMER_TRANSITIONS[start] <= DESK_TRANSITIONS[start]


@pytest.mark.parametrize("start", sorted(OPEN_STATUSES - {S.ESCALATED_TO_SUPPLIER}))
def test_the_customer_may_withdraw_an_open_ticket(start):
    assert S.CANCELLED in CUSTOMER_TRANSITIONS[start]


def test_the_customer_cannot_withdraw_a_ticket_a_supplier_is_working_on():
    assert CUSTOMER_TRANSITIONS[S.ESCALATED_TO_SUPPLIER] == frozenset()


@pytest.mark.parametrize("start", list(Status))
def test_the_customer_never_resolves_assigns_or_escalates(start):
    forbidden = {S.RESOLVED, S.ASSIGNED, S.ESCALATED_TO_SUPPLIER, S.NEW, S.WAITING_FOR_CUSTOMER}
    assert not CUSTOMER_TRANSITIONS[start] & forbidden


def test_the_customer_answers_a_question_accepts_or_reopens():
    assert CUSTOMER_TRANSITIONS[S.WAITING_FOR_CUSTOMER] == {S.IN_PROGRESS, S.CANCELLED}
    assert CUSTOMER_TRANSITIONS[S.RESOLVED] == {S.IN_PROGRESS, S.CLOSED}


def test_a_ticket_is_closed_only_after_it_was_resolved():
    for actor, table in TABLES.items():
        for start, targets in table.items():
            if S.CLOSED in targets:
                assert start is S.RESOLVED, (actor, start)


def test_the_scheduler_only_closes_resolved_tickets():
    moves = {(start, t) for start, targets in SYSTEM_TRANSITIONS.items() for t in targets}
    assert moves == {(S.RESOLVED, S.CLOSED)}


def test_escalation_to_a_supplier_needs_its_own_operation():
    assert set(NEEDS_OPERATION) == {S.ESCALATED_TO_SUPPLIER}
    assert "escalations" in NEEDS_OPERATION[S.ESCALATED_TO_SUPPLIER]


def test_every_status_is_open_resolved_or_terminal_and_only_one_of_them():
    assert OPEN_STATUSES | {S.RESOLVED} | TERMINAL_STATUSES == set(Status)
    assert not OPEN_STATUSES & TERMINAL_STATUSES
    assert S.RESOLVED not in OPEN_STATUSES | TERMINAL_STATUSES


@pytest.mark.parametrize("start", sorted(OPEN_STATUSES | {S.RESOLVED}))
def test_the_desk_can_bring_every_live_ticket_to_an_end(start):
    seen, todo = {start}, [start]
    while todo:
        for nxt in DESK_TRANSITIONS[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert seen >= TERMINAL_STATUSES


def test_the_error_says_which_statuses_are_allowed_in_lifecycle_order():
    with pytest.raises(TransitionError) as caught:
        check_transition(S.RESOLVED, S.NEW, Actor.DESK)
    assert caught.value.allowed == [S.IN_PROGRESS, S.CLOSED]
    assert str(caught.value) == (
        "a ticket that is resolved cannot become new; allowed: in_progress, closed"
    )


def test_the_error_on_a_final_ticket_says_it_is_final():
    with pytest.raises(TransitionError) as caught:
        check_transition(S.CLOSED, S.IN_PROGRESS, Actor.CUSTOMER)
    assert caught.value.allowed == []
    assert str(caught.value) == "a ticket that is closed cannot become in_progress; it is final"
