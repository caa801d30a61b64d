"""Which renewal reminders an agreement version is due on a day (pure: no I/O).

Two families, each kind sent at most once per version (`agreement_reminders` is unique on
version and kind):

- `renewal_deadline`: from `RENEWAL_NOTICE_DAYS` days before the version's renewal deadline up
  to the deadline itself, while no signed version follows it. The deadline is the customer's
  budgeting: a renewal signed after it comes too late for their budget.
- `lapse_90`, `lapse_30`, `lapse_7`, `lapse_last_day`: the version in force ends within that
  many days (on the last day: 0) with no signed successor; from its end the gate refuses the
  customer's tickets. Only the most urgent step reached is sent: a scheduler that was down
  for the 90-day step and comes back at 25 days sends the 30-day reminder, not both; and once a
  step was sent, a less urgent one never follows it (an end date moved later does not rewind
  the warnings).

Drafts and proposals are never reminded of (they are not in force); an open-ended version has
no lapse (its renewal deadline, if one is set, is still reminded of).
"""

from __future__ import annotations

from datetime import date

from catalog.agreements.models import IN_FORCE_STATES

#: How many days before the renewal deadline its reminder goes out.
RENEWAL_NOTICE_DAYS = 30
#: The lapse steps, most urgent first: (days left at most, kind).
LAPSE_STEPS: tuple[tuple[int, str], ...] = (
    (0, "lapse_last_day"),
    (7, "lapse_7"),
    (30, "lapse_30"),
    (90, "lapse_90"),
)
LAPSE_KINDS = tuple(kind for _days, kind in LAPSE_STEPS)
#: How far ahead of its end a version can need a reminder (the job's query bound).
LAPSE_HORIZON_DAYS = max(days for days, _kind in LAPSE_STEPS)


def lapse_step(days_left: int) -> str | None:
    """The most urgent lapse step reached with `days_left` days to the end (0: the last day)."""
    if days_left < 0:
        return None
    for days, kind in LAPSE_STEPS:
        if days_left <= days:
            return kind
    return None


def reminders_due(
    *,
    state: str,
    valid_to: date | None,
    renewal_deadline: date | None,
    has_signed_successor: bool,
    today: date,
    sent: frozenset[str] | set[str] = frozenset(),
    notice_days: int = RENEWAL_NOTICE_DAYS,
) -> tuple[str, ...]:
    """The reminder kinds to send about a version today, given the kinds already `sent`."""
    if state not in IN_FORCE_STATES or has_signed_successor:
        return ()
    due: list[str] = []
    if (
        renewal_deadline is not None
        and 0 <= (renewal_deadline - today).days <= notice_days
        and "renewal_deadline" not in sent
    ):
        due.append("renewal_deadline")
    if valid_to is not None:
        step = lapse_step((valid_to - today).days)
        if step is not None:
            # This step or a more urgent one already went out: nothing new to say.
            as_urgent = LAPSE_KINDS[: LAPSE_KINDS.index(step) + 1]
            if not sent.intersection(as_urgent):
                due.append(step)
    return tuple(due)
