"""The live summary from a clock's cached evaluation equals a replay with `sla.clock.evaluate`.

Generated clocks (running, paused, stopped, cancelled, breached, with target changes) on the
calendars of `test_against_model`, with instants off the whole second (as `utcnow()` gives),
cached as `sla.tracking` caches them after their last event, and read any time later.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import event, given, settings
from hypothesis import strategies as st

from sla.clock import ClockEvent, ClockState, EventType, evaluate, is_at_risk
from sla.live import CachedClock, LiveClock, live
from tests.unit.sla.test_against_model import PROPERTY, cases, weekly_open_minutes, zones

MINUTE = timedelta(minutes=1)
_PHASES = {"start": "running", "resume": "running", "pause": "paused", "stop": "stopped"}


@st.composite
def clocks(draw, timezone: str):
    cal, begin, _show = draw(cases(timezone))
    limit = max(1, min(900, weekly_open_minutes(cal)))
    jitter = st.integers(0, 999_999).map(lambda us: timedelta(microseconds=us))
    moment = begin + draw(jitter)
    events = [ClockEvent(EventType.START, moment)]
    state = "running"
    for _ in range(draw(st.integers(0, 6))):
        moment += draw(st.integers(0, 600)) * MINUTE + draw(jitter)
        choices = {
            "running": ["pause", "stop", "target_change", "cancel"],
            "paused": ["resume", "stop", "target_change"],
            "stopped": ["resume", "target_change"],
        }[state]
        kind = EventType(draw(st.sampled_from(choices)))
        if kind is EventType.TARGET_CHANGE:
            events.append(ClockEvent(kind, moment, draw(st.integers(0, limit))))
            continue
        events.append(ClockEvent(kind, moment))
        state = _PHASES.get(kind.value, "cancelled")
        if state == "cancelled":
            break
    cached_at = moment + draw(st.sampled_from([timedelta(0), timedelta(0), MINUTE])) * draw(
        st.integers(0, 3)
    )
    later = st.integers(0, 2000).map(lambda m: m * MINUTE)
    at = cached_at + draw(later) + draw(jitter) * draw(st.integers(0, 1))
    target = draw(st.integers(0, limit))
    warning_percent = draw(st.sampled_from([80, 100, 50, 1, 33, 75]))
    return cal, target, events, cached_at, at, warning_percent, state


def _cache(cal, target, events, cached_at, warning_percent, phase) -> CachedClock:
    """What `sla.tracking._refresh` stores after the last event."""
    result = evaluate(cal, target, events, cached_at, warning_percent)
    changes = [e.target_minutes for e in events if e.type is EventType.TARGET_CHANGE]
    return CachedClock(
        phase=phase,
        state=result.state.value,
        target_minutes=changes[-1] if changes else target,
        elapsed_seconds=int(result.elapsed.total_seconds()),
        due_at=result.due_at,
        warning_at=result.warning_at,
        breach_at=result.breach_at,
        stopped_at=result.stopped_at,
        evaluated_at=cached_at,
        last_event_at=events[-1].at,
    )


def _replayed(cal, target, events, at, warning_percent) -> LiveClock:
    """The fields `sla.queries.summary` reads off a replay."""
    result = evaluate(cal, target, events, at, warning_percent)
    at_risk = result.state is ClockState.RUNNING and is_at_risk(result, at)
    return LiveClock(
        state="at_risk" if at_risk else result.state.value,
        target_minutes=int(result.target.total_seconds() // 60),
        elapsed_seconds=int(result.elapsed.total_seconds()),
        remaining_minutes=int(result.remaining.total_seconds() // 60),
        due_at=result.due_at,
        warning_at=result.warning_at,
        breach_at=result.breach_at,
        stopped_at=result.stopped_at,
    )


@settings(PROPERTY, max_examples=600)
@given(data=st.data(), timezone=zones)
def test_live_summary_equals_a_replay_of_the_events(data, timezone):
    cal, target, events, cached_at, at, warning_percent, phase = data.draw(clocks(timezone))
    cached = _cache(cal, target, events, cached_at, warning_percent, phase)
    found = live(cached, cal, at)
    expected = _replayed(cal, target, events, at, warning_percent)
    event(f"{phase} {expected.state}: {'replayed' if found is None else 'from the cache'}")
    if found is not None:
        assert found == expected


@settings(PROPERTY, max_examples=200)
@given(data=st.data(), timezone=zones)
def test_a_running_clock_not_yet_breached_is_always_answered_from_the_cache(data, timezone):
    cal, target, events, cached_at, at, warning_percent, phase = data.draw(clocks(timezone))
    cached = _cache(cal, target, events, cached_at, warning_percent, phase)
    # The one running case left to the replay: due already when cached (a zero target, say)
    # but not run past it yet, so its breach instant is still to come.
    due_later = cached.due_at is not None and cached.due_at >= cached.evaluated_at
    if phase == "running" and cached.state == "running" and due_later:
        assert live(cached, cal, at) is not None


def test_an_instant_before_the_cache_is_left_to_the_replay():
    cal, target, events, cached_at, _, warning_percent, phase = clocks_example()
    cached = _cache(cal, target, events, cached_at, warning_percent, phase)
    assert live(cached, cal, cached_at - timedelta(microseconds=1)) is None


def clocks_example():
    from datetime import UTC, datetime

    from sla.calendar import Calendar

    start = datetime(2026, 11, 23, 8, 0, 0, 500_000, tzinfo=UTC)
    events = [ClockEvent(EventType.START, start)]
    return Calendar(always=True), 60, events, start, start + MINUTE, 80, "running"
