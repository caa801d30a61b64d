"""A ticket's timeline for the page: comments and events, oldest first, in readable words.

The comments and events come through `tickets.queries.comments_of` / `events_of`, so a user
only ever sees what the domain rules let them. This module only names things: ids become
names (groups, people, services, suppliers), stored values become labels, and each event
becomes a title and a few lines of before → after.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.groups.models import ResolverGroup
from catalog.services.models import Service
from catalog.suppliers.models import Supplier
from servicedesk.escalations.models import Escalation
from servicedesk.tickets import queries
from servicedesk.tickets.models import Comment, Ticket, TicketEvent
from servicedesk.users.models import User
from servicedesk.web.i18n import business_minutes_words
from servicedesk.web.labels import (
    CHANNEL_LABELS,
    CLOCK_KIND_LABELS,
    LEVEL_LABELS,
    PRIORITY_LABELS,
    STATUS_LABELS,
    TYPE_LABELS,
    label,
)

#: The ticket fields an "updated" event may carry, in words.
FIELD_LABELS = {
    "title": _l("title"),
    "description": _l("description"),
    "type": _l("type"),
    "service_id": _l("service"),
    "provider": _l("provider"),
    "impact": _l("impact"),
    "urgency": _l("urgency"),
    "priority": _l("priority"),
    "priority_overridden": _l("priority overridden"),
    "priority_reason": _l("priority reason"),
    "status": _l("status"),
    "group_id": _l("group"),
    "assignee_id": _l("assignee"),
}

#: The reasons the operations record, in words (others are shown as recorded).
REASON_LABELS = {
    "the customer answered": _l("the customer answered"),
    "back with the desk": _l("back with the desk"),
    "the supplier marked its part done": _l("the supplier marked its part done"),
    "the escalation was withdrawn": _l("the escalation was withdrawn"),
}

#: Long text fields: the event says that they changed, the page shows the text itself.
_LONG_FIELDS = frozenset({"description"})


@dataclass
class Item:
    """One entry of the timeline: a comment (public, internal, supplier) or an event."""

    kind: str  # public | internal | supplier | event
    at: datetime
    actor: str
    title: str
    body: str | None = None
    lines: list[str] = field(default_factory=list)
    comment_id: int | None = None
    supplier: str | None = None
    escalation_id: int | None = None
    published: bool = False
    event_kind: str | None = None


@dataclass
class Names:
    """Names of what events refer to by id, loaded once per page."""

    users: dict[int, str] = field(default_factory=dict)
    groups: dict[int, str] = field(default_factory=dict)
    services: dict[int, Service] = field(default_factory=dict)
    suppliers: dict[int, str] = field(default_factory=dict)
    locale: str = "fi"

    def user(self, user_id: Any) -> str:
        return self.users.get(user_id, _("user %(id)s", id=user_id))

    def group(self, group_id: Any) -> str:
        return self.groups.get(group_id, _("group %(id)s", id=group_id))

    def service(self, service_id: Any) -> str:
        found = self.services.get(service_id)
        return service_name(found, self.locale) if found else _("service %(id)s", id=service_id)

    def supplier(self, supplier_id: Any, fallback: str | None = None) -> str:
        return self.suppliers.get(supplier_id) or fallback or _("supplier %(id)s", id=supplier_id)


def service_name(service: Service | None, locale: str) -> str:
    """The service in the page's language: its code and name."""
    if service is None:
        return ""
    name = {"sv": service.name_sv, "en": service.name_en}.get(locale) or service.name_fi
    return f"{service.code} {name}"


def load_names(sess: Session, events: Sequence[TicketEvent], locale: str) -> Names:
    """Every id the events mention, resolved in one query per kind of record."""
    users: set[int] = set()
    groups: set[int] = set()
    services: set[int] = set()
    suppliers: set[int] = set()
    for ev in events:
        data = ev.data or {}
        for name, change in (data.get("changes") or {}).items():
            values = [change.get("before"), change.get("after")]
            target = {
                "assignee_id": users,
                "group_id": groups,
                "service_id": services,
            }.get(name)
            if target is not None:
                target.update(v for v in values if isinstance(v, int))
        if isinstance(data.get("service_id"), int):
            services.add(data["service_id"])
        if isinstance(data.get("supplier_id"), int):
            suppliers.add(data["supplier_id"])
    names = Names(locale=locale)
    if users:
        names.users = dict(sess.execute(select(User.id, User.name).where(User.id.in_(users))).all())
    if groups:
        rows = sess.execute(
            select(ResolverGroup.id, ResolverGroup.name).where(ResolverGroup.id.in_(groups))
        )
        names.groups = dict(rows.all())
    if services:
        names.services = {
            s.id: s for s in sess.scalars(select(Service).where(Service.id.in_(services)))
        }
    if suppliers:
        rows = sess.execute(select(Supplier.id, Supplier.name).where(Supplier.id.in_(suppliers)))
        names.suppliers = dict(rows.all())
    return names


def value_words(name: str, value: Any, names: Names) -> str:
    """A stored field value as the page shows it."""
    if value is None or value == "":
        return _("none")
    if name == "status":
        return label(STATUS_LABELS, value)
    if name == "priority":
        return label(PRIORITY_LABELS, value)
    if name == "type":
        return label(TYPE_LABELS, value)
    if name in ("impact", "urgency"):
        return label(LEVEL_LABELS, value)
    if name == "assignee_id":
        return names.user(value)
    if name == "group_id":
        return names.group(value)
    if name == "service_id":
        return names.service(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def change_lines(changes: dict[str, Any], names: Names) -> list[str]:
    """ "status: new → in progress", one line per changed field."""
    lines = []
    for name, change in changes.items():
        what = label(FIELD_LABELS, name)
        if name in _LONG_FIELDS:
            lines.append(_("%(field)s changed", field=what))
            continue
        lines.append(
            _(
                "%(field)s: %(before)s → %(after)s",
                field=what,
                before=value_words(name, change.get("before"), names),
                after=value_words(name, change.get("after"), names),
            )
        )
    return lines


def duration_words(seconds: int) -> str:
    """Real (calendar) time in words, for the slack between two due instants."""
    minutes = abs(int(seconds)) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(days)d d %(hours)d h", days=days, hours=hours)
    if hours:
        return _("%(hours)d h %(minutes)d min", hours=hours, minutes=mins)
    return _("%(minutes)d min", minutes=mins)


def slack_words(seconds: int | None) -> str:
    """The slack at hand-off, said in words rather than as a signed number."""
    if seconds is None:
        return _("no slack to compute (no running customer clock or no supplier promise)")
    if seconds < 0:
        return _(
            "negative: the supplier is due %(time)s after the customer's promise",
            time=duration_words(seconds),
        )
    return _(
        "the supplier is due %(time)s before the customer's promise", time=duration_words(seconds)
    )


def describe_event(ev: TicketEvent, names: Names) -> tuple[str, list[str]]:
    """An event's title and its lines, in words."""
    data = ev.data or {}
    kind = ev.kind
    if kind == "created":
        lines = [
            _("priority: %(value)s", value=label(PRIORITY_LABELS, data.get("priority"))),
            _("channel: %(value)s", value=label(CHANNEL_LABELS, data.get("channel"))),
        ]
        if data.get("service_id"):
            lines.append(_("service: %(value)s", value=names.service(data["service_id"])))
        return _("Ticket created"), lines
    if kind == "routed":
        after = {k: (v or {}).get("after") for k, v in (data.get("changes") or {}).items()}
        if after.get("group_id"):
            title = _("Routed to the group %(group)s", group=names.group(after["group_id"]))
        elif after.get("assignee_id"):
            title = _("Routed to %(person)s", person=names.user(after["assignee_id"]))
        else:
            title = _("Routed")
        return title, [_("why: %(reason)s", reason=data.get("reason") or "")]
    if kind == "updated":
        changes = data.get("changes") or {}
        lines = change_lines(changes, names)
        if data.get("reason"):
            lines.append(_("why: %(reason)s", reason=label(REASON_LABELS, data["reason"])))
        if "priority" in changes:
            return _("Priority changed"), lines
        if set(changes) == {"status"}:
            return _("Status changed"), lines
        return _("Ticket changed"), lines
    if kind == "escalated":
        supplier = names.supplier(data.get("supplier_id"), data.get("supplier"))
        lines = [_("slack: %(slack)s", slack=slack_words(data.get("slack_seconds")))]
        lines += [str(w) for w in data.get("warnings") or []]
        return _("Escalated to %(supplier)s", supplier=supplier), lines
    if kind in ("escalation_done", "escalation_withdrawn", "escalation_closed"):
        supplier = names.supplier(data.get("supplier_id"))
        titles = {
            "escalation_done": _("%(supplier)s marked its part done", supplier=supplier),
            "escalation_withdrawn": _("Escalation to %(supplier)s withdrawn", supplier=supplier),
            "escalation_closed": _("Escalation to %(supplier)s closed", supplier=supplier),
        }
        return titles[kind], []
    if kind == "published":
        lines = [_("edited by the desk")] if data.get("edited") else []
        return _("Supplier message published to the customer"), lines
    if kind in ("sla_warning", "sla_breach"):
        clock = label(CLOCK_KIND_LABELS, data.get("clock"))
        if kind == "sla_warning":
            # A warning noticed only after its clock breached or ended is recorded, not told.
            untold = [_("not told: the clock had breached or ended by then")]
            return (
                _("SLA warning: the %(clock)s clock is close to its target", clock=clock),
                untold if data.get("notified") is False else [],
            )
        return _("SLA breach: the %(clock)s clock missed its target", clock=clock), []
    if kind == "attachment_added":
        lines = [_("internal: the customer does not see it")] if data.get("internal") else []
        return _("File attached: %(name)s", name=data.get("filename") or ""), lines
    if kind == "rated":
        lines = []
        if data.get("low_rating_to"):
            lines.append(_("sent to the account managers"))
        return _("Rated %(score)s/5", score=data.get("score")), lines
    if kind == "commented":
        if data.get("escalation_id"):
            return _("Supplier message added"), []
        return (_("Internal note added") if data.get("internal") else _("Reply added")), []
    return kind.replace("_", " "), []


def _published_sources(events: Iterable[TicketEvent]) -> set[int]:
    return {
        ev.data["source_comment_id"]
        for ev in events
        if ev.kind == "published" and isinstance((ev.data or {}).get("source_comment_id"), int)
    }


def build(sess: Session, user: User, ticket: Ticket, locale: str) -> list[Item]:
    """The timeline `user` may read, oldest first. Comment events are not repeated: the
    comment itself is the entry."""
    comments = list(sess.scalars(queries.comments_of(user, ticket)))
    events = list(sess.scalars(queries.events_of(user, ticket)))
    names = load_names(sess, events, locale)
    leg_ids = {c.escalation_id for c in comments if c.escalation_id is not None}
    legs = {
        leg.id: leg
        for leg in (
            sess.scalars(select(Escalation).where(Escalation.id.in_(leg_ids))) if leg_ids else []
        )
    }
    published = _published_sources(events)
    items = [_comment_item(c, legs, published) for c in comments]
    for ev in events:
        if ev.kind == "commented":
            continue
        title, lines = describe_event(ev, names)
        items.append(
            Item(
                kind="event",
                at=ev.at,
                actor=ev.actor.name if ev.actor else _("the system"),
                title=title,
                lines=lines,
                event_kind=ev.kind,
            )
        )
    items.sort(key=lambda i: (i.at, 0 if i.kind == "event" else 1))
    return items


def _comment_item(c: Comment, legs: dict[int, Escalation], published: set[int]) -> Item:
    if c.escalation_id is not None:
        leg = legs.get(c.escalation_id)
        supplier = leg.supplier.name if leg else ""
        return Item(
            kind="supplier",
            at=c.created_at,
            actor=c.author.name,
            title=_("Supplier message · %(supplier)s", supplier=supplier),
            body=c.body,
            comment_id=c.id,
            supplier=supplier,
            escalation_id=c.escalation_id,
            published=c.id in published,
        )
    if c.internal:
        return Item("internal", c.created_at, c.author.name, _("Internal note"), c.body, [], c.id)
    return Item("public", c.created_at, c.author.name, _("Reply"), c.body, [], c.id)


def last_event_id(sess: Session, ticket: Ticket) -> int:
    """The newest event of the ticket: the mark a form carries of what its page showed."""
    found = sess.scalar(
        select(TicketEvent.id)
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.id.desc())
        .limit(1)
    )
    return found or 0


def changes_since(
    sess: Session, user: User, ticket: Ticket, seen_event_id: int, locale: str
) -> list[str]:
    """Who changed what since the page was rendered (events after `seen_event_id` that the
    user may read), one sentence each: what a stale form tells its author."""
    events = [ev for ev in sess.scalars(queries.events_of(user, ticket)) if ev.id > seen_event_id]
    names = load_names(sess, events, locale)
    out = []
    for ev in events:
        title, lines = describe_event(ev, names)
        who = ev.actor.name if ev.actor else _("the system")
        detail = "; ".join(lines)
        out.append(
            _("%(who)s: %(what)s (%(detail)s)", who=who, what=title, detail=detail)
            if detail
            else _("%(who)s: %(what)s", who=who, what=title)
        )
    return out


def time_split_words(split: dict[str, Any] | None) -> list[tuple[str, str]]:
    """ "Where the time went" as (holder, business time in words) rows."""
    if not split:
        return []
    rows = [(_("desk"), business_minutes_words(split["desk_seconds"] // 60))]
    for supplier, seconds in sorted((split.get("by_supplier") or {}).items()):
        rows.append((_("supplier %(name)s", name=supplier), business_minutes_words(seconds // 60)))
    if not split.get("by_supplier"):
        rows.append((_("suppliers"), business_minutes_words(split["supplier_seconds"] // 60)))
    rows.append((_("customer (waiting)"), business_minutes_words(split["customer_seconds"] // 60)))
    return rows
