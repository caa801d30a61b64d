"""Reads on the owners' register."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.ownership.models import ShareSubscription
from catalog.shares import OwnershipStatus, Subscription, ownership_status, votes
from servicedesk.cache import cached


def subscriptions_of(sess: Session, organisation_id: int) -> list[ShareSubscription]:
    return list(
        sess.scalars(
            select(ShareSubscription)
            .where(ShareSubscription.organisation_id == organisation_id)
            .order_by(ShareSubscription.subscribed_on, ShareSubscription.id)
        )
    )


def as_subscription(row: ShareSubscription) -> Subscription:
    return Subscription(
        subscribed_on=row.subscribed_on,
        shares=row.shares,
        price_per_share=row.price_per_share,
        paid_on=row.paid_on,
        registered_on=row.registered_on,
        redeemed_on=row.redeemed_on,
    )


def subscription_facts(sess: Session, organisation_id: int) -> tuple[Subscription, ...]:
    """The organisation's subscriptions as pure facts, kept per process (`servicedesk.cache`):
    the gate asks on every ticket, the register changes a few times a year."""
    return cached(
        sess,
        "subscriptions",
        organisation_id,
        lambda: tuple(as_subscription(r) for r in subscriptions_of(sess, organisation_id)),
    )


def ownership_status_of(sess: Session, organisation_id: int, on: date) -> OwnershipStatus:
    return ownership_status(list(subscription_facts(sess, organisation_id)), on)


def votes_of(sess: Session, organisation_id: int, on: date) -> int:
    return votes([as_subscription(r) for r in subscriptions_of(sess, organisation_id)], on)


def registered_votes_on(sess: Session, on: date) -> int:
    """All owners' votes on that date: the most votes a general meeting could cast then."""
    rows = sess.scalars(
        select(ShareSubscription).where(
            ShareSubscription.registered_on.is_not(None), ShareSubscription.registered_on <= on
        )
    )
    return votes([as_subscription(r) for r in rows], on)
