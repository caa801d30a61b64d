"""public figures: the public page's counts per Helsinki month and family, kept by the scheduler

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 19:00:00

The public service-level page aggregated every clock of thirteen months on each cold request
(about a second on a million tickets, more with the page). The scheduler now counts them every
few minutes into this table, and the page reads its few dozen rows while they are fresh; raw
counts only, since suppression of small cells is applied when they are shown.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "public_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("family", sa.String(length=20), nullable=False),
        sa.Column("response_met", sa.Integer(), nullable=False),
        sa.Column("response_breached", sa.Integer(), nullable=False),
        sa.Column("resolution_met", sa.Integer(), nullable=False),
        sa.Column("resolution_breached", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_figures")),
        sa.UniqueConstraint("month", "family", name=op.f("uq_public_figures_month_family")),
    )


def downgrade() -> None:
    op.drop_table("public_figures")
