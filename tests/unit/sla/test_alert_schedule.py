"""`sla.alert_schedule`: the sweep's index column never hides an alert, and moves past it.

The main property replays generated clock histories through the real clock engine: the row is
re-evaluated at each event (as `sla.tracking` does), and two schedulers sweep it at the same
ticks. The reference asks every clock each tick, from its cached state and the alerts table, for
a due warning (not cancelled, warning instant reached by now: recorded however late, SLA.md) or
breach (running past due, or cached breached with breach <= now). The indexed sweep looks only at
clocks whose `next_alert_at <= now` and decides from the row's bits. Both must record the same
alerts, at the same true instants, on the same tick.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sla.alert_schedule import (
    BREACH,
    WARNING,
    AlertInputs,
    alert_bit,
    alerts_due,
    next_alert_at,
    tells,
)
from sla.calendar import Calendar
from sla.clock import ClockEvent, ClockResult, EventType, evaluate

MINUTE = timedelta(minutes=1)
T0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # Mon 08:00 in Helsinki
OFFICE = Calendar.office_hours()
ALWAYS = Calendar.twenty_four_seven()
PROPERTY = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def at(minutes: int) -> datetime:
    return T0 + minutes * MINUTE


# --- the rules, case by case -----------------------------------------------------------------


def test_a_running_clock_is_due_at_its_warning_then_at_its_due_instant_then_never():
    clock = AlertInputs("running", warning_at=at(80), due_at=at(100), breach_at=None)
    assert next_alert_at(clock) == at(80)
    assert alerts_due(clock, at(79)) == ()
    assert alerts_due(clock, at(80)) == (("warning", at(80)),)
    warned = replace(clock, recorded=WARNING)
    assert next_alert_at(warned) == at(100)
    assert alerts_due(warned, at(100)) == ()  # at its due instant it is not breached yet
    assert alerts_due(warned, at(101)) == (("breach", at(100)),)
    assert next_alert_at(replace(clock, recorded=WARNING | BREACH)) is None


def test_a_sweep_after_the_due_instant_records_the_missed_warning_and_tells_only_the_breach():
    clock = AlertInputs("running", warning_at=at(80), due_at=at(100), breach_at=None)
    assert alerts_due(clock, at(500)) == (("warning", at(80)), ("breach", at(100)))
    assert (tells(clock, "warning", at(500)), tells(clock, "breach", at(500))) == (False, True)
    assert next_alert_at(replace(clock, recorded=WARNING | BREACH)) is None
    # Nothing after a recorded breach, even a warning a raised target moved later.
    lifted = AlertInputs("running", at(200), at(300), None, recorded=BREACH)
    assert (next_alert_at(lifted), alerts_due(lifted, at(250))) == (None, ())


def test_a_warning_missed_before_the_due_instant_is_recorded_late_and_told():
    clock = AlertInputs("running", warning_at=at(80), due_at=at(100), breach_at=None)
    assert alerts_due(clock, at(95)) == (("warning", at(80)),)
    assert tells(clock, "warning", at(95)) and tells(clock, "warning", at(100))


def test_a_clock_breached_before_it_stopped_is_recorded_at_its_true_instant_however_late():
    clock = AlertInputs("breached", warning_at=at(80), due_at=at(100), breach_at=at(100))
    assert next_alert_at(clock) == at(80)
    assert alerts_due(clock, at(100_000)) == (("warning", at(80)), ("breach", at(100)))
    assert not tells(clock, "warning", at(100_000))
    assert next_alert_at(replace(clock, recorded=WARNING)) == at(100)
    assert next_alert_at(replace(clock, recorded=BREACH)) is None


def test_a_paused_or_met_clock_past_its_warning_records_it_and_a_cancelled_one_nothing():
    paused = AlertInputs("paused", warning_at=at(80), due_at=None, breach_at=None)
    assert (next_alert_at(paused), alerts_due(paused, at(90))) == (at(80), (("warning", at(80)),))
    assert tells(paused, "warning", at(90))  # still open, not breached: worth telling
    met = AlertInputs("met", warning_at=at(80), due_at=at(100), breach_at=None)
    assert alerts_due(met, at(90)) == (("warning", at(80)),)
    assert not tells(met, "warning", at(90))  # ended: recorded, told to nobody
    for state in ("paused", "met"):
        warned = AlertInputs(state, at(80), at(100), None, recorded=WARNING)
        assert (next_alert_at(warned), alerts_due(warned, at(10_000))) == (None, ())
        quiet = AlertInputs(state, None, at(100), None)  # never reached its warning
        assert (next_alert_at(quiet), alerts_due(quiet, at(10_000))) == (None, ())
    cancelled = AlertInputs("cancelled", warning_at=at(80), due_at=at(100), breach_at=None)
    assert next_alert_at(cancelled) is None
    assert alerts_due(cancelled, at(10_000)) == ()


def test_the_bits_are_one_per_kind():
    assert (alert_bit("warning"), alert_bit("breach")) == (WARNING, BREACH)
    assert WARNING & BREACH == 0


# --- generated: any row, any instant -----------------------------------------------------------

instants = st.integers(0, 2000).map(at)
rows = st.builds(
    AlertInputs,
    st.sampled_from(["running", "paused", "met", "breached", "cancelled"]),
    st.none() | instants,
    st.none() | instants,
    st.none() | instants,
    st.sampled_from([0, WARNING, BREACH, WARNING | BREACH]),
)


@PROPERTY
@given(clock=rows, now=instants)
def test_whatever_is_due_is_selected_and_once_recorded_the_clock_moves_on(clock, now):
    due = alerts_due(clock, now)
    upcoming = next_alert_at(clock)
    if due:
        assert upcoming is not None and upcoming <= now  # the index search finds it
    bits = clock.recorded
    for kind, _ in due:
        bits |= alert_bit(kind)
    after = replace(clock, recorded=bits)
    assert alerts_due(after, now) == ()
    moved = next_alert_at(after)
    # Past `now`, or gone; only a running clock swept exactly at its due instant waits a tick.
    assert moved is None or moved > now or (clock.state == "running" and moved == clock.due_at)


@PROPERTY
@given(clock=rows)
def test_fewer_recorded_bits_never_make_the_next_instant_later(clock):
    """A request that re-evaluates a clock with stale bits only makes the sweep look early."""
    full = next_alert_at(clock)
    for fewer in (0, clock.recorded & WARNING, clock.recorded & BREACH):
        earlier = next_alert_at(replace(clock, recorded=fewer))
        assert full is None or (earlier is not None and earlier <= full)


# --- generated: real clock histories, two schedulers -----------------------------------------

NEXT_PHASE = {
    "running": ["pause", "stop", "target_change", "cancel"],
    "paused": ["resume", "stop", "target_change", "cancel"],
    "stopped": ["resume", "target_change", "cancel"],
}


@st.composite
def histories(draw):
    """(calendar, target, warning %, events at whole minutes after T0, sweep step)"""
    calendar = draw(st.sampled_from([OFFICE, ALWAYS]))
    events = [ClockEvent(EventType.START, at(draw(st.integers(0, 600))))]
    current = "running"
    for _ in range(draw(st.integers(0, 5))):
        if current == "cancelled":
            break
        kind = draw(st.sampled_from(NEXT_PHASE[current]))
        moment = events[-1].at + draw(st.integers(0, 900)) * MINUTE
        target = draw(st.integers(0, 900)) if kind == "target_change" else None
        events.append(ClockEvent(EventType(kind), moment, target))
        current = {"pause": "paused", "resume": "running", "stop": "stopped",
                   "cancel": "cancelled"}.get(kind, current)
    return (
        calendar,
        draw(st.integers(0, 900)),
        draw(st.sampled_from([80, 100, 50, 1])),
        events,
        draw(st.sampled_from([1, 7, 30, 121])),
    )


@dataclass
class Row:
    """The clock row as `sla.tracking._refresh` leaves it, plus what the sweep writes."""

    result: ClockResult | None = None
    recorded: int = 0
    next_at: datetime | None = None

    def inputs(self) -> AlertInputs:
        r = self.result
        assert r is not None
        return AlertInputs(r.state.value, r.warning_at, r.due_at, r.breach_at, self.recorded)


@dataclass
class Reference:
    """The former sweep: asks every clock each tick, against the alerts table."""

    alerts: dict[str, datetime] = field(default_factory=dict)

    def sweep(self, r: ClockResult, now: datetime) -> list[tuple[str, datetime]]:
        state = r.state.value
        found = []
        # A warning reached in the clock's history is recorded with its true instant, however
        # late; after a recorded breach nothing more is recorded.
        if (state != "cancelled" and "warning" not in self.alerts and "breach" not in self.alerts
                and r.warning_at is not None and r.warning_at <= now):
            found.append(("warning", r.warning_at))
        if "breach" not in self.alerts:
            if state == "running" and r.due_at is not None and r.due_at < now:
                found.append(("breach", r.due_at))
            elif state == "breached" and r.breach_at is not None and r.breach_at <= now:
                found.append(("breach", r.breach_at))
        for kind, moment in found:
            self.alerts[kind] = moment
        return found


@PROPERTY
@given(case=histories())
def test_the_indexed_sweep_records_what_asking_every_clock_records_on_the_same_tick(case):
    calendar, target, percent, events, step = case
    row, reference = Row(), Reference()
    end = events[-1].at + 3 * 24 * 60 * MINUTE
    applied = 0
    now = events[0].at
    while now <= end:
        while applied < len(events) and events[applied].at <= now:
            applied += 1  # _refresh at each event: evaluated as of the event's instant
            row.result = evaluate(calendar, target, events[:applied], events[applied - 1].at,
                                  percent)
            row.next_at = next_alert_at(row.inputs())
        assert row.result is not None
        expected = reference.sweep(row.result, now)
        got: list[tuple[str, datetime]] = []
        if row.next_at is not None and row.next_at <= now:
            got = list(alerts_due(row.inputs(), now))
            for kind, _ in got:
                row.recorded |= alert_bit(kind)
            row.next_at = next_alert_at(row.inputs())
        assert got == expected, now
        now += step * MINUTE
