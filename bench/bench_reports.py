"""The service-level report at scale. Run: python bench/bench_reports.py [--explain]

On a generated PostgreSQL database (`servicedesk bench-data`, see bench/README.md), in this
process through the Flask test client (the API's own path: token lookup, access rule, the
report's reads, the JSON), p50/p95 of --runs requests after a warm-up:

- `GET /api/v1/reports/service-level` of the organisation with the most tickets, for the
  last full month, as the demo's admin (bearer token);
- a hand-written SQL aggregate over the same rows: one statement counting met and breached
  per promise line and clock kind for that organisation and month, with SLA.md's rule (the
  report's `compliance.counted` written in SQL); and one that adds the report's 12-month
  trend (met, breached per month) and the tickets received per month to it, since the
  report counts those rows too;
- the public page `GET /palvelutaso` and `GET /api/v1/public/service-level`, when the app
  has those routes (skipped with a line otherwise).

Targets (issue 12): the report in <= 1 s and within 3x of the hand-written aggregate. The
script also checks that the report's line figures equal the SQL's, prints the data set's
counts and the SQL statements per report; --explain prints `EXPLAIN ANALYZE` of every
statement of one report request and of the hand-written SQL.

    python bench/bench_reports.py --database-url postgresql://postgres@127.0.0.1:5432/bench1m
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench1m"
ADMIN = "admin@kpk.example"
PUBLIC = ("/palvelutaso", "/api/v1/public/service-level")

#: SLA.md's counting rule (`reports.compliance.counted`) over one organisation's customer
#: clocks, written by hand as three disjoint parts (a clock stopped, met or breached, counts
#: at its stop; a breached one not stopped at its breach; one cached as running at
#: max(due, evaluated) once that has passed): the outcome and the instant that places it.
_FACTS = """
    SELECT c.promise_id, c.kind,
      CASE WHEN c.state = 'met' THEN 'met' ELSE 'breached' END AS outcome, c.stopped_at AS at
    FROM sla_clocks c
    WHERE c.organisation_id = :org AND c.leg = 0 AND c.kind IN ('response', 'resolution', 'update')
      AND c.stopped_at >= :start AND c.stopped_at < :end
      AND c.state IN ('met', 'breached') AND (c.state = 'breached' OR c.stopped_at <= :now)
    UNION ALL
    SELECT c.promise_id, c.kind, 'breached', c.breach_at
    FROM sla_clocks c
    WHERE c.organisation_id = :org AND c.leg = 0 AND c.kind IN ('response', 'resolution', 'update')
      AND c.state = 'breached' AND c.stopped_at IS NULL
      AND c.breach_at >= :start AND c.breach_at < :end
    UNION ALL
    SELECT c.promise_id, c.kind, 'breached', GREATEST(c.due_at, c.evaluated_at)
    FROM sla_clocks c
    WHERE c.organisation_id = :org AND c.leg = 0 AND c.kind IN ('response', 'resolution', 'update')
      AND c.state = 'running' AND c.due_at < :end
      AND GREATEST(c.due_at, c.evaluated_at) >= :start
      AND GREATEST(c.due_at, c.evaluated_at) < :end
      AND GREATEST(c.due_at, c.evaluated_at) < :now
"""
#: The month: met and breached per promise line and kind.
HAND_SQL = f"""
WITH f AS ({_FACTS})
SELECT promise_id, kind,
  count(*) FILTER (WHERE outcome = 'met') AS met,
  count(*) FILTER (WHERE outcome = 'breached') AS breached
FROM f
WHERE outcome IS NOT NULL AND at >= :start AND at < :end
GROUP BY promise_id, kind
ORDER BY promise_id, kind
"""
#: The month's lines, the 12 months' trend and the tickets received in them (the rows the
#: report counts) in one statement: :start/:end here are the trend's, the month is
#: [:mstart, :end).
HAND_SQL_TREND = f"""
WITH f AS ({_FACTS}),
counted AS (
  SELECT promise_id, kind, outcome, at,
    date_trunc('month', at AT TIME ZONE 'Europe/Helsinki') AS month
  FROM f WHERE outcome IS NOT NULL AND at >= :start AND at < :end
)
SELECT 'line' AS what, promise_id, kind, NULL::timestamp AS month,
  count(*) FILTER (WHERE outcome = 'met'), count(*) FILTER (WHERE outcome = 'breached')
FROM counted WHERE at >= :mstart GROUP BY promise_id, kind
UNION ALL
SELECT 'trend', NULL, NULL, month,
  count(*) FILTER (WHERE outcome = 'met'), count(*) FILTER (WHERE outcome = 'breached')
FROM counted GROUP BY month
UNION ALL
SELECT 'received', NULL, NULL, date_trunc('month', received_at AT TIME ZONE 'Europe/Helsinki'),
  count(*), NULL
FROM tickets WHERE organisation_id = :org AND received_at >= :start AND received_at < :end
GROUP BY 4
ORDER BY 1, 2, 3, 4
"""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(call: Callable[[], Any], runs: int) -> list[float]:
    call()  # warm-up
    found = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        found.append((time.perf_counter() - start) * 1000)
    return found


def last_full_month(now: datetime) -> str:
    from servicedesk.reports.periods import HELSINKI

    first = now.astimezone(HELSINKI).date().replace(day=1)
    prev = first - timedelta(days=1)
    return f"{prev.year:04d}-{prev.month:02d}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_URL)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--month", help="YYYY-MM; default: the last full month")
    ap.add_argument("--organisation-id", type=int, help="default: the one with most tickets")
    ap.add_argument("--explain", action="store_true")
    ap.add_argument("--no-counts", action="store_true", help="skip the data set's counts")
    args = ap.parse_args()

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("SERVICEDESK_MODE", "local")
    from sqlalchemy import event, select, text

    from servicedesk import db
    from servicedesk.app import create_app
    from servicedesk.auth import issue_token
    from servicedesk.reports import periods
    from servicedesk.users.models import User

    app = create_app()
    engine = db.engine_of(app)
    now = datetime.now(UTC)
    month = args.month or last_full_month(now)
    period = periods.parse(month)
    trend = periods.months_ending(period.last)
    with db.unit_of_work(app) as sess:
        admin = sess.scalar(select(User).where(User.email == ADMIN))
        _, token = issue_token(sess, admin)
        org = (
            args.organisation_id
            or sess.execute(
                text(
                    "SELECT organisation_id FROM tickets GROUP BY organisation_id"
                    " ORDER BY count(*) DESC LIMIT 1"
                )
            ).scalar_one()
        )
        org_name = sess.execute(
            text("SELECT name FROM organisations WHERE id = :o"), {"o": org}
        ).scalar_one()

    with engine.connect() as conn:
        print(
            f"# {platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"{conn.execute(text('SELECT version()')).scalar_one().split(' on ')[0]}; "
            f"load average {os.getloadavg()[0]:.1f}; {now:%Y-%m-%d %H:%M} UTC"
        )
        print(f"# organisation {org} ({org_name}), month {month}")
        if not args.no_counts:
            counts(conn, org, period, trend[0].start)

    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    path = f"/api/v1/reports/service-level?organisation_id={org}&period={month}"

    def report() -> Any:
        resp = client.get(path, headers=auth)
        assert resp.status_code == 200, resp.get_json()
        return resp

    month_params = {"org": org, "start": period.start, "end": period.end, "now": now}
    trend_params = dict(month_params, start=trend[0].start, mstart=period.start, end=period.end)

    def hand(sql: str, params: dict[str, Any]) -> Callable[[], list[Any]]:
        def run() -> list[Any]:
            with engine.connect() as conn:
                return conn.execute(text(sql), params).all()

        return run

    # The same figures, or the comparison means nothing.
    body = report().get_json()
    got = sorted(
        (c["line"]["promise_id"], c["kind"], c["met"], c["breached"]) for c in body["lines"]
    )
    want = sorted(tuple(r) for r in hand(HAND_SQL, month_params)())
    assert got == want, (got, want)
    trend_rows = [r for r in hand(HAND_SQL_TREND, trend_params)() if r[0] == "trend"]
    want_trend = {r[3].strftime("%Y-%m"): (r[4], r[5]) for r in trend_rows}
    got_trend = {
        m["month"]: (m["met"], m["breached"]) for m in body["trend"] if m["met"] + m["breached"]
    }
    assert got_trend == want_trend, (got_trend, want_trend)
    counted = sum(c["met"] + c["breached"] for c in body["lines"])
    print(
        f"# the report's month: {counted} clocks counted (met + breached) in "
        f"{len(body['lines'])} lines, "
        f"{body['breach_count']} breaches, {body['received']} received, "
        f"{body['satisfaction']['rated']} rated"
    )

    seen: list[str] = []

    def listener(*a: Any) -> None:
        seen.append(a[2])

    event.listen(engine, "before_cursor_execute", listener)
    report()
    event.remove(engine, "before_cursor_execute", listener)
    print(f"# SQL statements per report request: {len(seen)}")

    rows: list[tuple[str, list[float]]] = [
        ("report, one organisation, one month (HTTP, JSON)", timed(report, args.runs)),
        ("hand-written SQL: the month's lines", timed(hand(HAND_SQL, month_params), args.runs)),
        (
            "hand-written SQL: the month's lines + 12-month trend + received",
            timed(hand(HAND_SQL_TREND, trend_params), args.runs),
        ),
    ]
    routes = {r.rule for r in app.url_map.iter_rules()}
    for public in PUBLIC:
        if public not in routes:
            print(f"# skipped {public}: the app has no such route (yet)")
            continue

        def page(p: str = public) -> Any:
            resp = client.get(p)
            assert resp.status_code == 200, resp.status_code
            return resp

        rows.append((f"public: GET {public}", timed(page, args.runs)))

    base = statistics.median(rows[1][1])
    print(f"\n{args.runs} runs each after a warm-up, ms\n")
    print("| request | p50 | p95 | p50 / hand-written month SQL |")
    print("|---|---|---|---|")
    for label, found in rows:
        p50 = statistics.median(found)
        print(f"| {label} | {p50:.1f} | {percentile(found, 95):.1f} | {p50 / base:.2f} |")

    if args.explain:
        explain(engine, client, path, auth, month_params, trend_params)


_JOINED = "FROM sla_clocks c JOIN tickets t ON t.id = c.ticket_id WHERE t.organisation_id = :o"
_STOPPED = "c.stopped_at >= :s AND c.stopped_at < :e"
COUNTS = (
    ("tickets", "SELECT count(*) FROM tickets"),
    ("clocks", "SELECT count(*) FROM sla_clocks"),
    ("events", "SELECT count(*) FROM ticket_events"),
    ("escalations", "SELECT count(*) FROM escalations"),
    ("rated tickets", "SELECT count(*) FROM tickets WHERE rating IS NOT NULL"),
    ("organisation's tickets", "SELECT count(*) FROM tickets WHERE organisation_id = :o"),
    ("organisation's clocks", f"SELECT count(*) {_JOINED}"),
    ("organisation's clocks stopped in the month", f"SELECT count(*) {_JOINED} AND {_STOPPED}"),
    (
        "organisation's clocks stopped in the 12 months",
        f"SELECT count(*) {_JOINED} AND c.stopped_at >= :t AND c.stopped_at < :e",
    ),
    (
        "organisation's tickets received in the month",
        "SELECT count(*) FROM tickets WHERE organisation_id = :o"
        " AND received_at >= :s AND received_at < :e",
    ),
    ("clocks stopped in the month, all", f"SELECT count(*) FROM sla_clocks c WHERE {_STOPPED}"),
)


def counts(conn: Any, org: int, period: Any, trend_start: datetime) -> None:
    """The data set, and what the benchmark month holds for the organisation."""
    from sqlalchemy import text

    params = {"o": org, "s": period.start, "e": period.end, "t": trend_start}
    for label, sql in COUNTS:
        print(f"#   {label}: {conn.execute(text(sql), params).scalar_one():,}")


def explain(
    engine: Any,
    client: Any,
    path: str,
    auth: dict[str, str],
    month_params: dict[str, Any],
    trend_params: dict[str, Any],
) -> None:
    """EXPLAIN ANALYZE of every SELECT of one report request, then of the hand-written SQL."""
    from sqlalchemy import event, text

    seen: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _m: bool) -> None:
        seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    client.get(path, headers=auth)
    event.remove(engine, "before_cursor_execute", capture)
    with engine.connect() as conn:
        for statement, params in seen:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
            print("\n```\n" + statement.strip() + "\n\n" + "\n".join(plan.scalars()) + "\n```")
        for label, sql, params in (
            ("hand-written, month", HAND_SQL, month_params),
            ("hand-written, month + trend + received", HAND_SQL_TREND, trend_params),
        ):
            plan = conn.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql), params).scalars()
            print(f"\n### {label}\n```\n" + "\n".join(plan) + "\n```")
        conn.rollback()


if __name__ == "__main__":
    main()
