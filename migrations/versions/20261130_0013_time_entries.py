"""time entries: minutes of work on tickets, expert or not (charges by the causation principle)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 10:10:00

`time_entries` holds the minutes an agent worked on a ticket on a Helsinki day; expert
minutes are billed by the hour (price model per_expert_hour). A statement reads one
period's entries by `worked_on`, then their tickets by organisation.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "time_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("expert", sa.Boolean(), nullable=False),
        sa.Column("worked_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("minutes > 0", name=op.f("ck_time_entries_minutes")),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_time_entries_ticket_id_tickets")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_time_entries_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_entries")),
    )
    op.create_index(op.f("ix_time_entries_ticket_id"), "time_entries", ["ticket_id"])
    op.create_index("ix_time_entries_worked_on", "time_entries", ["worked_on", "ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_time_entries_worked_on", table_name="time_entries")
    op.drop_index(op.f("ix_time_entries_ticket_id"), table_name="time_entries")
    op.drop_table("time_entries")
