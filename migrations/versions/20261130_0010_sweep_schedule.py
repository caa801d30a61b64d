"""sweep schedule: each clock's next alert instant and the alerts already recorded

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 09:00:00

The sweep selects `next_alert_at <= now` through a partial index instead of checking every
breached clock against `sla_alerts` each minute. The backfill is `sla.alert_schedule`'s rules
in SQL (kept here, frozen, since a migration must not follow later code): the bits of the
alerts already recorded, then the next instant from the clock's cached evaluation.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECORDED = """
UPDATE sla_clocks SET recorded_alerts =
    CASE WHEN EXISTS (SELECT 1 FROM sla_alerts a
                      WHERE a.clock_id = sla_clocks.id AND a.kind = 'warning') THEN 1 ELSE 0 END
  + CASE WHEN EXISTS (SELECT 1 FROM sla_alerts a
                      WHERE a.clock_id = sla_clocks.id AND a.kind = 'breach') THEN 2 ELSE 0 END
"""

#: `sla.alert_schedule.next_alert_at`: nothing once the breach is recorded (bit 2); a running
#: clock's warning while unrecorded (bit 1), then its due instant; a breached clock's breach.
NEXT = """
UPDATE sla_clocks SET next_alert_at = CASE
    WHEN recorded_alerts >= 2 THEN NULL
    WHEN state = 'running' AND due_at IS NULL THEN NULL
    WHEN state = 'running' AND recorded_alerts = 0 AND warning_at < due_at THEN warning_at
    WHEN state = 'running' THEN due_at
    WHEN state = 'breached' THEN breach_at
    ELSE NULL
END
"""


def upgrade() -> None:
    with op.batch_alter_table("sla_clocks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recorded_alerts", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(sa.Column("next_alert_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(RECORDED)
    op.execute(NEXT)
    with op.batch_alter_table("sla_clocks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sla_clocks_next_alert_at",
            ["next_alert_at"],
            unique=False,
            postgresql_where=sa.text("next_alert_at IS NOT NULL"),
            sqlite_where=sa.text("next_alert_at IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("sla_clocks", schema=None) as batch_op:
        batch_op.drop_index("ix_sla_clocks_next_alert_at")
        batch_op.drop_column("next_alert_at")
        batch_op.drop_column("recorded_alerts")
