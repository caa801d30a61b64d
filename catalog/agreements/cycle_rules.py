"""The yearly agreement cycle as pure rules: the next period, who may do what, lapse state.

No I/O: `catalog.agreements.cycle` gathers the facts and applies these, and the pages and the
reminder job read the same answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from servicedesk.enums import Role

#: draft -> proposed -> signed (-> superseded). A proposal may go back to draft for more
#: changes; signed versions are changed only by superseding them.
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"proposed"}),
    "proposed": frozenset({"draft", "signed"}),
    "signed": frozenset({"superseded"}),
    "superseded": frozenset(),
}


def next_period(valid_from: date, valid_to: date) -> tuple[date, date]:
    """The period after [valid_from, valid_to], of the same length in whole years when the
    version ran whole years (the usual calendar year), else of the same number of days."""
    start = valid_to + timedelta(days=1)
    years = start.year - valid_from.year
    whole_years = (valid_from.month, valid_from.day) == (start.month, start.day)
    if whole_years and years > 0 and not (start.month == 2 and start.day == 29):
        return start, date(start.year + years, start.month, start.day) - timedelta(days=1)
    return start, start + (valid_to - valid_from)


def may_edit(role: Role, manages_customer: bool, state: str) -> bool:
    """Admins edit any version (a signed one only where it is not frozen, checked apart);
    the customer's account manager edits its drafts and proposals."""
    if role is Role.ADMIN:
        return True
    return role is Role.ACCOUNT_MANAGER and manages_customer and state in ("draft", "proposed")


def may_sign(role: Role, manages_customer: bool, account_managers_sign: bool) -> bool:
    """An admin signs; the customer's account manager too when the centre allows it
    (setting `ACCOUNT_MANAGERS_SIGN`)."""
    if role is Role.ADMIN:
        return True
    return role is Role.ACCOUNT_MANAGER and manages_customer and account_managers_sign


def may_accept(role: Role, own_organisation: bool) -> bool:
    """Only the customer's own contact accepts a proposal on the customer's behalf."""
    return role is Role.CUSTOMER_CONTACT and own_organisation


@dataclass(frozen=True)
class Lapse:
    """A version in force that will end with no signed successor."""

    ends_on: date
    days_left: int  # 0 on the last day

    @property
    def urgent(self) -> bool:
        return self.days_left <= 30


#: How far ahead the agreement list warns of a lapse.
LAPSE_HORIZON_DAYS = 90


def lapse_of(
    valid_to: date | None,
    has_signed_successor: bool,
    today: date,
    horizon: int = LAPSE_HORIZON_DAYS,
) -> Lapse | None:
    """The lapse a signed version faces on `today`: None when open-ended, already over,
    followed by a signed successor, or further away than `horizon` days."""
    if valid_to is None or has_signed_successor or valid_to < today:
        return None
    days = (valid_to - today).days
    return Lapse(valid_to, days) if days <= horizon else None
