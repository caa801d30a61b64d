#!/usr/bin/env python3
"""Markdown tables from load.py JSON lines (one or more .jsonl files).

    python table.py results/<stamp>.jsonl [more.jsonl ...]

1. Every row: ok / planned, errors, req/s, p50/p95/p99, "of ceiling".
2. Per file that holds the service desk and/or the peer: side by side per operation
   (peer SQLite, ours SQLite, peer PostgreSQL, ours PostgreSQL, hello ceiling) and
   the ratios ours/peer and ours/ceiling; with the floor stages (floor/wsgi.py: the
   service's statements without its rules), the floor's columns and its ratios too.

"of ceiling" and every ratio divide throughputs of rows *in the same file* (i.e. the
same run) - the only kind of ratio worth quoting on a noisy shared machine.
req/s counts successful *operations* per second; an operation of the service desk
may be more than one HTTP request (column "HTTP/op"; its update is a comment + a
status change), while the hello ceiling always answers one request per operation.
"update-one" (load.py --update-mode one|both) is the service desk's one-request reply and
resolve; the peer and the ceiling have one update only, so its rows are compared with
their "update" rows.
"""
import json
import sys

OPS = ("create", "list", "get", "update", "update-one")


def baseline_op(op):
    """The peer's and the ceiling's row for an op of ours (one update each)."""
    return "update" if op == "update-one" else op
# (target, database) -> column heading of the side-by-side table
COLUMNS = (
    (("helpdesk", "sqlite"), "peer SQLite"),
    (("servicedesk", "sqlite"), "ours SQLite"),
    (("helpdesk", "postgres"), "peer PostgreSQL"),
    (("servicedesk", "postgres"), "ours PostgreSQL"),
    (("floor", "sqlite"), "floor SQLite"),
    (("floor", "postgres"), "floor PostgreSQL"),
    (("hello", None), "hello ceiling"),
)
#: Rows whose op names are the service desk's (update-one included).
OURS_KINDS = ("servicedesk", "floor")


def kind(row):
    """The column family of a row: the floor runs the service desk's adapter, so its label
    (floor-sqlite, floor-postgres) tells it apart."""
    if (row.get("label") or "").lower().startswith("floor"):
        return "floor"
    return row.get("target")


def fmt(v, nd=1):
    return "-" if v is None else ("%.*f" % (nd, v))


def pct(a, b):
    if a is None or not b:
        return "-"
    return "%.1f%%" % (100.0 * a / b)


def times(a, b):
    if a is None or not b:
        return "-"
    return "%.2fx" % (a / b)


def database(row):
    label = (row.get("label") or "").lower()
    if row.get("target") == "hello":
        return None
    if "postgres" in label:
        return "postgres"
    if "sqlite" in label:
        return "sqlite"
    return None


def detailed(paths):
    print("| run (file) | target / label | op | ok / planned | HTTP/op | errors | req/s | p50 ms "
          "| p95 ms | p99 ms | of ceiling |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for path in paths:
        rows = load(path)
        ceiling = {r["op"]: r["throughput_rps"] for r in rows if r.get("target") == "hello"}
        name = path.rsplit("/", 1)[-1]
        for r in rows:
            c = ceiling.get(baseline_op(r["op"]))
            ratio = pct(r.get("throughput_rps"), c) if r.get("target") != "hello" else "-"
            errs = str(r["errors"]) + (" " + json.dumps(r["error_kinds"]) if r["errors"] else "")
            if r.get("truncated"):
                errs += " TRUNCATED"
            print("| %s | %s | %s | %d / %d | %s | %s | %s | %s | %s | %s | %s |" % (
                name, r.get("label") or r["target"], r["op"], r["ok"], r["requests_planned"],
                r.get("requests_per_op") or 1, errs, fmt(r["throughput_rps"]), fmt(r["p50_ms"]),
                fmt(r["p95_ms"]), fmt(r["p99_ms"]), ratio))


def side_by_side(path):
    rows = load(path)
    cell = {}
    for r in rows:
        key = (kind(r), database(r))
        cell.setdefault((key, r["op"]), r)  # first row of a kind in the file wins
    present = [(key, head) for key, head in COLUMNS if any((key, op) in cell for op in OPS)]
    if not any(key[0] in OURS_KINDS for key, _ in present):
        return
    name = path.rsplit("/", 1)[-1]
    print()
    print("### Side by side (%s)" % name)
    print()
    print("req/s = successful operations per second (8 clients); p50 / p95 in ms; "
          "HTTP/op = HTTP requests per operation.")
    print()
    print("| op | " + " | ".join(head for _, head in present) + " |")
    print("|---|" + "---|" * len(present))
    for op in OPS:
        if op != baseline_op(op) and not any(
                (key, op) in cell for key, _ in present if key[0] in OURS_KINDS):
            continue
        cols = []
        for key, _ in present:
            r = cell.get((key, op if key[0] in OURS_KINDS else baseline_op(op)))
            if r is None:
                cols.append("-")
                continue
            extra = " (%d HTTP/op)" % r["requests_per_op"] if (r.get("requests_per_op") or 1) > 1 else ""
            bad = " **%d errors**" % r["errors"] if r.get("errors") else ""
            cols.append("%s req/s, p50 %s, p95 %s%s%s" % (
                fmt(r["throughput_rps"]), fmt(r["p50_ms"]), fmt(r["p95_ms"]), extra, bad))
        print("| %s | %s |" % (op, " | ".join(cols)))

    if any(key[0] == "servicedesk" for key, _ in present):
        ours_ratios(cell)
    if any(key[0] == "floor" for key, _ in present):
        floor_ratios(cell)


def ours_ratios(cell):
    """Ours against the peer and the ceiling: the issue's goals."""
    print()
    print("| op | ours/peer SQLite | ours/peer PostgreSQL | ours/ceiling SQLite "
          "| ours/ceiling PostgreSQL | p50 ours/peer SQLite | p50 ours/peer PostgreSQL |")
    print("|---|---|---|---|---|---|---|")
    for op in OPS:
        if not any(((("servicedesk", db), op) in cell) for db in ("sqlite", "postgres")):
            continue

        def rps(target, db, op=op):
            return _get(cell, target, db, op, "throughput_rps")

        def p50(target, db, op=op):
            return _get(cell, target, db, op, "p50_ms")

        hello = rps("hello", None)
        print("| %s | %s | %s | %s | %s | %s | %s |" % (
            op,
            times(rps("servicedesk", "sqlite"), rps("helpdesk", "sqlite")),
            times(rps("servicedesk", "postgres"), rps("helpdesk", "postgres")),
            pct(rps("servicedesk", "sqlite"), hello),
            pct(rps("servicedesk", "postgres"), hello),
            times(p50("servicedesk", "sqlite"), p50("helpdesk", "sqlite")),
            times(p50("servicedesk", "postgres"), p50("helpdesk", "postgres"))))
    print()
    print("ours/peer > 1.00x: ours completes more operations per second; p50 ours/peer "
          "< 1.00x: ours answers faster. ours/ceiling: ours' operations per second as a "
          "share of the hello-world requests per second for the same operation.")


def _get(cell, target, db, op, field):
    r = cell.get(((target, db), op if target in OURS_KINDS else baseline_op(op)))
    return None if r is None else r.get(field)


def floor_ratios(cell):
    """The floor against the peer and the ceiling (where a goal must leave room), and ours
    against the floor (what the service's rules cost)."""
    print()
    print("| op | floor/peer SQLite | floor/peer PostgreSQL | floor/ceiling SQLite "
          "| floor/ceiling PostgreSQL | ours/floor SQLite | ours/floor PostgreSQL |")
    print("|---|---|---|---|---|---|---|")
    for op in OPS:
        if not any(((k, db), op) in cell for k in OURS_KINDS for db in ("sqlite", "postgres")):
            continue
        hello = _get(cell, "hello", None, op, "throughput_rps")
        floor = {db: _get(cell, "floor", db, op, "throughput_rps") for db in ("sqlite", "postgres")}
        print("| %s | %s | %s | %s | %s | %s | %s |" % (
            op,
            times(floor["sqlite"], _get(cell, "helpdesk", "sqlite", op, "throughput_rps")),
            times(floor["postgres"], _get(cell, "helpdesk", "postgres", op, "throughput_rps")),
            pct(floor["sqlite"], hello),
            pct(floor["postgres"], hello),
            times(_get(cell, "servicedesk", "sqlite", op, "throughput_rps"), floor["sqlite"]),
            times(_get(cell, "servicedesk", "postgres", op, "throughput_rps"), floor["postgres"])))
    print()
    print("floor: bench/peer/floor/wsgi.py, the service's statements with none of its rules. "
          "ours/floor < 1.00x: what the rules, the ORM and marshmallow cost.")


def load(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    return [r for r in rows if "op" in r and "ok" in r]


def main(paths):
    detailed(paths)
    for path in paths:
        side_by_side(path)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
