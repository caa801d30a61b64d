"""A service's transition plan as pure rules: what a valid plan is, a milestone's status,
and what slipping (or advancing) one milestone does to the rest and to the start date.

No I/O: `catalog.agreements.transition` gathers the facts, applies these and records events.

The rules, decided here once:
- A plan is milestones in order whose planned dates never go backwards (equal dates are
  fine), with exactly one go-live, and that one last. The service line's `starts_on` is the
  go-live's planned date: the start follows from the plan, never the other way round.
- A milestone is *done* once it has a done date, *late* when its planned date is before
  today and it is not done, else *planned*.
- Moving a milestone later by N days moves every later milestone that is not done by the
  same N days, keeping the gaps: a slipped data migration delays the training, the go-live
  and so the start. Moving one earlier moves it alone, and only where the order still holds
  (not before the milestone before it); the ones after keep their dates.
- No milestone is moved to a day before today, whatever the agreement's state: a plan says
  what will happen; what happened is recorded with a done date. A done milestone is not
  moved (its planned date is history).
- An agreement in force (signed or superseded) may move a service's start only while the
  service has not started: today is before the old start and before the new one. Drafts and
  proposals may move it freely (they are not in force).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

GO_LIVE = "go_live"


class MilestoneStatus(StrEnum):
    DONE = "done"
    LATE = "late"
    PLANNED = "planned"


@dataclass(frozen=True)
class Milestone:
    """One step of a plan, as the rules see it."""

    kind: str
    name: str
    planned_on: date
    done_on: date | None = None


def status(milestone: Milestone, today: date) -> MilestoneStatus:
    """Done when it has a done date; late when planned before today and not done."""
    if milestone.done_on is not None:
        return MilestoneStatus.DONE
    if milestone.planned_on < today:
        return MilestoneStatus.LATE
    return MilestoneStatus.PLANNED


def plan_problems(
    milestones: Sequence[Milestone], today: date, ends_on: date | None = None
) -> dict[str, list[str]]:
    """What is wrong with a plan, by field (`milestones.2.planned_on`), for the 422 details.

    An empty plan is valid: the service simply starts on its line's date. `ends_on` is the
    agreement's last day: the service cannot go live after it.
    """
    problems: dict[str, list[str]] = {}
    if not milestones:
        return problems
    go_lives = [i for i, m in enumerate(milestones) if m.kind == GO_LIVE]
    last = len(milestones) - 1
    if not go_lives:
        problems.setdefault("milestones", []).append(
            "A plan needs one go-live milestone: it sets the service's start date."
        )
    elif len(go_lives) > 1:
        for i in go_lives[1:]:
            problems.setdefault(f"milestones.{i}.kind", []).append(
                "A plan has exactly one go-live milestone."
            )
    elif go_lives[0] != last:
        problems.setdefault(f"milestones.{go_lives[0]}.kind", []).append(
            "The go-live milestone comes last."
        )
    for i in range(1, len(milestones)):
        before = milestones[i - 1].planned_on
        if milestones[i].planned_on < before:
            problems.setdefault(f"milestones.{i}.planned_on", []).append(
                f"Before the milestone before it ({before.isoformat()}): dates never go backwards."
            )
    for i, m in enumerate(milestones):
        if m.done_on is not None and m.done_on > today:
            problems.setdefault(f"milestones.{i}.done_on", []).append(
                "A milestone cannot be done on a day still to come."
            )
    if ends_on is not None and go_lives and milestones[go_lives[-1]].planned_on > ends_on:
        problems.setdefault(f"milestones.{go_lives[-1]}.planned_on", []).append(
            f"The go-live is after the agreement ends ({ends_on.isoformat()})."
        )
    return problems


def start_of(milestones: Sequence[Milestone]) -> date | None:
    """The service's start date a plan sets: its go-live's planned date (None: no plan)."""
    for m in milestones:
        if m.kind == GO_LIVE:
            return m.planned_on
    return None


class MoveRefused(ValueError):
    """A move the rules refuse; `field` names what to correct (for the 422 details)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def move(
    milestones: Sequence[Milestone], index: int, new_date: date, today: date
) -> list[Milestone]:
    """The plan after moving milestone `index` to `new_date` (see the module's rules).

    Raises MoveRefused when the milestone is done, the day is before today, an earlier date
    would break the order, or a later milestone that is done would end up before one
    that slipped past it.
    """
    moved = milestones[index]
    if moved.done_on is not None:
        raise MoveRefused("planned_on", "The milestone is done; its date is history.")
    if new_date < today:
        raise MoveRefused("planned_on", "A milestone cannot be planned for a day already past.")
    delta = (new_date - moved.planned_on).days
    result = list(milestones)
    result[index] = replace(moved, planned_on=new_date)
    if delta > 0:
        for i in range(index + 1, len(result)):
            if result[i].done_on is None:
                result[i] = replace(result[i], planned_on=_shift(result[i].planned_on, delta))
    for i in range(1, len(result)):
        if result[i].planned_on < result[i - 1].planned_on:
            before = result[i - 1]
            raise MoveRefused(
                "planned_on",
                f"{result[i].name} ({result[i].planned_on.isoformat()}) would come before "
                f"{before.name} ({before.planned_on.isoformat()}): dates never go backwards.",
            )
    return result


def _shift(day: date, days: int) -> date:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        raise MoveRefused(
            "planned_on", "The later milestones would move past the year 9999."
        ) from None


def may_plan(is_admin: bool, manages_customer: bool) -> bool:
    """Admins, and the customer's account manager (who runs the transition with the
    customer), change plans, in every state of the agreement."""
    return is_admin or manages_customer


class StartRefusal(StrEnum):
    #: The service has started (its old start is today or past): 409.
    SERVICE_STARTED = "service_started"
    #: The new start is today or past: a plan cannot start a service in force at once: 422.
    START_NOT_AHEAD = "start_not_ahead"


def start_move_refusal(
    in_force: bool, old_start: date, new_start: date, today: date
) -> StartRefusal | None:
    """Why the plan may not move a service's start from `old_start` to `new_start`, or None.

    A draft or proposal moves it freely; an agreement in force only while the service has
    not started and will not have started by the new date (today before both dates): once
    tickets could be filed for it, its start is history."""
    if not in_force or old_start == new_start:
        return None
    if old_start <= today:
        return StartRefusal.SERVICE_STARTED
    if new_start <= today:
        return StartRefusal.START_NOT_AHEAD
    return None
