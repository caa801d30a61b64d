"""The what-if replay at scale. Run: python bench/bench_whatif.py [--runs 7]

On a generated PostgreSQL database (`servicedesk bench-data`, see bench/README.md, "What-if
replay"), in this process through the Flask test client (token lookup, access rule, the
reads, the replay, the JSON): p50/p95 of `GET /api/v1/agreements/{id}/what-if` for the
organisation with the most tickets, with `months` widened until at least --min-tickets
(10 000) tickets are replayed, under two versions: its latest signed version (the replay
gives what happened: nothing changes) and a draft renewed from it with every target halved
and every price 10 % up (made once with `cycle.new_draft` if the organisation has none:
thousands of outcomes change, as before a real renewal). Also the split: the reads
(`whatif_queries.what_if` less the pure part) and the pure replay and comparison
(`whatif.compare`) on their own.

Target (issue 13): a replay of 10 000 tickets answers in <= 2 s.

    python bench/bench_whatif.py --database-url postgresql://postgres@127.0.0.1:5432/whatif10k
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/whatif10k"
ADMIN = "admin@kpk.example"
TARGET_S = 2.0


CPU: dict[int, list[float]] = {}


def timed(fn: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    """Wall times of `runs` calls after a warm-up; this process's CPU times go to `CPU` (on a
    shared machine the wall time is the CPU time stretched by the load)."""
    fn()  # warm-up: caches of calendars and promise lines, the connection pool
    times, cpu, result = [], [], None
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    CPU[id(times)] = cpu
    return times, result


def p(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_URL)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--min-tickets", type=int, default=10_000)
    ap.add_argument("--organisation-id", type=int, help="default: the one with most tickets")
    ap.add_argument(
        "--only", choices=("signed", "draft"), help="time one version only (default both)"
    )
    args = ap.parse_args()

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("SERVICEDESK_MODE", "local")
    from sqlalchemy import select, text

    from catalog.agreements import whatif, whatif_queries
    from catalog.agreements.models import AgreementVersion
    from catalog.agreements.queries import local_date
    from servicedesk import db
    from servicedesk.app import create_app
    from servicedesk.auth import issue_token
    from servicedesk.users.models import User

    app = create_app()
    now = datetime.now(UTC)
    until = local_date(now)
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
        signed = sess.scalars(
            select(AgreementVersion)
            .where(
                AgreementVersion.organisation_id == org,
                AgreementVersion.state.in_(("signed", "superseded")),
            )
            .order_by(AgreementVersion.valid_from.desc())
        ).first()
        assert signed is not None, f"organisation {org} has no signed agreement"
        draft = stricter_draft(sess, admin, signed)
        versions = {"signed": signed.id, "draft": draft.id}
        if args.only:
            versions = {args.only: versions[args.only]}
        months, count = 24, 0
        for months in range(1, 25):
            period = whatif_queries.window(until, months)
            count = sess.execute(
                text(
                    "SELECT count(*) FROM tickets WHERE organisation_id = :o"
                    " AND received_at >= :a AND received_at < :b"
                ),
                {
                    "o": org,
                    "a": whatif_queries._instant(period.starts_on),
                    "b": whatif_queries._instant(period.ends_on) + (now - now).__class__(days=1),
                },
            ).scalar_one()
            if count >= args.min_tickets:
                break
        pg = sess.execute(text("SELECT version()")).scalar_one().split(" on ")[0]

    print(
        f"# {platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}, {pg};"
        f" load average {os.getloadavg()[0]:.1f}; {now:%Y-%m-%d %H:%M} UTC"
    )
    print(f"# organisation {org}, months {months}: {count} tickets")
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    print(f"{'what':<50} {'p50 s':>7} {'p95 s':>7} {'CPU p50 s':>10}")
    verdicts = []
    captured: dict[str, Any] = {}
    real_compare = whatif.compare

    def keep(*a: Any, **kw: Any) -> Any:
        captured["args"] = a
        return real_compare(*a, **kw)

    def pure() -> Any:
        return real_compare(*captured["args"])

    for name, version_id in versions.items():
        path = f"/api/v1/agreements/{version_id}/what-if?months={months}&until={until}"

        def request(path: str = path) -> Any:
            resp = client.get(path, headers=auth)
            assert resp.status_code == 200, resp.get_json()
            return resp.get_json()

        api_times, body = timed(request, args.runs)
        assert body["tickets"] == count, (body["tickets"], count)

        captured.clear()
        whatif_queries.compare = keep  # type: ignore[assignment]

        def direct(version_id: int = version_id) -> Any:
            with db.unit_of_work(app) as sess:
                result = whatif_queries.what_if(
                    sess, sess.get(AgreementVersion, version_id), until, months, now
                )
                sess.rollback()
                return result

        direct_times, _ = timed(direct, args.runs)
        whatif_queries.compare = real_compare  # type: ignore[assignment]
        pure_times, _ = timed(pure, args.runs)

        label = f"{name} v{version_id}"
        for what, times in (
            (f"{label}: GET what-if (API, test client)", api_times),
            (f"{label}: what_if() (reads + replay)", direct_times),
            (f"{label}: compare() (pure)", pure_times),
        ):
            cpu = statistics.median(CPU[id(times)])
            print(f"{what:<50} {statistics.median(times):7.3f} {p(times, 0.95):7.3f} {cpu:10.3f}")
        changes = len(body["changes"])
        print(f"# {label}: {len(body['lines'])} line x kind rows, {changes} changed outcomes")
        verdicts.append(statistics.median(api_times) <= TARGET_S)
    print(f"# target: the request p50 <= {TARGET_S} s: {'OK' if all(verdicts) else 'OVER'}")


def stricter_draft(sess: Any, admin: Any, signed: Any) -> Any:
    """The organisation's draft, or one renewed from `signed` (`cycle.new_draft`) with every
    target halved and every price 10 % up, committed: a renewal that changes outcomes."""
    from decimal import Decimal

    from sqlalchemy import select

    from catalog.agreements.cycle import new_draft
    from catalog.agreements.models import AgreementVersion

    found = sess.scalars(
        select(AgreementVersion)
        .where(
            AgreementVersion.organisation_id == signed.organisation_id,
            AgreementVersion.state == "draft",
        )
        .order_by(AgreementVersion.id.desc())
    ).first()
    if found is not None:
        return found
    draft = new_draft(sess, admin, signed)
    for promise in draft.promises:
        promise.response_minutes = max(1, promise.response_minutes // 2)
        promise.resolution_minutes = max(1, promise.resolution_minutes // 2)
    for service in draft.services:
        service.price = (service.price * Decimal("1.10")).quantize(Decimal("0.01"))
    sess.commit()
    return draft


if __name__ == "__main__":
    main()
