"""Human-friendly, stable ticket numbers: KPK-2026-00042."""

from __future__ import annotations

from sqlalchemy.orm import Session

from servicedesk.db import upsert_insert
from servicedesk.tickets.models import TicketNumberCounter

PREFIX = "KPK"


def next_ticket_number(sess: Session, year: int) -> str:
    """Take the year's next running number atomically (an upsert that returns the new value)."""
    insert = upsert_insert(sess)
    table = TicketNumberCounter.__table__
    stmt = (
        insert(table)
        .values(year=year, last=1)
        .on_conflict_do_update(index_elements=[table.c.year], set_={"last": table.c.last + 1})
        .returning(table.c.last)
    )
    seq = sess.execute(stmt).scalar_one()
    return format_number(year, seq)


def format_number(year: int, seq: int) -> str:
    return f"{PREFIX}-{year}-{seq:05d}"
