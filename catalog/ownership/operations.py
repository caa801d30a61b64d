"""Writes on the owners' register: subscribe, pay, register, redeem; price decisions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.organisations.models import Organisation
from catalog.ownership.models import GeneralMeetingDecision, ShareSubscription
from catalog.ownership.queries import as_subscription, registered_votes_on, subscriptions_of
from catalog.shares import (
    AlreadySubscribed,
    OrganisationKind,
    additional_shares,
    decision_problems,
    held_on,
    price_per_share,
)
from catalog.shares import GeneralMeetingDecision as Decision
from servicedesk.errors import Conflict, ValidationFailed


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details={"fields": {field: [message]}})


def as_decision(row: GeneralMeetingDecision) -> Decision:
    return Decision(
        decided_on=row.decided_on,
        price_per_share=row.price_per_share,
        votes_for=row.votes_for,
        votes_cast=row.votes_cast,
        applies_from=row.applies_from,
        applies_to=row.applies_to,
    )


def record_decision(sess: Session, **data: Any) -> GeneralMeetingDecision:
    """Record a decision within the seed, then reprice the subscriptions it reaches."""
    try:
        decision = Decision(
            **{
                k: data.get(k)
                for k in (
                    "decided_on",
                    "price_per_share",
                    "votes_for",
                    "votes_cast",
                    "applies_from",
                    "applies_to",
                )
            }
        )
    except ValueError as exc:
        raise ValidationFailed(f"The decision is not valid: {exc}.") from exc
    problems = decision_problems(decision, registered_votes_on(sess, decision.decided_on))
    if problems:
        raise ValidationFailed(
            " ".join(problems.values()),
            details={"fields": {field: [message] for field, message in problems.items()}},
        )
    row = GeneralMeetingDecision(**data)
    sess.add(row)
    sess.flush()
    reached = sess.scalars(
        select(ShareSubscription).where(ShareSubscription.subscribed_on >= decision.decided_on)
    )
    _price(sess, list(reached))
    return row


def _price(sess: Session, subs: list[ShareSubscription]) -> None:
    """Set each subscription's price from every decision on record (the order-free rule)."""
    rows = list(sess.scalars(select(GeneralMeetingDecision)))
    decisions = [(r, as_decision(r)) for r in rows]
    for sub in subs:
        price, used = price_per_share(sub.subscribed_on, [d for _, d in decisions])
        # To the cent, as stored: the answer to this request reads the same as any later read.
        sub.price_per_share = Decimal(price).quantize(Decimal("0.01"))
        sub.decision_id = next((r.id for r, d in decisions if d is used), None)
    sess.flush()


def _lock(sess: Session, org: Organisation) -> None:
    """Serialise writes on one organisation's holding: two subscriptions sent at once (a double
    click) must not both find nothing held. PostgreSQL row lock; SQLite has one writer anyway."""
    sess.execute(select(Organisation.id).where(Organisation.id == org.id).with_for_update())


def subscribe(
    sess: Session,
    org: Organisation,
    subscribed_on: date,
    shares: int | None = None,
    note: str = "",
) -> ShareSubscription:
    """Subscribe the shares the organisation does not hold yet, at the price of the day.

    A second holding is a 409 ``already_subscribed``; a municipality may subscribe again only
    for the growth of its residents (see ``catalog.shares.additional_shares``).
    """
    _lock(sess, org)
    held = held_on([as_subscription(r) for r in subscriptions_of(sess, org.id)], subscribed_on)
    try:
        wanted = additional_shares(OrganisationKind(org.kind), org.residents, held)
    except AlreadySubscribed as exc:
        raise Conflict(str(exc), code="already_subscribed", details={"held": held}) from exc
    except ValueError as exc:
        raise _invalid("shares", str(exc)) from exc
    if shares is not None and shares != wanted:
        raise _invalid(
            "shares",
            f"A {org.kind.replace('_', ' ')} subscribes {wanted} shares"
            + (
                (" (one per resident)." if not held else " (one per new resident).")
                if org.kind == "municipality"
                else "."
            ),
        )
    sub = ShareSubscription(
        organisation_id=org.id,
        subscribed_on=subscribed_on,
        shares=wanted,
        price_per_share=Decimal(0),
        note=note,
    )
    sess.add(sub)
    _price(sess, [sub])
    return sub


def redeem_holding(
    sess: Session, org: Organisation, redeemed_on: date, reason: str
) -> list[ShareSubscription]:
    """Mark an organisation that stopped being a municipal actor for redemption.

    Organisations have no event table, so the event is kept on the ownership records: every
    subscription still held on ``redeemed_on`` gets that date and the reason in its note. Votes
    and the in-house entitlement end on that date (``catalog.shares.votes``,
    ``ownership_status``).
    """
    _lock(sess, org)
    held = [
        r
        for r in subscriptions_of(sess, org.id)
        if r.redeemed_on is None or r.redeemed_on > redeemed_on
    ]
    if not held:
        raise Conflict(
            f"{org.name} holds no shares to redeem on {redeemed_on.isoformat()}.",
            code="nothing_to_redeem",
        )
    for row in held:
        update_subscription(
            sess,
            row,
            {
                "redeemed_on": redeemed_on,
                "note": ((f"{row.note}; " if row.note else "") + f"lunastus: {reason}")[:500],
            },
        )
    return held


def update_subscription(
    sess: Session, sub: ShareSubscription, changes: dict[str, Any]
) -> ShareSubscription:
    """Record payment, registration or redemption; the pure rule checks the order of dates."""
    for field in ("paid_on", "registered_on", "redeemed_on", "note"):
        if field in changes:
            setattr(sub, field, changes[field])
    try:
        as_subscription(sub)
    except ValueError as exc:
        raise ValidationFailed(f"The subscription is not consistent: {exc}.") from exc
    sess.flush()
    return sub
