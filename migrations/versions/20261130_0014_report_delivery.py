"""report delivery: outbox attachments and the monthly report's once-per-month record

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 11:45:00

`outbox_attachments` carries files sent with an outbox message (the monthly report's PDF);
they are written with the message, in the same transaction. `report_deliveries` holds one
row per organisation and month whose report went out: its unique key is what makes the
monthly job send exactly once, whatever restarts or second schedulers do.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name=op.f("fk_outbox_attachments_outbox_id_outbox"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_attachments")),
    )
    op.create_index(op.f("ix_outbox_attachments_outbox_id"), "outbox_attachments", ["outbox_id"])
    op.create_table(
        "report_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("enqueued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_report_deliveries_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_deliveries")),
        sa.UniqueConstraint(
            "organisation_id", "month", name=op.f("uq_report_deliveries_organisation_id_month")
        ),
    )


def downgrade() -> None:
    op.drop_table("report_deliveries")
    op.drop_index(op.f("ix_outbox_attachments_outbox_id"), table_name="outbox_attachments")
    op.drop_table("outbox_attachments")
