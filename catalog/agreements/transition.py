"""Writes on transition plans: set a service's plan, move a milestone, mark one done.

Operations only flush; the request commits. The rules are
`catalog.agreements.transition_rules`; each change records an `AgreementEvent` on the
line's version (`plan_set`, `milestone_moved`, `start_moved`, `milestone_done`,
`milestone_undone`). The service line's `starts_on` follows the go-live milestone; changing
it touches `agreement_services`, which renews the gate's cached version facts
(`servicedesk.cache`) when the request commits.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.agreements import cycle, transition_rules
from catalog.agreements.models import (
    IN_FORCE_STATES,
    OPEN_STATES,
    AgreementService,
    AgreementVersion,
    TransitionMilestone,
)
from catalog.agreements.queries import local_date
from catalog.agreements.transition_rules import Milestone, StartRefusal
from catalog.services.models import Service
from servicedesk.db import utcnow
from servicedesk.enums import Role
from servicedesk.errors import Conflict, Forbidden, ValidationFailed
from servicedesk.users.models import User


def today() -> date:
    """The agreement's day now: plans are dated in Helsinki."""
    return local_date(utcnow())


def require_plan(sess: Session, user: User, version: AgreementVersion) -> None:
    """403 unless `user` is an admin or the customer's account manager."""
    manager = user.role_enum is Role.ACCOUNT_MANAGER and cycle.manages(
        sess, user, version.organisation_id
    )
    if not transition_rules.may_plan(user.role_enum is Role.ADMIN, manager):
        raise Forbidden(
            "Only an administrator or the customer's account manager may change a transition plan."
        )


def as_rule(m: TransitionMilestone) -> Milestone:
    return Milestone(kind=m.kind, name=m.name, planned_on=m.planned_on, done_on=m.done_on)


def _invalid(problems: dict[str, list[str]]) -> ValidationFailed:
    return ValidationFailed(
        "The transition plan is not valid; see details.fields.", details={"fields": problems}
    )


def _check_start(
    version: AgreementVersion, line: AgreementService, new_start: date, day: date, field: str
) -> None:
    refusal = transition_rules.start_move_refusal(
        version.state in IN_FORCE_STATES, line.starts_on, new_start, day
    )
    if refusal is StartRefusal.SERVICE_STARTED:
        raise Conflict(
            f"The service started on {line.starts_on.isoformat()} under version "
            f"{version.version_no}, which is in force; its start can no longer move.",
            code="service_started",
        )
    if refusal is StartRefusal.START_NOT_AHEAD:
        raise _invalid(
            {
                field: [
                    "In an agreement in force the go-live (the service's start) must be after "
                    "today."
                ]
            }
        )


def _record_start(
    sess: Session,
    actor: User,
    version: AgreementVersion,
    line: AgreementService,
    new_start: date,
) -> None:
    old = line.starts_on
    if old == new_start:
        return
    line.starts_on = new_start
    service = sess.get(Service, line.service_id)
    cycle.record(
        sess,
        version,
        actor,
        "start_moved",
        service_id=line.service_id,
        service_code=service.code if service else None,
        old_starts_on=old.isoformat(),
        new_starts_on=new_start.isoformat(),
    )


def _edited(sess: Session, actor: User, version: AgreementVersion) -> None:
    """A plan is part of a draft or proposal: a changed proposal needs accepting again."""
    if version.state in OPEN_STATES:
        cycle.edited(sess, actor, version, ["transition_plan"])


def set_plan(
    sess: Session, actor: User, line: AgreementService, milestones: list[dict[str, Any]]
) -> AgreementService:
    """Replace the line's plan with `milestones` (in order) and start the service on its
    go-live. An empty list removes the plan and leaves the start date as it is."""
    line, version, _rows = _locked_line(sess, line.id)
    day = today()
    plan = [
        Milestone(
            kind=m["kind"], name=m["name"], planned_on=m["planned_on"], done_on=m.get("done_on")
        )
        for m in milestones
    ]
    problems = transition_rules.plan_problems(plan, day, version.valid_to)
    if problems:
        raise _invalid(problems)
    new_start = transition_rules.start_of(plan)
    if new_start is not None:
        _check_start(version, line, new_start, day, f"milestones.{len(plan) - 1}.planned_on")
    line.milestones = [
        TransitionMilestone(
            position=i, kind=m.kind, name=m.name, planned_on=m.planned_on, done_on=m.done_on
        )
        for i, m in enumerate(plan)
    ]
    cycle.record(
        sess,
        version,
        actor,
        "plan_set",
        service_id=line.service_id,
        milestones=[
            {
                "kind": m.kind,
                "name": m.name,
                "planned_on": m.planned_on.isoformat(),
                "done_on": m.done_on.isoformat() if m.done_on else None,
            }
            for m in plan
        ],
    )
    if new_start is not None:
        _record_start(sess, actor, version, line, new_start)
    _edited(sess, actor, version)
    sess.flush()
    return line


def _locked_line(
    sess: Session, line_id: int
) -> tuple[AgreementService, AgreementVersion, list[TransitionMilestone]]:
    """The service line, locked (PostgreSQL) with its milestones read afresh: two moves of
    one plan at once must not shift from the same stale dates."""
    line = sess.scalars(
        select(AgreementService)
        .where(AgreementService.id == line_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    rows = list(
        sess.scalars(
            select(TransitionMilestone)
            .where(TransitionMilestone.agreement_service_id == line_id)
            .order_by(TransitionMilestone.position)
            .execution_options(populate_existing=True)
        )
    )
    return line, sess.get_one(AgreementVersion, line.agreement_version_id), rows


def move_milestone(
    sess: Session, actor: User, milestone: TransitionMilestone, new_date: date
) -> AgreementService:
    """Plan `milestone` for `new_date`: a slip moves the later undone milestones by as many
    days, and with the go-live the service's start (`milestone_moved` per milestone moved,
    `start_moved` when the start moved)."""
    line, version, rows = _locked_line(sess, milestone.agreement_service_id)
    if milestone.planned_on == new_date:
        return line
    day = today()
    index = rows.index(milestone)
    try:
        moved = transition_rules.move([as_rule(m) for m in rows], index, new_date, day)
    except transition_rules.MoveRefused as refused:
        raise _invalid({refused.field: [refused.message]}) from None
    new_start = transition_rules.start_of(moved)
    if new_start is not None:
        if version.valid_to is not None and new_start > version.valid_to:
            raise _invalid(
                {
                    "planned_on": [
                        f"The go-live would move to {new_start.isoformat()}, after the "
                        f"agreement ends ({version.valid_to.isoformat()})."
                    ]
                }
            )
        _check_start(version, line, new_start, day, "planned_on")
    for row, after in zip(rows, moved, strict=True):
        if row.planned_on == after.planned_on:
            continue
        old = row.planned_on
        row.planned_on = after.planned_on
        cycle.record(
            sess,
            version,
            actor,
            "milestone_moved",
            service_id=line.service_id,
            milestone_id=row.id,
            name=row.name,
            milestone_kind=row.kind,
            old_planned_on=old.isoformat(),
            new_planned_on=after.planned_on.isoformat(),
            # A follower moved with the slip of another milestone.
            moved_with=None if row is milestone else milestone.id,
        )
    if new_start is not None:
        _record_start(sess, actor, version, line, new_start)
    _edited(sess, actor, version)
    sess.flush()
    return line


def complete_milestone(
    sess: Session, actor: User, milestone: TransitionMilestone, done_on: date | None
) -> AgreementService:
    """Mark `milestone` done on `done_on` (`milestone_done`), or not done after all (None,
    `milestone_undone`). The start date stays: it is the agreement's, moved only by moving
    the go-live."""
    line, version, _rows = _locked_line(sess, milestone.agreement_service_id)
    if milestone.done_on == done_on:
        return line
    if done_on is not None and done_on > today():
        raise _invalid({"done_on": ["A milestone cannot be done on a day still to come."]})
    data: dict[str, Any] = {
        "service_id": line.service_id,
        "milestone_id": milestone.id,
        "name": milestone.name,
        "milestone_kind": milestone.kind,
        "planned_on": milestone.planned_on.isoformat(),
    }
    if done_on is None:
        cycle.record(
            sess,
            version,
            actor,
            "milestone_undone",
            was_done_on=milestone.done_on.isoformat() if milestone.done_on else None,
            **data,
        )
    else:
        cycle.record(
            sess,
            version,
            actor,
            "milestone_done",
            done_on=done_on.isoformat(),
            late=done_on > milestone.planned_on,
            **data,
        )
    milestone.done_on = done_on
    sess.flush()
    return line
