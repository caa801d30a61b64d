"""How long does one SLA sweep take? Run: python bench/bench_sweep.py

The sweep runs every minute and must cost what is *due*, not what is *open*: it selects
`next_alert_at <= now` through a partial index (`sla.alert_schedule`), and evaluates nothing
else. This bench seeds running clocks in bulk (core inserts of tickets and clocks with their
minimal columns, `next_alert_at` set as `sla.tracking` sets it) and times
`sla.jobs.sweep(sess, now)`:

- nothing due, with 10 000 and with 100 000 running clocks;
- 10, 100 and 1 000 of them past their due instant (breaches recorded, each with its ticket
  event and 3 outbox e-mails: assignee, group, account manager): the cost per breach;
- "history": 100 000 running clocks plus 100 000 stopped clocks breached and recorded long ago
  (state 'breached' stays on the row), nothing due: the former sweep re-checked them each tick.

It also prints the plan (EXPLAIN) of the sweep's select on each database.

Each timed sweep runs in a transaction that is rolled back, so every run sees the same data;
the figure is the median of --runs runs after one warm-up run. PostgreSQL: a database it
creates (dropped first if it exists; --pg-url, default benchsweep on 127.0.0.1), migrated with
`servicedesk.migrate.upgrade`. SQLite: a fresh file in a temporary directory.

    python bench/bench_sweep.py                      # both databases
    python bench/bench_sweep.py --only sqlite --runs 3
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, func, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

import servicedesk.models  # noqa: F401  (every mapper, so relationships resolve)
from catalog.calendars.models import BusinessCalendar
from catalog.groups.models import ResolverGroup
from catalog.organisations.models import (
    Organisation,
    organisation_account_managers,
)
from servicedesk import migrate
from servicedesk.config import normalise_database_url
from servicedesk.db import frozen_now, make_engine
from servicedesk.tickets.models import Ticket
from servicedesk.users.models import User
from sla.jobs import sweep
from sla.models import SlaAlert, SlaClock

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # Wed 12:00 in Helsinki
SIZES = (10_000, 100_000)
DUE = (10, 100, 1_000)
HISTORY = 100_000
CHUNK = 5_000
OFFICE = {
    "timezone": "Europe/Helsinki",
    "hours": {d: [["08:00", "16:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": "FI",
}


def seed_people(engine: Engine) -> dict[str, int]:
    with Session(engine) as sess, sess.begin():
        calendar = sess.scalar(
            insert(BusinessCalendar)
            .values(name="office", spec=OFFICE)
            .returning(BusinessCalendar.id)
        )
        org = sess.scalar(
            insert(Organisation)
            .values(business_id="0000000-0", name="Benchikunta", kind="municipality")
            .returning(Organisation.id)
        )
        ids = {}
        for role, extra in (
            ("end_user", {"organisation_id": org}),
            ("agent", {"provider": "ICT"}),
            ("account_manager", {}),
        ):
            ids[role] = sess.scalar(
                insert(User)
                .values(email=f"{role}@bench.example", name=role, role=role, **extra)
                .returning(User.id)
            )
        group = sess.scalar(
            insert(ResolverGroup)
            .values(code="BENCH", name="Bench", provider="ICT", email="group@bench.example")
            .returning(ResolverGroup.id)
        )
        sess.execute(
            insert(organisation_account_managers).values(
                organisation_id=org, user_id=ids["account_manager"]
            )
        )
    return {"calendar": calendar, "org": org, "group": group, **ids}


def add_running_clocks(engine: Engine, ids: dict[str, int], first: int, count: int) -> None:
    """Tickets first..first+count-1, each with a running resolution clock due in the future."""
    for start in range(first, first + count, CHUNK):
        block = range(start, min(start + CHUNK, first + count))
        tickets = []
        clocks = []
        for i in block:
            received = NOW - timedelta(minutes=i % 600)
            # Warnings 1 minute to ~10 days ahead: never due at NOW.
            warning = NOW + timedelta(minutes=1 + (i * 7) % 14_000)
            tickets.append(
                {
                    "id": i,
                    "number": f"B-{i:07d}",
                    "type": "incident",
                    "title": "t",
                    "description": "d",
                    "status": "in_progress",
                    "impact": "medium",
                    "urgency": "medium",
                    "priority": "P3",
                    "provider": "ICT",
                    "organisation_id": ids["org"],
                    "requester_id": ids["end_user"],
                    "group_id": ids["group"],
                    "assignee_id": ids["agent"],
                    "received_at": received,
                    "created_at": received,
                    "updated_at": received,
                    "sla_due_at": warning + timedelta(hours=2),
                }
            )
            clocks.append(
                {
                    "id": i,
                    "ticket_id": i,
                    "kind": "resolution",
                    "cycle": 0,
                    "leg": 0,
                    "calendar_id": ids["calendar"],
                    "target_minutes": 480,
                    "warning_percent": 80,
                    "events": [{"type": "start", "at": received.isoformat()}],
                    "state": "running",
                    "elapsed_seconds": 0,
                    "warning_at": warning,
                    "due_at": warning + timedelta(hours=2),
                    "next_alert_at": warning,
                    "evaluated_at": received,
                }
            )
        with Session(engine) as sess, sess.begin():
            sess.execute(insert(Ticket), tickets)
            sess.execute(insert(SlaClock), clocks)


def add_history(engine: Engine, first: int, count: int) -> None:
    """Turn clocks first.. into stopped clocks breached long ago, their breach recorded."""
    long_ago = NOW - timedelta(days=200)
    last = first + count - 1
    with Session(engine) as sess, sess.begin():
        sess.execute(
            update(SlaClock)
            .where(SlaClock.id.between(first, last))
            .values(
                state="breached",
                due_at=long_ago,
                warning_at=long_ago - timedelta(hours=2),
                breach_at=long_ago,
                stopped_at=long_ago + timedelta(days=1),
                recorded_alerts=3,
                next_alert_at=None,
            )
        )
        sess.execute(
            insert(SlaAlert),
            [
                {"clock_id": i, "kind": kind, "at": long_ago, "recorded_at": long_ago}
                for i in range(first, last + 1)
                for kind in ("warning", "breach")
            ],
        )


def make_due(first: int, count: int) -> Callable[[Session], None]:
    def prepare(sess: Session) -> None:
        sess.execute(
            update(SlaClock)
            .where(SlaClock.id.between(first, first + count - 1))
            .values(
                warning_at=NOW - timedelta(hours=3),
                due_at=NOW - timedelta(hours=1),
                recorded_alerts=1,
                next_alert_at=NOW - timedelta(hours=1),
            )
        )

    return prepare


def time_sweep(
    engine: Engine, runs: int, prepare: Callable[[Session], None] | None = None
) -> tuple[float, Any]:
    """Median milliseconds of `sweep(sess, NOW)` over `runs` runs (after a warm-up)."""
    times = []
    result = None
    for n in range(runs + 1):
        with frozen_now(NOW), Session(engine) as sess:
            if prepare is not None:
                prepare(sess)
                sess.flush()
            started = time.perf_counter()
            result = sweep(sess, NOW)
            elapsed = (time.perf_counter() - started) * 1000
            sess.rollback()
        if n:
            times.append(elapsed)
    return statistics.median(times), result


def explain(engine: Engine) -> str:
    """The plan of the sweep's select (`sla.jobs.due_clocks`), as the database prints it."""
    from sla.jobs import _SWEPT, SWEEP_BATCH

    stmt = (
        select(*_SWEPT)
        .where(SlaClock.next_alert_at <= NOW)
        .order_by(SlaClock.next_alert_at, SlaClock.id)
        .limit(SWEEP_BATCH)
    )
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
            sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
            rows = conn.execute(text("EXPLAIN (ANALYZE, COSTS OFF) " + sql)).scalars()
            return "\n".join(rows)
        sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
        rows = conn.execute(text("EXPLAIN QUERY PLAN " + sql)).all()
        return "\n".join(str(r[-1]) for r in rows)


def analyze(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def fresh_postgres(url: str) -> str:
    import psycopg

    target = make_url(normalise_database_url(url))
    name = target.database
    admin = target.set(database="postgres").set(drivername="postgresql")
    dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return target.render_as_string(hide_password=False)


def bench(label: str, url: str, runs: int) -> list[tuple[str, ...]]:
    print(f"{label}: migrating and seeding ...", file=sys.stderr, flush=True)
    migrate.upgrade(url)
    engine = make_engine(url)
    rows = []
    ids = seed_people(engine)
    seeded = 0
    for size in SIZES:
        started = time.perf_counter()
        add_running_clocks(engine, ids, seeded + 1, size - seeded)
        seeded = size
        analyze(engine)
        print(f"  {size} clocks seeded in {time.perf_counter() - started:.1f} s",
              file=sys.stderr, flush=True)
        for due in (0, *DUE):
            ms, result = time_sweep(engine, runs, make_due(1, due) if due else None)
            per = f"{ms / due:,.2f}" if due else ""
            rows.append((label, f"{size:,}", f"{due:,}", f"{ms:,.1f}", per,
                         str(result.warnings), str(result.breaches)))
    running = seeded
    add_running_clocks(engine, ids, seeded + 1, HISTORY)
    add_history(engine, seeded + 1, HISTORY)
    analyze(engine)
    ms, result = time_sweep(engine, runs)
    rows.append((label, f"{running:,} + {HISTORY:,} old breached", "0", f"{ms:,.1f}", "",
                 str(result.warnings), str(result.breaches)))
    with Session(engine) as sess:
        assert sess.scalar(select(func.count()).select_from(SlaAlert)) == 2 * HISTORY
    print(f"{label}: the sweep's select\n{explain(engine)}\n", flush=True)
    engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/benchsweep")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=("postgresql", "sqlite"))
    args = parser.parse_args()
    rows: list[tuple[str, ...]] = []
    if args.only in (None, "postgresql"):
        rows += bench("PostgreSQL", fresh_postgres(args.pg_url), args.runs)
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            rows += bench("SQLite", f"sqlite:///{tmp}/benchsweep.sqlite3", args.runs)
    head = ("database", "running clocks", "due", "sweep ms", "ms per breach", "warnings",
            "breaches")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    print(f"sla.jobs.sweep at {NOW:%Y-%m-%dT%H:%MZ}, median of {args.runs} runs (rolled back); "
          f"Python {platform.python_version()} on {platform.machine()}")
    for row in [head, tuple("-" * w for w in widths), *rows]:
        print("| " + " | ".join(c.rjust(w) if i else c.ljust(w)
                                for i, (c, w) in enumerate(zip(row, widths, strict=True))) + " |")


if __name__ == "__main__":
    main()
