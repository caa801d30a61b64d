"""The supplier agents' landing page: their supplier's open legs first, ended legs below.

A supplier agent sees only its own supplier's legs (never another supplier's); each row
links to the ticket page, which shows a supplier the reduced view.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import render_template
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicedesk import db
from servicedesk.db import utcnow
from servicedesk.enums import Role
from servicedesk.escalations.models import Escalation
from servicedesk.tickets.models import Ticket
from servicedesk.web.blueprint import bp
from servicedesk.web.labels import (
    CLOCK_KIND_LABELS,
    ESCALATION_STATUS_LABELS,
    PRIORITY_LABELS,
    SLA_STATE_ICONS,
    SLA_STATE_LABELS,
    label,
)
from servicedesk.web.session import roles_required
from sla.models import SlaClock
from sla.queries import summary
from sla.tracking import evaluate_clock

#: How many ended legs the page lists (newest first).
ENDED_SHOWN = 50


def _legs(sess: Session, user: Any, open_: bool) -> list[tuple[Escalation, Ticket]]:
    """The supplier's legs with their tickets. A supplier agent's ticket scope is exactly
    "a leg of its supplier exists" (`access.ticket_scope`), which this join is."""
    stmt = (
        select(Escalation, Ticket)
        .join(Ticket, Ticket.id == Escalation.ticket_id)
        .where(Escalation.supplier_id == user.supplier_id)
    )
    if open_:
        stmt = stmt.where(Escalation.status == "open").order_by(
            Escalation.supplier_due_at.is_(None), Escalation.supplier_due_at, Escalation.id
        )
    else:
        stmt = (
            stmt.where(Escalation.status != "open")
            .order_by(Escalation.ended_at.desc(), Escalation.id.desc())
            .limit(ENDED_SHOWN)
        )
    return [(leg, ticket) for leg, ticket in sess.execute(stmt).all()]


def _clocks(
    sess: Session, legs: list[Escalation], now: datetime
) -> dict[int, list[dict[str, Any]]]:
    """Each open leg's supplier clocks, evaluated now, in words."""
    found: dict[int, list[dict[str, Any]]] = {leg.id: [] for leg in legs}
    if not found:
        return found
    rows = sess.scalars(
        select(SlaClock).where(SlaClock.leg.in_(list(found))).order_by(SlaClock.id)
    )
    for clock in rows:
        s = summary(clock, evaluate_clock(sess, clock, now), now)
        state = s["state"]
        found[clock.leg].append(
            {
                **s,
                "kind_label": label(CLOCK_KIND_LABELS, clock.kind),
                "state_label": label(SLA_STATE_LABELS, state),
                "state_icon": SLA_STATE_ICONS.get(state, ""),
                "state_class": "sla-ok" if state == "running" else f"sla-{state}",
            }
        )
    return found


@bp.get("/desk/supplier")
@roles_required(Role.SUPPLIER_AGENT)
def supplier_legs() -> Any:
    """A supplier agent's work: the tickets with its supplier now, by the supplier's due."""
    sess = db.session()
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    now = utcnow()
    open_legs = _legs(sess, user, True) if user.supplier_id else []
    ended = _legs(sess, user, False) if user.supplier_id else []
    return render_template(
        "web/supplier_legs.html",
        open_legs=open_legs,
        ended=ended,
        clocks=_clocks(sess, [leg for leg, _t in open_legs], now),
        label=label,
        PRIORITY_LABELS=PRIORITY_LABELS,
        ESCALATION_STATUS_LABELS=ESCALATION_STATUS_LABELS,
    )
