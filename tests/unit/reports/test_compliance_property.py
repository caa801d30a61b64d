"""Every compliance figure against a brute-force recomputation straight from SLA.md:

"Compliance for a period = met / (met + breached) of the clocks that stopped in that period,
with clocks still running and already breached counted as breached in the period of their
breach instant. Cancelled clocks count nowhere."

The oracle shares no code with `servicedesk.reports`: it computes the month's bounds with
zoneinfo itself, and reads each generated clock's *history* (what happened), not the row the
report reads (what the clock caches).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from servicedesk.reports.compliance import ClockFact, passed, tally_by
from servicedesk.reports.periods import months_ending, parse

HKI = ZoneInfo("Europe/Helsinki")
NOW = datetime(2027, 1, 15, 12, tzinfo=UTC)


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """Written out again on purpose: local midnight of the 1st to the next 1st, in UTC."""
    ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
    return (
        datetime(year, month, 1, tzinfo=HKI).astimezone(UTC),
        datetime(ny, nm, 1, tzinfo=HKI).astimezone(UTC),
    )


@dataclass(frozen=True)
class History:
    """What happened to a clock: how it ended (if it did) and when it ran past its due."""

    promise: int
    kind: str
    ending: str  # "stopped" | "cancelled" | "open"
    ended_at: datetime | None
    due_at: datetime
    #: The first instant it was running after its due instant, if it was (the breach).
    overrun_at: datetime | None
    paused_now: bool


def truth(h: History, start: datetime, end: datetime) -> str | None:
    """SLA.md's sentence, applied to one clock and one period."""
    if h.ending == "cancelled":
        return None
    if h.ending == "stopped":
        assert h.ended_at is not None
        if not start <= h.ended_at < end:
            return None
        return "breached" if h.overrun_at is not None and h.overrun_at < h.ended_at else "met"
    if h.overrun_at is not None and h.overrun_at < NOW and start <= h.overrun_at < end:
        return "breached"
    return None


def cached_row(i: int, h: History) -> ClockFact:
    """The row `sla.tracking` would cache for this history, as of its last event."""
    base = dict(clock_id=i, ticket_id=i, kind=h.kind, leg=0, promise_id=h.promise)
    breached_before_end = h.overrun_at is not None and (
        h.ended_at is None or h.overrun_at < h.ended_at
    )
    if h.ending == "cancelled":
        return ClockFact(
            **base,
            state="cancelled",
            due_at=None,
            breach_at=None,
            stopped_at=h.ended_at,
            evaluated_at=h.ended_at,
        )
    if h.ending == "stopped":
        return ClockFact(
            **base,
            state="breached" if breached_before_end else "met",
            due_at=h.due_at,
            breach_at=h.overrun_at if breached_before_end else None,
            stopped_at=h.ended_at,
            evaluated_at=h.ended_at,
        )
    last_event = h.due_at - timedelta(days=3)
    if h.paused_now:
        # Paused: the cache knows a breach only if the clock ran past due before pausing.
        if h.overrun_at is not None:
            return ClockFact(
                **base,
                state="breached",
                due_at=h.due_at,
                breach_at=h.overrun_at,
                stopped_at=None,
                evaluated_at=h.overrun_at + timedelta(hours=1),
            )
        return ClockFact(
            **base,
            state="paused",
            due_at=None,
            breach_at=None,
            stopped_at=None,
            evaluated_at=last_event,
        )
    # Running since before its due instant, nothing since: the cache still says running.
    return ClockFact(
        **base,
        state="running",
        due_at=h.due_at,
        breach_at=None,
        stopped_at=None,
        evaluated_at=last_event,
    )


# Instants cluster around Helsinki month boundaries (incl. the DST months), to the second.
_BOUNDARIES = [datetime(2026, m, 1, tzinfo=HKI).astimezone(UTC) for m in range(1, 13)] + [
    datetime(2027, 1, 1, tzinfo=HKI).astimezone(UTC)
]
instants = st.builds(
    lambda b, s: b + timedelta(seconds=s),
    st.sampled_from(_BOUNDARIES),
    st.one_of(st.integers(-3, 3), st.integers(-4 * 86400, 4 * 86400)),
)


@st.composite
def histories(draw: st.DrawFn) -> History:
    promise = draw(st.integers(1, 3))
    kind = draw(st.sampled_from(["response", "resolution", "update"]))
    ending = draw(st.sampled_from(["stopped", "cancelled", "open"]))
    due = draw(instants)
    if ending == "open":
        paused = draw(st.booleans())
        # Running since before its due instant, nothing since: it overruns at its due instant.
        # Paused: it may have run past due before pausing, or paused in time.
        overrun = draw(st.sampled_from([None, due])) if paused else due
        return History(promise, kind, ending, None, due, overrun, paused)
    ended = draw(instants)
    # Stopped after its due instant: it ran past it, or it stood paused over it (met).
    # A stop exactly at the due instant is met (the clock never ran strictly after it).
    overrun = due if due < ended and draw(st.booleans()) else None
    return History(promise, kind, ending, ended, due, overrun, False)


@settings(max_examples=300, deadline=None)
@given(st.lists(histories(), max_size=40), st.integers(1, 12))
def test_every_month_and_line_matches_the_definition(hs: list[History], month: int) -> None:
    rows = [cached_row(i, h) for i, h in enumerate(hs)]
    period = parse(f"2026-{month:02d}")
    start, end = month_bounds(2026, month)
    assert (period.start, period.end) == (start, end)

    got = tally_by(rows, lambda f: (f.promise_id, f.kind), period.start, period.end, NOW)
    expected: dict[tuple[int, str], list[int]] = {}
    for h in hs:
        outcome = truth(h, start, end)
        if outcome:
            cell = expected.setdefault((h.promise, h.kind), [0, 0])
            cell[0 if outcome == "met" else 1] += 1
    assert {k: [t.met, t.breached] for k, t in got.items()} == expected
    for key, (met, breached) in expected.items():
        want = Decimal(met * 100) / Decimal(met + breached)
        assert abs(got[key].percent - want) <= Decimal("0.005")
        target = Decimal("95")
        assert passed(got[key], target) is (met * 100 >= 95 * (met + breached))


@settings(max_examples=100, deadline=None)
@given(st.lists(histories(), max_size=30))
def test_the_trend_counts_each_clock_in_one_month_at_most(hs: list[History]) -> None:
    rows = [cached_row(i, h) for i, h in enumerate(hs)]
    months = months_ending(parse("2026-12").last)
    assert [m.label for m in months] == [f"2026-{m:02d}" for m in range(1, 13)]
    total = 0
    for m, number in zip(months, range(1, 13), strict=True):
        start, end = month_bounds(2026, number)
        t = tally_by(rows, lambda f: 0, m.start, m.end, NOW).get(0)
        want = [truth(h, start, end) for h in hs]
        assert (t.met if t else 0) == want.count("met")
        assert (t.breached if t else 0) == want.count("breached")
        total += t.total if t else 0
    year = tally_by(rows, lambda f: 0, *month_bounds(2026, 1)[:1], month_bounds(2026, 12)[1], NOW)
    assert total == (year[0].total if year else 0)
