"""Compliance from the rows the SLA engine really caches, against SLA.md read by hand.

Random clock histories (start, pauses, resumes, stops, reopenings, cancellation) around
Helsinki month boundaries, on a 24x7 calendar so that the oracle can count business time as
real time. Each clock's row is what `sla.tracking` caches: `sla.clock.evaluate` as of its last
event. The oracle walks the history itself (no code shared with the report or the engine):
due = when the running time reaches the target; breached = it ran strictly after its due
instant; a stopped clock counts at its stop, an open one at its breach instant, a cancelled
one nowhere; month bounds come from zoneinfo directly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from servicedesk.reports.compliance import ClockFact, counted, tally_by
from servicedesk.reports.periods import parse
from sla.calendar import Calendar
from sla.clock import ClockEvent, EventType, evaluate

HKI = ZoneInfo("Europe/Helsinki")
NOW = datetime(2027, 2, 1, tzinfo=UTC)
ALWAYS = Calendar.from_spec({"always": True})
BOUNDARIES = [datetime(2026, m, 1, tzinfo=HKI).astimezone(UTC) for m in range(1, 13)]


@st.composite
def history(draw: st.DrawFn) -> tuple[int, list[tuple[str, datetime]]]:
    target = draw(st.integers(1, 3 * 24 * 60))
    at = draw(st.sampled_from(BOUNDARIES)) + timedelta(
        seconds=draw(st.integers(-3 * 86400, 3 * 86400))
    )
    steps = [("start", at)]
    state = "running"
    for _ in range(draw(st.integers(0, 5))):
        options = {
            "running": ["pause", "stop", "cancel"],
            "paused": ["resume", "stop", "cancel"],
            "stopped": ["resume", "cancel"],
        }[state]
        kind = draw(st.sampled_from(options))
        # Gaps of whole minutes or a few seconds, so stops fall exactly on due instants too.
        at += timedelta(seconds=draw(st.sampled_from([0, 1, 59, 60])) * draw(st.integers(0, 2880)))
        steps.append((kind, at))
        state = {"pause": "paused", "resume": "running", "stop": "stopped"}.get(kind, kind)
        if state == "cancel":
            break
    return target, steps


def cached(i: int, target: int, steps: list[tuple[str, datetime]]) -> ClockFact:
    events = [ClockEvent(EventType(kind), at) for kind, at in steps]
    last = steps[-1][1]
    r = evaluate(ALWAYS, target, events, last)
    return ClockFact(
        i, i, "resolution", 0, 1, r.state.value, r.due_at, r.breach_at, r.stopped_at, last
    )


def oracle(target: int, steps: list[tuple[str, datetime]]) -> tuple[str, datetime] | None:
    """SLA.md by hand: where (and how) this clock counts, as of NOW."""
    if steps[-1][0] == "cancel":
        return None
    stretches, since = [], None
    for kind, at in steps:
        if kind in ("start", "resume"):
            since = at
        elif since is not None:  # pause or stop while running
            stretches.append((since, at))
            since = None
    final = steps[-1][0]
    if since is not None:
        stretches.append((since, NOW))
    due, used = None, timedelta(0)
    for a, b in stretches:
        if used + (b - a) >= timedelta(minutes=target):
            due = a + (timedelta(minutes=target) - used)
            break
        used += b - a
    breach = None
    if due is not None:
        # Running strictly after the due instant: a stretch of no length (a resume and a pause
        # at the same instant, applied in list order) is no running time at all.
        breach = next((max(a, due) for a, b in stretches if b > due and b > a), None)
    if final == "stop":
        return ("breached" if breach is not None else "met"), steps[-1][1]
    if breach is not None:
        return "breached", breach
    return None


def month_bounds(month: int) -> tuple[datetime, datetime]:
    end = (
        datetime(2027, 1, 1, tzinfo=HKI)
        if month == 12
        else datetime(2026, month + 1, 1, tzinfo=HKI)
    )
    return datetime(2026, month, 1, tzinfo=HKI).astimezone(UTC), end.astimezone(UTC)


@settings(max_examples=400, deadline=None)
@given(st.lists(history(), min_size=1, max_size=25))
def test_monthly_compliance_of_engine_rows_matches_sla_md(clocks) -> None:
    rows = [cached(i, target, steps) for i, (target, steps) in enumerate(clocks)]
    truths = [oracle(target, steps) for target, steps in clocks]
    for month in range(1, 13):
        start, end = month_bounds(month)
        period = parse(f"2026-{month:02d}")
        got = tally_by(rows, lambda f: f.kind, period.start, period.end, NOW).get("resolution")
        inside = [t[0] for t in truths if t is not None and start <= t[1] < end]
        assert (got.met if got else 0, got.breached if got else 0) == (
            inside.count("met"),
            inside.count("breached"),
        )


def test_a_resume_and_a_pause_at_the_same_instant_after_due_is_no_breach() -> None:
    """Found by hypothesis: paused exactly at the due instant, then resumed and paused again in
    the same second. The clock never ran after its due instant: not breached (yet)."""
    start = datetime(2025, 12, 31, 22, 0, tzinfo=UTC)  # 00:00 Helsinki, New Year
    steps = [
        ("start", start),
        ("pause", start + timedelta(minutes=1)),  # the due instant of a 1-minute target
        ("resume", start + timedelta(seconds=61)),
        ("pause", start + timedelta(seconds=61)),
    ]
    assert oracle(1, steps) is None
    row = cached(0, 1, steps)
    assert row.state == "paused" and row.breach_at is None
    # Resumed for good later, it breaches at that resume instant.
    later = [*steps, ("resume", start + timedelta(hours=1))]
    assert oracle(1, later) == ("breached", start + timedelta(hours=1))
    assert counted(cached(0, 1, later), NOW) == ("breached", start + timedelta(hours=1))
