"""The transition plan's pure rules: valid plans, status on a day, slips and advances."""

from __future__ import annotations

from datetime import date

import pytest

from catalog.agreements.transition_rules import (
    Milestone,
    MilestoneStatus,
    MoveRefused,
    StartRefusal,
    move,
    plan_problems,
    start_move_refusal,
    start_of,
    status,
)

TODAY = date(2026, 11, 30)
MIGRATION = Milestone("data_migration", "Tietojen siirto", date(2027, 1, 10))
TRAINING = Milestone("training", "Koulutus", date(2027, 2, 1))
GO_LIVE = Milestone("go_live", "Käyttöönotto", date(2027, 3, 1))
PLAN = [MIGRATION, TRAINING, GO_LIVE]


def test_the_worked_plan_is_valid_and_starts_the_service_on_its_go_live() -> None:
    assert plan_problems(PLAN, TODAY) == {}
    assert start_of(PLAN) == date(2027, 3, 1)


def test_an_empty_plan_is_valid_and_sets_no_start() -> None:
    assert plan_problems([], TODAY) == {}
    assert start_of([]) is None


def test_a_plan_without_a_go_live_is_refused() -> None:
    assert "milestones" in plan_problems([MIGRATION, TRAINING], TODAY)


def test_a_go_live_that_is_not_last_is_refused_on_its_kind() -> None:
    late_training = Milestone("training", "Koulutus", date(2027, 3, 1))
    problems = plan_problems([MIGRATION, GO_LIVE, late_training], TODAY)
    assert list(problems) == ["milestones.1.kind"]


def test_two_go_lives_are_refused_on_the_second() -> None:
    problems = plan_problems([GO_LIVE, GO_LIVE], TODAY)
    assert list(problems) == ["milestones.1.kind"]


def test_dates_going_backwards_are_refused_on_the_later_milestone() -> None:
    early_training = Milestone("training", "Koulutus", date(2027, 1, 9))
    problems = plan_problems([MIGRATION, early_training, GO_LIVE], TODAY)
    assert list(problems) == ["milestones.1.planned_on"]


def test_milestones_on_the_same_day_keep_order() -> None:
    same_day = Milestone("go_live", "Käyttöönotto", TRAINING.planned_on)
    assert plan_problems([MIGRATION, TRAINING, same_day], TODAY) == {}


def test_a_milestone_done_on_a_day_to_come_is_refused() -> None:
    done_later = Milestone("data_migration", "Siirto", date(2026, 11, 1), date(2026, 12, 1))
    assert list(plan_problems([done_later, GO_LIVE], TODAY)) == ["milestones.0.done_on"]


def test_a_go_live_after_the_agreement_ends_is_refused() -> None:
    problems = plan_problems(PLAN, TODAY, ends_on=date(2027, 2, 28))
    assert list(problems) == ["milestones.2.planned_on"]
    assert plan_problems(PLAN, TODAY, ends_on=date(2027, 3, 1)) == {}


def test_status_is_done_late_or_planned() -> None:
    assert status(Milestone("training", "K", date(2026, 11, 29)), TODAY) is MilestoneStatus.LATE
    assert status(Milestone("training", "K", TODAY), TODAY) is MilestoneStatus.PLANNED
    assert status(Milestone("training", "K", date(2027, 1, 1)), TODAY) is MilestoneStatus.PLANNED
    done = Milestone("training", "K", date(2026, 11, 1), date(2026, 11, 20))
    assert status(done, TODAY) is MilestoneStatus.DONE


def test_slipping_training_by_two_weeks_moves_the_go_live_by_two_weeks() -> None:
    moved = move(PLAN, 1, date(2027, 2, 15), TODAY)
    assert [m.planned_on for m in moved] == [
        date(2027, 1, 10),
        date(2027, 2, 15),
        date(2027, 3, 15),
    ]
    assert start_of(moved) == date(2027, 3, 15)


def test_a_slip_keeps_the_gaps_between_all_later_milestones() -> None:
    moved = move(PLAN, 0, date(2027, 1, 20), TODAY)
    assert [m.planned_on for m in moved] == [
        date(2027, 1, 20),
        date(2027, 2, 11),
        date(2027, 3, 11),
    ]


def test_a_slip_leaves_a_later_milestone_that_is_done_where_it_was() -> None:
    done_training = Milestone("training", "Koulutus", date(2027, 2, 1), date(2026, 11, 20))
    moved = move([MIGRATION, done_training, GO_LIVE], 0, date(2027, 1, 12), TODAY)
    assert [m.planned_on for m in moved] == [
        date(2027, 1, 12),
        date(2027, 2, 1),
        date(2027, 3, 3),
    ]


def test_a_slip_past_a_done_milestone_is_refused() -> None:
    done_training = Milestone("training", "Koulutus", date(2027, 2, 1), date(2026, 11, 20))
    with pytest.raises(MoveRefused):
        move([MIGRATION, done_training, GO_LIVE], 0, date(2027, 2, 5), TODAY)


def test_moving_earlier_moves_that_milestone_alone() -> None:
    moved = move(PLAN, 1, date(2027, 1, 20), TODAY)
    assert [m.planned_on for m in moved] == [
        date(2027, 1, 10),
        date(2027, 1, 20),
        date(2027, 3, 1),
    ]


def test_moving_the_go_live_earlier_moves_the_start_earlier() -> None:
    assert start_of(move(PLAN, 2, date(2027, 2, 20), TODAY)) == date(2027, 2, 20)


def test_moving_earlier_than_the_milestone_before_is_refused() -> None:
    with pytest.raises(MoveRefused) as refused:
        move(PLAN, 1, date(2027, 1, 9), TODAY)
    assert refused.value.field == "planned_on"


def test_moving_to_a_day_already_past_is_refused() -> None:
    with pytest.raises(MoveRefused):
        move([Milestone("go_live", "G", date(2026, 12, 5))], 0, date(2026, 11, 29), TODAY)
    assert move([Milestone("go_live", "G", date(2026, 12, 5))], 0, TODAY, TODAY)


def test_a_done_milestone_does_not_move() -> None:
    done = Milestone("data_migration", "Siirto", date(2026, 11, 1), date(2026, 11, 2))
    with pytest.raises(MoveRefused):
        move([done, GO_LIVE], 0, date(2026, 12, 1), TODAY)


def test_a_slip_that_would_pass_the_last_representable_day_is_refused() -> None:
    far = [Milestone("training", "K", date(2027, 1, 1)), Milestone("go_live", "G", date.max)]
    with pytest.raises(MoveRefused):
        move(far, 0, date(2027, 1, 2), TODAY)


def test_a_draft_moves_a_start_freely() -> None:
    assert start_move_refusal(False, date(2026, 1, 1), date(2026, 2, 1), TODAY) is None


def test_an_agreement_in_force_moves_the_start_of_a_service_not_started() -> None:
    assert start_move_refusal(True, date(2027, 3, 1), date(2027, 3, 15), TODAY) is None


def test_an_agreement_in_force_keeps_the_start_of_a_started_service() -> None:
    refusal = start_move_refusal(True, TODAY, date(2027, 3, 15), TODAY)
    assert refusal is StartRefusal.SERVICE_STARTED


def test_an_agreement_in_force_does_not_start_a_service_today_by_a_plan() -> None:
    refusal = start_move_refusal(True, date(2027, 3, 1), TODAY, TODAY)
    assert refusal is StartRefusal.START_NOT_AHEAD


def test_an_unchanged_start_is_never_refused() -> None:
    assert start_move_refusal(True, date(2020, 1, 1), date(2020, 1, 1), TODAY) is None
