"""agreement cycle: version states and acceptance, events, reminders, transition milestones

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 15:10:00

Agreement versions become draft -> proposed -> signed (-> superseded); only signed and
superseded versions are in force, so every existing version is signed. `agreement_events`
records what happened to a version (acceptance, signing, a slipped milestone);
`agreement_reminders` holds one row per version and reminder kind, whose unique key makes
the reminders exactly once. `transition_milestones` is the phased introduction of a
service line: the go-live milestone's date is the line's start date.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agreement_versions") as batch:
        batch.add_column(
            sa.Column("state", sa.String(length=10), server_default="signed", nullable=False)
        )
        batch.add_column(sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("accepted_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("signed_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_agreement_versions_accepted_by_id_users"), "users", ["accepted_by_id"], ["id"]
        )
        batch.create_foreign_key(
            op.f("fk_agreement_versions_signed_by_id_users"), "users", ["signed_by_id"], ["id"]
        )
        batch.create_check_constraint(
            op.f("ck_agreement_versions_agreement_state"),
            "state IN ('draft', 'proposed', 'signed', 'superseded')",
        )
    op.create_table(
        "agreement_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_version_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_agreement_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["agreement_version_id"],
            ["agreement_versions.id"],
            name=op.f("fk_agreement_events_agreement_version_id_agreement_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_events")),
    )
    op.create_index(
        op.f("ix_agreement_events_agreement_version_id"),
        "agreement_events",
        ["agreement_version_id"],
    )
    op.create_table(
        "agreement_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_version_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("enqueued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_version_id"],
            ["agreement_versions.id"],
            name=op.f("fk_agreement_reminders_agreement_version_id_agreement_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_reminders")),
        sa.UniqueConstraint(
            "agreement_version_id",
            "kind",
            name=op.f("uq_agreement_reminders_agreement_version_id_kind"),
        ),
    )
    op.create_table(
        "transition_milestones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_service_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('data_migration', 'training', 'go_live', 'other')",
            name=op.f("ck_transition_milestones_milestone_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["agreement_service_id"],
            ["agreement_services.id"],
            name=op.f("fk_transition_milestones_agreement_service_id_agreement_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transition_milestones")),
    )
    op.create_index(
        op.f("ix_transition_milestones_agreement_service_id"),
        "transition_milestones",
        ["agreement_service_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_transition_milestones_agreement_service_id"), table_name="transition_milestones"
    )
    op.drop_table("transition_milestones")
    op.drop_table("agreement_reminders")
    op.drop_index(op.f("ix_agreement_events_agreement_version_id"), table_name="agreement_events")
    op.drop_table("agreement_events")
    with op.batch_alter_table("agreement_versions") as batch:
        batch.drop_constraint(op.f("ck_agreement_versions_agreement_state"), type_="check")
        batch.drop_constraint(op.f("fk_agreement_versions_signed_by_id_users"), type_="foreignkey")
        batch.drop_constraint(
            op.f("fk_agreement_versions_accepted_by_id_users"), type_="foreignkey"
        )
        batch.drop_column("signed_by_id")
        batch.drop_column("signed_at")
        batch.drop_column("accepted_by_id")
        batch.drop_column("accepted_at")
        batch.drop_column("proposed_at")
        batch.drop_column("state")
