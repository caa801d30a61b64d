from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.shares import (
    AlreadySubscribed,
    GeneralMeetingDecision,
    OrganisationKind,
    OwnershipStatus,
    Subscription,
    additional_shares,
    amount_due,
    decision_problems,
    held_on,
    list_price,
    ownership_status,
    price_per_share,
    shares_to_subscribe,
    votes,
)


def decision(price="2", votes_for=2, votes_cast=3, applies_from=date(2011, 1, 1), **kw):
    return GeneralMeetingDecision(
        decided_on=kw.pop("decided_on", date(2010, 12, 15)),
        price_per_share=Decimal(price),
        votes_for=votes_for,
        votes_cast=votes_cast,
        applies_from=applies_from,
        applies_to=kw.pop("applies_to", None),
    )


def subscription(shares=100, **kw):
    return Subscription(
        subscribed_on=kw.pop("subscribed_on", date(2012, 1, 1)),
        shares=shares,
        price_per_share=kw.pop("price_per_share", Decimal("6")),
        paid_on=kw.pop("paid_on", None),
        registered_on=kw.pop("registered_on", None),
        redeemed_on=kw.pop("redeemed_on", None),
    )


@pytest.mark.parametrize(
    ("subscribed_on", "price"),
    [
        (date(2009, 1, 1), Decimal("1")),
        (date(2010, 10, 31), Decimal("1")),
        (date(2010, 11, 1), Decimal("3")),
        (date(2011, 3, 31), Decimal("3")),
        (date(2011, 4, 1), Decimal("6")),
        (date(2026, 1, 1), Decimal("6")),
    ],
)
def test_list_price_boundaries_are_inclusive(subscribed_on, price):
    assert list_price(subscribed_on) == price
    assert price_per_share(subscribed_on) == (price, None)


def test_carried_lower_price_applies():
    lower = decision(price="2")
    assert price_per_share(date(2011, 2, 1), [lower]) == (Decimal("2"), lower)


def test_exactly_two_thirds_carries():
    assert decision(votes_for=200, votes_cast=300).carried
    assert price_per_share(date(2011, 2, 1), [decision(votes_for=200, votes_cast=300)])[0] == 2


def test_just_under_two_thirds_does_not_carry():
    rejected = decision(votes_for=199, votes_cast=300)
    assert not rejected.carried
    assert price_per_share(date(2011, 2, 1), [rejected]) == (Decimal("3"), None)


@given(st.integers(min_value=1, max_value=10**6), st.data())
def test_carried_means_at_least_two_thirds(votes_cast, data):
    votes_for = data.draw(st.integers(min_value=0, max_value=votes_cast))
    d = decision(votes_for=votes_for, votes_cast=votes_cast)
    assert d.carried == (Decimal(votes_for) / Decimal(votes_cast) >= Decimal(2) / Decimal(3))


def test_a_price_not_lower_than_the_list_price_is_ignored():
    higher = decision(price="4")
    equal = decision(price="3")
    assert price_per_share(date(2011, 2, 1), [higher, equal]) == (Decimal("3"), None)


def test_decision_outside_its_window_is_ignored():
    window = decision(price="2", applies_from=date(2011, 1, 1), applies_to=date(2011, 1, 31))
    assert price_per_share(date(2010, 12, 31), [window]) == (Decimal("3"), None)
    assert price_per_share(date(2011, 1, 1), [window]) == (Decimal("2"), window)
    assert price_per_share(date(2011, 1, 31), [window]) == (Decimal("2"), window)
    assert price_per_share(date(2011, 2, 1), [window]) == (Decimal("3"), None)


def test_lowest_carried_price_wins():
    two = decision(price="2")
    half = decision(price="0.50")
    rejected = decision(price="0.10", votes_for=1, votes_cast=3)
    assert price_per_share(date(2011, 2, 1), [two, half, rejected]) == (Decimal("0.50"), half)


def test_on_equal_prices_the_latest_decision_is_named():
    older = decision(price="2", decided_on=date(2010, 12, 1))
    newer = decision(price="2", decided_on=date(2011, 1, 15))
    assert price_per_share(date(2011, 2, 1), [older, newer])[1] is newer
    assert price_per_share(date(2011, 2, 1), [newer, older])[1] is newer


@pytest.mark.parametrize(
    "kw",
    [
        {"price": "-1"},
        {"votes_for": 0, "votes_cast": 0},
        {"votes_for": 4, "votes_cast": 3},
        {"votes_for": -1},
        {"applies_from": date(2011, 2, 1), "applies_to": date(2011, 1, 31)},
    ],
)
def test_impossible_decisions_are_refused(kw):
    with pytest.raises(ValueError):
        decision(**kw)


def test_municipality_subscribes_one_share_per_resident():
    assert shares_to_subscribe(OrganisationKind.MUNICIPALITY, 20_345) == 20_345


@pytest.mark.parametrize("residents", [None, 0, -5, True])
def test_municipality_without_residents_is_refused(residents):
    with pytest.raises(ValueError, match="resident"):
        shares_to_subscribe(OrganisationKind.MUNICIPALITY, residents)


@pytest.mark.parametrize(
    "kind", [OrganisationKind.JOINT_AUTHORITY, OrganisationKind.MUNICIPAL_COMPANY]
)
@pytest.mark.parametrize("residents", [None, 0, 250_000])
def test_joint_authority_and_municipal_company_subscribe_one_share(kind, residents):
    assert shares_to_subscribe(kind, residents) == 1


def test_votes_count_only_registered_unredeemed_shares():
    subs = [
        subscription(100),  # subscribed only
        subscription(20, paid_on=date(2012, 2, 1)),  # paid, not registered
        subscription(3, paid_on=date(2012, 2, 1), registered_on=date(2012, 3, 1)),
        subscription(
            5000,
            paid_on=date(2012, 2, 1),
            registered_on=date(2012, 3, 1),
            redeemed_on=date(2020, 1, 1),
        ),
    ]
    assert votes(subs, date(2012, 2, 29)) == 0
    assert votes(subs, date(2012, 3, 1)) == 5003
    assert votes(subs, date(2019, 12, 31)) == 5003
    assert votes(subs, date(2020, 1, 1)) == 3


def test_ownership_status_over_time():
    subs = [
        subscription(
            10,
            subscribed_on=date(2012, 1, 1),
            paid_on=date(2012, 2, 1),
            registered_on=date(2012, 3, 1),
            redeemed_on=date(2020, 1, 1),
        )
    ]
    assert ownership_status([], date(2012, 1, 1)) is OwnershipStatus.NOT_OWNER
    assert ownership_status(subs, date(2011, 12, 31)) is OwnershipStatus.NOT_OWNER
    assert ownership_status(subs, date(2012, 1, 1)) is OwnershipStatus.UNREGISTERED
    assert ownership_status(subs, date(2012, 2, 15)) is OwnershipStatus.UNREGISTERED
    assert ownership_status(subs, date(2012, 3, 1)) is OwnershipStatus.OWNER
    assert ownership_status(subs, date(2020, 1, 1)) is OwnershipStatus.NOT_OWNER


def test_a_new_unregistered_subscription_keeps_an_owner_an_owner():
    registered = subscription(10, paid_on=date(2012, 2, 1), registered_on=date(2012, 3, 1))
    new = subscription(5, subscribed_on=date(2013, 1, 1))
    assert ownership_status([registered, new], date(2013, 1, 2)) is OwnershipStatus.OWNER


def test_amount_due_is_shares_times_price_in_cents():
    assert amount_due(subscription(20_345, price_per_share=Decimal("6"))) == Decimal("122070.00")
    assert amount_due(subscription(3, price_per_share=Decimal("0.335"))) == Decimal("1.01")


@pytest.mark.parametrize(
    "kw",
    [
        {"shares": 0},
        {"price_per_share": Decimal("-1")},
        {"paid_on": date(2011, 12, 31)},
        {"registered_on": date(2012, 3, 1)},  # not paid
        {"paid_on": date(2012, 3, 2), "registered_on": date(2012, 3, 1)},
        {"redeemed_on": date(2011, 1, 1)},
    ],
)
def test_impossible_subscriptions_are_refused(kw):
    with pytest.raises(ValueError):
        subscription(**kw)


# --- the register made exact (issue 13) -----------------------------------------------------


def test_a_decision_does_not_reach_back_before_its_decision_date():
    late = decision(price="2", decided_on=date(2016, 5, 1), applies_from=date(2016, 1, 1))
    assert price_per_share(date(2016, 3, 1), [late]) == (Decimal("6"), None)
    assert price_per_share(date(2016, 4, 30), [late]) == (Decimal("6"), None)
    assert price_per_share(date(2016, 5, 1), [late]) == (Decimal("2"), late)


_days = st.dates(min_value=date(2009, 1, 1), max_value=date(2020, 12, 31))
_decisions = st.builds(
    lambda decided, start, price, votes_for: decision(
        price=str(price), decided_on=decided, applies_from=start, votes_for=votes_for
    ),
    _days,
    _days,
    st.sampled_from(["1", "1.50", "2", "2.50", "4", "5.50"]),
    st.integers(min_value=1, max_value=3),
)


@given(st.lists(_decisions, max_size=6), _days, st.randoms(use_true_random=False))
def test_the_price_depends_on_the_set_of_decisions_not_their_order(decisions, day, rnd):
    shuffled = list(decisions)
    rnd.shuffle(shuffled)
    price, used = price_per_share(day, decisions)
    assert price_per_share(day, shuffled)[0] == price
    # only the decisions decided by the day count; the price never exceeds the list price
    known = [d for d in decisions if d.decided_on <= day]
    assert price_per_share(day, known)[0] == price
    assert price <= list_price(day)
    assert used is None or (used.carried and used.decided_on <= day)


@pytest.mark.parametrize(
    ("kind", "residents", "held", "added"),
    [
        (OrganisationKind.MUNICIPALITY, 700, 0, 700),
        (OrganisationKind.MUNICIPALITY, 750, 700, 50),
        (OrganisationKind.JOINT_AUTHORITY, None, 0, 1),
        (OrganisationKind.MUNICIPAL_COMPANY, 3, 0, 1),
    ],
)
def test_additional_shares_are_the_growth_of_the_holding(kind, residents, held, added):
    assert additional_shares(kind, residents, held) == added


@pytest.mark.parametrize(
    ("kind", "residents", "held"),
    [
        (OrganisationKind.MUNICIPALITY, 700, 700),  # subscribed twice: 1400 votes for 700
        (OrganisationKind.MUNICIPALITY, 650, 700),  # fewer residents: nothing to add
        (OrganisationKind.JOINT_AUTHORITY, None, 1),  # never 2 shares
        (OrganisationKind.MUNICIPAL_COMPANY, None, 1),
    ],
)
def test_a_second_holding_is_already_subscribed(kind, residents, held):
    with pytest.raises(AlreadySubscribed):
        additional_shares(kind, residents, held)


def test_the_holding_counts_shares_not_redeemed_by_the_day_registered_or_not():
    subs = [
        subscription(shares=700, registered_on=None),
        subscription(shares=50, redeemed_on=date(2015, 1, 1)),
    ]
    assert held_on(subs, date(2014, 12, 31)) == 750
    assert held_on(subs, date(2015, 1, 1)) == 700


def test_a_decision_within_the_seed_has_no_problems():
    assert decision_problems(decision(price="1", votes_cast=3), registered_votes=3) == {}


def test_a_decision_below_one_euro_or_with_unregistered_votes_has_problems():
    problems = decision_problems(decision(price="0.99", votes_cast=4), registered_votes=3)
    assert set(problems) == {"price_per_share", "votes_cast"}
    assert problems["votes_cast"] == "4 votes cast, but only 3 votes are registered on 2010-12-15."
