"""Writes on canned replies (admins), and rendering one for a ticket."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from catalog.groups.models import ResolverGroup
from servicedesk.canned.models import CannedReply
from servicedesk.canned.render import render
from servicedesk.errors import ValidationFailed
from servicedesk.tickets.models import Ticket
from servicedesk.users.models import User

_FIELDS = ("group_id", "title", "body", "locale", "active")


def _check_group(sess: Session, group_id: int | None) -> None:
    if group_id is not None and sess.get(ResolverGroup, group_id) is None:
        raise ValidationFailed(
            "No such group.", details={"fields": {"group_id": [f"No group {group_id}."]}}
        )


def create_reply(sess: Session, data: dict[str, Any]) -> CannedReply:
    """A new canned reply; `data` as the schema loaded it."""
    _check_group(sess, data.get("group_id"))
    reply = CannedReply(**{f: _plain(data[f]) for f in _FIELDS if f in data})
    sess.add(reply)
    sess.flush()
    return reply


def update_reply(sess: Session, reply: CannedReply, changes: dict[str, Any]) -> CannedReply:
    if "group_id" in changes:
        _check_group(sess, changes["group_id"])
    for field in _FIELDS:
        if field in changes:
            setattr(reply, field, _plain(changes[field]))
    sess.flush()
    return reply


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def values_for(ticket: Ticket, agent: User, locale: str | None = None) -> dict[str, str]:
    """The placeholder values of one ticket, for `render`."""
    values = {
        "requester_name": ticket.requester.name,
        "ticket_number": ticket.number,
        "ticket_title": ticket.title,
        "agent_name": agent.name,
    }
    if ticket.service is not None:
        lang = locale or ticket.requester.locale or "fi"
        values["service_name"] = getattr(ticket.service, f"name_{lang}", ticket.service.name_fi)
    return values


def render_for(reply: CannedReply, ticket: Ticket, agent: User) -> str:
    """The reply's text filled in for `ticket`, in the reply's language where it has one."""
    return render(reply.body, values_for(ticket, agent, reply.locale))
