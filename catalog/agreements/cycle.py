"""Writes of the yearly agreement cycle: draft the next period, propose, accept, sign.

Operations only flush; the request (or job) commits. Each step records an
`AgreementEvent`. Who may call which step is `catalog.agreements.cycle_rules`; the API and
the pages check it before calling (`require_*` below), so both refuse alike.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from catalog.agreements import cycle_rules
from catalog.agreements.models import (
    IN_FORCE_STATES,
    OPEN_STATES,
    AgreementEvent,
    AgreementService,
    AgreementVersion,
    ServicePromise,
)
from catalog.agreements.operations import next_version_no, overlapping
from catalog.organisations.models import organisation_account_managers
from servicedesk.db import utcnow
from servicedesk.errors import Conflict, Forbidden
from servicedesk.users.models import User

_PROMISE_FIELDS = (
    "service_id",
    "family",
    "priority",
    "ticket_type",
    "response_minutes",
    "resolution_minutes",
    "update_minutes",
    "calendar_id",
    "warning_percent",
    "compliance_percent",
)


def record(
    sess: Session, version: AgreementVersion, actor: User | None, kind: str, **data: Any
) -> AgreementEvent:
    event = AgreementEvent(
        agreement_version_id=version.id,
        actor_id=actor.id if actor else None,
        kind=kind,
        data=data,
        at=utcnow(),
    )
    sess.add(event)
    return event


def manages(sess: Session, user: User, organisation_id: int) -> bool:
    """Is `user` an account manager of the organisation?"""
    return bool(
        sess.scalar(
            select(
                exists().where(
                    organisation_account_managers.c.organisation_id == organisation_id,
                    organisation_account_managers.c.user_id == user.id,
                )
            )
        )
    )


def require_edit(sess: Session, user: User, version: AgreementVersion) -> None:
    if not cycle_rules.may_edit(
        user.role_enum, manages(sess, user, version.organisation_id), version.state
    ):
        raise Forbidden(
            "Only an administrator, or the customer's account manager while the version is a "
            "draft or a proposal, may change it."
        )


def require_sign(
    sess: Session, user: User, version: AgreementVersion, account_managers_sign: bool
) -> None:
    manager = manages(sess, user, version.organisation_id)
    if not cycle_rules.may_sign(user.role_enum, manager, account_managers_sign):
        raise Forbidden("Only an administrator may sign an agreement.")


def require_accept(user: User, version: AgreementVersion) -> None:
    if not cycle_rules.may_accept(user.role_enum, user.organisation_id == version.organisation_id):
        raise Forbidden("Only the customer's contact person may accept a proposal.")


def _require_state(version: AgreementVersion, *states: str, doing: str) -> None:
    if version.state not in states:
        raise Conflict(
            f"Version {version.version_no} is {version.state}; only a "
            f"{' or '.join(states)} version can be {doing}.",
            code="wrong_state",
        )


def has_signed_successor(sess: Session, version: AgreementVersion) -> bool:
    """Is there a version in force that starts after this one?"""
    return bool(
        sess.scalar(
            select(
                exists().where(
                    AgreementVersion.organisation_id == version.organisation_id,
                    AgreementVersion.state.in_(IN_FORCE_STATES),
                    AgreementVersion.valid_from > version.valid_from,
                )
            )
        )
    )


def lapse(sess: Session, version: AgreementVersion, today: date) -> cycle_rules.Lapse | None:
    """The lapse this version faces (None unless it is in force and ends soon, unfollowed)."""
    if version.state not in IN_FORCE_STATES:
        return None
    return cycle_rules.lapse_of(version.valid_to, has_signed_successor(sess, version), today)


def new_draft(sess: Session, actor: User, source: AgreementVersion) -> AgreementVersion:
    """A draft for the period after `source` (a version in force), with its lines, promises,
    prices and invoicing; services already started start with the new period."""
    _require_state(source, *IN_FORCE_STATES, doing="renewed")
    if source.valid_to is None:
        raise Conflict(
            f"Version {source.version_no} is open-ended; end it before drafting a successor.",
            code="open_ended",
        )
    starts, ends = cycle_rules.next_period(source.valid_from, source.valid_to)
    later = sess.scalar(
        select(AgreementVersion).where(
            AgreementVersion.organisation_id == source.organisation_id,
            AgreementVersion.valid_from > source.valid_from,
            AgreementVersion.state != "superseded",
        )
    )
    if later is not None:
        raise Conflict(
            f"Version {later.version_no} ({later.state}, from {later.valid_from.isoformat()}) "
            "already follows it.",
            code="successor_exists",
        )
    draft = AgreementVersion(
        organisation_id=source.organisation_id,
        version_no=next_version_no(sess, source.organisation_id),
        state="draft",
        valid_from=starts,
        valid_to=ends,
        # The customer's budgeting comes round at the same time of year.
        renewal_deadline=_same_day_later(
            source.renewal_deadline, starts.year - source.valid_from.year
        ),
        invoicing_period=source.invoicing_period,
        notes="",
    )
    draft.services = [
        AgreementService(
            service_id=s.service_id,
            starts_on=max(s.starts_on, starts),
            price_model=s.price_model,
            price=s.price,
        )
        for s in source.services
    ]
    draft.promises = [
        ServicePromise(**{f: getattr(p, f) for f in _PROMISE_FIELDS}) for p in source.promises
    ]
    sess.add(draft)
    sess.flush()
    record(sess, draft, actor, "drafted", from_version=source.version_no)
    return draft


def _same_day_later(day: date | None, years: int) -> date | None:
    if day is None:
        return None
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def edited(sess: Session, actor: User, version: AgreementVersion, fields: list[str]) -> None:
    """After a change to a draft or proposal: a changed proposal needs accepting again."""
    record(sess, version, actor, "edited", fields=sorted(fields))
    if version.state == "proposed" and version.accepted_at is not None:
        version.accepted_at = None
        version.accepted_by_id = None
        record(sess, version, actor, "acceptance_cleared")


def propose(sess: Session, actor: User, version: AgreementVersion) -> AgreementVersion:
    _require_state(version, "draft", doing="proposed")
    version.state = "proposed"
    version.proposed_at = utcnow()
    version.accepted_at = None
    version.accepted_by_id = None
    record(sess, version, actor, "proposed")
    sess.flush()
    return version


def return_to_draft(sess: Session, actor: User, version: AgreementVersion) -> AgreementVersion:
    _require_state(version, "proposed", doing="taken back to draft")
    version.state = "draft"
    version.accepted_at = None
    version.accepted_by_id = None
    record(sess, version, actor, "returned_to_draft")
    sess.flush()
    return version


def accept(sess: Session, actor: User, version: AgreementVersion) -> AgreementVersion:
    _require_state(version, "proposed", doing="accepted")
    if version.accepted_at is None:
        version.accepted_at = utcnow()
        version.accepted_by_id = actor.id
        record(sess, version, actor, "accepted")
        sess.flush()
    return version


def sign(
    sess: Session, actor: User, version: AgreementVersion, now: datetime | None = None
) -> AgreementVersion:
    """Put a proposal the customer accepted in force; the versions it follows are superseded
    (they stay in force to their own end date)."""
    _require_state(version, "proposed", doing="signed")
    if version.accepted_at is None:
        raise Conflict(
            f"The customer has not accepted version {version.version_no} yet.",
            code="not_accepted",
        )
    clash = overlapping(
        sess, version.organisation_id, version.valid_from, version.valid_to, version.id
    )
    if clash is not None:
        end = clash.valid_to.isoformat() if clash.valid_to else "open-ended"
        raise Conflict(
            f"Version {version.version_no} overlaps version {clash.version_no} "
            f"({clash.valid_from.isoformat()} - {end}), which is in force; end that one first.",
            code="overlaps",
        )
    version.state = "signed"
    version.signed_at = now or utcnow()
    version.signed_by_id = actor.id
    record(sess, version, actor, "signed")
    for older in sess.scalars(
        select(AgreementVersion).where(
            AgreementVersion.organisation_id == version.organisation_id,
            AgreementVersion.state == "signed",
            AgreementVersion.valid_from < version.valid_from,
        )
    ):
        older.state = "superseded"
        record(sess, older, actor, "superseded", by_version=version.version_no)
    sess.flush()
    return version


def open_successor(sess: Session, version: AgreementVersion) -> AgreementVersion | None:
    """The draft or proposal that follows `version`, if one is being negotiated."""
    return sess.scalar(
        select(AgreementVersion)
        .where(
            AgreementVersion.organisation_id == version.organisation_id,
            AgreementVersion.state.in_(OPEN_STATES),
            AgreementVersion.valid_from > version.valid_from,
        )
        .order_by(AgreementVersion.valid_from)
        .limit(1)
    )
