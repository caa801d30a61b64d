"""Human-friendly, stable ticket numbers: KPK-2026-00042."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from servicedesk.tickets.models import TicketNumberCounter

PREFIX = "KPK"


def next_ticket_number(sess: Session, year: int) -> str:
    """Take the year's next running number atomically (an upsert that returns the new value)."""
    dialect = sess.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
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
