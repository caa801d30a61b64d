#!/usr/bin/env python3
"""Bounded, tool-agnostic HTTP load generator for ticket APIs (peer benchmark).

Standard library only (http.client + threads), so the same client measures
every target. It runs one fixed workload against a base URL through an
*adapter* that maps four abstract operations onto a concrete API:

    create  - create N tickets (title, description, queue, priority, submitter email)
    list    - fetch a page of open tickets, M times (pages cycle 1..--list-pages)
    get     - fetch a single ticket by id, K times (ids drawn from the created ones)
    update  - add a follow-up/comment that also changes the status, U times
              (distinct tickets from the created ones)

Phases run in that order, each with C concurrent clients (threads, one HTTP
connection each). For each phase one JSON line is printed (and appended to
--out): throughput (successful operations / phase wall time) and p50/p95/p99
latency of the successful operations, plus error and status-code counts.

An operation is normally one HTTP request. An adapter whose API needs more than
one request for an operation (servicedesk's update with --update-mode two: a comment,
then a status change) returns a list of requests: they are sent in order on the worker's
connection, the operation succeeds only if every one gets an expected status,
and its latency is from sending the first to having read the last. The JSON
line then also says how many HTTP requests were sent (http_requests).

Safety bounds: a fixed number of requests per phase, a per-phase and a global
hard time limit (no new request starts after the deadline; in-flight requests
are bounded by --request-timeout), and the base URL must be a loopback address
(127.0.0.0/8, ::1 or a "localhost" that resolves only to loopback).

Adapters:  helpdesk     django-helpdesk's DRF API (/api/tickets/, /api/followups/)
           servicedesk  KPK Service Desk, the new Flask service desk (/api/v1/...)
           hello        hello-world ceiling: same request shapes, trivial server
"""
from __future__ import annotations

import argparse
import datetime as _dt
import http.client
import ipaddress
import json
import math
import random
import re
import socket
import sys
import threading
import time
import urllib.parse
from collections import Counter

OPS = ("create", "list", "get", "update")

_WORDS = (
    "printer network vpn laptop password reset email outage slow login access "
    "account license install update error screen keyboard mouse monitor server "
    "backup restore disk quota share folder permission phone headset meeting"
).split()


def text(rng: random.Random, n_words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(n_words))


class Req:
    """One HTTP request an adapter wants sent.

    An operation is one Req, or a list of Reqs sent in order (see the module doc).
    path    - a string, or a callable(state) -> string evaluated just before the
              request is sent; `state` is a dict private to the sending worker
              (client thread), e.g. to carry a paging cursor to its next request
    headers - extra headers for this request only (e.g. another caller's token)
    after   - optional callable(state, status, body), run once the answer is read
    """

    __slots__ = ("method", "path", "body", "ok", "headers", "after")

    def __init__(self, method, path, body=None, ok=(200,), headers=None, after=None):
        self.method = method
        self.path = path
        self.body = body  # dict -> JSON, or None
        self.ok = ok      # status codes counted as success
        self.headers = headers
        self.after = after

    def path_for(self, state) -> str:
        return self.path(state) if callable(self.path) else self.path


def op_requests(op) -> tuple:
    """The requests of one operation (a Req or a sequence of Reqs)."""
    return tuple(op) if isinstance(op, (list, tuple)) else (op,)


# --------------------------------------------------------------------------- #
# Adapters                                                                     #
# --------------------------------------------------------------------------- #
class Adapter:
    """Maps the abstract workload onto one API. Subclass and override."""

    name = "base"
    page_size = None  # if known, list pages are clamped to the tickets created in this run
    list_pages = 1    # set by main() before the list phase: pages cycle 1..list_pages

    def __init__(self, opts):
        self.opts = opts

    def headers(self) -> dict:
        return {}

    def create(self, i: int, rng: random.Random) -> Req:
        raise NotImplementedError

    def created_id(self, i: int, status: int, body: bytes):
        """Ticket id from a create response (None if not parseable)."""
        try:
            return json.loads(body)["id"]
        except Exception:
            return None

    def list(self, i: int, page: int) -> Req:
        raise NotImplementedError

    def get(self, i: int, ticket_id) -> Req:
        raise NotImplementedError

    def update(self, i: int, ticket_id, rng: random.Random) -> Req:
        raise NotImplementedError

    # Used only when the run has no create phase: page through the list
    # endpoint to find existing ticket ids.
    def discover(self, client, max_pages: int = 40) -> list:
        found_ids = []
        for page in range(1, max_pages + 1):
            status, body = client.send(self.discover_request(page))
            if status != 200:
                break
            found = self.discover_ids(status, body)
            if not found:
                break
            found_ids.extend(found)
        return found_ids

    def discover_request(self, page: int) -> Req:
        return self.list(0, page)

    def discover_ids(self, status: int, body: bytes) -> list:
        try:
            doc = json.loads(body)
        except Exception:
            return []
        items = doc.get("results", doc.get("items", doc)) if isinstance(doc, dict) else doc
        return [t["id"] for t in items if isinstance(t, dict) and "id" in t]

    @staticmethod
    def ticket_fields(i: int, rng: random.Random) -> dict:
        """The same logical ticket for every adapter (deterministic per seed)."""
        return {
            "title": "Bench %d: %s" % (i, text(rng, 5)),
            "description": text(rng, 60),          # ~400 characters
            "priority": (i % 5) + 1,               # 1 (critical) .. 5 (very low)
            "submitter_email": "user%03d@example.com" % (i % 200),
        }


class HelpdeskAdapter(Adapter):
    """django-helpdesk 2.6.x REST API (helpdesk/urls.py DefaultRouter at 'api/',
    helpdesk/views/api.py, helpdesk/serializers.py).

    create : POST /api/tickets/    {"queue","title","description","submitter_email","priority"} -> 201
    list   : GET  /api/tickets/?status=1,2&page=P  (DRF PageNumberPagination, 25/page;
             status is filtered by the numeric codes OPEN=1, REOPENED=2)          -> 200
    get    : GET  /api/tickets/<id>/                                                 -> 200
    update : POST /api/followups/  {"ticket","comment","public","new_status":3}      -> 201
             (FollowUpSerializer.create -> helpdesk.update_ticket: adds the follow-up
             and moves the ticket to RESOLVED=3; "title" is omitted on purpose, since
             update_ticket would rename the ticket to it)
    auth   : Authorization: Token <DRF authtoken key> (setup_peer.sh)
    """

    name = "helpdesk"
    page_size = 25  # helpdesk.views.api.ConservativePagination

    def __init__(self, opts):
        super().__init__(opts)
        if not opts.token or opts.queue is None:
            raise SystemExit("helpdesk adapter needs --token and --queue (or --peer-config)")
        self.queue = int(opts.queue)

    def headers(self):
        return {"Authorization": "Token " + self.opts.token}

    def create(self, i, rng):
        body = self.ticket_fields(i, rng)
        body["queue"] = self.queue
        return Req("POST", "/api/tickets/", body, ok=(201,))

    def list(self, i, page):
        return Req("GET", "/api/tickets/?status=1,2&page=%d" % page)

    def get(self, i, ticket_id):
        return Req("GET", "/api/tickets/%d/" % int(ticket_id))

    def update(self, i, ticket_id, rng):
        body = {
            "ticket": int(ticket_id),
            "comment": "Bench follow-up %d: %s" % (i, text(rng, 20)),
            "public": True,
            "new_status": 3,  # RESOLVED
        }
        return Req("POST", "/api/followups/", body, ok=(201,))

    def discover_request(self, page):
        return Req("GET", "/api/tickets/?page=%d" % page)


class ServiceDeskAdapter(Adapter):
    """KPK Service Desk, the new Flask + SQLAlchemy + flask-smorest service desk
    (its README and the served /api/v1/openapi.json; servicedesk/tickets/api.py).

    callers: create as a demo END USER of an owner organisation (--create-token) for
             a service that organisation's agreement covers (--service-id), so the
             in-house gate, routing and the SLA clocks all run; list, get and update
             as a DESK AGENT of that service's provider (--token). Both are bearer
             tokens from `servicedesk token create EMAIL` (bootstrap_ours.py writes
             them into the --peer-config JSON: token, create_token, service_id).
    create : POST /api/v1/tickets {"title", "description" (~400 chars), "service_id",
             "impact", "urgency"} -> 201. Title/description as the peer's. End users
             cannot set a priority: the peer's priority 1..5 becomes impact/urgency
             high/high (P1), high/medium (P2), medium/medium (P3), medium/low (P4),
             low/low (P4).
    list   : GET /api/v1/tickets?status=new&status=assigned&status=in_progress
             &status=waiting_for_customer&status=escalated_to_supplier&limit=25
             [&cursor=C] -> 200. The API pages by keyset cursor (no page numbers):
             each worker walks pages 1..P by sending the next_cursor of its own
             previous answer, then starts again at page 1 (P = the peer's page
             cycle, 10 by default). Still one request per operation.
    get    : GET /api/v1/tickets/<id> -> 200 (single-ticket answer incl. time split)
    update : --update-mode two (default; JSON op "update"): ONE operation of TWO requests:
             POST  /api/v1/tickets/<id>/comments {"body"}   -> 201 (public reply)
             PATCH /api/v1/tickets/<id> {"status": "resolved"}, If-Match: * -> 200
             PATCH requires If-Match (428 without); the view accepts "*" as well as
             the ticket's ETag, and the comment already changed the version, so "*"
             is the minimum that needs no extra GET.
             --update-mode one (JSON op "update-one"): the one-request reply and resolve,
             POST /api/v1/tickets/<id>/comments {"body", "status": "resolved"} -> 201.
             --update-mode both: the two-request phase, then the one-request phase on
             other tickets (distinct while 2 x U <= the tickets created), in one run.
    auth   : Authorization: Bearer <token>
    """

    name = "servicedesk"
    page_size = 25  # the list request asks for limit=25, as the peer's DRF page
    OPEN_STATUSES = ("new", "assigned", "in_progress", "waiting_for_customer",
                     "escalated_to_supplier")
    # peer priority 1..5 -> (impact, urgency)
    LEVELS = {1: ("high", "high"), 2: ("high", "medium"), 3: ("medium", "medium"),
              4: ("medium", "low"), 5: ("low", "low")}
    _CURSOR_RE = re.compile(rb'"next_cursor"\s*:\s*(null|"[^"]*")')

    def __init__(self, opts):
        super().__init__(opts)
        if not opts.token or not opts.create_token or opts.service_id is None:
            raise SystemExit("servicedesk adapter needs --token (desk agent), --create-token "
                             "(end user) and --service-id (or --peer-config)")
        self.service_id = int(opts.service_id)
        self.create_headers = {"Authorization": "Bearer " + opts.create_token}
        self.list_base = "/api/v1/tickets?%s&limit=%d" % (
            "&".join("status=" + s for s in self.OPEN_STATUSES), self.page_size)

    def headers(self):
        return {"Authorization": "Bearer " + self.opts.token}

    def create(self, i, rng):
        fields = self.ticket_fields(i, rng)
        impact, urgency = self.LEVELS[fields["priority"]]
        body = {"title": fields["title"], "description": fields["description"],
                "service_id": self.service_id, "impact": impact, "urgency": urgency}
        return Req("POST", "/api/v1/tickets", body, ok=(201,), headers=self.create_headers)

    @classmethod
    def next_cursor(cls, body):
        """next_cursor of a list answer (keys are sorted, so it is at the end)."""
        m = cls._CURSOR_RE.search(body, max(0, len(body) - 400))
        if m is None:
            try:
                return json.loads(body).get("next_cursor")
            except Exception:
                return None
        return None if m.group(1) == b"null" else m.group(1)[1:-1].decode()

    def list(self, i, page):
        # `page` is not used: the worker's own cursor decides the page (see the class doc).
        def path(state):
            cursor = state.get("cursor")
            return self.list_base + ("&cursor=" + cursor if cursor else "")

        def after(state, status, body):
            n = state.get("page", 1)
            cursor = self.next_cursor(body) if status == 200 else None
            if cursor and n < self.list_pages:
                state["cursor"], state["page"] = cursor, n + 1
            else:
                state["cursor"], state["page"] = None, 1

        return Req("GET", path, after=after)

    def get(self, i, ticket_id):
        return Req("GET", "/api/v1/tickets/%d" % int(ticket_id))

    update_mode = "two"  # main() sets it per update phase (--update-mode)

    def update(self, i, ticket_id, rng):
        tid = int(ticket_id)
        comment = {"body": "Bench follow-up %d: %s" % (i, text(rng, 20))}
        if self.update_mode == "one":
            return Req("POST", "/api/v1/tickets/%d/comments" % tid,
                       {**comment, "status": "resolved"}, ok=(201,))
        return [
            Req("POST", "/api/v1/tickets/%d/comments" % tid, comment, ok=(201,)),
            Req("PATCH", "/api/v1/tickets/%d" % tid, {"status": "resolved"},
                headers={"If-Match": "*"}),
        ]

    def discover(self, client, max_pages: int = 40) -> list:
        found_ids, state = [], {}
        for _ in range(max_pages):
            cursor = state.get("cursor")
            req = Req("GET", self.list_base + ("&cursor=" + cursor if cursor else ""))
            status, body = client.send(req)
            if status != 200:
                break
            found_ids.extend(self.discover_ids(status, body))
            state["cursor"] = self.next_cursor(body)
            if not state["cursor"]:
                break
        return found_ids


class HelloAdapter(Adapter):
    """Ceiling of the stack: the same methods and JSON bodies as the helpdesk
    adapter, sent to hello_app.py, which answers every request with a fixed
    'Hello, World!' (200) and does no other work. Ticket ids are synthetic."""

    name = "hello"

    def create(self, i, rng):
        body = self.ticket_fields(i, rng)
        body["queue"] = 1
        return Req("POST", "/api/tickets/", body)

    def created_id(self, i, status, body):
        return i + 1

    def list(self, i, page):
        return Req("GET", "/api/tickets/?status=1,2&page=%d" % page)

    def get(self, i, ticket_id):
        return Req("GET", "/api/tickets/%d/" % int(ticket_id))

    def update(self, i, ticket_id, rng):
        body = {"ticket": int(ticket_id), "comment": text(rng, 20), "public": True, "new_status": 3}
        return Req("POST", "/api/followups/", body)

    def discover_ids(self, status, body):
        return list(range(1, 101))


ADAPTERS = {a.name: a for a in (HelpdeskAdapter, ServiceDeskAdapter, HelloAdapter)}


# --------------------------------------------------------------------------- #
# HTTP client                                                                  #
# --------------------------------------------------------------------------- #
def require_loopback(host: str) -> None:
    try:
        addrs = {ai[4][0] for ai in socket.getaddrinfo(host, None)}
    except socket.gaierror as exc:
        raise SystemExit("cannot resolve %r: %s" % (host, exc))
    bad = [a for a in addrs if not ipaddress.ip_address(a.split("%")[0]).is_loopback]
    if not addrs or bad:
        raise SystemExit("refusing non-loopback target %r (%s)" % (host, ", ".join(sorted(addrs))))


class Client:
    """One HTTP/1.1 connection (re-opened automatically when the server closes
    it, e.g. gunicorn sync workers send 'Connection: close')."""

    RETRYABLE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)

    def __init__(self, host, port, timeout, headers):
        self.conn = http.client.HTTPConnection(host, port, timeout=timeout)
        self.base_headers = {"Accept": "application/json", "User-Agent": "peer-load/1"}
        self.base_headers.update(headers)
        self.retries = 0

    def send(self, req: Req, state=None):
        headers = dict(self.base_headers)
        if req.headers:
            headers.update(req.headers)
        path = req.path_for(state if state is not None else {})
        payload = None
        if req.body is not None:
            payload = json.dumps(req.body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (0, 1):
            reused = self.conn.sock is not None
            try:
                self.conn.request(req.method, path, body=payload, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                if resp.will_close:
                    self.conn.close()
                return resp.status, data
            except self.RETRYABLE:
                # A kept-alive connection the server had already closed: retry once.
                self.conn.close()
                if attempt == 0 and reused:
                    self.retries += 1
                    continue
                raise
            except Exception:
                self.conn.close()
                raise

    def close(self):
        self.conn.close()


def send_op(client, op, state, statuses):
    """Send one operation's requests in order, stopping at the first unexpected
    status. Every status received is appended to `statuses`. Returns
    (None, status, body) on success (status/body of the last request), else
    (step, status, body) of the failing request (step counts from 1)."""
    status, body = None, b""
    for step, req in enumerate(op_requests(op), 1):
        status, body = client.send(req, state)
        statuses.append(status)
        if req.after is not None:
            req.after(state, status, body)
        if status not in req.ok:
            return step, status, body
    return None, status, body


def percentile(sorted_vals, q):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_vals:
        return None
    k = max(0, math.ceil(q / 100.0 * len(sorted_vals)) - 1)
    return sorted_vals[k]


def run_phase(op, n, make_req, on_ok, opts, headers, deadline):
    """Run n operations (make_req(i) -> a Req or a list of Reqs) with opts.concurrency
    threads; each thread has its own connection and its own state dict."""
    lock = threading.Lock()
    next_i = [0]
    lat_ok, statuses, errors = [], Counter(), Counter()
    retries = [0]
    phase_deadline = min(deadline, time.monotonic() + opts.phase_time_limit)
    barrier = threading.Barrier(opts.concurrency + 1)
    truncated = [False]

    def worker():
        client = Client(opts.host, opts.port, opts.request_timeout, headers)
        local_lat, local_status, local_err = [], Counter(), Counter()
        state = {}  # this worker's own (e.g. its paging cursor)
        barrier.wait()
        while True:
            with lock:
                i = next_i[0]
                if i >= n:
                    break
                if time.monotonic() >= phase_deadline:
                    truncated[0] = True
                    break
                next_i[0] += 1
            req = make_req(i)
            reqs = op_requests(req)
            got = []
            t0 = time.perf_counter()
            try:
                failed, status, body = send_op(client, req, state, got)
            except Exception as exc:  # timeouts, refused, reset...
                local_status.update(got)
                local_err["exc:" + type(exc).__name__] += 1
                continue
            dt = time.perf_counter() - t0
            local_status.update(got)
            if failed is None:
                local_lat.append(dt)
                if on_ok is not None:
                    on_ok(i, status, body)
            else:
                bad = reqs[failed - 1]
                kind = "http:%d" % status if len(reqs) == 1 else "step%d %s:http:%d" % (
                    failed, bad.method, status)
                local_err[kind] += 1
                if opts.verbose and local_err[kind] <= 2:
                    sys.stderr.write("[%s] %s %s -> %d %s\n" % (
                        op, bad.method, bad.path_for(state), status, body[:300]))
        client.close()
        with lock:
            lat_ok.extend(local_lat)
            statuses.update(local_status)
            errors.update(local_err)
            retries[0] += client.retries

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(opts.concurrency)]
    for t in threads:
        t.start()
    barrier.wait()
    t_start = time.perf_counter()
    hard_stop = phase_deadline + opts.request_timeout + 5
    for t in threads:
        t.join(max(0.0, hard_stop - time.monotonic()))
    wall = time.perf_counter() - t_start
    stuck = sum(t.is_alive() for t in threads)
    lat_ok.sort()
    ms = lambda v: None if v is None else round(v * 1000.0, 2)  # noqa: E731
    ok = len(lat_ok)
    http_requests = sum(statuses.values())
    return {
        "op": op,
        "requests_planned": n,  # operations (each one or more HTTP requests)
        "requests_sent": next_i[0],
        "requests_per_op": len(op_requests(make_req(0))) if n else None,
        "http_requests": http_requests,
        "ok": ok,
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "status_counts": {str(k): v for k, v in sorted(statuses.items())},
        "concurrency": opts.concurrency,
        "wall_s": round(wall, 3),
        "throughput_rps": round(ok / wall, 2) if wall > 0 else None,
        "http_rps": round(http_requests / wall, 2) if wall > 0 else None,
        "p50_ms": ms(percentile(lat_ok, 50)),
        "p95_ms": ms(percentile(lat_ok, 95)),
        "p99_ms": ms(percentile(lat_ok, 99)),
        "mean_ms": ms(sum(lat_ok) / ok) if ok else None,
        "max_ms": ms(lat_ok[-1]) if ok else None,
        "retries": retries[0],
        "truncated": truncated[0] or stuck > 0,
        "stuck_threads": stuck,
    }


# --------------------------------------------------------------------------- #
# Main                                                                         #
# --------------------------------------------------------------------------- #
def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--target", choices=sorted(ADAPTERS), required=True)
    p.add_argument("--base-url", help="default: from --peer-config, else http://127.0.0.1:8801")
    p.add_argument("--peer-config", help="JSON written by setup_peer.sh (base_url, token, queue_id)")
    p.add_argument("--token", help="API token (helpdesk: DRF token key; servicedesk: desk agent)")
    p.add_argument("--create-token", help="token for the create phase (servicedesk: the end "
                   "user who files the tickets)")
    p.add_argument("--queue", help="queue id for created tickets")
    p.add_argument("--service-id", help="servicedesk: catalogue service id of created tickets")
    p.add_argument("--creates", type=int, default=2000, help="N tickets to create")
    p.add_argument("--lists", type=int, default=500, help="M paged list requests")
    p.add_argument("--gets", type=int, default=1000, help="single-ticket fetches")
    p.add_argument("--updates", type=int, default=500, help="comment+status updates")
    p.add_argument("--update-mode", choices=("two", "one", "both"), default="two",
                   help="servicedesk: update as comment + PATCH (two, op 'update'), as one "
                        "comment with a status (one, op 'update-one'), or both phases in turn")
    p.add_argument("--concurrency", "-c", type=int, default=8, help="C concurrent clients")
    p.add_argument("--list-pages", type=int, default=10, help="list requests cycle pages 1..this")
    p.add_argument("--ops", default=",".join(OPS), help="subset/order of phases, e.g. list,get")
    p.add_argument("--time-limit", type=float, default=1800.0, help="hard limit for the whole run (s)")
    p.add_argument("--phase-time-limit", type=float, default=900.0, help="hard limit per phase (s)")
    p.add_argument("--request-timeout", type=float, default=60.0, help="socket timeout per request (s)")
    p.add_argument("--warmup", type=int, default=0, help="untimed GET requests of the list op first")
    p.add_argument("--seed", type=int, default=12345)
    p.add_argument("--label", default="", help="free text copied into every JSON line")
    p.add_argument("--out", help="append JSON lines here as well")
    p.add_argument("--smoke", action="store_true", help="tiny counts (20/5/20/10, page 1) to check an adapter")
    p.add_argument("--verbose", "-v", action="store_true", help="print first failing responses")
    opts = p.parse_args(argv)

    cfg = {}
    if opts.peer_config:
        with open(opts.peer_config) as fh:
            cfg = json.load(fh)
    opts.base_url = opts.base_url or cfg.get("base_url") or "http://127.0.0.1:8801"
    opts.token = opts.token or cfg.get("token")
    opts.queue = opts.queue if opts.queue is not None else cfg.get("queue_id")
    opts.create_token = opts.create_token or cfg.get("create_token")
    opts.service_id = opts.service_id if opts.service_id is not None else cfg.get("service_id")
    if opts.smoke:
        opts.creates, opts.lists, opts.gets, opts.updates = 20, 5, 20, 10
        opts.list_pages = 1
    u = urllib.parse.urlsplit(opts.base_url)
    if u.scheme != "http" or not u.hostname:
        raise SystemExit("--base-url must be http://<loopback>:<port>")
    opts.host, opts.port = u.hostname, u.port or 80
    require_loopback(opts.host)
    opts.ops = [o.strip() for o in opts.ops.split(",") if o.strip()]
    for o in opts.ops:
        if o not in OPS:
            raise SystemExit("unknown op %r (choose from %s)" % (o, ", ".join(OPS)))
    if opts.concurrency < 1:
        raise SystemExit("--concurrency must be >= 1")
    if opts.update_mode != "two" and opts.target != "servicedesk":
        raise SystemExit("--update-mode one|both is for --target servicedesk (others: one request)")
    return opts


def main(argv=None):
    opts = parse_args(argv)
    adapter = ADAPTERS[opts.target](opts)
    headers = adapter.headers()
    deadline = time.monotonic() + opts.time_limit
    rng_master = random.Random(opts.seed)
    out = open(opts.out, "a") if opts.out else None
    created = {}  # i -> id
    created_lock = threading.Lock()
    ticket_ids: list = []
    started = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")

    def emit(rec):
        rec = {"ts": started, "label": opts.label, "target": opts.target,
               "base_url": opts.base_url, **rec}
        line = json.dumps(rec, sort_keys=False)
        print(line, flush=True)
        if out:
            out.write(line + "\n")
            out.flush()

    def ids():
        if not ticket_ids:
            ticket_ids.extend(v for _, v in sorted(created.items()) if v is not None)
        if not ticket_ids:  # no create phase: discover existing tickets
            client = Client(opts.host, opts.port, opts.request_timeout, headers)
            ticket_ids.extend(adapter.discover(client))
            client.close()
        if not ticket_ids:
            raise SystemExit("no ticket ids available for get/update")
        return ticket_ids

    if opts.warmup:
        client = Client(opts.host, opts.port, opts.request_timeout, headers)
        state = {}
        for w in range(opts.warmup):
            try:
                send_op(client, adapter.list(w, 1), state, [])
            except Exception:
                pass
        client.close()

    for op in opts.ops:
        if time.monotonic() >= deadline:
            emit({"op": op, "skipped": "global time limit reached"})
            continue
        if op == "create":
            n = opts.creates
            # Bodies built up front (deterministic), so client CPU is not in the timing.
            rng = random.Random(rng_master.random())
            reqs = [adapter.create(i, rng) for i in range(n)]

            def on_ok(i, status, body):
                tid = adapter.created_id(i, status, body)
                with created_lock:
                    created[i] = tid

            rec = run_phase(op, n, reqs.__getitem__, on_ok, opts, headers, deadline)
            ticket_ids.clear()
        elif op == "list":
            n = opts.lists
            pages = max(1, opts.list_pages)
            n_created = sum(1 for v in created.values() if v is not None)
            if adapter.page_size and n_created:
                pages = max(1, min(pages, n_created // adapter.page_size))
            adapter.list_pages = pages
            reqs = [adapter.list(i, (i % pages) + 1) for i in range(n)]
            rec = run_phase(op, n, reqs.__getitem__, None, opts, headers, deadline)
        elif op == "get":
            n = opts.gets
            pool = ids()
            rng = random.Random(rng_master.random())
            reqs = [adapter.get(i, pool[rng.randrange(len(pool))]) for i in range(n)]
            rec = run_phase(op, n, reqs.__getitem__, None, opts, headers, deadline)
        else:  # update: one phase, or two (--update-mode both) on distinct tickets
            n = opts.updates
            pool = list(ids())
            rng = random.Random(rng_master.random())
            rng.shuffle(pool)  # distinct tickets while n (x phases) <= len(pool)
            modes = ("two", "one") if opts.update_mode == "both" else (opts.update_mode,)
            for k, mode in enumerate(modes):
                adapter.update_mode = mode
                reqs = [adapter.update(i, pool[(k * n + i) % len(pool)], rng) for i in range(n)]
                name = "update" if mode == "two" else "update-one"
                rec = run_phase(name, n, reqs.__getitem__, None, opts, headers, deadline)
                rec["update_mode"] = mode
                if mode != modes[-1]:
                    emit(rec)
        emit(rec)

    if out:
        out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
