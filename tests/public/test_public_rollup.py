"""The stored public figures (`servicedesk.public.rollup`): equal to the live ones, read only
while fresh and for the current window, refreshed by the scheduler's job, replaced (never
duplicated) by each refresh, and suppressed on the way out like the live ones."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from servicedesk import db
from servicedesk.public import rollup
from servicedesk.public.models import PublicFigures
from servicedesk.public.report import build, public_months
from servicedesk.tickets.models import Ticket
from sla.scheduler import JOBS, run_job
from tests.conftest import on_postgres
from tests.public.test_public_aggregate_property import FAMILIES, _store, fact_of
from tests.public.world import PublicWorld, iso, local
from tests.unit.reports.test_compliance_engine_property import BOUNDARIES, NOW, history

URL = "/api/v1/public/service-level"
#: A refresh instant: 10 Dec 2026 14:00 Helsinki.
REFRESHED = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
SPEC = next(s for s in JOBS if s.id == "public-figures")


def refresh(app: Any, at: datetime) -> int:
    """One refresh committed, as the job's runner would."""
    with db.unit_of_work(app) as sess:
        return rollup.refresh(sess, at)


def answer(client: Any, at: datetime, **query: Any) -> dict[str, Any]:
    with db.frozen_now(at):
        resp = client.get(URL, query_string=query)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def november_expert(body: dict[str, Any]) -> dict[str, Any]:
    (found,) = [f for f in body["families"] if f["family"] == "expert"]
    (month,) = [m for m in found["months"] if m["month"] == "2026-11"]
    return month


def five_met_in_november(client: Any, w: PublicWorld) -> int:
    """An expert ticket with five met response clocks in November 2026: a shown cell."""
    tid = w.ticket(client, "expert", local(2026, 11, 2))
    for i in range(5):
        w.clock(tid, "response", "met", cycle=i + 1, stopped=local(2026, 11, 3, 10, i))
    return tid


# --- equal to the live figures ---------------------------------------------------------------


def _tickets(w: PublicWorld, client: Any) -> dict[int, str]:
    """Two tickets per family, made once per test (hypothesis reuses the world)."""
    if not hasattr(w, "family_of"):
        w.family_of = {
            w.ticket(client, family, datetime(2024, 6, 1, tzinfo=UTC)): family
            for family in FAMILIES
            for _ in range(2)
        }
    return w.family_of


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    clocks=st.lists(
        st.tuples(
            history(),
            st.integers(0, 5),  # which ticket
            st.sampled_from(("response", "resolution")),
            st.sampled_from((0, 0, 0, 7)),  # now and then a supplier leg: never counted
        ),
        min_size=1,
        max_size=20,
    ),
    received=st.lists(
        st.tuples(st.sampled_from(BOUNDARIES), st.integers(-3 * 86400, 3 * 86400)),
        min_size=6,
        max_size=6,
    ),
    full_months=st.sampled_from((1, 6, 12)),
)
def test_the_stored_figures_equal_the_live_ones(
    app: Any,
    client: Any,
    world: PublicWorld,
    clocks: list,
    received: list,
    full_months: int,
) -> None:
    family_of = _tickets(world, client)
    tickets = sorted(family_of)
    for tid, (boundary, seconds) in zip(tickets, received, strict=True):
        world.sess.execute(
            update(Ticket)
            .where(Ticket.id == tid)
            .values(received_at=boundary + timedelta(seconds=seconds))
        )
    facts = []
    for i, ((target, steps), which, kind, leg) in enumerate(clocks):
        facts.append((fact_of(i, tickets[which], kind, leg, target, steps), leg))
    _store(world, facts)
    refresh(app, NOW)
    with app.app_context():
        sess = db.session()
        months = public_months(NOW, full_months)
        kept = rollup.stored(sess, months, NOW)
        assert kept is not None, "fresh stored figures of the window are used"
        counted = rollup.live(sess, months, NOW)
        assert (kept.tallies, kept.received) == (counted.tallies, counted.received)
        assert build(sess, NOW, full_months) == build(sess, NOW, full_months, use_stored=False)


# --- fresh, stale, absent ----------------------------------------------------------------------


def test_fresh_stored_figures_are_shown_and_a_later_change_only_once_they_are_stale(
    client: Any, world: PublicWorld
) -> None:
    w = world
    tid = five_met_in_november(client, w)
    refresh(client.application, REFRESHED)
    w.clock(tid, "response", "breached", cycle=9, stopped=local(2026, 11, 20))

    fresh = answer(client, REFRESHED + rollup.MAX_AGE - timedelta(seconds=1))
    assert november_expert(fresh)["response"]["clocks"] == 5  # the change is not seen yet
    assert fresh["figures_as_of"] == iso(REFRESHED)

    stale_at = REFRESHED + rollup.MAX_AGE + timedelta(seconds=1)
    stale = answer(client, stale_at)
    assert november_expert(stale)["response"]["clocks"] == 6  # counted live
    assert november_expert(stale)["response"]["breached"] == 1
    assert stale["figures_as_of"] == iso(stale_at) == stale["generated_at"]


def test_with_nothing_stored_the_figures_are_counted_live(client: Any, world: PublicWorld) -> None:
    five_met_in_november(client, world)
    body = answer(client, REFRESHED)
    assert november_expert(body)["response"]["clocks"] == 5
    assert body["figures_as_of"] == iso(REFRESHED)


def test_figures_stored_in_the_previous_month_are_not_shown_in_the_next(
    client: Any, world: PublicWorld
) -> None:
    """Five minutes apart, but the window moved on at Helsinki midnight: counted live."""
    w = world
    tid = five_met_in_november(client, w)
    before_midnight = local(2026, 11, 30, 23, 58)
    refresh(client.application, before_midnight)
    w.clock(tid, "response", "met", cycle=9, stopped=local(2026, 11, 30, 23, 59))
    body = answer(client, local(2026, 12, 1, 0, 3))
    assert body["months"][-1] == "2026-12"
    assert november_expert(body)["response"]["clocks"] == 6
    # The same minute in November still reads the stored ones.
    body = answer(client, local(2026, 11, 30, 23, 59, 30))
    assert november_expert(body)["response"]["clocks"] == 5


def test_a_window_longer_than_the_stored_one_is_counted_live(
    client: Any, world: PublicWorld
) -> None:
    w = world
    tid = five_met_in_november(client, w)
    refresh(client.application, REFRESHED)
    w.clock(tid, "response", "met", cycle=9, stopped=local(2026, 11, 20))
    assert november_expert(answer(client, REFRESHED, months=12))["response"]["clocks"] == 5
    assert november_expert(answer(client, REFRESHED, months=13))["response"]["clocks"] == 6


# --- the job, and what a refresh stores --------------------------------------------------------


def stored_rows(app: Any) -> list[PublicFigures]:
    with db.unit_of_work(app) as sess:
        rows = list(sess.scalars(select(PublicFigures).order_by(PublicFigures.id)))
        sess.expunge_all()
        return rows


def test_the_scheduler_runs_the_refresh_every_five_minutes_and_commits_it(
    client: Any, world: PublicWorld
) -> None:
    assert SPEC.trigger == {"trigger": "interval", "seconds": 300}
    assert rollup.MAX_AGE.total_seconds() == 15 * 60
    five_met_in_november(client, world)
    with db.frozen_now(REFRESHED):
        assert run_job(client.application, SPEC) == "ran"
    rows = stored_rows(client.application)
    assert {r.computed_at for r in rows} == {REFRESHED}
    (nov,) = [r for r in rows if (r.family, r.month) == ("expert", "2026-11")]
    assert (nov.response_met, nov.response_breached, nov.received) == (5, 0, 1)
    body = answer(client, REFRESHED + timedelta(minutes=4))
    assert body["figures_as_of"] == iso(REFRESHED)
    assert november_expert(body)["response"]["met"] == 5


def test_a_second_refresh_replaces_the_rows_and_never_duplicates_them(
    client: Any, world: PublicWorld
) -> None:
    w = world
    tid = five_met_in_november(client, w)
    first = refresh(client.application, REFRESHED)
    # 13 months x the three catalogue families, zeros included.
    assert first == 13 * 3 == len(stored_rows(client.application))
    # A ticket without a service adds its family; the November clocks change.
    w.clock(tid, "response", "breached", cycle=9, stopped=local(2026, 11, 20))
    with db.unit_of_work(client.application) as sess:
        sess.execute(update(Ticket).where(Ticket.id == tid).values(service_id=None))
    later = REFRESHED + timedelta(minutes=5)
    assert refresh(client.application, later) == 13 * 4
    rows = stored_rows(client.application)
    assert len(rows) == 13 * 4
    assert len({(r.month, r.family) for r in rows}) == len(rows)
    assert {r.computed_at for r in rows} == {later}
    (nov,) = [r for r in rows if (r.family, r.month) == ("", "2026-11")]
    assert (nov.response_met, nov.response_breached) == (5, 1)
    with db.unit_of_work(client.application) as sess:
        assert sess.scalar(select(func.count()).select_from(PublicFigures)) == 13 * 4


def test_stored_figures_are_suppressed_under_five_like_the_live_ones(
    client: Any, world: PublicWorld
) -> None:
    w = world
    few = w.ticket(client, "application", local(2026, 11, 2))
    for i in range(4):
        w.clock(few, "resolution", "met", cycle=i + 1, stopped=local(2026, 11, 3, 10, i))
    for _ in range(4):
        w.ticket(client, "infrastructure", local(2026, 10, 5))
    tid = five_met_in_november(client, w)
    for _ in range(4):  # the fifth expert ticket of November
        w.ticket(client, "expert", local(2026, 11, 6))
    refresh(client.application, REFRESHED)
    w.clock(tid, "resolution", "met", cycle=20, stopped=local(2026, 11, 3))  # not seen yet
    body = answer(client, REFRESHED + timedelta(minutes=1))
    assert body["figures_as_of"] == iso(REFRESHED)  # the stored figures, not live ones
    families = {f["family"]: {m["month"]: m for m in f["months"]} for f in body["families"]}
    application = families["application"]["2026-11"]
    assert application["resolution"] == {
        "suppressed": True,
        "met": None,
        "breached": None,
        "clocks": None,
        "compliance_percent": None,
    }
    assert application["received"] is None  # one ticket
    assert families["infrastructure"]["2026-10"]["received"] is None  # four tickets
    expert = families["expert"]["2026-11"]
    assert expert["received"] == 5
    assert expert["response"]["suppressed"] is False and expert["response"]["clocks"] == 5
    assert expert["resolution"]["suppressed"] is True  # the sixth clock came after


def test_the_page_says_when_the_stored_figures_were_counted(
    client: Any, world: PublicWorld
) -> None:
    w = world
    tid = five_met_in_november(client, w)
    refresh(client.application, REFRESHED)  # 14.00 Helsinki time
    w.clock(tid, "response", "met", cycle=9, stopped=local(2026, 11, 20))
    with db.frozen_now(REFRESHED + timedelta(minutes=7)):
        text = client.get("/palvelutaso").get_data(as_text=True)
    assert "päivitetty 10.12.2026 14.00." in text
    assert "5 / 5 ajallaan" in text and "6 / 6 ajallaan" not in text


def test_two_schedulers_refreshing_at_once_leave_one_set_of_rows(
    client: Any, world: PublicWorld, monkeypatch: Any
) -> None:
    """The second starts while the first is inside its refresh: on PostgreSQL it skips its
    turn (the job's advisory lock); on SQLite it waits for the write lock and then replaces
    the rows. Either way nothing fails and no row is doubled."""
    five_met_in_november(client, world)
    inside, real = threading.Event(), rollup.refresh
    outcomes: list[str] = []

    def slow_refresh(sess: Any, now: datetime) -> int:
        rows = real(sess, now)
        inside.set()
        time.sleep(0.5)
        return rows

    monkeypatch.setattr(rollup, "refresh", slow_refresh)
    app = client.application
    first = threading.Thread(target=lambda: outcomes.append(run_job(app, SPEC)))
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=lambda: outcomes.append(run_job(app, SPEC)))
    second.start()
    first.join(10)
    second.join(10)
    if on_postgres():
        assert outcomes == ["skipped", "ran"]
    else:
        assert outcomes == ["ran", "ran"]
    rows = stored_rows(app)
    assert len(rows) == len({(r.month, r.family) for r in rows}) == 13 * 3
