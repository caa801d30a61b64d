"""Bulk benchmark data: N believable tickets on top of the demo's catalogue, fast.

The demo makes its few hundred tickets through the real operations; that costs ~25
statements a ticket, far too slow for a million. This module writes the rows the
operations would have written, in bulk: tickets, their event history in the same JSON
shapes, public comments, the response and resolution clocks (the cached evaluation
computed by the pure `sla.clock.evaluate`, exactly as `sla.tracking` stores it), and the
warnings and breaches the scheduler would have recorded by now, so a sweep tick finds
nothing due. Ids are taken up front and assigned here; on PostgreSQL the rows go in with
`COPY`, on SQLite with `executemany`, all in one transaction.

What it decides from the database (the demo's data, through the same queries the app
uses): which organisation is entitled to which service (the in-house gate, as of now),
routing (the real rules), promise lines and calendars. What it does not make: supplier
escalations, update cycles and outbox mail of past alerts (already sent, in production
long purged).
"""

from __future__ import annotations

import bisect
import itertools
import json
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, func, insert, select, text
from sqlalchemy.orm import Session

from catalog.agreements.models import IN_FORCE_STATES, AgreementVersion
from catalog.agreements.queries import entitlement_for, promise_for
from catalog.gate import Refusal
from catalog.groups.models import group_members
from catalog.organisations.models import Organisation
from catalog.services.models import Service
from servicedesk.demo import TICKET_TEXTS
from servicedesk.enums import CUSTOMER_ROLES, Role
from servicedesk.tickets import routing
from servicedesk.tickets.models import (
    SLA_SORT_NONE,
    Comment,
    Ticket,
    TicketEvent,
    TicketNumberCounter,
)
from servicedesk.tickets.numbers import format_number
from servicedesk.tickets.priority import priority_for
from servicedesk.users.models import User
from sla.alert_schedule import AlertInputs, alert_bit, next_alert_at
from sla.calendar import Calendar, due_instant
from sla.clock import ClockEvent, ClockState, EventType, evaluate
from sla.models import SlaAlert, SlaClock
from sla.tracking import calendar_for, iso

HELSINKI = ZoneInfo("Europe/Helsinki")
OPEN_STATUSES = ("new", "assigned", "in_progress", "waiting_for_customer")
#: Share of open tickets by age in days (upper bound): recent tickets are often open.
OPEN_BY_AGE = ((1, 0.75), (7, 0.45), (30, 0.2), (90, 0.08), (None, 0.02))
OPEN_MIX = (("new", 20), ("assigned", 25), ("in_progress", 40), ("waiting_for_customer", 15))
CHANNELS = (("portal", 50), ("email", 25), ("phone", 15), ("api", 10))
#: Local receipt hours, weighted like a desk's day (mostly office hours).
HOURS = (7, 8, 8, 9, 9, 9, 10, 10, 10, 11, 11, 12, 13, 13, 14, 14, 15, 16, 18, 21)
#: Words that make titles and descriptions differ (none is a routing keyword).
EXTRA_WORDS = (
    "koulu",
    "päiväkoti",
    "kirjasto",
    "kaupungintalo",
    "terveysasema",
    "vanhuspalvelut",
    "tekninen toimi",
    "skola",
    "daghem",
    "bibliotek",
    "stadshuset",
    "library",
    "town hall",
    "kiireellinen",
    "brådskande",
    "urgent",
    "aamulla",
    "iltapäivällä",
    "på morgonen",
    "since Monday",
    "useampi käyttäjä",
    "flera användare",
    "several users",
    "toistuva",
    "återkommande",
    "recurring",
)
DESK_REPLIES = (
    "Kiitos ilmoituksesta, selvitämme asiaa.",
    "Tack för anmälan, vi utreder saken.",
    "Thanks, we are looking into it.",
    "Korjattu: välimuisti tyhjennetty ja käyttöoikeudet päivitetty.",
)
DESK_QUESTIONS = (
    "Voisitko kertoa tarkemmin, milloin ongelma alkoi ja näkyykö virheilmoitusta?",
    "Kan du berätta när problemet började?",
)
REQUESTER_ANSWERS = ("Alkoi eilen aamulla, ei virhettä.", "Det började i går morse.")
#: What a stop or a pause may follow (a second stop is no event: the clock is stopped).
_MAY_FOLLOW = {"stop": ("start", "resume", "pause"), "pause": ("start", "resume")}
AUTO_CLOSE_REASON = "resolved over 5 business days ago"
#: Share of resolved tickets their requester rates, and the scores' weights (mostly content).
RATED_SHARE = 0.3
SCORE_WEIGHTS = ((5, 45), (4, 30), (3, 12), (2, 8), (1, 5))
LOW_COMMENTS = ("Kesti liian kauan.", "Det tog för lång tid.", "Took too long, twice.")


class NotReady(RuntimeError):
    """The database lacks what the generator builds on (the demo's catalogue)."""


@dataclass(frozen=True)
class Promise:
    id: int
    calendar_id: int
    response_minutes: int | None
    resolution_minutes: int | None
    warning_percent: int


@dataclass(frozen=True)
class Route:
    group_id: int | None
    assignee_id: int | None
    data: dict[str, Any]


@dataclass(frozen=True)
class Offer:
    """One service an organisation may file tickets for, with what it implies."""

    organisation_id: int
    service_id: int
    provider: str
    texts: tuple[tuple[str, str, str, str, str], ...]


@dataclass
class Catalogue:
    """The demo's catalogue as plain values, with the slow lookups memoised."""

    offers: list[Offer]
    offer_weights: list[float]
    requesters: dict[int, list[int]]
    agents: dict[int | None, list[int]]  # by group; None: every agent
    provider_agents: dict[str, list[int]]
    versions: dict[int, list[tuple[date, int]]]  # org -> (valid_from, version id), sorted
    routes: dict[tuple[int, int, str, str, str], Route] = field(default_factory=dict)
    promises: dict[tuple[int, int, str], Promise | None] = field(default_factory=dict)
    calendars: dict[int, Calendar] = field(default_factory=dict)


@dataclass
class Summary:
    tickets: int = 0
    events: int = 0
    comments: int = 0
    clocks: int = 0
    running_clocks: int = 0
    alerts: int = 0
    open_tickets: int = 0
    elapsed_seconds: float = 0.0


@dataclass
class Batch:
    tickets: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    clocks: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)


def _zipf(n: int, s: float = 1.0) -> list[float]:
    return [1.0 / (i + 1) ** s for i in range(n)]


def load_catalogue(sess: Session, now: datetime) -> Catalogue:
    """Read the demo's organisations, services, people and agreements; refuse without them."""
    services = list(sess.scalars(select(Service).where(Service.retired_at.is_(None))))
    texts = {
        code: tuple(t for t in rows if t[4] in ("incident", "service_request"))
        for code, rows in TICKET_TEXTS.items()
    }
    services = [s for s in services if texts.get(s.code)]
    orgs = list(sess.scalars(select(Organisation).order_by(Organisation.id)))
    users = list(sess.scalars(select(User).where(User.active.is_(True)).order_by(User.id)))
    requesters: dict[int, list[int]] = {}
    for u in users:
        if u.role_enum in CUSTOMER_ROLES and u.organisation_id is not None:
            requesters.setdefault(u.organisation_id, []).append(u.id)
    provider_agents: dict[str, list[int]] = {}
    for u in users:
        if u.role_enum is Role.AGENT and u.provider:
            provider_agents.setdefault(u.provider, []).append(u.id)
    agents: dict[int | None, list[int]] = {}
    for group_id, user_id in sess.execute(
        select(group_members.c.group_id, group_members.c.user_id).order_by(
            group_members.c.group_id, group_members.c.user_id
        )
    ):
        agents.setdefault(group_id, []).append(user_id)
    offers: list[Offer] = []
    weights: list[float] = []
    org_weights = {o.id: float(o.residents or 5000) for o in orgs}
    for org in orgs:
        if not requesters.get(org.id):
            continue
        mine = [
            s for s in services if not isinstance(entitlement_for(sess, org.id, s, now), Refusal)
        ]
        rng = random.Random(org.id)  # each organisation leans on its own few services
        rng.shuffle(mine)
        for s, w in zip(mine, _zipf(len(mine), 0.8), strict=True):
            offers.append(Offer(org.id, s.id, s.provider, texts[s.code]))
            weights.append(org_weights[org.id] * w)
    if not offers or not provider_agents:
        raise NotReady(
            "No organisation is entitled to a service, or there are no agents: "
            "load the demo first (`servicedesk demo`)."
        )
    versions: dict[int, list[tuple[date, int]]] = {}
    for row in sess.execute(
        select(AgreementVersion.organisation_id, AgreementVersion.valid_from, AgreementVersion.id)
        .where(AgreementVersion.state.in_(IN_FORCE_STATES))
        .order_by(AgreementVersion.organisation_id, AgreementVersion.valid_from)
    ):
        versions.setdefault(row[0], []).append((row[1], row[2]))
    return Catalogue(offers, weights, requesters, agents, provider_agents, versions)


def _version_at(cat: Catalogue, org_id: int, day: date) -> int | None:
    """The agreement version in force on `day`; before the first one, the first one (the
    demo's agreements begin in 2025, the generated history may begin earlier)."""
    rows = cat.versions.get(org_id)
    if not rows:
        return None
    i = bisect.bisect_right([d for d, _ in rows], day) - 1
    return rows[max(i, 0)][1]


def _route(sess: Session, cat: Catalogue, offer: Offer, kind: str, title: str, desc: str) -> Route:
    key = (offer.organisation_id, offer.service_id, kind, title, desc)
    found = cat.routes.get(key)
    if found is None:
        service = sess.get(Service, offer.service_id)
        probe = Ticket(
            organisation_id=offer.organisation_id,
            service_id=offer.service_id,
            provider=offer.provider,
            type=kind,
            title=title,
            description=desc,
        )
        probe.service = service
        decision = routing.decide_for(sess, probe)
        routing.apply_decision(probe, decision)
        found = Route(
            probe.group_id,
            probe.assignee_id,
            {
                "route": decision.kind.value,
                "rule_id": decision.rule_id,
                "reason": decision.reason,
                "changes": {
                    "group_id": {"before": None, "after": probe.group_id},
                    "assignee_id": {"before": None, "after": probe.assignee_id},
                },
            },
        )
        cat.routes[key] = found
    return found


def _promise(
    sess: Session, cat: Catalogue, version_id: int | None, service_id: int, priority: str
) -> Promise | None:
    key = (version_id or 0, service_id, priority)
    if key not in cat.promises:
        row = promise_for(sess, version_id, sess.get(Service, service_id), priority)
        cat.promises[key] = (
            None
            if row is None
            else Promise(
                row.id,
                row.calendar_id,
                row.response_minutes,
                row.resolution_minutes,
                row.warning_percent,
            )
        )
        if row is not None and row.calendar_id not in cat.calendars:
            cat.calendars[row.calendar_id] = calendar_for(sess, row.calendar_id)
    return cat.promises[key]


def warm(sess: Session, cat: Catalogue) -> None:
    """Decide every route and promise line the tickets can need, so the generator itself
    needs no database (it runs in worker processes)."""
    for offer in cat.offers:
        for title, desc, impact, urgency, kind in offer.texts:
            _route(sess, cat, offer, kind, title, desc)
            for _, version_id in cat.versions.get(offer.organisation_id, [(None, None)]):
                _promise(sess, cat, version_id, offer.service_id, priority_for(impact, urgency))


def receipt_instants(
    rng: random.Random, count: int, years: float, now: datetime
) -> Iterator[datetime]:
    """`count` instants of receipt in time order over `years` back from `now`: weekdays
    busier than weekends, office hours busier than nights, and the desk growing (a third
    more tickets at the end of the span than at its start)."""
    end = now - timedelta(minutes=5)
    first = (end - timedelta(days=round(365 * years))).astimezone(HELSINKI).date()
    last = end.astimezone(HELSINKI).date()
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    weights = [
        (0.12 if d.weekday() >= 5 else 1.0) * (1.0 + 0.33 * i / max(len(days) - 1, 1))
        for i, d in enumerate(days)
    ]
    total = sum(weights)
    made, acc = 0, 0.0
    for d, w in zip(days, weights, strict=True):
        acc += w
        k = round(count * acc / total) - made
        made += k
        moments = []
        for _ in range(k):
            local = datetime(
                d.year,
                d.month,
                d.day,
                rng.choice(HOURS),
                rng.randrange(60),
                rng.randrange(60),
                tzinfo=HELSINKI,
            )
            moments.append(min(local.astimezone(UTC), end - timedelta(seconds=rng.randrange(3600))))
        yield from sorted(moments)


def _pick(rng: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def _status_for(rng: random.Random, received: datetime, now: datetime) -> str:
    age = (now - received).total_seconds() / 86400
    share = next(p for limit, p in OPEN_BY_AGE if limit is None or age < limit)
    if rng.random() < share:
        return _pick(rng, OPEN_MIX)
    return "cancelled" if rng.random() < 0.03 else "closed"


@dataclass
class _Clock:
    kind: str
    promise: Promise
    target: int
    events: list[dict[str, Any]]


def rating(
    seed: int, ticket_id: int, resolved_at: datetime, closed_at: datetime | None, now: datetime
) -> tuple[int, str | None, datetime] | None:
    """The requester's rating of a resolved ticket (score, comment, when), or None.

    Decided by the ticket's id alone (its own random stream), so `add_ratings` gives an
    existing database the very ratings `generate` would have written: rated while resolved,
    before the close and before `now`.
    """
    rng = random.Random(f"rating-{seed}-{ticket_id}")
    if rng.random() >= RATED_SHARE:
        return None
    score = int(_pick(rng, [(str(s), w) for s, w in SCORE_WEIGHTS]))
    last = min(closed_at or now, now)
    if last <= resolved_at:
        return None
    at = resolved_at + (last - resolved_at) * rng.uniform(0.02, 0.9)
    comment = rng.choice(LOW_COMMENTS) if score <= 2 and rng.random() < 0.6 else None
    return score, comment, at


class Generator:
    """Makes the rows of one ticket at a time; ids come from counters set up front."""

    def __init__(
        self,
        cat: Catalogue,
        rng: random.Random,
        now: datetime,
        first_ids: dict[str, int],
        counters: dict[int, int],
        seed: int = 2026,
    ) -> None:
        self.cat, self.rng, self.now, self.seed = cat, rng, now, seed
        self.ids = {k: itertools.count(v) for k, v in first_ids.items()}
        self.counters = counters
        self.summary = Summary()
        self.cum_weights = list(itertools.accumulate(cat.offer_weights))

    def ticket(self, received: datetime, out: Batch) -> None:
        rng, now = self.rng, self.now
        offer = rng.choices(self.cat.offers, cum_weights=self.cum_weights)[0]
        title, desc, impact, urgency, kind = rng.choice(offer.texts)
        route = self.cat.routes[(offer.organisation_id, offer.service_id, kind, title, desc)]
        if rng.random() < 0.6:
            title = f"{title} ({rng.choice(EXTRA_WORDS)})"
        desc = f"{desc} {rng.choice(EXTRA_WORDS).capitalize()}, {rng.choice(EXTRA_WORDS)}."
        people = self.cat.requesters[offer.organisation_id]
        requester = rng.choices(people, _zipf(len(people), 0.7))[0]
        agents = self.cat.agents.get(route.group_id) or self.cat.provider_agents[offer.provider]
        agent = rng.choice(agents)
        channel = _pick(rng, CHANNELS)
        creator = agent if channel == "phone" else requester
        priority = priority_for(impact, urgency)
        version_id = _version_at(
            self.cat, offer.organisation_id, received.astimezone(HELSINKI).date()
        )
        promise = self.cat.promises[(version_id or 0, offer.service_id, priority)]
        status = _status_for(rng, received, now)
        if route.assignee_id is not None and status in OPEN_STATUSES:
            status = "new"  # routed to a person (an account manager): theirs to move

        year = received.year
        self.counters[year] = self.counters.get(year, 0) + 1
        tid = next(self.ids["tickets"])
        number = format_number(year, self.counters[year])
        events: list[dict[str, Any]] = []

        def event(
            at: datetime, kind: str, actor: int | None, data: dict[str, Any], internal: bool = False
        ) -> None:
            events.append(
                {
                    "ticket_id": tid,
                    "actor_id": actor,
                    "at": at,
                    "kind": kind,
                    "data": data,
                    "internal": internal,
                }
            )

        def comment(at: datetime, author: int, body: str) -> None:
            cid = next(self.ids["ticket_comments"])
            self.summary.comments += 1
            out.comments.append(
                {
                    "id": cid,
                    "ticket_id": tid,
                    "author_id": author,
                    "body": body,
                    "internal": False,
                    "escalation_id": None,
                    "created_at": at,
                }
            )
            event(at, "commented", author, {"comment_id": cid, "internal": False})

        def status_change(
            at: datetime, actor: int | None, before: str, after: str, **more: Any
        ) -> None:
            changes = {"status": {"before": before, "after": after}}
            changes.update(more)
            event(at, "updated", actor, {"changes": changes})

        event(
            received,
            "created",
            creator,
            {
                "number": number,
                "type": kind,
                "priority": priority,
                "impact": impact,
                "urgency": urgency,
                "service_id": offer.service_id,
                "channel": channel,
                "received_at": received.isoformat(),
            },
        )
        event(received, "routed", None, route.data, internal=True)

        clocks: list[_Clock] = []
        if promise is not None:
            for ck, target in (
                ("response", promise.response_minutes),
                ("resolution", promise.resolution_minutes),
            ):
                if target is not None:
                    clocks.append(
                        _Clock(
                            ck,
                            promise,
                            target,
                            [{"type": "start", "at": iso(received), "why": "ticket received"}],
                        )
                    )
        cal = self.cat.calendars.get(promise.calendar_id) if promise else None

        def stop(kind: str, at: datetime, type_: str, why: str) -> None:
            for c in clocks:
                if c.kind == kind or kind == "*":
                    last = c.events[-1]["type"]
                    if last not in _MAY_FOLLOW.get(type_, (last,)):
                        continue
                    c.events.append({"type": type_, "at": iso(at), "why": why})

        def business_goal(target: int | None, factor: float) -> datetime:
            """An instant at `factor` times the wall span to the clock's due instant."""
            if cal is None or target is None:
                return received + timedelta(hours=8 * factor)
            due = due_instant(cal, received, timedelta(minutes=target))
            return received + (due - received) * factor

        resolved_at = closed_at = None
        group_id, assignee = route.group_id, route.assignee_id
        version = 1
        if status in OPEN_STATUSES:
            span = now - received
            steps = sorted(received + span * rng.random() for _ in range(2))
            if status != "new":
                assignee = agent
                status_change(
                    steps[0], agent, "new", "assigned", assignee_id={"before": None, "after": agent}
                )
                version += 1
            if status == "in_progress":
                comment(steps[1], agent, rng.choice(DESK_REPLIES[:3]))
                stop("response", steps[1], "stop", "public reply by the desk")
                status_change(steps[1], agent, "assigned", "in_progress")
                version += 1
            elif status == "waiting_for_customer":
                comment(steps[1], agent, rng.choice(DESK_QUESTIONS))
                stop("response", steps[1], "stop", "public reply by the desk")
                status_change(steps[1], agent, "assigned", "waiting_for_customer")
                stop("resolution", steps[1], "pause", "waiting for the customer")
                version += 1
        elif status == "cancelled":
            at = min(received + timedelta(hours=rng.uniform(0.2, 48)), now - timedelta(minutes=1))
            status_change(at, requester, "new", "cancelled")
            stop("*", at, "cancel", "ticket cancelled")
            version += 1
        else:
            # Lognormal around 45 % of the span to the due instant: ~15 % breach.
            res_t = business_goal(
                promise.resolution_minutes if promise else None, rng.lognormvariate(-0.8, 0.75)
            )
            resp_t = business_goal(
                promise.response_minutes if promise else None, rng.lognormvariate(-0.9, 0.75)
            )
            latest = now - timedelta(minutes=2)
            if res_t > latest:  # would still be open: resolved by now, just
                res_t = received + (latest - received) * rng.uniform(0.5, 0.95)
            res_t = max(res_t, received + timedelta(minutes=2))
            assigned_t = received + (min(resp_t, res_t) - received) * rng.uniform(0.1, 0.6)
            assignee = agent
            before = "new"
            taken = {"assignee_id": {"before": None, "after": agent}}
            if rng.random() < 0.1:  # assigned, asked the customer, got an answer
                status_change(assigned_t, agent, "new", "assigned", **taken)
                ask = assigned_t + (res_t - assigned_t) * 0.3
                answer = assigned_t + (res_t - assigned_t) * 0.6
                comment(ask, agent, rng.choice(DESK_QUESTIONS))
                stop("response", ask, "stop", "public reply by the desk")
                status_change(ask, agent, "assigned", "waiting_for_customer")
                stop("resolution", ask, "pause", "waiting for the customer")
                comment(answer, requester, rng.choice(REQUESTER_ANSWERS))
                status_change(answer, requester, "waiting_for_customer", "in_progress")
                for c in clocks:
                    if c.kind == "resolution":
                        c.events.append(
                            {
                                "type": "resume",
                                "at": iso(answer),
                                "why": "no longer waiting for the customer",
                            }
                        )
                before, taken = "in_progress", {}
                version += 3
            elif resp_t < res_t:  # the first public reply, then the fix (most tickets)
                comment(resp_t, agent, rng.choice(DESK_REPLIES))
                stop("response", resp_t, "stop", "public reply by the desk")
            # else: fixed at once; resolving stops the response clock too
            status_change(res_t, agent, before, "resolved", **taken)
            stop("*", res_t, "stop", "ticket resolved")
            resolved_at = res_t
            version += 1
            close_t = res_t + timedelta(days=7, hours=rng.randrange(1, 48))
            if close_t < now:
                closed_at = close_t
                if rng.random() < 0.3:
                    closed_at = res_t + (close_t - res_t) * rng.random()
                    status_change(closed_at, requester, "resolved", "closed")
                else:
                    event(
                        closed_at,
                        "updated",
                        None,
                        {
                            "changes": {"status": {"before": "resolved", "after": "closed"}},
                            "reason": AUTO_CLOSE_REASON,
                        },
                    )
                status = "closed"
                version += 1
            else:
                status = "resolved"

        rated = rating(self.seed, tid, resolved_at, closed_at, now) if resolved_at else None
        sla_due_at = None
        for c in clocks:
            row, alerts = self._clock_rows(tid, offer.organisation_id, c, cal)
            out.clocks.append(row)
            for a in alerts:
                out.alerts.append(a)
                event(
                    a["at"],
                    f"sla_{a['kind']}",
                    None,
                    {
                        "clock_id": row["id"],
                        "clock": c.kind,
                        "cycle": 0,
                        "leg": 0,
                        "at": a["at"].isoformat(),
                        "due_at": row["due_at"].isoformat() if row["due_at"] else None,
                    },
                    internal=True,
                )
            if c.events[-1]["type"] in ("start", "resume") and row["due_at"] is not None:
                sla_due_at = row["due_at"] if sla_due_at is None else min(sla_due_at, row["due_at"])
            self.summary.running_clocks += row["state"] == "running"

        events.sort(key=lambda e: e["at"])
        for e in events:
            e["id"] = next(self.ids["ticket_events"])
        out.events.extend(events)
        out.tickets.append(
            {
                "id": tid,
                "number": number,
                "type": kind,
                "title": title,
                "description": desc,
                "status": status,
                "impact": impact,
                "urgency": urgency,
                "priority": priority,
                "priority_overridden": False,
                "priority_reason": None,
                "provider": offer.provider,
                "organisation_id": offer.organisation_id,
                "requester_id": requester,
                "service_id": offer.service_id,
                "group_id": group_id,
                "assignee_id": assignee,
                "agreement_version_id": version_id,
                "channel": channel,
                "received_at": received,
                "created_at": received,
                "updated_at": events[-1]["at"],
                "resolved_at": resolved_at,
                "closed_at": closed_at,
                "sla_due_at": sla_due_at,
                "sla_sort_at": sla_due_at or SLA_SORT_NONE,
                "version": version,
                "rating": rated[0] if rated else None,
                "rating_comment": rated[1] if rated else None,
                "rated_at": rated[2] if rated else None,
            }
        )
        s = self.summary
        s.tickets += 1
        s.events += len(events)
        s.open_tickets += status in OPEN_STATUSES

    def _clock_rows(
        self, ticket_id: int, organisation_id: int, c: _Clock, cal: Calendar | None
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The clock row with its cached evaluation as of its last event (what
        `sla.tracking._refresh` stores), and the alerts the sweep has recorded by now."""
        assert cal is not None
        parsed = [
            ClockEvent(EventType(e["type"]), datetime.fromisoformat(e["at"].replace("Z", "+00:00")))
            for e in c.events
        ]
        at = parsed[-1].at
        r = evaluate(cal, c.target, parsed, at, c.promise.warning_percent)
        cid = next(self.ids["sla_clocks"])
        row: dict[str, Any] = {
            "id": cid,
            "ticket_id": ticket_id,
            "organisation_id": organisation_id,
            "kind": c.kind,
            "cycle": 0,
            "leg": 0,
            "promise_id": c.promise.id,
            "calendar_id": c.promise.calendar_id,
            "target_minutes": c.target,
            "warning_percent": c.promise.warning_percent,
            "events": c.events,
            "state": r.state.value,
            "elapsed_seconds": int(r.elapsed.total_seconds()),
            "due_at": r.due_at,
            "warning_at": r.warning_at,
            "breach_at": r.breach_at,
            "stopped_at": r.stopped_at,
            "evaluated_at": at,
        }
        now = self.now
        running = r.state is ClockState.RUNNING
        alerts: list[tuple[str, datetime]] = []
        if r.state is not ClockState.CANCELLED and r.warning_at is not None and r.warning_at <= now:
            alerts.append(("warning", r.warning_at))
        if r.state is ClockState.BREACHED and r.breach_at is not None:
            alerts.append(("breach", r.breach_at))
        elif running and r.due_at is not None and r.due_at < now:
            alerts.append(("breach", r.due_at))
        # What the sweep reads (sla.alert_schedule): the alerts recorded, and the next instant
        # it has something left to record (None when nothing is).
        recorded = 0
        for kind, _when in alerts:
            recorded |= alert_bit(kind)
        row["recorded_alerts"] = recorded
        row["next_alert_at"] = next_alert_at(
            AlertInputs(r.state.value, r.warning_at, r.due_at, r.breach_at, recorded)
        )
        self.summary.clocks += 1
        rows = [
            {
                "id": next(self.ids["sla_alerts"]),
                "clock_id": cid,
                "kind": kind,
                "at": when,
                "recorded_at": min(when + timedelta(seconds=30 + self.rng.randrange(60)), now),
            }
            for kind, when in alerts
        ]
        self.summary.alerts += len(rows)
        return row, rows


# --- writing -------------------------------------------------------------------------------

TABLES: tuple[tuple[str, Table], ...] = (
    ("tickets", Ticket.__table__),  # type: ignore[arg-type]
    ("comments", Comment.__table__),  # type: ignore[arg-type]
    ("events", TicketEvent.__table__),  # type: ignore[arg-type]
    ("clocks", SlaClock.__table__),  # type: ignore[arg-type]
    ("alerts", SlaAlert.__table__),  # type: ignore[arg-type]
)
#: Ids a ticket can take at most, per table: a chunk of tickets reserves this many, so
#: chunks made in parallel never collide (the ids have gaps between chunks, none within).
ID_BUDGET = {
    "tickets": 1,
    "ticket_comments": 4,
    "ticket_events": 16,
    "sla_clocks": 2,
    "sla_alerts": 4,
}
JSON_COLUMNS = frozenset({"events", "data"})
#: A chunk's rows as (columns, value tuples) per table, cheap to send between processes.
Packed = dict[str, tuple[list[str], list[tuple[Any, ...]]]]


def _pack(out: Batch, json_text: bool) -> Packed:
    packed: Packed = {}
    for attr, _ in TABLES:
        rows: list[dict[str, Any]] = getattr(out, attr)
        if not rows:
            continue
        cols = list(rows[0])
        if json_text:
            for r in rows:
                for c in JSON_COLUMNS.intersection(r):
                    r[c] = json.dumps(r[c])
        packed[attr] = (cols, [tuple(r.values()) for r in rows])
    return packed


def _is_postgres(sess: Session) -> bool:
    return sess.get_bind().dialect.name == "postgresql"


def write_packed(sess: Session, packed: Packed) -> None:
    """Tickets first (the others refer to them); COPY on PostgreSQL, executemany on SQLite."""
    postgres = _is_postgres(sess)
    superuser = "SELECT current_setting('is_superuser')"
    if postgres and sess.execute(text(superuser)).scalar() == "on":
        # The rows refer to each other and to the catalogue by construction: skip the
        # per-row foreign-key triggers for this transaction (a bulk load's usual step;
        # only a superuser may, others pay for the checks).
        sess.execute(text("SET LOCAL session_replication_role = replica"))
    for attr, table in TABLES:
        if attr not in packed:
            continue
        cols, rows = packed[attr]
        if postgres:
            raw = sess.connection().connection.driver_connection
            assert raw is not None
            names = ", ".join(cols)
            with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({names}) FROM STDIN") as cp:
                for row in rows:
                    cp.write_row(row)
        else:
            sess.execute(insert(table), [dict(zip(cols, r, strict=True)) for r in rows])


def _first_ids(sess: Session) -> dict[str, int]:
    return {
        table.name: int(sess.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1
        for _, table in TABLES
    }


def _advance(sess: Session, counters: dict[int, int]) -> None:
    """Later creates take the next number of each year (`next_ticket_number`)."""
    table = TicketNumberCounter.__table__
    for year, last in counters.items():
        done = sess.execute(
            table.update().where(table.c.year == year).values(last=last)  # type: ignore[attr-defined]
        ).rowcount
        if not done:
            sess.execute(insert(table).values(year=year, last=last))


def _reset_sequences(sess: Session) -> None:
    for _, table in TABLES:
        sess.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))"
            )
        )


@dataclass(frozen=True)
class Chunk:
    """Tickets `instants` with their id bases and each year's last number before them."""

    index: int
    instants: list[datetime]
    first_ids: dict[str, int]
    counters: dict[int, int]


#: What the worker processes share (set before they fork): catalogue, now, seed, options.
_shared: dict[str, Any] = {}


def make_chunk(chunk: Chunk) -> tuple[Packed, Summary]:
    """The rows of one chunk (in a worker process, or in this one)."""
    rng = random.Random(f"{_shared['seed']}-{chunk.index}")
    gen = Generator(
        _shared["cat"],
        rng,
        _shared["now"],
        chunk.first_ids,
        dict(chunk.counters),
        _shared["seed"],
    )
    out = Batch()
    for received in chunk.instants:
        gen.ticket(received, out)
    return _pack(out, _shared["json_text"]), gen.summary


def _chunks(
    instants: list[datetime], batch: int, first_ids: dict[str, int], counters: dict[int, int]
) -> Iterator[Chunk]:
    counters = dict(counters)
    for index, start in enumerate(range(0, len(instants), batch)):
        part = instants[start : start + batch]
        yield Chunk(
            index,
            part,
            {t: first_ids[t] + start * per for t, per in ID_BUDGET.items()},
            dict(counters),
        )
        for at in part:
            counters[at.year] = counters.get(at.year, 0) + 1


def generate(
    sess: Session,
    tickets: int,
    years: float = 3.0,
    seed: int = 2026,
    batch: int = 5000,
    now: datetime | None = None,
    progress: Callable[[int], None] = lambda _n: None,
    jobs: int = 1,
) -> Summary:
    """Add `tickets` tickets to the demo's data in `sess`'s transaction (the caller commits).

    Chunks of `batch` tickets are made by `jobs` processes (the database is written by this
    one, in order); `progress(n)` is told of every `n` tickets written.
    """
    import multiprocessing
    import time

    started = time.monotonic()
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    cat = load_catalogue(sess, now)
    warm(sess, cat)
    counters = {
        int(y): int(last)
        for y, last in sess.execute(select(TicketNumberCounter.year, TicketNumberCounter.last))
    }
    first_ids = _first_ids(sess)
    instants = list(receipt_instants(random.Random(seed), tickets, years, now))
    postgres = _is_postgres(sess)
    _shared.update(
        cat=cat,
        now=now,
        seed=seed,
        json_text=postgres,
    )
    total = Summary()
    chunks = _chunks(instants, batch, first_ids, counters)
    pool = multiprocessing.get_context("fork").Pool(jobs) if jobs > 1 else None
    try:
        results = pool.imap(make_chunk, chunks) if pool else map(make_chunk, chunks)
        for packed, summary in results:
            write_packed(sess, packed)
            for f in (
                "tickets",
                "events",
                "comments",
                "clocks",
                "running_clocks",
                "alerts",
                "open_tickets",
            ):
                setattr(total, f, getattr(total, f) + getattr(summary, f))
            progress(summary.tickets)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    for at in instants:
        counters[at.year] = counters.get(at.year, 0) + 1
    _advance(sess, counters)
    if postgres:
        _reset_sequences(sess)
    total.elapsed_seconds = time.monotonic() - started
    return total


def add_ratings(sess: Session, seed: int, after_id: int, now: datetime | None = None) -> int:
    """Give the generated tickets (ids above `after_id`) of a database made before `generate`
    rated them the ratings it now writes (`rating`); returns how many. Neither makes the
    `rated` event."""
    now = now or datetime.now(UTC)
    t = Ticket.__table__
    rows = sess.execute(
        select(t.c.id, t.c.resolved_at, t.c.closed_at).where(
            t.c.id > after_id, t.c.resolved_at.is_not(None), t.c.rating.is_(None)
        )
    )
    found = []
    for tid, resolved_at, closed_at in rows:
        rated = rating(seed, tid, resolved_at, closed_at, now)
        if rated is not None:
            found.append((tid, *rated))
    if not found:
        return 0
    if _is_postgres(sess):
        sess.execute(
            text(
                "CREATE TEMP TABLE bench_ratings (id int PRIMARY KEY, rating int,"
                " rating_comment text, rated_at timestamptz) ON COMMIT DROP"
            )
        )
        raw = sess.connection().connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur, cur.copy("COPY bench_ratings FROM STDIN") as cp:
            for row in found:
                cp.write_row(row)
        sess.execute(
            text(
                "UPDATE tickets SET rating = r.rating, rating_comment = r.rating_comment,"
                " rated_at = r.rated_at FROM bench_ratings r WHERE tickets.id = r.id"
            )
        )
    else:
        sess.execute(
            t.update()
            .where(t.c.id == bindparam("tid"))
            .values(rating=bindparam("s"), rating_comment=bindparam("c"), rated_at=bindparam("at")),
            [{"tid": i, "s": s, "c": c, "at": a} for i, s, c, a in found],
        )
    return len(found)


def analyze(sess: Session, tables: Iterable[str] = ()) -> None:
    """PostgreSQL: fresh statistics, so the planner knows the tables grew a thousandfold."""
    if _is_postgres(sess):
        for name in tables or [t.name for _, t in TABLES]:
            sess.execute(text(f"ANALYZE {name}"))
