"""The SQL aggregate of the public page equals the pure `compliance.tally_by` over the same
clock rows: random histories around Helsinki month boundaries (DST months included), random
families, kinds and supplier legs, on whichever database the suite runs on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from servicedesk import db
from servicedesk.public import queries
from servicedesk.public.report import public_months
from servicedesk.reports.compliance import ClockFact, tally_by
from servicedesk.tickets.models import Ticket
from sla.models import SlaClock
from tests.public.world import PublicWorld, local
from tests.unit.reports.test_compliance_engine_property import NOW, cached, history

FAMILIES = ("expert", "application", "infrastructure")


def fact_of(i: int, ticket_id: int, kind: str, leg: int, target: int, steps: Any) -> ClockFact:
    """The i-th generated clock as the engine caches it, on `ticket_id`."""
    c = cached(i, target, steps)
    return ClockFact(
        i, ticket_id, kind, leg, None, c.state, c.due_at, c.breach_at, c.stopped_at, c.evaluated_at
    )


def _store(w: PublicWorld, facts: list[tuple[ClockFact, int]]) -> None:
    w.sess.execute(delete(SlaClock))
    for fact, leg in facts:
        w.sess.add(
            SlaClock(
                ticket_id=fact.ticket_id,
                organisation_id=w.sess.get(Ticket, fact.ticket_id).organisation_id,
                kind=fact.kind,
                cycle=fact.clock_id + 1,
                leg=leg,
                promise_id=None,
                calendar_id=w.cal.id,
                target_minutes=60,
                events=[],
                state=fact.state,
                due_at=fact.due_at,
                breach_at=fact.breach_at,
                stopped_at=fact.stopped_at,
                evaluated_at=fact.evaluated_at,
            )
        )
    w.sess.commit()


def _expected(
    facts: list[ClockFact], family_of: dict[int, str], now: datetime, months: int
) -> dict[tuple[str, str, str], tuple[int, int]]:
    """Straight from the pure rule: month by month, customer clocks only."""
    found = {}
    for m in public_months(now, months):
        by = tally_by(
            [f for f in facts if f.leg == 0],
            lambda f: (family_of[f.ticket_id], f.kind),
            m.start,
            m.end,
            now,
        )
        for (family, kind), t in by.items():
            found[(family, m.label, kind)] = (t.met, t.breached)
    return found


def _tickets(w: PublicWorld, client: Any) -> dict[int, str]:
    if not hasattr(w, "family_of"):
        w.family_of = {
            w.ticket(client, family, datetime(2024, 6, 1, tzinfo=UTC)): family
            for family in FAMILIES
        }
    return w.family_of


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    clocks=st.lists(
        st.tuples(
            history(),
            st.sampled_from(FAMILIES),
            st.sampled_from(("response", "resolution")),
            st.sampled_from((0, 0, 0, 7)),  # now and then a supplier leg: never counted
        ),
        min_size=1,
        max_size=20,
    ),
    months=st.sampled_from((12, 24)),
)
def test_sql_aggregate_equals_the_pure_tally(
    app: Any, client: Any, world: PublicWorld, clocks: list, months: int
) -> None:
    family_of = _tickets(world, client)
    ticket_of = {f: t for t, f in family_of.items()}
    facts = []
    for i, ((target, steps), family, kind, leg) in enumerate(clocks):
        facts.append((fact_of(i, ticket_of[family], kind, leg, target, steps), leg))
    _store(world, facts)
    with app.app_context():
        got = queries.clock_tallies(db.session(), public_months(NOW, months), NOW)
    assert {k: (t.met, t.breached) for k, t in got.items()} == _expected(
        [f for f, _ in facts], family_of, NOW, months
    )


def test_month_boundaries_at_helsinki_midnight_and_in_dst_months(
    app: Any, client: Any, world: PublicWorld
) -> None:
    """A stop at 23:59:59 on the month's last day counts in that month, one at 00:00 in the
    next; March and October are the DST months; a running clock past its due instant counts
    breached at max(due, evaluated), a cancelled one and a supplier leg nowhere."""
    w = world
    tid = w.ticket(client, "expert", local(2025, 1, 1))
    w.clock(tid, "response", "met", cycle=1, stopped=local(2026, 3, 31, 23, 59, 59))
    w.clock(tid, "response", "met", cycle=2, stopped=local(2026, 4, 1, 0, 0))
    w.clock(tid, "response", "breached", cycle=3, stopped=local(2026, 10, 31, 23, 59, 59))
    w.clock(tid, "response", "breached", cycle=4, breach=local(2026, 11, 1, 0, 0))
    # Running, due in October but last evaluated on 1 Nov 00:00 local: breached in November.
    w.clock(
        tid,
        "resolution",
        "running",
        cycle=5,
        due=local(2026, 10, 31, 12, 0),
        evaluated=local(2026, 11, 1, 0, 0),
    )
    # Running, due 29 March (the DST switch day), evaluated before: breached in March.
    w.clock(
        tid,
        "resolution",
        "running",
        cycle=6,
        due=local(2026, 3, 29, 4, 0),
        evaluated=local(2026, 3, 1),
    )
    w.clock(tid, "resolution", "cancelled", cycle=7, stopped=local(2026, 3, 15))
    w.clock(tid, "resolution", "met", cycle=8, leg=3, stopped=local(2026, 3, 15))
    w.clock(tid, "resolution", "paused", cycle=9, due=local(2026, 3, 2))
    now = datetime(2027, 1, 15, tzinfo=UTC)
    # Due exactly now: not yet past it, so not breached (yet).
    w.clock(tid, "response", "running", cycle=10, due=now, evaluated=local(2027, 1, 2))
    w.sess.commit()
    with app.app_context():
        got = queries.clock_tallies(db.session(), public_months(now), now)
    assert {k: (t.met, t.breached) for k, t in got.items()} == {
        ("expert", "2026-03", "response"): (1, 0),
        ("expert", "2026-04", "response"): (1, 0),
        ("expert", "2026-10", "response"): (0, 1),
        ("expert", "2026-11", "response"): (0, 1),
        ("expert", "2026-11", "resolution"): (0, 1),
        ("expert", "2026-03", "resolution"): (0, 1),
    }


def test_volumes_count_tickets_by_family_and_helsinki_month(
    app: Any, client: Any, world: PublicWorld
) -> None:
    w = world
    w.ticket(client, "application", local(2026, 5, 31, 23, 59, 59))
    w.ticket(client, "application", local(2026, 6, 1, 0, 0))
    w.ticket(client, "infrastructure", local(2026, 6, 30, 12, 0))
    w.ticket(client, "infrastructure", local(2024, 1, 1))  # before the window
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with app.app_context():
        got = queries.received(db.session(), public_months(now))
    assert got == {
        ("application", "2026-05"): 1,
        ("application", "2026-06"): 1,
        ("infrastructure", "2026-06"): 1,
    }
