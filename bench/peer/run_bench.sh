#!/usr/bin/env bash
# run_bench.sh - the measured run, end to end and reproducible.
#
#   ./run_bench.sh                    # sqlite + hello   (default)
#   ./run_bench.sh sqlite hello postgres
#   ./run_bench.sh sqlite ours-sqlite hello postgres ours-postgres   # peer vs. ours
#
# For each stage it starts one gunicorn (2 sync workers) on 127.0.0.1, records
# its PID, runs load.py against it, and stops it by that PID (never by name).
#   sqlite        setup_peer.sh (fresh SQLite DB) -> django-helpdesk on :8801
#   hello         hello_app.py (Flask hello world)  on :8802 - the stack's ceiling
#   postgres      setup_pg_local.sh (fresh database perf_peer on the running server;
#                 on a bare machine apt-get + cluster start) -> setup_peer.sh with
#                 DATABASE_URL -> django-helpdesk on :8801; a PostgreSQL cluster this
#                 script started is stopped again.
#   ours-sqlite   KPK Service Desk (the new project: sources $OURS_REPO, by default the
#                 repository this script lives in; venv $OURS_VENV with
#                 `pip install -e <repo> gunicorn`; PYTHONPATH=$OURS_REPO, so the
#                 sources measured are $OURS_REPO's whatever the venv points at) on :8803:
#                 SERVICEDESK_MODE=production, a fresh 48-byte SECRET_KEY, DATABASE_URL
#                 to a fresh SQLite file in $OURS_DIR; `servicedesk db upgrade` +
#                 `servicedesk demo`, bootstrap_ours.py (end-user + agent tokens via
#                 `servicedesk token create`), then gunicorn wsgi:app. The scheduler
#                 process (`servicedesk scheduler`) is NOT started for the bench.
#   ours-postgres the same on a fresh PostgreSQL database perf_ours (setup_pg_local.sh).
#   floor-sqlite, floor-postgres  the same setup (the service's schema, demo data and
#                 tokens), but gunicorn serves floor/wsgi.py: the service's statements
#                 with none of its rules (see that file), what a goal must leave room for.
# Results: results/<UTC stamp>.jsonl (one JSON line per stage x operation),
#          results/<UTC stamp>.meta.json, results/<UTC stamp>.md (table.py).
#
# Workload (override with env): CREATES=2000 CONC=8 LISTS=500 GETS=1000 UPDATES=500
# HELLO_SCALE=10 multiplies the hello stage's counts (its phases last < 1 s otherwise).
# OURS_UPDATE_MODE=two|one|both: the ours-* stages' update as comment + PATCH (two, the
# default, op "update"), as one comment carrying the status (one, op "update-one"), or both
# phases one after the other on distinct tickets (both: the two ratios in one run).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PEER_VENV="${PEER_VENV:-/tmp/peer-venv}"
PEER_SITE="${PEER_SITE:-/tmp/peer-site}"
PEER_PORT="${PEER_PORT:-8801}"
HELLO_PORT="${HELLO_PORT:-8802}"
OURS_VENV="${OURS_VENV:-/tmp/perf/venv}"   # python -m venv + pip install -e <clone> gunicorn
OURS_REPO="${OURS_REPO:-$(cd "$HERE/../.." && pwd)}"   # the sources (gunicorn --chdir, wsgi:app)
OURS_DIR="${OURS_DIR:-/tmp/perf/ours}"     # SQLite file, load configs <label>.json, pg.env
OURS_PORT="${OURS_PORT:-8803}"
OURS_UPDATE_MODE="${OURS_UPDATE_MODE:-two}"   # two | one | both (load.py --update-mode)
RESULTS_DIR="${RESULTS_DIR:-$HERE/results}"
[ -w "$RESULTS_DIR" ] || [ -w "$HERE" ] || RESULTS_DIR=/tmp/perf/results
CREATES="${CREATES:-2000}" CONC="${CONC:-8}" LISTS="${LISTS:-500}"
GETS="${GETS:-1000}" UPDATES="${UPDATES:-500}"
TIME_LIMIT="${TIME_LIMIT:-1800}" PHASE_TIME_LIMIT="${PHASE_TIME_LIMIT:-900}"
HELLO_SCALE="${HELLO_SCALE:-1}"   # >1: hello stage sends counts x HELLO_SCALE (longer phases)
STAGES=("$@")
[ ${#STAGES[@]} -eq 0 ] && STAGES=(sqlite hello)

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RESULTS_DIR"
OUT="$RESULTS_DIR/$STAMP.jsonl"
LOGDIR="/tmp/peer-bench-logs/$STAMP"
mkdir -p "$LOGDIR"
log() { printf '[run_bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# ---- server lifecycle (by recorded PID only) ---------------------------------
SERVER_PID=""
PG_STOP_CMD=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    log "stopping gunicorn PID $SERVER_PID"
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
  if [ -n "$PG_STOP_CMD" ]; then
    log "stopping PostgreSQL: $PG_STOP_CMD"
    $PG_STOP_CMD || true
    PG_STOP_CMD=""
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_busy() {
  "$PEER_VENV/bin/python" - "$1" <<'EOF'
import socket, sys
s = socket.socket(); s.settimeout(0.5)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)
EOF
}

CTL_OPT=()
if "$PEER_VENV/bin/gunicorn" --help 2>/dev/null | grep -q -- '--no-control-socket'; then
  CTL_OPT=(--no-control-socket)
fi

start_server() {  # name port chdir wsgi_app   (GUNICORN=... to use another venv's gunicorn)
  local name="$1" port="$2" dir="$3" app="$4"
  if port_busy "$port"; then
    log "port $port already in use - refusing to measure someone else's server"; exit 1
  fi
  "${GUNICORN:-$PEER_VENV/bin/gunicorn}" --chdir "$dir" "$app" --bind "127.0.0.1:$port" \
      --workers 2 --worker-class sync "${CTL_OPT[@]}" \
      --error-logfile "$LOGDIR/$name-gunicorn.log" &
  SERVER_PID=$!
  echo "$SERVER_PID" > "$LOGDIR/$name.pid"
  log "started $name: gunicorn PID $SERVER_PID on 127.0.0.1:$port (2 sync workers)"
  for _ in $(seq 1 60); do
    port_busy "$port" && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { log "$name exited early, see $LOGDIR"; exit 1; }
    sleep 0.5
  done
  log "$name did not open port $port"; exit 1
}

stop_server() {
  log "stopping gunicorn PID $SERVER_PID"
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

run_load() {  # label target base_url [extra args...]
  local label="$1" target="$2" url="$3"; shift 3
  log "load: $label"
  "$PEER_VENV/bin/python" "$HERE/load.py" --target "$target" --base-url "$url" \
      --creates "$CREATES" --concurrency "$CONC" --lists "$LISTS" --gets "$GETS" \
      --updates "$UPDATES" --warmup 20 --time-limit "$TIME_LIMIT" \
      --phase-time-limit "$PHASE_TIME_LIMIT" --label "$label" --out "$OUT" "$@" \
      | tee -a "$LOGDIR/load.log" >&2
}

ticket_count() {
  (cd "$PEER_SITE" && "$PEER_VENV/bin/python" manage.py shell -v 0 -c \
    "from helpdesk.models import Ticket as T; print(T.objects.count(), T.objects.filter(status__in=[1,2]).count())")
}

peer_stage() {  # label database_url ("" = SQLite)
  local label="$1"
  export DATABASE_URL="$2"   # read by setup_peer.sh, the generated settings and ticket_count
  PEER_RESET=1 PEER_PORT="$PEER_PORT" "$HERE/setup_peer.sh" > "$LOGDIR/$label-setup.log" 2>&1 \
    || { log "setup_peer.sh failed, see $LOGDIR/$label-setup.log"; exit 1; }
  start_server "$label" "$PEER_PORT" "$PEER_SITE" peersite.wsgi:application
  run_load "$label" helpdesk "http://127.0.0.1:$PEER_PORT" --peer-config "$PEER_SITE/peer.json"
  stop_server
  log "$label: tickets in DB after run (total, open): $(ticket_count)"
}

# The service desk (the new project). Production mode, no scheduler process.
ours_stage() {  # label database_url [app_dir: gunicorn's wsgi:app, default $OURS_REPO]
  local label="$1" url="$2" app_dir="${3:-$OURS_REPO}" secret
  if [ ! -x "$OURS_VENV/bin/servicedesk" ] || [ ! -f "$OURS_REPO/wsgi.py" ]; then
    log "no $OURS_VENV/bin/servicedesk or $OURS_REPO/wsgi.py: git clone <project> $OURS_REPO &&"
    log "  python -m venv $OURS_VENV && $OURS_VENV/bin/pip install -e $OURS_REPO gunicorn"
    exit 1
  fi
  # The sources of $OURS_REPO win over whatever checkout the venv was installed from.
  export PYTHONPATH="$OURS_REPO${PYTHONPATH:+:$PYTHONPATH}"
  secret="$("$OURS_VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(48))')"
  # Production mode on PostgreSQL; SQLite is the embedded local default (production refuses it).
  local mode=production; case "$url" in sqlite*) mode=local ;; esac
  export SERVICEDESK_MODE="$mode" SECRET_KEY="$secret" DATABASE_URL="$url"
  log "$label: servicedesk db upgrade + servicedesk demo + tokens ($url)"
  ( cd "$OURS_REPO" && "$OURS_VENV/bin/servicedesk" db upgrade \
      && SERVICEDESK_MODE=local "$OURS_VENV/bin/servicedesk" demo \
      && "$OURS_VENV/bin/python" "$HERE/bootstrap_ours.py" "$OURS_DIR/$label.json" \
           "http://127.0.0.1:$OURS_PORT" "$OURS_VENV/bin/servicedesk" ) \
    > "$LOGDIR/$label-setup.log" 2>&1 \
    || { log "$label setup failed, see $LOGDIR/$label-setup.log"; exit 1; }
  log "$label: $(tail -n1 "$LOGDIR/$label-setup.log")"
  GUNICORN="$OURS_VENV/bin/gunicorn" start_server "$label" "$OURS_PORT" "$app_dir" wsgi:app
  run_load "$label" servicedesk "http://127.0.0.1:$OURS_PORT" --peer-config "$OURS_DIR/$label.json" \
      --update-mode "$OURS_UPDATE_MODE"
  stop_server
  log "$label: tickets in DB after run (total, open): $(cd "$OURS_REPO" && \
    "$OURS_VENV/bin/python" "$HERE/bootstrap_ours.py" count 2>/dev/null)"
  unset SERVICEDESK_MODE SECRET_KEY DATABASE_URL PYTHONPATH
}

ours_versions() {  # JSON of the service desk's package versions (or {} without its venv)
  [ -x "$OURS_VENV/bin/python" ] || { echo '{}'; return; }
  "$OURS_VENV/bin/python" - "$OURS_REPO" <<'EOF'
import importlib.metadata as m, json, subprocess, sys
def v(p):
    try: return m.version(p)
    except Exception: return None
out = {p: v(p) for p in ("kpk-servicedesk", "Flask", "Werkzeug", "SQLAlchemy", "flask-smorest",
                         "marshmallow", "psycopg", "gunicorn")}
try:
    out["commit"] = subprocess.run(["git", "-C", sys.argv[1], "rev-parse", "HEAD"],
                                   capture_output=True, text=True).stdout.strip() or None
except Exception:
    out["commit"] = None
print(json.dumps(out))
EOF
}

# ---- metadata ------------------------------------------------------------------
[ -x "$PEER_VENV/bin/python" ] || PEER_RESET=1 "$HERE/setup_peer.sh" > "$LOGDIR/initial-setup.log" 2>&1
OURS_VERSIONS="$(ours_versions)"
"$PEER_VENV/bin/python" - "$RESULTS_DIR/$STAMP.meta.json" "$CREATES" "$CONC" "$LISTS" "$GETS" "$UPDATES" "${STAGES[*]}" "$OURS_VERSIONS" "$OURS_UPDATE_MODE" <<'EOF'
import importlib.metadata as m, json, os, platform, sys
out, creates, conc, lists, gets, updates, stages, ours, update_mode = sys.argv[1:]
def v(p):
    try: return m.version(p)
    except Exception: return None
cpu = ""
try:
    cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
except Exception: pass
json.dump({
    "stages": stages.split(), "workload": {"creates": int(creates), "concurrency": int(conc),
    "lists": int(lists), "gets": int(gets), "updates": int(updates)},
    "host": {"cpus": os.cpu_count(), "cpu_model": cpu, "kernel": platform.release(),
             "python": platform.python_version()},
    "versions": {p: v(p) for p in ("django-helpdesk", "Django", "djangorestframework",
                 "gunicorn", "Flask", "Werkzeug", "psycopg")},
    "servicedesk_versions": json.loads(ours) if ("ours" in stages or "floor" in stages) else None,
    "servicedesk_update_mode": update_mode if ("ours" in stages or "floor" in stages) else None,
    "server": "gunicorn, 2 workers, sync worker class, 127.0.0.1",
    "loadavg_start": open("/proc/loadavg").read().split()[:3],
}, open(out, "w"), indent=2)
EOF

# ---- stages ----------------------------------------------------------------------
for stage in "${STAGES[@]}"; do
  case "$stage" in
    sqlite)
      peer_stage helpdesk-sqlite ""
      ;;
    hello)
      start_server hello-flask "$HELLO_PORT" "$HERE" hello_app:app
      if [ "$HELLO_SCALE" = "1" ]; then
        run_load hello-flask hello "http://127.0.0.1:$HELLO_PORT"
      else  # longer ceiling phases (same shapes, counts x HELLO_SCALE)
        run_load "hello-flask-x$HELLO_SCALE" hello "http://127.0.0.1:$HELLO_PORT" \
          --creates $((CREATES * HELLO_SCALE)) --lists $((LISTS * HELLO_SCALE)) \
          --gets $((GETS * HELLO_SCALE)) --updates $((UPDATES * HELLO_SCALE))
      fi
      stop_server
      ;;
    ours-sqlite|floor-sqlite)
      mkdir -p "$OURS_DIR"
      rm -f "$OURS_DIR/ours.sqlite3" "$OURS_DIR/ours.sqlite3-wal" "$OURS_DIR/ours.sqlite3-shm"
      if [ "$stage" = floor-sqlite ]; then
        ours_stage floor-sqlite "sqlite:///$OURS_DIR/ours.sqlite3" "$HERE/floor"
      else
        ours_stage servicedesk-sqlite "sqlite:///$OURS_DIR/ours.sqlite3"
      fi
      ;;
    ours-postgres|floor-postgres)
      mkdir -p "$OURS_DIR"
      PG_DB=perf_ours ENV_OUT="$OURS_DIR/pg.env" "$HERE/setup_pg_local.sh" > "$LOGDIR/ours-pg-setup.log" 2>&1 \
        || { log "PostgreSQL setup failed (see $LOGDIR/ours-pg-setup.log) - skipping ours-postgres stage"; continue; }
      # shellcheck disable=SC1091
      source "$OURS_DIR/pg.env"
      [ "$PG_STARTED_BY_US" = "1" ] && PG_STOP_CMD="pg_ctlcluster $PG_VERSION $PG_CLUSTER stop"
      if [ "$stage" = floor-postgres ]; then
        ours_stage floor-postgres "$DATABASE_URL" "$HERE/floor"
      else
        ours_stage servicedesk-postgres "$DATABASE_URL"
      fi
      if [ -n "$PG_STOP_CMD" ]; then log "stopping PostgreSQL"; $PG_STOP_CMD; PG_STOP_CMD=""; fi
      ;;
    postgres)
      t0=$(date +%s)
      ENV_OUT=/tmp/peer-pg.env "$HERE/setup_pg_local.sh" > "$LOGDIR/pg-setup.log" 2>&1 \
        || { log "PostgreSQL setup failed (see $LOGDIR/pg-setup.log) - skipping postgres stage"; continue; }
      # shellcheck disable=SC1091
      source /tmp/peer-pg.env
      [ "$PG_STARTED_BY_US" = "1" ] && PG_STOP_CMD="pg_ctlcluster $PG_VERSION $PG_CLUSTER stop"
      log "PostgreSQL $PG_VERSION ready in $(( $(date +%s) - t0 ))s"
      peer_stage helpdesk-postgres "$DATABASE_URL"
      if [ -n "$PG_STOP_CMD" ]; then log "stopping PostgreSQL"; $PG_STOP_CMD; PG_STOP_CMD=""; fi
      ;;
    *) log "unknown stage $stage (sqlite|hello|postgres|ours-sqlite|ours-postgres|floor-sqlite|floor-postgres)"; exit 2 ;;
  esac
done

"$PEER_VENV/bin/python" - "$RESULTS_DIR/$STAMP.meta.json" <<'EOF'
import datetime, json, sys
meta = json.load(open(sys.argv[1]))
meta["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
meta["finished"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
json.dump(meta, open(sys.argv[1], "w"), indent=2)
EOF
"$PEER_VENV/bin/python" "$HERE/table.py" "$OUT" > "$RESULTS_DIR/$STAMP.md"
cat "$RESULTS_DIR/$STAMP.md"
log "results: $OUT  (logs: $LOGDIR)"
