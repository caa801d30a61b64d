"""joint desk, supplier thread, canned replies

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 02:14:53.459079

- users.desk ('joint' or NULL): the joint first line of ICT and THH.
- ticket_comments.escalation_id: a message of that leg's supplier thread.
- ticket_events (actor_id, ticket_id): the joint desk's "tickets I acted on" EXISTS.
- canned_replies: texts kept by admins, per group or global.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("locale", sa.String(length=2), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["resolver_groups.id"],
            name=op.f("fk_canned_replies_group_id_resolver_groups"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_replies")),
    )
    with op.batch_alter_table("canned_replies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_canned_replies_group_id"), ["group_id"], unique=False)

    with op.batch_alter_table("ticket_comments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("escalation_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_ticket_comments_escalation_id"), ["escalation_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_ticket_comments_escalation_id_escalations"),
            "escalations",
            ["escalation_id"],
            ["id"],
        )

    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_events_actor_ticket", ["actor_id", "ticket_id"], unique=False
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("desk", sa.String(length=10), nullable=True))
        batch_op.create_check_constraint(op.f("ck_users_desk"), "desk IS NULL OR desk = 'joint'")


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_desk"), type_="check")
        batch_op.drop_column("desk")

    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_events_actor_ticket")

    with op.batch_alter_table("ticket_comments", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_ticket_comments_escalation_id_escalations"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_ticket_comments_escalation_id"))
        batch_op.drop_column("escalation_id")

    with op.batch_alter_table("canned_replies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_canned_replies_group_id"))

    op.drop_table("canned_replies")
