"""report indexes: clocks by stop and breach instant, an organisation's ratings by instant

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 12:00:00

The service-level report reads an organisation's clocks that stopped or breached in a
period, and its tickets rated in the period. Without these the clock read walked every
ticket the organisation ever had (and its clocks), and the ratings read every ticket of
the organisation, to keep one month's rows. Partial where most rows have no value.
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # On PostgreSQL it carries what the report's trend counts, so counting twelve months of
    # stopped clocks is an index-only scan.
    op.create_index(
        "ix_sla_clocks_stopped_at",
        "sla_clocks",
        ["stopped_at"],
        postgresql_include=["ticket_id", "state", "kind", "leg"],
    )
    op.create_index(
        "ix_sla_clocks_breach_at",
        "sla_clocks",
        ["breach_at"],
        postgresql_where=text("breach_at IS NOT NULL"),
        sqlite_where=text("breach_at IS NOT NULL"),
    )
    op.create_index(
        "ix_tickets_org_rated",
        "tickets",
        ["organisation_id", "rated_at"],
        postgresql_where=text("rated_at IS NOT NULL"),
        sqlite_where=text("rated_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_org_rated", table_name="tickets")
    op.drop_index("ix_sla_clocks_breach_at", table_name="sla_clocks")
    op.drop_index("ix_sla_clocks_stopped_at", table_name="sla_clocks")
