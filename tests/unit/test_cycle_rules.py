"""The yearly agreement cycle's pure rules: the next period, who may do what, the lapse, and
which renewal reminders are due on a day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from catalog.agreements.cycle_rules import lapse_of, may_accept, may_edit, may_sign, next_period
from catalog.agreements.reminder_rules import lapse_step, reminders_due
from servicedesk.enums import Role

END = date(2026, 12, 31)
DEADLINE = date(2026, 9, 30)


def due(
    days_before_end: int,
    *,
    state: str = "signed",
    valid_to: date | None = END,
    deadline: date | None = None,
    successor: bool = False,
    sent: frozenset[str] = frozenset(),
) -> tuple[str, ...]:
    today = END - timedelta(days=days_before_end)
    return reminders_due(
        state=state,
        valid_to=valid_to,
        renewal_deadline=deadline,
        has_signed_successor=successor,
        today=today,
        sent=sent,
    )


# --- the next period ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "expected"),
    [
        (date(2026, 1, 1), date(2026, 12, 31), (date(2027, 1, 1), date(2027, 12, 31))),
        (date(2025, 1, 1), date(2026, 12, 31), (date(2027, 1, 1), date(2028, 12, 31))),
        (date(2026, 7, 1), date(2027, 6, 30), (date(2027, 7, 1), date(2028, 6, 30))),
        # not whole years: the same number of days
        (date(2026, 3, 15), date(2026, 12, 31), (date(2027, 1, 1), date(2027, 10, 19))),
    ],
)
def test_the_next_period_follows_the_version_and_keeps_its_length(valid_from, valid_to, expected):
    assert next_period(valid_from, valid_to) == expected


# --- who may do what ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "manages", "state", "allowed"),
    [
        (Role.ADMIN, False, "signed", True),
        (Role.ADMIN, False, "draft", True),
        (Role.ACCOUNT_MANAGER, True, "draft", True),
        (Role.ACCOUNT_MANAGER, True, "proposed", True),
        (Role.ACCOUNT_MANAGER, True, "signed", False),
        (Role.ACCOUNT_MANAGER, False, "draft", False),
        (Role.AGENT, False, "draft", False),
        (Role.CUSTOMER_CONTACT, False, "proposed", False),
        (Role.END_USER, False, "draft", False),
    ],
)
def test_only_admins_and_the_customers_account_manager_edit(role, manages, state, allowed):
    assert may_edit(role, manages, state) is allowed


def test_signing_is_for_admins_and_by_configuration_for_the_account_manager():
    assert may_sign(Role.ADMIN, False, False)
    assert not may_sign(Role.ACCOUNT_MANAGER, True, False)
    assert may_sign(Role.ACCOUNT_MANAGER, True, True)
    assert not may_sign(Role.ACCOUNT_MANAGER, False, True)
    assert not may_sign(Role.CUSTOMER_CONTACT, False, True)


def test_only_the_customers_own_contact_accepts():
    assert may_accept(Role.CUSTOMER_CONTACT, True)
    assert not may_accept(Role.CUSTOMER_CONTACT, False)
    assert not may_accept(Role.ADMIN, True)
    assert not may_accept(Role.END_USER, True)


def test_a_lapse_is_told_within_90_days_unless_a_successor_is_signed():
    assert lapse_of(END, False, END - timedelta(days=91)) is None
    lapse = lapse_of(END, False, END - timedelta(days=23))
    assert lapse is not None and (lapse.ends_on, lapse.days_left, lapse.urgent) == (END, 23, True)
    assert lapse_of(END, True, END - timedelta(days=23)) is None
    assert lapse_of(None, False, END) is None
    assert lapse_of(END, False, END + timedelta(days=1)) is None


# --- renewal reminders -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_left", "kind"),
    [
        (91, None),
        (90, "lapse_90"),
        (31, "lapse_90"),
        (30, "lapse_30"),
        (8, "lapse_30"),
        (7, "lapse_7"),
        (1, "lapse_7"),
        (0, "lapse_last_day"),
        (-1, None),
    ],
)
def test_the_lapse_step_reached_at_each_boundary(days_left, kind):
    assert lapse_step(days_left) == kind
    assert due(days_left) == ((kind,) if kind else ())


def test_each_step_is_due_once_and_a_sent_step_is_not_due_again():
    assert due(90, sent=frozenset({"lapse_90"})) == ()
    assert due(30, sent=frozenset({"lapse_90"})) == ("lapse_30",)
    assert due(7, sent=frozenset({"lapse_90", "lapse_30"})) == ("lapse_7",)
    assert due(0, sent=frozenset({"lapse_90", "lapse_30", "lapse_7"})) == ("lapse_last_day",)


def test_after_downtime_only_the_most_urgent_step_reached_is_sent():
    assert due(25) == ("lapse_30",)  # not 90 and 30
    assert due(3) == ("lapse_7",)
    assert due(0) == ("lapse_last_day",)


def test_a_less_urgent_step_never_follows_a_more_urgent_one():
    # the end date moved later after the 7-day reminder: the 30-day one does not follow
    assert due(30, sent=frozenset({"lapse_7"})) == ()


def test_a_signed_successor_or_an_open_end_means_no_lapse_reminder():
    assert due(7, successor=True) == ()
    assert due(7, valid_to=None) == ()


@pytest.mark.parametrize("state", ["draft", "proposed"])
def test_drafts_and_proposals_are_never_reminded_of(state):
    assert due(7, state=state, deadline=END - timedelta(days=7)) == ()


def test_a_superseded_version_with_no_successor_flag_is_still_in_force():
    # (in practice a superseded version always has a signed successor)
    assert due(7, state="superseded") == ("lapse_7",)


@pytest.mark.parametrize(
    ("days_to_deadline", "expected"),
    [
        (31, ()),
        (30, ("renewal_deadline",)),
        (1, ("renewal_deadline",)),
        (0, ("renewal_deadline",)),
        (-1, ()),
    ],
)
def test_the_renewal_deadline_reminder_comes_from_30_days_before_it(days_to_deadline, expected):
    today = DEADLINE - timedelta(days=days_to_deadline)
    got = reminders_due(
        state="signed",
        valid_to=END,
        renewal_deadline=DEADLINE,
        has_signed_successor=False,
        today=today,
    )
    assert got == expected  # END is over 90 days away: no lapse step yet


def test_the_renewal_deadline_reminder_goes_once_and_not_with_a_signed_successor():
    kw = {"state": "signed", "valid_to": END, "renewal_deadline": DEADLINE, "today": DEADLINE}
    assert reminders_due(has_signed_successor=False, sent={"renewal_deadline"}, **kw) == ()
    assert reminders_due(has_signed_successor=True, **kw) == ()
    # an open-ended version's deadline is still reminded of
    kw["valid_to"] = None
    assert reminders_due(has_signed_successor=False, **kw) == ("renewal_deadline",)


def test_deadline_and_lapse_due_the_same_day_are_both_sent():
    got = reminders_due(
        state="signed",
        valid_to=END,
        renewal_deadline=END - timedelta(days=10),
        has_signed_successor=False,
        today=END - timedelta(days=20),
    )
    assert got == ("renewal_deadline", "lapse_30")
