"""read indexes: each scope's list order, the SLA queue order, clock states, text search

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 07:00:00

A list page is 26 rows read off an index in its scope's order (-received_at, id), for
admins, agents (provider), customers (organisation) and end users (requester). The SLA
queue order becomes a NOT NULL column, `sla_sort_at` (sla_due_at, or 9999-12-31 when no
clock runs), so a plain index serves `sort=sla_due` as it does the other orders. On
PostgreSQL, trigram GIN indexes make `q=` (ILIKE '%word%') indexable; SQLite keeps the scan.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ORDERS = {
    "ix_tickets_received": ["received_at", "id"],
    "ix_tickets_provider_received": ["provider", "received_at", "id"],
    "ix_tickets_org_received": ["organisation_id", "received_at", "id"],
    "ix_tickets_requester_received": ["requester_id", "received_at", "id"],
    "ix_tickets_sla_sort": ["sla_sort_at", "id"],
    "ix_tickets_provider_sla_sort": ["provider", "sla_sort_at", "id"],
}
_TRIGRAMS = {"ix_tickets_title_trgm": "title", "ix_tickets_number_trgm": "number"}


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    # 9999-12-31 UTC, as each database keeps an instant (SQLite: naive UTC text).
    far = "'9999-12-31 00:00:00+00'" if postgres else "'9999-12-31 00:00:00.000000'"
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.add_column(
            sa.Column(
                "sla_sort_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.text(far),
            )
        )
    op.execute("UPDATE tickets SET sla_sort_at = sla_due_at WHERE sla_due_at IS NOT NULL")
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.alter_column("sla_sort_at", server_default=None)
        batch_op.drop_index("ix_tickets_org_received")
        for name, columns in _ORDERS.items():
            batch_op.create_index(name, columns, unique=False)
    op.create_index("ix_sla_clocks_state_ticket", "sla_clocks", ["state", "ticket_id"])
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in _TRIGRAMS.items():
        # SQLite has no trigrams: a plain index there (alembic compares the models' indexes
        # regardless of their PostgreSQL-only options); `q=` scans on SQLite.
        op.create_index(
            name,
            "tickets",
            [column],
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )


def downgrade() -> None:
    for name in _TRIGRAMS:
        op.drop_index(name, table_name="tickets")
    op.drop_index("ix_sla_clocks_state_ticket", table_name="sla_clocks")
    with op.batch_alter_table("tickets") as batch_op:
        for name in _ORDERS:
            batch_op.drop_index(name)
        batch_op.create_index(
            "ix_tickets_org_received", ["organisation_id", "received_at"], unique=False
        )
        batch_op.drop_column("sla_sort_at")
