"""Human-friendly, stable ticket numbers: KPK-2026-00042."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.orm import Session

from servicedesk import statements
from servicedesk.db import upsert_insert
from servicedesk.tickets.models import TicketNumberCounter

PREFIX = "KPK"


def next_ticket_number(sess: Session, year: int) -> str:
    """Take the year's next running number atomically (an upsert that returns the new value)."""
    insert = upsert_insert(sess)
    stmt = statements.kept(("ticket_number", insert.__module__), lambda: _take_number(insert))
    seq = sess.execute(stmt, {"year": year}).scalar_one()
    return format_number(year, seq)


def _take_number(insert: Any) -> Any:
    table = TicketNumberCounter.__table__
    return (
        insert(table)
        .values(year=bindparam("year"), last=1)
        .on_conflict_do_update(index_elements=[table.c.year], set_={"last": table.c.last + 1})
        .returning(table.c.last)
    )


def format_number(year: int, seq: int) -> str:
    return f"{PREFIX}-{year}-{seq:05d}"
