"""Writes on the owners' register: subscribe, pay, register, redeem; price decisions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.organisations.models import Organisation
from catalog.ownership.models import GeneralMeetingDecision, ShareSubscription
from catalog.ownership.queries import as_subscription
from catalog.shares import GeneralMeetingDecision as Decision
from catalog.shares import OrganisationKind, price_per_share, shares_to_subscribe
from servicedesk.errors import ValidationFailed


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
    try:
        Decision(
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
    row = GeneralMeetingDecision(**data)
    sess.add(row)
    sess.flush()
    return row


def subscribe(
    sess: Session,
    org: Organisation,
    subscribed_on: date,
    shares: int | None = None,
    note: str = "",
) -> ShareSubscription:
    """Subscribe shares at the price of the day (list price or a carried lower decision)."""
    try:
        wanted = shares_to_subscribe(OrganisationKind(org.kind), org.residents)
    except ValueError as exc:
        raise _invalid("shares", str(exc)) from exc
    if shares is not None and shares != wanted:
        raise _invalid(
            "shares",
            f"A {org.kind.replace('_', ' ')} subscribes {wanted} shares"
            + (" (one per resident)." if org.kind == "municipality" else "."),
        )
    rows = list(sess.scalars(select(GeneralMeetingDecision)))
    price, used = price_per_share(subscribed_on, [as_decision(r) for r in rows])
    decision_id = next((r.id for r in rows if used is not None and as_decision(r) == used), None)
    sub = ShareSubscription(
        organisation_id=org.id,
        subscribed_on=subscribed_on,
        shares=wanted,
        # To the cent, as stored: the answer to this request reads the same as any later read.
        price_per_share=Decimal(price).quantize(Decimal("0.01")),
        decision_id=decision_id,
        note=note,
    )
    sess.add(sub)
    sess.flush()
    return sub


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
