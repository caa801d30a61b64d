"""Owners' shares: how many to subscribe, at what price, and what they are worth in votes.

The centre serves only its owners (the in-house rule), so whether an organisation holds
registered shares decides whether its tickets are accepted at all.

The register is exact (issue 13):

- **One holding per organisation.** An organisation's holding is the shares of its subscriptions
  not redeemed by the day of a new one. A municipality holds one share per resident, so a new
  subscription is allowed only for *new residents*: it adds exactly the growth of the residents
  over the shares already held (``additional_shares``). We model it this way, with no extra
  column, because the holding itself already says how many residents were subscribed for; an
  explicit "for new residents" flag could disagree with it. A joint authority or a municipal
  company holds one share, ever: a second subscription is refused.
- **The price does not depend on typing order.** A subscription's price is set by the decisions
  *decided on or before* its subscription date (``price_per_share``); the register reprices
  the subscriptions a late-entered decision reaches, so the stored prices follow from the set of
  records, never from the order they were entered in.
- **A decision stays within the seed** (``decision_problems``): it may lower the later prices
  but never below the founders' €1, and its votes cast cannot exceed the votes registered on its
  date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

#: Last subscription day of the €1 price (inclusive).
FIRST_PRICE_UNTIL = date(2010, 10, 31)
#: Last subscription day of the €3 price (inclusive).
SECOND_PRICE_UNTIL = date(2011, 3, 31)

FIRST_PRICE = Decimal("1")
SECOND_PRICE = Decimal("3")
LATER_PRICE = Decimal("6")

_CENT = Decimal("0.01")


class OrganisationKind(StrEnum):
    MUNICIPALITY = "municipality"
    JOINT_AUTHORITY = "joint_authority"
    MUNICIPAL_COMPANY = "municipal_company"


class OwnershipStatus(StrEnum):
    #: No subscriptions on that date, or every one of them redeemed.
    NOT_OWNER = "not_owner"
    #: Subscribed, but no share registered yet: no votes, and no owner for the in-house gate.
    UNREGISTERED = "unregistered"
    #: Holds registered, unredeemed shares.
    OWNER = "owner"


@dataclass(frozen=True)
class GeneralMeetingDecision:
    """A lower share price decided by the general meeting.

    Applies to subscriptions made in ``[applies_from, applies_to]`` (``applies_to`` None = open
    ended). It needs a 2/3 majority of the votes cast; without it the decision did not pass.
    """

    decided_on: date
    price_per_share: Decimal
    votes_for: int
    votes_cast: int
    applies_from: date
    applies_to: date | None = None

    def __post_init__(self) -> None:
        if self.price_per_share < 0:
            raise ValueError("a share price cannot be negative")
        if self.votes_cast <= 0:
            raise ValueError("a general meeting decision needs votes cast")
        if not 0 <= self.votes_for <= self.votes_cast:
            raise ValueError("votes for must be between 0 and the votes cast")
        if self.applies_to is not None and self.applies_to < self.applies_from:
            raise ValueError("a decision cannot end before it starts applying")

    @property
    def carried(self) -> bool:
        """Passed with at least two thirds of the votes cast (integer arithmetic, no rounding)."""
        return self.votes_for * 3 >= self.votes_cast * 2

    def applies_on(self, subscribed_on: date) -> bool:
        return self.applies_from <= subscribed_on and (
            self.applies_to is None or subscribed_on <= self.applies_to
        )


@dataclass(frozen=True)
class Subscription:
    """One subscription of shares; paid, registered and redeemed as separate events."""

    subscribed_on: date
    shares: int
    price_per_share: Decimal
    paid_on: date | None = None
    registered_on: date | None = None
    redeemed_on: date | None = None

    def __post_init__(self) -> None:
        if self.shares <= 0:
            raise ValueError("a subscription has at least one share")
        if self.price_per_share < 0:
            raise ValueError("a share price cannot be negative")
        for name in ("paid_on", "registered_on", "redeemed_on"):
            when = getattr(self, name)
            if when is not None and when < self.subscribed_on:
                raise ValueError(f"{name} cannot be before the subscription")
        # Only paid shares are registered (DESIGN.md: "registered (paid) shares").
        if self.registered_on is not None and (
            self.paid_on is None or self.registered_on < self.paid_on
        ):
            raise ValueError("shares are registered only after they are paid")

    def registered_and_held_on(self, on: date) -> bool:
        registered = self.registered_on is not None and self.registered_on <= on
        return registered and not self.redeemed_by(on)

    def redeemed_by(self, on: date) -> bool:
        return self.redeemed_on is not None and self.redeemed_on <= on


def list_price(subscribed_on: date) -> Decimal:
    """The price per share set by the articles, by subscription date (boundaries inclusive)."""
    if subscribed_on <= FIRST_PRICE_UNTIL:
        return FIRST_PRICE
    if subscribed_on <= SECOND_PRICE_UNTIL:
        return SECOND_PRICE
    return LATER_PRICE


def price_per_share(
    subscribed_on: date, decisions: Sequence[GeneralMeetingDecision] = ()
) -> tuple[Decimal, GeneralMeetingDecision | None]:
    """The price a subscription on that date pays, and the decision that set it (None = list price).

    Only a carried decision, decided on or before that date, applying on it and pricing below the
    list price counts: the general meeting may lower the price, not raise it, and a decision
    entered late does not reach back to subscriptions made before it was decided. Of several,
    the lowest price wins; on equal prices the most recently decided one is named, as it
    restates the others.
    """
    base = list_price(subscribed_on)
    applicable = [
        d
        for d in decisions
        if d.carried
        and d.decided_on <= subscribed_on
        and d.applies_on(subscribed_on)
        and d.price_per_share < base
    ]
    if not applicable:
        return base, None
    best = min(applicable, key=lambda d: (d.price_per_share, -d.decided_on.toordinal()))
    return best.price_per_share, best


def shares_to_subscribe(kind: OrganisationKind, residents: int | None) -> int:
    """One share per resident for a municipality; one share for any other owner."""
    if kind is OrganisationKind.MUNICIPALITY:
        if isinstance(residents, bool) or not isinstance(residents, int) or residents <= 0:
            raise ValueError(
                f"a municipality subscribes one share per resident; residents must be a positive "
                f"whole number, got {residents!r}"
            )
        return residents
    return 1


class AlreadySubscribed(ValueError):
    """The organisation already holds what its kind and residents entitle it to."""


def additional_shares(kind: OrganisationKind, residents: int | None, held: int) -> int:
    """How many shares a new subscription adds to a holding of ``held`` shares.

    A municipality adds one share per resident it does not hold a share for yet (the growth of
    its residents); any other owner holds exactly one share. Nothing to add is
    ``AlreadySubscribed``: a second holding never arises.
    """
    if held < 0:
        raise ValueError("a holding cannot be negative")
    wanted = shares_to_subscribe(kind, residents)
    if wanted <= held:
        if kind is OrganisationKind.MUNICIPALITY:
            raise AlreadySubscribed(
                f"The municipality already holds {held} shares for {residents} residents; "
                "a new subscription is only for new residents."
            )
        raise AlreadySubscribed(f"A {kind.value.replace('_', ' ')} holds one share, and it has it.")
    return wanted - held


def held_on(subscriptions: Sequence[Subscription], on: date) -> int:
    """Shares subscribed (registered or not) and not redeemed by that date: the holding."""
    return sum(s.shares for s in subscriptions if not s.redeemed_by(on))


def decision_problems(decision: GeneralMeetingDecision, registered_votes: int) -> dict[str, str]:
    """Why a decision cannot be recorded, by field (empty: it can).

    The seed lets the general meeting lower the later prices but not below the founders' €1,
    and no more votes can be cast than are registered on the day of the meeting.
    """
    problems: dict[str, str] = {}
    if decision.price_per_share < FIRST_PRICE:
        problems["price_per_share"] = (
            f"A general meeting cannot price a share below the founders' {FIRST_PRICE} €."
        )
    if decision.votes_cast > registered_votes:
        problems["votes_cast"] = (
            f"{decision.votes_cast} votes cast, but only {registered_votes} votes are registered "
            f"on {decision.decided_on.isoformat()}."
        )
    return problems


def votes(subscriptions: Sequence[Subscription], on: date) -> int:
    """Votes on that date: shares registered by then and not yet redeemed."""
    return sum(s.shares for s in subscriptions if s.registered_and_held_on(on))


def ownership_status(subscriptions: Sequence[Subscription], on: date) -> OwnershipStatus:
    """Where the organisation stands as an owner on that date (subscriptions made later ignored)."""
    held = [s for s in subscriptions if s.subscribed_on <= on and not s.redeemed_by(on)]
    if not held:
        return OwnershipStatus.NOT_OWNER
    if votes(held, on) > 0:
        return OwnershipStatus.OWNER
    return OwnershipStatus.UNREGISTERED


def amount_due(subscription: Subscription) -> Decimal:
    """The subscription price, shares x price per share, in euros rounded to the cent.

    This is the amount the subscription invoices, whether or not it has been paid yet; whether it
    is outstanding is ``paid_on``.
    """
    total = subscription.price_per_share * subscription.shares
    return total.quantize(_CENT, rounding=ROUND_HALF_UP)
