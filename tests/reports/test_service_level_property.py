"""Through the API, on whichever database the suite runs on: random clock histories stored as
the SLA engine caches them, every month's figures against SLA.md read by hand (the oracle of
tests/unit/reports/test_compliance_engine_property.py), including the DST months."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from servicedesk import db
from servicedesk.tickets.models import Ticket
from sla.models import SlaClock
from tests.reports.world import World, iso
from tests.unit.reports.test_compliance_engine_property import (
    NOW,
    cached,
    history,
    month_bounds,
    oracle,
)


def local_month(year: int, month: int) -> tuple[datetime, datetime]:
    """[1st 00:00, next 1st 00:00) Helsinki, in UTC (written out, not the report's parser)."""
    ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
    hki = ZoneInfo("Europe/Helsinki")
    return (
        datetime(year, month, 1, tzinfo=hki).astimezone(UTC),
        datetime(ny, nm, 1, tzinfo=hki).astimezone(UTC),
    )


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    clocks=st.lists(st.tuples(history(), st.booleans()), min_size=1, max_size=12),
    month=st.sampled_from([3, 10, 11]),
)
def test_api_figures_match_sla_md(
    client: Any, make: Any, world: World, clocks: list, month: int
) -> None:
    w, sess = world, world.sess
    if not hasattr(w, "tids"):
        # Received before every generated clock starts (no clock starts before its ticket).
        w.tids = [w.ticket(client, datetime(2025, 1, 1, tzinfo=UTC)) for _ in range(2)]
        w.admin = make.auth(make.user("admin"))
    sess.execute(delete(SlaClock))
    truths: dict[tuple[int, int], list[tuple[str, Any] | None]] = {}
    for i, ((target, steps), first_line) in enumerate(clocks):
        fact = cached(i, target, steps)
        promise = w.p1 if first_line else w.p3
        sess.add(
            SlaClock(
                ticket_id=w.tids[i % 2],
                organisation_id=sess.get(Ticket, w.tids[i % 2]).organisation_id,
                kind="update",
                cycle=i + 1,
                leg=0,
                promise_id=promise.id,
                calendar_id=w.cal.id,
                target_minutes=target,
                events=[
                    {"type": k, "at": iso(a), "target_minutes": None, "why": "t"} for k, a in steps
                ],
                state=fact.state,
                due_at=fact.due_at,
                breach_at=fact.breach_at,
                stopped_at=fact.stopped_at,
                evaluated_at=fact.evaluated_at,
            )
        )
        truths.setdefault(promise.id, []).append(oracle(target, steps))
    sess.commit()
    with db.frozen_now(NOW):
        resp = client.get(
            "/api/v1/reports/service-level",
            query_string={"organisation_id": w.org.id, "period": f"2026-{month:02d}"},
            headers=w.admin,
        )
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()

    start, end = month_bounds(month)
    want_lines = {}
    for pid, ts in truths.items():
        inside = [t[0] for t in ts if t is not None and start <= t[1] < end]
        if inside:
            want_lines[pid] = (inside.count("met"), inside.count("breached"))
    got_lines = {c["line"]["promise_id"]: (c["met"], c["breached"]) for c in body["lines"]}
    assert got_lines == want_lines
    breached_at = sorted(
        iso(t[1])
        for ts in truths.values()
        for t in ts
        if t is not None and t[0] == "breached" and start <= t[1] < end
    )
    assert sorted(b["counted_at"] for b in body["breaches"]) == breached_at
    assert body["breach_count"] == len(breached_at)
    # In (counted instant, clock) order, as the pages cut it.
    listed = [(b["counted_at"], b["clock_id"]) for b in body["breaches"]]
    assert listed == sorted(listed)

    every = [t for ts in truths.values() for t in ts if t is not None]
    for m in body["trend"]:
        s, e = local_month(int(m["month"][:4]), int(m["month"][5:]))
        inside = [t[0] for t in every if s <= t[1] < e]
        assert (m["met"], m["breached"]) == (inside.count("met"), inside.count("breached"))
