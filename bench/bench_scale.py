"""Reads and the sweep on a big database: p50/p95 through gunicorn, and the query plans.

Usage (PostgreSQL, a database filled by `servicedesk demo` + `servicedesk bench-data`):

    python bench/bench_scale.py --database-url postgresql://postgres@127.0.0.1:5432/perf_scale_1m
    python bench/bench_scale.py --database-url ... --explain      # EXPLAIN (ANALYZE, BUFFERS)

Without `--base-url` it starts gunicorn itself (2 sync workers, production mode, a random
SECRET_KEY) on `--port`, and stops it at the end. Each request kind is asked `--requests`
times one after the other, then by 4 clients at once; a markdown table goes to stdout. The
"200th page" walks the agent's unfiltered list with `next_cursor` once, then asks for the
200th page (its cursor kept) every time. The sweep tick is `sla.jobs.sweep` in a session,
in this process, rolled back after each run. `--explain` runs each list request once through
the Flask test client, captures its SQL with `before_cursor_execute`, and prints the plan of
every statement with its parameters.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: The ICT triage agent of the demo (joint desk: both providers' new tickets).
TRIAGE_AGENT = "eero.korhonen@kpk.example"
#: An ICT agent of a resolver group, for reading single ICT tickets.
ICT_AGENT = "helmi.makinen@kpk.example"
OPEN = "status=new&status=assigned&status=in_progress&status=waiting_for_customer"
OPEN += "&status=escalated_to_supplier"
LISTS = {
    "list, first page (agent)": f"/api/v1/tickets?{OPEN}&limit=25",
    "list, 200th cursor page": "/api/v1/tickets?limit=25",
    "sla_state=at_risk&sort=sla_due": "/api/v1/tickets?sla_state=at_risk&sort=sla_due&limit=25",
    # The 10 k data has only 8 tickets at risk, so the row above answers 8 there and 25 at 1 M:
    # the same page at both sizes (5) shows how the query itself scales.
    "sla_state=at_risk&sort=sla_due&limit=5": (
        "/api/v1/tickets?sla_state=at_risk&sort=sla_due&limit=5"
    ),
    "sla_state=breached&sort=sla_due": "/api/v1/tickets?sla_state=breached&sort=sla_due&limit=25",
    "q=Wilma": "/api/v1/tickets?q=Wilma&limit=25",
}
PAGES = 200


def _env(url: str, **more: str) -> dict[str, str]:
    env = dict(os.environ, DATABASE_URL=url, **more)
    env.pop("PYTHONPATH", None)
    return env


def token_for(url: str, email: str) -> str:
    """A personal token through the CLI (local mode: the same database)."""
    out = subprocess.run(
        [sys.executable, "-m", "servicedesk.cli", "token", "create", email],
        cwd=ROOT,
        env=_env(url, SERVICEDESK_MODE="local"),
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def start_gunicorn(url: str, port: int) -> subprocess.Popen[bytes]:
    env = _env(url, SERVICEDESK_MODE="production", SECRET_KEY=secrets.token_urlsafe(48))
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/api/v1/tickets", timeout=30)
            return proc
        except requests.RequestException:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")


def _load() -> list[str]:
    return Path("/proc/loadavg").read_text().split()[:3]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(
    base: str, token: str, paths: Callable[[int], str], count: int, clients: int
) -> tuple[list[float], int]:
    """`count` GETs spread over `clients` threads (each its own keep-alive session)."""
    times: list[float] = []
    errors = 0
    lock = threading.Lock()

    def work(first: int) -> None:
        nonlocal errors
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {token}"
        for i in range(first, count, clients):
            t = time.perf_counter()
            r = s.get(base + paths(i), timeout=120)
            took = (time.perf_counter() - t) * 1000
            with lock:
                times.append(took)
                errors += r.status_code != 200

    threads = [threading.Thread(target=work, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, errors


def cursor_of_page(
    get: Callable[[str], dict[str, Any]], path: str, page: int, size: int = 25
) -> str:
    """The path of the `page`-th page of `size` (its cursor). The walk takes pages of 200,
    the API's largest: a cursor names the last row seen, so after 4 975 rows it is the same
    cursor 199 pages of 25 end with, for an eighth of the requests."""
    bare = path.replace(f"limit={size}", "").rstrip("&?")
    join = "&" if "?" in bare else "?"
    left, cursor = (page - 1) * size, ""
    while left:
        step = min(left, 200)
        body = get(f"{bare}{join}limit={step}{cursor}")
        if not body.get("next_cursor"):
            raise SystemExit(f"the list ends before page {page}")
        cursor = f"&cursor={requests.utils.quote(body['next_cursor'])}"
        left -= step
    return f"{bare}{join}limit={size}{cursor}"


def http_getter(base: str, token: str) -> Callable[[str], dict[str, Any]]:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"
    return lambda path: s.get(base + path, timeout=300).json()


def sweep_ms(url: str, runs: int = 5) -> tuple[list[float], Any]:
    """Timed ticks with nothing due: a first committed tick records what the demo's own
    tickets left unrecorded (the demo never runs the scheduler); the timed ones roll back."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SERVICEDESK_MODE", "local")
    from servicedesk import db
    from servicedesk.app import create_app
    from sla.jobs import sweep

    app = create_app()
    with db.unit_of_work(app) as sess:
        sweep(sess)
    found = []
    result = None
    for _ in range(runs):
        sess = db.new_session(app)
        try:
            t = time.perf_counter()
            result = sweep(sess)
            found.append((time.perf_counter() - t) * 1000)
        finally:
            sess.rollback()
            sess.close()
    return found, result


def explain(url: str, token: str, paths: dict[str, str]) -> None:
    """Each list request once through the test client; the plan of each statement."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SERVICEDESK_MODE", "local")
    from sqlalchemy import event

    from servicedesk.app import create_app
    from servicedesk.db import engine_of

    app = create_app()
    engine = engine_of(app)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    paths = dict(paths)
    paths["list, 200th cursor page"] = cursor_of_page(
        lambda p: client.get(p, headers=auth).get_json(), paths["list, 200th cursor page"], PAGES
    )
    for label, path in paths.items():
        seen: list[tuple[str, Any]] = []

        def capture(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _m: bool) -> None:
            seen.append((statement, params))  # noqa: B023  (removed below, per request)

        event.listen(engine, "before_cursor_execute", capture)
        resp = client.get(path, headers={"Authorization": f"Bearer {token}"})
        event.remove(engine, "before_cursor_execute", capture)
        print(f"\n### {label}: `GET {path}` ({resp.status_code}, {len(seen)} statements)\n")
        with engine.connect() as conn:
            for statement, params in seen:
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                plan = conn.exec_driver_sql(
                    "EXPLAIN (ANALYZE, BUFFERS) " + statement, params
                ).scalars()
                print("```\n" + statement.strip() + "\n" + "\n".join(plan) + "\n```")
            conn.rollback()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), required=False)
    ap.add_argument("--base-url", help="a running server; default: start gunicorn")
    ap.add_argument("--port", type=int, default=8311)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--explain", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    url = args.database_url
    if not url:
        raise SystemExit("--database-url (or DATABASE_URL) is needed")
    triage = token_for(url, TRIAGE_AGENT)
    ict = token_for(url, ICT_AGENT)
    if args.explain:
        explain(url, triage, LISTS)
        return

    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        count = conn.scalar(text("SELECT count(*) FROM tickets"))
        ids = list(
            conn.scalars(
                text("SELECT id FROM tickets WHERE provider = 'ICT' ORDER BY random() LIMIT :n"),
                {"n": args.requests},
            )
        )
    engine.dispose()
    proc = None if args.base_url else start_gunicorn(url, args.port)
    base = args.base_url or f"http://127.0.0.1:{args.port}"
    rng = random.Random(args.seed)
    rng.shuffle(ids)
    try:
        page200 = cursor_of_page(http_getter(base, triage), LISTS["list, 200th cursor page"], PAGES)
        cases: list[tuple[str, str, Callable[[int], str]]] = [
            ("get one (ICT agent)", ict, lambda i: f"/api/v1/tickets/{ids[i % len(ids)]}"),
        ]
        for label, path in LISTS.items():
            chosen = page200 if label.startswith("list, 200th") else path
            cases.append((label, triage, lambda _i, p=chosen: p))
        load = _load()
        print(f"\n{count} tickets; load average before: {' '.join(load)}\n")
        print("| request | clients | p50 ms | p95 ms | non-200 |")
        print("|---|---|---|---|---|")
        for label, token, paths in cases:
            measure(base, token, paths, 5, 1)  # warm-up
            for clients in (1, 4):
                times, errors = measure(base, token, paths, args.requests, clients)
                print(
                    f"| {label} | {clients} | {statistics.median(times):.0f} | "
                    f"{percentile(times, 95):.0f} | {errors} |",
                    flush=True,
                )
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
    ticks, result = sweep_ms(url)
    print(
        f"| sweep tick, nothing due (in process, {len(ticks)} runs) | 1 | "
        f"{statistics.median(ticks):.0f} | {max(ticks):.0f} (max) | found {result} |"
    )
    print(f"\nload average after: {' '.join(_load())}")


if __name__ == "__main__":
    main()
