"""clock organisation: each SLA clock carries its ticket's organisation, indexed by instant

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 18:00:00

The service-level report reads one organisation's clocks that count in a period (stopped,
breached, or running past due) and counts twelve months of them for the trend. The clocks were reached through the organisation's tickets: at a million tickets the
largest organisation's 300 000 tickets were walked for one month's 20 000 clocks. A ticket
never changes organisation, so the clock keeps a copy, set when it starts; the three
partial indexes make each read a range of one index (on PostgreSQL an index-only one). The
backfill copies it from the tickets (on a big database, run `VACUUM ANALYZE` afterwards). On
PostgreSQL the customers' ticket index also carries service, type and channel, which the
report counts per month.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("sla_clocks", sa.Column("organisation_id", sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE sla_clocks SET organisation_id = tickets.organisation_id"
            " FROM tickets WHERE tickets.id = sla_clocks.ticket_id"
        )
    else:
        op.execute(
            "UPDATE sla_clocks SET organisation_id ="
            " (SELECT organisation_id FROM tickets WHERE tickets.id = sla_clocks.ticket_id)"
        )
    with op.batch_alter_table("sla_clocks") as batch:
        batch.alter_column("organisation_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(
            op.f("fk_sla_clocks_organisation_id_organisations"),
            "organisations",
            ["organisation_id"],
            ["id"],
        )
    op.create_index(
        "ix_sla_clocks_org_stopped",
        "sla_clocks",
        ["organisation_id", "stopped_at"],
        postgresql_include=["state", "kind", "leg", "promise_id", "id"],
        postgresql_where=text("stopped_at IS NOT NULL"),
        sqlite_where=text("stopped_at IS NOT NULL"),
    )
    op.create_index(
        "ix_sla_clocks_org_breach",
        "sla_clocks",
        ["organisation_id", "breach_at"],
        postgresql_include=["state", "kind", "leg", "stopped_at", "promise_id", "id"],
        postgresql_where=text("breach_at IS NOT NULL"),
        sqlite_where=text("breach_at IS NOT NULL"),
    )
    op.create_index(
        "ix_sla_clocks_org_running_due",
        "sla_clocks",
        ["organisation_id", "due_at"],
        postgresql_include=["kind", "leg", "evaluated_at", "promise_id", "id"],
        postgresql_where=text("state = 'running'"),
        sqlite_where=text("state = 'running'"),
    )

    # The report also counts the tickets received per month, service, type and channel:
    # on PostgreSQL the customers' list index carries those, so that count reads no rows.
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_tickets_org_received", table_name="tickets")
        op.create_index(
            "ix_tickets_org_received",
            "tickets",
            ["organisation_id", "received_at", "id"],
            postgresql_include=["service_id", "type", "channel"],
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_tickets_org_received", table_name="tickets")
        op.create_index(
            "ix_tickets_org_received", "tickets", ["organisation_id", "received_at", "id"]
        )
    op.drop_index("ix_sla_clocks_org_running_due", table_name="sla_clocks")
    op.drop_index("ix_sla_clocks_org_breach", table_name="sla_clocks")
    op.drop_index("ix_sla_clocks_org_stopped", table_name="sla_clocks")
    with op.batch_alter_table("sla_clocks") as batch:
        batch.drop_constraint(
            op.f("fk_sla_clocks_organisation_id_organisations"), type_="foreignkey"
        )
        batch.drop_column("organisation_id")
