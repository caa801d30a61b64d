"""The public service-level page cold. Run: python bench/bench_public_cold.py [--runs 5]

A worker keeps the public answer for `PUBLIC_CACHE_SECONDS`, so `bench_reports.py` times the
kept answer. This times what a reader meets when nothing is kept (a worker just started, or
its answer expired): each run is a fresh process that builds the app, makes one unrelated
warm-up request (`GET /login`: templates, the first connection; reported apart) and then
times its first `GET /api/v1/public/service-level` or `GET /palvelutaso`. Once with the
figures the scheduler stored (`public-figures`, refreshed first here) and once with none
stored (the live count a desk without a running scheduler does). Also the refresh job itself.

Target (issue 12): the public page in <= 1 s.

    python bench/bench_public_cold.py --database-url postgresql://postgres@127.0.0.1:5432/bench1m
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench1m"
PATHS = ("/api/v1/public/service-level", "/palvelutaso")

#: One cold request in a fresh process; prints {"warm_up": ms, "cold": ms}.
_ONE = """
import json, sys, time
from servicedesk.app import create_app
app = create_app()
client = app.test_client()
t = time.perf_counter(); assert client.get("/login").status_code == 200
warm = time.perf_counter() - t
t = time.perf_counter(); resp = client.get(sys.argv[1]); cold = time.perf_counter() - t
assert resp.status_code == 200, resp.status_code
print(json.dumps({"warm_up": warm * 1000, "cold": cold * 1000}))
"""

_REFRESH = """
import json, time
from servicedesk.app import create_app
from sla.scheduler import JOBS, run_job
app = create_app()
spec = next(s for s in JOBS if s.id == "public-figures")
t = time.perf_counter(); run_job(app, spec)
print(json.dumps({"refresh": (time.perf_counter() - t) * 1000}))
"""

_FORGET = """
from sqlalchemy import delete
from servicedesk import db
from servicedesk.app import create_app
from servicedesk.public.models import PublicFigures
with db.unit_of_work(create_app()) as sess:
    sess.execute(delete(PublicFigures))
"""


def python(code: str, *args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=os.environ,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("SERVICEDESK_MODE", "local")
    os.environ["PYTHONPATH"] = str(ROOT)
    print(f"# load average {os.getloadavg()[0]:.1f}; {time.strftime('%Y-%m-%d %H:%M')} UTC")
    refreshes = [python(_REFRESH)["refresh"] for _ in range(args.runs)]
    rows = [("refresh job (`public-figures`)", refreshes, [])]
    for stored in (True, False):
        if not stored:
            python(_FORGET)
        for path in PATHS:
            found = [python(_ONE, path) for _ in range(args.runs)]
            label = f"cold GET {path}, " + ("figures stored" if stored else "nothing stored")
            rows.append((label, [f["cold"] for f in found], [f["warm_up"] for f in found]))
    python(_REFRESH)  # leave the figures stored, as a running scheduler would
    print(f"\n{args.runs} fresh processes each, ms\n")
    print("| what | p50 | max | warm-up GET /login p50 |")
    print("|---|---|---|---|")
    for label, times, warm in rows:
        warm_p50 = f"{statistics.median(warm):.0f}" if warm else ""
        print(f"| {label} | {statistics.median(times):.0f} | {max(times):.0f} | {warm_p50} |")


if __name__ == "__main__":
    main()
